#!/bin/bash
# A crashed Windows leaves its NTFS journal unclean; fast restart leaves
# metadata cached.  bootfix replays the journal with ntfsrecover (never lets
# ntfs-3g reset it) and refuses fast restart unless told.  The $LogFile
# states are written by tests/tools/ntfs-logstate (valid restart pages and a
# checkpoint record that ntfs-3g and ntfsrecover accept).
. "$(dirname "$0")/../lib.sh"

F=C-00000291-00000000-00000032.sys

# disk_with STATE IMG : a Windows disk with a faulty file and that journal state
disk_with() {
	make_disk $2 gpt 40 32 && dev=$(attach $2) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" &&
	if [ "${3:-}" = hibernated ]; then
		{ printf HIBR; head -c 8188 /dev/zero; } > w/hiberfil.sys
	fi &&
	ntfs_umount w && losetup -d $dev &&
	off=$(( $(partx -g -o START -n 1 $2) * 512 )) &&
	$LOGSTATE $2 --offset $off $1 >/dev/null &&
	echo $off > $2.off
}
logstate() { $LOGSTATE $1 --offset $(cat $1.off) show; }

test_expect_success 'setup: a volume with an unclean journal' '
	disk_with unclean u.img && logstate u.img | grep -i "unclean" &&
	image_sha u.img > u.sha
'

test_expect_success 'scan and dry run leave an unclean volume byte for byte' '
	expect_exit 1 $BOOTFIX scan --device u.img >/dev/null &&
	expect_exit 1 $BOOTFIX fix --dry-run --device u.img >/dev/null &&
	test "$(image_sha u.img)" = "$(cat u.sha)"
'

test_expect_success 'fix replays the journal with ntfsrecover, then quarantines' '
	expect_exit 0 $BOOTFIX fix --device u.img --json > fix.json &&
	python3 -c "
import json; v = json.load(open(\"fix.json\"))[\"volumes\"][0]
assert v[\"journal_replayed\"] and v[\"outcome\"] == \"fixed\", v" &&
	logstate u.img > state && cat state &&
	grep -i "clean" state && ! grep -i "unclean" state && ! grep -i "empty" state
'

test_expect_success 'setup: fast restart' '
	disk_with fast-restart f.img && logstate f.img | grep -i "fast" &&
	image_sha f.img > f.sha
'

test_expect_success 'fix refuses fast restart, names --kill-fast-restart, changes no byte' '
	expect_exit 1 $BOOTFIX fix --device f.img > out && cat out &&
	grep -F "refused: refusing to change /dev/loop" out &&
	grep -F -- "--kill-fast-restart" out &&
	test "$(image_sha f.img)" = "$(cat f.sha)"
'

test_expect_success 'fix --kill-fast-restart clears it with ntfsrecover -k and fixes' '
	expect_exit 0 $BOOTFIX fix --device f.img --kill-fast-restart --json > k.json &&
	python3 -c "
import json; v = json.load(open(\"k.json\"))[\"volumes\"][0]
assert v[\"fast_restart_killed\"] and v[\"outcome\"] == \"fixed\", v" &&
	! logstate f.img | grep -i "fast"
'


test_expect_success 'hibernated and unclean: refused untouched; --discard-hibernation replays and fixes' '
	disk_with unclean h.img hibernated && image_sha h.img > h.sha &&
	expect_exit 1 $BOOTFIX fix --device h.img > out &&
	grep -F -- "--discard-hibernation" out &&
	test "$(image_sha h.img)" = "$(cat h.sha)" &&
	expect_exit 0 $BOOTFIX fix --device h.img --discard-hibernation --json > h.json &&
	python3 -c "
import json; v = json.load(open(\"h.json\"))[\"volumes\"][0]
assert v[\"journal_replayed\"] and v[\"hibernation_discarded\"] and v[\"outcome\"] == \"fixed\", v"
'

test_done
