#!/bin/bash
# --root: a Windows volume someone already mounted (a rescue VM).
. "$(dirname "$0")/../lib.sh"

F=C-00000291-00000000-00000044.sys

test_expect_success 'setup: a mounted Windows volume with a faulty file' '
	make_disk d.img gpt 40 32 && dev=$(attach d.img) && echo $dev > dev &&
	ntfs_format ${dev}p1 Windows && ntfs_mount ${dev}p1 c &&
	windows_tree c && channel_file c $F "$FAULTY_TIME"
'

test_expect_success 'scan --root finds it' '
	expect_exit 1 $BOOTFIX scan --root c > out && grep -F "faulty  Windows" out
'

test_expect_success 'fix --root quarantines it' '
	expect_exit 0 $BOOTFIX fix --root c > out && cat out &&
	test ! -e c/$CS_DIR/$F && test -n "$(find c/bootfix-quarantine -name $F)"
'

test_expect_success 'restore --root puts it back' '
	expect_exit 0 $BOOTFIX restore --root c > out && test -f c/$CS_DIR/$F
'

test_expect_success 'fix --root on a read-only mount: left in place, exit 1' '
	ntfs_umount c && ntfs-3g -o ro $(cat dev)p1 c &&
	expect_exit 1 $BOOTFIX fix --root c > out &&
	grep -F "failed: cannot change c: it is mounted read-only" out &&
	test -f c/$CS_DIR/$F
'

test_expect_success 'scan --root works without root privileges' '
	chmod 0755 "$TRASH" &&
	expect_exit 1 setpriv --reuid=65534 --regid=65534 --clear-groups $BOOTFIX scan --root c
'

test_expect_success 'cleanup' 'ntfs_umount c && losetup -d $(cat dev)'

test_done
