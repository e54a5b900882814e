#!/bin/bash
# Interrupted in the middle of a fix (SIGTERM, as when the stick's owner
# hits Ctrl-C or the menu is killed): nothing half-moved, nothing mounted,
# no loop device left, every file either in place or in quarantine intact.
# The signal comes at an exact step (BOOTFIX_TEST_KILL, recovery/fault.h):
# after the 50th of 150 moves, whatever else the machine is doing.
. "$(dirname "$0")/../lib.sh"

N=150

test_expect_success 'setup: many faulty files' '
	make_disk d.img gpt 120 100 && dev=$(attach d.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	for i in $(seq 1 $N); do
		channel_file w C-00000291-00000000-$(printf %08d $i).sys "$FAULTY_TIME" random 40000 || exit 1
	done &&
	ntfs_umount w && losetup -d $dev
'

test_expect_success 'SIGTERM after the 50th move' '
	BOOTFIX_TEST_KILL=moved:50:TERM $BOOTFIX fix --device d.img > out 2>&1
	echo "exit $?" >> out &&
	cat out &&
	grep -E "^exit 1$" out &&
	grep -q "interrupted; every volume unmounted, nothing half-moved" out &&
	grep -q "150 faulty files found, 50 quarantined" out
'

test_expect_success 'nothing left mounted, attached or running' '
	! grep -q "$TRASH" /proc/mounts &&
	test -z "$(losetup -j d.img)" &&
	test -z "$(ls $BOOTFIX_RUN_DIR/state.* 2>/dev/null)"
'

test_expect_success 'every file is in place or quarantined intact; the manifest lists exactly the moved ones' '
	dev=$(attach d.img) && ntfs-3g -o ro ${dev}p1 w &&
	left=$(ls w/$CS_DIR | wc -l) &&
	q=$(ls -d w/bootfix-quarantine/*) &&
	moved=$(find $q -name "*.sys" | wc -l) &&
	echo "left $left moved $moved" &&
	test $left = 100 && test $moved = 50 &&
	(cd $q && sha256sum --quiet -c manifest.txt) &&
	test $(grep -c "^SHA256 " $q/manifest.txt) = 50 &&
	grep -q "^# end: 50 moved, 100 left in place" $q/manifest.txt &&
	ntfs_umount w && losetup -d $dev
'

test_expect_success 'fix again finishes the job; restore brings all back' '
	expect_exit 0 $BOOTFIX fix --device d.img > out2 &&
	grep -q "100 faulty files found, 100 quarantined" out2 &&
	expect_exit 0 $BOOTFIX restore --device d.img > out3 &&
	dev=$(attach d.img) && ntfs-3g -o ro ${dev}p1 w &&
	test $(ls w/$CS_DIR | wc -l) = $N &&
	ntfs_umount w && losetup -d $dev
'

test_done
