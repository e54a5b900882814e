#!/bin/bash
# The unattended mode when the site's log server cannot be reached: the
# machine is fixed, but the screen says NOT LOGGED (why: the record did not
# reach every log server), the Log line says where the record is kept on
# the volume, and there is no countdown to power off: it waits for a key.
# The serial line says "not-logged".
. "$(dirname "$0")/../lib.sh"

. "$TOP/tests/lib-tmux.sh"

F=C-00000291-00000000-00000032.sys
cleanup_tmux() { tm kill-server 2>/dev/null; cleanup_trash; }
trap cleanup_tmux EXIT

test_expect_success 'setup: a faulty channel file; log-to a port nothing listens on' '
	make_disk m.img gpt 40 32 && dev=$(attach m.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" &&
	ntfs_umount w && losetup -d $dev && mkdir -p data/keys &&
	port=$(python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])") &&
	printf "log-to = syslog+tcp://127.0.0.1:%s\n" $port > data/bootfix.conf
'

test_expect_success 'auto on 80x24: NOT LOGGED, where the record is kept, no power-off' '
	tmux_fresh &&
	tm new-session -d -x 80 -y 24 "TERM=xterm-256color BOOTFIX_LOGSEND_DELAY_MS=50 BOOTFIX_READY=$TRASH/ready BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX auto --device m.img --data data --after poweroff --countdown 1; echo auto-exit=\$?; sleep 600" &&
	wait_for "Press any key for the menu." 90 &&
	screen &&
	screen | grep -F "Why:      the record did not reach every log server (see Log); the" &&
	screen | tr "\n" " " | tr -s " " | grep -F "not logged to syslog+tcp://127.0.0.1:$port: cannot connect:" &&
	screen | tr "\n" " " | tr -s " " | grep -E "record kept in +\\\\bootfix-quarantine\\\\[0-9TZ-]+\\\\ *record-unsent\.jsonl" &&
	! screen | grep -F "Powering off" &&
	grep -F "bootfix: auto not-logged computer=DESKTOP-2KGM189" ready &&
	grep -F "not logged to syslog+tcp://127.0.0.1:$port" ready
'

test_done
