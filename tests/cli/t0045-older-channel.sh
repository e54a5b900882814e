#!/bin/bash
# A channel 291 file older than the faulty update is good, decided by the
# shipped rule cs-291-older.  A file that rules cover but none decides is
# unknown, pinned on no rule, with its date as the reason; unattended, a
# machine whose only such files are those says CHECK, never NOT FIXED.
. "$(dirname "$0")/../lib.sh"

F=C-00000291-00000000-00000032.sys
OLDER_TIME='2024-07-18 10:00:00 UTC'
MARGIN_TIME='2024-07-19 03:30:00 UTC'	# two hours before 04:09: no rule decides

# disk IMG FILE WHEN [FILE WHEN...]: a Windows disk with these channel files
disk() {
	local img=$1
	shift
	make_disk $img gpt 40 32 && dev=$(attach $img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	while [ $# -gt 1 ]; do channel_file w "$1" "$2" || return 1; shift 2; done &&
	ntfs_umount w && losetup -d $dev && image_sha $img > $img.sha
}

# record LOG N: the Nth audit record of LOG, as JSON on stdout
record() { sed -n "${2}p" "$1"; }

test_expect_success 'setup: a machine never affected (an older channel file only)' '
	disk older.img $F "$OLDER_TIME"
'

test_expect_success 'scan: the older channel file is good, by cs-291-older; nothing to decide' '
	expect_exit 0 $BOOTFIX scan --device older.img > s.out && cat s.out &&
	grep -F "good    Windows\\System32\\drivers\\CrowdStrike\\$F  41024 bytes  2024-07-18T10:00:00Z  [cs-291-older]" s.out &&
	grep -Fx "0 faulty files found" s.out &&
	expect_exit 0 $BOOTFIX scan --device older.img --json > s.json &&
	python3 -c "
import json
f = json.load(open(\"s.json\"))[\"volumes\"][0][\"findings\"]
assert len(f) == 1 and f[0][\"verdict\"] == \"good\" and f[0][\"rule\"] == \"cs-291-older\", f
assert \"why\" not in f[0], f"
'

test_expect_success 'fix: nothing to fix, the disk untouched' '
	expect_exit 0 $BOOTFIX fix --device older.img > f.out && cat f.out &&
	grep -F "0 faulty files found, 0 quarantined" f.out && ! grep -F "decision" f.out &&
	test "$(image_sha older.img)" = "$(cat older.img.sha)"
'

test_expect_success 'unattended: NOTHING TO FIX, exit 0, the record says no faulty files' '
	mkdir -p d1 &&
	expect_exit 0 $BOOTFIX auto --device older.img --data d1 < /dev/null > a.out 2>&1 && cat a.out &&
	grep -F "NOTHING TO FIX: DESKTOP-2KGM189" a.out &&
	test "$(image_sha older.img)" = "$(cat older.img.sha)" &&
	record d1/logs/bootfix.jsonl 1 | python3 -c "
import json, sys
r = json.load(sys.stdin)
assert r[\"outcome\"] == \"nothing-to-fix\" and r[\"reason\"] == \"no faulty files\", r
f = r[\"volumes\"][0][\"findings\"]
assert [(x[\"verdict\"], x[\"rule\"]) for x in f] == [(\"good\", \"cs-291-older\")], f"
'

# the rules of before this change: nothing decides a file older than 04:09
test_expect_success 'setup: rules that cover the older file but do not decide it' '
	mkdir -p narrow &&
	sed -n "/^\[cs-291-faulty\]/,\$p" $TOP/rules/crowdstrike-2024-07-19.rules > narrow/cs.rules &&
	BOOTFIX_RULES_DIR=$TRASH/narrow $BOOTFIX rules check narrow/cs.rules > c.out && cat c.out &&
	grep -F "2 rules ok" c.out
'

test_expect_success 'scan: covered but undecided is unknown, named on no rule, with its date' '
	BOOTFIX_RULES_DIR=$TRASH/narrow expect_exit 0 $BOOTFIX scan --device older.img > u.out &&
	cat u.out &&
	grep -F "unknown Windows\\System32\\drivers\\CrowdStrike\\$F  41024 bytes  2024-07-18T10:00:00Z  [no rule decides]" u.out &&
	grep -Fx "          why: no rule decides a file dated 2024-07-18" u.out &&
	! grep -F "cs-291" u.out &&
	BOOTFIX_RULES_DIR=$TRASH/narrow expect_exit 0 $BOOTFIX scan --device older.img --json > u.json &&
	python3 -c "
import json
f = json.load(open(\"u.json\"))[\"volumes\"][0][\"findings\"]
assert len(f) == 1 and f[0][\"verdict\"] == \"unknown\", f
assert \"rule\" in f[0] and f[0][\"rule\"] is None, f
assert f[0][\"why\"] == \"no rule decides a file dated 2024-07-18\", f"
'

test_expect_success 'fix: nothing faulty; the file to check is named, the disk untouched' '
	BOOTFIX_RULES_DIR=$TRASH/narrow expect_exit 0 $BOOTFIX fix --device older.img > uf.out &&
	cat uf.out &&
	grep -F "  no faulty files; 1 file to check: Windows\\System32\\drivers\\CrowdStrike\\$F: no rule decides a file dated 2024-07-18" uf.out &&
	test "$(image_sha older.img)" = "$(cat older.img.sha)"
'

test_expect_success 'unattended: CHECK (exit 4), not NOT FIXED; the record names the file' '
	mkdir -p d2 &&
	BOOTFIX_RULES_DIR=$TRASH/narrow expect_exit 4 $BOOTFIX auto --device older.img --data d2 \
		< /dev/null > ua.out 2>&1 && cat ua.out &&
	grep -F "CHECK: 1 file no rule decides (" ua.out &&
	grep -F "Windows\\System32\\drivers\\CrowdStrike\\$F, modified 2024-07-18T10:00:00Z)" ua.out &&
	! grep -F "NOT FIXED" ua.out &&
	test "$(image_sha older.img)" = "$(cat older.img.sha)" &&
	record d2/logs/bootfix.jsonl 1 | python3 -c "
import json, sys
r = json.load(sys.stdin)
assert r[\"outcome\"] == \"nothing-to-fix\", r
assert r[\"reason\"].startswith(\"no faulty files; 1 file to check: \"), r[\"reason\"]
assert r[\"reason\"].endswith(\"\\\\$F: no rule decides a file dated 2024-07-18\"), r[\"reason\"]
f = r[\"volumes\"][0][\"findings\"]
assert len(f) == 1 and f[0][\"rule\"] is None and f[0][\"verdict\"] == \"unknown\", f" &&
	$BOOTFIX log show d2/logs/bootfix.jsonl 1 > l.out && cat l.out &&
	grep -F "no faulty files; 1 file to check: " l.out
'

test_expect_success 'the shipped rules: a file in the two hours before 04:09 is undecided; unattended says CHECK' '
	disk margin.img $F "$MARGIN_TIME" &&
	expect_exit 0 $BOOTFIX scan --device margin.img --json > m.json &&
	python3 -c "
import json
f = json.load(open(\"m.json\"))[\"volumes\"][0][\"findings\"]
assert [(x[\"verdict\"], x[\"rule\"], x[\"why\"]) for x in f] == [(\"unknown\", None, \"no rule decides a file dated 2024-07-19\")], f" &&
	expect_exit 4 $BOOTFIX auto --device margin.img < /dev/null > m.out 2>&1 && cat m.out &&
	grep -F "CHECK: 1 file no rule decides (" m.out && grep -F "modified 2024-07-19T03:30:00Z)" m.out &&
	test "$(image_sha margin.img)" = "$(cat margin.img.sha)"
'

test_expect_success 'all zero bytes in the margin, or long before: still faulty (cs-291-zero first)' '
	make_disk z.img gpt 40 32 && dev=$(attach z.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	channel_file w C-00000291-00000000-00000040.sys "$MARGIN_TIME" zero &&
	channel_file w C-00000291-00000000-00000041.sys "$OLDER_TIME" zero &&
	ntfs_umount w && losetup -d $dev &&
	expect_exit 1 $BOOTFIX scan --device z.img --json > z.json &&
	python3 -c "
import json
f = json.load(open(\"z.json\"))[\"volumes\"][0][\"findings\"]
assert [(x[\"verdict\"], x[\"rule\"]) for x in f] == [(\"faulty\", \"cs-291-zero\")] * 2, f"
'

test_expect_success 'unattended, a faulty file beside an undecided one: NOT FIXED, untouched, naming it' '
	disk both.img $F "$FAULTY_TIME" C-00000291-00000000-00000033.sys "$MARGIN_TIME" &&
	expect_exit 1 $BOOTFIX auto --device both.img < /dev/null > b.out 2>&1 && cat b.out &&
	grep -F "NOT FIXED: " b.out &&
	grep -F "1 file needs a decision (verdict unknown: Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000033.sys: no rule decides a file dated 2024-07-19); volume left untouched" b.out &&
	test "$(image_sha both.img)" = "$(cat both.img.sha)"
'

test_expect_success 'unattended, a file not read beside an undecided one: NOT FIXED, naming the one not read' '
	disk big.img $F "$MARGIN_TIME" &&
	dev=$(attach big.img) && ntfs_mount ${dev}p1 w &&
	truncate -s 300M w/$CS_DIR/C-00000291-00000000-00000099.sys &&
	touch -d "$OLDER_TIME" w/$CS_DIR/C-00000291-00000000-00000099.sys &&
	ntfs_umount w && losetup -d $dev && image_sha big.img > big.img.sha &&
	expect_exit 1 $BOOTFIX auto --device big.img < /dev/null > g.out 2>&1 && cat g.out &&
	grep -F "NOT FIXED: " g.out &&
	grep -F "2 files need a decision (verdict unknown: Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000099.sys: 314572800 bytes, larger than" g.out &&
	test "$(image_sha big.img)" = "$(cat big.img.sha)" &&
	expect_exit 0 $BOOTFIX scan --device big.img > g2.out && cat g2.out &&
	grep -F "C-00000291-00000000-00000099.sys  314572800 bytes  2024-07-18T10:00:00Z  [no rule decides]" g2.out &&
	grep -F "why: 314572800 bytes, larger than the rules'"'"' max-size of 268435456: not read" g2.out
'

test_done
