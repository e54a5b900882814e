#!/bin/bash
# The end of a machine on a network boot (BOOTFIX_INIT=1 and
# BOOTFIX_NO_STICK=1, as image/init runs the menu with the site settings of
# docs/netboot.md): after the fix the screen says "Press Enter to restart
# into Windows" and nothing about removing a stick; the data folder (the
# site settings) is not remounted read-only and nothing is written into
# it.  Without a log server the record is on the serial line; with one, the
# Log line says it was sent; a record the server did not take and no volume
# kept: NOT saved, no restart offered.  (t0130 is the same end on a stick.)
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib-tmux.sh"
. "$TOP/tests/cli/lib-logserver.sh"

F=C-00000291-00000000-00000032.sys
cleanup_tmux() { tm kill-server 2>/dev/null; stop_servers; cleanup_trash; }
trap cleanup_tmux EXIT

# super_opts DIR: the file system options of the mount at DIR ("ro,..." or "rw,...")
super_opts() { awk -v d="$(realpath "$1")" '$5 == d { print $NF }' /proc/self/mountinfo; }

menu() {
	tmux_fresh
	tm new-session -d -x 80 -y 24 "TERM=vt220 BOOTFIX_INIT=1 BOOTFIX_NO_STICK=1 BOOTFIX_LOGSEND_DELAY_MS=50 BOOTFIX_READY=$TRASH/ready BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu $*; echo menu-exit=\$?; sleep 600"
}

# the screen without the Log line (its note may name the stick it lacks)
screen_but_log() { screen | grep -v "^ *Log: \|^ *(network boot)"; }

test_expect_success 'setup: a faulty Windows disk; site settings on a file system of their own, writable' '
	make_disk disk.img gpt 40 32 && dev=$(attach disk.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" &&
	ntfs_umount w && losetup -d $dev && cp --sparse=always disk.img disk2.img &&
	truncate -s 64M site.img && mkfs.ext4 -q -L SITE site.img &&
	mkdir site && mount -o loop,rw,noatime site.img site &&
	printf "operator = netboot\nsite = ward-9\n" > site/bootfix.conf &&
	(cd site && find . | sort > ../site.before) && super_opts site | grep -q "^rw"
'

test_expect_success 'after the fix: Enter restarts into Windows; no stick to remove; the site settings untouched' '
	: > ready && menu --device disk.img --data site && wait_for "1 faulty file" 60 &&
	keys Enter && wait_for "[ Fix ]" && keys Enter && wait_for "FIXED" 60 &&
	wait_for "Press Enter to restart into Windows." && screen &&
	screen | grep -F "Log: not written: no stick (network boot)" &&
	screen | grep -F "Network boot, no log server: the record is not kept (copy on the serial line)." &&
	! screen_but_log | grep -i "stick" &&
	! screen | grep -i -E "remove|pull it" &&
	grep -F "bootfix: audit record not written; here it is:" ready &&
	super_opts site | grep -q "^rw" &&
	(cd site && find . | sort > ../site.after) && diff site.before site.after
'

test_expect_success 'p on the done screen: the power screen says nothing about a stick; Esc back' '
	keys p && wait_for "Power off" && screen | grep -E "^ *2  Reboot *$" &&
	! screen | grep -i stick && keys Escape && wait_for "Press Enter to restart into Windows." &&
	keys Enter && wait_for "menu-exit=11" && super_opts site | grep -q "^rw"
'

test_expect_success 'with a log server: the Log line says the record was sent; Enter restarts' '
	make_ca ca && make_cert ca server "IP:127.0.0.1" && TLS=$(free_port) && TCP=$(free_port) &&
	start_rsyslog $TRASH/rs $TLS $TCP $TRASH/ca.pem $TRASH/server.pem $TRASH/server.key &&
	printf "operator = netboot\nsite = ward-9\nlog-to = syslog+tcp://127.0.0.1:%s\n" $TCP \
		> site/bootfix.conf && (cd site && find . | sort > ../site.before) &&
	cp --sparse=always disk2.img disk.img && : > ready &&
	menu --device disk.img --data site && wait_for "1 faulty file" 60 &&
	keys Enter && wait_for "[ Fix ]" && keys Enter && wait_for "FIXED" 60 &&
	wait_for "Press Enter to restart into Windows." && screen &&
	screen | tr "\n" " " | tr -s " " | grep -F "sent to syslog+tcp://127.0.0.1:$TCP" &&
	screen | grep -F "Network boot: the Log line says where the record went." &&
	! screen | grep -i -E "stick|NOT saved" &&
	wait_lines rs/tcp.log 1 && grep -F "\"site\":\"ward-9\"" rs/tcp.log &&
	! grep -F "here it is" ready &&
	super_opts site | grep -q "^rw" &&
	(cd site && find . | sort > ../site.after) && diff site.before site.after &&
	keys Enter && wait_for "menu-exit=11"
'

test_expect_success 'the server down, a record no volume keeps: NOT saved, do not restart, no stick named' '
	stop_server rs && : > ready &&
	menu --device disk.img --data site && wait_for "clean (has quarantine)" 60 &&
	keys Enter && wait_for "[ Record ]" 10 && keys Left Enter &&
	wait_for "The record was NOT saved: do not restart yet (copy on the serial line)." 90 && screen &&
	screen | tr "\n" " " | tr -s " " | grep -F "not logged to syslog+tcp://127.0.0.1:$TCP" &&
	! screen | grep -F "Press Enter to restart" && ! screen_but_log | grep -i stick &&
	grep -F "bootfix: audit record not written; here it is:" ready &&
	keys Enter && sleep 2 && ! screen | grep -F "menu-exit=11" &&
	super_opts site | grep -q "^rw"
'

umount site 2>/dev/null
test_done
