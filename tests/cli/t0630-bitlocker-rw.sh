#!/bin/bash
# Read-write unlocking: the decrypted volume is mapped (dm-crypt through
# libcryptsetup where the kernel has device-mapper, else dislocker under a
# loop device), written through, and every mapping is closed on Enter, on
# SIGTERM and on error.  What is written survives and is encrypted on
# disk; the normal NTFS fix runs on the mapping; a volume whose encryption
# is unfinished is refused untouched.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-bitlocker.sh"

F291=C-00000291-00000000-00000032.sys

# copy IMAGE : a private writable copy of IMAGE in the trash directory
copy() { cp --sparse=always "$IMGS/$1.img" "$1.img"; }

# ntfs_small DEV LABEL : NTFS on the first 30 MiB of the decrypted volume.
# The images' NTFS was wiped by their makers; a new one over the whole view
# would put its structures where BitLocker keeps its metadata (from 33 MiB
# on), which Windows' NTFS marks as used and dislocker refuses to write.
ntfs_small() { mkntfs -Q -q -F -L "$2" "$1" 61440 >/dev/null 2>&1; }

test_expect_success 'setup: images, keys' '
	bitlk_extract && mkdir -p keys && cp $IMGS/*.BEK keys/ &&
	for i in bitlk-aes-xts-128 bitlk-aes-xts-128-clearkey-only bitlk-aes-cbc-elephant-128 \
		 bitlk-aes-cbc-128-4k bitlk-aes-xts-128-startup-key-win11 bitlk-togo-aes-xts-128; do
		copy $i || return_code=1
	done && test -z "${return_code:-}" &&
	printf "KeyId,RecoveryPassword\n%s,%s\n" "$(conf bitlk-aes-xts-128 RP_VMK_GUID)" \
		"$(conf bitlk-aes-xts-128 RP)" > keys/ad.csv
'

test_expect_success 'a typed recovery password maps it read-write; mkntfs and a file' '
	unlock_rw bitlk-aes-xts-128.img "--recovery-password -" "$(conf bitlk-aes-xts-128 RP)" &&
	test -b $MAPPED && ntfs_small $MAPPED Unlocked && ntfs_mount $MAPPED w &&
	echo "written through bootfix" > w/proof.txt && ntfs_umount w &&
	unlock_done > rw1.out && cat rw1.out &&
	grep -F "unlocked with key ID 64311DEA-4587-4029-924A-BA299647998E (64311DEA), recovery password, from typed recovery password" rw1.out &&
	grep -F "closed $MAPPED" rw1.out && mapping_gone
'

test_expect_success 'what was written is encrypted on disk' '
	! grep -q "written through bootfix" bitlk-aes-xts-128.img
'

test_expect_success 'opened again from the key export, the file is there' '
	unlock_rw bitlk-aes-xts-128.img "--keys keys" "" &&
	ntfs-3g -o ro $MAPPED w && test "$(cat w/proof.txt)" = "written through bootfix" &&
	ntfs_umount w && unlock_done > rw2.out &&
	grep -F "from CSV file ad.csv line 2" rw2.out && mapping_gone
'

test_expect_success 'and the image still verifies with its password' '
	echo anaconda | $BOOTFIX unlock --device bitlk-aes-xts-128.img --password - --check > pw.out &&
	grep -F "key verified with key ID 3E55195C" pw.out
'

test_expect_success 'the clear-key volume libcryptsetup cannot open is mapped by the fallback' '
	unlock_rw bitlk-aes-xts-128-clearkey-only.img "" "" &&
	ntfs_small $MAPPED Clear && ntfs_mount $MAPPED w && echo clear > w/c.txt && ntfs_umount w &&
	unlock_done > ck.out && grep -F "from clear key (BitLocker suspended)" ck.out &&
	grep -F "mapped through dislocker" ck.out && mapping_gone &&
	unlock_rw bitlk-aes-xts-128-clearkey-only.img "" "" &&
	ntfs-3g -o ro $MAPPED w && test "$(cat w/c.txt)" = clear && ntfs_umount w &&
	unlock_done > ck2.out && mapping_gone
'

test_expect_success 'AES-CBC with the Elephant diffuser, a 4k-sector volume, To Go, a .BEK' '
	for i in bitlk-aes-cbc-elephant-128:--password:anaconda \
		 bitlk-aes-cbc-128-4k:--password:anaconda \
		 bitlk-togo-aes-xts-128:--password:anaconda \
		 bitlk-aes-xts-128-startup-key-win11:--keys:keys; do
		img=${i%%:*}.img rest=${i#*:} &&
		if [ "${rest%%:*}" = --keys ]; then args="--keys keys" key=; else args="--password -" key=${rest#*:}; fi &&
		unlock_rw $img "$args" "$key" && ntfs_small $MAPPED V && ntfs_mount $MAPPED w &&
		echo "$i" > w/who.txt && ntfs_umount w && unlock_done > /dev/null && mapping_gone &&
		unlock_rw $img "$args" "$key" && ntfs-3g -o ro $MAPPED w &&
		test "$(cat w/who.txt)" = "$i" && ntfs_umount w && unlock_done > /dev/null &&
		mapping_gone || { echo "$i failed"; return_code=1; }
	done && test -z "${return_code:-}"
'

test_expect_success 'SIGTERM while held: the mapping is closed' '
	unlock_rw bitlk-aes-xts-128.img "--keys keys" "" &&
	kill -TERM $UNLOCK_PID && wait $UNLOCK_PID && exec 7>&- &&
	grep -F "closed $MAPPED" unlock.out && mapping_gone
'

test_expect_success 'the normal NTFS fix runs on the unlocked volume' '
	unlock_rw bitlk-aes-xts-128.img "--keys keys" "" &&
	ntfs_small $MAPPED Windows && ntfs_mount $MAPPED w && windows_tree w &&
	channel_file w $F291 "$FAULTY_TIME" && ntfs_umount w &&
	mkdir -p data &&
	expect_exit 0 $BOOTFIX fix --device $MAPPED --data data > fix.out 2>&1 &&
	cat fix.out && grep -F "1 faulty file found, 1 quarantined" fix.out &&
	unlock_done > fixmap.out && mapping_gone &&
	unlock_rw bitlk-aes-xts-128.img "--keys keys" "" && ntfs-3g -o ro $MAPPED w &&
	test ! -e w/$CS_DIR/$F291 && test -n "$(find w/bootfix-quarantine -name $F291)" &&
	ntfs_umount w && unlock_done > /dev/null && mapping_gone
'

test_expect_success 'encryption in progress: refused, exit 3, nothing written' '
	copy bitlk-partially-encrypted-aes-cbc-128 &&
	before=$(image_sha bitlk-partially-encrypted-aes-cbc-128.img) &&
	echo anaconda | expect_exit 3 $BOOTFIX unlock --device bitlk-partially-encrypted-aes-cbc-128.img \
		--password - > pe.out 2> pe.err &&
	cat pe.err &&
	grep -F "encryption in progress" pe.err && grep -F "nothing was changed" pe.err &&
	! grep -F "mapped" pe.out &&
	test "$(image_sha bitlk-partially-encrypted-aes-cbc-128.img)" = "$before"
'

test_expect_success 'a wrong key maps nothing, exit 1' '
	echo nope | expect_exit 1 $BOOTFIX unlock --device bitlk-aes-xts-128.img --password - \
		> wrong.out 2> wrong.err &&
	! grep -F "mapped" wrong.out && grep -F "the password is wrong" wrong.err
'

test_expect_success 'no key reached any output' '
	no_keys_in *.out *.err
'

test_done
