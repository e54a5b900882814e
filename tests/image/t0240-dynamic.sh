#!/bin/bash
# A Windows dynamic disk in the image (issue 13): the kernel's own LDM
# partition parser (CONFIG_LDM_PARTITION) makes a partition for each LDM
# partition on the disk; bootfix must examine the simple volume once,
# through its extent, and refuse the mirror half.  A synthetic dynamic MBR
# disk (tests/tools/make-ldm.py) with Windows and the faulty file in its
# simple volume and in its mirror half, on NVMe; unattended: the simple
# volume is fixed, the mirror half keeps its faulty file, not one byte
# outside the simple volume changed, the record says both.
. "$(dirname "$0")/lib.sh"

F291=C-00000291-00000000-00000032.sys

# fill IMG OFF LEN LABEL [bare]: NTFS with Windows and the faulty file
fill() {
	local dev
	dev=$(losetup -f --show --offset "$2" --sizelimit "$3" "$1") &&
	ntfs_format $dev "$4" && ntfs_mount $dev w &&
	{ [ "${5:-}" = bare ] || windows_tree w; } &&
	channel_file w $F291 "$FAULTY_TIME" zero &&
	ntfs_umount w && losetup -d $dev
}


test_expect_success 'setup: a dynamic disk with a simple volume and a mirror half, each with the faulty file' '
	python3 "$TOP/tests/tools/make-ldm.py" dyn.img > layout && cat layout &&
	read -r n1 k1 off len < layout && test "$n1 $k1" = "Volume1 simple" &&
	sed -n 2p layout > layout2 && read -r n2 k2 moff mlen < layout2 &&
	test "$n2 $k2" = "Volume2 mirror" &&
	fill dyn.img $off $len Windows &&
	if [ "$moff" != 0 ]; then fill dyn.img $moff $mlen Mirror bare; fi &&
	outside_sha dyn.img $off $len > outside.sha &&
	stick_copy stick.img && stick_cmdline stick.img bootfix.debug=1 &&
	set_conf stick.img "mode = auto" "countdown = 0" "operator = ci" "site = qemu"
'

test_expect_success 'unattended: the simple volume fixed once, the mirror half refused' '
	boot_start dyn --firmware uefi --disk nvme:dyn.img stick.img &&
	wait_for dyn "bootfix: auto (fixed|nothing-to-fix|not-fixed|check)" &&
	wait_poweroff dyn 120 &&
	grep -a -m1 "bootfix: auto " dyn.log &&
	grep -a -q "dynamic disk: mirror volume: not supported" dyn.log
'

test_expect_success 'the faulty file of the simple volume is in quarantine; nothing outside it changed' '
	read -r n1 k1 off len < layout &&
	dev=$(losetup -f --show -r --offset $off --sizelimit $len dyn.img) && echo $dev > .dev &&
	mkdir -p w && ntfs-3g -o ro $dev w &&
	test ! -e w/$CS_DIR/$F291 && find w/bootfix-quarantine -name $F291 | grep -q . &&
	test "$(outside_sha dyn.img $off $len)" = "$(cat outside.sha)"
'
ntfs_umount w 2>/dev/null; losetup -d "$(cat .dev 2>/dev/null)" 2>/dev/null

test_expect_success 'the record: the simple volume fixed once, the mirror refused with its kind' '
	mkdir data && mcopy -s -i "stick.img@@$DATA_OFFSET" ::/logs data/ &&
	log=$(find data/logs -name "*.jsonl" | head -n1) &&
	tail -n1 "$log" | python3 -c "
import json, sys
vols = json.load(sys.stdin)[\"volumes\"]
simple = [v for v in vols if (v.get(\"dynamic\") or {}).get(\"kind\") == \"simple\"]
mirror = [v for v in vols if (v.get(\"dynamic\") or {}).get(\"kind\") == \"mirror\"]
assert len(simple) == 1 and simple[0][\"outcome\"] == \"fixed\", vols
assert mirror and all(v[\"outcome\"] == \"refused\" for v in mirror), vols
assert not [v for v in vols if v.get(\"windows\") and v not in simple and v not in mirror], vols
"
'
test_done
