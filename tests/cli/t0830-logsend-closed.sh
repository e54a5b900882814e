#!/bin/bash
# A syslog server that closes the connection without reading it (rsyslog
# at its session limit, a server shutting down), over a slow network: its
# close (FIN) reaches bootfix before its refusal of the record (RST).  The
# close alone must not count as "sent": until the server's system has
# acknowledged every byte, the record is not sent, and it is kept.  The
# slow network is this test's own network namespace (unshare -n) whose
# loopback goes through a token bucket (tc tbf, 16 kbit/s): the record's
# first segment arrives about a second after the server closed.
. "$(dirname "$0")/../lib.sh"

F=C-00000291-00000000-00000032.sys
export BOOTFIX_LOGSEND_DELAY_MS=50 BOOTFIX_LOGSEND_TIMEOUT_MS=10000

test_expect_success 'setup: a Windows folder, a server that closes at once, a slow loopback' '
	windows_tree w && channel_file w $F "$FAULTY_TIME" && mkdir -p data &&
	echo "log-to = syslog+tcp://127.0.0.1:5140" > data/bootfix.conf &&
	cat > closer.py <<-PY &&
	import socket
	s = socket.socket()
	s.bind(("127.0.0.1", 5140))
	s.listen(8)
	open("ready", "w").close()
	while True:
	    c, a = s.accept()
	    c.close()
	PY
	cat > inner.sh <<-IN
	ip link set lo up mtu 1400 &&
	tc qdisc add dev lo root tbf rate 16kbit burst 1600 latency 30s || exit 1
	python3 closer.py & pid=\$!
	for _ in \$(seq 1 100); do [ -e ready ] && break; sleep 0.05; done
	"$BOOTFIX" fix --root w --data data > fix.out 2> fix.err; rc=\$?
	kill \$pid; wait \$pid 2>/dev/null
	exit \$rc
	IN
	true
'

test_expect_success 'the server closed without taking it: not logged, kept on the volume' '
	unshare -n bash inner.sh && cat fix.err &&
	! grep -F "sent to syslog+tcp" fix.err &&
	grep -E "^bootfix: not logged to syslog\+tcp://127\.0\.0\.1:5140: .*\(4 tries\); record kept in \\\\bootfix-quarantine\\\\[0-9TZ-]+\\\\record-unsent\.jsonl$" fix.err &&
	tail -n1 data/logs/bootfix.jsonl | cmp - w/bootfix-quarantine/*/record-unsent.jsonl
'

test_done
