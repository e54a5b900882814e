#!/bin/bash
# No silent "no Windows": a disk behind a controller whose driver the
# image lacks.  The MegaRAID driver is withheld (module_blacklist=
# megaraid_sas on the kernel command line, as for a controller the image
# has no driver for); the controller stays without one.  Unattended, with a
# crashed Windows on NVMe beside it: the NVMe disk is fixed, the MegaRAID
# disk is untouched, and the serial line, the record (machine.controllers)
# name the controller by its PCI id.  In the menu, with only the MegaRAID
# disk: the list on the serial console says "disk controller without a
# driver: 1000:0060 Broadcom / LSI MegaRAID SAS 1078" (pci.ids, trimmed
# in the image) above "No NTFS or BitLocker volume found".
. "$(dirname "$0")/lib.sh"

F291=C-00000291-00000000-00000032.sys
LINE="disk controller without a driver: 1000:0060 Broadcom / LSI MegaRAID SAS 1078"

test_expect_success 'setup: Windows on NVMe and behind a MegaRAID, the driver withheld' '
	"$TOP/scripts/mkdemo-disk" nvme.img && "$TOP/scripts/mkdemo-disk" raid.img &&
	cp raid.img raid.before &&
	stick_copy auto.img &&
	set_conf auto.img "mode = auto" "countdown = 0" "operator = ci" "site = qemu" &&
	stick_cmdline auto.img module_blacklist=megaraid_sas &&
	stick_copy menu.img && stick_cmdline menu.img module_blacklist=megaraid_sas
'

test_expect_success 'unattended: NVMe fixed, the MegaRAID named on the serial line' '
	boot_start auto --firmware uefi --disk nvme:nvme.img --disk megasas:raid.img auto.img &&
	wait_for auto "bootfix: auto (fixed|nothing-to-fix|not-fixed|check)" &&
	grep -a "bootfix: auto fixed computer=DESKTOP-2KGM189.*; disk controller without a driver: 1000:0060" auto.log &&
	wait_poweroff auto 120
'

test_expect_success 'the NVMe disk was fixed, the MegaRAID disk not touched' '
	dev=$(attach nvme.img) && echo $dev > .dev && ntfs_mount ${dev}p1 w &&
	test ! -e w/$CS_DIR/$F291 && find w/bootfix-quarantine -name $F291 | grep -q . &&
	cmp raid.img raid.before
'
ntfs_umount w 2>/dev/null; losetup -d "$(cat .dev 2>/dev/null)" 2>/dev/null

test_expect_success 'the record lists the controllers: the MegaRAID without a driver, NVMe with' '
	mkdir data && mcopy -s -i "auto.img@@$DATA_OFFSET" ::/logs data/ &&
	find data/logs -type f ! -name "*.head" -exec cat {} + | python3 -c "
import json, sys
final = [r for r in (json.loads(l) for l in sys.stdin if l.startswith(\"{\"))
	 if r.get(\"stage\") != \"begun\"][-1]
c = {x[\"id\"]: x for x in final[\"machine\"][\"controllers\"]}
print(json.dumps(c, indent=1))
assert c[\"1000:0060\"][\"driver\"] is None, c[\"1000:0060\"]
assert c[\"1000:0060\"][\"name\"] == \"Broadcom / LSI MegaRAID SAS 1078\"
assert c[\"1000:0060\"][\"class\"] == \"RAID bus controller\"
assert any(x[\"driver\"] == \"nvme\" for x in c.values())
"
'

test_expect_success 'the menu: the line with the PCI id on the serial console list' '
	boot_start menu --firmware uefi --snapshot --disk megasas:raid.img menu.img &&
	menu_or_fallback menu &&
	wait_for menu "No NTFS or BitLocker volume found" 180 &&
	tr -d "\033" < menu.log | grep -a -F "$LINE" &&
	boot_stop menu
'
test_done
