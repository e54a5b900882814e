#!/bin/bash
# Junctions (NTFS mount points, reparse tag 0xA0000003) on a rule's path,
# made for real through ntfs-3g's system.ntfs_reparse_data.  One to another
# folder of the same volume is followed as Windows follows it: the faulty
# file behind it is found, quarantined where it really is, and restored.
# One to another drive cannot be followed: the verdict is unknown with the
# reason, and unattended mode leaves the machine NOT FIXED, saying why.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys

# junction DIR TARGET: make the empty folder DIR a junction to TARGET ("C:\x")
junction() {
	python3 - "$1" "$2" <<-'PY'
	import os, struct, sys
	path, target = sys.argv[1], sys.argv[2]
	sub = ("\\??\\" + target).encode("utf-16le")
	pr = target.encode("utf-16le")
	body = struct.pack("<HHHH", 0, len(sub), len(sub) + 2, len(pr)) + sub + b"\0\0" + pr + b"\0\0"
	os.mkdir(path)
	os.setxattr(path, "system.ntfs_reparse_data",
	            struct.pack("<IHH", 0xA0000003, len(body), 0) + body)
	PY
}

test_expect_success 'setup: CrowdStrike is a junction to C:\Elsewhere\CS holding a faulty file' '
	make_disk in.img gpt 40 32 && dev=$(attach in.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	mkdir -p w/Elsewhere/CS w/Windows/System32/drivers &&
	channel_file w/Elsewhere/CS/.. x "$FAULTY_TIME" 2>/dev/null; rm -rf w/Elsewhere/CS/x w/$CS_DIR &&
	head -c 41024 /dev/urandom > w/Elsewhere/CS/$F291 &&
	touch -d "$FAULTY_TIME" w/Elsewhere/CS/$F291 &&
	junction w/Windows/System32/drivers/CrowdStrike "C:\\Elsewhere\\CS" &&
	ntfs_umount w && ntfs_mount ${dev}p1 w &&
	readlink w/$CS_DIR && test -f w/$CS_DIR/$F291 &&
	ntfs_umount w && losetup -d $dev
'

test_expect_success 'scan follows the junction within the volume: faulty, at its real path' '
	expect_exit 1 $BOOTFIX scan --device in.img > s.out 2>&1 && cat s.out &&
	grep -F "faulty  Elsewhere\\CS\\$F291" s.out &&
	grep -q "1 faulty file found" s.out
'

test_expect_success 'fix quarantines it where it is; restore puts it back; the junction stays' '
	expect_exit 0 $BOOTFIX fix --device in.img > f.out 2>&1 && cat f.out &&
	dev=$(attach in.img) && ntfs-3g -o ro ${dev}p1 w &&
	test ! -e w/Elsewhere/CS/$F291 && test -L w/$CS_DIR &&
	test -f w/bootfix-quarantine/*/Elsewhere/CS/$F291 &&
	ntfs_umount w && losetup -d $dev &&
	expect_exit 0 $BOOTFIX restore --device in.img > r.out 2>&1 &&
	dev=$(attach in.img) && ntfs-3g -o ro ${dev}p1 w &&
	test -f w/Elsewhere/CS/$F291 && test -L w/$CS_DIR &&
	ntfs_umount w && losetup -d $dev
'

test_expect_success 'setup: CrowdStrike is a junction to another drive (D:\CS)' '
	make_disk out.img gpt 40 32 && dev=$(attach out.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && mkdir -p w/Windows/System32/drivers w/CS &&
	head -c 41024 /dev/zero > w/CS/$F291 &&
	junction w/Windows/System32/drivers/CrowdStrike "D:\\CS" &&
	ntfs_umount w && losetup -d $dev && mkdir data
'

test_expect_success 'scan: verdict unknown, with the reason; never "no faulty files"' '
	expect_exit 0 $BOOTFIX scan --device out.img > s2.out 2>&1 && cat s2.out &&
	grep -F "unknown Windows\\System32\\drivers\\CrowdStrike" s2.out &&
	grep -F "0 faulty files found; 1 needs a decision (verdict unknown: see why above)" s2.out &&
	grep -F "why: Windows\\System32\\drivers\\CrowdStrike is a junction to \\??\\D:\\CS, outside this volume (C:)" s2.out &&
	expect_exit 0 $BOOTFIX scan --json --device out.img > s2.json &&
	python3 -c "
import json; j = json.load(open(\"s2.json\"))
f = j[\"volumes\"][0][\"findings\"]
assert len(f) == 1 and f[0][\"verdict\"] == \"unknown\" and \"outside this volume\" in f[0][\"why\"], f"
'

test_expect_success 'unattended: NOT FIXED, saying why; nothing changed' '
	before=$(image_sha out.img) &&
	expect_exit 1 $BOOTFIX auto --device out.img --data data > a.out 2>&1 && cat a.out &&
	grep -F "NOT FIXED: " a.out | grep -F "junction to \\??\\D:\\CS, outside this volume" &&
	test "$(image_sha out.img)" = "$before"
'

test_done
