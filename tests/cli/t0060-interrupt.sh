#!/bin/bash
# Interrupted in the middle of a fix (SIGTERM, as when the stick's owner
# hits Ctrl-C or the menu is killed): nothing half-moved, nothing mounted,
# no loop device left, every file either in place or in quarantine intact.
. "$(dirname "$0")/../lib.sh"

N=150

test_expect_success 'setup: many faulty files' '
	make_disk d.img gpt 120 100 && dev=$(attach d.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	for i in $(seq 1 $N); do
		channel_file w C-00000291-00000000-$(printf %08d $i).sys "$FAULTY_TIME" random 400000 || exit 1
	done &&
	ntfs_umount w && losetup -d $dev
'

test_expect_success 'SIGTERM while quarantining' '
	$BOOTFIX fix --device d.img > out 2>&1 &
	pid=$! &&
	for i in $(seq 1 600); do
		ls /run/bootfix.*/bootfix-quarantine/*/manifest.txt >/dev/null 2>&1 && break
		sleep 0.05
	done &&
	kill -TERM $pid
	wait $pid
	echo "exit $?" >> out &&
	cat out &&
	grep -E "^exit (0|1)$" out
'

test_expect_success 'nothing left mounted or attached' '
	! grep -q "/run/bootfix\." /proc/mounts &&
	test -z "$(losetup -j d.img)" &&
	! pgrep -f "ntfs-3g.*bootfix\." >/dev/null
'

test_expect_success 'every file is either in place or quarantined intact; the manifest lists exactly the moved ones' '
	dev=$(attach d.img) && ntfs-3g -o ro ${dev}p1 w &&
	left=$(ls w/$CS_DIR | wc -l) &&
	q=$(ls -d w/bootfix-quarantine/*) &&
	moved=$(find $q -name "*.sys" | wc -l) &&
	echo "left $left moved $moved" &&
	test $((left + moved)) = $N &&
	(cd $q && sha256sum --quiet -c manifest.txt) &&
	test $(grep -c "^SHA256 " $q/manifest.txt) = $moved &&
	ntfs_umount w && losetup -d $dev
'

test_expect_success 'fix again finishes the job; restore brings all back' '
	expect_exit 0 $BOOTFIX fix --device d.img > out2 &&
	expect_exit 0 $BOOTFIX restore --device d.img > out3 &&
	dev=$(attach d.img) && ntfs-3g -o ro ${dev}p1 w &&
	test $(ls w/$CS_DIR | wc -l) = $N &&
	ntfs_umount w && losetup -d $dev
'

test_done
