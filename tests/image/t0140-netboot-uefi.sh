#!/bin/bash
# Network boot, Secure Boot on (issue 12): OVMF with Microsoft's keys, no
# stick, a virtio network card whose firmware PXE boots from qemu's user
# network (its DHCP and TFTP serve a tree made by image/netboot with a site
# overlay: mode = auto).  shim -> Debian's signed network GRUB -> the
# stick's kernel; the site settings become the read-only data folder; the
# network comes up by DHCP; the unattended mode fixes a crashed Windows on
# NVMe.  Afterwards the faulty file is in quarantine on the volume and the
# record the machine showed (it has no stick to keep it) says fixed.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/image/lib-netboot.sh"

F291=C-00000291-00000000-00000032.sys

test_expect_success 'setup: a crashed Windows disk, a tree with site settings set to unattended' '
	"$TOP/scripts/mkdemo-disk" win.img > /dev/null &&
	dev=$(attach win.img) && ntfs_mount ${dev}p1 w &&
	sha256sum w/$CS_DIR/$F291 | cut -c1-64 > faulty.sha &&
	ntfs_umount w && losetup -d $dev &&
	mkdir -p site/rules &&
	printf "%s\n" "mode = auto" "countdown = 0" "operator = ci" "site = netboot-ward" \
		> site/bootfix.conf &&
	netboot_tree nb --site site --append bootfix.net=dhcp 2> build.err &&
	cat build.err && ! grep -q warning build.err &&
	cmp nb/boot/vmlinuz "$NETBOOT/boot/vmlinuz" && cmp nb/boot/initrd.img "$NETBOOT/boot/initrd.img"
'
# LOG-TO (i12-send): when bootfix.conf takes "log-to", start rsyslog here
# (rsyslog_tls_start, lib-netboot.sh: TLS receiver on 127.0.0.1, test CA
# in ca.pem, port in RSYSLOG_PORT, as t0180 does), put
# "log-to = syslog+tls://10.0.2.100:6514" into site/bootfix.conf and ca.pem
# as site/keys/log-ca.pem, drop --append bootfix.net=dhcp (log-to brings
# the network up) and give user_net the third argument
# guestfwd=tcp:10.0.2.100:6514-tcp:127.0.0.1:$RSYSLOG_PORT.

test_expect_success 'boots from the network under Secure Boot and fixes unattended' '
	boot_start nb --firmware uefi-sb --disk nvme:win.img --net "$(user_net "$TRASH/nb" bootx64.efi)" none &&
	wait_for nb "bootfix: auto (fixed|nothing-to-fix|not-fixed)" 500 &&
	grep -a "Start PXE over IPv4" nb.log && grep -a "Fetching Netboot Image grubx64.efi" nb.log &&
	grep -a "secureboot: Secure boot enabled" nb.log &&
	! grep -a "cannot load module" nb.log &&
	grep -a "bootfix: disks: 1, data partition: none," nb.log &&
	grep -a "bootfix: no stick: site settings from the network boot" nb.log &&
	grep -a "bootfix: network: eth0 10.0.2.15/24" nb.log &&
	grep -a "bootfix: auto fixed computer=DESKTOP-2KGM189" nb.log
'

test_expect_success 'the record is shown, not kept: no stick; the machine waits (no power-off)' '
	grep -a "bootfix: auto fixed .*; log not written: no stick (network boot)" nb.log &&
	site_record nb && python3 -c "
import json
r = json.load(open(\"nb.record.json\"))
assert r[\"outcome\"] == \"fixed\" and r[\"mode\"] == \"auto\", r
assert r[\"operator\"] == \"ci\" and r[\"site\"] == \"netboot-ward\", r
assert r[\"volumes\"][0][\"computer_name\"] == \"DESKTOP-2KGM189\", r
" &&
	sleep 3 && boot_running nb && ! grep -a "unattended run ended" nb.log
'
# LOG-TO (i12-send): here, "$(rsyslog_today)" has the record (the line
# after "here it is" no longer shows: the record was sent) and
# "bootfix log verify" passes on that file; rsyslog_stop.
boot_stop nb

test_expect_success 'the faulty file is in quarantine on the NTFS volume, manifest checks' '
	dev=$(attach win.img) && echo $dev > .dev && ntfs_mount ${dev}p1 w &&
	test ! -e w/$CS_DIR/$F291 &&
	q=$(find w/bootfix-quarantine -name $F291) && test -n "$q" &&
	test "$(sha256sum < "$q" | cut -c1-64)" = "$(cat faulty.sha)" &&
	m=$(dirname "$(find w/bootfix-quarantine -name manifest.txt | head -n1)") &&
	(cd "$m" && sha256sum -c manifest.txt)
'
ntfs_umount w 2>/dev/null; losetup -d "$(cat .dev 2>/dev/null)" 2>/dev/null
test_done
