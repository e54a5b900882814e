#!/bin/bash
# scripts/write-usb: shows the disk, refuses what it must (a disk that is
# not removable without --force, a mounted disk, a partition, the system
# disk, no confirmation), writes, syncs and verifies.  A loop device
# stands in for the stick.
. "$(dirname "$0")/lib.sh"

W=$TOP/scripts/write-usb

test_expect_success 'setup: a 100 MB loop device with a mounted partition' '
	make_disk stick.raw gpt 100 40 && dev=$(attach stick.raw) && echo $dev > .dev &&
	ntfs_format ${dev}p1 Old && ntfs_mount ${dev}p1 m
'
dev=$(cat .dev 2>/dev/null || echo /dev/null)

test_expect_success 'refuses a mounted disk, even with --force' '
	expect_exit 1 "$W" --image "$IMAGE" --force --yes "$dev" 2> err &&
	cat err && grep -q "refusing to write to $dev: it is mounted" err
'
ntfs_umount m 2>/dev/null

test_expect_success 'refuses a partition' '
	expect_exit 1 "$W" --image "$IMAGE" --force --yes "${dev}p1" 2> err &&
	cat err && grep -q "it is a partition; give the whole disk" err
'

test_expect_success 'refuses a disk that is not removable unless --force' '
	expect_exit 1 "$W" --image "$IMAGE" --yes "$dev" > out 2> err &&
	cat out err && grep -q "^$dev: .*MB" out &&
	grep -q "not a removable disk (USB stick, SD card); --force writes anyway" err
'

test_expect_success 'refuses the disk the running system lives on' '
	src=$(findmnt -no SOURCE /) &&
	if [ -b "$src" ]; then
		root=/dev/$(lsblk -nrso NAME,TYPE "$src" | awk "\$2 == \"disk\" { print \$1; exit }") &&
		expect_exit 1 "$W" --image "$IMAGE" --check --force --yes "$root" 2> err &&
		cat err && grep -q "the running system lives on it" err
	else
		echo "# / is $src, not a disk: nothing to refuse here"
	fi
'

test_expect_success 'asks for confirmation; without a terminal and --yes it does not write' '
	expect_exit 1 "$W" --image "$IMAGE" --force "$dev" < /dev/null 2> err &&
	grep -q "no terminal to confirm on; --yes writes without asking" err &&
	! cmp -s -n 1000000 "$IMAGE" "$dev"
'

test_expect_success 'writes, syncs and verifies with --force --yes' '
	"$W" --image "$IMAGE" --force --yes "$dev" > out 2>&1 && cat out &&
	grep -q "written and verified" out &&
	cmp -n "$(stat -c %s "$IMAGE")" "$IMAGE" "$dev"
'
losetup -d "$dev" 2>/dev/null
test_done
