#!/bin/bash
# Typing a recovery password at the console, driven through tmux like a
# technician: digits from the top row, the keypad and F1-F10, dashes or
# none; a wrong group is highlighted the moment its sixth digit is typed
# and Enter will not try it; once accepted the key is wiped off the screen.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-bitlocker.sh"
. "$TOP/tests/lib-tmux.sh"

cleanup_tmux() { tm kill-server 2>/dev/null; cleanup_trash; }
trap cleanup_tmux EXIT
# start IMAGE : `bootfix unlock --recovery-password - --check` on a fresh terminal
start() {
	tmux_fresh
	tm new-session -d -x 100 -y 20 "$BOOTFIX unlock --device $IMGS/$1.img --recovery-password - --check; echo unlock-exit=\$?; sleep 600"
}
# fkeys DIGITS : the F-keys that type DIGITS (F1-F9 = 1-9, F10 = 0)
fkeys() {
	local d out=
	for d in $(echo "$1" | fold -w1); do
		[ $d = 0 ] && out="$out F10" || out="$out F$d"
	done
	echo $out
}

test_expect_success 'setup: the images' 'bitlk_extract'

test_expect_success 'the prompt names the key ID to look up' '
	start bitlk-aes-xts-128 &&
	wait_for "Recovery password for key ID 64311DEA-4587-4029-924A-BA299647998E"
'

test_expect_success 'a wrong group is highlighted as soon as it is complete' '
	keys 2 3 5 8 1 9 && wait_for "group 1 is wrong (not divisible by 11)" &&
	tm capture-pane -p -e | grep -F "$(printf "\033[7m235819")"
'

test_expect_success 'Enter does not try it; entry goes on, backspace fixes the group' '
	keys Enter BSpace && wait_for "  23581" && ! screen | grep -F "is wrong" &&
	! screen | grep -F "unlock-exit" && keys 8 && wait_for "235818"
'

test_expect_success 'F1-F10, the keypad and dashes type the rest; Enter verifies it' '
	keys - $(fkeys 357951) && wait_for "235818-357951" &&
	keys KP2 KP5 KP3 KP9 KP7 KP9 && wait_for "235818-357951-253979" &&
	keys $(fkeys 013365) && wait_for "253979-013365" &&
	keys 241120245575342914591910 && wait_for "342914-591910" &&
	keys Enter && wait_for "unlock-exit=0" &&
	screen | grep -F "key verified with key ID 64311DEA-4587-4029-924A-BA299647998E (64311DEA), recovery password, from typed recovery password"
'

test_expect_success 'the key is not left on the screen' '
	! screen | grep -E "235818|357951|591910"
'

test_expect_success 'a last group that is wrong is caught before the slow check' '
	start bitlk-aes-xts-256 && wait_for "Recovery password for key ID 83ABDB8F" &&
	keys 404558436711420860678557638220018909039941695322 &&
	wait_for "group 8 is wrong (not divisible by 11)" &&
	keys BSpace 1 && wait_for "039941-695321" && keys Enter && wait_for "unlock-exit=0" &&
	screen | grep -F "key verified with key ID 83ABDB8F"
'

test_expect_success 'Esc cancels: nothing tried, exit 1' '
	start bitlk-aes-xts-128 && wait_for "Recovery password for key ID" &&
	keys 1 2 3 Escape && wait_for "unlock-exit=1" &&
	screen | grep -F "no recovery password entered" && ! screen | grep -F "123"
'

test_expect_success 'a right-looking wrong key: exit 1, said so' '
	start bitlk-aes-xts-128 && wait_for "Recovery password for key ID" &&
	keys 404558436711420860678557638220018909039941695321 Enter &&
	wait_for "unlock-exit=1" && screen | grep -F "the recovery password is wrong"
'

test_done
