#!/bin/bash
# Unattended mode without a screen: never asks, acts only on rules marked
# unattended = yes, leaves anything needing a decision untouched.
. "$(dirname "$0")/../lib.sh"

F=C-00000291-00000000-00000032.sys

# disk IMG KIND : a Windows disk; KIND faulty | clean | older | check | unknown |
# hibernated (older: a channel file from before the update, good; check: one
# from the two hours before it, which no rule decides)
disk() {
	make_disk $1 gpt 40 32 && dev=$(attach $1) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	case $2 in
	faulty) channel_file w $F "$FAULTY_TIME" ;;
	clean) channel_file w $F "$FIXED_TIME" ;;
	older) channel_file w $F "2024-07-18 10:00 UTC" ;;
	check) channel_file w $F "2024-07-19 03:30 UTC" ;;
	unknown) channel_file w $F "$FAULTY_TIME" &&
		 channel_file w C-00000291-00000000-00000033.sys "2024-07-19 03:30 UTC" ;;
	hibernated) channel_file w $F "$FAULTY_TIME" &&
		    { printf hibr; head -c 8188 /dev/urandom; } > w/hiberfil.sys ;;
	esac &&
	ntfs_umount w && losetup -d $dev && image_sha $1 > $1.sha
}

test_expect_success 'a faulty machine: FIXED, exit 0' '
	disk f.img faulty &&
	expect_exit 0 $BOOTFIX auto --device f.img < /dev/null > out && cat out &&
	grep -F "FIXED: DESKTOP-2KGM189" out
'

test_expect_success 'a clean machine: NOTHING TO FIX' '
	disk c.img clean &&
	expect_exit 0 $BOOTFIX auto --device c.img < /dev/null > out &&
	grep -F "NOTHING TO FIX" out && test "$(image_sha c.img)" = "$(cat c.img.sha)"
'

test_expect_success 'never affected (an older channel file): NOTHING TO FIX, exit 0' '
	disk o.img older &&
	expect_exit 0 $BOOTFIX auto --device o.img < /dev/null > out && cat out &&
	grep -F "NOTHING TO FIX: DESKTOP-2KGM189" out && test "$(image_sha o.img)" = "$(cat o.img.sha)"
'

test_expect_success 'nothing faulty, a file no rule decides: CHECK, exit 4, untouched' '
	disk k.img check &&
	expect_exit 4 $BOOTFIX auto --device k.img < /dev/null > out && cat out &&
	grep -F "CHECK: 1 file no rule decides (" out && ! grep -F "NOT FIXED" out &&
	test "$(image_sha k.img)" = "$(cat k.img.sha)"
'

test_expect_success 'an unknown verdict beside a faulty file needs a person: NOT FIXED, volume untouched' '
	disk u.img unknown &&
	expect_exit 1 $BOOTFIX auto --device u.img < /dev/null > out && cat out &&
	grep -F "NOT FIXED" out && grep -F "need" out && grep -F "a decision" out &&
	grep -F "no rule decides a file dated 2024-07-19" out &&
	test "$(image_sha u.img)" = "$(cat u.img.sha)"
'

test_expect_success 'hibernated: NOT FIXED, untouched' '
	disk h.img hibernated &&
	expect_exit 1 $BOOTFIX auto --device h.img < /dev/null > out &&
	grep -F "NOT FIXED" out && grep -F "hibernated" out &&
	test "$(image_sha h.img)" = "$(cat h.img.sha)"
'

test_expect_success 'a rule not marked unattended: NOT FIXED, untouched' '
	disk v.img clean && dev=$(attach v.img) && ntfs_mount ${dev}p1 w &&
	printf "MZ" > w/Windows/System32/vxfilt.sys && ntfs_umount w && losetup -d $dev &&
	image_sha v.img > v.img.sha && mkdir -p data/rules &&
	printf "[vx]\ndirectory = Windows\\\\System32\nname = vxfilt.sys\nverdict = faulty\n" > data/rules/vx.rules &&
	expect_exit 1 $BOOTFIX auto --device v.img --data data < /dev/null > out && cat out &&
	grep -F "not marked safe for unattended use" out &&
	test "$(image_sha v.img)" = "$(cat v.img.sha)"
'

# m1 is fixed (files moved: a begun record, then its final record); m2 has
# nothing to fix and m3 is refused before anything changes (one record each)
test_expect_success 'one stick, many machines: a record each, mode auto, the chain verifies' '
	disk m1.img faulty && disk m2.img clean && disk m3.img hibernated && mkdir -p stick &&
	printf "# fleet\r\nsite = Ward 4\r\noperator = field team 2\r\nmode = auto\r\n" > stick/bootfix.conf &&
	for m in m1 m2 m3; do $BOOTFIX auto --device $m.img --data stick < /dev/null > $m.out 2>&1; echo $? > $m.rc; done &&
	test "$(cat m1.rc m2.rc m3.rc)" = "$(printf "0\n0\n1")" &&
	cat m1.out m2.out m3.out &&
	grep -F "bootfix: record 2 written to stick/logs/bootfix.jsonl" m1.out &&
	$BOOTFIX log verify stick/logs/bootfix.jsonl > v.out && cat v.out &&
	grep -Fx "stick/logs/bootfix.jsonl: intact: 4 records" v.out &&
	python3 -c "
import json
rs=[json.loads(l) for l in open(\"stick/logs/bootfix.jsonl\")]
assert [r[\"outcome\"] for r in rs]==[\"interrupted\",\"fixed\",\"nothing-to-fix\",\"refused\"], rs
assert [r.get(\"stage\") for r in rs]==[\"begun\",None,None,None], rs
assert rs[0][\"run\"]==rs[1][\"run\"] and len({r[\"run\"] for r in rs})==3, rs
assert [r[\"target\"] for r in rs]==[\"m1.img\",\"m1.img\",\"m2.img\",\"m3.img\"], rs
assert all(r[\"mode\"]==\"auto\" and r[\"site\"]==\"Ward 4\" and r[\"operator\"]==\"field team 2\" for r in rs)
assert \"hibernated\" in rs[3][\"reason\"], rs[3][\"reason\"]
" &&
	$BOOTFIX log list stick/logs/bootfix.jsonl > l.out && cat l.out &&
	test "$(cut -d" " -f1 l.out | tr "\n" " ")" = "LINE 2 3 4 "
'

test_expect_success 'a broken bootfix.conf: no unattended run at all' '
	disk b.img faulty && mkdir -p bad && printf "mode = sometimes\n" > bad/bootfix.conf &&
	expect_exit 3 $BOOTFIX auto --device b.img --data bad < /dev/null > out 2> err; cat err &&
	grep -F "bootfix.conf:1:" err && grep -F "starting the menu instead" err &&
	test "$(image_sha b.img)" = "$(cat b.img.sha)"
'

test_done
