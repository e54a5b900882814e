#!/bin/bash
# Issue 7, the fleet run: one stick set to unattended (mode = auto), five
# simulated machines booted from it in turn under Secure Boot, no key
# pressed:
#   m1 plain Windows with the faulty file          -> fixed
#   m2 BitLocker, its key in a CSV on the stick    -> fixed (dm-crypt in the image)
#   m3 a clean machine                             -> nothing-to-fix
#   m4 Windows hibernated on the volume            -> refused
#   m5 BitLocker without any key on the stick      -> refused
# Afterwards the stick's log has one record per machine with those outcomes
# (and, before each fix that moved files, its begun record),
# `bootfix log verify` passes, and every Windows volume differs from before
# only by the quarantined files.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/cli/lib-bitlocker.sh"
trap 'boot_stop_all; bitlk_cleanup' EXIT

F291=C-00000291-00000000-00000032.sys
BL=bitlk-aes-xts-128

ntfs_small() { mkntfs -Q -q -F -L "$2" "$1" 61440 >/dev/null 2>&1; }

# snap NAME IMAGE : the listing of the image's Windows volume, into NAME.list
snap() {
	local dev
	dev=$(attach "$2") && ntfs-3g -o ro "${dev}p1" w && listing w > "$1.list" &&
		ntfs_umount w && losetup -d "$dev"
}
# snap_bl NAME IMAGE : the same through a host-side unlock of the BitLocker image
snap_bl() {
	unlock_rw "$2" "--keys keys" "" && ntfs-3g -o ro "$MAPPED" w && listing w > "$1.list" &&
		ntfs_umount w && unlock_done > /dev/null && mapping_gone
}
# only_quarantined NAME : after differs from before only by the quarantined file
only_quarantined() {
	grep -v "/$F291	" "$1.before.list" > "$1.expect" &&
	grep -v "^./bootfix-quarantine/" "$1.after.list" > "$1.kept" &&
	diff "$1.expect" "$1.kept" &&
	grep -q "^./bootfix-quarantine/.*/$F291	" "$1.after.list" &&
	test "$(grep "/$F291	" "$1.before.list" | cut -f3)" = \
	     "$(grep "^./bootfix-quarantine/.*/$F291	" "$1.after.list" | cut -f3)"
}

test_expect_success 'setup: five machines and one stick set to unattended' '
	"$TOP/scripts/mkdemo-disk" m1.img > /dev/null &&
	bitlk_extract && cp --sparse=always $IMGS/$BL.img m2.img &&
	mkdir -p keys &&
	printf "KeyId,RecoveryPassword\r\n{%s},%s\r\n" "$(conf $BL RP_VMK_GUID)" "$(conf $BL RP)" \
		> keys/fleet.csv &&
	unlock_rw m2.img "--keys keys" "" && ntfs_small $MAPPED Windows && ntfs_mount $MAPPED w &&
	windows_tree w && channel_file w $F291 "$FAULTY_TIME" && ntfs_umount w &&
	unlock_done > /dev/null && mapping_gone &&
	"$TOP/scripts/mkdemo-disk" m3.img > /dev/null && dev=$(attach m3.img) &&
	ntfs_mount ${dev}p1 w && rm w/$CS_DIR/$F291 && ntfs_umount w && losetup -d $dev &&
	"$TOP/scripts/mkdemo-disk" m4.img > /dev/null && dev=$(attach m4.img) &&
	ntfs_mount ${dev}p1 w && { printf hibr; head -c 65532 /dev/urandom; } > w/hiberfil.sys &&
	ntfs_umount w && losetup -d $dev &&
	cp --sparse=always $IMGS/bitlk-aes-xts-256.img m5.img &&
	for m in m1 m3 m4; do snap $m.before $m.img || return 1; done &&
	snap_bl m2.before m2.img &&
	for m in m1 m2 m3 m4 m5; do image_sha $m.img > $m.sha; done &&
	stick_copy stick.img &&
	set_conf stick.img "mode = auto" "countdown = 0" "operator = field team 2" "site = kiosks" &&
	mmd -i "stick.img@@$DATA_OFFSET" ::/keys 2>/dev/null;
	mcopy -o -i "stick.img@@$DATA_OFFSET" keys/fleet.csv ::/keys/fleet.csv
'

# boot_machine N DISK-ARG WORD : boot the stick with machine N, no key pressed;
# its one-line result on the serial console says WORD; it powers off itself
boot_machine() {
	boot_start m$1 --firmware uefi-sb --disk "$2" stick.img &&
	wait_for m$1 "bootfix: auto (fixed|nothing-to-fix|not-fixed)" 400 &&
	grep -a "bootfix: auto " m$1.log | tr -d "\r" | tail -n 1 &&
	grep -a -q "bootfix: auto $3 " m$1.log &&
	wait_poweroff m$1 500
}

test_expect_success 'm1 plain Windows with the faulty file: fixed, powered off' '
	boot_machine 1 nvme:m1.img fixed
'
test_expect_success 'm2 BitLocker with its key on the stick: fixed' '
	boot_machine 2 virtio:m2.img fixed
'
test_expect_success 'm3 clean: nothing to fix, the disk unchanged' '
	boot_machine 3 ahci:m3.img nothing-to-fix && test "$(image_sha m3.img)" = "$(cat m3.sha)"
'
test_expect_success 'm4 hibernated: not fixed, the disk unchanged' '
	boot_machine 4 nvme:m4.img not-fixed && test "$(image_sha m4.img)" = "$(cat m4.sha)"
'
test_expect_success 'm5 BitLocker without a key: not fixed, the disk unchanged' '
	boot_machine 5 virtio:m5.img not-fixed && test "$(image_sha m5.img)" = "$(cat m5.sha)"
'

test_expect_success 'the log: one record per machine, outcomes in order, the chain verifies' '
	mkdir -p stick-data && mcopy -o -i "stick.img@@$DATA_OFFSET" ::/logs/bootfix.jsonl \
		::/logs/bootfix.jsonl.head stick-data/ &&
	"$BOOTFIX" log verify stick-data/bootfix.jsonl &&
	"$BOOTFIX" log list stick-data/bootfix.jsonl &&
	python3 -c "
import json
lines=[json.loads(l) for l in open(\"stick-data/bootfix.jsonl\")]
# the two fixes each wrote a begun record first (write-ahead), same run id
begun=[i for i, r in enumerate(lines) if r.get(\"stage\") == \"begun\"]
assert begun==[0, 2], begun
for i in begun:
    assert lines[i][\"outcome\"]==\"interrupted\" and lines[i][\"run\"]==lines[i + 1][\"run\"], lines[i]
rs=[r for r in lines if \"stage\" not in r]
got=[r[\"outcome\"] for r in rs]
assert got==[\"fixed\",\"fixed\",\"nothing-to-fix\",\"refused\",\"refused\"], got
assert all(r[\"mode\"]==\"auto\" and r[\"site\"]==\"kiosks\" for r in rs)
k=rs[1][\"bitlocker\"]
assert k and k[0][\"key_id\"]==\"64311DEA-4587-4029-924A-BA299647998E\" and k[0][\"kind\"]==\"csv\", k
v=[v for v in rs[1][\"volumes\"] if v.get(\"bitlocker\")][0][\"bitlocker\"]
assert v[\"via\"]==\"dm-crypt\", v
assert \"hibernated\" in rs[3][\"reason\"], rs[3][\"reason\"]
assert \"83ABDB8F\" in rs[4][\"reason\"], rs[4][\"reason\"]
" &&
	"$BOOTFIX" log keys-used stick-data/bootfix.jsonl | grep -F 64311DEA &&
	no_keys_in stick-data/bootfix.jsonl m*.log
'

test_expect_success 'the fixed volumes differ from before only by the quarantined file' '
	snap m1.after m1.img && only_quarantined m1 &&
	snap_bl m2.after m2.img && only_quarantined m2
'

test_done
