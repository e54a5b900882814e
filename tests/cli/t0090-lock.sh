#!/bin/bash
# Two consoles (the stick runs a menu on the screen and one on the serial
# line) never work on the disks at once: the second bootfix waits for the
# first, and says so.
. "$(dirname "$0")/../lib.sh"

F=C-00000291-00000000-00000032.sys
BOOTFIX_LOCK=$BOOTFIX_RUN_DIR/lock
mkdir -p -m 0700 "$BOOTFIX_RUN_DIR"

test_expect_success 'setup' '
	make_disk d.img gpt 40 32 && dev=$(attach d.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" &&
	ntfs_umount w && losetup -d $dev
'

# hold_and_fix : hold the lock, start a fix, see it wait, release, see it finish
hold_and_fix() {
	local holder fixer i
	mkfifo go || return 1
	flock "$BOOTFIX_LOCK" sh -c "echo held > held; read x < go; echo released > released" &
	holder=$!
	for i in $(seq 1 100); do [ -e held ] && break; sleep 0.05; done
	[ -e held ] || { echo "the lock holder did not start"; return 1; }
	( $BOOTFIX fix --device d.img --verbose > fix.out 2>&1; echo $? > fix.rc ) &
	fixer=$!
	for i in $(seq 1 200); do
		grep -q "waiting: another bootfix" fix.out 2>/dev/null && break
		sleep 0.05
	done
	grep -F "waiting: another bootfix (on the other console?) is working on the disks" fix.out ||
		{ echo "the fix did not say it waits:"; cat fix.out; echo go > go; return 1; }
	[ ! -e fix.rc ] || { echo "the fix ran while the lock was held"; return 1; }
	! grep -F "mounting" fix.out || { echo "the fix mounted while the lock was held"; return 1; }
	echo go > go
	wait $holder && wait $fixer &&
	test "$(cat fix.rc)" = 0 && grep -F "1 faulty file found, 1 quarantined" fix.out
}

test_expect_success 'a fix waits while another bootfix holds the disks, then runs' '
	hold_and_fix
'

# term_while_waiting : SIGTERM to a fix that waits for the lock: it ends, nothing done
term_while_waiting() {
	local holder fixer i before
	before=$(image_sha d.img)
	rm -f go held && mkfifo go || return 1
	flock "$BOOTFIX_LOCK" sh -c "echo held > held; read x < go" &
	holder=$!
	for i in $(seq 1 100); do [ -e held ] && break; sleep 0.05; done
	$BOOTFIX fix --device d.img --verbose > t.out 2>&1 &
	fixer=$!
	for i in $(seq 1 200); do grep -q "waiting: another" t.out 2>/dev/null && break; sleep 0.05; done
	kill -TERM $fixer	# this test's own bootfix, by pid: nothing machine-wide
	wait $fixer; echo $? > t.rc
	echo go > go; wait $holder
	cat t.out
	test "$(cat t.rc)" = 3 &&
	grep -F "interrupted while waiting for the other bootfix: nothing was done" t.out &&
	test "$(image_sha d.img)" = "$before"
}

test_expect_success 'SIGTERM while waiting: ends at once, nothing done, exit 3' '
	term_while_waiting
'

test_done
