#!/bin/bash
# Legacy IDE (issue 13): a crashed Windows disk on the PIIX3 IDE of qemu's
# i440fx PC, booted by SeaBIOS (the firmware such machines have): ata_piix
# loads by modalias, finds the disk, and the unattended mode fixes it.
# (With OVMF on i440fx the IDE channels get no interrupt and no disk is
# found: docs/hardware.md.)
. "$(dirname "$0")/lib.sh"

F291=C-00000291-00000000-00000032.sys

test_expect_success 'setup: Windows on an IDE disk, a stick set to unattended' '
	"$TOP/scripts/mkdemo-disk" ide.img &&
	stick_copy stick.img && stick_cmdline stick.img bootfix.debug=1 &&
	set_conf stick.img "mode = auto" "countdown = 0" "operator = ci" "site = qemu"
'

test_expect_success 'SeaBIOS on i440fx: ata_piix finds the IDE disk, fixed unattended' '
	boot_start ide --machine pc --firmware bios --disk ide:ide.img stick.img &&
	wait_for ide "bootfix: auto (fixed|nothing-to-fix|not-fixed|check)" &&
	grep -a -m1 "bootfix: modules: " ide.log | grep -w ata_piix &&
	grep -a "bootfix: auto fixed computer=DESKTOP-2KGM189" ide.log &&
	wait_poweroff ide 120
'

test_expect_success 'the faulty file is in quarantine on the IDE disk' '
	dev=$(attach ide.img) && echo $dev > .dev && ntfs_mount ${dev}p1 w &&
	test ! -e w/$CS_DIR/$F291 && find w/bootfix-quarantine -name $F291 | grep -q .
'
ntfs_umount w 2>/dev/null; losetup -d "$(cat .dev 2>/dev/null)" 2>/dev/null
test_done
