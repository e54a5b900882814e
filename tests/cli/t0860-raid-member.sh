#!/bin/bash
# A disk that is one member of an Intel RST RAID volume (IMSM metadata), or
# a Windows dynamic disk, is never fixed as a plain disk: a fix through one
# mirror changes it behind the back of Intel's driver.  The members are the
# real pair in tests/data (made by tests/tools/make-imsm.sh); each alone is
# refused by scan and fix, by image file, by whole loop device and by
# partition, and nothing on it changes.  A dynamic disk made by sfdisk alone
# has no LDM database: refused with that cause (t0865 has a real one).
. "$(dirname "$0")/../lib.sh"

LOG=data/logs/bootfix.jsonl
IMSM='member of an Intel RAID volume (IMSM): not fixed through one disk'

test_expect_success 'setup: the two members of the RAID 1 pair, a dynamic MBR disk, a dynamic GPT disk' '
	xz -dc "$TESTDATA/imsm-raid1-a.img.xz" > a.img &&
	xz -dc "$TESTDATA/imsm-raid1-b.img.xz" > b.img &&
	blkid -p -o value -s TYPE a.img > a.type && test "$(cat a.type)" = isw_raid_member &&
	image_sha a.img > a.sha && image_sha b.img > b.sha &&
	make_disk dyn.img mbr 40 32 && dev=$(attach dyn.img) &&
	ntfs_format ${dev}p1 Windows && ntfs_mount ${dev}p1 w && windows_tree w &&
	channel_file w C-00000291-00000000-00000032.sys "$FAULTY_TIME" zero &&
	ntfs_umount w && losetup -d $dev &&
	sfdisk -q --part-type dyn.img 1 42 && image_sha dyn.img > dyn.sha &&
	truncate -s 40M gptdyn.img &&
	printf "label: gpt\nsize=1MiB, type=5808C8AA-7E8F-42E0-85D2-E1E90434CFB3\nsize=30MiB, type=AF9B60A0-1431-4F62-BC68-3311714A69AD\n" |
		sfdisk -q gptdyn.img &&
	mkdir -p data
'

test_expect_success 'scan of one member: not examined, said why, exit 1, nothing changed' '
	expect_exit 1 $BOOTFIX scan --device a.img > scan.out 2> scan.err &&
	cat scan.out &&
	grep -E "^/dev/loop[0-9]+p1  ntfs  32.0 MiB  not examined$" scan.out &&
	sed -E "s/loop[0-9]+/loopN/g" scan.out > scan.norm &&
	grep -Fx "  loopN: $IMSM" scan.norm &&
	grep -Fx "1 volume on a RAID member or dynamic disk not examined (see above)" scan.out &&
	! grep -F "no Windows" scan.out &&
	test "$(image_sha a.img)" = "$(cat a.sha)"
'

test_expect_success 'fix of the other member: refused, the record says imsm, nothing changed' '
	expect_exit 1 $BOOTFIX fix --device b.img --data data > fix.out 2> fix.err &&
	cat fix.out &&
	sed -E "s/loop[0-9]+/loopN/g" fix.out > fix.norm &&
	grep -Fx "  refused: loopN: $IMSM" fix.norm &&
	test "$(image_sha b.img)" = "$(cat b.sha)" &&
	python3 - <<-PY
	import json
	rec = json.loads(open("$LOG").read().splitlines()[-1])
	assert rec["outcome"] == "refused", rec
	v = rec["volumes"]
	assert len(v) == 1 and v[0]["member"] == "imsm" and v[0]["outcome"] == "refused", v
	assert v[0]["reason"].endswith(": $IMSM"), v
	assert v[0]["findings"] == [] and "quarantine" not in v[0], v
	PY
'

test_expect_success 'restore and a dry-run fix of a member: refused too, nothing changed' '
	expect_exit 1 $BOOTFIX restore --device a.img --data data > restore.out 2>&1 &&
	sed -E "s/loop[0-9]+/loopN/g" restore.out > restore.norm && cat restore.norm &&
	grep -Fx "  refused: loopN: $IMSM" restore.norm &&
	expect_exit 1 $BOOTFIX fix --dry-run --device a.img --data data > dry.out 2>&1 &&
	sed -E "s/loop[0-9]+/loopN/g" dry.out | grep -Fx "  refused: loopN: $IMSM" &&
	test "$(image_sha a.img)" = "$(cat a.sha)"
'

test_expect_success 'a member as a loop device, whole or one partition: refused' '
	dev=$(attach a.img) && echo $dev > dev &&
	expect_exit 1 $BOOTFIX fix --device $dev --data data > whole.out 2>&1 &&
	grep -Fx "  refused: ${dev#/dev/}: $IMSM" whole.out &&
	expect_exit 1 $BOOTFIX fix --device ${dev}p1 --data data > part.out 2>&1 &&
	grep -Fx "  refused: ${dev#/dev/}: $IMSM" part.out &&
	expect_exit 1 $BOOTFIX fix --device $dev --json --data data > fix.json 2>/dev/null &&
	python3 -c "import json, sys; v = json.load(open(sys.argv[1]))[\"volumes\"]; assert v[0][\"member\"] == \"imsm\", v" fix.json &&
	losetup -d $dev &&
	test "$(image_sha a.img)" = "$(cat a.sha)"
'

test_expect_success 'a member of a DDF RAID 1 (the real pair in tests/data): refused, nothing changed' '
	xz -dc "$TESTDATA/ddf-raid1-b.img.xz" > ddf.img && image_sha ddf.img > ddf.sha &&
	test "$(blkid -p -o value -s TYPE ddf.img)" = ddf_raid_member &&
	expect_exit 1 $BOOTFIX fix --device ddf.img --data data > ddf.out 2>&1 &&
	sed -E "s/loop[0-9]+/loopN/g" ddf.out > ddf.norm && cat ddf.norm &&
	grep -Fx "  refused: loopN: member of a RAID volume (DDF): not fixed through one disk" ddf.norm &&
	test "$(image_sha ddf.img)" = "$(cat ddf.sha)"
'

test_expect_success 'a dynamic disk (MBR type 0x42) without an LDM database, NTFS and a faulty file in it: not supported, nothing changed' '
	expect_exit 1 $BOOTFIX fix --device dyn.img --data data > dyn.out 2>&1 &&
	cat dyn.out &&
	grep -E "^  refused: loop[0-9]+: dynamic disk: not supported: cannot read the LDM database of /dev/loop[0-9]+: no PRIVHEAD in sector 6$" dyn.out &&
	grep -Fx "0 faulty files found, 0 quarantined" dyn.out &&
	test "$(image_sha dyn.img)" = "$(cat dyn.sha)"
'

test_expect_success 'a dynamic GPT disk with no volume found still shows a row' '
	expect_exit 1 $BOOTFIX scan --device gptdyn.img > gdyn.out 2>&1 &&
	cat gdyn.out &&
	grep -E "^/dev/loop[0-9]+  not examined$" gdyn.out &&
	grep -E "^  loop[0-9]+: dynamic disk: not supported: cannot read the LDM database of /dev/loop[0-9]+: no PRIVHEAD in sector 4095$" gdyn.out &&
	! grep -F "no NTFS or BitLocker volume found" gdyn.out
'

test_done
