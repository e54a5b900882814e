#!/bin/bash
# Hostile log-to, log-ca and log-token lines in bootfix.conf: each is one
# line naming the file, the line and the key, and is ignored; the rest of
# the file still counts, and nothing is sent anywhere it did not name.
. "$(dirname "$0")/../lib.sh"

conf() { printf '%s\n' "$@" > data/bootfix.conf; }

# refused VALUE MESSAGE : log-to = VALUE gives "bootfix.conf:1: log-to: MESSAGE (ignored)"
refused() {
	conf "log-to = $1" &&
	$BOOTFIX scan --root w --data data > /dev/null 2> err &&
	grep -Fx "bootfix: warning: data/bootfix.conf:1: log-to: $2 (ignored)" err ||
	{ cat err; return 1; }
}

test_expect_success 'setup: a Windows folder' '
	mkdir -p data && windows_tree w
'

test_expect_success 'unknown schemes, not URLs' '
	refused "ftp://log.example/x" "unknown scheme '"'"'ftp'"'"' (give syslog+tls, syslog+tcp or https)" &&
	refused "http://log.example/x" "unknown scheme '"'"'http'"'"' (give syslog+tls, syslog+tcp or https)" &&
	refused "log.example:6514" "not a URL (give syslog+tls://HOST:PORT, syslog+tcp://HOST:PORT or https://HOST/PATH)"
'

test_expect_success 'ports out of range, empty, not numbers' '
	refused "syslog+tls://log.example:0" "port 0 is out of range (1 to 65535)" &&
	refused "syslog+tls://log.example:65536" "port 65536 is out of range (1 to 65535)" &&
	refused "syslog+tcp://log.example:99999999999999999999999" "port 999999999999 is out of range (1 to 65535)" &&
	refused "syslog+tcp://log.example:" "the port after '"'"':'"'"' is empty" &&
	refused "syslog+tcp://log.example:51x" "the port is not a number"
'

test_expect_success 'hosts, credentials, paths, fragments' '
	refused "https://user:secret@log.example/in" "user names and passwords do not go in the URL (log-token gives https a bearer token)" &&
	refused "syslog+tls://fe80::1:6514" "an IPv6 address goes in brackets: [ADDRESS]:PORT" &&
	refused "syslog+tls://[::1:6514" "an IPv6 address in '"'"'['"'"' has no '"'"']'"'"'" &&
	refused "syslog+tls://[nothost]:6514" "'"'"'nothost'"'"' is not an IPv6 address" &&
	refused "syslog+tls://log_server.example" "'"'"'log_server.example'"'"' is not a host name or an IP address" &&
	refused "syslog+tls://:6514" "'"'"''"'"' is not a host name or an IP address" &&
	refused "syslog+tcp://log.example:514/ward3" "a syslog URL has no path or query" &&
	refused "https://log.example/in#top" "a fragment ('"'"'#...'"'"') means nothing to a log server"
'

test_expect_success 'spaces, control characters, non-ASCII, huge values' '
	refused "https://log example/in" "holds a space, a control character or a non-ASCII byte (write a URL as ASCII)" &&
	refused "$(printf "https://log.example/\033[2J")" "holds a space, a control character or a non-ASCII byte (write a URL as ASCII)" &&
	refused "https://lög.example/in" "holds a space, a control character or a non-ASCII byte (write a URL as ASCII)" &&
	refused "https://log.example/$(head -c 2000 /dev/zero | tr "\0" a)" "longer than 1024 bytes"
'

test_expect_success 'at most 8 servers; one given twice; good lines still count' '
	printf "log-to = syslog+tcp://127.0.0.1:%s\n" 1 2 3 4 5 6 7 8 9 > data/bootfix.conf &&
	echo "log-to = syslog+tcp://127.0.0.1:1" >> data/bootfix.conf &&
	echo "site = Ward 3" >> data/bootfix.conf &&
	$BOOTFIX scan --root w --data data > /dev/null 2> err && cat err &&
	grep -Fx "bootfix: warning: data/bootfix.conf:9: log-to: at most 8 log servers (ignored)" err &&
	grep -Fx "bootfix: warning: data/bootfix.conf:10: log-to syslog+tcp://127.0.0.1:1 is given twice (ignored)" err &&
	test $(grep -c warning err) = 2
'

test_expect_success 'log-ca and log-token name files in the data folder, nothing else' '
	conf "log-ca = ../../etc/ssl/certs/ca-certificates.crt" "log-token = /etc/shadow" \
	     "log-ca = keys/$(head -c 300 /dev/zero | tr "\0" a)" &&
	$BOOTFIX scan --root w --data data > /dev/null 2> err && cat err &&
	grep -F "bootfix: warning: data/bootfix.conf:1: log-ca must name a file in the data folder, like keys/log-ca.pem: " err &&
	grep -F "bootfix: warning: data/bootfix.conf:2: log-token must name a file in the data folder, like keys/log-ca.pem: " err &&
	grep -Fx "bootfix: warning: data/bootfix.conf:3: log-ca must name a file in the data folder, like keys/log-ca.pem: it is too long (ignored)" err
'

test_expect_success 'a refused log-to sends nothing: the fix writes its record on the stick alone' '
	channel_file w C-00000291-00000000-00000032.sys "$FAULTY_TIME" &&
	conf "log-to = syslog+tcp://127.0.0.1:0" &&
	expect_exit 0 $BOOTFIX fix --root w --data data 2> err && cat err &&
	grep -F "record 2 written to data/logs/bootfix.jsonl" err &&
	! grep -E "sent to|not logged" err
'

test_done
