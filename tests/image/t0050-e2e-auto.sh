#!/bin/bash
# Test 3, end to end: the stick and a crashed Windows on an NVMe disk boot
# under Secure Boot in unattended mode (mode = auto in the stick's
# bootfix.conf); bootfix fixes it and powers off.  Then, on this host, the
# faulty file is in quarantine on the NTFS volume (manifest checks), the
# audit record is on the stick's data partition (read with mtools) and
# its chain verifies.  Needs root (scripts/mkdemo-disk) and `bootfix auto`.
. "$(dirname "$0")/lib.sh"

F291=C-00000291-00000000-00000032.sys

test_expect_success 'setup: a crashed Windows disk and a stick set to unattended' '
	"$TOP/scripts/mkdemo-disk" win.img &&
	dev=$(attach win.img) && ntfs_mount ${dev}p1 w &&
	sha256sum w/$CS_DIR/$F291 | cut -c1-64 > faulty.sha &&
	ntfs_umount w && losetup -d $dev &&
	stick_copy stick.img &&
	set_conf stick.img "mode = auto" "countdown = 0" "operator = ci" "site = qemu"
'

test_expect_success 'boots, fixes unattended and powers off by itself' '
	boot_start e2e --firmware uefi-sb --disk nvme:win.img stick.img &&
	wait_for e2e "bootfix: auto (fixed|nothing-to-fix|not-fixed)" &&
	grep -a "bootfix: auto fixed computer=DESKTOP-2KGM189" e2e.log &&
	wait_poweroff e2e 120
'

test_expect_success 'the faulty file is in quarantine on the NTFS volume, manifest checks' '
	dev=$(attach win.img) && echo $dev > .dev && ntfs_mount ${dev}p1 w &&
	test ! -e w/$CS_DIR/$F291 &&
	q=$(find w/bootfix-quarantine -name $F291) && test -n "$q" &&
	test "$(sha256sum < "$q" | cut -c1-64)" = "$(cat faulty.sha)" &&
	m=$(dirname "$(find w/bootfix-quarantine -name manifest.txt | head -n1)") &&
	(cd "$m" && sha256sum -c manifest.txt) &&
	test -e w/$CS_DIR/C-00000290-00000000-00000001.sys
'
ntfs_umount w 2>/dev/null; losetup -d "$(cat .dev 2>/dev/null)" 2>/dev/null

test_expect_success 'the audit record is on the data partition and its chain verifies' '
	mkdir data && mcopy -s -i "stick.img@@$DATA_OFFSET" ::/logs ::/quarantine data/ &&
	find data -type f | sort &&
	grep -r -l "DESKTOP-2KGM189" data/logs | grep -q . &&
	grep -r -q "$F291" data/logs &&
	find data/quarantine -name $F291 | grep -q . &&
	( for f in $(find data/logs -type f ! -name "*.head"); do
		"$BOOTFIX" log verify "$f" || exit 1
	done )
'
test_done
