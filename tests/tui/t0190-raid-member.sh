#!/bin/bash
# One member of the real Intel RST RAID 1 pair (tests/data) in the menu and
# the unattended mode: the list says why it is not examined, Enter on it
# offers no fix, the unattended mode says NOT FIXED with the reason, and the
# member is unchanged.
. "$(dirname "$0")/../lib.sh"

. "$TOP/tests/lib-tmux.sh"

cleanup_tmux() { tm kill-server 2>/dev/null; cleanup_trash; }
trap cleanup_tmux EXIT

test_expect_success 'setup: one member of the pair' '
	xz -dc "$TESTDATA/imsm-raid1-a.img.xz" > a.img && image_sha a.img > a.sha && mkdir -p data
'

test_expect_success 'the menu list: the member with its reason; Enter starts no fix' '
	tmux_fresh &&
	tm new-session -d -x 100 -y 24 "TERM=xterm-256color BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu --device a.img --data data; echo menu-exit=\$?; sleep 600" &&
	wait_for "Intel RAID member" 60 &&
	screen &&
	screen | grep -E "^>\? 1 loop[0-9]+p1 .* - +Intel RAID member: not fixed " &&
	keys d && wait_for "not fixed through one disk" &&
	screen | tr -d "\n" | tr -s " " | grep -F "member of an Intel RAID volume (IMSM): not fixed through one disk" &&
	keys Escape && wait_for "Intel RAID member" && keys Enter && keys d && wait_for "not fixed through one disk" &&
	! screen | grep -F "[ Fix ]" &&
	test "$(image_sha a.img)" = "$(cat a.sha)"
'

test_expect_success 'unattended: NOT FIXED, the reason on screen and on the serial line' '
	tmux_fresh &&
	tm new-session -d -x 80 -y 24 "TERM=xterm-256color BOOTFIX_READY=$TRASH/ready BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX auto --device a.img --data data --after wait; echo auto-exit=\$?; sleep 600" &&
	wait_for "Press any key for the menu." 60 &&
	screen &&
	grep -F "bootfix: auto not-fixed computer=(no Windows found)" ready &&
	screen | tr -d "\n" | tr -s " " | grep -F "member of an Intel RAID volume (IMSM): not fixed through one disk" &&
	cat ready && grep -F "member of an Intel RAID volume (IMSM)" ready &&
	test "$(image_sha a.img)" = "$(cat a.sha)"
'

test_done
