#!/bin/bash
# A read-only or full log location: the fix is not reported as logged, the
# operator is told why, the record goes to the console instead, and the
# log already there is left byte for byte as it was.  The location is a
# small loop-mounted file system (FAT like a real stick where the kernel
# has it, else ext2 without reserved blocks).  A fix that is logged writes
# two records: a "begun" one before its first move, then its final one.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys

machine() { rm -rf "$1" && windows_tree "$1" && channel_file "$1" $F291 "$FAULTY_TIME"; }

# stick FILE DIR [ro] : a 1 MiB file system in FILE mounted on DIR
stick() {
	truncate -s 1M "$1" && mkdir -p "$2" &&
	if mkfs.vfat "$1" >/dev/null 2>&1 && mount -o loop${3:+,$3} "$1" "$2" 2>/dev/null; then
		:
	else
		mkfs.ext2 -q -F -m 0 "$1" && mount -o loop${3:+,$3} "$1" "$2"
	fi
}

# the record a failed log write printed on stderr
console_record() {
	python3 -c "
import json, sys
lines = [l for l in open(sys.argv[1]) if l.startswith('{')]
assert len(lines) == 1, lines
r = json.loads(lines[0])
assert r['outcome'] == 'fixed' and r['action'] == 'fix', r
assert r['volumes'][0]['computer_name'] == 'DESKTOP-2KGM189', r
assert r['volumes'][0]['findings'][0]['done'] is True, r
" "$1"
}

test_expect_success 'setup: a stick with a log of one fix (begun and final record)' '
	stick ro.img ro &&
	mkdir ro/logs && machine w0 &&
	$BOOTFIX fix --root w0 --log ro/logs/bootfix.jsonl > f0.out 2>&1 &&
	test $(wc -l < ro/logs/bootfix.jsonl) = 2 &&
	cp ro/logs/bootfix.jsonl before.jsonl &&
	umount ro && mount -o loop,ro ro.img ro
'

test_expect_success 'read-only: fixed, not logged, told why, the record on the console' '
	machine w1 &&
	expect_exit 0 $BOOTFIX fix --root w1 --log ro/logs/bootfix.jsonl > f1.out 2> f1.err &&
	cat f1.err &&
	grep -F "1 faulty file found, 1 quarantined" f1.out &&
	grep -Fx "bootfix: cannot write log ro/logs/bootfix.jsonl: read-only file system" f1.err &&
	! grep -F "written to" f1.err &&
	console_record f1.err &&
	cmp before.jsonl ro/logs/bootfix.jsonl
'

test_expect_success 'read-only data folder: same, for DATA/logs/bootfix.jsonl' '
	machine w2 &&
	$BOOTFIX fix --root w2 --data ro > f2.out 2> f2.err; cat f2.err &&
	grep -Fx "bootfix: cannot write log ro/logs/bootfix.jsonl: read-only file system" f2.err &&
	console_record f2.err &&
	cmp before.jsonl ro/logs/bootfix.jsonl &&
	umount ro
'

test_expect_success 'setup: a full stick with a log of two fixes (four records)' '
	stick full.img full &&
	mkdir full/logs && cp before.jsonl full/logs/bootfix.jsonl &&
	machine w3 && $BOOTFIX fix --root w3 --log full/logs/bootfix.jsonl > f3.out 2>&1 &&
	test $(wc -l < full/logs/bootfix.jsonl) = 4 &&
	cp full/logs/bootfix.jsonl before2.jsonl && cp full/logs/bootfix.jsonl.head before2.head &&
	{ dd if=/dev/zero of=full/filler bs=4k 2>/dev/null; true; } &&
	{ dd if=/dev/zero of=full/filler2 bs=512 2>/dev/null; true; } &&
	test "$(df --output=avail full | tail -n1 | tr -d " ")" = 0
'

test_expect_success 'full: fixed, not logged, told why, nothing half-written left behind' '
	machine w4 &&
	expect_exit 0 $BOOTFIX fix --root w4 --log full/logs/bootfix.jsonl > f4.out 2> f4.err &&
	cat f4.err &&
	grep -Fx "bootfix: cannot write log full/logs/bootfix.jsonl: no space left on device" f4.err &&
	! grep -F "written to" f4.err &&
	console_record f4.err &&
	cmp before2.jsonl full/logs/bootfix.jsonl &&
	cmp before2.head full/logs/bootfix.jsonl.head &&
	expect_exit 0 $BOOTFIX log verify full/logs/bootfix.jsonl
'

test_expect_success 'room again: the next fix is logged and the chain goes on' '
	rm full/filler full/filler2 && machine w5 &&
	expect_exit 0 $BOOTFIX fix --root w5 --log full/logs/bootfix.jsonl > f5.out 2> f5.err &&
	grep -Fx "bootfix: record 6 written to full/logs/bootfix.jsonl" f5.err &&
	$BOOTFIX log verify full/logs/bootfix.jsonl > v.out && cat v.out &&
	grep -Fx "full/logs/bootfix.jsonl: intact: 6 records" v.out &&
	tail -n2 full/logs/bootfix.jsonl | python3 -c "import json,sys; b, r = map(json.loads, sys.stdin)
assert (b[\"stage\"], b[\"seq\"], b[\"run\"]) == (\"begun\", 5, r[\"run\"]), b
assert \"stage\" not in r and (r[\"seq\"], r[\"outcome\"]) == (6, \"fixed\"), r" &&
	umount full
'

test_done
