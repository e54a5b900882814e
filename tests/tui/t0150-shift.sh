#!/bin/bash
# A technician's shift: ten machines' disks, one after another, in one menu
# session (as on a rescue VM that gets each broken machine's disk in turn:
# the disk named by --device is replaced before "next machine").  Counted:
# the keys each machine costs.  Then the log lists every machine with the
# right action and outcome, and verifies.
#   m01 plain                       Enter Enter, Enter (next)           3
#   m02 two installs                Enter Enter Enter, Enter Enter Enter 6
#   m03 BitLocker, wrong then right key  Enter, 48 digits, Enter, 6 erased,
#                                   6 typed, Enter; Enter Enter Enter   66
#   m04 hibernated, left alone      Enter (decision) Enter (leave) Enter 3
#   m05 fast restart, accepted      Enter Right Enter, Enter            4
#   m06 older channel file (good)   Enter (record) Enter, Enter         3
#   m07 restore cancelled, then confirmed   r Enter, r Right Enter, Enter 6
#   m08-m10 plain                   3 each
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-bitlocker.sh"
. "$TOP/tests/lib-tmux.sh"

F=C-00000291-00000000-00000032.sys
OLD_TIME='2024-07-18 21:30:00 UTC'
IMG=bitlk-aes-xts-128
cleanup_tmux() { tm kill-server 2>/dev/null; bitlk_cleanup; }
trap cleanup_tmux EXIT
ntfs_small() { mkntfs -Q -q -F -L "$2" "$1" 61440 >/dev/null 2>&1; }

# machine IMG [hibernated|fast-restart|old] : a one-install Windows disk
machine() {
	local when="$FAULTY_TIME"
	[ "${2:-}" = old ] && when=$OLD_TIME
	make_disk $1 gpt 40 32 && dev=$(attach $1) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$when" &&
	if [ "${2:-}" = hibernated ]; then
		{ printf hibr; head -c 8188 /dev/urandom; } > w/hiberfil.sys
	fi &&
	ntfs_umount w && losetup -d $dev &&
	if [ "${2:-}" = fast-restart ]; then
		$LOGSTATE $1 --offset $(( $(partx -g -o START -n 1 $1) * 512 )) fast-restart >/dev/null
	fi
}

# k KEYS... : type, and count what the technician typed (digits of a key one each)
K=0
k() { K=$((K + $#)); keys "$@"; }
kd() { K=$((K + ${#1})); keys -l "$1"; }
# next N : the machine cost N keys (said, then checked); count the next one from 0
next() {
	echo "keys: $K (expected $1)" && test $K = $1 && K=0
}

test_expect_success 'setup: ten machines' '
	machine m01.img && machine m04.img hibernated && machine m05.img fast-restart &&
	machine m06.img old && machine m07.img && machine m08.img && machine m09.img &&
	machine m10.img &&
	make_disk m02.img gpt 72 32 32 && dev=$(attach m02.img) &&
	ntfs_format ${dev}p1 Windows && ntfs_format ${dev}p2 Windows2 &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" && ntfs_umount w &&
	ntfs_mount ${dev}p2 w && windows_tree w && channel_file w $F "$FAULTY_TIME" && ntfs_umount w &&
	losetup -d $dev &&
	bitlk_extract && cp --sparse=always $IMGS/$IMG.img m03.img &&
	unlock_rw m03.img "--recovery-password -" "$(conf $IMG RP)" &&
	ntfs_small $MAPPED Windows && ntfs_mount $MAPPED w && windows_tree w &&
	channel_file w $F "$FAULTY_TIME" && ntfs_umount w && unlock_done > /dev/null &&
	mapping_gone && conf $IMG RP > .rp &&
	mkdir -p data/logs && $BOOTFIX fix --device m07.img --data data > /dev/null &&
	cp --sparse=always m01.img disk.img && rm m01.img &&
	tmux_fresh &&
	tm new-session -d -x 80 -y 24 "TERM=vt220 BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu --device disk.img --data data; echo menu-exit=\$?; sleep 600"
'

test_expect_success 'm01 plain: Enter, Enter, then one key for the next machine' '
	wait_for "1 faulty file" 60 && k Enter && wait_for "[ Fix ]" && k Enter &&
	wait_for "Enter = next machine" 60 && screen | grep -F "FIXED" &&
	mv m02.img disk.img && k Enter && next 3
'

test_expect_success 'm02 two installs: the second is preselected after the first' '
	wait_for "1 faulty file" 60 && k Enter && wait_for "[ Fix ]" && k Enter &&
	wait_for "Another install on this machine needs fixing" 60 && k Enter &&
	wait_for "fixed" 60 && screen | grep -E "^>! 2 .* 1 faulty file" &&
	k Enter && wait_for "[ Fix ]" && k Enter && wait_for "Enter = next machine" 60 &&
	mv m03.img disk.img && k Enter && next 6
'

test_expect_success 'm03 BitLocker: a wrong key keeps its digits; corrected, it unlocks and fixes' '
	wait_for "BitLocker locked 64311DEA" 60 && k Enter && wait_for "Key ID:" &&
	RP=$(cat .rp) && good=$(echo $RP | tr -d -) && last=${good:42:6} &&
	wrong=$(printf "%06d" $(( 10#$last >= 11 ? 10#$last - 11 : 10#$last + 11 ))) &&
	kd "${good:0:42}$wrong" && wait_for "All 8 groups look right" && k Enter &&
	wait_for "This key does not open" 120 && screen | grep -F -- "-$wrong" &&
	for i in 1 2 3 4 5 6; do k BSpace; done && kd "$last" &&
	wait_for "All 8 groups look right" && k Enter && wait_for "1 faulty file" 120 &&
	k Enter && wait_for "[ Fix ]" && k Enter && wait_for "Enter = next machine" 120 &&
	mv m04.img disk.img && k Enter && next 66
'

test_expect_success 'm04 hibernated: the decision up front, left alone, recorded' '
	wait_for "hibernated: needs your decision" 60 && k Enter && wait_for "[ Leave it ]" &&
	k Enter && wait_for "LEFT AS IT WAS" 60 && wait_for "Enter = next machine" &&
	mv m05.img disk.img && k Enter && next 3
'

test_expect_success 'm05 fast restart: the decision up front, accepted' '
	wait_for "fast restart: needs your decision" 60 && k Enter &&
	wait_for "Windows fast restart state is on" && k Right Enter &&
	wait_for "Enter = next machine" 120 && screen | grep -F "FIXED" &&
	mv m06.img disk.img && k Enter && next 4
'

test_expect_success 'm06 an older channel file: good, nothing to fix, recorded as checked' '
	wait_for "clean" 60 && ! screen | grep -F "faulty" && k Enter &&
	wait_for "[ Record ]" && k Enter && wait_for "NOTHING TO FIX" 60 &&
	wait_for "Enter = next machine" && mv m07.img disk.img && k Enter && next 3
'

test_expect_success 'm07 restore: cancelled (the default), then confirmed' '
	wait_for "clean (has quarantine)" 60 && k r && wait_for "[ Cancel ]" && k Enter &&
	wait_for "clean (has quarantine)" && k r && wait_for "[ Cancel ]" && k Right Enter &&
	wait_for "RESTORED" 60 && wait_for "Enter = next machine" &&
	mv m08.img disk.img && k Enter && next 6
'

test_expect_success 'm08-m10 plain: three keys each' '
	for n in 09 10 ""; do
		wait_for "1 faulty file" 60 && k Enter && wait_for "[ Fix ]" && k Enter &&
		wait_for "Enter = next machine" 60 &&
		if [ -n "$n" ]; then mv m$n.img disk.img; fi && k Enter && next 3 || return 1
	done &&
	wait_for "clean (has quarantine)" 60 && keys q && wait_for "menu-exit=0"
'

test_expect_success 'the log lists every machine with its action and outcome, and verifies' '
	$BOOTFIX log verify data/logs/bootfix.jsonl &&
	python3 - data/logs/bootfix.jsonl <<-PY
	import json, sys
	recs = [json.loads(l) for l in open(sys.argv[1])]
	final = [(r["action"], r["outcome"]) for r in recs if r.get("stage") != "begun"]
	want = [("fix", "fixed")] +                 \
	       [("fix", "fixed")] * 2 +             \
	       [("fix", "fixed"), ("fix", "left"), ("fix", "fixed"),
	        ("fix", "nothing-to-fix"), ("restore", "restored")] + [("fix", "fixed")] * 3
	# the first record is the CLI fix that made m07 quarantine
	assert final[0] == ("fix", "fixed") and recs[0]["mode"] == "cli", recs[0]
	assert final[1:] == want, final
	left = [r for r in recs if r["outcome"] == "left"][0]
	assert "hibernated" in left["reason"], left
	PY
	$BOOTFIX log list data/logs/bootfix.jsonl > list &&
	cat list && test "$(grep -c -E " (fixed|left|nothing-to-fix|restored)( |$)" list)" = 12
'

test_done
