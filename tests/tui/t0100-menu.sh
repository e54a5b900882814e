#!/bin/bash
# The technicians' menu, driven through tmux like a person at the console:
# send keys, read the screen, poll for text with a timeout.
. "$(dirname "$0")/../lib.sh"

. "$TOP/tests/lib-tmux.sh"

F=C-00000291-00000000-00000032.sys
cleanup_tmux() { tm kill-server 2>/dev/null; cleanup_trash; }
trap cleanup_tmux EXIT

# menu W H [TERM] [args...] : start the menu in a fresh W x H terminal
menu() {
	local w=$1 h=$2 term=$3
	shift 3
	tmux_fresh
	tm new-session -d -x $w -y $h "TERM=$term BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu $*; echo menu-exit=\$?; sleep 600"
}

test_expect_success 'setup: a faulty Windows disk and a hibernated one' '
	make_disk disk.img gpt 72 32 32 && dev=$(attach disk.img) &&
	ntfs_format ${dev}p1 Windows && ntfs_format ${dev}p2 Data &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" &&
	ntfs_umount w && losetup -d $dev &&
	make_disk hib.img gpt 40 32 && dev=$(attach hib.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" &&
	{ printf hibr; head -c 8188 /dev/urandom; } > w/hiberfil.sys &&
	ntfs_umount w && losetup -d $dev && image_sha hib.img > hib.sha && mkdir -p data &&
	cp --sparse=always disk.img flood.img && cp --sparse=always hib.img swap.img
'

test_expect_success 'the overview shows the faulty install, preselected' '
	menu 80 24 xterm-256color --device disk.img --data data &&
	wait_for "1 faulty file" &&
	screen | grep -E "^>! 1 loop[0-9]+p1 .*DESKTOP-2KGM189 +1 faulty file" &&
	screen | grep -E "^   2 loop[0-9]+p2 .* - +no Windows"
'

test_expect_success 'details show every file with size, time, SHA-256 and rule' '
	keys d && wait_for "SHA-256" &&
	screen | grep -F "!faulty  $F" &&
	screen | grep -F "41024 bytes  modified 2024-07-19T04:09:00Z UTC  rule cs-291-faulty" &&
	# the hash whole, on a line of its own: not cut, not run into the next entry
	screen | grep -E "^   SHA-256 [0-9a-f]{64}$" &&
	keys Escape && wait_for "1 faulty file"
'

test_expect_success 'two keys fix it: Enter, Enter; the screen says what to do next' '
	keys Enter && wait_for "[ Fix ]" &&
	keys Enter && wait_for "FIXED" 60 &&
	screen | grep -F "quarantined" &&
	screen | grep -F "Log: record 2 written to data/logs/bootfix.jsonl" &&
	! screen | grep -F "log: log" &&
	screen | grep -F "Done. Restart this machine without the stick. Enter = next machine." &&
	# the quarantine path is whole, broken at a backslash if it must be
	screen | tr -d "\n " | grep -F "bootfix-quarantine\\" &&
	python3 -c "
import json
r=json.loads(open(\"data/logs/bootfix.jsonl\").read().splitlines()[-1])
assert r[\"mode\"]==\"menu\" and r[\"action\"]==\"fix\" and r[\"outcome\"]==\"fixed\", r
" &&
	dev=$(attach disk.img) && ntfs-3g -o ro ${dev}p1 w &&
	test ! -e w/$CS_DIR/$F && test -n "$(find w/bootfix-quarantine -name $F)" &&
	ntfs_umount w && losetup -d $dev
'

test_expect_success 'Esc: back to the list of this machine, which says fixed' '
	keys Escape && wait_for "fixed" 60 && screen | grep -E "^>  1 .*DESKTOP-2KGM189 +fixed"
'

test_expect_success 'restore asks first; Cancel is the default and changes nothing' '
	keys r && wait_for "it will crash again" &&
	screen | grep -F "[ Cancel ]" && screen | grep -F "will crash again at its next start" &&
	keys Enter && wait_for "fixed" && test "$(wc -l < data/logs/bootfix.jsonl)" = 2 &&
	keys r && wait_for "[ Cancel ]" && keys Escape && wait_for "fixed" &&
	test "$(wc -l < data/logs/bootfix.jsonl)" = 2
'

test_expect_success 'restore, confirmed on purpose: RESTORED as a warning, recorded as restored' '
	keys r && wait_for "[ Cancel ]" && keys Right Enter && wait_for "RESTORED" 60 &&
	screen | grep -F "it will crash again" &&
	python3 -c "
import json
r=json.loads(open(\"data/logs/bootfix.jsonl\").read().splitlines()[-1])
assert r[\"action\"]==\"restore\" and r[\"outcome\"]==\"restored\", r
" &&
	keys Escape && wait_for "1 faulty file" 60
'

test_expect_success 'the log of this stick: both records, verify status' '
	# four records: the fix and the restore, each with its begun record
	# before it (written ahead, not listed once the final record follows)
	keys l && wait_for "verify: intact, 4 records" &&
	test "$(screen | grep -c "DESKTOP-2KGM189")" = 2 &&
	screen | grep -E "DESKTOP-2KGM189 .* fix +fixed *$" &&
	screen | grep -E "DESKTOP-2KGM189 .* restore +restored *$" &&
	keys Escape && wait_for "1 faulty file"
'

test_expect_success 'Esc on the confirm screen fixes nothing' '
	keys Enter && wait_for "[ Fix ]" && keys Escape && wait_for "1 faulty file" &&
	keys q && wait_for "menu-exit=0"
'

test_expect_success 'a hibernated install: a decision up front; Enter goes straight to it' '
	mkdir -p hdata && menu 80 24 linux --device hib.img --data hdata &&
	wait_for "hibernated: needs your decision" &&
	screen | grep -E "^>\? 1 .*hibernated: needs your decision" &&
	keys Enter && wait_for "Windows is hibernated on" &&
	screen | grep -F "[ Leave it ]" && screen | grep -F "Resuming" &&
	keys Escape && wait_for "hibernated: needs your decision" && test ! -e hdata/logs/bootfix.jsonl
'

test_expect_success 'leave it (the default) is a decision: recorded as left, with the reason' '
	keys Enter && wait_for "[ Leave it ]" && keys Enter && wait_for "LEFT AS IT WAS" 60 &&
	python3 -c "
import json
r=json.loads(open(\"hdata/logs/bootfix.jsonl\").read().splitlines()[-1])
assert r[\"action\"]==\"fix\" and r[\"outcome\"]==\"left\", r
assert \"hibernated\" in json.dumps(r), r
" &&
	keys q && wait_for "menu-exit=0" &&
	test "$(image_sha hib.img)" = "$(cat hib.sha)"
'

test_expect_success 'the override, chosen on purpose, discards the hibernation and fixes' '
	menu 80 24 linux --device hib.img &&
	wait_for "hibernated: needs your decision" &&
	keys Enter && wait_for "Windows is hibernated on" &&
	keys Right Enter && wait_for "FIXED" 60 &&
	keys q && wait_for "menu-exit=0"
'

test_expect_success 'monochrome serial terminal (vt100) shows the same words' '
	menu 80 24 vt100 --device disk.img &&
	wait_for "1 faulty file" && keys "?" && wait_for "choose a volume" &&
	keys Escape && wait_for "1 faulty file" && keys q && wait_for "menu-exit=0"
'

test_expect_success 'a terminal below 80x24 says so, and only q acts: Enter, Enter and r do nothing' '
	sha=$(image_sha disk.img) &&
	menu 60 20 vt220 --device disk.img --data small &&
	wait_for "terminal too small: need 80x24, have 60x20" &&
	sleep 3 && keys Enter && sleep 1 && keys Enter && sleep 1 && keys r Right Enter && sleep 3 &&
	wait_for "terminal too small" && test ! -e small/logs/bootfix.jsonl &&
	test "$(image_sha disk.img)" = "$sha" &&
	tm resize-window -x 80 -y 24 && wait_for "1 faulty file" &&
	tm resize-window -x 60 -y 20 && wait_for "terminal too small" &&
	keys q && wait_for "menu-exit=0"
'

test_expect_success 'a disk swapped between the list and "leave it": nothing recorded' '
	mkdir -p sdata && menu 80 24 xterm --device swap.img --data sdata &&
	wait_for "hibernated: needs your decision" 60 && keys Enter && wait_for "[ Leave it ]" &&
	cp --sparse=always flood.img swap.img && keys Enter &&
	wait_for "changed since the list was drawn" 60 && screen | grep -F "NOT RECORDED" &&
	test ! -s sdata/logs/bootfix.jsonl && keys Escape && wait_for "1 faulty file" 60 &&
	keys q && wait_for "menu-exit=0"
'

test_expect_success 'Enter held down after a fix: one record, not a flood' '
	mkdir -p fdata && menu 80 24 xterm --device flood.img --data fdata &&
	wait_for "1 faulty file" 60 && keys Enter && wait_for "[ Fix ]" && keys Enter &&
	wait_for "Enter = next machine" 60 &&
	for i in $(seq 1 40); do keys Enter; sleep 0.05; done && sleep 8 &&
	test "$(grep -vc "\"stage\":\"begun\"" fdata/logs/bootfix.jsonl)" = 1 &&
	keys Escape && sleep 1 && keys Escape && sleep 1 && keys q && wait_for "menu-exit=0"
'

test_expect_success 'no terminal: a clear error, exit 3' '
	expect_exit 3 $BOOTFIX menu --device disk.img < /dev/null > out 2> err &&
	grep -F "cannot start the menu: not a terminal" err
'

test_done
