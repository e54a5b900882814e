#!/bin/bash
# Test 4: a disk behind Intel VMD cannot be emulated, so check that vmd
# and what it depends on are in the initramfs, unmodified (still signed),
# listed for init to load, and that they load without error under Secure
# Boot; the stick's poweroff-test mode prints the loaded modules and
# powers off.
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
	grep -q "^vmd$" root/etc/bootfix/modules &&
	grep -q "^alias pci:v00008086d0000467Fsv\\*sd\\*bc\\*sc\\*i\\* vmd$" "$m/modules.alias"
'

test_expect_success 'under Secure Boot vmd loads without error, then the machine powers off' '
	stick_copy stick.img && set_conf stick.img "mode = poweroff-test" &&
	boot_start vmd --firmware uefi-sb stick.img &&
	wait_poweroff vmd &&
	grep -a "secureboot: Secure boot enabled" vmd.log &&
	grep -a -E "bootfix: modules: .*\\bvmd\\b" vmd.log &&
	! grep -a "cannot load module" vmd.log
'
test_done
