#!/bin/bash
# A network boot without a stick (BOOTFIX_NO_STICK=1, docs/netboot.md): the
# data folder is the site's read-only settings; keys, rules and bootfix.conf
# come from it, nothing is written into it, and the record of the fix is
# shown (on stderr, said on the serial line named by BOOTFIX_READY) so it
# is not lost.
. "$(dirname "$0")/../lib.sh"

F=C-00000291-00000000-00000032.sys

test_expect_success 'setup: a faulty Windows disk and a site folder, read-only' '
	make_disk w.img gpt 40 32 && dev=$(attach w.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" &&
	ntfs_umount w && losetup -d $dev &&
	mkdir -p site/rules site/keys &&
	printf "operator = netboot\nsite = ward-9\n" > site/bootfix.conf &&
	(cd site && find . | sort > ../site.before) && chmod -R a-w site
'

test_expect_success 'unattended, no stick: FIXED, the record shown, nothing written to the site folder' '
	: > serial &&
	expect_exit 0 env BOOTFIX_NO_STICK=1 BOOTFIX_READY=$PWD/serial \
		$BOOTFIX auto --data site --device w.img < /dev/null > out 2> err &&
	cat out err serial &&
	grep -F "FIXED: DESKTOP-2KGM189" out &&
	grep -F "bootfix: not written: no stick (network boot)" err &&
	grep -F "bootfix: auto fixed computer=DESKTOP-2KGM189" serial &&
	grep -F "log not written: no stick (network boot)" serial &&
	grep -A1 -F "bootfix: this audit record could not be written; keep it:" err |
		tail -n 1 > rec.json &&
	python3 -c "
import json, sys
r = json.load(open(\"rec.json\"))
assert r[\"outcome\"] == \"fixed\" and r[\"operator\"] == \"netboot\" and r[\"site\"] == \"ward-9\", r
assert r[\"mode\"] == \"auto\" and \"stick\" not in r.get(\"quarantine\", [{}])[0], r
" &&
	(cd site && find . | sort > ../site.after) && diff site.before site.after
'

test_expect_success 'the faulty file is in quarantine on the volume itself' '
	dev=$(attach w.img) && echo $dev > .dev && ntfs_mount ${dev}p1 w &&
	test ! -e w/$CS_DIR/$F && find w/bootfix-quarantine -name $F | grep -q .
'
ntfs_umount w 2>/dev/null; losetup -d "$(cat .dev 2>/dev/null)" 2>/dev/null

test_expect_success 'no data folder at all: the record is shown all the same' '
	make_disk n.img gpt 40 32 && dev=$(attach n.img) &&
	ntfs_format ${dev}p1 Windows && ntfs_mount ${dev}p1 w && windows_tree w &&
	channel_file w $F "$FAULTY_TIME" && ntfs_umount w && losetup -d $dev &&
	expect_exit 0 env BOOTFIX_NO_STICK=1 $BOOTFIX auto --device n.img < /dev/null > out 2> err &&
	cat out err && grep -F "FIXED: DESKTOP-2KGM189" out &&
	grep -F "bootfix: not written: no stick (network boot)" err &&
	grep -A1 -F "keep it:" err | tail -n 1 | python3 -c "
import json, sys
r = json.load(sys.stdin)
assert r[\"outcome\"] == \"fixed\", r
"
'

test_expect_success 'without BOOTFIX_NO_STICK the same folder is a stick: the log is written there' '
	chmod -R u+w site && make_disk v.img gpt 40 32 && dev=$(attach v.img) &&
	ntfs_format ${dev}p1 Windows && ntfs_mount ${dev}p1 w && windows_tree w &&
	channel_file w $F "$FAULTY_TIME" && ntfs_umount w && losetup -d $dev &&
	expect_exit 0 $BOOTFIX auto --data site --device v.img < /dev/null > out 2> err &&
	test -s site/logs/bootfix.jsonl && find site/quarantine -name $F | grep -q .
'
test_done
