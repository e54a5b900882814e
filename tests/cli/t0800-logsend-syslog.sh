#!/bin/bash
# Records to the site's log server (bootfix.conf's log-to): a real rsyslogd
# started here with a TLS listener (a test CA made with openssl) and a plain
# TCP one gets the record of a real fix, byte for byte the stick's log line,
# as an RFC 5424 message in RFC 6587 octet counting.  The server's
# certificate is checked against the site's CA and its name or address.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-logserver.sh"

F=C-00000291-00000000-00000032.sys
LOG=data/logs/bootfix.jsonl
export BOOTFIX_LOGSEND_DELAY_MS=50	# test only: 50, 100, 200 ms between tries

test_expect_success 'setup: a CA, server certificates, rsyslogd with TLS and TCP listeners' '
	make_ca ca && make_cert ca server "DNS:localhost,IP:127.0.0.1" &&
	make_ca other && make_cert other wrong "DNS:localhost,IP:127.0.0.1" &&
	make_cert ca elsewhere "DNS:elsewhere.test,IP:192.0.2.7" &&
	TLS=$(free_port) && TCP=$(free_port) && test $TLS != $TCP &&
	start_rsyslog $TRASH/rs $TLS $TCP $TRASH/ca.pem $TRASH/server.pem $TRASH/server.key &&
	mkdir -p data/keys && cp ca.pem data/keys/log-ca.pem &&
	openssl genpkey -algorithm ed25519 -out data/keys/log-signing.pem 2>/dev/null &&
	openssl pkey -in data/keys/log-signing.pem -pubout -out pub.pem &&
	disk disk.img
'

test_expect_success 'a fix sends its record to both servers and says so' '
	site_conf "site = Ward 3" "log-to = syslog+tls://127.0.0.1:$TLS" "log-to = syslog+tcp://127.0.0.1:$TCP" &&
	expect_exit 0 $BOOTFIX fix --device disk.img --data data > fix.out 2> fix.err &&
	cat fix.err &&
	grep -Fx "bootfix: record 2 written to $LOG" fix.err &&
	grep -Fx "bootfix: sent to syslog+tls://127.0.0.1:$TLS" fix.err &&
	grep -Fx "bootfix: sent to syslog+tcp://127.0.0.1:$TCP" fix.err &&
	! grep -F "not logged" fix.err
'

test_expect_success 'rsyslog got the stick'"'"'s final line, byte for byte, signed' '
	wait_lines rs/tls.log 1 && wait_lines rs/tcp.log 1 &&
	sed -n 2p $LOG > want &&
	cmp want rs/tls.log && cmp want rs/tcp.log &&
	grep -F "\"sig\":" want && grep -F "\"site\":\"Ward 3\"" want &&
	expect_exit 0 $BOOTFIX log verify --pubkey pub.pem $LOG
'

test_expect_success 'the message is RFC 5424: priority, version, time, host, app, msgid' '
	head -n1 rs/tls.raw > raw &&
	python3 - <<-PY
	import re
	raw = open("raw", "rb").read().rstrip(b"\n")
	want = open("want", "rb").read().rstrip(b"\n")
	m = re.match(rb"<109>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) DESKTOP-2KGM189 bootfix (\d+) record - ", raw)
	assert m, raw[:120]
	assert raw[m.end():] == want, (raw[m.end():][:80], want[:80])
	PY
'

test_expect_success 'the quarantine folder holds no kept record when every server took it' '
	with_volume disk.img 1 v &&
	ls v/bootfix-quarantine/*/manifest.txt &&
	! ls v/bootfix-quarantine/*/record-*.jsonl 2>/dev/null; rc=$?
	done_volume v && test $rc = 0
'

test_expect_success 'by name: localhost is checked against the certificate (and sent as SNI)' '
	disk disk2.img &&
	site_conf "log-to = syslog+tls://localhost:$TLS" &&
	expect_exit 0 $BOOTFIX fix --device disk2.img --data data 2> fix2.err &&
	grep -Fx "bootfix: sent to syslog+tls://localhost:$TLS" fix2.err &&
	wait_lines rs/tls.log 2 && tail -n1 $LOG | cmp - <(tail -n1 rs/tls.log)
'

test_expect_success 'another CA: refused, the record kept beside the manifest on the volume' '
	disk disk3.img &&
	site_conf "log-to = syslog+tls://127.0.0.1:$TLS" "log-ca = keys/other.pem" &&
	cp other.pem data/keys/other.pem &&
	expect_exit 0 $BOOTFIX fix --device disk3.img --data data 2> fix3.err &&
	cat fix3.err &&
	grep -E "^bootfix: not logged to syslog\+tls://127\.0\.0\.1:$TLS: certificate verify failed: unable to get local issuer certificate; record kept in \\\\bootfix-quarantine\\\\[0-9TZ-]+\\\\record-unsent\.jsonl$" fix3.err &&
	with_volume disk3.img 1 v3 &&
	tail -n1 $LOG | cmp - v3/bootfix-quarantine/*/record-unsent.jsonl; rc=$?
	ls v3/bootfix-quarantine/*/manifest.txt && done_volume v3 && test $rc = 0
'

test_expect_success 'a certificate for another name or address: refused' '
	S=$(free_port) && make_cert ca other-name "DNS:elsewhere.test" &&
	start_s_server $TRASH/s1 $S $TRASH/elsewhere.pem $TRASH/elsewhere.key &&
	disk disk4.img &&
	site_conf "log-to = syslog+tls://127.0.0.1:$S" &&
	expect_exit 0 $BOOTFIX fix --device disk4.img --data data 2> fix4.err &&
	cat fix4.err &&
	grep -F "bootfix: not logged to syslog+tls://127.0.0.1:$S: certificate verify failed: IP address mismatch; record kept in" fix4.err &&
	site_conf "log-to = syslog+tls://localhost:$S" &&
	disk disk5.img &&
	expect_exit 0 $BOOTFIX fix --device disk5.img --data data 2> fix5.err &&
	grep -F "bootfix: not logged to syslog+tls://localhost:$S: certificate verify failed: hostname mismatch; record kept in" fix5.err &&
	stop_server $TRASH/s1
'

test_expect_success 'a server of another CA (the wrong one) is refused the same way' '
	W=$(free_port) && start_s_server $TRASH/s2 $W $TRASH/wrong.pem $TRASH/wrong.key &&
	disk disk6.img && site_conf "log-to = syslog+tls://127.0.0.1:$W" &&
	expect_exit 0 $BOOTFIX fix --device disk6.img --data data 2> fix6.err &&
	grep -F "bootfix: not logged to syslog+tls://127.0.0.1:$W: certificate verify failed: unable to get local issuer certificate; record kept in" fix6.err &&
	stop_server $TRASH/s2
'

test_done
