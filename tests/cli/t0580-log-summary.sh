#!/bin/bash
# log summary (counts by outcome, site and day), log keys-used (BitLocker
# key IDs to rotate) and log show --serial.  The records are made from a
# real one the way docs/log.md describes the chain, with machines, days and
# BitLocker keys set: that also shows the format is enough to write a log.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys

test_expect_success 'setup: a real record as template, five records made from it' '
	rm -rf w && windows_tree w && channel_file w $F291 "$FAULTY_TIME" &&
	$BOOTFIX fix --root w --log real.jsonl > f.out 2>&1 &&
	python3 - <<-PY
	import hashlib, json
	t = json.loads(open("real.jsonl", "rb").readline())
	recs = [
	    ("2024-07-19T08:00:00Z", "Ward A", "fixed", "S1", [("/dev/sda3", "K-1", "keys/a.csv")]),
	    ("2024-07-19T09:00:00Z", "Ward A", "refused", "S2", []),
	    ("2024-07-20T10:00:00Z", "Ward B", "fixed", "S3",
	     [("/dev/nvme0n1p3", "K-2", "typed by the operator"), ("/dev/sdb1", "K-3", "keys/b.BEK")]),
	    ("2024-07-20T11:00:00Z", None, "failed", "S1", []),
	    ("2024-07-21T07:30:00Z", "Ward B", "fixed", "S4", [("/dev/sda3", "K-1", "keys/a.csv")]),
	]
	out, prev = [], "0" * 64
	for i, (time, site, outcome, serial, keys) in enumerate(recs):
	    r = dict(t)
	    r["time"], r["outcome"], r["seq"], r["prev"] = time, outcome, i + 1, prev
	    r.pop("site", None)
	    if site:
	        r["site"] = site
	    r["machine"] = {"product_serial": serial, "nics": [], "disks": []}
	    r["bitlocker"] = [{"device": d, "key_id": k, "source": s} for d, k, s in keys]
	    b = json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode()
	    prev = hashlib.sha256(b).hexdigest()
	    out.append(b)
	open("made.jsonl", "wb").write(b"\n".join(out) + b"\n")
	head = {"schema": 1, "log": hashlib.sha256(out[0]).hexdigest(), "seq": 5, "sha256": prev}
	open("made.jsonl.head", "w").write(json.dumps(head) + "\n")
	PY
	expect_exit 0 $BOOTFIX log verify made.jsonl
'

test_expect_success 'summary counts by outcome, site and day' '
	expect_exit 0 $BOOTFIX log summary made.jsonl > s.out && cat s.out &&
	cat > s.want <<-EOF &&
	records   5
	machines  4
	action
	  fix      5
	  restore  0
	outcome
	  fixed           3
	  restored        0
	  left            0
	  nothing-to-fix  0
	  refused         1
	  failed          1
	site
	  Ward A  2
	  Ward B  2
	  (none)  1
	day
	  2024-07-19  2
	  2024-07-20  2
	  2024-07-21  1
	EOF
	diff s.want s.out
'

test_expect_success 'summary over several logs adds them up' '
	$BOOTFIX log summary made.jsonl real.jsonl > s2.out && cat s2.out &&
	grep -Fx "records   6" s2.out && grep -E "^  fixed +4$" s2.out
'

test_expect_success 'keys-used lists each BitLocker key ID with where it was used' '
	expect_exit 0 $BOOTFIX log keys-used made.jsonl > k.out && cat k.out &&
	head -n1 k.out | grep -E "^KEY ID +TIME +COMPUTER +SERIAL +DEVICE +SOURCE +LINE$" &&
	test $(wc -l < k.out) = 5 &&
	grep -E "^K-1 +2024-07-19T08:00:00Z +DESKTOP-2KGM189 +S1 +/dev/sda3 +keys/a.csv +1$" k.out &&
	grep -E "^K-2 +2024-07-20T10:00:00Z +DESKTOP-2KGM189 +S3 +/dev/nvme0n1p3 +typed by the operator +3$" k.out &&
	grep -E "^K-3 .* S3 +/dev/sdb1 +keys/b.BEK +3$" k.out &&
	grep -E "^K-1 .* S4 .* 5$" k.out
'

test_expect_success 'keys-used on a log without BitLocker says so' '
	expect_exit 0 $BOOTFIX log keys-used real.jsonl > k2.out 2> k2.err &&
	test ! -s k2.out &&
	grep -Fx "bootfix: no BitLocker key was used in real.jsonl" k2.err
'

test_expect_success 'show --serial finds every record of one machine' '
	expect_exit 0 $BOOTFIX log show --serial s1 made.jsonl > sh.out &&
	python3 - <<-PY &&
	import json
	dec, text, recs = json.JSONDecoder(), open("sh.out").read(), []
	i = 0
	while text[i:].strip():
	    while text[i].isspace():
	        i += 1
	    r, i = dec.raw_decode(text, i)
	    recs.append(r)
	assert [r["seq"] for r in recs] == [1, 4], recs
	PY
	expect_exit 1 $BOOTFIX log show --serial NOPE made.jsonl 2> e.out &&
	grep -Fx "bootfix: no record with serial '"'"'NOPE'"'"'" e.out &&
	expect_exit 1 $BOOTFIX log show made.jsonl 9 2> e2.out &&
	grep -Fx "bootfix: made.jsonl has no line 9 (it has 5)" e2.out &&
	expect_exit 2 $BOOTFIX log show made.jsonl &&
	expect_exit 2 $BOOTFIX log nonsense
'

test_done
