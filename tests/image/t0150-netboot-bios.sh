#!/bin/bash
# Network boot, legacy BIOS (issue 12): SeaBIOS with its iPXE network ROM
# boots lpxelinux.0 from qemu's user network (its DHCP and TFTP serve the
# tree make netboot built, out/netboot), pxelinux reads
# pxelinux.cfg/default and starts the stick's kernel and initramfs; with no
# stick and no disk the menu's list screen comes up on the serial console.
# Then a tree with site settings (mode = poweroff-test) but no log server:
# they load through pxelinux's second initrd, and no network driver is
# loaded, no link brought up.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/image/lib-netboot.sh"

test_expect_success 'the tree holds pxelinux, its config, the stick kernel and initramfs' '
	test -f "$NETBOOT/lpxelinux.0" && test -f "$NETBOOT/ldlinux.c32" &&
	grep -q "^	INITRD boot/initrd.img$" "$NETBOOT/pxelinux.cfg/default" &&
	grep -q "bootfix.data=none" "$NETBOOT/pxelinux.cfg/default" &&
	test "$(sha256sum < "$NETBOOT/boot/initrd.img" | cut -c1-64)" = \
	     "$(sed -n "s|^SHA256 (boot/initrd.img) = ||p" "$MANIFEST")"
'

test_expect_success 'SeaBIOS PXE -> pxelinux -> the kernel: init ready, no stick' '
	boot_start pxe --firmware bios --net "$(user_net "$NETBOOT" lpxelinux.0)" none &&
	wait_for pxe "bootfix: init ready" &&
	grep -a "PXELINUX 6.04" pxe.log &&
	! grep -a "cannot load module" pxe.log &&
	grep -a "bootfix: disks: 0, data partition: none," pxe.log &&
	! grep -a "bootfix: network:" pxe.log
'

test_expect_success 'the menu draws its list screen on the serial console' '
	BOOTFIX_REQUIRE_MENU=1 menu_or_fallback pxe &&
	wait_for pxe "bootfix [0-9.]+ - fix Windows machines that do not boot" 120 &&
	wait_for pxe "No NTFS or BitLocker volume found. Press s to scan again." 60
'
boot_stop pxe

test_expect_success 'with site settings but no log server: the site settings load, no NIC driver, no network' '
	mkdir -p site && printf "%s\n" "operator = ci" "mode = poweroff-test" > site/bootfix.conf &&
	netboot_tree nb --site site 2> /dev/null &&
	boot_start quiet --firmware bios --net "$(user_net "$TRASH/nb" lpxelinux.0)" none &&
	wait_for quiet "bootfix: powering off" && wait_poweroff quiet 60 &&
	grep -a "bootfix: no stick: site settings from the network boot" quiet.log &&
	grep -a "bootfix: modules: " quiet.log | tr -d "\r" > mods &&
	cat mods && grep -q " vfat " mods &&
	! grep -E -w "virtio_net|e1000|e1000e|r8169|igb" mods &&
	! grep -a "bootfix: network:" quiet.log
'
test_done
