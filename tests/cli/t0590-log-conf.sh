#!/bin/bash
# DATA/bootfix.conf names the operator, site and stick for the records; it
# is read forgivingly (Notepad: BOM, CRLF) and nothing in it stops a fix.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys
LOG=data/logs/bootfix.jsonl

machine() { rm -rf "$1" && windows_tree "$1" && channel_file "$1" $F291 "$FAULTY_TIME"; }
last() { tail -n1 $LOG | python3 -c "import json, sys; r = json.load(sys.stdin); print(r.get(\"$1\"))"; }

test_expect_success 'a Notepad file: BOM, CRLF, comments; operator, site and stick recorded' '
	mkdir data &&
	printf "\357\273\277# stick for ward 3\r\noperator = Zoë\r\nsite = Ward 3\r\nstick = stick-07\r\nmode = auto\r\nafter = poweroff\r\ncountdown = 30\r\n" > data/bootfix.conf &&
	machine w && expect_exit 0 $BOOTFIX fix --root w --data data > f.out 2> f.err &&
	! grep -F "warning" f.err &&
	test "$(last operator)" = "Zoë" && test "$(last site)" = "Ward 3" &&
	test "$(last stick)" = "stick-07" && test "$(last mode)" = cli
'

test_expect_success 'bad lines are one-line warnings; the good ones still count' '
	printf "site = Lab 2\nmode = sometimes\ncountdown = soon\nwho = me\njust text\n" > data/bootfix.conf &&
	machine w && expect_exit 0 $BOOTFIX fix --root w --data data > f.out 2> f.err && cat f.err &&
	grep -Fx "bootfix: warning: data/bootfix.conf:2: mode must be menu or auto, not '"'"'sometimes'"'"' (ignored)" f.err &&
	grep -Fx "bootfix: warning: data/bootfix.conf:3: countdown must be 0 to 3600 seconds, not '"'"'soon'"'"' (ignored)" f.err &&
	grep -Fx "bootfix: warning: data/bootfix.conf:4: unknown key '"'"'who'"'"' (ignored)" f.err &&
	grep -Fx "bootfix: warning: data/bootfix.conf:5: expected '"'"'key = value'"'"' (ignored)" f.err &&
	test "$(last site)" = "Lab 2" && test "$(last operator)" = None &&
	tail -n1 $LOG | python3 -c "
import json, sys
n = json.load(sys.stdin)[\"notes\"]
assert \"data/bootfix.conf:2: mode must be menu or auto, not '"'"'sometimes'"'"' (ignored)\" in n, n
assert len([x for x in n if x.startswith(\"data/bootfix.conf:\")]) == 4, n
"
'

test_expect_success 'saved as UTF-16, or not a file at all: a warning, and the fix goes on' '
	printf "\377\376s\000i\000t\000e\000" > data/bootfix.conf &&
	machine w && expect_exit 0 $BOOTFIX fix --root w --data data > f.out 2> f.err && cat f.err &&
	grep -Fx "bootfix: warning: data/bootfix.conf: saved as UTF-16; save it as UTF-8 (whole file ignored)" f.err &&
	rm data/bootfix.conf && mkdir data/bootfix.conf &&
	machine w && expect_exit 0 $BOOTFIX fix --root w --data data > f.out 2> f.err && cat f.err &&
	grep -F "bootfix: warning: cannot read data/bootfix.conf" f.err &&
	grep -E "^bootfix: record [0-9]+ written to data/logs/bootfix.jsonl$" f.err &&
	tail -n1 $LOG | grep -F "cannot read data/bootfix.conf"
'

test_done
