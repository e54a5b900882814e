#!/bin/bash
# Key exports as the fleet's consoles write them unlock every recovery-
# password image with --check: AD PowerShell (UTF-16LE with BOM, #TYPE line,
# braces), Entra ID / Intune (UTF-8 with BOM, lower case), MBAM (semicolons,
# no dashes), raw msFVE attributes (the key ID inside the AD object name),
# a helpdesk sheet with 8-character key IDs.  The key is found by key ID,
# the source named, the key never shown.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-bitlocker.sh"

STYLES="ad intune mbam msfve prefix"

# make_exports : keys-STYLE/ for each style, from images.conf
make_exports() {
	python3 - "$IMGS/images.conf" <<-'PY'
	import sys, configparser, os
	c = configparser.ConfigParser(interpolation=None)
	c.optionxform = str
	c.read(sys.argv[1], encoding="utf-8")
	rows = []
	for s in c.sections():
	    for rp, g in (("RP", "RP_VMK_GUID"), ("RP2", "RP2_VMK_GUID")):
	        if c[s].get(rp) and c[s].get(g):
	            # the first recovery password of the two-recovery image is left out:
	            # only its second key may open it from the exports
	            if s == "bitlk-aes-xts-128-two-recovery" and rp == "RP":
	                continue
	            rows.append((s, c[s][g], c[s][rp]))
	def put(style, name, text, enc):
	    os.makedirs("keys-" + style, exist_ok=True)
	    with open(os.path.join("keys-" + style, name), "wb") as f:
	        f.write(text.encode(enc))
	# Windows PowerShell: Get-ADObject ... | Export-Csv, then saved as Unicode
	t = "#TYPE Selected.Microsoft.ActiveDirectory.Management.ADObject\r\n"
	t += '"ComputerName","KeyId","RecoveryPassword","WhenCreated"\r\n'
	for s, g, rp in rows:
	    t += '"%s","{%s}","%s","19/07/2024 06:00:00"\r\n' % (s, g.upper(), rp)
	put("ad", "ad-export.csv", t, "utf-16")          # BOM FF FE + UTF-16LE
	t = "Device name,BitLocker Key Id,Recovery Key,Volume type,Uploaded\n"
	for s, g, rp in rows:
	    t += "%s,%s,%s,Operating system drive,2024-07-19T06:00:00Z\n" % (s, g.lower(), rp)
	put("intune", "Intune BitLocker keys.csv", "\ufeff" + t, "utf-8")
	t = "RecoveryKeyId;RecoveryKey;MachineName;LastUpdateTime\r\n"
	for s, g, rp in rows:
	    t += "{%s};%s;%s;19.07.2024 06:00\r\n" % (g.lower(), rp.replace("-", ""), s)
	put("mbam", "mbam.csv", t, "utf-8")
	t = "Name,msFVE-RecoveryGuid,msFVE-RecoveryPassword,DistinguishedName\n"
	for s, g, rp in rows:
	    t += '2024-07-19T06:00:00-00:00{%s},%s,%s,"CN=2024-07-19T06:00:00-00:00{%s},CN=%s,OU=Laptops,DC=corp,DC=example"\n' % (g.upper(), g.upper(), rp, g.upper(), s)
	put("msfve", "msfve.csv", t, "utf-8")
	t = "Key ID,Recovery Password,Owner\n"
	for s, g, rp in rows:
	    t += '%s,"%s","helpdesk, 2nd line"\n' % (g[:8].upper(), rp)
	put("prefix", "helpdesk.csv", t, "utf-8")
	print(len(rows))
	PY
}

# check_style STYLE : every recovery-password image verifies from keys-STYLE
check_style() {
	local st=$1 i g n=0 out
	for i in $(images); do
		g=$(upper "$(conf $i RP_VMK_GUID)")
		[ -n "$g" ] || continue
		[ $i = bitlk-aes-xts-128-two-recovery ] && g=$(upper "$(conf $i RP2_VMK_GUID)")
		out=$TRASH/$st-$i.out
		if ! $BOOTFIX unlock --device $IMGS/$i.img --keys keys-$st --check >$out 2>&1; then
			echo "$st: $i did not verify:"; cat $out; return 1
		fi
		grep -F "key verified with key ID $g (${g:0:8}), recovery password, from CSV file" $out \
			>/dev/null || { echo "$st: $i: wrong key ID or source:"; cat $out; return 1; }
		n=$((n + 1))
	done
	[ $n = 20 ] || { echo "$st: $n images verified, not 20"; return 1; }
}

test_expect_success 'setup: images and five exports' '
	bitlk_extract && test "$(make_exports)" = 20 &&
	head -c 2 keys-ad/ad-export.csv | od -An -tx1 | grep -F "ff fe" &&
	head -c 3 "keys-intune/Intune BitLocker keys.csv" | od -An -tx1 | grep -F "ef bb bf"
'

for st in $STYLES; do
	test_expect_success "$st export: all 20 recovery-password images verify" "check_style $st"
done

test_expect_success 'the source is the file and line, with the computer from the row' '
	grep -F "from CSV file ad-export.csv line 5 (bitlk-aes-xts-128); checked by libcryptsetup" \
		ad-bitlk-aes-xts-128.out &&
	grep -F "from CSV file Intune BitLocker keys.csv line" intune-bitlk-aes-cbc-256.out &&
	grep -F "(bitlk-aes-cbc-256)" intune-bitlk-aes-cbc-256.out &&
	grep -F "from CSV file msfve.csv line" msfve-bitlk-togo-aes-xts-128.out &&
	grep -F "(bitlk-togo-aes-xts-128)" msfve-bitlk-togo-aes-xts-128.out
'

test_expect_success 'the two encryption-in-progress images verify by bootfix itself' '
	for st in $STYLES; do
		grep -F "checked by bootfix" $st-bitlk-partially-encrypted-aes-cbc-128.out &&
		grep -F "cannot be mapped yet: encryption in progress" $st-bitlk-aes-xts-128-eow.out ||
		return_code=1
	done && test -z "${return_code:-}" &&
	test "$(grep -l "; checked by libcryptsetup$" ad-*.out | wc -l)" = 18
'

test_expect_success 'the second recovery key of an image is found by its own key ID' '
	grep -F "key ID B7ADC334-FE6D-4AE4-B5C4-1C1D0DBC335B (B7ADC334)" \
		ad-bitlk-aes-xts-128-two-recovery.out
'

test_expect_success 'a wrong key for the key ID is reported, the next file still works' '
	mkdir -p keys-mixed &&
	printf "KeyId,RecoveryPassword\n64311DEA-4587-4029-924A-BA299647998E,%s\n" \
		404558-436711-420860-678557-638220-018909-039941-695321 > keys-mixed/a-stale.csv &&
	cp keys-intune/*.csv keys-mixed/b.csv &&
	$BOOTFIX unlock --device $IMGS/bitlk-aes-xts-128.img --keys keys-mixed --check \
		> mixed.out 2> mixed.err &&
	grep -F "the recovery password is wrong (tried key ID 64311DEA-4587-4029-924A-BA299647998E)" \
		mixed.err &&
	grep -F "from CSV file b.csv line" mixed.out
'

test_expect_success 'scan into a log: key-file problems and a key that does not fit are warnings' '
	mkdir -p warn/keys &&
	cp keys-mixed/a-stale.csv warn/keys/ &&
	printf "KeyId,RecoveryPassword\n{8F7E1A9B-0000-4000-8000-000000000001},\nno-id,123\n" \
		> warn/keys/b-bad.csv &&
	expect_exit 0 $BOOTFIX scan --device $IMGS/bitlk-aes-xts-128.img --data warn \
		> warn.out 2> warn.err &&
	cat warn.err &&
	grep -Fx "bootfix: warning: b-bad.csv line 2: skipped: no recovery password for key ID 8F7E1A9B-0000-4000-8000-000000000001" warn.err &&
	grep -Fx "bootfix: warning: b-bad.csv line 3: skipped: no key ID in it" warn.err &&
	grep "^bootfix: warning: .*the recovery password is wrong (tried key ID 64311DEA-4587-4029-924A-BA299647998E)" warn.err &&
	! grep -F 404558 warn.err warn.out &&
	grep -E "BitLocker key ID 64311DEA .*  locked$" warn.out
'

# fleet_export FILE : 20 000 made-up keys in UTF-16, the one we need at row 12346
fleet_export() {
	python3 - "$1" <<-'PY'
	import sys, uuid, random
	r = random.Random(6)
	rows = ['"PC%05d","{%s}","%s"' % (n, uuid.UUID(int=r.getrandbits(128)),
	        "-".join("%06d" % (11 * r.randrange(65536)) for _ in range(8))) for n in range(20000)]
	rows.insert(12345, '"TARGET","{e76c7ab2-69b6-44c2-ba78-c227c7c1bd07}",'
	                   '"097702-694144-563057-330462-534446-240086-680515-664389"')
	text = '"ComputerName","KeyId","RecoveryPassword"\r\n' + "\r\n".join(rows) + "\r\n"
	open(sys.argv[1], "wb").write(text.encode("utf-16"))
	PY
}

test_expect_success 'a fleet-size export (20 000 rows, UTF-16) is read' '
	mkdir -p keys-fleet && fleet_export keys-fleet/fleet.csv &&
	$BOOTFIX unlock --device $IMGS/bitlk-aes-xts-128-first-recovery.img --keys keys-fleet \
		--check > fleet.out 2> fleet.err &&
	grep -F "20001 keys and 0 startup keys" fleet.err &&
	grep -F "from CSV file fleet.csv line 12347 (TARGET)" fleet.out
'

test_expect_success 'a malformed row is skipped and named without its key' '
	mkdir -p keys-bad &&
	printf "KeyId,RecoveryPassword\n64311DEA-4587-4029-924A-BA299647998E,%s\n" \
		235818-357951-253979-013366-241120-245575-342914-591910 > keys-bad/typo.csv &&
	expect_exit 1 $BOOTFIX unlock --device $IMGS/bitlk-aes-xts-128.img --keys keys-bad --check \
		> bad.out 2> bad.err &&
	grep -F "typo.csv line 2: skipped: key ID 64311DEA-4587-4029-924A-BA299647998E: recovery password group 4 is wrong (not divisible by 11)" bad.err &&
	! grep -F 013366 bad.out bad.err
'

test_expect_success 'DATA/keys is the default with --data' '
	mkdir -p data && cp -r keys-mbam data/keys &&
	$BOOTFIX unlock --device $IMGS/bitlk-aes-cbc-128.img --data data --check > data.out &&
	grep -F "key ID 3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C (3FD763F9), recovery password, from CSV file mbam.csv" data.out
'

test_expect_success 'no recovery password appears in any output' '
	no_keys_in *.out *.err
'

test_done
