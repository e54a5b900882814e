#!/bin/bash
# A log server's file: the records bootfix sends reach a real rsyslog
# (started here: its own config, pid file, work folder, a TCP listener on
# a free 127.0.0.1 port), which writes them as syslog lines in its three
# file formats; `bootfix log verify|list|summary|export|show` read those
# files.  Records of many sticks are not one chain: verify checks each
# record (form, signature with --pubkey) and each stick's chain where its
# records are consecutive.  Hostile: a forged record, a record the server
# cut short, control characters, an edited unsigned record.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys
RS=$TRASH/rs

stop_rsyslog() {
	local p
	for f in "$RS"/*.pid; do
		[ -s "$f" ] || continue
		p=$(cat "$f")
		kill "$p" 2>/dev/null
		for _ in $(seq 1 100); do process_gone "$p" && break; sleep 0.1; done
	done
}
trap 'stop_rsyslog; cleanup_trash' EXIT

# start_rsyslog NAME MAXSIZE: an rsyslogd of this test writing NAME-*.log
# (a message over MAXSIZE is cut there, its rest taken as a message of its own)
start_rsyslog() {
	local name=$1 max=$2
	cat > "$RS/$name.conf" <<CONF
global(workDirectory="$RS/$name.work" maxMessageSize="$max")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="$RS/$name.port"
      ruleset="bootfix")
ruleset(name="bootfix") {
	action(type="omfile" file="$TRASH/$name-trad.log" template="RSYSLOG_TraditionalFileFormat")
	action(type="omfile" file="$TRASH/$name-iso.log" template="RSYSLOG_FileFormat")
	action(type="omfile" file="$TRASH/$name-5424.log" template="RSYSLOG_SyslogProtocol23Format")
}
CONF
	mkdir -p "$RS/$name.work"
	rsyslogd -n -f "$RS/$name.conf" -i "$RS/$name.pid" > "$RS/$name.out" 2>&1 &
	for _ in $(seq 1 100); do
		[ -s "$RS/$name.port" ] && return 0
		sleep 0.1
	done
	echo "rsyslogd did not start:"; cat "$RS/$name.out"
	return 1
}

# wait_lines FILE N: rsyslog has written N lines to FILE
wait_lines() {
	for _ in $(seq 1 100); do
		[ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "$1 has $(wc -l < "$1" 2>/dev/null) lines, not $2"
	return 1
}

# send NAME FILE [logger options]: each line of FILE as one message (RFC 5424, octet counted)
send() {
	local name=$1 file=$2
	shift 2
	logger --tcp --octet-count -n 127.0.0.1 -P "$(cat "$RS/$name.port")" -t bootfix \
		--size 262144 "$@" -f "$file"
}

# send_raw NAME MESSAGE: one RFC 6587 octet-counted frame, bytes as given
send_raw() {
	local port
	port=$(cat "$RS/$1.port")
	LC_ALL=C printf '%d %s' "${#2}" "$2" > "/dev/tcp/127.0.0.1/$port"
}

# verify_out CODE ARGS...: bootfix log verify ARGS exits CODE; its output in v.out, shown
verify_out() {
	local code=$1 rc
	shift
	expect_exit "$code" $BOOTFIX log verify "$@" > v.out
	rc=$?
	cat v.out
	return $rc
}

# fix_on DATA STICK: a real fix of a fresh tree, logged (and signed) on DATA
fix_on() {
	mkdir -p "$1/keys" && cp site.pem "$1/keys/log-signing.pem" &&
	printf "site = Ward 3\nstick = %s\n" "$2" > "$1/bootfix.conf" &&
	rm -rf w && windows_tree w && channel_file w $F291 "$FAULTY_TIME" &&
	$BOOTFIX fix --root w --data "$1" > f.out 2>&1
}

test_expect_success 'setup: two sticks, each with two fixes; an rsyslogd of this test' '
	openssl genpkey -algorithm ed25519 -out site.pem 2>/dev/null &&
	openssl pkey -in site.pem -pubout -out site.pub &&
	openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null &&
	openssl pkey -in other.pem -pubout -out other.pub &&
	fix_on a stick-a && fix_on a stick-a && fix_on b stick-b && fix_on b stick-b &&
	test "$(wc -l < a/logs/bootfix.jsonl)" = 4 && test "$(wc -l < b/logs/bootfix.jsonl)" = 4 &&
	test "$(wc -c < a/logs/bootfix.jsonl)" -gt 4096 &&
	mkdir -p "$RS" && start_rsyslog srv 256k
'

test_expect_success 'records through rsyslog: all three file formats verify, signatures good' '
	send srv a/logs/bootfix.jsonl --rfc5424 &&
	send srv b/logs/bootfix.jsonl --rfc5424=notq &&
	for f in trad iso 5424; do wait_lines srv-$f.log 8 || return 1; done &&
	head -n1 srv-trad.log | grep -E "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [^ ]+ bootfix:? \{\"schema\":1," &&
	head -n1 srv-iso.log | grep -E "^20[0-9-]{8}T[0-9:.]+[-+Z][0-9:]* [^ ]+ bootfix:? \{" &&
	head -n1 srv-5424.log | grep -E "^<13>1 20[0-9-]{8}T[^ ]+ [^ ]+ bootfix - - (-|\[timeQuality[^]]*\]) \{" &&
	for f in trad iso 5424; do
		expect_exit 0 $BOOTFIX log verify --pubkey site.pub srv-$f.log > v.out || { cat v.out; return 1; }
		cat v.out &&
		grep -Fx "srv-$f.log: intact: 8 records from a log server, each checked, signatures good" v.out &&
		grep -F "a log server'"'"'s file: 8 records, each checked on its own; 8 in the chains of 2 sticks" v.out &&
		! grep -F "not in this file" v.out || return 1
	done
'

test_expect_success 'the records read back byte for byte: each line'"'"'s sha256 is its stick line'"'"'s' '
	$BOOTFIX log export --csv srv-5424.log > e.csv &&
	for f in a b; do
		while read -r line; do
			sha=$(printf %s "$line" | sha256sum | cut -c1-64)
			grep -q "$sha" e.csv || { echo "no $sha in the export"; return 1; }
		done < $f/logs/bootfix.jsonl
	done
'

test_expect_success 'list, summary, show and keys-used read the server'"'"'s file' '
	expect_exit 0 $BOOTFIX log list srv-trad.log > l.out && cat l.out &&
	head -n1 l.out | grep -E "^LINE +TIME +COMPUTER +SERIAL +SITE +ACTION +OUTCOME$" &&
	test "$(grep -c " fixed$" l.out)" = 4 &&
	! grep -q interrupted l.out &&
	expect_exit 0 $BOOTFIX log summary srv-iso.log > s.out && cat s.out &&
	grep -E "^records +4$" s.out && grep -E "^  fixed +4$" s.out && grep -E "^  Ward 3 +4$" s.out &&
	expect_exit 0 $BOOTFIX log show srv-5424.log 2 > sh.out &&
	grep -F "\"stick\": \"stick-a\"" sh.out &&
	grep -F "\"received\": {" sh.out && grep -F "\"tag\": \"bootfix\"" sh.out &&
	test "$(( $(wc -l < e.csv) - 1 ))" = 4
'

test_expect_success 'a forged record (changed after signing): bad with --pubkey, named by line' '
	sed -n 4p a/logs/bootfix.jsonl | sed "s/\"site\":\"Ward 3\"/\"site\":\"Ward 9\"/" > forged.jsonl &&
	grep -q "Ward 9" forged.jsonl &&
	send srv forged.jsonl --rfc5424 &&
	wait_lines srv-5424.log 9 &&
	verify_out 1 --pubkey site.pub srv-5424.log &&
	grep -Fx "srv-5424.log: bad: line 9: bad signature (the record was changed after signing)" v.out &&
	verify_out 1 --pubkey other.pub srv-trad.log &&
	grep -F "srv-trad.log: bad: line 1: signed with a key that is not one of the --pubkey keys" v.out &&
	grep -F "(and 8 more bad lines)" v.out
'

test_expect_success 'without --pubkey the forgery still shows: two different records 4 of stick-a' '
	verify_out 0 srv-5424.log &&
	grep -F "lines 4 and 9 are both record 4 but differ" v.out &&
	grep -F "9 signed records; signatures not checked (give --pubkey)" v.out
'

test_expect_success 'an edited unsigned record: its successor no longer follows it' '
	mkdir -p u && printf "stick = stick-u\n" > u/bootfix.conf &&
	rm -rf w && windows_tree w && channel_file w $F291 "$FAULTY_TIME" &&
	$BOOTFIX fix --root w --data u > f.out 2>&1 &&
	rm -rf w && windows_tree w && channel_file w $F291 "$FAULTY_TIME" &&
	$BOOTFIX fix --root w --data u > f.out 2>&1 &&
	sed "2s/\"target\":\"w\"/\"target\":\"x\"/" u/logs/bootfix.jsonl > edited.jsonl &&
	! cmp -s edited.jsonl u/logs/bootfix.jsonl &&
	start_rsyslog edit 256k &&
	send edit edited.jsonl --rfc5424 && wait_lines edit-trad.log 4 &&
	verify_out 1 edit-trad.log &&
	grep -Fx "edit-trad.log: bad: line 3: record 3 of stick \"stick-u\" does not follow record 2 (line 2): one of them was changed" v.out
'

test_expect_success 'a record the server cut short (maxMessageSize 1k): not a record, named' '
	start_rsyslog small 1k &&
	sed -n 2p a/logs/bootfix.jsonl > one.jsonl && test "$(wc -c < one.jsonl)" -gt 1024 &&
	send small one.jsonl --rfc5424 && wait_lines small-5424.log 1 &&
	test "$(head -n1 small-5424.log | wc -c)" -lt "$(wc -c < one.jsonl)" &&
	verify_out 1 small-5424.log &&
	grep -Fx "small-5424.log: bad: line 1: not a record: not a JSON object (damaged, or cut short by the sender or by the server'"'"'s maximum message size)" v.out
'

test_expect_success 'control characters and markup from the network are never printed raw' '
	esc=$(printf "\033")
	send_raw edit "<13>1 2026-12-01T10:00:00Z evil${esc}]0;owned${esc}\\ bootfix - - - {\"schema\":1,\"time\":\"2026-12-01T10:00:00Z\",\"tool\":\"bootfix\",\"action\":\"fix\",\"site\":\"<b>${esc}[31mred</b>\",\"outcome\":\"fixed\",\"volumes\":[{\"computer_name\":\"PC${esc}[2J\"}]}" &&
	send_raw edit "<13>1 2026-12-01T10:00:01Z host2 other - - - plain text of another program" &&
	wait_lines edit-5424.log 6 &&
	$BOOTFIX log list edit-5424.log > l.out 2> l.err && cat l.out l.err &&
	! grep -q "$esc" l.out l.err &&
	$BOOTFIX log summary edit-5424.log > s.out 2>&1 && ! grep -q "$esc" s.out &&
	verify_out 1 edit-5424.log &&
	! grep -q "$esc" v.out &&
	grep -F "1 syslog line not a record (skipped)" v.out &&
	grep -F "1 record not chained" v.out &&
	verify_out 1 --pubkey site.pub edit-5424.log &&
	grep -F "not signed (with --pubkey every record a log server received must be signed" v.out
'

test_expect_success 'a stick log and a server file in one call; merge says it takes sticks'"'"' logs' '
	expect_exit 0 $BOOTFIX log verify a/logs/bootfix.jsonl srv-iso.log > v.out && cat v.out &&
	grep -Fx "a/logs/bootfix.jsonl: intact: 4 records" v.out &&
	{ expect_exit 1 $BOOTFIX log merge -o m.jsonl srv-iso.log 2> m.err; rc=$?; cat m.err; test $rc = 0; } &&
	grep -F "cannot merge srv-iso.log: it is a log server'"'"'s file" m.err && test ! -e m.jsonl
'

test_done
