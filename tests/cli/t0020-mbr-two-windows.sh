#!/bin/bash
# An MBR disk with two Windows installs: glob matching on every channel 291
# name, the 05:27 file left alone, zero-filled files, mixed-case folders.
. "$(dirname "$0")/../lib.sh"

test_expect_success 'setup: MBR disk, two Windows installs, one data volume' '
	make_disk disk.img mbr 100 30 30 30 &&
	dev=$(attach disk.img) &&
	ntfs_format ${dev}p1 OS1 && ntfs_format ${dev}p2 OS2 && ntfs_format ${dev}p3 Data &&
	ntfs_mount ${dev}p1 a && windows_tree a &&
	channel_file a C-00000291-00000000-00000029.sys "$FAULTY_TIME" &&
	channel_file a C-00000291-00000000-00000039.sys "2024-07-19 05:26:59 UTC" &&
	channel_file a C-00000291-00000000-00000044.sys "$FIXED_TIME" &&
	channel_file a C-00000291-00000000-00000045.sys "2024-07-19 04:08:59 UTC" &&
	channel_file a C-00000291-00000000-00000050.sys "2024-07-20 10:00:00 UTC" zero 40960 &&
	channel_file a C-00000290-00000000-00000001.sys "$FAULTY_TIME" zero &&
	ntfs_umount a &&
	ntfs_mount ${dev}p2 b && windows_tree b WINDOWS/system32 &&
	mkdir -p b/WINDOWS/system32/DRIVERS/crowdstrike &&
	head -c 5000 /dev/urandom > b/WINDOWS/system32/DRIVERS/crowdstrike/c-00000291-00000000-00000032.SYS &&
	touch -d "2024-07-19 04:30 UTC" b/WINDOWS/system32/DRIVERS/crowdstrike/c-00000291-00000000-00000032.SYS &&
	ntfs_umount b &&
	losetup -d $dev
'

test_expect_success 'scan: verdicts per file, both installs' '
	expect_exit 1 $BOOTFIX scan --device disk.img --json > scan.json &&
	python3 - <<-"PY"
	import json
	d = json.load(open("scan.json"))
	v = d["volumes"]
	assert [x["windows"] for x in v] == [True, True, False], v
	got = {f["path"].split("\\")[-1]: (f["verdict"], f["rule"]) for f in v[0]["findings"]}
	assert got == {
	    "C-00000291-00000000-00000029.sys": ("faulty", "cs-291-faulty"),
	    "C-00000291-00000000-00000039.sys": ("faulty", "cs-291-faulty"),
	    "C-00000291-00000000-00000044.sys": ("good", "cs-291-fixed"),
	    "C-00000291-00000000-00000045.sys": ("unknown", None),	# no rule decides: named on none
	    "C-00000291-00000000-00000050.sys": ("faulty", "cs-291-zero"),
	}, got
	why = {f["path"].split("\\")[-1]: f.get("why") for f in v[0]["findings"]}
	assert why["C-00000291-00000000-00000045.sys"] == "no rule decides a file dated 2024-07-19", why
	f = v[1]["findings"]
	assert len(f) == 1 and f[0]["verdict"] == "faulty", f
	assert f[0]["path"] == "WINDOWS\\system32\\DRIVERS\\crowdstrike\\c-00000291-00000000-00000032.SYS", f
	assert v[0]["computer_name"] == v[1]["computer_name"] == "DESKTOP-2KGM189"
	PY
'

test_expect_success 'fix moves the four faulty files on both installs, leaves the rest' '
	expect_exit 0 $BOOTFIX fix --device disk.img > fix.out &&
	cat fix.out &&
	grep -F "4 faulty files found, 4 quarantined" fix.out &&
	dev=$(attach disk.img) && mkdir -p m &&
	ntfs-3g -o ro ${dev}p1 m &&
	ls m/$CS_DIR > left.a && ntfs_umount m &&
	ntfs-3g -o ro ${dev}p2 m &&
	find m/bootfix-quarantine -type f -name "*.SYS" | grep -F WINDOWS/system32/DRIVERS/crowdstrike &&
	test -z "$(ls m/WINDOWS/system32/DRIVERS/crowdstrike)" &&
	ntfs_umount m && losetup -d $dev &&
	printf "%s\n" C-00000290-00000000-00000001.sys C-00000291-00000000-00000044.sys \
		C-00000291-00000000-00000045.sys > want.a &&
	diff want.a left.a
'

test_expect_success 'restore puts both installs back' '
	expect_exit 0 $BOOTFIX restore --device disk.img > restore.out &&
	test "$(grep -c -- "-> restored" restore.out)" = 4
'

test_done
