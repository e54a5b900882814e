#!/bin/bash
# A stick pulled while a record was written leaves half a line.  That never
# damages the records before it: the next fix appends after it, records the
# torn bytes (length and SHA-256) and chains to the last whole record; verify
# then warns about the torn line instead of failing.  Each fix here changes
# its volume, so it writes a "begun" record and then its final one; the
# next record after the torn bytes is the next fix's begun record.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys
LOG=data/logs/bootfix.jsonl

machine() { rm -rf "$1" && windows_tree "$1" && channel_file "$1" $F291 "$FAULTY_TIME"; }

test_expect_success 'setup: two fixes (four records), then half of a fifth (the stick was pulled)' '
	mkdir data &&
	machine w1 && $BOOTFIX fix --root w1 --data data > f1.out 2>&1 &&
	machine w2 && $BOOTFIX fix --root w2 --data data > f2.out 2>&1 &&
	test $(wc -l < $LOG) = 4 &&
	machine w3 && $BOOTFIX fix --root w3 --log third.jsonl > f3.out 2>&1 &&
	test $(head -n1 third.jsonl | wc -c) -gt 701 &&
	head -c 700 third.jsonl >> $LOG &&
	cp $LOG before.jsonl && test $(stat -c %s before.jsonl) -gt 700
'

test_expect_success 'verify calls the half line what it is' '
	expect_exit 1 $BOOTFIX log verify $LOG > v.out && cat v.out &&
	grep -F "$LOG: bad: line 5: incomplete last line (the file was cut short, or a write was interrupted" v.out
'

test_expect_success 'the next fix appends and keeps the torn bytes' '
	machine w4 &&
	expect_exit 0 $BOOTFIX fix --root w4 --data data > f4.out 2> f4.err && cat f4.err &&
	grep -Fx "bootfix: record 6 written to $LOG" f4.err &&
	size=$(stat -c %s before.jsonl) &&
	cmp -n $size before.jsonl $LOG &&
	test "$(tail -c +$((size + 1)) $LOG | head -c 1 | od -An -c | tr -d " ")" = "\n"
'

test_expect_success 'the next fix says it found the torn record' '
	cat f4.err &&
	grep -Fx "bootfix: warning: $LOG ended in 700 bytes of an interrupted record; kept as they are and noted in the new record" f4.err
'

test_expect_success 'the new (begun) record names the torn bytes and chains to the last whole record' '
	python3 - <<-PY
	import hashlib, json
	lines = open("$LOG", "rb").read().split(b"\n")
	assert len(lines) == 8 and lines[7] == b"", len(lines)
	b, r = json.loads(lines[5]), json.loads(lines[6])
	assert b["stage"] == "begun" and b["run"] == r["run"] and "stage" not in r, (b, r)
	t = b["recovered_torn_tail"]
	assert t == {"bytes": 700, "sha256": hashlib.sha256(lines[4]).hexdigest()}, t
	assert b["prev"] == hashlib.sha256(lines[3]).hexdigest() and b["seq"] == 5, b
	assert r["prev"] == hashlib.sha256(lines[5]).hexdigest() and r["seq"] == 6, r
	assert r["outcome"] == "fixed", r
	assert lines[4] == open("third.jsonl", "rb").read()[:700]
	PY
'

test_expect_success 'verify: intact, with a warning naming the torn line' '
	expect_exit 0 $BOOTFIX log verify $LOG > v.out && cat v.out &&
	grep -Fx "$LOG: warning: line 5: torn record (700 bytes of an interrupted write), recorded by line 6" v.out &&
	grep -Fx "$LOG: intact: 6 records" v.out
'

test_expect_success 'list skips the torn line (and the superseded begun lines); removing it afterwards is caught' '
	$BOOTFIX log list $LOG > l.out && cat l.out &&
	test "$(cut -d" " -f1 l.out | tr "\n" " ")" = "LINE 2 4 7 " &&
	sed 5d $LOG > cut.jsonl && cp $LOG.head cut.jsonl.head &&
	expect_exit 1 $BOOTFIX log verify cut.jsonl > c.out && cat c.out &&
	grep -F "cut.jsonl: bad: line 5: it recorded a torn tail before it that is no longer there" c.out
'

test_expect_success 'later appends go on normally' '
	machine w5 && $BOOTFIX fix --root w5 --data data > f5.out 2> f5.err &&
	! grep -F "interrupted" f5.err &&
	expect_exit 0 $BOOTFIX log verify $LOG > v.out && grep -Fx "$LOG: intact: 8 records" v.out
'

test_done
