#!/bin/bash
# File names are hostile input: ESC sequences that clear the screen or
# retitle the terminal, a CR that hides a line, a right-to-left override
# that reverses what follows, a newline.  Every human output shows them
# escaped (\x1b, \u202e); JSON keeps the exact names; a name the manifest
# cannot hold is left in place alone, with its reason, and the genuine
# faulty file next to it is quarantined.
. "$(dirname "$0")/../lib.sh"

GENUINE=C-00000291-00000000-00000032.sys
ESC_NAME=$'C-00000291-\e[2J\e[H.sys'
OSC_NAME=$'C-00000291-\e]0;pwned\a.sys'
CR_NAME=$'C-00000291-x\rC-00000291-fine.sys'
RLO_NAME=$'C-00000291-\u202egnp.sys'
NL_NAME=$'C-00000291-a\nb.sys'

# raw_free FILE: no raw ESC, BEL, CR, RLO or C1 CSI byte in FILE
raw_free() {
	! grep -q "$(printf "\033")" "$1" && ! grep -q "$(printf "\007")" "$1" &&
	! grep -q "$(printf "\r")" "$1" && ! grep -q "$(printf "\342\200\256")" "$1" &&
	! grep -q "$(printf "\302\233")" "$1"
}

test_expect_success 'setup: six faulty files, five with hostile names' '
	make_disk d.img gpt 40 32 && dev=$(attach d.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	for n in "$GENUINE" "$ESC_NAME" "$OSC_NAME" "$CR_NAME" "$RLO_NAME" "$NL_NAME"; do
		channel_file w "$n" "$FAULTY_TIME" || exit 1
	done &&
	test $(ls w/$CS_DIR | wc -l) -ge 6 &&
	ntfs_umount w && losetup -d $dev && mkdir data
'

test_expect_success 'scan shows each name escaped, raw bytes never reach the terminal' '
	expect_exit 1 $BOOTFIX scan -v --device d.img > scan.out 2>&1 &&
	cat -A scan.out && raw_free scan.out &&
	grep -F "C-00000291-\\x1b[2J\\x1b[H.sys" scan.out &&
	grep -F "C-00000291-\\x1b]0;pwned\\x07.sys" scan.out &&
	grep -F "C-00000291-x\\x0dC-00000291-fine.sys" scan.out &&
	grep -F "C-00000291-\\u202egnp.sys" scan.out &&
	grep -F "C-00000291-a\\x0ab.sys" scan.out &&
	grep -q "6 faulty files found" scan.out
'

test_expect_success 'JSON keeps the exact names' '
	expect_exit 1 $BOOTFIX scan --json --device d.img > scan.json &&
	python3 - "$ESC_NAME" "$OSC_NAME" "$CR_NAME" "$RLO_NAME" "$NL_NAME" <<-PY
	import json, sys
	j = json.load(open("scan.json"))
	names = {f["path"].split("\\\\")[-1] for v in j["volumes"] for f in v["findings"]}
	for want in sys.argv[1:]:
	    assert want in names, (want, names)
	PY
'

test_expect_success 'fix: names the manifest cannot hold are left alone with the reason; the rest moves' '
	expect_exit 1 $BOOTFIX fix -v --device d.img --data data > fix.out 2>&1 &&
	cat -A fix.out && raw_free fix.out &&
	grep -q "6 faulty files found, 2 quarantined" fix.out &&
	test $(grep -c "left in place: its name cannot be recorded in the manifest (it holds a control character)" fix.out) = 4 &&
	dev=$(attach d.img) && ntfs-3g -o ro ${dev}p1 w &&
	test ! -e "w/$CS_DIR/$GENUINE" && test ! -e "w/$CS_DIR/$RLO_NAME" &&
	test -e "w/$CS_DIR/$NL_NAME" && test -e "w/$CS_DIR/$ESC_NAME" &&
	q=$(ls -d w/bootfix-quarantine/*) && (cd $q && sha256sum --quiet -c manifest.txt) &&
	test $(grep -c "^SHA256 " $q/manifest.txt) = 2 &&
	ntfs_umount w && losetup -d $dev
'

test_expect_success 'log list, show and summary: escaped; the record keeps exact names' '
	$BOOTFIX log list data/logs/bootfix.jsonl > list.out && raw_free list.out &&
	$BOOTFIX log show data/logs/bootfix.jsonl 2 > show.out && cat -A show.out | head -n 40 &&
	raw_free show.out && grep -F "\\u202egnp.sys" show.out &&
	$BOOTFIX log summary data/logs/bootfix.jsonl > sum.out && raw_free sum.out &&
	python3 - "$NL_NAME" <<-PY
	import json, sys
	r = json.loads(open("data/logs/bootfix.jsonl").read().splitlines()[1])
	paths = [f["path"] for v in r["volumes"] for f in v["findings"]]
	assert any(p.endswith(sys.argv[1]) for p in paths), paths
	PY
'

test_expect_success 'unattended mode: the result line and the reason escaped' '
	expect_exit 1 $BOOTFIX auto --device d.img --data data > auto.out 2>&1 &&
	cat -A auto.out && raw_free auto.out && grep -q "^NOT FIXED: " auto.out
'

test_done
