#!/bin/bash
# Mounted Windows volumes are bootfix's alone: a private mount namespace
# (other processes do not even see the mount) and ntfs-3g options that shut
# out every user but root inside it.  Checked as user nobody while a scan
# and a fix are stopped (SIGSTOP at a fault point) with the volume mounted;
# the folders above the mount are opened up (0755) so that only bootfix's
# own protection stands in the way.
. "$(dirname "$0")/../lib.sh"

NOTES=Users/Public/Documents/notes.txt

# stopped PID: wait until the process is stopped (state T)
stopped() {
	for _ in $(seq 1 600); do
		[ "$(awk "{ print \$3 }" /proc/$1/stat 2>/dev/null)" = T ] && return 0
		kill -0 $1 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# as_nobody_inside PID CMD: run CMD as nobody in PID's mount namespace
as_nobody_inside() {
	nsenter -t "$1" -m -S 65534 -G 65534 sh -c "$2"
}

test_expect_success 'setup: a Windows disk with patient notes and a faulty file' '
	chmod 0755 "$TRASH" && mkdir -m 0755 "$BOOTFIX_RUN_DIR" &&
	make_disk d.img gpt 40 32 && dev=$(attach d.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	channel_file w C-00000291-00000000-00000032.sys "$FAULTY_TIME" &&
	ntfs_umount w && losetup -d $dev
'

test_expect_success 'during a scan: the mount is invisible outside, unreadable for nobody inside' '
	BOOTFIX_TEST_KILL=looked:1:STOP $BOOTFIX scan --device d.img > scan.out 2>&1 &
	pid=$! && stopped $pid &&
	mnt=$(ls -d $BOOTFIX_RUN_DIR/mnt.*) && echo "mounted at $mnt" &&
	nsenter -t $pid -m cat $mnt/$NOTES | grep -q "patient notes" &&
	! grep -q "$mnt" /proc/self/mountinfo &&
	! su nobody -s /bin/sh -c "cat $mnt/$NOTES" &&
	! su nobody -s /bin/sh -c "cat /proc/$pid/root$mnt/$NOTES" &&
	! as_nobody_inside $pid "cat $mnt/$NOTES" &&
	! as_nobody_inside $pid "ls $mnt" &&
	kill -CONT $pid && wait $pid; test $? = 1 &&
	grep -q "1 faulty file found" scan.out
'

test_expect_success 'during a fix (mounted read-write): nobody can neither read nor write' '
	BOOTFIX_TEST_KILL=intent:1:STOP $BOOTFIX fix --device d.img > fix.out 2>&1 &
	pid=$! && stopped $pid &&
	mnt=$(ls -d $BOOTFIX_RUN_DIR/mnt.*) && echo "mounted at $mnt" &&
	nsenter -t $pid -m grep " $mnt " /proc/self/mountinfo | grep " rw," &&
	echo reading && ! as_nobody_inside $pid "cat $mnt/$NOTES" &&
	echo writing && ! as_nobody_inside $pid "echo evil > $mnt/evil.txt" &&
	! as_nobody_inside $pid "echo evil > $mnt/Users/evil.txt" &&
	! su nobody -s /bin/sh -c "echo evil > $mnt/evil.txt" &&
	kill -CONT $pid && wait $pid; test $? = 0 &&
	grep -q "1 faulty file found, 1 quarantined" fix.out
'

test_expect_success 'nothing nobody tried is on the volume' '
	dev=$(attach d.img) && ntfs-3g -o ro ${dev}p1 w &&
	test ! -e w/evil.txt && test ! -e w/Users/evil.txt &&
	grep -q "patient notes" w/$NOTES &&
	ntfs_umount w && losetup -d $dev
'

test_done
