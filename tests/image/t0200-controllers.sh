#!/bin/bash
# The controller matrix: one q35 machine (UEFI, TCG) with a crashed Windows
# disk behind each disk controller qemu emulates and the image has a
# driver for, all at once: NVMe, AHCI (q35's SATA), virtio-blk,
# virtio-scsi, MegaRAID SAS 1078 and 2108 (megaraid_sas), LSI 53c895a
# (sym53c8xx), VMware PVSCSI (vmw_pvscsi), AMD Am53c974 (am53c974), USB
# mass storage and USB UAS on xHCI.  The drivers come by the controllers'
# modaliases (nothing names them); the unattended mode must find and fix
# every disk, which is checked on this host afterwards: on each disk the
# faulty channel file is gone, in quarantine with its bytes, the good one
# untouched.  Controllers qemu emulates that do not give a disk here
# (docs/hardware.md): the LSI SAS1068 (mptsas binds, finds no disk) is in
# the machine to show that its driver still loads by modalias.
. "$(dirname "$0")/lib.sh"

F291=C-00000291-00000000-00000032.sys
F290=C-00000290-00000000-00000001.sys
BUSES="nvme ahci virtio virtio-scsi megasas megasas-gen2 lsi53c895a pvscsi am53c974 usb-storage usb-uas"

# mkwin FILE: a 40 MB GPT disk, NTFS, the Windows tree with a faulty and a
# good channel file (each disk its own NTFS serial and file contents)
mkwin() {
	local dev
	make_disk "$1" gpt 40 36 && dev=$(attach "$1") &&
	ntfs_format ${dev}p1 Windows && ntfs_mount ${dev}p1 w &&
	windows_tree w && channel_file w $F291 "$FAULTY_TIME" &&
	channel_file w $F290 "$FIXED_TIME" &&
	sha256sum w/$CS_DIR/$F291 | cut -c1-64 > "$1.faulty" &&
	sha256sum w/$CS_DIR/$F290 | cut -c1-64 > "$1.good" &&
	ntfs_umount w && losetup -d $dev
}

test_expect_success 'setup: a crashed Windows disk for each controller, a stick set to unattended' '
	for b in $BUSES; do mkwin win-$b.img || exit 1; done &&
	truncate -s 32M sas1068.img &&
	stick_copy stick.img &&
	set_conf stick.img "mode = auto" "countdown = 0" "operator = ci" "site = qemu" &&
	stick_cmdline stick.img bootfix.debug=1
'

test_expect_success 'one boot with every controller: all disks found and fixed unattended' '
	args=() && for b in $BUSES; do args+=(--disk $b:win-$b.img); done &&
	boot_start matrix --firmware uefi --mem 1536 "${args[@]}" --disk mptsas1068:sas1068.img stick.img &&
	wait_for matrix "bootfix: auto (fixed|nothing-to-fix|not-fixed|check)" 900 &&
	grep -a "bootfix: auto fixed computer=DESKTOP-2KGM189" matrix.log &&
	wait_poweroff matrix 120
'

test_expect_success 'each driver came by modalias, none from the list by name' '
	mods=$(grep -a -m1 "bootfix: modules: " matrix.log) &&
	for m in nvme ahci virtio_blk virtio_scsi megaraid_sas sym53c8xx vmw_pvscsi am53c974 \
		usb_storage uas xhci_pci mptsas; do
		echo "$mods" | grep -q -w "$m" || { echo "$m not loaded"; exit 1; }
		! grep -q "^$m\$" "$TOP/image/modules" || { echo "$m is loaded by name"; exit 1; }
	done &&
	grep -a -E "bootfix: disks: 1[2-9]," matrix.log
'

for b in $BUSES; do
	test_expect_success "behind $b: the faulty file is in quarantine, the good one in place" "
		dev=\$(attach win-$b.img) && echo \$dev > .dev && ntfs_mount \${dev}p1 w &&
		test ! -e w/$CS_DIR/$F291 &&
		q=\$(find w/bootfix-quarantine -name $F291) && test -n \"\$q\" &&
		test \"\$(sha256sum < \"\$q\" | cut -c1-64)\" = \"\$(cat win-$b.img.faulty)\" &&
		test \"\$(sha256sum < w/$CS_DIR/$F290 | cut -c1-64)\" = \"\$(cat win-$b.img.good)\"
	"
	ntfs_umount w 2>/dev/null; losetup -d "$(cat .dev 2>/dev/null)" 2>/dev/null
done

test_expect_success 'the record has every volume fixed, its chain verifies' '
	mkdir data && mcopy -s -i "stick.img@@$DATA_OFFSET" ::/logs data/ &&
	n=$(find data/logs -type f ! -name "*.head" -exec cat {} + | python3 -c "
import json, sys
final = [r for r in (json.loads(l) for l in sys.stdin if l.startswith(\"{\"))
	 if r.get(\"stage\") != \"begun\"]
print(sum(v.get(\"outcome\") == \"fixed\" for v in final[-1][\"volumes\"]))") &&
	echo "# $n volumes fixed" && test "$n" = 11 &&
	( for f in $(find data/logs -type f ! -name "*.head"); do
		"$BOOTFIX" log verify "$f" || exit 1
	done )
'
test_done
