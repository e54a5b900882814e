#!/bin/bash
# The end of a machine on the stick (BOOTFIX_INIT set, as image/console
# runs the menu): after the fix one screen says "Remove the stick, then
# press Enter to restart"; by then the record is written and the stick's
# data partition is flushed and read-only, its file system clean, so
# pulling the stick loses nothing.  (The stick's partition is FAT; this
# host's kernel has no vfat, so the test's partition is ext4: the menu
# remounts whatever file system the data folder is the root of.)  Enter ends the menu with
# the reboot code; Esc instead goes back to the list and makes the stick
# writable again.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib-tmux.sh"

F=C-00000291-00000000-00000032.sys
cleanup_tmux() { tm kill-server 2>/dev/null; cleanup_trash; }
trap cleanup_tmux EXIT

# super_opts DIR: the file system options of the mount at DIR ("ro,..." or "rw,...")
super_opts() { awk -v d="$(realpath "$1")" '$5 == d { print $NF }' /proc/self/mountinfo; }

menu() {
	tmux_fresh
	tm new-session -d -x 80 -y 24 "TERM=vt220 BOOTFIX_INIT=1 BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu $*; echo menu-exit=\$?; sleep 600"
}

test_expect_success 'setup: a faulty Windows disk, and a data partition of its own' '
	make_disk disk.img gpt 40 32 && dev=$(attach disk.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" &&
	ntfs_umount w && losetup -d $dev && cp --sparse=always disk.img disk2.img &&
	truncate -s 64M stick.img && mkfs.ext4 -q -L BOOTFIX stick.img &&
	mkdir data && mount -o loop,rw,noatime stick.img data && mkdir data/logs &&
	super_opts data | grep -q "^rw"
'

test_expect_success 'after the fix: remove the stick, Enter restarts; the stick is read-only and clean' '
	menu --device disk.img --data data && wait_for "1 faulty file" 60 &&
	keys Enter && wait_for "[ Fix ]" && keys Enter && wait_for "FIXED" 60 &&
	wait_for "Remove the stick, then press Enter to restart into Windows." &&
	screen | grep -F "you can pull it now" &&
	super_opts data | grep -q "^ro" &&
	e2fsck -n stick.img > fsck.out 2>&1 && grep -F "clean" fsck.out &&
	python3 -c "
import json
r=json.loads(open(\"data/logs/bootfix.jsonl\").read().splitlines()[-1])
assert r[\"mode\"]==\"menu\" and r[\"outcome\"]==\"fixed\", r
"
'

test_expect_success 'Esc: back to the list, the stick writable again' '
	keys Escape && wait_for "fixed" 60 && super_opts data | grep -q "^rw" &&
	screen | grep -E "^>  1 .* fixed"
'

test_expect_success 'the next machine: fixed, then Enter ends the menu with the reboot code (11)' '
	keys q && wait_for "menu-exit=" && cp --sparse=always disk2.img disk.img &&
	menu --device disk.img --data data && wait_for "1 faulty file" 60 &&
	keys Enter && wait_for "[ Fix ]" && keys Enter && wait_for "Remove the stick" 60 &&
	super_opts data | grep -q "^ro" && keys Enter && wait_for "menu-exit=11" &&
	test "$(grep -c "\"outcome\":\"fixed\"" data/logs/bootfix.jsonl)" = 2 &&
	$BOOTFIX log verify data/logs/bootfix.jsonl
'

test_expect_success 'p then Esc on the done screen: back to it, the stick still released' '
	mount -o remount,rw data && cp --sparse=always disk2.img disk.img &&
	menu --device disk.img --data data && wait_for "1 faulty file" 60 &&
	keys Enter && wait_for "[ Fix ]" && keys Enter && wait_for "Remove the stick" 60 &&
	keys p && wait_for "Power off" && keys Escape && wait_for "Remove the stick" &&
	super_opts data | grep -q "^ro" && keys Escape && wait_for "fixed" 60 &&
	super_opts data | grep -q "^rw" && keys q && wait_for "menu-exit=0" &&
	super_opts data | grep -q "^rw"
'

test_expect_success 'a file open for writing on the stick: not released, never restarts; released once closed' '
	mount -o remount,rw data && cp --sparse=always disk2.img disk.img &&
	menu --device disk.img --data data && wait_for "1 faulty file" 60 &&
	exec 7> data/held && keys Enter && wait_for "[ Fix ]" && keys Enter &&
	wait_for "cannot make the stick" 60 && screen | grep -F "Do not remove the stick yet" &&
	! screen | grep -F "you can pull it now" && super_opts data | grep -q "^rw" &&
	keys Enter && sleep 2 && ! screen | grep -F "menu-exit=" &&
	exec 7>&- && keys Enter && wait_for "you can pull it now" &&
	super_opts data | grep -q "^ro" && keys Enter && wait_for "menu-exit=11"
'

test_expect_success 'a record that cannot be written (the log immutable): NOT saved, no restart offered' '
	mount -o remount,rw data && cp --sparse=always disk2.img disk.img &&
	chattr +i data/logs/bootfix.jsonl &&
	menu --device disk.img --data data && wait_for "1 faulty file" 60 &&
	keys Enter && wait_for "[ Fix ]" && keys Enter && wait_for "FIXED" 60 &&
	wait_for "NOT saved" && ! screen | grep -F "Remove the stick, then" &&
	screen | grep -F "keep the stick in (shown when the menu ends)." &&
	super_opts data | grep -q "^rw" && keys Enter && sleep 2 &&
	! screen | grep -F "menu-exit=11" && keys q && wait_for "menu-exit=0" &&
	chattr -i data/logs/bootfix.jsonl
'

test_expect_success 'a data folder that is a bind mount of a folder: the file system is never made read-only' '
	chattr -i data/logs/bootfix.jsonl; mkdir -p data/sub bound && mount --bind data/sub bound &&
	cp --sparse=always disk2.img disk.img &&
	menu --device disk.img --data bound && wait_for "1 faulty file" 60 &&
	keys Enter && wait_for "[ Fix ]" && keys Enter && wait_for "Remove the stick" 60 &&
	super_opts data | grep -q "^rw" && touch data/still-writable &&
	keys Enter && wait_for "menu-exit=11" && umount bound
'

test_done
