#!/bin/bash
# A crafted quarantine manifest on a hostile volume: entries that climb out
# with "..", absolute paths, drive letters, a NUL or a control character,
# and quarantine folders whose parts are links.  Each bad entry is refused
# alone with the same message whether or not its target exists, nothing
# outside the volume is opened, made or moved, and the good entries are
# restored.
. "$(dirname "$0")/../lib.sh"

TS=20240719T050000Z

# manifest_entry PATH FILE : the lines of one entry for FILE's bytes
manifest_entry() {
	printf '#\n# file %s\n# size %s\n# sha256 %s\n# mtime 2024-07-19T04:09:00Z 000000000\n' \
		"$1" "$(stat -c %s "$2")" "$(sha256sum < "$2" | cut -c1-64)"
	printf 'SHA256 (%s) = %s\n' "$(printf %s "$1" | tr '\\' /)" "$(sha256sum < "$2" | cut -c1-64)"
}

test_expect_success 'setup: a volume folder, host files beside it, a crafted manifest' '
	mkdir -p vol host host2/System32/drivers/CrowdStrike && windows_tree vol &&
	printf "host secret\n" > host/secret.txt && cp host/secret.txt secret.orig &&
	printf "driver\n" > host2/System32/drivers/CrowdStrike/C-00000291-x.sys &&
	q=vol/bootfix-quarantine/$TS && mkdir -p $q/Good $q/Lnk &&
	printf "genuine quarantined bytes\n" > $q/Good/C-00000291-good.sys &&
	ln -s ../../../host2 $q/Windows &&
	ln -s ../../../../host/secret.txt $q/Lnk/secret.txt &&
	{
		echo "# bootfix quarantine manifest, version 2"
		manifest_entry "..\\..\\..\\host\\secret.txt" host/secret.txt
		manifest_entry "zz\\..\\..\\..\\..\\host\\ESCAPED\\x.sys" host/secret.txt
		manifest_entry "\\etc\\passwd" /etc/passwd
		manifest_entry "\\etc\\no-such-file-here" /etc/passwd
		manifest_entry "C:\\Windows\\System32\\x.sys" /etc/passwd
		manifest_entry "Windows\\System32\\drivers\\CrowdStrike\\C-00000291-x.sys" \
			host2/System32/drivers/CrowdStrike/C-00000291-x.sys
		manifest_entry "Lnk\\secret.txt" host/secret.txt
		manifest_entry "Good\\C-00000291-good.sys" $q/Good/C-00000291-good.sys
		manifest_entry "$(printf "Esc\\033]0;x\\007\\\\y.sys")" host/secret.txt
	} > $q/manifest.txt &&
	(cd host && find . | sort) > host.before &&
	(cd host2 && find . | sort) > host2.before
'

test_expect_success 'restore --root: each bad entry refused alone, the good one restored' '
	expect_exit 1 $BOOTFIX restore --root vol > out 2> err &&
	cat out err &&
	grep -A1 -F "..\\..\\..\\host\\secret.txt" out | grep -F "refused: bad manifest entry: it climbs out with .." &&
	grep -F "zz\\..\\..\\..\\..\\host\\ESCAPED\\x.sys" out &&
	test $(grep -c "refused: bad manifest entry: it climbs out with \.\." out) = 2 &&
	test $(grep -c "refused: bad manifest entry: it is absolute" out) = 2 &&
	grep -F "refused: bad manifest entry: it names a drive or a stream" out &&
	grep -F "refused: its folder in quarantine is reached through a link" out &&
	grep -F "failed: a link, not the file, from quarantine" out &&
	grep -F "refused: bad manifest entry: it holds a control character" out &&
	grep -F "Esc\\x1b]0;x\\x07" out &&
	grep -A1 "Good.C-00000291-good.sys" out | grep -F -- "-> restored" &&
	test -f vol/Good/C-00000291-good.sys
'

test_expect_success 'nothing outside the volume was opened, made or moved' '
	cmp host/secret.txt secret.orig &&
	(cd host && find . | sort) | cmp - host.before &&
	(cd host2 && find . | sort) | cmp - host2.before &&
	test ! -e host/ESCAPED && test ! -e ESCAPED &&
	test ! -e vol/secret.txt && test ! -e vol/host
'

test_expect_success 'an existing and a missing host file give the same message' '
	grep -F "\\etc\\passwd" out | sed "s/passwd//" > m1 &&
	grep -F "\\etc\\no-such-file-here" out | sed "s/no-such-file-here//" > m2 &&
	cmp m1 m2
'

test_expect_success 'no raw control character reached the terminal' '
	! grep -q "$(printf "\033")" out &&
	! grep -q "$(printf "\007")" out
'

test_expect_success 'on a real NTFS image: an entry climbing out of the mount makes nothing on the host' '
	make_disk d.img gpt 40 32 && dev=$(attach d.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	mkdir -p w/bootfix-quarantine/$TS &&
	{
		echo "# bootfix quarantine manifest, version 2"
		# the quarantine folder is RUN/mnt.X/bootfix-quarantine/TS: five ".." reach $TRASH
		manifest_entry "zz\\..\\..\\..\\..\\..\\ESCAPED\\x.sys" host/secret.txt
		manifest_entry "..\\..\\..\\..\\host\\secret.txt" host/secret.txt
	} > w/bootfix-quarantine/$TS/manifest.txt &&
	ntfs_umount w && losetup -d $dev &&
	expect_exit 1 $BOOTFIX restore --device d.img > nout 2>&1 &&
	cat nout &&
	test $(grep -c "refused: bad manifest entry: it climbs out with \.\." nout) = 2 &&
	test ! -e ESCAPED && test ! -e run/ESCAPED &&
	cmp host/secret.txt secret.orig
'

test_expect_success 'a manifest hard-linked to a user file: never appended to' '
	rm -rf v2 && mkdir -p v2/Users/Public/Documents v2/bootfix-quarantine/20240101T000000Z &&
	windows_tree v2 && printf "# bootfix quarantine manifest, version 2\npatient notes\n" > v2/Users/Public/Documents/n.txt &&
	cp v2/Users/Public/Documents/n.txt n.orig &&
	ln v2/Users/Public/Documents/n.txt v2/bootfix-quarantine/20240101T000000Z/manifest.txt &&
	$BOOTFIX restore --root v2 > h.out 2>&1; cat h.out &&
	cmp v2/Users/Public/Documents/n.txt n.orig
'

test_expect_success 'an unreadable manifest: restore says so and fails, never "nothing in quarantine"' '
	rm -rf v3 && mkdir -p v3/bootfix-quarantine/20240101T000000Z && windows_tree v3 &&
	head -c $((17 << 20)) /dev/zero | tr "\0" "#" > v3/bootfix-quarantine/20240101T000000Z/manifest.txt &&
	expect_exit 1 $BOOTFIX restore --root v3 > u.out 2>&1 && cat u.out &&
	grep -F "refused: cannot read the manifest of \bootfix-quarantine\20240101T000000Z: cannot read manifest.txt: larger than" u.out &&
	! grep -q "nothing in quarantine" u.out
'

test_expect_success 'a refused entry makes no folder on the volume; a 2 GiB entry is refused unread' '
	rm -rf v4 && mkdir -p v4/bootfix-quarantine/$TS/NewDir/Sub && windows_tree v4 &&
	echo tampered > v4/bootfix-quarantine/$TS/NewDir/Sub/f.sys &&
	truncate -s 2G v4/bootfix-quarantine/$TS/big.sys &&
	{
		echo "# bootfix quarantine manifest, version 2"
		manifest_entry "NewDir\\Sub\\f.sys" host/secret.txt
		printf "#\n# file big.sys\n# size 2147483648\n# sha256 %064d\n" 0
	} > v4/bootfix-quarantine/$TS/manifest.txt &&
	expect_exit 1 $BOOTFIX restore --root v4 > r4.out 2>&1 && cat r4.out &&
	grep -F "refused: the quarantined copy no longer matches its SHA-256" r4.out &&
	grep -F "refused: bad manifest entry: names a file over 1 GiB" r4.out &&
	test ! -e v4/NewDir && test ! -e v4/big.sys
'

test_done
