#!/bin/bash
# log merge: the logs of several sticks into one log that verifies on its
# own, each line holding an original record byte for byte with where it came
# from (log, file, line, seq, sha256), so any merged line leads back to its
# stick and its signature can still be checked.  Each fix here moves a
# file, so it leaves two records on its stick: "begun", then its final one.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys

machine() { rm -rf "$1" && windows_tree "$1" && channel_file "$1" $F291 "$FAULTY_TIME"; }

test_expect_success 'setup: two sticks with one signing key, two fixes (four records) each' '
	openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null &&
	openssl pkey -in key.pem -pubout -out pub.pem &&
	for s in a b; do
		mkdir -p stick-$s/keys && cp key.pem stick-$s/keys/log-signing.pem &&
		for i in 1 2; do
			machine w && $BOOTFIX fix --root w --data stick-$s --site "site $s" \
				> f.out 2>&1 || return 1
		done
	done &&
	cp stick-a/logs/bootfix.jsonl a.jsonl && cp stick-a/logs/bootfix.jsonl.head a.jsonl.head &&
	cp stick-b/logs/bootfix.jsonl b.jsonl && cp stick-b/logs/bootfix.jsonl.head b.jsonl.head &&
	test $(wc -l < a.jsonl) = 4 && test $(wc -l < b.jsonl) = 4 &&
	test $(grep -c "\"stage\":\"begun\"" a.jsonl) = 2 &&
	test $(grep -c "\"stage\":\"begun\"" b.jsonl) = 2
'

test_expect_success 'merge: one log of eight records that verifies, with signatures' '
	expect_exit 0 $BOOTFIX log merge -o merged.jsonl a.jsonl b.jsonl > m.out && cat m.out &&
	grep -Fx "merged.jsonl: 8 records from 2 logs" m.out &&
	test -s merged.jsonl.head &&
	expect_exit 0 $BOOTFIX log verify merged.jsonl > v.out && cat v.out &&
	grep -Fx "merged.jsonl: intact: 8 records" v.out &&
	expect_exit 0 $BOOTFIX log verify --pubkey pub.pem merged.jsonl > v.out && cat v.out &&
	grep -Fx "merged.jsonl: intact: 8 records, signatures good" v.out
'

test_expect_success 'every merged line leads back to its stick, byte for byte, in time order' '
	python3 - <<-PY
	import hashlib, json
	times, runs = [], []
	for l in open("merged.jsonl", "rb").read().split(b"\n")[:-1]:
	    m = json.loads(l)
	    assert m["kind"] == "merged", m
	    s = m["source"]
	    src = open(s["file"], "rb").read().split(b"\n")
	    orig = src[s["line"] - 1]
	    assert m["record"].encode() == orig, s
	    assert s["sha256"] == hashlib.sha256(orig).hexdigest(), s
	    assert s["log"] == hashlib.sha256(src[0]).hexdigest(), s
	    assert s["seq"] == json.loads(orig)["seq"], s
	    times.append(json.loads(orig)["time"])
	    runs.append((json.loads(orig)["run"], json.loads(orig).get("stage")))
	assert times == sorted(times), times
	# every begun record is there with its final record after it
	assert len(runs) == 8 and len({r for r, _ in runs}) == 4, runs
	for i, (run, stage) in enumerate(runs):
	    if stage == "begun":
	        assert (run, None) in runs[i + 1:], runs
	assert sum(1 for _, st in runs if st == "begun") == 4, runs
	PY
'

test_expect_success 'list, show and export read through the merge' '
	$BOOTFIX log list merged.jsonl > l.out && cat l.out &&
	test $(grep -c "DESKTOP-2KGM189" l.out) = 4 &&
	test $(grep -c "site a" l.out) = 2 &&
	test "$(cut -d" " -f1 l.out | tr "\n" " ")" = "LINE 2 4 6 8 " &&
	$BOOTFIX log show merged.jsonl 3 > s.out &&
	python3 -c "import json; d = json.load(open(\"s.out\"));
assert set(d) == {\"source\", \"record\"} and d[\"record\"][\"schema\"] == 1, d" &&
	$BOOTFIX log export --csv merged.jsonl > m.csv &&
	python3 -c "import csv
rows = list(csv.DictReader(open(\"m.csv\", encoding=\"utf-8-sig\", newline=\"\")))
assert sorted((r[\"source_file\"], r[\"source_line\"]) for r in rows) == \
	[(\"a.jsonl\", \"2\"), (\"a.jsonl\", \"4\"), (\"b.jsonl\", \"2\"), (\"b.jsonl\", \"4\")], rows"
'

test_expect_success 'a record changed inside the merged log' '
	sed "2s/site [ab]/site X/" merged.jsonl > t.jsonl && cp merged.jsonl.head t.jsonl.head &&
	expect_exit 1 $BOOTFIX log verify t.jsonl > v.out && cat v.out &&
	grep -F "t.jsonl: bad: line 2: the record from" v.out &&
	python3 - <<-PY &&
	import json
	lines = open("merged.jsonl", "rb").read().split(b"\n")[:-1]
	m = json.loads(lines[-1])
	m["record"] = m["record"].replace("site", "Site")
	lines[-1] = json.dumps(m, separators=(",", ":")).encode()
	open("t.jsonl", "wb").write(b"\n".join(lines) + b"\n")
	PY
	rm t.jsonl.head &&
	expect_exit 1 $BOOTFIX log verify t.jsonl > v.out && cat v.out &&
	grep -F "t.jsonl: bad: line 8: the record from" v.out &&
	grep -F "was changed (its sha256 is not the one its source names)" v.out
'

test_expect_success 'merge refuses a source that does not verify, and an existing output' '
	sed 1d a.jsonl > bad.jsonl &&
	expect_exit 1 $BOOTFIX log merge -o out.jsonl bad.jsonl b.jsonl 2> e.out && cat e.out &&
	grep -F "bootfix: cannot merge bad.jsonl: it does not verify: line 1:" e.out &&
	test ! -e out.jsonl &&
	expect_exit 3 $BOOTFIX log merge -o merged.jsonl a.jsonl 2> e2.out &&
	grep -F "bootfix: cannot create merged.jsonl: file exists" e2.out &&
	expect_exit 1 $BOOTFIX log merge --pubkey pub.pem -o out.jsonl a.jsonl d.jsonl 2>/dev/null;
	test ! -e out.jsonl
'

test_expect_success 'a merge merged again with a newer copy of a stick: each record once' '
	machine w && $BOOTFIX fix --root w --data stick-a --site "site a" > f.out 2>&1 &&
	expect_exit 0 $BOOTFIX log merge -o again.jsonl merged.jsonl stick-a/logs/bootfix.jsonl \
		> m2.out && cat m2.out &&
	grep -Fx "again.jsonl: 10 records from 2 logs" m2.out &&
	expect_exit 0 $BOOTFIX log verify --pubkey pub.pem again.jsonl &&
	python3 -c "import json
src = [json.loads(l)[\"source\"][\"file\"] for l in open(\"again.jsonl\")]
assert sorted(src) == [\"a.jsonl\"] * 4 + [\"b.jsonl\"] * 4 + [\"stick-a/logs/bootfix.jsonl\"] * 2, src"
'

test_done
