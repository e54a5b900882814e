#!/bin/bash
# A disk another program uses is never mounted a second time: an image
# attached elsewhere, a partition mounted with a writer running.  A bootfix
# killed mid-fix (kill -9) leaves its ntfs-3g and loop device; the next run
# finds them in the run folder's state file, stops and detaches them, and
# then finishes the fix.
. "$(dirname "$0")/../lib.sh"

N=20

test_expect_success 'setup: a Windows disk with faulty files' '
	make_disk d.img gpt 60 48 && dev=$(attach d.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	for i in $(seq 1 $N); do
		channel_file w C-00000291-00000000-$(printf %08d $i).sys "$FAULTY_TIME" || exit 1
	done &&
	ntfs_umount w && losetup -d $dev
'

test_expect_success 'the image attached and mounted elsewhere, a writer busy: refused, nothing moved' '
	dev=$(attach d.img) && echo $dev > loopdev && ntfs_mount ${dev}p1 w &&
	{ ( while [ ! -e stop ]; do echo line >> w/writer.txt; sleep 0.02; done ) & } &&
	writer=$! && sleep 0.2 && test -s w/writer.txt &&
	expect_exit 3 $BOOTFIX fix --device d.img > out 2> err
	rc=$?; touch stop; wait $writer; cat out err; test $rc = 0 &&
	grep -F "bootfix: cannot use d.img: it is attached already as $dev" err &&
	grep -F "${dev}p1 is mounted at $TRASH/w" err &&
	grep -F "detach it first: losetup -d $dev" err &&
	test $(ls w/$CS_DIR | wc -l) = $N && test ! -e w/bootfix-quarantine
'

test_expect_success 'the mounted partition, or its disk, named directly: refused with the mount point' '
	dev=$(cat loopdev) &&
	expect_exit 3 $BOOTFIX fix --device ${dev}p1 > out2 2>&1 &&
	cat out2 &&
	grep -F "refusing to touch ${dev}p1: ${dev}p1 is mounted at $TRASH/w (unmount it first)" out2 &&
	expect_exit 3 $BOOTFIX scan --device $dev > out3 2>&1 &&
	grep -F "refusing to touch ${dev}p1" out3 &&
	test $(ls w/$CS_DIR | wc -l) = $N
'

test_expect_success 'attached but not mounted: still refused (two loop devices on one image)' '
	dev=$(cat loopdev) && ntfs_umount w &&
	expect_exit 3 $BOOTFIX scan --device d.img > out4 2>&1 &&
	grep -F "it is attached already as $dev ($dev is not mounted)" out4 &&
	losetup -d $dev && test -z "$(losetup -j d.img)"
'

test_expect_success 'kill -9 after the 5th move: ntfs-3g and the loop device stay, named in the state file' '
	BOOTFIX_TEST_KILL=moved:5:KILL $BOOTFIX fix --device d.img > k.out 2>&1
	test $? = 137 &&
	ls $BOOTFIX_RUN_DIR/state.* > states && test $(wc -l < states) = 1 &&
	cat $(cat states) &&
	p=$(leftover_ntfs3g) && test -n "$p" && kill -0 $p &&
	test -n "$(losetup -j d.img)"
'

test_expect_success 'the next run cleans up first (ntfs-3g stopped, volume flushed), then fixes' '
	p=$(leftover_ntfs3g) &&
	$BOOTFIX fix -v --device d.img > f.out 2> f.err; rc=$?
	cat f.out f.err && test $rc = 0 &&
	grep -F "cleaned up after a bootfix that was killed: stopped its ntfs-3g on" f.err &&
	process_gone $p &&
	grep -F "$((N - 5)) faulty files found, $((N - 5)) quarantined" f.out &&
	test -z "$(ls $BOOTFIX_RUN_DIR/state.* 2>/dev/null)" &&
	test -z "$(losetup -j d.img)"
'

test_expect_success 'the killed fix moved exactly 5, listed in its manifest; restore brings all back' '
	dev=$(attach d.img) && ntfs-3g -o ro ${dev}p1 w &&
	for q in w/bootfix-quarantine/*; do
		(cd $q && sha256sum --quiet -c manifest.txt) || exit 1
		echo "$q $(grep -c "^SHA256 " $q/manifest.txt) $(find $q -name "*.sys" | wc -l)"
	done > folders && cat folders &&
	awk "\$2 != \$3 { exit 1 }" folders &&
	awk "{ s += \$2 } END { exit s != $N }" folders &&
	grep -q " 5 5$" folders &&
	ntfs_umount w && losetup -d $dev &&
	expect_exit 0 $BOOTFIX restore --device d.img > r.out &&
	dev=$(attach d.img) && ntfs-3g -o ro ${dev}p1 w &&
	test $(ls w/$CS_DIR | wc -l) = $N &&
	ntfs_umount w && losetup -d $dev
'

test_expect_success 'an image a virtual machine holds a lock on (as qemu does): refused' '
	python3 - <<-PY
	import fcntl, os, subprocess
	fd = os.open("d.img", os.O_RDWR)
	fcntl.lockf(fd, fcntl.LOCK_SH, 1, 100)   # qemu locks bytes of the image like this
	r = subprocess.run(["$BOOTFIX", "fix", "--device", "d.img"], capture_output=True, text=True)
	print(r.stderr)
	assert r.returncode == 3, r
	assert "bootfix: cannot use d.img: process %d holds a lock on it (a virtual machine using it?); stop it first" % os.getpid() in r.stderr, r.stderr
	PY
'

test_expect_success 'a crafted state file cannot make bootfix stop or detach what is not its own' '
	victim=$(losetup -f --show d.img) && echo $victim > victim &&
	{ sleep 600 & } && sleeper=$! &&
	start=$(awk "{ print \$22 }" /proc/$sleeper/stat) &&
	printf "bootfix 999999 1\nntfs-3g %s %s / %s\nntfs-3g %s %s %s/mnt.evil %s\nloop 0 0 %s %s\n" \
		$sleeper $start $victim $sleeper $start "$BOOTFIX_RUN_DIR" $victim $victim \
		"$(stat -c "%d:%i" d.img)" > $BOOTFIX_RUN_DIR/state.999999 &&
	$BOOTFIX scan --device /dev/null > c.out 2>&1; cat c.out &&
	kill -0 $sleeper && losetup $victim | grep -q d.img && mountpoint -q / &&
	kill $sleeper && losetup -d $victim && rm -f $BOOTFIX_RUN_DIR/state.999999
'

test_expect_success 'a run folder others may write in is refused' '
	mkdir -m 1777 ww &&
	BOOTFIX_RUN_DIR=$TRASH/ww expect_exit 3 $BOOTFIX scan --device d.img > w.out 2>&1 && cat w.out &&
	grep -F "cannot use run folder $TRASH/ww: others may write in it (chmod 700 $TRASH/ww)" w.out
'

test_done
