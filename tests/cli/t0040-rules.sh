#!/bin/bash
# Rules as data: checking rule files, Notepad files, a new incident's rule
# dropped on the stick.
. "$(dirname "$0")/../lib.sh"

test_expect_success 'the shipped rules check clean' '
	$BOOTFIX rules check $TOP/rules/*.rules > out &&
	grep -F "crowdstrike-2024-07-19.rules: 4 rules ok" out
'

test_expect_success 'a malformed rule file: errors with file:line, exit 2' '
	cat > bad.rules <<-\EOF &&
	# a comment
	[one]
	directory = Windows\Temp
	name = *.sys
	verdict = maybe
	modified-from = 2024-07-19 04:09
	colour = red

	[two]
	name = x
	EOF
	expect_exit 2 $BOOTFIX rules check bad.rules 2> err &&
	cat err &&
	grep -F "bad.rules:5: verdict must be faulty, good or unknown: maybe" err &&
	grep -F "bad.rules:6: modified-from is not a UTC time" err &&
	grep -F "bad.rules:7: unknown key '\''colour'\''" err &&
	grep -F "bad.rules:9: rule [two] has no directory" err &&
	grep -F "bad.rules:9: rule [two] has no verdict" err
'

test_expect_success 'Notepad style: UTF-8 BOM and CRLF are accepted' '
	printf "\357\273\277# made in Notepad\r\n[np]\r\ntitle = t\r\ndirectory = Windows\\\\Temp\r\nname = a*.dll\r\nverdict = faulty\r\n" > np.rules &&
	$BOOTFIX rules check np.rules > out && grep -F "np.rules: 1 rule ok" out
'

test_expect_success 'UTF-16 (Notepad "Unicode") is refused with advice' '
	printf "\377\376[\000x\000]\000" > u16.rules &&
	expect_exit 2 $BOOTFIX rules check u16.rules 2> err &&
	grep -F "u16.rules:1: file is UTF-16; save it as UTF-8" err
'

test_expect_success 'a missing rule file: exit 3' '
	expect_exit 3 $BOOTFIX rules check nope.rules 2> err &&
	grep -F "cannot open nope.rules" err
'

test_expect_success 'a broken rule file on the stick stops scan before any disk is touched, exit 2' '
	mkdir -p data/rules && cp bad.rules data/rules/ &&
	truncate -s 8M x.img &&
	expect_exit 2 $BOOTFIX scan --device x.img --data data 2> err &&
	grep -F "bad.rules:5:" err
'

test_expect_success 'a new incident: a rule file on the stick finds its files by size and header' '
	rm data/rules/bad.rules &&
	cat > data/rules/vendorx-2026.rules <<-\EOF &&
	[vendorx-bad-driver]
	title = Vendor X filter driver 7.1 (boot loop)
	directory = Windows/System32/drivers
	name = vxfilt*.sys
	size = 5, 1234
	header = 4D 5A
	verdict = faulty
	EOF
	$BOOTFIX rules check data/rules/vendorx-2026.rules &&
	make_disk d.img gpt 40 32 && dev=$(attach d.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	mkdir -p w/Windows/System32/drivers &&
	printf "MZabc" > w/Windows/System32/drivers/vxfilt64.sys &&
	printf "XXabc" > w/Windows/System32/drivers/vxfiltold.sys &&
	printf "MZabcd" > w/Windows/System32/drivers/vxfilt2.sys &&
	ntfs_umount w && losetup -d $dev &&
	expect_exit 1 $BOOTFIX scan --device d.img --data data --json > s.json &&
	python3 -c "
import json
f = json.load(open(\"s.json\"))[\"volumes\"][0][\"findings\"]
got = {x[\"path\"].split(chr(92))[-1]: x[\"verdict\"] for x in f}
assert got == {\"vxfilt64.sys\": \"faulty\", \"vxfiltold.sys\": \"unknown\", \"vxfilt2.sys\": \"unknown\"}, got"
'

test_expect_success 'the same rule id twice across files is an error' '
	cp $TOP/rules/crowdstrike-2024-07-19.rules data/rules/copy.rules &&
	expect_exit 2 $BOOTFIX scan --device d.img --data data 2> err &&
	grep -F "rule id [cs-291-zero] is already used" err
'

test_done
