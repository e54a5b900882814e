#!/bin/bash
# A stick pulled while a record was written leaves half a line.  That never
# damages the records before it: the next fix appends after it, records the
# torn bytes (length and SHA-256) and chains to the last whole record; verify
# then warns about the torn line instead of failing.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys
LOG=data/logs/bootfix.jsonl

machine() { rm -rf "$1" && windows_tree "$1" && channel_file "$1" $F291 "$FAULTY_TIME"; }

test_expect_success 'setup: two records, then half of a third (the stick was pulled)' '
	mkdir data &&
	machine w1 && $BOOTFIX fix --root w1 --data data > f1.out 2>&1 &&
	machine w2 && $BOOTFIX fix --root w2 --data data > f2.out 2>&1 &&
	machine w3 && $BOOTFIX fix --root w3 --log third.jsonl > f3.out 2>&1 &&
	head -c 700 third.jsonl >> $LOG &&
	cp $LOG before.jsonl && test $(stat -c %s before.jsonl) -gt 700
'

test_expect_success 'verify calls the half line what it is' '
	expect_exit 1 $BOOTFIX log verify $LOG > v.out && cat v.out &&
	grep -F "$LOG: bad: line 3: incomplete last line (the file was cut short, or a write was interrupted" v.out
'

test_expect_success 'the next fix appends, says it found the torn record, and keeps it' '
	machine w4 &&
	expect_exit 0 $BOOTFIX fix --root w4 --data data > f4.out 2> f4.err && cat f4.err &&
	grep -Fx "bootfix: warning: $LOG ended in 700 bytes of an interrupted record; kept as they are and noted in the new record" f4.err &&
	grep -Fx "bootfix: log written to $LOG" f4.err &&
	size=$(stat -c %s before.jsonl) &&
	cmp -n $size before.jsonl $LOG &&
	test "$(tail -c +$((size + 1)) $LOG | head -c 1 | od -An -c | tr -d " ")" = "\n"
'

test_expect_success 'the new record names the torn bytes and chains to the last whole record' '
	python3 - <<-PY
	import hashlib, json
	lines = open("$LOG", "rb").read().split(b"\n")
	assert len(lines) == 5 and lines[4] == b"", len(lines)
	r = json.loads(lines[3])
	t = r["recovered_torn_tail"]
	assert t == {"bytes": 700, "sha256": hashlib.sha256(lines[2]).hexdigest()}, t
	assert r["prev"] == hashlib.sha256(lines[1]).hexdigest() and r["seq"] == 3, r
	assert lines[2] == open("third.jsonl", "rb").read()[:700]
	PY
'

test_expect_success 'verify: intact, with a warning naming the torn line' '
	expect_exit 0 $BOOTFIX log verify $LOG > v.out && cat v.out &&
	grep -Fx "$LOG: warning: line 3: torn record (700 bytes of an interrupted write), recorded by line 4" v.out &&
	grep -Fx "$LOG: intact: 3 records" v.out
'

test_expect_success 'list skips the torn line; removing it afterwards is caught' '
	$BOOTFIX log list $LOG > l.out && cat l.out &&
	test "$(cut -d" " -f1 l.out | tr "\n" " ")" = "LINE 1 2 4 " &&
	sed 3d $LOG > cut.jsonl && cp $LOG.head cut.jsonl.head &&
	expect_exit 1 $BOOTFIX log verify cut.jsonl > c.out && cat c.out &&
	grep -F "cut.jsonl: bad: line 3: it recorded a torn tail before it that is no longer there" c.out
'

test_expect_success 'later appends go on normally' '
	machine w5 && $BOOTFIX fix --root w5 --data data > f5.out 2> f5.err &&
	! grep -F "interrupted" f5.err &&
	expect_exit 0 $BOOTFIX log verify $LOG > v.out && grep -Fx "$LOG: intact: 4 records" v.out
'

test_done
