#!/bin/bash
# A Windows dynamic disk (tests/tools/make-ldm.py) in the menu: its simple
# volume is listed with its faulty file and fixed with Enter, Enter (the
# menu runs the engine on that volume alone, by its key); the mirror half
# says its kind and offers no fix; nothing outside the simple volume's
# extent changes.
. "$(dirname "$0")/../lib.sh"

. "$TOP/tests/lib-tmux.sh"

F=C-00000291-00000000-00000032.sys
cleanup_tmux() { tm kill-server 2>/dev/null; cleanup_trash; }
trap cleanup_tmux EXIT


test_expect_success 'setup: a dynamic disk with Windows and a faulty file in its simple volume' '
	python3 "$TOP/tests/tools/make-ldm.py" dyn.img > layout &&
	read -r name kind off len < layout && echo "$off $len" > extent &&
	dev=$(losetup -f --show --offset $off --sizelimit $len dyn.img) &&
	ntfs_format $dev Windows && ntfs_mount $dev w && windows_tree w &&
	channel_file w $F "$FAULTY_TIME" zero && ntfs_umount w && losetup -d $dev &&
	outside_sha dyn.img $off $len > outside.sha && mkdir -p data
'

test_expect_success 'the list: the simple volume with its faulty file, the mirror with its kind' '
	tmux_fresh &&
	tm new-session -d -x 100 -y 24 "TERM=xterm-256color BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu --device dyn.img --data data; echo menu-exit=\$?; sleep 600" &&
	wait_for "1 faulty file" 60 && screen &&
	screen | grep -E "^>! 1 Volume1 +24.0 MiB +DESKTOP-2KGM189 +1 faulty file" &&
	screen | grep -E "^ \? 2 Volume2 +8.0 MiB +- +dynamic mirror: not supported"
'

test_expect_success 'Enter, Enter: fixed inside the simple volume alone' '
	keys Enter && wait_for "[ Fix ]" && keys Enter && wait_for "FIXED" 60 && screen &&
	python3 - <<-PY &&
	import json
	r = json.loads(open("data/logs/bootfix.jsonl").read().splitlines()[-1])
	v = [x for x in r["volumes"] if x["outcome"] == "fixed"]
	assert len(v) == 1 and v[0]["dynamic"]["volume"] == "Volume1", r["volumes"]
	PY
	read -r off len < extent &&
	test "$(outside_sha dyn.img $off $len)" = "$(cat outside.sha)" &&
	dev=$(losetup -f --show -r --offset $off --sizelimit $len dyn.img) && mkdir -p m && ntfs-3g -o ro $dev m &&
	test ! -e m/$CS_DIR/$F && test -n "$(find m/bootfix-quarantine -name $F)" &&
	ntfs_umount m && losetup -d $dev
'

test_done
