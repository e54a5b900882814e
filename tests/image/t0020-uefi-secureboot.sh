#!/bin/bash
# Test 1: UEFI with Secure Boot enforced (OVMF with Microsoft's keys, SMM,
# secure flash): shim -> GRUB -> kernel all verify, the kernel says Secure
# Boot is on, every module loads under lockdown, the stick's data
# partition is found and the menu (or, until it exists, the rescue shell
# fallback) comes up on the serial console.
. "$(dirname "$0")/lib.sh"

test_expect_success 'OVMF with Secure Boot and Microsoft keys is installed' '
	test -f /usr/share/OVMF/OVMF_CODE_4M.secboot.fd &&
	test -f /usr/share/OVMF/OVMF_VARS_4M.ms.fd &&
	command -v qemu-system-x86_64
'

test_expect_success 'boots with Secure Boot enforced to "bootfix: init ready"' '
	test -f "$IMAGE" &&
	boot_start sb --firmware uefi-sb --snapshot "$IMAGE" &&
	wait_for sb "bootfix: init ready"
'

test_expect_success 'the kernel log says Secure Boot is enabled' '
	grep -a "secureboot: Secure boot enabled" sb.log
'

test_expect_success 'every module loaded under lockdown, data partition found' '
	! grep -a "cannot load module" sb.log &&
	grep -a -E "bootfix: disks: [0-9]+, data partition: /dev/sd[a-z]2," sb.log
'

test_expect_success 'the menu comes up on the serial console' '
	menu_or_fallback sb
'
boot_stop sb
test_done
