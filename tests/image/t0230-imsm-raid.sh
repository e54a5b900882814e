#!/bin/bash
# Intel RST RAID in the image (issue 13), first step: the initramfs carries
# mdadm and mdmon (at /sbin, where mdadm --readwrite starts mdmon), their
# shared libraries, and the md modules (md-mod, raid0, raid1, raid10),
# shipped but loaded by nothing yet.  Init does not assemble arrays yet
# (docs/hardware.md says why).
. "$(dirname "$0")/lib.sh"

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

test_done
