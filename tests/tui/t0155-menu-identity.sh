#!/bin/bash
# Which disk is which: two installs with the same computer name, told apart
# by device, volume label and Windows version (SOFTWARE hive); a wide
# terminal uses its width for them; details show them at 80 columns.  A
# file a rule covers but no rule decides shows as "1 file to check" with the
# honest reason, never under a rule that did not match, and the machine can
# be recorded as left to check.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib-tmux.sh"

F=C-00000291-00000000-00000032.sys
cleanup_tmux() { tm kill-server 2>/dev/null; cleanup_trash; }
trap cleanup_tmux EXIT

menu() {	# menu W H
	tmux_fresh
	tm new-session -d -x $1 -y $2 "TERM=vt100 BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu --device disk.img --data data; echo menu-exit=\$?; sleep 600"
}

test_expect_success 'setup: one disk, two installs of DESKTOP-2KGM189: Windows 10 (faulty) and 11 (a file to check)' '
	xz -dc "$TESTDATA/hives/SYSTEM_WIN_10_1709.xz" > sys.hive &&
	$TOP/tests/tools/hive-set sys.hive soft10 "Microsoft\\Windows NT\\CurrentVersion" \
		"ProductName=Windows 10 Pro" DisplayVersion=22H2 CurrentBuildNumber=19045 &&
	$TOP/tests/tools/hive-set sys.hive soft11 "Microsoft\\Windows NT\\CurrentVersion" \
		"ProductName=Windows 10 Enterprise" DisplayVersion=23H2 CurrentBuildNumber=22631 &&
	make_disk disk.img gpt 90 40 40 && dev=$(attach disk.img) &&
	ntfs_format ${dev}p1 OldSSD && ntfs_format ${dev}p2 NewInstall &&
	ntfs_mount ${dev}p1 w && windows_tree w && cp soft10 w/Windows/System32/config/SOFTWARE &&
	channel_file w $F "$FAULTY_TIME" && ntfs_umount w &&
	ntfs_mount ${dev}p2 w && windows_tree w && cp soft11 w/Windows/System32/config/SOFTWARE &&
	channel_file w $F "2024-07-19 03:00:00 UTC" && ntfs_umount w &&
	losetup -d $dev && mkdir data
'

test_expect_success '160 columns: label, Windows version for each install' '
	menu 160 30 && wait_for "1 file to check" 60 &&
	screen | grep -E "Label +Windows version +Disk" &&
	screen | grep -E "^>! 1 loop[0-9]+p1 .*DESKTOP-2KGM189 +1 faulty file +OldSSD +Windows 10 Pro 22H2( |$)" &&
	screen | grep -E "^ \? 2 loop[0-9]+p2 .*DESKTOP-2KGM189 +1 file to check +NewInstall +Windows 10 Enterprise 23H2( |$)" &&
	keys q && wait_for "menu-exit=0"
'

test_expect_success '80 columns: the list fits; details name the label and the version' '
	menu 80 24 && wait_for "1 file to check" 60 &&
	! screen | grep -F "Windows version" &&
	keys d && wait_for "SHA-256" && screen | grep -F "label \"OldSSD\"" &&
	screen | grep -F "Windows: DESKTOP-2KGM189  Windows 10 Pro 22H2 build 19045" &&
	keys Escape && wait_for "1 file to check"
'

test_expect_success 'the file to check: why in words, no rule named' '
	keys 2 d && wait_for "SHA-256" &&
	screen | grep -E "^ \?unknown +$F" &&
	screen | grep -F "why: no rule decides a file dated 2024-07-19" &&
	! screen | grep -F "rule cs-291" &&
	keys Escape && wait_for "1 file to check"
'

test_expect_success 'Enter on it: nothing changes; recorded as left to check' '
	sha=$(image_sha disk.img) &&
	keys Enter && wait_for "No rule decides 1 file here" && screen | grep -F "[ Record ]" &&
	keys Enter && wait_for "LEFT AS IT WAS" 60 &&
	wait_for "Another install on this machine needs fixing" &&
	python3 -c "
import json
r=json.loads(open(\"data/logs/bootfix.jsonl\").read().splitlines()[-1])
assert r[\"outcome\"]==\"left\" and \"left to check\" in r[\"reason\"], r
" && test "$(image_sha disk.img)" = "$sha" &&
	keys Enter && wait_for "1 faulty file" 60 && screen | grep -E "^>! 1 " &&
	keys q && wait_for "menu-exit=0"
'

test_done
