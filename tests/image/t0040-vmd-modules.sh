#!/bin/bash
# Test 4: a disk behind Intel VMD cannot be emulated, so check that vmd
# and what it depends on are in the initramfs, unmodified (still signed),
# in modules.alias for init to load by the device's modalias, and that
# they load without error under Secure Boot when asked by name
# (bootfix.load=vmd); the stick's poweroff-test mode prints the loaded
# modules and powers off.  The same boot shows drivers loaded by what is
# present: the NVMe and virtio disks' drivers, not a RAID controller's.
. "$(dirname "$0")/lib.sh"

test_expect_success 'vmd and its dependencies are in the initramfs, as Debian signed them' '
	mcopy -i "$IMAGE@@$ESP_OFFSET" ::/boot/initrd.img . &&
	mkdir root && (cd root && zstd -dc ../initrd.img | cpio -id --quiet) &&
	kver=$(ls root/usr/lib/modules) && m=root/usr/lib/modules/$kver &&
	line=$(grep "/vmd.ko:" "$m/modules.dep") && echo "# $line" &&
	pkg=$TOP/out/build/pkg/linux-image-$kver/lib/modules/$kver &&
	( for ko in $(echo "$line" | tr -d :); do
		cmp "$m/$ko" "$pkg/$ko" || exit 1
		tail -c 28 "$m/$ko" | grep -a -q "~Module signature appended~" ||
			{ echo "$ko carries no signature"; exit 1; }
	done ) &&
	! grep -q "^vmd$" root/etc/bootfix/modules && grep -q "^vmd$" "$TOP/image/modules-hw" &&
	grep -q "^alias pci:v00008086d0000467Fsv\\*sd\\*bc\\*sc\\*i\\* vmd$" "$m/modules.alias"
'

test_expect_success 'under Secure Boot vmd loads without error, then the machine powers off' '
	stick_copy stick.img && set_conf stick.img "mode = poweroff-test" &&
	stick_cmdline stick.img bootfix.load=vmd &&
	truncate -s 64M nvme.img virtio.img &&
	boot_start vmd --firmware uefi-sb --disk nvme:nvme.img --disk virtio:virtio.img stick.img &&
	wait_poweroff vmd &&
	grep -a "secureboot: Secure boot enabled" vmd.log &&
	grep -a -E "bootfix: modules: .*\\bvmd\\b" vmd.log &&
	! grep -a "cannot load module" vmd.log
'

test_expect_success 'drivers follow the hardware: NVMe, virtio, xHCI, AHCI in; RAID, Hyper-V out' '
	mods=$(grep -a -m1 "bootfix: modules: " vmd.log) &&
	for m in nvme virtio_blk xhci_pci ahci usb_storage; do
		echo "$mods" | grep -q -w "$m" || { echo "$m not loaded: $mods"; exit 1; }
	done &&
	for m in megaraid_sas hpsa mpt3sas hv_vmbus hv_storvsc xen_blkfront; do
		! echo "$mods" | grep -q -w "$m" || { echo "$m loaded without its hardware"; exit 1; }
	done &&
	grep -a -E "bootfix: disks: 3," vmd.log
'
test_done
