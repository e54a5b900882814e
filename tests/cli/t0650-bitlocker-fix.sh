#!/bin/bash
# The engine on BitLocker: scan shows the key ID of a locked volume; with the
# key export on the stick, scan and fix unlock it themselves (read-only to
# look, read-write to fix), the NTFS inside is fixed the normal way, every
# mapping is closed, and the audit record names the key ID and its source,
# never the key.  Without a key the volume is refused untouched.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-bitlocker.sh"

F291=C-00000291-00000000-00000032.sys
IMG=bitlk-aes-xts-128
KID=64311DEA-4587-4029-924A-BA299647998E

ntfs_small() { mkntfs -Q -q -F -L "$2" "$1" 61440 >/dev/null 2>&1; }

# no_mapping_left : no dislocker-fuse, no loop device over a dislocker file
no_mapping_left() {
	test -z "$(ls -d "$BOOTFIX_RUN_DIR"/dl.* 2>/dev/null)" &&	# gone once dislocker-fuse exits
	! losetup -n -O BACK-FILE | grep -qF "$BOOTFIX_RUN_DIR" &&
	# this test's mounts only (other suites may run beside it)
	! grep ' fuse.dislocker' /proc/self/mountinfo | awk -v t="$TRASH" 'index($5, t) == 1' | grep -q .
}

test_expect_success 'setup: a BitLocker volume with Windows and a faulty file inside' '
	bitlk_extract && cp --sparse=always $IMGS/$IMG.img disk.img &&
	unlock_rw disk.img "--recovery-password -" "$(conf $IMG RP)" &&
	ntfs_small $MAPPED Windows && ntfs_mount $MAPPED w && windows_tree w &&
	channel_file w $F291 "$FAULTY_TIME" && ntfs_umount w &&
	unlock_done > /dev/null && mapping_gone &&
	mkdir -p data/keys nokeys &&
	printf "\"ComputerName\",\"KeyId\",\"RecoveryPassword\"\r\n\"DESKTOP-2KGM189\",\"{%s}\",\"%s\"\r\n" \
		"$(conf $IMG RP_VMK_GUID)" "$(conf $IMG RP)" > data/keys/fleet.csv &&
	before=$(image_sha disk.img) && echo $before > before.sha
'

test_expect_success 'scan without keys: locked, with the key ID to look up' '
	expect_exit 0 $BOOTFIX scan --device disk.img --data nokeys > s0.out 2>&1 &&
	cat s0.out &&
	grep -F "BitLocker key ID 64311DEA ($KID)  locked" s0.out &&
	grep -F "no key for key ID 64311DEA" s0.out && no_mapping_left
'

test_expect_success 'scan --json names the key IDs of a locked volume' '
	$BOOTFIX scan --device disk.img --json > s0.json &&
	python3 -c "
import json,sys
v=json.load(open(\"s0.json\"))[\"volumes\"][0]
assert v[\"bitlocker_locked\"] is True, v
assert v[\"bitlocker\"][\"key_ids\"]==[\"$KID\"], v
assert \"unlocked_by\" not in v[\"bitlocker\"], v
"
'

test_expect_success 'scan with the export on the stick: unlocked read-only, faulty file found' '
	expect_exit 1 $BOOTFIX scan --device disk.img --data data > s1.out 2>&1 &&
	cat s1.out &&
	grep -F "unlocked with key ID $KID from CSV file fleet.csv line 2" s1.out &&
	grep -F "Windows (DESKTOP-2KGM189)" s1.out && grep -F "$F291" s1.out &&
	no_mapping_left && test "$(image_sha disk.img)" = "$(cat before.sha)"
'

test_expect_success 'fix without a key: refused, exit 1, the volume unchanged' '
	expect_exit 1 $BOOTFIX fix --device disk.img --data nokeys > f0.out 2>&1 &&
	cat f0.out && grep -F "refused: BitLocker locked: no key for key ID 64311DEA" f0.out &&
	test "$(image_sha disk.img)" = "$(cat before.sha)" && no_mapping_left &&
	grep -F "\"outcome\":\"refused\"" nokeys/logs/bootfix.jsonl
'

test_expect_success 'fix with the export: unlocked read-write, quarantined, mapping closed' '
	expect_exit 0 $BOOTFIX fix --device disk.img --data data > f1.out 2>&1 &&
	cat f1.out && grep -F "1 faulty file found, 1 quarantined" f1.out &&
	no_mapping_left &&
	unlock_rw disk.img "--keys data/keys" "" && ntfs-3g -o ro $MAPPED w &&
	test ! -e w/$CS_DIR/$F291 && test -n "$(find w/bootfix-quarantine -name $F291)" &&
	ntfs_umount w && unlock_done > /dev/null && mapping_gone
'

test_expect_success 'the record names the key ID and its source; keys-used lists it' '
	$BOOTFIX log verify data/logs/bootfix.jsonl &&
	python3 -c "
import json
r=json.loads(open(\"data/logs/bootfix.jsonl\").read().splitlines()[-1])
assert r[\"outcome\"]==\"fixed\", r[\"outcome\"]
k=r[\"bitlocker\"]
assert len(k)==1 and k[0][\"key_id\"]==\"$KID\", k
assert k[0][\"source\"].startswith(\"CSV file fleet.csv line 2\") and k[0][\"kind\"]==\"csv\", k
assert k[0][\"computer_name\"]==\"DESKTOP-2KGM189\", k
v=r[\"volumes\"][0][\"bitlocker\"]
assert v[\"via\"] in (\"dm-crypt\", \"dislocker\") and v[\"unlocked_by\"]==\"$KID\", v
# what tells machines apart in the record: the description, locked or not
assert v[\"description\"]==\"DESKTOP-NPM7RCA H: 7/4/2019\", v
assert r[\"volumes\"][0][\"problem\"]==\"none\" and r[\"volumes\"][0][\"fast_restart\"] is False, r
n=json.loads(open(\"nokeys/logs/bootfix.jsonl\").read().splitlines()[-1])[\"volumes\"][0]
assert n[\"bitlocker_locked\"] and n[\"bitlocker\"][\"description\"]==\"DESKTOP-NPM7RCA H: 7/4/2019\", n
assert \"computer_name\" not in n, n
" &&
	$BOOTFIX log keys-used data/logs/bootfix.jsonl > used.out && cat used.out &&
	grep -F "$KID" used.out
'

test_expect_success 'no key reached any output, the log or the stick' '
	no_keys_in *.out data/logs/* nokeys/logs/* s0.json
'

test_done
