#!/bin/bash
# What bootfix must refuse, and how: hibernated Windows, read-only images,
# bad targets, not root.  Every refusal leaves every byte as it was.
. "$(dirname "$0")/../lib.sh"

F=C-00000291-00000000-00000032.sys

test_expect_success 'setup: hibernated Windows with a faulty file' '
	make_disk hib.img gpt 40 32 &&
	dev=$(attach hib.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" &&
	{ printf hibr; head -c 65532 /dev/urandom; } > w/hiberfil.sys &&
	ntfs_umount w && losetup -d $dev &&
	image_sha hib.img > hib.sha
'

test_expect_success 'scan reports the hibernation' '
	expect_exit 1 $BOOTFIX scan --device hib.img > scan.out &&
	grep -F "hibernated" scan.out
'

test_expect_success 'fix refuses a hibernated volume, names the override, changes no byte' '
	expect_exit 1 $BOOTFIX fix --device hib.img > fix.out &&
	cat fix.out &&
	grep -F "refused: refusing to change /dev/loop" fix.out &&
	grep -F -- "--discard-hibernation" fix.out &&
	grep -F "left in place" fix.out &&
	test "$(image_sha hib.img)" = "$(cat hib.sha)"
'

test_expect_success 'fix --discard-hibernation quarantines and removes the hibernation file' '
	expect_exit 0 $BOOTFIX fix --device hib.img --discard-hibernation --json > fix.json &&
	python3 -c "
import json; v = json.load(open(\"fix.json\"))[\"volumes\"][0]
assert v[\"outcome\"] == \"fixed\" and v[\"hibernation_discarded\"], v" &&
	dev=$(attach hib.img) && ntfs-3g -o ro ${dev}p1 w &&
	test ! -e w/hiberfil.sys && test ! -e w/$CS_DIR/$F &&
	ntfs_umount w && losetup -d $dev
'

test_expect_success 'setup: a plain faulty disk' '
	make_disk ro.img gpt 40 32 &&
	dev=$(attach ro.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" &&
	ntfs_umount w && losetup -d $dev && chmod 0444 ro.img && image_sha ro.img > ro.sha
'

test_expect_success 'a read-only image file: scan works, fix refuses with exit 3' '
	expect_exit 1 $BOOTFIX scan --device ro.img >/dev/null &&
	expect_exit 3 $BOOTFIX fix --device ro.img 2> err &&
	cat err && test $(wc -l < err) = 1 &&
	grep -F "bootfix: cannot change ro.img: the image file is read-only" err &&
	test "$(image_sha ro.img)" = "$(cat ro.sha)"
'

test_expect_success 'a bare NTFS image without a partition table' '
	truncate -s 24M bare.img && mkntfs -Q -q -F bare.img >/dev/null 2>&1 &&
	ntfs-3g bare.img w && windows_tree w && channel_file w $F "$FAULTY_TIME" zero &&
	ntfs_umount w &&
	expect_exit 1 $BOOTFIX scan --device bare.img > bare.out &&
	grep -F "[cs-291-zero]" bare.out && grep -E "^/dev/loop[0-9]+  ntfs" bare.out
'

test_expect_success 'a disk with no Windows: nothing to do, exit 0' '
	make_disk plain.img gpt 40 32 && dev=$(attach plain.img) && ntfs_format ${dev}p1 Data &&
	losetup -d $dev &&
	expect_exit 0 $BOOTFIX fix --device plain.img > plain.out &&
	grep -F "no Windows" plain.out
'

test_expect_success 'a disk with no NTFS at all' '
	make_disk empty.img gpt 8 4 &&
	expect_exit 0 $BOOTFIX scan --device empty.img > empty.out &&
	grep -F "no NTFS or BitLocker volume found on empty.img" empty.out
'

test_expect_success 'a missing target: one line, exit 3' '
	expect_exit 3 $BOOTFIX scan --device nope.img 2> err &&
	test $(wc -l < err) = 1 && grep -F "bootfix: cannot use nope.img: No such file" err
'

test_expect_success 'a target that is neither disk nor image: exit 3' '
	mkdir dir.img &&
	expect_exit 3 $BOOTFIX scan --device dir.img 2> err &&
	grep -F "cannot use dir.img: not a disk, partition or image file" err
'

test_expect_success 'usage errors exit 2' '
	expect_exit 2 $BOOTFIX scan --bogus 2> err && grep -F "usage: bootfix scan" err &&
	expect_exit 2 $BOOTFIX frobnicate 2> err && grep -F "unknown verb" err &&
	expect_exit 2 $BOOTFIX scan --device a --root b 2> err &&
	expect_exit 2 $BOOTFIX scan --dry-run 2> err
'

test_expect_success 'not root: says so, exit 3' '
	chmod 0755 "$TRASH" &&
	expect_exit 3 setpriv --reuid=65534 --regid=65534 --clear-groups \
		$BOOTFIX scan --device ro.img 2> err &&
	grep -F "must be run as root" err
'

test_done
