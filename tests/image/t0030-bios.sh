#!/bin/bash
# Test 2: legacy BIOS (SeaBIOS): gptmbr.bin -> syslinux on the ESP ->
# the same kernel and initramfs; the menu (or the rescue shell fallback)
# comes up on the serial console.
. "$(dirname "$0")/lib.sh"

test_expect_success 'SeaBIOS boots the stick to "bootfix: init ready"' '
	test -f "$IMAGE" &&
	boot_start bios --firmware bios --snapshot "$IMAGE" &&
	wait_for bios "bootfix: init ready" &&
	grep -a "SYSLINUX" bios.log
'

test_expect_success 'modules load (no UEFI: efivarfs may not), data partition found' '
	! grep -a "cannot load module" bios.log &&
	grep -a -E "bootfix: disks: [0-9]+, data partition: /dev/sd[a-z]2," bios.log
'

test_expect_success 'the menu comes up on the serial console' '
	menu_or_fallback bios
'
boot_stop bios
test_done
