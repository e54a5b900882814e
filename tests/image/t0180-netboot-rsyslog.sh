#!/bin/bash
# The log server of docs/netboot.md, for real (rsyslog and rsyslog-gnutls
# from Debian): rsyslogd started by the test on 127.0.0.1 with the TLS
# receiver that writes one file per day, a test CA.  An RFC 5425 client
# (openssl s_client, checking the server's certificate against the CA and
# its name) sends one RFC 5424 message whose MSG is an audit record in
# RFC 6587 octet counting; the day's file has it whole.  Then the log
# server down, in qemu (UEFI with Secure Boot, network boot, site settings
# with log-to, as t0140): the machine fixes the disk, shows NOT LOGGED and
# does not power off; the record is in \bootfix-quarantine\STAMP\
# record-unsent.jsonl on the NTFS volume.  The next network boot of that
# machine, the server up again, sends it (rsyslog's file has it, log verify
# passes) and renames it record-sent.jsonl.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/image/lib-netboot.sh"
trap 'boot_stop_all; rsyslog_stop; cleanup_trash' EXIT

F291=C-00000291-00000000-00000032.sys
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
rsyslog_stop

test_expect_success 'setup: a crashed Windows disk; site settings with log-to, the CA, a signing key' '
	"$TOP/scripts/mkdemo-disk" win.img > /dev/null &&
	mkdir -p site/rules site/keys &&
	printf "%s\n" "mode = auto" "countdown = 0" "operator = ci" "site = netboot-ward" \
		"log-to = syslog+tls://10.0.2.100:6514" > site/bootfix.conf &&
	cp ca.pem site/keys/log-ca.pem &&
	openssl genpkey -algorithm ed25519 -out site/keys/log-signing.pem 2>/dev/null &&
	openssl pkey -in site/keys/log-signing.pem -pubout -out site.pub &&
	netboot_tree nb --site site 2> build.err && cat build.err &&
	: > relay.log && rm -f rsyslog/logs/*
'

test_expect_success 'the log server down: fixed, NOT LOGGED, the record kept on the volume, no power-off' '
	boot_start down --firmware uefi-sb --disk nvme:win.img \
		--net "$(user_net "$TRASH/nb" bootx64.efi "$(log_fwd $RSYSLOG_PORT)")" none &&
	wait_for down "bootfix: auto (fixed|nothing-to-fix|not-fixed|not-logged|check)" 500 &&
	echo $(($(date +%s) - $(cat down.start))) > down.shown_s &&
	grep -a -E "bootfix: auto not-logged computer=DESKTOP-2KGM189 .*reason=the record did not reach every log server \(see Log\); the faulty files were quarantined; log .*not logged to syslog\+tls://10\.0\.2\.100:6514: .*\(4 tries\); record kept in \\\\bootfix-quarantine\\\\[0-9TZ-]+\\\\record-unsent\.jsonl" down.log &&
	grep -F "relay: 127.0.0.1:$RSYSLOG_PORT: " relay.log &&
	sleep 5 && boot_running down && ! grep -a "unattended run ended" down.log
'
boot_stop down

test_expect_success 'on the NTFS volume: record-unsent.jsonl beside the manifest, the record fixed and signed' '
	with_volume win.img 1 w &&
	u=$(find w/bootfix-quarantine -name record-unsent.jsonl) && test -n "$u" &&
	test "$(echo "$u" | wc -l)" = 1 && test -f "$(dirname "$u")/manifest.txt" &&
	test ! -e w/$CS_DIR/$F291 && cp "$u" unsent.jsonl && basename "$(dirname "$u")" > stamp &&
	done_volume w &&
	test "$(wc -l < unsent.jsonl)" = 1 &&
	python3 -c "
import json
r = json.load(open(\"unsent.jsonl\"))
assert r[\"outcome\"] == \"fixed\" and r[\"mode\"] == \"auto\", r
assert \"seq\" not in r and r[\"sig\"], r
assert r[\"volumes\"][0][\"outcome\"] == \"fixed\", r
" && test ! -e rsyslog/logs/*.log
'

test_expect_success 'the next boot, the server up: the kept record is sent, renamed record-sent.jsonl' '
	rsyslog_tls_start &&
	boot_start up --firmware uefi-sb --disk nvme:win.img \
		--net "$(user_net "$TRASH/nb" bootx64.efi "$(log_fwd $RSYSLOG_PORT)")" none &&
	wait_for up "bootfix: auto (fixed|nothing-to-fix|not-fixed|not-logged|check)" 500 &&
	grep -a "bootfix: auto nothing-to-fix computer=DESKTOP-2KGM189 .*sent to syslog+tls://10.0.2.100:6514" up.log &&
	wait_poweroff up 120 &&
	cat rsyslog/logs/*.log > server.log && cat server.log &&
	echo $(($(stat -c %Y rsyslog/logs/*.log) - $(cat up.start))) > up.logged_s &&
	test "$(wc -l < server.log)" = 2 &&
	grep -c -F "$(cat unsent.jsonl)" server.log &&
	$BOOTFIX log verify --pubkey site.pub server.log > verify.out && cat verify.out &&
	grep -F "server.log: intact: 2 records from a log server, each checked, signatures good" verify.out &&
	with_volume win.img 1 w &&
	q=w/bootfix-quarantine/$(cat stamp) && ls -l "$q" &&
	cmp "$q/record-sent.jsonl" unsent.jsonl && test ! -e "$q/record-unsent.jsonl" &&
	done_volume w
'
echo "# qemu start to NOT LOGGED (4 tries, the server down): $(cat down.shown_s 2>/dev/null) s; the next boot: to both records in rsyslog's file: $(cat up.logged_s 2>/dev/null) s"
test_done
