#!/bin/bash
# Hostile file names in the menu: the details screen shows them escaped
# (\x1b, \u202e), so a name cannot move the cursor, clear the screen or
# reverse what follows it; the fix leaves the names it cannot record alone
# and moves the rest.
. "$(dirname "$0")/../lib.sh"

. "$TOP/tests/lib-tmux.sh"

cleanup_tmux() { tm kill-server 2>/dev/null; cleanup_trash; }
trap cleanup_tmux EXIT

ESC_NAME=$'C-00000291-\e[2J\e[H.sys'
CR_NAME=$'C-00000291-x\rhidden.sys'
RLO_NAME=$'C-00000291-\u202egnp.sys'

test_expect_success 'setup: faulty files with hostile names' '
	make_disk disk.img gpt 40 32 && dev=$(attach disk.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	for n in C-00000291-00000000-00000032.sys "$ESC_NAME" "$CR_NAME" "$RLO_NAME"; do
		channel_file w "$n" "$FAULTY_TIME" || exit 1
	done &&
	ntfs_umount w && losetup -d $dev && mkdir -p data
'

test_expect_success 'details: every name escaped, nothing raw on the screen' '
	tmux_fresh &&
	tm new-session -d -x 120 -y 30 "TERM=xterm-256color BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu --device disk.img --data data; sleep 600" &&
	wait_for "4 faulty files" 60 && keys d && wait_for "SHA-256" &&
	screen > details.txt && cat details.txt &&
	grep -F "C-00000291-\\x1b[2J\\x1b[H.sys" details.txt &&
	grep -F "C-00000291-x\\x0dhidden.sys" details.txt &&
	grep -F "C-00000291-\\u202egnp.sys" details.txt &&
	! grep -q "$(printf "\342\200\256")" details.txt &&
	grep -F "bootfix" details.txt | head -n1 | grep -q "^ *bootfix"
'

test_expect_success 'Enter, Enter: the two it can record are quarantined, the others left with the reason' '
	keys Escape && wait_for "4 faulty files" && keys Enter && wait_for "Fix " && keys Enter &&
	wait_for "NOT FIXED" 90 && screen > result.txt && cat result.txt &&
	grep -F "cannot be recorded" result.txt &&
	! grep -q "$(printf "\342\200\256")" result.txt
'

test_done
