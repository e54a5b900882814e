#!/bin/bash
# The unattended mode's result screen for a machine with nothing faulty but
# a file no rule decides: CHECK, the file named whole (wrapped between
# folders, never inside a name), the serial line saying "check".
. "$(dirname "$0")/../lib.sh"

. "$TOP/tests/lib-tmux.sh"

F=C-00000291-00000000-00000032.sys
cleanup_tmux() { tm kill-server 2>/dev/null; cleanup_trash; }
trap cleanup_tmux EXIT

test_expect_success 'setup: a channel file from the two hours before 04:09 (no rule decides)' '
	make_disk m.img gpt 40 32 && dev=$(attach m.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "2024-07-19 03:30:00 UTC" &&
	ntfs_umount w && losetup -d $dev && image_sha m.img > m.sha && mkdir -p data
'

test_expect_success 'auto on 80x24: CHECK with the file whole, the serial line says check' '
	tmux_fresh &&
	tm new-session -d -x 80 -y 24 "TERM=xterm-256color BOOTFIX_READY=$TRASH/ready BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX auto --device m.img --data data --after wait; echo auto-exit=\$?; sleep 600" &&
	wait_for "Press any key for the menu." 60 &&
	screen &&
	screen | grep -E "^  Why: +1 file no rule decides \(/dev/loop[0-9]+p1:" &&
	screen | grep -F "C-00000291-00000000-00000032.sys, modified" &&
	screen | grep -F "2024-07-19T03:30:00Z)" &&
	! screen | grep -F "NOT FIXED" &&
	grep -F "bootfix: auto check computer=DESKTOP-2KGM189" ready &&
	grep -F "reason=1 file no rule decides" ready &&
	test "$(image_sha m.img)" = "$(cat m.sha)"
'

test_done
