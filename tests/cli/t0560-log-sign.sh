#!/bin/bash
# With DATA/keys/log-signing.pem (Ed25519) every record and the head are
# signed; log verify --pubkey catches forged signatures and records forged
# by someone who rebuilt the whole chain without the key.  Each fix here
# moves a file, so it writes two signed records: "begun" before the move,
# then its final one.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys
LOG=data/logs/bootfix.jsonl

machine() { rm -rf "$1" && windows_tree "$1" && channel_file "$1" $F291 "$FAULTY_TIME"; }
copy() { cp $LOG t.jsonl && cp $LOG.head t.jsonl.head; }

# rechain FILE : recompute prev, seq and FILE.head after an edit (no key needed)
rechain() {
	python3 - "$1" <<-'PY'
	import hashlib, json, sys
	f = sys.argv[1]
	lines = open(f, "rb").read().split(b"\n")[:-1]
	out, prev = [], "0" * 64
	for i, l in enumerate(lines):
	    r = json.loads(l)
	    r["prev"], r["seq"] = prev, i + 1
	    b = json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode()
	    prev = hashlib.sha256(b).hexdigest()
	    out.append(b)
	open(f, "wb").write(b"\n".join(out) + b"\n")
	head = {"schema": 1, "log": hashlib.sha256(out[0]).hexdigest(), "seq": len(out),
	        "sha256": prev}
	open(f + ".head", "w").write(json.dumps(head, separators=(",", ":")) + "\n")
	PY
}

test_expect_success 'setup: a signing key on the stick, three fixes, six signed records' '
	mkdir -p data/keys &&
	openssl genpkey -algorithm ed25519 -out data/keys/log-signing.pem 2>/dev/null &&
	openssl pkey -in data/keys/log-signing.pem -pubout -out pub.pem &&
	openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null &&
	openssl pkey -in other.pem -pubout -out other.pub &&
	for i in 1 2 3; do
		machine w$i && $BOOTFIX fix --root w$i --data data > f$i.out 2>&1 || return 1
	done &&
	test $(wc -l < $LOG) = 6 &&
	python3 - <<-PY
	import json
	recs = [json.loads(l) for l in open("$LOG", "rb")]
	for b, r in zip(recs[0::2], recs[1::2]):
	    assert b["stage"] == "begun" and "stage" not in r and b["run"] == r["run"], (b, r)
	PY
'

test_expect_success 'each line ends with sig_key and sig; the head is signed too' '
	openssl pkey -pubin -in pub.pem -outform DER | tail -c 32 | sha256sum | cut -c1-64 > keyid &&
	python3 - <<-PY
	import json
	for l in open("$LOG", "rb").read().split(b"\n")[:-1]:
	    r = json.loads(l)
	    assert list(r)[-2:] == ["sig_key", "sig"], list(r)
	    assert r["sig_key"] == open("keyid").read().strip(), r["sig_key"]
	h = json.loads(open("$LOG.head").read())
	assert list(h)[-1] == "sig" and h["seq"] == 6, h
	PY
'

test_expect_success 'verify --pubkey: intact, signatures good (a private key file works too)' '
	expect_exit 0 $BOOTFIX log verify --pubkey pub.pem $LOG > v.out && cat v.out &&
	grep -Fx "$LOG: intact: 6 records, signatures good" v.out &&
	expect_exit 0 $BOOTFIX log verify --pubkey data/keys/log-signing.pem $LOG &&
	expect_exit 0 $BOOTFIX log verify --pubkey other.pub --pubkey pub.pem $LOG &&
	expect_exit 0 $BOOTFIX log verify $LOG > n.out &&
	grep -Fx "$LOG: warning: 6 signed lines; signatures not checked (give --pubkey)" n.out
'

test_expect_success 'the signature is what docs/log.md says: openssl checks it alone' '
	python3 - <<-PY &&
	import base64
	line = open("$LOG", "rb").read().split(b"\n")[1]
	i = line.rindex(b",\"sig\":\"")
	open("msg", "wb").write(line[:i] + b"}")
	open("sig.bin", "wb").write(base64.b64decode(line[i + 8:-2]))
	PY
	openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg -sigfile sig.bin > o.out &&
	grep -F "Signature Verified Successfully" o.out
'

test_expect_success 'a forged signature' '
	copy && sed -i "2s/\"sig\":\"\(.\)/\"sig\":\"A\1/; 2s/==\"}$/=\"}/" t.jsonl &&
	sed -n 2p t.jsonl | grep -F "\"sig\":\"A" &&
	expect_exit 1 $BOOTFIX log verify --pubkey pub.pem t.jsonl > v.out && cat v.out &&
	grep -F "t.jsonl: bad: line 2:" v.out
'

test_expect_success 'the wrong key' '
	expect_exit 1 $BOOTFIX log verify --pubkey other.pub $LOG > v.out && cat v.out &&
	grep -Fx "$LOG: bad: line 1: signed with a key that is not one of the --pubkey keys (sig_key differs)" v.out
'

test_expect_success 'a record changed and the whole chain rebuilt without the key' '
	copy && sed -i "2s/\"outcome\":\"fixed\"/\"outcome\":\"refused\"/" t.jsonl && rechain t.jsonl &&
	expect_exit 0 $BOOTFIX log verify t.jsonl &&
	expect_exit 1 $BOOTFIX log verify --pubkey pub.pem t.jsonl > v.out && cat v.out &&
	grep -Fx "t.jsonl: bad: line 2: bad signature (the record was changed after signing)" v.out
'

test_expect_success 'the last record stripped of its signature and re-chained' '
	copy && python3 - <<-PY &&
	import json
	lines = open("t.jsonl", "rb").read().split(b"\n")[:-1]
	r = json.loads(lines[5])
	del r["sig"], r["sig_key"]
	lines[5] = json.dumps(r, separators=(",", ":")).encode()
	open("t.jsonl", "wb").write(b"\n".join(lines) + b"\n")
	PY
	rechain t.jsonl &&
	expect_exit 1 $BOOTFIX log verify --pubkey pub.pem t.jsonl > v.out && cat v.out &&
	grep -Fx "t.jsonl: bad: line 6: not signed, but line 1 before it is" v.out
'

test_expect_success 'the last record removed and an unsigned head made' '
	head -n 5 $LOG > t.jsonl && python3 - <<-PY &&
	import hashlib, json
	lines = open("t.jsonl", "rb").read().split(b"\n")[:-1]
	h = {"schema": 1, "log": hashlib.sha256(lines[0]).hexdigest(), "seq": 5,
	     "sha256": hashlib.sha256(lines[4]).hexdigest()}
	open("t.jsonl.head", "w").write(json.dumps(h, separators=(",", ":")) + "\n")
	PY
	expect_exit 0 $BOOTFIX log verify t.jsonl &&
	expect_exit 1 $BOOTFIX log verify --pubkey pub.pem t.jsonl > v.out && cat v.out &&
	grep -Fx "t.jsonl: bad: t.jsonl.head: not signed, but the records are" v.out
'

test_expect_success 'an unusable key on the stick: both records are written unsigned, with a warning' '
	mkdir -p d2/keys && echo "not a key" > d2/keys/log-signing.pem &&
	machine w9 && expect_exit 0 $BOOTFIX fix --root w9 --data d2 > f9.out 2> f9.err &&
	cat f9.err &&
	grep -F "bootfix: warning: record not signed: cannot read key d2/keys/log-signing.pem" f9.err &&
	grep -Fx "bootfix: record 2 written to d2/logs/bootfix.jsonl" f9.err &&
	test $(wc -l < d2/logs/bootfix.jsonl) = 2 &&
	! grep -F "\"sig\"" d2/logs/bootfix.jsonl &&
	test $(grep -c "not signed: the signing key on the stick cannot be used" d2/logs/bootfix.jsonl) = 2
'

test_expect_success 'a key added to a stick later: older records are vouched for by the chain' '
	mkdir -p d3 && machine w10 && $BOOTFIX fix --root w10 --data d3 > f10.out 2>&1 &&
	mkdir d3/keys && cp data/keys/log-signing.pem d3/keys/ &&
	machine w11 && $BOOTFIX fix --root w11 --data d3 > f11.out 2>&1 &&
	expect_exit 0 $BOOTFIX log verify --pubkey pub.pem d3/logs/bootfix.jsonl > v.out &&
	cat v.out &&
	grep -Fx "d3/logs/bootfix.jsonl: warning: lines 1-2 not signed; the signed line 3 vouches for them through the chain" v.out &&
	grep -Fx "d3/logs/bootfix.jsonl: intact: 4 records, signatures good" v.out
'

test_done
