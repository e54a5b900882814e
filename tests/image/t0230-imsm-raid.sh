#!/bin/bash
# Intel RST RAID (issue 13): a real IMSM RAID 1 of two SATA disks
# (tests/data/imsm-raid1-{a,b}.img.xz, made by mdadm in qemu with
# tests/tools/make-imsm.sh; each member holds the whole crashed Windows
# disk) in a q35 machine whose disks carry the serial numbers the IMSM
# metadata names.  Init assembles it read-only with the image's mdadm; the
# menu shows "Intel RAID 1 (2 disks)"; Enter, Enter on tty1 fixes it
# through md (mdadm --readwrite, mdmon, --wait-clean, --readonly).  Then
# both mirrors are byte for byte the same, the faulty file is in quarantine
# on each, and on a second boot the image's mdadm says the metadata is
# clean with nothing to resync.  One member alone (a degraded RAID 1) is
# assembled read-only, scanned, refused by the unattended fix, unchanged.
# A real DDF RAID 1 pair (tests/data/ddf-raid1-{a,b}.img.xz) is fixed
# unattended the same way.
. "$(dirname "$0")/lib.sh"

F291=C-00000291-00000000-00000032.sys
RAID="--disk ahci=BFXIMSM0A:a.img --disk ahci=BFXIMSM0B:b.img"

test_expect_success 'mdadm, mdmon, their libraries and the md modules are in the initramfs' '
	mcopy -i "$IMAGE@@$ESP_OFFSET" ::/boot/initrd.img . &&
	mkdir root && (cd root && zstd -dc ../initrd.img | cpio -id --quiet) &&
	test -x root/usr/sbin/mdadm && test -x root/usr/sbin/mdmon &&
	for elf in root/usr/sbin/mdadm root/usr/sbin/mdmon; do
		for so in $(readelf -d $elf | sed -n "s/.*Shared library: \\[\\(.*\\)\\]/\\1/p"); do
			test -e root/usr/lib/x86_64-linux-gnu/$so || { echo "$elf: no $so"; exit 1; }
		done
	done &&
	kver=$(ls root/usr/lib/modules) && m=root/usr/lib/modules/$kver &&
	grep -E "/md-mod\\.ko:" "$m/modules.dep" && grep -E "/raid1\\.ko:" "$m/modules.dep"
'

# faulty_in_quarantine IMG: on the Windows partition of IMG (read-only),
# the faulty channel file is gone and in quarantine, the fixed one stays
faulty_in_quarantine() {
	local dev rc
	dev=$(attach "$1") && mkdir -p w && ntfs-3g -o ro ${dev}p1 w || return 1
	test ! -e w/$CS_DIR/$F291 && test -e w/$CS_DIR/C-00000291-00000000-00000031.sys &&
		find w/bootfix-quarantine -name $F291 | grep -q . &&
		(cd "$(dirname "$(find w/bootfix-quarantine -name manifest.txt | head -n1)")" &&
			sha256sum -c manifest.txt)
	rc=$?
	ntfs_umount w
	losetup -d $dev
	return $rc
}

test_expect_success 'setup: the two members, a stick with the menu' '
	for m in a b; do xz -dc "$TOP/tests/data/imsm-raid1-$m.img.xz" > $m.img || exit 1; done &&
	cmp a.img b.img && cp a.img member-before.img &&
	stick_copy stick.img && stick_cmdline stick.img bootfix.debug=1 &&
	set_conf stick.img "operator = ci" "site = qemu"
'

test_expect_success 'init assembles the RAID 1 read-only; the menu names it' '
	boot_start raid --firmware uefi --qmp "$TRASH/raid.qmp" $RAID stick.img &&
	menu_or_fallback raid && tty1_still raid &&
	grep -a "bootfix: RAID md126: raid1, 2 disks, 0 missing, readonly" raid.log &&
	grep -a -q "md126: Intel RAID 1 (2 disks)" raid.log
'

test_expect_success 'Enter, Enter on tty1 fixes it through md' '
	cp raid.b.ppm raid-list.ppm &&
	tty1_key raid ret && tty1_still raid && ! cmp -s raid-list.ppm raid.b.ppm &&
	cp raid.b.ppm raid-confirm.ppm &&
	tty1_key raid ret && tty1_still raid && ! cmp -s raid-confirm.ppm raid.b.ppm &&
	cp raid.b.ppm raid-done.ppm &&
	tty1_key raid ret && wait_poweroff raid 120
'

test_expect_success 'both mirrors are byte for byte the same, the faulty file in quarantine on each' '
	! cmp -s a.img member-before.img &&
	cmp a.img b.img &&
	faulty_in_quarantine a.img && faulty_in_quarantine b.img
'

test_expect_success 'the record says the RAID volume was fixed' '
	mkdir data && mcopy -s -i "stick.img@@$DATA_OFFSET" ::/logs data/ &&
	log=$(find data/logs -name "*.jsonl" | head -n1) && test -n "$log" &&
	"$BOOTFIX" log verify "$log" &&
	tail -n1 "$log" | python3 -c "
import json, sys
vols = json.load(sys.stdin)[\"volumes\"]
assert any(v.get(\"raid\") == \"Intel RAID 1 (2 disks)\" and v[\"disk\"] == \"md126\"
           and v[\"outcome\"] == \"fixed\" for v in vols), vols"
'

test_expect_success 'a second boot: mdadm says both members are clean, nothing to resync; nothing written' '
	md5sum a.img b.img > before.md5 &&
	stick_copy stick2.img && stick_cmdline stick2.img bootfix.debug=1 bootfix.mode=poweroff-test &&
	boot_start again --firmware uefi $RAID stick2.img &&
	wait_poweroff again 240 &&
	grep -a "bootfix: RAID md126: raid1, 2 disks, 0 missing, readonly" again.log &&
	for d in sda sdb; do
		grep -a "bootfix: RAID member $d: Map State: normal" again.log &&
		grep -a "bootfix: RAID member $d: Dirty State: clean" again.log &&
		grep -a "bootfix: RAID member $d: Migrate State: idle" again.log || exit 1
	done &&
	md5sum -c before.md5
'

test_expect_success 'one member alone (degraded) is read, refused by the unattended fix, unchanged' '
	cp member-before.img a.img && md5sum a.img > one.md5 &&
	stick_copy stick3.img &&
	set_conf stick3.img "mode = auto" "countdown = 0" "operator = ci" "site = qemu" &&
	boot_start one --firmware uefi --disk ahci=BFXIMSM0A:a.img stick3.img &&
	wait_for one "bootfix: auto (fixed|nothing-to-fix|not-fixed|check)" &&
	grep -a "bootfix: RAID md126: raid1, 2 disks, 1 missing, readonly" one.log &&
	grep -a -m1 "bootfix: auto " one.log | grep "auto not-fixed" &&
	grep -a "a disk is missing, so it is only read" one.log &&
	boot_stop one && md5sum -c one.md5
'
test_expect_success 'a DDF RAID 1 (LSI/Adaptec firmware RAID) is assembled and fixed unattended, the mirrors alike' '
	for m in a b; do xz -dc "$TOP/tests/data/ddf-raid1-$m.img.xz" > ddf-$m.img || exit 1; done &&
	stick_copy stick4.img &&
	set_conf stick4.img "mode = auto" "countdown = 0" "operator = ci" "site = qemu" &&
	boot_start ddf --firmware uefi --disk ahci:ddf-a.img --disk ahci:ddf-b.img stick4.img &&
	wait_for ddf "bootfix: auto (fixed|nothing-to-fix|not-fixed|check)" &&
	grep -a "bootfix: RAID md126: raid1, 2 disks, 0 missing, readonly" ddf.log &&
	grep -a -m1 "bootfix: auto " ddf.log | grep "auto fixed" &&
	wait_poweroff ddf 120 &&
	# each member keeps its own DDF header at its end: the 64 MiB of data are alike
	cmp -n $((64 << 20)) ddf-a.img ddf-b.img &&
	faulty_in_quarantine ddf-a.img && faulty_in_quarantine ddf-b.img &&
	mkdir data4 && mcopy -s -i "stick4.img@@$DATA_OFFSET" ::/logs data4/ &&
	grep -h "\"raid\":\"DDF RAID 1 (2 disks)\"" data4/logs/*.jsonl | grep -q "\"outcome\":\"fixed\""
'
test_expect_success 'a stick with stale IMSM metadata naming it is left out: no fix through md over the stick' '
	xz -dc "$TOP/tests/data/imsm-raid1-b.img.xz" > b.img && md5sum b.img > stale.md5 &&
	stick_copy stick5.img &&
	set_conf stick5.img "mode = auto" "countdown = 0" "operator = ci" "site = qemu" &&
	# the stick on a disk 1 MiB larger than the image, whose end still holds
	# member A'"'"'s metadata (its last two sectors), with member A'"'"'s serial
	# number: md would make it half of the RAID 1
	truncate -s +1M stick5.img && size=$(stat -c %s stick5.img) &&
	tail -c 1024 member-before.img | dd of=stick5.img bs=512 seek=$((size / 512 - 2)) conv=notrunc &&
	head -c $DATA_OFFSET stick5.img > stick5-head.img &&
	boot_start stale --firmware uefi --stick ahci=BFXIMSM0A --disk ahci=BFXIMSM0B:b.img stick5.img &&
	wait_for stale "bootfix: auto (fixed|nothing-to-fix|not-fixed|check)" &&
	grep -a "bootfix: RAID: the stick (sda) carries RAID metadata: left out of any RAID volume" stale.log &&
	grep -a "bootfix: RAID md126: raid1, 2 disks, 1 missing, readonly" stale.log &&
	! grep -a "cannot mount data partition" stale.log &&
	! grep -a "nothing will be logged" stale.log &&
	grep -a -m1 "bootfix: auto " stale.log | grep "auto not-fixed.*a disk is missing" &&
	boot_stop stale && md5sum -c stale.md5 && cmp -n $DATA_OFFSET stick5-head.img stick5.img
'
test_expect_success 'a member failing during the fix: the fix goes to the other, the record names the failed disk' '
	for m in a b; do xz -dc "$TOP/tests/data/imsm-raid1-$m.img.xz" > $m.img || exit 1; done &&
	# member B fails every I/O from its first write on (qemu blkdebug)
	printf "[inject-error]\nevent = \"write_aio\"\nerrno = \"5\"\n" > fail.conf &&
	stick_copy stick6.img &&
	set_conf stick6.img "mode = auto" "countdown = 0" "operator = ci" "site = qemu" &&
	boot_start failing --firmware uefi --disk ahci=BFXIMSM0A:a.img \
		--disk "ahci=BFXIMSM0B:blkdebug:$TRASH/fail.conf:$TRASH/b.img" stick6.img &&
	wait_for failing "bootfix: auto (fixed|nothing-to-fix|not-fixed|check)" 600 &&
	grep -a "bootfix: RAID md126: raid1, 2 disks, 0 missing, readonly" failing.log &&
	grep -a -m1 "bootfix: auto " failing.log | grep -E "auto (fixed|check)" &&
	wait_poweroff failing 120 &&
	faulty_in_quarantine a.img && cmp b.img member-before.img &&
	mkdir data6 && mcopy -s -i "stick6.img@@$DATA_OFFSET" ::/logs data6/ &&
	grep -h "\"disk\":\"md126\"" data6/logs/*.jsonl | grep "md126: disk sd[a-z]* (serial BFXIMSM0B) failed during the fix" |
		grep -q "the fix went to the other disks of Intel RAID 1 (2 disks): replace it"
'
test_done
