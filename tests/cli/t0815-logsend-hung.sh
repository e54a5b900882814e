#!/bin/bash
# A log server that takes the connection and then says nothing (a hung
# rsyslog, a firewall that swallows packets after the handshake): every
# step has its deadline, the tries end, the record is kept.  The listener
# here never accepts: the kernel completes the TCP handshake for it and
# nothing more ever comes back.  Test-only settings make the deadlines
# 300 ms and the pauses 50 ms (bootfix(8), ENVIRONMENT).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-logserver.sh"

F=C-00000291-00000000-00000032.sys
export BOOTFIX_LOGSEND_DELAY_MS=50 BOOTFIX_LOGSEND_TIMEOUT_MS=300

tree() { windows_tree $1 && channel_file $1 $F "$FAULTY_TIME"; }
test_expect_success 'setup: a CA, a listener that never answers' '
	make_ca ca && mkdir -p data/keys && cp ca.pem data/keys/log-ca.pem &&
	P=$(free_port) && mkdir -p mute &&
	{ python3 -c "import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"127.0.0.1\", int(sys.argv[1]))); s.listen(64); time.sleep(3600)" $P > mute/out 2>&1 & } &&
	echo $! > mute/pid && SERVER_PIDS="$SERVER_PIDS $!" && wait_port $P
'

test_expect_success 'syslog+tls: the TLS handshake times out, 4 tries, kept' '
	tree w1 && site_conf "log-to = syslog+tls://127.0.0.1:$P" &&
	expect_exit 0 $BOOTFIX fix --root w1 --data data 2> e1 && cat e1 &&
	grep -F "bootfix: not logged to syslog+tls://127.0.0.1:$P: timed out in the TLS handshake (4 tries); record kept in" e1 &&
	test -s w1/bootfix-quarantine/*/record-unsent.jsonl
'

test_expect_success 'syslog+tcp: written, but the server never closes: not counted as sent' '
	tree w2 && site_conf "log-to = syslog+tcp://127.0.0.1:$P" &&
	expect_exit 0 $BOOTFIX fix --root w2 --data data 2> e2 && cat e2 &&
	grep -F "bootfix: not logged to syslog+tcp://127.0.0.1:$P: timed out waiting for the server to close (4 tries); record kept in" e2
'

test_expect_success 'https: the same deadline' '
	tree w3 && site_conf "log-to = https://127.0.0.1:$P/in" &&
	expect_exit 0 $BOOTFIX fix --root w3 --data data 2> e3 &&
	grep -F "bootfix: not logged to https://127.0.0.1:$P/in: timed out in the TLS handshake (4 tries); record kept in" e3
'

test_done
