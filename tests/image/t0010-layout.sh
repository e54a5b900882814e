#!/bin/bash
# The stick image as a file: sizes, GPT, boot files from the signed Debian
# packages (no shim fallback), two FAT32 file systems mtools can read, the
# data partition's folders, and an initramfs with everything init needs.
. "$(dirname "$0")/lib.sh"

test_expect_success 'image, manifest and checksum exist; checksum verifies' '
	test -f "$IMAGE" && test -f "$MANIFEST" &&
	(cd "$(dirname "$IMAGE")" && sha256sum -c bootfix.img.sha256)
'

test_expect_success 'whole image <= 96 MB, kernel + initramfs <= 40 MB' '
	size=$(stat -c %s "$IMAGE") && echo "# image $size bytes" &&
	test "$size" -le 96000000 &&
	mcopy -i "$IMAGE@@$ESP_OFFSET" ::/boot/vmlinuz ::/boot/initrd.img . &&
	k=$(($(stat -c %s vmlinuz) + $(stat -c %s initrd.img))) &&
	echo "# kernel + initramfs $k bytes" && test "$k" -le 40000000
'

test_expect_success 'GPT: ESP legacy-BIOS-bootable, data partition; gptmbr.bin in the MBR' '
	sgdisk -v "$IMAGE" && sgdisk -p "$IMAGE" > gpt.txt && cat gpt.txt &&
	grep -E "^ +1 .* EF00 " gpt.txt && grep -E "^ +2 .* 0700 +BOOTFIX data" gpt.txt &&
	sgdisk -i 1 "$IMAGE" | grep "Attribute flags: 0000000000000004" &&
	gptmbr=$(find "$TOP/out/build/pkg/syslinux-common" -name gptmbr.bin -path "*mbr*") &&
	cmp -n 440 "$gptmbr" "$IMAGE"
'

test_expect_success 'ESP: shim as BOOTX64.EFI, signed GRUB and its config, no fallback' '
	mdir -/ -b -a -i "$IMAGE@@$ESP_OFFSET" :: | sed "s|^::/||; s|/$||" | sort > esp.txt && cat esp.txt &&
	( for f in EFI/BOOT/BOOTX64.EFI EFI/BOOT/grubx64.efi EFI/BOOT/mmx64.efi \
		EFI/debian/grub.cfg boot/vmlinuz boot/initrd.img boot/syslinux/ldlinux.sys \
		boot/syslinux/ldlinux.c32 boot/syslinux/syslinux.cfg; do
		grep -qix "$f" esp.txt || { echo "missing $f"; exit 1; }
	done ) &&
	! grep -i fbx64 esp.txt &&
	mcopy -i "$IMAGE@@$ESP_OFFSET" ::/EFI/BOOT/BOOTX64.EFI ::/EFI/BOOT/grubx64.efi . &&
	cmp BOOTX64.EFI "$TOP/out/build/pkg/shim-signed/usr/lib/shim/shimx64.efi.signed" &&
	grep -a -q "Microsoft Corporation UEFI CA 2011" BOOTX64.EFI &&
	cmp grubx64.efi "$TOP/out/build/pkg/grub-efi-amd64-signed/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"
'

test_expect_success 'both file systems are FAT32 with >= 65525 clusters (mtools reads them)' '
	( for n in 1 2; do
		set -- $(awk -v n=$n "\$1 == \"partition\" && \$2 == n { print \$5, \$7 }" "$MANIFEST")
		dd if="$IMAGE" of=part$n.img bs=512 skip=$1 count=$2 status=none &&
		minfo -i part$n.img :: | grep -q "^sectors per fat: 0" &&
		fsck.fat -n part$n.img > fsck$n.txt 2>&1 || { cat fsck$n.txt; exit 1; }
		clusters=$(sed -n "s|.* files, [0-9]*/\([0-9]*\) clusters|\1|p" fsck$n.txt)
		echo "# partition $n: FAT32, $clusters clusters"
		test "$clusters" -ge 65525 || exit 1
	done )
'

test_expect_success 'data partition BOOTFIX: bootfix.conf, README.txt, rules, keys, logs, quarantine' '
	minfo -i "$IMAGE@@$DATA_OFFSET" :: | grep -q "BOOTFIX" &&
	mdir -b -i "$IMAGE@@$DATA_OFFSET" :: | sed "s|^::/||; s|/$||" | sort > data.txt && cat data.txt &&
	( for f in bootfix.conf README.txt rules keys logs quarantine; do
		grep -qx "$f" data.txt || { echo "missing $f"; exit 1; }
	done ) &&
	mtype -i "$IMAGE@@$DATA_OFFSET" ::/bootfix.conf | grep -q "^# mode = menu"
'

test_expect_success 'initramfs: init, bootfix, ntfs-3g, ntfsrecover, libraries, terminfo, modprobe' '
	mcopy -o -i "$IMAGE@@$ESP_OFFSET" ::/boot/initrd.img . &&
	mkdir root && (cd root && zstd -dc ../initrd.img | cpio -id --quiet) &&
	( for f in init usr/sbin/bootfix usr/bin/ntfs-3g usr/bin/ntfsrecover usr/bin/busybox \
		usr/lib/x86_64-linux-gnu/libcryptsetup.so.12 usr/lib64/ld-linux-x86-64.so.2 \
		usr/lib/x86_64-linux-gnu/gconv/UTF-16.so usr/lib/x86_64-linux-gnu/gconv/ISO8859-1.so usr/share/bootfix/rules \
		usr/share/terminfo/l/linux usr/share/terminfo/v/vt100 usr/share/terminfo/v/vt220 \
		usr/share/terminfo/x/xterm usr/lib/bootfix/console usr/lib/bootfix/shutdown; do
		test -e "root/$f" || { echo "missing $f"; exit 1; }
	done ) &&
	test "$(readlink root/usr/sbin/modprobe)" = /usr/bin/busybox &&
	test "$(readlink root/usr/sbin/init)" = /usr/bin/busybox &&
	{ test -c root/dev/console || { ls -l root/dev; false; }; }
'

test_expect_success 'initramfs: every shared library a program needs is there' '
	( for elf in root/usr/sbin/bootfix root/usr/bin/ntfs-3g root/usr/bin/ntfsrecover \
		root/usr/lib/x86_64-linux-gnu/*.so*; do
		for so in $(readelf -d "$elf" | sed -n "s/.*Shared library: \\[\\(.*\\)\\]/\\1/p"); do
			test -e "root/usr/lib/x86_64-linux-gnu/$so" ||
				{ echo "$elf needs $so, not in the initramfs"; exit 1; }
		done
	done )
'

test_expect_success 'initramfs: the storage, keyboard, fuse, dm-crypt and FAT modules' '
	kver=$(ls root/usr/lib/modules) &&
	( for m in vmd nvme ahci sd_mod usb-storage uas xhci-pci ehci-pci mmc_block sdhci-pci \
		virtio_blk virtio_scsi virtio_pci usbhid hid-generic fuse dm-crypt dm-zero xts \
		vfat nls_cp437 exfat efivarfs; do
		grep -q "/$m.ko:" "root/usr/lib/modules/$kver/modules.dep" || { echo "no $m"; exit 1; }
	done )
'

test_expect_success 'initramfs: RAID, SAS, VM and laptop keyboard drivers; trimmed pci.ids' '
	kver=$(ls root/usr/lib/modules) &&
	( for m in megaraid_sas mpt3sas mptsas mptspi hpsa smartpqi aacraid sym53c8xx vmw_pvscsi \
		hv_vmbus hv_storvsc xen-blkfront hyperv-keyboard hid-hyperv i2c-hid-acpi \
		intel-lpss-pci surface_aggregator surface_kbd ata_piix; do
		grep -q "/$m.ko:" "root/usr/lib/modules/$kver/modules.dep" || { echo "no $m"; exit 1; }
	done ) &&
	grep -q "^alias pci:v0000103Cd0000323Asv.* hpsa$" \
		"root/usr/lib/modules/$kver/modules.alias" &&
	ids=root/usr/share/bootfix/pci.ids &&
	grep -x "103c  Hewlett-Packard Company" $ids &&
	grep -x "	323a  Smart Array G6 controllers" $ids &&
	! grep -q "^C " $ids && test "$(stat -c %s $ids)" -lt 400000 &&
	grep -q "|pci|" root/etc/bootfix/modalias-buses
'
test_done
