#!/bin/bash
# log-to = https://...: one POST per record, the record line as its JSON
# body, the bearer token of log-token, the server's certificate checked
# against the site's CA; 2xx alone counts.  The receiver is
# tests/tools/https-receiver.py on 127.0.0.1.  The volumes here are plain
# folders fixed with --root (the record is kept there the same way).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-logserver.sh"

F=C-00000291-00000000-00000032.sys
LOG=data/logs/bootfix.jsonl
export BOOTFIX_LOGSEND_DELAY_MS=50	# test only: 50, 100, 200 ms between tries

# tree DIR : a Windows folder with a faulty channel file
tree() { windows_tree $1 && channel_file $1 $F "$FAULTY_TIME"; }

test_expect_success 'setup: a CA, a certificate, a token, the receiver' '
	make_ca ca && make_cert ca server "DNS:localhost,IP:127.0.0.1" &&
	mkdir -p data/keys && cp ca.pem data/keys/log-ca.pem &&
	openssl rand -hex 24 > data/keys/log-token &&
	P=$(free_port) &&
	start_https $TRASH/h $P $TRASH/server.pem $TRASH/server.key data/keys/log-token
'

test_expect_success 'a fix POSTs its record with the token; the body is the stick'"'"'s line' '
	tree w1 &&
	site_conf "log-to = https://localhost:$P/services/collector/raw?channel=ward3" "log-token = keys/log-token" &&
	expect_exit 0 $BOOTFIX fix --root w1 --data data 2> fix.err && cat fix.err &&
	grep -Fx "bootfix: sent to https://localhost:$P/services/collector/raw?channel=ward3" fix.err &&
	tail -n1 $LOG | tr -d "\n" | cmp - h/bodies/1.body &&
	grep -Fx "POST /services/collector/raw?channel=ward3" h/bodies/1.headers &&
	grep -Fx "Content-Type: application/json" h/bodies/1.headers &&
	grep -Fx "Authorization: Bearer $(cat data/keys/log-token)" h/bodies/1.headers &&
	grep -Fx "Host: localhost:$P" h/bodies/1.headers
'

test_expect_success 'a wrong token: 401, one try (another cannot help), kept in the folder' '
	tree w2 && openssl rand -hex 24 > data/keys/other-token &&
	site_conf "log-to = https://127.0.0.1:$P/in" "log-token = keys/other-token" &&
	expect_exit 0 $BOOTFIX fix --root w2 --data data 2> fix2.err && cat fix2.err &&
	grep -E "^bootfix: not logged to https://127\.0\.0\.1:$P/in: the server answered 401 Unauthorized; record kept in \\\\bootfix-quarantine\\\\[0-9TZ-]+\\\\record-unsent\.jsonl$" fix2.err &&
	tail -n1 $LOG | cmp - w2/bootfix-quarantine/*/record-unsent.jsonl &&
	test ! -e h/bodies/2.body
'

test_expect_success 'a server that answers 503: tried 4 times, then kept' '
	tree w3 && site_conf "log-to = https://127.0.0.1:$P/fail" "log-token = keys/log-token" &&
	expect_exit 0 $BOOTFIX fix --root w3 --data data 2> fix3.err &&
	grep -F "bootfix: not logged to https://127.0.0.1:$P/fail: the server answered 503 Service Unavailable (4 tries); record kept in" fix3.err
'

test_expect_success 'no token file, no CA file: said, and kept' '
	tree w4 && site_conf "log-to = https://127.0.0.1:$P/in" "log-token = keys/missing-token" &&
	expect_exit 0 $BOOTFIX fix --root w4 --data data 2> fix4.err &&
	grep -F "bootfix: not logged to https://127.0.0.1:$P/in: cannot read the token file: " fix4.err &&
	grep -F "; record kept in" fix4.err &&
	tree w5 && site_conf "log-to = https://127.0.0.1:$P/in" "log-ca = keys/none.pem" &&
	expect_exit 0 $BOOTFIX fix --root w5 --data data 2> fix5.err &&
	grep -F "bootfix: not logged to https://127.0.0.1:$P/in: cannot read the CA file data/keys/none.pem: no such file or directory; record kept in" fix5.err
'

test_expect_success 'the next fix with the right token sends the kept record on' '
	site_conf "log-to = https://127.0.0.1:$P/in" "log-token = keys/log-token" &&
	expect_exit 0 $BOOTFIX fix --root w2 --data data > next.out 2> next.err && cat next.out next.err &&
	grep -F "1 audit record kept here sent on to the log servers" next.out &&
	cmp <(tr -d "\n" < w2/bootfix-quarantine/*/record-sent.jsonl) h/bodies/2.body &&
	test ! -e w2/bootfix-quarantine/*/record-unsent.jsonl &&
	tail -n1 $LOG | tr -d "\n" | cmp - h/bodies/3.body
'

test_expect_success 'a restore sends the kept records on as well, and its own record' '
	site_conf "log-to = https://127.0.0.1:$P/in" "log-token = keys/log-token" &&
	expect_exit 0 $BOOTFIX restore --root w4 --data data > rest.out 2> rest.err &&
	cat rest.out rest.err &&
	grep -F "1 audit record kept here sent on to the log servers" rest.out &&
	cmp <(tr -d "\n" < w4/bootfix-quarantine/*/record-sent.jsonl) h/bodies/4.body &&
	tail -n1 $LOG | tr -d "\n" | cmp - h/bodies/5.body &&
	test -f w4/Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000032.sys
'

test_expect_success 'nothing to fix and no server: no record kept (no folder), said so' '
	mkdir w6 && windows_tree w6 &&
	site_conf "log-to = https://127.0.0.1:$(free_port)/in" &&
	expect_exit 0 $BOOTFIX fix --root w6 --data data 2> fix6.err && cat fix6.err &&
	grep -F "record not kept on the volume: this run made no quarantine folder to keep it in" fix6.err &&
	test ! -e w6/bootfix-quarantine
'

test_expect_success 'an interim 100 Continue, then 201: sent once, not kept' '
	tree w7 && site_conf "log-to = https://127.0.0.1:$P/in/continue" "log-token = keys/log-token" &&
	expect_exit 0 $BOOTFIX fix --root w7 --data data 2> fix7.err && cat fix7.err &&
	grep -Fx "bootfix: sent to https://127.0.0.1:$P/in/continue" fix7.err &&
	tail -n1 $LOG | tr -d "\n" | cmp - h/bodies/6.body && test ! -e h/bodies/7.body &&
	test ! -e w7/bootfix-quarantine/*/record-unsent.jsonl
'

test_expect_success 'a token file Notepad wrote (a BOM, CRLF): the token without them' '
	printf "\357\273\277%s\r\n" "$(cat data/keys/log-token)" > data/keys/bom-token &&
	tree w8 && site_conf "log-to = https://127.0.0.1:$P/in" "log-token = keys/bom-token" &&
	expect_exit 0 $BOOTFIX fix --root w8 --data data 2> fix8.err && cat fix8.err &&
	grep -Fx "bootfix: sent to https://127.0.0.1:$P/in" fix8.err &&
	grep -Fx "Authorization: Bearer $(cat data/keys/log-token)" h/bodies/7.headers
'

test_expect_success 'a redirect: one try, not followed, kept; a CA file that is a folder: said' '
	tree w9 && site_conf "log-to = https://127.0.0.1:$P/in/moved" "log-token = keys/log-token" &&
	expect_exit 0 $BOOTFIX fix --root w9 --data data 2> fix9.err && cat fix9.err &&
	grep -F "bootfix: not logged to https://127.0.0.1:$P/in/moved: the server answered 301 Moved Permanently (a redirect is not followed: give log-to the URL it names); record kept in" fix9.err &&
	test ! -e h/bodies/8.body && test -s w9/bootfix-quarantine/*/record-unsent.jsonl &&
	tree w10 && site_conf "log-to = https://127.0.0.1:$P/in" "log-ca = keys" &&
	expect_exit 0 $BOOTFIX fix --root w10 --data data 2> fix10.err && cat fix10.err &&
	grep -F "bootfix: not logged to https://127.0.0.1:$P/in: cannot read the CA file data/keys: it is a folder; record kept in" fix10.err
'

test_done
