#!/bin/bash
# BitLocker key IDs: read from the metadata of 21 Windows-made volumes, they
# must be the GUIDs images.conf lists (RP_VMK_GUID is the "Key ID" of the
# recovery screen), shown whole and as their first 8 characters; a volume
# on a partition of a disk image is found; nothing is written.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-bitlocker.sh"

# check_ids IMAGE : bootfix's key IDs and kinds for IMAGE are images.conf's
check_ids() {
	local i=$1 k g kind out=$TRASH/$1.out
	$BOOTFIX unlock --device "$IMGS/$i.img" --check >"$out" 2>"$TRASH/$i.err"
	for k in RP_VMK_GUID:recovery RP2_VMK_GUID:recovery PW_VMK_GUID:password \
		 SK_VMK_GUID:startup SC_VMK_GUID:smart CLEARKEY_VMK_GUID:clear; do
		g=$(upper "$(conf "$i" "${k%%:*}")")
		kind=${k#*:}
		[ -n "$g" ] || continue
		grep -E "^  key ID $g \(${g:0:8}\)  $kind" "$out" >/dev/null || {
			echo "$i: ${k%%:*} $g ($kind) not listed:"; cat "$out"; return 1; }
	done
	grep -F "$(basename "$IMGS/$i.img"): BitLocker" "$out" >/dev/null
}

test_expect_success 'setup: the 21 Windows-made BitLocker images' '
	bitlk_extract && test "$(images | wc -l)" = 21 &&
	sha256sum "$IMGS"/*.img > before.sha
'

test_expect_success 'every key ID matches images.conf, whole and first 8 characters' '
	n=0 && for i in $(images); do check_ids $i || exit_code=1; n=$((n + 1)); done &&
	test $n = 21 && test -z "${exit_code:-}"
'

test_expect_success 'the recovery key ID of all 20 recovery-password images is found' '
	n=0 && for i in $(images); do
		g=$(upper "$(conf $i RP_VMK_GUID)") && test -n "$g" || continue
		grep -F "key ID $g (${g:0:8})  recovery password" $i.out && n=$((n + 1))
	done && test $n = 20
'

test_expect_success 'To Go volumes and both elephant volumes are read' '
	grep -F "BitLocker To Go, AES-CBC 128" bitlk-togo-aes-cbc-128.out &&
	grep -F "BitLocker To Go, AES-XTS 128" bitlk-togo-aes-xts-128.out &&
	grep -F "AES-CBC 256 with Elephant diffuser" bitlk-aes-cbc-elephant-256.out &&
	grep -F "\"DESKTOP-NPM7RCA H: 7/4/2019\"" bitlk-aes-xts-128.out
'

test_expect_success 'the damaged first metadata copy of the crc image is passed over' '
	grep -F "key ID 64311DEA-4587-4029-924A-BA299647998E" bitlk-aes-xts-128-crc.out
'

test_expect_success 'encryption in progress is said for the two unfinished volumes only' '
	grep -F "encryption in progress" bitlk-partially-encrypted-aes-cbc-128.out &&
	grep -F "encryption in progress" bitlk-aes-xts-128-eow.out &&
	test "$(grep -l "encryption in progress" *.out | wc -l)" = 2
'

test_expect_success 'without keys: exit 1 naming the key ID to look up' '
	expect_exit 1 $BOOTFIX unlock --device $IMGS/bitlk-aes-xts-128.img --check \
		> nokey.out 2> nokey.err &&
	cat nokey.err &&
	grep -F "cannot unlock $IMGS/bitlk-aes-xts-128.img: no key for recovery key ID 64311DEA-4587-4029-924A-BA299647998E (64311DEA)" nokey.err
'

test_expect_success 'a smart-card-only volume would need its recovery key, said so' '
	expect_exit 1 $BOOTFIX unlock --device $IMGS/bitlk-aes-xts-128-smart-card.img --check \
		2> sc.err && grep -F "1F9DA098-0CC4-464D-A101-188E70F434A6 (1F9DA098)" sc.err
'

test_expect_success 'a BitLocker partition inside a GPT disk image is found' '
	make_disk disk.img gpt 140 101 && dev=$(attach disk.img) &&
	dd if=$IMGS/bitlk-aes-xts-256.img of=${dev}p1 bs=1M conv=sparse status=none &&
	losetup -d $dev &&
	expect_exit 1 $BOOTFIX unlock --device disk.img --check > disk.out 2> disk.err &&
	cat disk.out &&
	grep -E "^/dev/loop[0-9]+p1: BitLocker, AES-XTS 256" disk.out &&
	grep -F "key ID 83ABDB8F-3218-4BFD-ACED-215E1E189BDF (83ABDB8F)  recovery password" disk.out
'

test_expect_success 'a plain file is refused with a clear message, exit 3' '
	head -c 1048576 /dev/zero > zero.img &&
	expect_exit 3 $BOOTFIX unlock --device zero.img --check 2> zero.err &&
	grep -F "cannot unlock zero.img: no BitLocker volume on it" zero.err
'

test_expect_success 'usage errors exit 2; a key as an argument is refused' '
	expect_exit 2 $BOOTFIX unlock --check &&
	expect_exit 2 $BOOTFIX unlock --device x --recovery-password 235818-357951 2> arg.err &&
	grep -F "never as an argument" arg.err &&
	expect_exit 2 $BOOTFIX unlock --device x --recovery-password - --password -
'

test_expect_success 'scan shows a locked volume'"'"'s BitLocker description, not as its computer name' '
	expect_exit 0 $BOOTFIX scan --device $IMGS/bitlk-aes-xts-128.img > desc.out &&
	cat desc.out &&
	grep -E "^/dev/loop[0-9]+  BitLocker  .*BitLocker key ID 64311DEA .*  locked$" desc.out &&
	grep -Fx "  BitLocker description \"DESKTOP-NPM7RCA H: 7/4/2019\" (computer, drive and date when encrypted)" desc.out &&
	expect_exit 0 $BOOTFIX scan --device $IMGS/bitlk-aes-xts-128.img --json > desc.json &&
	python3 -c "
import json; v = json.load(open(\"desc.json\"))[\"volumes\"][0]
assert v[\"bitlocker_locked\"] and v[\"bitlocker\"][\"description\"] == \"DESKTOP-NPM7RCA H: 7/4/2019\", v
assert \"computer_name\" not in v and v[\"problem\"] == \"none\" and not v[\"fast_restart\"], v"
'

test_expect_success 'reading key IDs changed no image' '
	sha256sum -c --quiet before.sha
'

test_done
