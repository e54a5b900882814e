#!/bin/bash
# The log server of docs/netboot.md, for real (rsyslog and rsyslog-gnutls
# from Debian): rsyslogd started by the test on 127.0.0.1 with the TLS
# receiver that writes one file per day, a test CA.  An RFC 5425 client
# (openssl s_client, checking the server's certificate against the CA and
# its name) sends one RFC 5424 message whose MSG is an audit record in
# RFC 6587 octet counting; the day's file has it whole.  The same receiver
# takes the records of t0140's machines once log-to is there (LOG-TO).
# No machine is booted.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/image/lib-netboot.sh"
trap 'boot_stop_all; rsyslog_stop; cleanup_trash' EXIT

REC='{"schema":1,"time":"2024-07-19T08:09:21Z","tool":"bootfix","action":"fix","outcome":"fixed"}'

# send5425 HOST MSG: one octet-counted message over TLS, the server checked
send5425() {
	local msg="<109>1 2024-07-19T08:09:21.532Z DESKTOP-2KGM189 bootfix 512 record - $2"
	{ printf "%d %s" "${#msg}" "$msg"; sleep 1; } |
		timeout 30 openssl s_client -quiet -no_ign_eof -connect "127.0.0.1:$RSYSLOG_PORT" -CAfile ca.pem \
			-verify_return_error -verify_hostname "$1" > s_client.out 2>&1
}

test_expect_success 'rsyslogd runs with the TLS receiver on 127.0.0.1' '
	command -v rsyslogd && rsyslog_tls_start && echo "port $RSYSLOG_PORT"
'

test_expect_success 'a record sent over TLS lands in the file of the day, whole' '
	send5425 logs.test "$REC" &&
	f=$(rsyslog_today) &&
	for _ in $(seq 1 50); do grep -q -F "$REC" "$f" 2>/dev/null && break; sleep 0.1; done &&
	cat "$f" && grep -F -x "<109>1 2024-07-19T08:09:21.532Z DESKTOP-2KGM189 bootfix 512 record - $REC" "$f" &&
	test "$(ls rsyslog/logs | wc -l)" = 1
'

test_expect_success 'a client that does not get the name it asked for sends nothing' '
	! send5425 other.test "{\"forged\":1}" && cat s_client.out &&
	sleep 1 && ! grep -q forged "$(rsyslog_today)"
'
test_done
