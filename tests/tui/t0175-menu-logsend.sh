#!/bin/bash
# The menu with log-to: a fix whose log server cannot be reached says on
# its result screen and on the serial line where the record is kept on the
# volume; once a real rsyslogd listens, recording the machine as checked
# from the menu sends the kept record on and marks it sent.
. "$(dirname "$0")/../lib.sh"

. "$TOP/tests/lib-tmux.sh"
. "$TOP/tests/cli/lib-logserver.sh"

F=C-00000291-00000000-00000032.sys
cleanup_tmux() { tm kill-server 2>/dev/null; stop_servers; cleanup_trash; }
trap cleanup_tmux EXIT

# menu W H args... : the menu in a fresh W x H terminal, its serial line in ready
menu() {
	local w=$1 h=$2
	shift 2
	tmux_fresh
	tm new-session -d -x $w -y $h "TERM=xterm-256color BOOTFIX_LOGSEND_DELAY_MS=50 BOOTFIX_READY=$TRASH/ready BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu $*; echo menu-exit=\$?; sleep 600"
}

test_expect_success 'setup: a faulty disk; log-to a port nothing listens on yet' '
	make_disk disk.img gpt 40 32 && dev=$(attach disk.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" &&
	ntfs_umount w && losetup -d $dev && mkdir -p data &&
	TLS=$(free_port) && TCP=$(free_port) &&
	printf "log-to = syslog+tcp://127.0.0.1:%s\n" $TCP > data/bootfix.conf
'

test_expect_success 'fix with the server down: the Log line says where the record is kept' '
	menu 80 24 --device disk.img --data data && wait_for "1 faulty file" 60 &&
	keys Enter && wait_for "[ Fix ]" && keys Enter && wait_for "FIXED" 90 &&
	wait_for "record-unsent.jsonl" 30 && screen &&
	screen | tr "\n" " " | tr -s " " | grep -F "not logged to syslog+tcp://127.0.0.1:$TCP: cannot connect: connection refused (4 tries); record kept in" &&
	grep -E "^bootfix: record 2 written to .* not logged to syslog\+tcp://127\.0\.0\.1:$TCP: .*record kept in \\\\bootfix-quarantine\\\\[0-9TZ-]+\\\\record-unsent\.jsonl$" ready &&
	keys q && wait_for "menu-exit=0"
'

test_expect_success 'server up: recording the machine as checked sends the kept record on' '
	make_ca ca && make_cert ca server "IP:127.0.0.1" &&
	start_rsyslog $TRASH/rs $TLS $TCP $TRASH/ca.pem $TRASH/server.pem $TRASH/server.key &&
	menu 80 24 --device disk.img --data data && wait_for "clean (has quarantine)" 60 &&
	keys Enter && wait_for "[ Record ]" 10 && keys Left Enter &&
	wait_for "NOTHING TO FIX" 90 && wait_lines rs/tcp.log 2 &&
	sed -n 2p data/logs/bootfix.jsonl | cmp - <(head -n1 rs/tcp.log) &&
	tail -n1 data/logs/bootfix.jsonl | cmp - <(tail -n1 rs/tcp.log) &&
	keys q && wait_for "menu-exit=0" &&
	with_volume disk.img 1 v && { ls v/bootfix-quarantine/*/record-sent.jsonl; rc=$?; } &&
	{ ! ls v/bootfix-quarantine/*/record-unsent.jsonl 2>/dev/null || rc=1; } &&
	done_volume v && test $rc = 0
'

test_done
