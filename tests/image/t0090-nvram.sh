#!/bin/bash
# The machine's firmware is outside the Windows volume too (docs/firmware.md).
# A machine booted from the stick, through an unattended fix of a crashed
# Windows to power-off, keeps the UEFI variables (NVRAM) a boot without
# the stick leaves, but for the one variable Debian's signed shim always
# writes, SbatLevel:
#   Secure Boot (OVMF, Microsoft's keys)  "sbat,1,2025021800\nshim,4\ngrub,5\n"
#   no Secure Boot (OVMF, no keys)        "sbat,1,2021030218\n"
# and no Boot#### entry or BootOrder names the stick's files.
#
# Each boot gets its own copy of the OVMF vars template.  The baseline is
# the same machine (same Windows disk on NVMe, the same stick on USB but
# without its boot loaders), so OVMF's own writes on any boot (Boot####
# for the disks it finds, BootOrder, ConIn/ConOut/ErrOut, MTC) happen in
# both.  Without Secure Boot OVMF then starts its built-in shell, which
# runs the stick's startup.nsh, "reset -s": a power-off.  Under Secure
# Boot OVMF refuses that shell too, says "No bootable option or device was
# found" and waits for a key: the baseline stops qemu there (SIGTERM: qemu
# finishes its flash writes and closes the file).  The stores are read
# with tests/tools/ovmf-vars.py (NAME GUID ATTRIBUTES SIZE SHA-256).
. "$(dirname "$0")/lib.sh"

OVMF=${OVMF_DIR:-/usr/share/OVMF}
SHIM_LOCK=605dab50-e046-4300-abb6-3dd810dd8b23	# shim's vendor GUID
SBAT_SB='sbat,1,2025021800\nshim,4\ngrub,5\n'	# printf formats
SBAT_NOSB='sbat,1,2021030218\n'
vars() { python3 "$TOP/tests/tools/ovmf-vars.py" "$@"; }
# shim's .sbatlevel section: UINT32 0, then offsets (from byte 4) of the
# "automatic" and "latest" SbatLevel payloads, each ending in a NUL
SBATLEVEL_AUTOMATIC='
import struct, sys
d = open(sys.argv[1], "rb").read()
version, automatic, latest = struct.unpack_from("<III", d)
assert version == 0, version
sys.stdout.write(d[4 + automatic:].split(b"\0")[0].decode())
'

# only_sbatlevel OLD NEW FORMAT: NEW differs from OLD by one added variable,
# SbatLevel (shim's GUID, NV+BS = 0x3) holding exactly printf FORMAT
only_sbatlevel() {
	local diff sha size
	printf "$3" > "$2.sbat.want"
	sha=$(sha256sum < "$2.sbat.want" | cut -c1-64) size=$(stat -c %s "$2.sbat.want")
	diff=$(vars --diff "$1" "$2")
	[ $? = 1 ] || { echo "no difference, or ovmf-vars failed"; return 1; }
	echo "$diff"
	[ "$diff" = "$(printf '+ SbatLevel\t%s\t0x00000003\t%s\t%s' $SHIM_LOCK "$size" "$sha")" ] || {
		echo "expected only: + SbatLevel $SHIM_LOCK 0x00000003 $size $sha"
		return 1
	}
	vars --get "SbatLevel:$SHIM_LOCK" "$2" > "$2.sbat" && cmp "$2.sbat.want" "$2.sbat"
}

# no_stick_boot_entry OLD NEW: BootOrder and every Boot#### as in OLD, and
# none names a file (\EFI\...) or a partition of the stick (its GUIDs B007F1C5-...)
no_stick_boot_entry() {
	vars --boot "$1" > "$1.boot" && vars --boot "$2" > "$2.boot" && cat "$2.boot" &&
	grep -q "^BootOrder	" "$2.boot" && grep -q "^Boot[0-9A-F]\{4\}	" "$2.boot" &&
	diff "$1.boot" "$2.boot" &&
	! grep -i -E '\\EFI\\|\.efi|b007f1c5' "$2.boot"
}

test_expect_success 'setup: OVMF, a crashed Windows, the stick (unattended), the stick without boot loaders' '
	for f in OVMF_CODE_4M.secboot.fd OVMF_VARS_4M.ms.fd OVMF_CODE_4M.fd OVMF_VARS_4M.fd; do
		test -f "$OVMF/$f" || { echo "no $OVMF/$f"; return 1; }
	done &&
	command -v qemu-system-x86_64 && command -v python3 && command -v objcopy &&
	"$TOP/scripts/mkdemo-disk" win.img &&
	stick_copy stick.img &&
	set_conf stick.img "mode = auto" "countdown = 0" "operator = ci" "site = nvram" &&
	stick_copy base.img &&
	mdel -i "base.img@@$ESP_OFFSET" ::/EFI/BOOT/BOOTX64.EFI ::/EFI/BOOT/grubx64.efi \
		::/EFI/BOOT/mmx64.efi &&
	printf "reset -s\r\n" > startup.nsh && mcopy -i "base.img@@$ESP_OFFSET" startup.nsh ::/startup.nsh &&
	cp "$OVMF/OVMF_VARS_4M.ms.fd" sb-template.fd && cp sb-template.fd sb-base.fd &&
	cp sb-template.fd sb-stick.fd &&
	cp "$OVMF/OVMF_VARS_4M.fd" nosb-template.fd && cp nosb-template.fd nosb-base.fd &&
	cp nosb-template.fd nosb-stick.fd
'

test_expect_success 'the Secure Boot template: Microsoft UEFI CA 2011 in db, no SbatLevel' '
	vars sb-template.fd > sb-template.vars && cat sb-template.vars &&
	grep -q "^db	d719b2cb-3d3a-4596-a3bc-dad00e67656f	0x00000027	" sb-template.vars &&
	vars --get db sb-template.fd | grep -a -q "Microsoft Corporation UEFI CA 2011" &&
	! grep "^SbatLevel	" sb-template.vars &&
	vars nosb-template.fd > nosb-template.vars && ! grep "^SbatLevel	" nosb-template.vars
'

test_expect_success 'the stick has no NVRAM writer: no fallback, CSV, revocations; pstore off; efivarfs ro' '
	mdir -/ -b -a -i "$IMAGE@@$ESP_OFFSET" :: | sed "s|^::/||; s|/$||" | sort > esp.txt &&
	grep -qix "EFI/BOOT/BOOTX64.EFI" esp.txt &&
	! grep -i -E "fbx64|fallback|\.csv$|revocations|shim_certificate" esp.txt &&
	grep "^kernel-cmdline .*efi_pstore.pstore_disable=1" "$MANIFEST" &&
	grep "^kernel-cmdline .*erst_disable" "$MANIFEST" &&
	mtype -i "$IMAGE@@$ESP_OFFSET" ::/EFI/debian/grub.cfg > cfg.txt &&
	mtype -i "$IMAGE@@$ESP_OFFSET" ::/boot/syslinux/syslinux.cfg >> cfg.txt &&
	test "$(grep -c "efi_pstore.pstore_disable=1 erst_disable" cfg.txt)" = 6 &&
	! grep -E "save_env|savedefault|fwsetup" cfg.txt &&
	mcopy -i "$IMAGE@@$ESP_OFFSET" ::/boot/initrd.img . &&
	zstd -dc initrd.img | cpio -t --quiet > initrd.txt &&
	grep -q "efivarfs.ko" initrd.txt &&
	! grep -E "efi-pstore|efibc|capsule-loader|efi_test" initrd.txt &&
	zstd -dc initrd.img | cpio -i --quiet --to-stdout init > init &&
	grep "efivarfs" init | grep "mount " > mounts.txt && cat mounts.txt &&
	! grep -v -- "-o ro," mounts.txt
'

test_expect_success 'baseline, Secure Boot: OVMF boots the same machine with no boot loader on the stick' '
	boot_start sb-base --firmware uefi-sb --vars sb-base.fd --snapshot --disk nvme:win.img base.img &&
	wait_for sb-base "BdsDxe: No bootable option or device was found" &&
	grep -a -q "failed to load Boot[0-9A-F]* \"UEFI QEMU QEMU USB HARDDRIVE" sb-base.log &&
	sleep 2 && boot_stop sb-base &&
	{ vars --diff sb-template.fd sb-base.fd > sb-base.diff; test $? = 1; } && cat sb-base.diff &&
	grep -q "^~ MTC	" sb-base.diff && ! grep SbatLevel sb-base.diff
'

test_expect_success 'Secure Boot: the stick fixes the Windows disk unattended and powers off' '
	boot_start sb-stick --firmware uefi-sb --vars sb-stick.fd --disk nvme:win.img stick.img &&
	wait_for sb-stick "bootfix: auto (fixed|nothing-to-fix|not-fixed)" &&
	grep -a "secureboot: Secure boot enabled" sb-stick.log &&
	grep -a "bootfix: auto fixed computer=DESKTOP-2KGM189" sb-stick.log &&
	wait_poweroff sb-stick 120
'

test_expect_success 'Secure Boot: NVRAM as in the baseline but for SbatLevel = sbat,1,2025021800 shim,4 grub,5' '
	vars sb-stick.fd > sb-stick.vars && cat sb-stick.vars &&
	only_sbatlevel sb-base.fd sb-stick.fd "$SBAT_SB"
'

test_expect_success 'Secure Boot: that value is the automatic SbatLevel built into the stick'"'"'s shim' '
	mcopy -i "$IMAGE@@$ESP_OFFSET" ::/EFI/BOOT/BOOTX64.EFI shim.efi &&
	objcopy -O binary --only-section=.sbatlevel shim.efi sbatlevel.bin &&
	python3 -c "$SBATLEVEL_AUTOMATIC" sbatlevel.bin > shim-automatic && cat shim-automatic &&
	printf "$SBAT_SB" > sbat-sb.want && cmp sbat-sb.want shim-automatic
'

test_expect_success 'Secure Boot: no Boot#### entry or BootOrder change names the stick' '
	no_stick_boot_entry sb-base.fd sb-stick.fd
'

test_expect_success 'baseline, no Secure Boot: OVMF, the same machine, its shell powers off' '
	boot_start nosb-base --firmware uefi --vars nosb-base.fd --snapshot --disk nvme:win.img base.img &&
	wait_poweroff nosb-base &&
	grep -a -q "starting Boot[0-9A-F]* \"EFI Internal Shell\"" nosb-base.log &&
	{ vars --diff nosb-template.fd nosb-base.fd > nosb-base.diff; test $? = 1; } &&
	cat nosb-base.diff &&
	grep -q "^+ MTC	" nosb-base.diff && ! grep SbatLevel nosb-base.diff
'

test_expect_success 'no Secure Boot: the stick runs unattended (nothing left to fix) and powers off' '
	boot_start nosb-stick --firmware uefi --vars nosb-stick.fd --disk nvme:win.img stick.img &&
	wait_for nosb-stick "bootfix: auto (fixed|nothing-to-fix|not-fixed)" &&
	grep -a "secureboot: Secure boot disabled" nosb-stick.log &&
	grep -a "bootfix: auto nothing-to-fix computer=DESKTOP-2KGM189" nosb-stick.log &&
	wait_poweroff nosb-stick 120
'

test_expect_success 'no Secure Boot: NVRAM as in the baseline but for SbatLevel = sbat,1,2021030218' '
	only_sbatlevel nosb-base.fd nosb-stick.fd "$SBAT_NOSB" &&
	no_stick_boot_entry nosb-base.fd nosb-stick.fd
'
boot_stop_all
test_done
