#!/bin/bash
# Keys as serial terminals send them (issue: on vt100 the keypad typed wrong
# digits; on vt220 F5 was read as Esc and "15" moved the selection).  The
# bytes are sent raw (tmux send-keys -H), as the terminal would, on the key
# screen of a locked BitLocker volume where every digit shows.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-bitlocker.sh"
. "$TOP/tests/lib-tmux.sh"

IMG=bitlk-aes-xts-128
cleanup_tmux() { tm kill-server 2>/dev/null; cleanup_trash; }
trap cleanup_tmux EXIT

menu() {	# menu TERM
	tmux_fresh
	tm new-session -d -x 80 -y 24 "TERM=$1 BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu --device disk.img --data data; echo menu-exit=\$?; sleep 600"
}
raw() { tm send-keys -H "$@"; }		# raw HEX...: bytes as the terminal sends them
entry() { screen | grep -E "^ +[0-9_]{6}(-[0-9_]{6}){7} *$" | tr -d " "; }

test_expect_success 'setup: a locked BitLocker volume' '
	bitlk_extract && cp --sparse=always $IMGS/$IMG.img disk.img && mkdir -p data
'

test_expect_success 'vt100: keypad Enter (ESC O M) opens the key screen' '
	menu vt100 && wait_for "BitLocker locked 64311DEA" 60 &&
	# the locked volume is named by its BitLocker description, and marked
	screen | grep -E "^>\? 1 loop[0-9]+ .* DESKTOP-NPM7RCA +BitLocker locked 64311DEA" &&
	keys d && wait_for "BitLocker description: DESKTOP-NPM7RCA H: 7/4/2019" &&
	keys Escape && wait_for "BitLocker locked 64311DEA" &&
	raw 1b 4f 4d && wait_for "Type the 48-digit recovery key"
'

test_expect_success 'vt100: the keypad in application mode types 0-9 (ESC O p .. ESC O y)' '
	for c in 70 71 72 73 74 75 76 77 78 79; do raw 1b 4f $c; done &&
	wait_for "012345-6789__" && test "$(entry)" = "012345-6789__-______-______-______-______-______-______"
'

test_expect_success 'vt100: PF1-PF4 (ESC O P..S) are F1-F4: digits 1-4' '
	for c in 50 51 52 53; do raw 1b 4f $c; done &&
	wait_for "012345-678912-34____"
'

test_expect_success 'unknown sequences are ignored whole: no byte left behind, not Esc' '
	raw 1b 5b 31 32 3b 34 30 52 &&	# a cursor position report, ESC [12;40R
	raw 1b 5b 39 39 7e &&			# ESC [99~
	raw 1b 4f 7a &&				# ESC O z
	raw 1b 5b 3f 31 3b 32 63 &&		# a device attributes reply, ESC [?1;2c
	sleep 1 && test "$(entry)" = "012345-678912-34____-______-______-______-______-______" &&
	screen | grep -F "Type the 48-digit recovery key"
'

test_expect_success 'Backspace (DEL and BS) erases; a lone Esc still goes back' '
	raw 7f && raw 08 && wait_for "012345-678912-______" &&
	keys Escape && wait_for "BitLocker locked 64311DEA"
'

test_expect_success 'Esc and a key in one read (Alt+key): Esc, then the key, none lost' '
	keys Enter && wait_for "Type the 48-digit recovery key" && raw 1b 3f &&
	wait_for "choose a volume" && keys Escape && wait_for "BitLocker locked 64311DEA" &&
	keys q && wait_for "menu-exit=0"
'

test_expect_success 'vt220: F5 (ESC [15~) types 5, and the "15" after it are digits, not a selection' '
	menu vt220 && wait_for "BitLocker locked 64311DEA" 60 &&
	keys Enter && wait_for "Type the 48-digit recovery key" &&
	keys 1 && raw 1b 5b 31 35 7e && keys 1 5 && wait_for "1515__" &&
	screen | grep -F "Type the 48-digit recovery key"
'

test_expect_success 'vt220: F6-F10 (ESC [17~ .. ESC [21~) type 6, 7, 8, 9, 0' '
	for s in "31 37" "31 38" "31 39" "32 30" "32 31"; do raw 1b 5b $s 7e; done &&
	wait_for "151567-890___" &&
	keys Escape && wait_for "BitLocker locked 64311DEA" && keys q && wait_for "menu-exit=0"
'

test_expect_success 'linux console: F1-F5 (ESC [[A..E) on the key screen; vt220 arrows on the list' '
	menu linux && wait_for "BitLocker locked 64311DEA" 60 &&
	keys Enter && wait_for "Type the 48-digit recovery key" &&
	for c in 41 42 43 44 45; do raw 1b 5b 5b $c; done && wait_for "12345_-" &&
	keys Escape && wait_for "BitLocker locked" &&
	raw 1b 5b 42 && raw 1b 4f 41 && sleep 0.5 && screen | grep -E "^>\? 1 " &&
	keys q && wait_for "menu-exit=0"
'

test_done
