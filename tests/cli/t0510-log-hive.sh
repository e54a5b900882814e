#!/bin/bash
# A SYSTEM hive hivex cannot open (regipy's corrupted hive) must not stop
# the fix nor the record: the record says why the computer name is missing.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys
LOG=data/logs/bootfix.jsonl

test_expect_success 'setup: Windows on NTFS with a damaged SYSTEM hive and a faulty file' '
	make_disk disk.img mbr 40 32 &&
	dev=$(attach disk.img) &&
	ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	xz -dc "$TESTDATA/hives/corrupted_system_hive.xz" > w/Windows/System32/config/SYSTEM &&
	channel_file w $F291 "$FAULTY_TIME" &&
	ntfs_umount w && losetup -d $dev && mkdir data
'

test_expect_success 'fix still quarantines, and the log is written' '
	expect_exit 0 $BOOTFIX fix --device disk.img --data data > fix.out 2> fix.err &&
	cat fix.out fix.err &&
	grep -F "1 faulty file found, 1 quarantined" fix.out &&
	grep -Fx "bootfix: record 2 written to $LOG" fix.err &&
	test $(wc -l < $LOG) = 2
'

test_expect_success 'the final record (after the begun one) has a note instead of a computer name' '
	python3 - <<-PY
	import json
	b, r = map(json.loads, open("$LOG", "rb").read().splitlines())
	assert b["stage"] == "begun" and b["run"] == r["run"] and "stage" not in r, (b, r)
	v = r["volumes"][0]
	assert v["windows"] is True and "computer_name" not in v, v
	assert v["identity_note"].startswith("cannot read SYSTEM hive"), v
	assert any(n.startswith(v["device"] + ": cannot read SYSTEM hive") for n in r["notes"]), r
	assert r["outcome"] == "fixed", r
	assert v["findings"][0]["done"] is True, v
	PY
'

test_expect_success 'the record still verifies and lists without a name' '
	expect_exit 0 $BOOTFIX log verify $LOG > verify.out &&
	grep -Fx "$LOG: intact: 2 records" verify.out &&
	$BOOTFIX log list $LOG > list.out && cat list.out &&
	test $(wc -l < list.out) = 2 &&
	sed -n 2p list.out | grep -E "^2 +[0-9TZ:-]+ +- +.*fixed$"
'

test_done
