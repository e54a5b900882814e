#!/bin/bash
# Fixes, restores and machines left alone, told apart in the log: a restore
# is recorded as "restored" (never "fixed"), a volume a person chose to
# leave as it is as "left"; log list has an ACTION column, export --csv an
# action column, and summary counts actions and each outcome on its own
# line.  Restores an older bootfix recorded as "fixed" read as restored.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys
LOG=data/logs/bootfix.jsonl

test_expect_success 'setup: a signed log, written by a real fix and a real restore' '
	rm -rf w && windows_tree w && channel_file w $F291 "$FAULTY_TIME" &&
	mkdir -p data/keys &&
	openssl genpkey -algorithm ed25519 -out data/keys/log-signing.pem 2>/dev/null &&
	openssl pkey -in data/keys/log-signing.pem -pubout -out pub.pem &&
	expect_exit 0 $BOOTFIX fix --root w --data data --site "Ward 5" > fix.out 2> fix.err &&
	grep -Fx "bootfix: record 2 written to $LOG" fix.err &&
	expect_exit 0 $BOOTFIX restore --root w --data data --site "Ward 5" > rest.out 2> rest.err &&
	cat rest.out rest.err &&
	grep -Fx "bootfix: record 4 written to $LOG" rest.err &&
	expect_exit 0 $BOOTFIX log verify --pubkey pub.pem $LOG > v.out &&
	grep -Fx "$LOG: intact: 4 records, signatures good" v.out
'

test_expect_success 'restore says restored, never fixed, on screen and in the record' '
	tail -n1 rest.out | grep -Fx "  restored: 1 file restored or already in place" &&
	! grep -F "fixed" rest.out &&
	python3 - <<-PY
	import json
	recs = [json.loads(l) for l in open("$LOG", "rb")]
	f, r = recs[1], recs[3]
	assert (f["action"], f["outcome"]) == ("fix", "fixed"), f
	assert (r["action"], r["outcome"]) == ("restore", "restored"), r
	assert r["reason"] == "w: 1 file restored or already in place", r
	assert [v["outcome"] for v in r["volumes"]] == ["restored"], r["volumes"]
	assert recs[2]["stage"] == "begun" and recs[2]["outcome"] == "interrupted", recs[2]
	PY
'

test_expect_success 'list: an ACTION column before OUTCOME' '
	expect_exit 0 $BOOTFIX log list $LOG > l.out && cat l.out &&
	test $(wc -l < l.out) = 3 &&
	head -n1 l.out | grep -E "^LINE +TIME +COMPUTER +SERIAL +SITE +ACTION +OUTCOME$" &&
	sed -n 2p l.out | grep -E "^2 +20[0-9-]+T[0-9:]+Z +DESKTOP-2KGM189 +.* +Ward 5 +fix +fixed$" &&
	sed -n 3p l.out | grep -E "^4 +20[0-9-]+T[0-9:]+Z +DESKTOP-2KGM189 +.* +Ward 5 +restore +restored$"
'

# An older log, made from the real records the way docs/log.md describes
# the chain: a fix, a restore an older bootfix recorded as "fixed", and a
# machine left alone (hibernated), as the menu records it.
test_expect_success 'setup: an older log with an old-style restore and a machine left alone' '
	python3 - <<-PY &&
	import copy, hashlib, json
	recs = [json.loads(l) for l in open("$LOG", "rb")]
	fix, rest = recs[1], recs[3]
	for r in (fix, rest):
	    r.pop("sig", None); r.pop("sig_key", None)
	    r["machine"] = {"product_serial": "OLD-1", "nics": [], "disks": []}
	old = copy.deepcopy(rest)
	old["outcome"] = "fixed"
	for v in old["volumes"]:
	    v["outcome"] = "fixed"
	left = copy.deepcopy(fix)
	left["mode"] = "menu"
	left["machine"]["product_serial"] = "OLD-2"
	left["volumes"][0]["hibernated"] = True
	left["volumes"][0]["outcome"] = "left"
	left["volumes"][0]["reason"] = "left as it is: Windows is hibernated on it"
	left["volumes"][0]["findings"][0].update(result="left in place", done=False)
	left["volumes"][0]["findings"][0].pop("moved_to", None)
	left["volumes"][0].pop("quarantine", None)
	left["manifests"] = []
	left["outcome"] = "left"
	left["reason"] = "w: left as it is: Windows is hibernated on it"
	out, prev = [], "0" * 64
	for i, (r, time) in enumerate([(fix, "2024-07-19T08:00:00Z"), (old, "2024-07-19T09:00:00Z"),
	                               (left, "2024-07-20T10:00:00Z")]):
	    r = dict(r)
	    r["time"], r["seq"], r["prev"] = time, i + 1, prev
	    r.pop("run", None)
	    b = json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode()
	    prev = hashlib.sha256(b).hexdigest()
	    out.append(b)
	open("old.jsonl", "wb").write(b"\n".join(out) + b"\n")
	head = {"schema": 1, "log": hashlib.sha256(out[0]).hexdigest(), "seq": 3, "sha256": prev}
	open("old.jsonl.head", "w").write(json.dumps(head) + "\n")
	PY
	expect_exit 0 $BOOTFIX log verify old.jsonl
'

test_expect_success 'list: the old restore reads restored, the machine left alone left' '
	expect_exit 0 $BOOTFIX log list old.jsonl $LOG > l2.out && cat l2.out &&
	test $(wc -l < l2.out) = 6 &&
	head -n1 l2.out | grep -E "^FILE:LINE +TIME +COMPUTER +SERIAL +SITE +ACTION +OUTCOME$" &&
	grep -E "^old.jsonl:1 +2024-07-19T08:00:00Z +DESKTOP-2KGM189 +OLD-1 +Ward 5 +fix +fixed$" l2.out &&
	grep -E "^old.jsonl:2 +2024-07-19T09:00:00Z +DESKTOP-2KGM189 +OLD-1 +Ward 5 +restore +restored$" l2.out &&
	grep -E "^old.jsonl:3 +2024-07-20T10:00:00Z +DESKTOP-2KGM189 +OLD-2 +Ward 5 +fix +left$" l2.out &&
	! grep -E " restore +fixed$" l2.out
'

test_expect_success 'summary: restores and machines left alone on lines of their own' '
	expect_exit 0 $BOOTFIX log summary old.jsonl $LOG > s.out && cat s.out &&
	cat > s.want <<-EOF &&
	records   5
	machines  3
	action
	  fix      3
	  restore  2
	outcome
	  fixed           2
	  restored        2
	  left            1
	  nothing-to-fix  0
	  refused         0
	  failed          0
	site
	  Ward 5  5
	day
	EOF
	head -n 15 s.out | diff s.want -
'

test_expect_success 'export --csv: action and outcome per record' '
	expect_exit 0 $BOOTFIX log export --csv old.jsonl $LOG > e.csv &&
	python3 - <<-PY
	import csv
	rows = list(csv.DictReader(open("e.csv", encoding="utf-8-sig", newline="")))
	got = [(r["file"], r["line"], r["action"], r["outcome"]) for r in rows]
	want = [("old.jsonl", "1", "fix", "fixed"), ("old.jsonl", "2", "restore", "restored"),
	        ("old.jsonl", "3", "fix", "left"), ("$LOG", "2", "fix", "fixed"),
	        ("$LOG", "4", "restore", "restored")]
	assert got == want, got
	assert rows[2]["reason"] == "w: left as it is: Windows is hibernated on it", rows[2]
	assert rows[2]["faulty"] == "1" and rows[2]["quarantined"] == "0", rows[2]
	PY
'

test_expect_success 'show keeps what the record says (the old restore stays "fixed" in it)' '
	expect_exit 0 $BOOTFIX log show old.jsonl 2 > sh.out &&
	python3 -c "import json; r = json.load(open(\"sh.out\"))
assert (r[\"action\"], r[\"outcome\"]) == (\"restore\", \"fixed\"), r"
'

test_done
