#!/bin/bash
# Keyboards drive the menu: a USB keyboard (usb-kbd on xHCI, the machine
# without a PS/2 controller: i8042=off) and the PC's PS/2 keyboard, each
# alone in a machine of its own.  Keys are typed on tty1 through qemu's
# QMP (send-key reaches the machine's only keyboard); Enter on the list,
# Enter on the confirm screen fixes.  Which screen tty1 shows is read from
# its screendumps: a screen that stays the same for 4 s is waiting for a
# key (the scanning and working screens spin).  Afterwards, on this host,
# the faulty file is in quarantine on the disk: the keyboard did it.  A
# third machine has no keyboard until the menu is up; then a USB keyboard
# is plugged in (QMP device_add): its driver comes through busybox uevent.
. "$(dirname "$0")/lib.sh"

F291=C-00000291-00000000-00000032.sys

# drive NAME KEYBOARD: boot, Enter and Enter on tty1, stop; the disk win-NAME.img
drive() {
	local name=$1
	"$TOP/scripts/mkdemo-disk" win-$name.img > /dev/null &&
	stick_copy stick-$name.img && stick_cmdline stick-$name.img bootfix.debug=1 &&
	boot_start $name --firmware uefi --keyboard $2 --qmp "$TRASH/$name.qmp" \
		--disk nvme:win-$name.img stick-$name.img &&
	menu_or_fallback $name && tty1_still $name &&
	cp $name.b.ppm $name-list.ppm &&
	tty1_key $name ret &&
	tty1_still $name && ! cmp -s $name-list.ppm $name.b.ppm && cp $name.b.ppm $name-confirm.ppm &&
	tty1_key $name ret &&
	tty1_still $name && ! cmp -s $name-confirm.ppm $name.b.ppm &&
	machine_qmp $name quit > /dev/null; wait_poweroff $name 60
}

# fixed NAME: the faulty file of win-NAME.img is in quarantine
fixed() {
	local dev rc
	dev=$(attach win-$1.img) && ntfs_mount ${dev}p1 w || return 1
	test ! -e w/$CS_DIR/$F291 && find w/bootfix-quarantine -name $F291 | grep -q .
	rc=$?
	ntfs_umount w
	losetup -d $dev
	return $rc
}

test_expect_success 'a USB keyboard alone (no PS/2 controller): Enter, Enter on tty1 fixes' '
	drive usb usb && fixed usb &&
	grep -a -m1 "bootfix: modules: " usb.log | grep -w usbhid
'

test_expect_success 'the PS/2 keyboard: Enter, Enter on tty1 fixes' '
	drive ps2 ps2 && fixed ps2
'
test_expect_success 'a USB keyboard plugged in once the menu is up (busybox uevent): Enter, Enter fixes' '
	"$TOP/scripts/mkdemo-disk" win-late.img > /dev/null &&
	stick_copy stick-late.img && stick_cmdline stick-late.img bootfix.debug=1 &&
	boot_start late --firmware uefi --keyboard none --qmp "$TRASH/late.qmp" \
		--disk nvme:win-late.img stick-late.img &&
	menu_or_fallback late && tty1_still late &&
	! grep -a -m1 "bootfix: modules: " late.log | grep -w usbhid &&
	cp late.b.ppm late-list.ppm &&
	machine_qmp late device_add "{\"driver\": \"usb-kbd\", \"bus\": \"xhci.0\", \"id\": \"kbd\"}" &&
	# Enter until the list goes: keys typed before usbhid is loaded are lost
	for _ in $(seq 1 60); do
		tty1_key late ret
		sleep 2
		machine_qmp late screendump "{\"filename\": \"$TRASH/late.a.ppm\"}" > /dev/null
		cmp -s late-list.ppm late.a.ppm || break
	done &&
	tty1_still late && ! cmp -s late-list.ppm late.b.ppm && cp late.b.ppm late-confirm.ppm &&
	tty1_key late ret &&
	tty1_still late && ! cmp -s late-confirm.ppm late.b.ppm &&
	{ machine_qmp late quit > /dev/null; wait_poweroff late 60; } && fixed late
'
test_done
