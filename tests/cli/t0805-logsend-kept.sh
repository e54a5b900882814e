#!/bin/bash
# A log server that cannot be reached: after the tries the record is kept
# in the fix's quarantine folder on the Windows volume, beside its manifest
# (record-unsent.jsonl), and said so; the next fix sends it on and renames
# it record-sent.jsonl (never deleted, never sent twice).  A scan only says
# it is there.  With no log on the stick the record sent is in no chain
# (no seq, no prev), signed all the same.  Unattended: NOT LOGGED, exit 5.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-logserver.sh"

F=C-00000291-00000000-00000032.sys
LOG=data/logs/bootfix.jsonl
export BOOTFIX_LOGSEND_DELAY_MS=50	# test only: 50, 100, 200 ms between tries

test_expect_success 'setup: a CA, a server certificate, a port nothing listens on yet' '
	make_ca ca && make_cert ca server "DNS:localhost,IP:127.0.0.1" &&
	TLS=$(free_port) && TCP=$(free_port) &&
	mkdir -p data/keys && cp ca.pem data/keys/log-ca.pem &&
	openssl genpkey -algorithm ed25519 -out data/keys/log-signing.pem 2>/dev/null &&
	openssl pkey -in data/keys/log-signing.pem -pubout -out pub.pem &&
	site_conf "log-to = syslog+tls://127.0.0.1:$TLS" && disk disk.img
'

test_expect_success 'server down: 4 tries, then kept on the volume, and said so' '
	expect_exit 0 $BOOTFIX fix --device disk.img --data data > fix.out 2> fix.err &&
	cat fix.err &&
	grep -Fx "bootfix: record 2 written to $LOG" fix.err &&
	grep -E "^bootfix: not logged to syslog\+tls://127\.0\.0\.1:$TLS: cannot connect: connection refused \(4 tries\); record kept in \\\\bootfix-quarantine\\\\[0-9TZ-]+\\\\record-unsent\.jsonl$" fix.err
'

test_expect_success 'the kept record is the stick'"'"'s line, beside the manifest' '
	with_volume disk.img 1 v &&
	{ tail -n1 $LOG | cmp - v/bootfix-quarantine/*/record-unsent.jsonl; rc=$?; } &&
	ls v/bootfix-quarantine/*/manifest.txt &&
	done_volume v && test $rc = 0
'

test_expect_success 'a scan says a record waits and changes nothing' '
	image_sha disk.img > before &&
	expect_exit 0 $BOOTFIX scan --device disk.img --data data > scan.out 2> scan.err &&
	grep -F "1 audit record kept here not sent to the log servers yet (a fix sends them)" scan.out &&
	test "$(image_sha disk.img)" = "$(cat before)"
'

test_expect_success 'server down again: the next fix keeps it, and says so' '
	expect_exit 0 $BOOTFIX fix --device disk.img --data data > again.out 2> again.err &&
	cat again.err again.out &&
	grep -E "^bootfix: warning: not logged to syslog\+tls://127\.0\.0\.1:$TLS: cannot connect: connection refused \(4 tries\); record kept in \\\\bootfix-quarantine\\\\[0-9TZ-]+\\\\record-unsent\.jsonl$" again.err &&
	grep -F "1 audit record kept here not sent to the log servers yet" again.out
'

test_expect_success 'server up: the next fix sends the kept record on and marks it sent' '
	start_rsyslog $TRASH/rs $TLS $TCP $TRASH/ca.pem $TRASH/server.pem $TRASH/server.key &&
	expect_exit 0 $BOOTFIX fix --device disk.img --data data > next.out 2> next.err &&
	cat next.err next.out &&
	grep -F "1 audit record kept here sent on to the log servers" next.out &&
	wait_lines rs/tls.log 2 &&
	sed -n 2p $LOG > first && head -n1 rs/tls.log | cmp - first &&
	tail -n1 $LOG | cmp - <(tail -n1 rs/tls.log)
'

test_expect_success 'on the volume: record-sent.jsonl, no record-unsent.jsonl' '
	with_volume disk.img 1 v &&
	{ cmp first v/bootfix-quarantine/*/record-sent.jsonl; rc=$?; } &&
	{ ! ls v/bootfix-quarantine/*/record-unsent.jsonl 2>/dev/null || rc=1; } &&
	done_volume v && test $rc = 0
'

test_expect_success 'a third fix sends nothing twice' '
	expect_exit 0 $BOOTFIX fix --device disk.img --data data > third.out 2> third.err &&
	! grep -F "kept here" third.out && wait_lines rs/tls.log 3 &&
	test $(wc -l < rs/tls.log) = 3 && tail -n1 $LOG | cmp - <(tail -n1 rs/tls.log)
'

test_expect_success 'a planted record-unsent.jsonl that is no record line is not sent' '
	with_volume disk.img 1 v &&
	mkdir v/bootfix-quarantine/20200101T000000Z &&
	printf "line one\nline two\n" > v/bootfix-quarantine/20200101T000000Z/record-unsent.jsonl &&
	done_volume v &&
	expect_exit 0 $BOOTFIX fix --device disk.img --data data > plant.out 2> plant.err &&
	grep -F "bootfix: warning: \\bootfix-quarantine\\20200101T000000Z\\record-unsent.jsonl is not one record line: not sent" plant.err &&
	wait_lines rs/tls.log 4 && test $(wc -l < rs/tls.log) = 4 &&
	tail -n1 $LOG | cmp - <(tail -n1 rs/tls.log)
'

test_expect_success 'unattended, server up, only the planted file: NOTHING TO FIX, exit 0' '
	expect_exit 0 $BOOTFIX auto --device disk.img --data data < /dev/null > pa.out 2> pa.err &&
	cat pa.out pa.err && grep -F "NOTHING TO FIX" pa.out &&
	grep -F "record-unsent.jsonl is not one record line: not sent" pa.err
'

test_expect_success 'planted: a link, a folder, an object, another folder'"'"'s record: said, not sent' '
	with_volume disk.img 1 v && Q=v/bootfix-quarantine &&
	mkdir $Q/20200101T000001Z $Q/20200101T000002Z $Q/20200101T000003Z $Q/20200101T000004Z &&
	ln -s /etc/hostname $Q/20200101T000001Z/record-unsent.jsonl &&
	mkdir $Q/20200101T000002Z/record-unsent.jsonl &&
	printf "{\"tool\":\"bootfix\",\"site\":\"forged\"}\n" > $Q/20200101T000003Z/record-unsent.jsonl &&
	cp first $Q/20200101T000004Z/record-unsent.jsonl &&
	done_volume v &&
	expect_exit 0 $BOOTFIX fix --device disk.img --data data > pl2.out 2> pl2.err &&
	cat pl2.err && W="bootfix: warning: \\bootfix-quarantine\\20200101T00000" &&
	grep -Fx "${W}1Z\\record-unsent.jsonl is a link: not sent" pl2.err &&
	grep -Fx "${W}2Z\\record-unsent.jsonl is a folder: not sent" pl2.err &&
	grep -Fx "${W}3Z\\record-unsent.jsonl is not the record of the fix that made the folder: not sent" pl2.err &&
	grep -Fx "${W}4Z\\record-unsent.jsonl is not the record of the fix that made the folder: not sent" pl2.err &&
	wait_lines rs/tls.log 6 && test $(wc -l < rs/tls.log) = 6 &&
	tail -n1 $LOG | cmp - <(tail -n1 rs/tls.log) && ! grep -F forged rs/tls.log &&
	with_volume disk.img 1 v &&
	{ ls $Q/20200101T00000[34]Z/record-unsent.jsonl; rc=$?; } && done_volume v && test $rc = 0
'

test_expect_success 'no log on the stick (read-only): a record in no chain, signed' '
	disk ro.img && mkdir -p rodata && mount --bind data rodata &&
	mount -o remount,ro,bind rodata &&
	expect_exit 0 $BOOTFIX fix --device ro.img --data rodata > ro.out 2> ro.err;
	umount rodata; cat ro.err &&
	grep -F "bootfix: cannot write log rodata/logs/bootfix.jsonl: read-only file system" ro.err &&
	grep -Fx "bootfix: sent to syslog+tls://127.0.0.1:$TLS" ro.err &&
	wait_lines rs/tls.log 7 && tail -n1 rs/tls.log > alone.jsonl &&
	python3 - <<-PY &&
	import base64, json
	line = open("alone.jsonl", "rb").read().rstrip(b"\n")
	r = json.loads(line)
	assert "seq" not in r and "prev" not in r and r["sig"], r
	assert r["outcome"] == "fixed" and r["mode"] == "cli", r
	i = line.rindex(b",\"sig\":\"")
	open("msg", "wb").write(line[:i] + b"}")
	open("sig.bin", "wb").write(base64.b64decode(line[i + 8:-2]))
	PY
	openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg -sigfile sig.bin > o.out &&
	grep -F "Signature Verified Successfully" o.out
'

test_expect_success 'unattended, server down: NOT LOGGED instead of FIXED, exit 5' '
	stop_server $TRASH/rs && disk auto.img &&
	expect_exit 5 $BOOTFIX auto --device auto.img --data data < /dev/null > auto.out 2> auto.err &&
	cat auto.out auto.err &&
	grep -F "NOT LOGGED: the record did not reach every log server (see Log); the faulty files were quarantined" auto.out &&
	grep -F "not logged to syslog+tls://127.0.0.1:$TLS: cannot connect: connection refused (4 tries); record kept in \\bootfix-quarantine\\" auto.err
'

test_done
