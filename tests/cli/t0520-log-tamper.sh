#!/bin/bash
# log verify catches each way a log can be tampered with: one changed byte,
# a deleted record, records reordered, a file cut short (inside a line or
# at a line end), a line slipped in; it names the first bad line and why.
# (Forged signatures: t0560.)  Each fix here changes its volume, so it
# writes two records: a "begun" one before the first move (odd lines) and
# its final one (even lines); both are chained like any record.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys
LOG=data/logs/bootfix.jsonl

# a Windows volume with a faulty file, as a plain directory (--root)
machine() { rm -rf "$1" && windows_tree "$1" && channel_file "$1" $F291 "$FAULTY_TIME"; }

# copy the log and its head to t.jsonl, for one tampering
copy() { cp $LOG t.jsonl && cp $LOG.head t.jsonl.head; }

test_expect_success 'setup: four fixes, eight records (begun and final each)' '
	mkdir data &&
	for i in 1 2 3 4; do
		machine w$i && $BOOTFIX fix --root w$i --data data --site "site $i" \
			> fix$i.out 2>&1 || return 1
	done &&
	test $(wc -l < $LOG) = 8 &&
	python3 - <<-PY &&
	import json
	recs = [json.loads(l) for l in open("$LOG", "rb")]
	for i in range(0, 8, 2):
	    b, r = recs[i], recs[i + 1]
	    assert b["stage"] == "begun" and b["outcome"] == "interrupted", b
	    assert "stage" not in r and r["run"] == b["run"] and r["outcome"] == "fixed", r
	    assert (b["seq"], r["seq"]) == (i + 1, i + 2), (b, r)
	    assert b["site"] == r["site"] == "site %d" % (i // 2 + 1), (b, r)
	assert len({r["run"] for r in recs}) == 4, recs
	PY
	expect_exit 0 $BOOTFIX log verify $LOG > ok.out &&
	grep -Fx "$LOG: intact: 8 records" ok.out
'

test_expect_success 'one changed byte (in the final record of fix 2, or in its begun record)' '
	copy && sed -i "4s/site 2/site X/" t.jsonl &&
	expect_exit 1 $BOOTFIX log verify t.jsonl > v.out && cat v.out &&
	grep -Fx "t.jsonl: bad: line 5: chain broken: prev is not the sha256 of line 4 (line 4 was changed)" v.out &&
	copy && sed -i "3s/site 2/site X/" t.jsonl &&
	expect_exit 1 $BOOTFIX log verify t.jsonl > v.out && cat v.out &&
	grep -Fx "t.jsonl: bad: line 4: chain broken: prev is not the sha256 of line 3 (line 3 was changed)" v.out
'

test_expect_success 'one changed byte in the last record (the head file shows it)' '
	copy && sed -i "8s/site 4/site 5/" t.jsonl &&
	expect_exit 1 $BOOTFIX log verify t.jsonl > v.out && cat v.out &&
	grep -Fx "t.jsonl: bad: line 8: record 8 is not the one t.jsonl.head names (it was changed)" v.out
'

test_expect_success 'a deleted record' '
	copy && sed -i 2d t.jsonl &&
	expect_exit 1 $BOOTFIX log verify t.jsonl > v.out && cat v.out &&
	grep -Fx "t.jsonl: bad: line 2: record 3 follows record 1: 1 record deleted before it" v.out &&
	copy && sed -i 1d t.jsonl &&
	expect_exit 1 $BOOTFIX log verify t.jsonl > v.out && cat v.out &&
	grep -Fx "t.jsonl: bad: line 1: the log starts at record 2: 1 record deleted before it" v.out
'

test_expect_success 'reordered records' '
	copy && for n in 1 3 2 4 5 6 7 8; do sed -n ${n}p $LOG; done > t.jsonl &&
	expect_exit 1 $BOOTFIX log verify t.jsonl > v.out && cat v.out &&
	grep -Fx "t.jsonl: bad: line 2: records out of order: it follows line 3, not the line before it" v.out
'

test_expect_success 'a file cut short inside a line' '
	copy && truncate -s -100 t.jsonl &&
	expect_exit 1 $BOOTFIX log verify t.jsonl > v.out && cat v.out &&
	grep -F "t.jsonl: bad: line 8: incomplete last line" v.out
'

test_expect_success 'a file cut short at a line end (the last record removed)' '
	copy && head -n 7 $LOG > t.jsonl &&
	expect_exit 1 $BOOTFIX log verify t.jsonl > v.out && cat v.out &&
	grep -Fx "t.jsonl: bad: the file ends at record 7 but t.jsonl.head names record 8: records were cut off the end" v.out
'

test_expect_success 'a line slipped in, and a blank line' '
	copy && sed -i "2a {\"schema\":1,\"outcome\":\"fixed\"}" t.jsonl &&
	expect_exit 1 $BOOTFIX log verify t.jsonl > v.out && cat v.out &&
	grep -Fx "t.jsonl: bad: line 3: not a record: no seq or prev member" v.out &&
	copy && sed -i "2a\\\\" t.jsonl &&
	expect_exit 1 $BOOTFIX log verify t.jsonl > v.out && cat v.out &&
	grep -Fx "t.jsonl: bad: line 3: not a record: empty line" v.out
'

test_expect_success 'a record rebuilt with a fresh chain still fails against the head' '
	copy &&
	python3 - <<-PY &&
	import hashlib, json
	lines = open("t.jsonl", "rb").read().split(b"\n")[:-1]
	out, prev = [], "0" * 64
	for i, l in enumerate(lines):
	    r = json.loads(l)
	    if i == 1:	# the final record of fix 1
	        r["outcome"] = "nothing-to-fix"
	    r["prev"] = prev
	    b = json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode()
	    prev = hashlib.sha256(b).hexdigest()
	    out.append(b)
	open("t.jsonl", "wb").write(b"\n".join(out) + b"\n")
	PY
	expect_exit 1 $BOOTFIX log verify t.jsonl > v.out && cat v.out &&
	grep -F "t.jsonl: bad: line 8: record 8 is not the one t.jsonl.head names" v.out
'

test_expect_success 'without its head file a copy verifies, with a warning' '
	cp $LOG alone.jsonl &&
	expect_exit 0 $BOOTFIX log verify alone.jsonl > v.out && cat v.out &&
	grep -Fx "alone.jsonl: warning: no alone.jsonl.head: records cut off the end would not show" v.out
'

test_expect_success 'several files: each judged, exit 1 when any is bad' '
	copy && sed -i 2d t.jsonl &&
	expect_exit 1 $BOOTFIX log verify $LOG t.jsonl > v.out && cat v.out &&
	grep -Fx "$LOG: intact: 8 records" v.out &&
	grep -F "t.jsonl: bad: line 2:" v.out &&
	expect_exit 3 $BOOTFIX log verify missing.jsonl 2> m.err &&
	grep -F "bootfix: cannot open missing.jsonl" m.err
'

test_expect_success 'readers still show a damaged log, and say it does not verify' '
	copy && sed -i 2d t.jsonl &&
	$BOOTFIX log list t.jsonl > l.out 2> l.err && cat l.out l.err &&
	test $(wc -l < l.out) = 5 &&
	# the final record of fix 1 is gone: its begun record is shown, interrupted
	sed -n 2p l.out | grep -E "^1 +[0-9TZ:-]+ +.* +site 1 +fix +interrupted$" &&
	sed -n 3,5p l.out | awk "{ print \$1 }" | tr "\n" " " | grep -Fx "3 5 7 " &&
	grep -F "bootfix: warning: t.jsonl does not verify: line 2: record 3 follows record 1" l.err
'

test_done
