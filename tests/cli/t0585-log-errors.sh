#!/bin/bash
# Errors before output: every log verb reads all its files first; a file
# that is missing or cannot be read gives one line naming it and why, exit
# 3, and nothing on standard output (no table header, no "intact" for the
# files before it, no merged file).
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys

test_expect_success 'setup: a good log, a missing one, a directory' '
	rm -rf w && windows_tree w && channel_file w $F291 "$FAULTY_TIME" &&
	$BOOTFIX fix --root w --log good.jsonl > f.out 2>&1 &&
	expect_exit 0 $BOOTFIX log verify good.jsonl &&
	mkdir dir.jsonl
'

# only_error CODE WANT verb args...: exit CODE, no output, stderr is WANT alone
only_error() {
	local code=$1 want=$2
	shift 2
	expect_exit $code $BOOTFIX log "$@" > o.out 2> o.err || return 1
	cat o.err
	test ! -s o.out || { echo "output before the error:"; cat o.out; return 1; }
	test "$(cat o.err)" = "$want"
}

MISSING="bootfix: cannot open MISSING.jsonl: no such file or directory"
DIR="bootfix: cannot read dir.jsonl: is a directory"

test_expect_success 'list: the error alone, never the table header' '
	only_error 3 "$MISSING" list MISSING.jsonl &&
	only_error 3 "$MISSING" list good.jsonl MISSING.jsonl &&
	only_error 3 "$DIR" list dir.jsonl good.jsonl
'

test_expect_success 'summary, export --csv and keys-used: the error alone' '
	only_error 3 "$MISSING" summary good.jsonl MISSING.jsonl &&
	only_error 3 "$MISSING" export --csv good.jsonl MISSING.jsonl &&
	only_error 3 "$DIR" export --csv dir.jsonl &&
	only_error 3 "$MISSING" keys-used MISSING.jsonl good.jsonl
'

test_expect_success 'show: the error alone' '
	only_error 3 "$MISSING" show MISSING.jsonl 1 &&
	only_error 3 "$MISSING" show --computer DESKTOP-2KGM189 good.jsonl MISSING.jsonl &&
	only_error 3 "$DIR" show --serial S1 dir.jsonl
'

test_expect_success 'verify: no "intact" for the file before the missing one' '
	only_error 3 "$MISSING" verify good.jsonl MISSING.jsonl &&
	only_error 3 "$DIR" verify dir.jsonl
'

test_expect_success 'merge: the error alone, and no merged file' '
	only_error 3 "$MISSING" merge -o m.jsonl good.jsonl MISSING.jsonl &&
	test ! -e m.jsonl && test ! -e m.jsonl.head
'

test_expect_success 'two unreadable files: one line each, still no output' '
	expect_exit 3 $BOOTFIX log list MISSING.jsonl dir.jsonl > o.out 2> o.err &&
	test ! -s o.out &&
	printf "%s\n%s\n" "$MISSING" "$DIR" | diff - o.err
'

test_expect_success 'a hostile file name is shown escaped' '
	expect_exit 3 $BOOTFIX log list "$(printf "a\033]0;x\007.jsonl")" > o.out 2> o.err &&
	test ! -s o.out &&
	grep -Fx "bootfix: cannot open a\\x1b]0;x\\x07.jsonl: no such file or directory" o.err
'

test_expect_success 'the good log alone still lists, verifies and merges' '
	expect_exit 0 $BOOTFIX log list good.jsonl > l.out &&
	head -n1 l.out | grep -E "^LINE +TIME +COMPUTER +SERIAL +SITE +ACTION +OUTCOME$" &&
	expect_exit 0 $BOOTFIX log verify good.jsonl &&
	expect_exit 0 $BOOTFIX log merge -o m.jsonl good.jsonl &&
	expect_exit 0 $BOOTFIX log verify m.jsonl
'

test_done
