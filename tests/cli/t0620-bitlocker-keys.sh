#!/bin/bash
# Every image that has a recovery password, a password, a startup key
# (.BEK) or a clear key verifies with it (--check); wrong keys are refused,
# a recovery password with a wrong group before any key derivation, and
# which group is named.  Debian 12's libcryptsetup checks 18 of the 20
# recovery-password images; bootfix itself checks the rest and the clear key.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-bitlocker.sh"

# verify IMAGE FLAG KEY GUIDVAR : KEY on stdin verifies IMAGE with key ID GUIDVAR
verify() {
	local i=$1 flag=$2 key=$3 g out=$TRASH/$1$2.out
	g=$(upper "$(conf $i $4)")
	if ! printf '%s\n' "$key" | $BOOTFIX unlock --device $IMGS/$i.img $flag - --check >$out 2>&1
	then
		echo "$i: $flag did not verify:"; cat $out; return 1
	fi
	grep -F "key verified with key ID $g (${g:0:8})" $out >/dev/null || {
		echo "$i: not key ID $g:"; cat $out; return 1; }
}

test_expect_success 'setup: the images' 'bitlk_extract && sha256sum $IMGS/*.img > before.sha'

test_expect_success 'all 20 typed recovery passwords verify' '
	n=0 && for i in $(images); do
		rp=$(conf $i RP) && test -n "$rp" || continue
		verify $i --recovery-password "$rp" RP_VMK_GUID || { failed=1; continue; }
		n=$((n + 1))
	done && test -z "${failed:-}" && test $n = 20
'

test_expect_success 'libcryptsetup checks 18; bootfix the two whose encryption is unfinished' '
	test "$(grep -l "; checked by libcryptsetup$" *--recovery-password.out | wc -l)" = 18 &&
	grep -F "checked by bootfix" bitlk-partially-encrypted-aes-cbc-128--recovery-password.out &&
	grep -F "checked by bootfix" bitlk-aes-xts-128-eow--recovery-password.out
'

test_expect_success 'the second recovery password opens with its own key ID' '
	verify bitlk-aes-xts-128-two-recovery --recovery-password "$(conf bitlk-aes-xts-128-two-recovery RP2)" RP2_VMK_GUID
'

test_expect_success 'typed without dashes, with spaces, as a scanner sends it' '
	rp=$(conf bitlk-aes-cbc-256 RP) &&
	verify bitlk-aes-cbc-256 --recovery-password "$(printf %s "$rp" | tr -d -)" RP_VMK_GUID &&
	verify bitlk-aes-cbc-256 --recovery-password "$(printf %s "$rp" | tr - " ")" RP_VMK_GUID &&
	verify bitlk-aes-cbc-256 --recovery-password "$rp$(printf "\r")" RP_VMK_GUID
'

test_expect_success 'every password verifies, the non-ASCII one too' '
	n=0 && for i in $(images); do
		pw=$(conf $i PW) && test -n "$pw" || continue
		verify $i --password "$pw" PW_VMK_GUID || { failed=1; continue; }
		n=$((n + 1))
	done && test -z "${failed:-}" && test $n = 17 &&
	grep -F "not checked by libcryptsetup: it hashes passwords with non-ASCII characters wrongly" \
		bitlk-aes-xts-128-unicode--password.out
'

test_expect_success 'both startup keys verify from their .BEK files' '
	mkdir -p keys && cp $IMGS/*.BEK keys/ &&
	for i in bitlk-aes-xts-128-startup-key bitlk-aes-xts-128-startup-key-win11; do
		g=$(upper "$(conf $i SK_VMK_GUID)") &&
		$BOOTFIX unlock --device $IMGS/$i.img --keys keys --check > $i-bek.out 2>&1 &&
		grep -F "key verified with key ID $g (${g:0:8}), startup key, from BEK file $g.BEK" \
			$i-bek.out || return_code=1
	done && test -z "${return_code:-}"
'

test_expect_success 'the clear key verifies with no key at all' '
	$BOOTFIX unlock --device $IMGS/bitlk-aes-xts-128-clearkey-only.img --check > clear.out &&
	grep -F "key verified with key ID F99F18E8-0348-4A6B-AFDF-58B1DD71F0D1 (F99F18E8), clear key, from clear key (BitLocker suspended); checked by bootfix" clear.out
'

test_expect_success 'a wrong group is named before any key derivation, exit 1' '
	for g in 1 4 8; do
		rp=$(conf bitlk-aes-xts-128 RP) &&
		bad=$(printf %s "$rp" | awk -F- -v g=$g -v OFS=- "{ \$g = sprintf(\"%06d\", \$g + 1); print }") &&
		printf "%s\n" "$bad" > bad$g.key &&
		expect_exit 1 $BOOTFIX unlock --device $IMGS/bitlk-aes-xts-128.img \
			--recovery-password - --check < bad$g.key > bad$g.out 2>&1 &&
		grep -F "cannot unlock $IMGS/bitlk-aes-xts-128.img: recovery password group $g is wrong (not divisible by 11)" bad$g.out &&
		! grep -F "tried key ID" bad$g.out || return_code=1
	done && test -z "${return_code:-}"
'

test_expect_success 'too few digits and a group of 720896 or more are named too' '
	echo 235818-357951-253979-013365-241120-245575-342914 | expect_exit 1 $BOOTFIX unlock \
		--device $IMGS/bitlk-aes-xts-128.img --recovery-password - --check > short.out 2>&1 &&
	grep -F "recovery password has 42 of 48 digits" short.out &&
	echo 235818-357951-253979-013365-241120-999955-342914-591910 | expect_exit 1 $BOOTFIX unlock \
		--device $IMGS/bitlk-aes-xts-128.img --recovery-password - --check > big.out 2>&1 &&
	grep -F "recovery password group 6 is wrong (720896 or more)" big.out
'

test_expect_success 'a well-formed but wrong recovery password is refused, exit 1' '
	conf bitlk-aes-xts-256 RP | expect_exit 1 $BOOTFIX unlock --device $IMGS/bitlk-aes-xts-128.img \
		--recovery-password - --check > wrongrp.out 2>&1 &&
	grep -F "the recovery password is wrong (tried key ID 64311DEA-4587-4029-924A-BA299647998E)" wrongrp.out
'

test_expect_success 'a wrong password is refused, exit 1, also where bootfix checks it' '
	echo anaconda2 | expect_exit 1 $BOOTFIX unlock --device $IMGS/bitlk-aes-xts-128.img \
		--password - --check > wrongpw.out 2>&1 &&
	grep -F "the password is wrong" wrongpw.out &&
	echo anaconda | expect_exit 1 $BOOTFIX unlock --device $IMGS/bitlk-aes-xts-128-unicode.img \
		--password - --check > wrongpw2.out 2>&1 &&
	grep -F "the password is wrong" wrongpw2.out
'

test_expect_success 'a tampered startup key is refused, one for another volume never tried' '
	mkdir -p badkeys && g=AA80A52B-9B66-47AE-B097-33F536FFBB07 &&
	cp $IMGS/$g.BEK badkeys/ && chmod u+w badkeys/$g.BEK &&
	printf "\\377" | dd of=badkeys/$g.BEK bs=1 seek=150 conv=notrunc status=none &&
	expect_exit 1 $BOOTFIX unlock --device $IMGS/bitlk-aes-xts-128-startup-key-win11.img \
		--keys badkeys --check > badbek.out 2>&1 &&
	grep -F "the startup key is wrong (tried key ID $g)" badbek.out &&
	expect_exit 1 $BOOTFIX unlock --device $IMGS/bitlk-aes-xts-128-startup-key.img \
		--keys badkeys --check > otherbek.out 2>&1 &&
	! grep -F "tried" otherbek.out
'

test_expect_success 'a password for a volume without a password protector: exit 1, said so' '
	echo anaconda | expect_exit 1 $BOOTFIX unlock --device $IMGS/bitlk-aes-xts-128-smart-card.img \
		--password - --check > nopw.out 2>&1 &&
	grep -F "it has no password protector" nopw.out
'

test_expect_success 'no key and no password reaches any output; no image changed' '
	no_keys_in *.out && ! grep -F anaconda *.out &&
	sha256sum -c --quiet before.sha
'

test_done
