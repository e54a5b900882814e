#!/bin/bash
# The menu on a BitLocker laptop whose key is not on the stick: the key ID
# is shown, the 48-digit recovery key is typed (checked group by group as
# it is typed; F1-F10 work as digits), the volume unlocks, and the usual two
# keys fix it.  The record names the key ID and "typed"; no key is kept.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-bitlocker.sh"
. "$TOP/tests/lib-tmux.sh"

F=C-00000291-00000000-00000032.sys
IMG=bitlk-aes-xts-128
cleanup_tmux() { tm kill-server 2>/dev/null; bitlk_cleanup; }
trap cleanup_tmux EXIT
ntfs_small() { mkntfs -Q -q -F -L "$2" "$1" 61440 >/dev/null 2>&1; }

test_expect_success 'setup: BitLocker with Windows and a faulty file inside, no key on the stick' '
	bitlk_extract && cp --sparse=always $IMGS/$IMG.img disk.img &&
	unlock_rw disk.img "--recovery-password -" "$(conf $IMG RP)" &&
	ntfs_small $MAPPED Windows && ntfs_mount $MAPPED w && windows_tree w &&
	channel_file w $F "$FAULTY_TIME" && ntfs_umount w && unlock_done > /dev/null &&
	mapping_gone && mkdir -p data/keys && RP=$(conf $IMG RP) && echo "$RP" > .rp
'

test_expect_success 'the overview shows it locked, with its key ID' '
	tm new-session -d -x 80 -y 24 "TERM=xterm BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu --device disk.img --data data; echo menu-exit=\$?; sleep 600" &&
	wait_for "BitLocker locked 64311DEA" 60
'

test_expect_success 'Enter opens the key screen with the full key ID' '
	keys Enter && wait_for "Key ID: 64311DEA-4587-4029-924A-BA299647998E"
'

test_expect_success 'a wrong group is flagged as it is typed, before any unlock' '
	keys 1 2 3 4 5 6 && wait_for "Group 1 is wrong (not divisible by 11)" &&
	for i in 1 2 3 4 5 6; do keys BSpace; done && wait_for "______-______" &&
	! screen | grep -F "Group 1 is wrong"
'

test_expect_success 'F1-F10 type digits; the rest from the top row; Enter unlocks' '
	RP=$(cat .rp) && g1=${RP%%-*} && rest=${RP#*-} &&
	for d in $(echo $g1 | grep -o .); do keys F$([ $d = 0 ] && echo 10 || echo $d); done &&
	wait_for "$g1-______" &&
	keys -l "$rest" && wait_for "All 8 groups look right" &&
	keys Enter && wait_for "1 faulty file" 120 &&
	screen | grep -F "DESKTOP-2KGM189"
'

test_expect_success 'the key is gone from the screen' '
	RP=$(cat .rp) && ! screen | grep -F "${RP:7:13}"
'

test_expect_success 'two keys fix it; the record says typed, with the key ID' '
	keys Enter && wait_for "[ Fix ]" && keys Enter && wait_for "FIXED" 120 &&
	wait_for "Log: record 2 written to data/logs/bootfix.jsonl" &&
	python3 -c "
import json
r=json.loads(open(\"data/logs/bootfix.jsonl\").read().splitlines()[-1])
assert r[\"mode\"]==\"menu\" and r[\"outcome\"]==\"fixed\", r
k=r[\"bitlocker\"][0]
assert k[\"key_id\"]==\"64311DEA-4587-4029-924A-BA299647998E\" and k[\"kind\"]==\"typed\", k
" && no_keys_in data/logs/bootfix.jsonl
'

test_expect_success 'the key is not kept after the fix: the list says "fixed (locked again)"; quit: no mapping, file in quarantine' '
	keys Escape && wait_for "fixed (locked again)" 120 && keys q && wait_for "menu-exit=0" &&
	test -z "$(ls -d "$BOOTFIX_RUN_DIR"/dl.* 2>/dev/null)" && ! losetup -n -O BACK-FILE | grep -qF "$BOOTFIX_RUN_DIR" &&
	unlock_rw disk.img "--recovery-password -" "$(cat .rp)" && ntfs-3g -o ro $MAPPED w &&
	test ! -e w/$CS_DIR/$F && test -n "$(find w/bootfix-quarantine -name $F)" &&
	ntfs_umount w && unlock_done > /dev/null && mapping_gone
'

test_done
