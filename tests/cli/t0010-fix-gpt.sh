#!/bin/bash
# The main job on a GPT disk: find the faulty channel file, quarantine it,
# leave every other byte of every file alone, restore it bit-exact.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys

test_expect_success 'setup: GPT disk, Windows with a faulty channel file, a data volume' '
	make_disk disk.img gpt 72 32 32 &&
	dev=$(attach disk.img) &&
	ntfs_format ${dev}p1 Windows && ntfs_format ${dev}p2 Data &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	channel_file w $F291 "$FAULTY_TIME" &&
	channel_file w C-00000290-00000000-00000001.sys "$FAULTY_TIME" &&
	sha256sum w/$CS_DIR/$F291 | cut -c1-64 > faulty.sha &&
	ntfs_umount w &&
	ntfs_mount ${dev}p2 d && mkdir -p d/$CS_DIR && echo data > d/readme.txt &&
	channel_file d $F291 "$FAULTY_TIME" && ntfs_umount d &&
	losetup -d $dev &&
	image_sha disk.img > before.sha
'

test_expect_success 'scan finds the faulty file, exit 1, image unchanged' '
	expect_exit 1 $BOOTFIX scan --device disk.img > scan.out &&
	cat scan.out &&
	grep -F "faulty  Windows\\System32\\drivers\\CrowdStrike\\$F291" scan.out &&
	grep -F "DESKTOP-2KGM189" scan.out &&
	grep -F "1 faulty file found" scan.out &&
	test "$(image_sha disk.img)" = "$(cat before.sha)"
'

test_expect_success 'scan --json names device, windows, finding fields' '
	expect_exit 1 $BOOTFIX scan --device disk.img --json > scan.json &&
	python3 - <<-PY
	import json
	d = json.load(open("scan.json"))
	v = d["volumes"]
	assert len(v) == 2, v
	w = [x for x in v if x["windows"]]
	assert len(w) == 1 and w[0]["computer_name"] == "DESKTOP-2KGM189", w
	f = w[0]["findings"]
	assert len(f) == 1, f
	f = f[0]
	assert f["path"] == "Windows\\\\System32\\\\drivers\\\\CrowdStrike\\\\$F291", f["path"]
	assert f["verdict"] == "faulty" and f["rule"] == "cs-291-faulty", f
	assert f["mtime"] == "2024-07-19T04:09:00Z", f
	assert f["size"] == 41024 and f["sha256"] == open("faulty.sha").read().strip(), f
	assert [x for x in v if not x["windows"]][0]["findings"] == []
	PY
'

test_expect_success 'fix --dry-run changes nothing' '
	expect_exit 1 $BOOTFIX fix --device disk.img --dry-run > dry.out &&
	grep -F "would be quarantined" dry.out &&
	test "$(image_sha disk.img)" = "$(cat before.sha)"
'

test_expect_success 'listing before the fix' '
	dev=$(attach disk.img) && mkdir -p w &&
	ntfs-3g -o ro ${dev}p1 w && listing w > list.before && ntfs_umount w &&
	ntfs-3g -o ro ${dev}p2 w && listing w > list2.before && ntfs_umount w &&
	losetup -d $dev
'

test_expect_success 'fix quarantines it, exit 0' '
	mkdir -p data &&
	expect_exit 0 $BOOTFIX fix --device disk.img --data data --json > fix.json &&
	python3 - <<-PY
	import json
	d = json.load(open("fix.json"))
	f = [x for x in d["volumes"] if x["windows"]][0]["findings"][0]
	assert f["action"] == "quarantine" and f["result"] == "quarantined" and f["done"], f
	assert f["moved_to"].startswith("\\\\bootfix-quarantine\\\\"), f
	PY
'

test_expect_success 'after the fix only the faulty file moved; manifest checks with sha256sum -c' '
	dev=$(attach disk.img) && mkdir -p w &&
	ntfs-3g -o ro ${dev}p1 w && listing w > list.after &&
	q=$(ls -d w/bootfix-quarantine/*) &&
	(cd $q && sha256sum -c manifest.txt) &&
	grep -F "# file Windows\\System32\\drivers\\CrowdStrike\\$F291" $q/manifest.txt &&
	grep -F "# attributes 0x" $q/manifest.txt &&
	ntfs_umount w &&
	ntfs-3g -o ro ${dev}p2 w && listing w > list2.after && ntfs_umount w &&
	losetup -d $dev &&
	grep -v "^./bootfix-quarantine/" list.after > list.after.rest &&
	grep -v -F "$F291" list.before > list.before.rest &&
	diff list.before.rest list.after.rest &&
	grep -F "./bootfix-quarantine/" list.after | grep -F "$F291" | grep -F "$(cat faulty.sha)" &&
	grep -F "2024-07-19 04:09:00" list.after | grep -F bootfix-quarantine &&
	diff list2.before list2.after
'

test_expect_success 'a copy and the manifest are on the data folder' '
	c=$(find data/quarantine -name $F291) && test -n "$c" &&
	test "$(sha256sum < $c | cut -c1-64)" = "$(cat faulty.sha)" &&
	find data/quarantine -name manifest.txt | grep -q DESKTOP-2KGM189
'

test_expect_success 'scan after the fix: nothing faulty, exit 0' '
	expect_exit 0 $BOOTFIX scan --device disk.img > scan2.out &&
	grep -F "0 faulty files found" scan2.out
'

test_expect_success 'restore puts it back bit-exact with its time' '
	expect_exit 0 $BOOTFIX restore --device disk.img > restore.out &&
	cat restore.out && grep -F "restored" restore.out &&
	dev=$(attach disk.img) && mkdir -p w &&
	ntfs-3g -o ro ${dev}p1 w && listing w | grep -v "^./bootfix-quarantine/" > list.restored &&
	ntfs_umount w && losetup -d $dev &&
	diff list.before list.restored
'

test_expect_success 'restore twice is safe' '
	expect_exit 0 $BOOTFIX restore --device disk.img > restore2.out &&
	grep -F "already in place" restore2.out
'

test_done
