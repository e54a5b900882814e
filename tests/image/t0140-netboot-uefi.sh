#!/bin/bash
# Network boot, Secure Boot on (issue 12): OVMF with Microsoft's keys, no
# stick, a virtio network card whose firmware PXE boots from qemu's user
# network (its DHCP and TFTP serve a tree made by image/netboot with a site
# overlay: mode = auto).  shim -> Debian's signed network GRUB -> the
# stick's kernel; the site settings become the read-only data folder; the
# network comes up by DHCP; the unattended mode fixes a crashed Windows on
# NVMe.  The site's bootfix.conf has log-to = syslog+tls://10.0.2.100:6514:
# a real rsyslogd started here (TLS, a test CA, one file per day) gets the
# record through qemu's guestfwd (log_fwd), signed with the site's key;
# bootfix log verify --pubkey passes on rsyslog's file; the machine powers
# off.  Afterwards the faulty file is in quarantine on the volume.  (The
# log server down, and the next boot sending the kept record: t0180.)
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/image/lib-netboot.sh"
trap 'boot_stop_all; rsyslog_stop; cleanup_trash' EXIT

F291=C-00000291-00000000-00000032.sys

test_expect_success 'setup: a crashed Windows disk; rsyslogd with TLS; site settings: unattended, log-to, CA, signing key' '
	"$TOP/scripts/mkdemo-disk" win.img > /dev/null &&
	dev=$(attach win.img) && ntfs_mount ${dev}p1 w &&
	sha256sum w/$CS_DIR/$F291 | cut -c1-64 > faulty.sha &&
	ntfs_umount w && losetup -d $dev &&
	rsyslog_tls_start && echo "# rsyslogd on 127.0.0.1:$RSYSLOG_PORT" &&
	mkdir -p site/rules site/keys &&
	printf "%s\n" "mode = auto" "countdown = 0" "operator = ci" "site = netboot-ward" \
		"log-to = syslog+tls://10.0.2.100:6514" > site/bootfix.conf &&
	cp ca.pem site/keys/log-ca.pem &&
	openssl genpkey -algorithm ed25519 -out site/keys/log-signing.pem 2>/dev/null &&
	openssl pkey -in site/keys/log-signing.pem -pubout -out site.pub &&
	netboot_tree nb --site site 2> build.err &&
	cat build.err && grep -q "warning: SITE/keys/ has 1 file(s) (BitLocker keys, the log signing key)" build.err &&
	test "$(grep -c warning build.err)" = 1 &&
	cmp nb/boot/vmlinuz "$NETBOOT/boot/vmlinuz" && cmp nb/boot/initrd.img "$NETBOOT/boot/initrd.img"
'

test_expect_success 'boots from the network under Secure Boot and fixes unattended' '
	boot_start nb --firmware uefi-sb --disk nvme:win.img \
		--net "$(user_net "$TRASH/nb" bootx64.efi "$(log_fwd $RSYSLOG_PORT)")" none &&
	wait_for nb "bootfix: auto (fixed|nothing-to-fix|not-fixed|not-logged)" 500 &&
	grep -a "Start PXE over IPv4" nb.log && grep -a "Fetching Netboot Image grubx64.efi" nb.log &&
	grep -a "secureboot: Secure boot enabled" nb.log &&
	! grep -a "cannot load module" nb.log &&
	grep -a "bootfix: disks: 1, data partition: none," nb.log &&
	grep -a "bootfix: no stick: site settings from the network boot" nb.log &&
	grep -a "bootfix: network: eth0 10.0.2.15/24" nb.log &&
	grep -a "bootfix: auto fixed computer=DESKTOP-2KGM189" nb.log &&
	echo $(($(date +%s) - $(cat nb.start))) > nb.fixed_s
'

test_expect_success 'the screen says logged (sent to the log server), not NOT LOGGED; the machine powers off' '
	grep -a "bootfix: auto fixed .*; log no log on this machine.s data folder: the log servers alone get the record sent to syslog+tls://10.0.2.100:6514" nb.log &&
	! grep -a -E "not-logged|NOT LOGGED|not logged to|here it is" nb.log &&
	wait_poweroff nb 120 &&
	grep -a "bootfix: unattended run ended with status 10" nb.log &&
	grep -F "relay: connected to 127.0.0.1:$RSYSLOG_PORT" relay.log
'

test_expect_success 'rsyslog has the record, signed by the site, no chain; log verify --pubkey passes' '
	for _ in $(seq 1 50); do cat rsyslog/logs/*.log 2>/dev/null | grep -q "DESKTOP-2KGM189" && break; sleep 0.1; done &&
	cat rsyslog/logs/*.log > server.log && cat server.log &&
	test "$(wc -l < server.log)" = 1 &&
	grep -E "^<109>1 [0-9T:.-]+Z DESKTOP-2KGM189 bootfix [0-9]+ record - \{" server.log &&
	sed "s/^[^{]*//" server.log > server.record.json &&
	python3 -c "
import json
r = json.load(open(\"server.record.json\"))
assert r[\"outcome\"] == \"fixed\" and r[\"mode\"] == \"auto\", r
assert r[\"operator\"] == \"ci\" and r[\"site\"] == \"netboot-ward\", r
assert \"seq\" not in r and \"prev\" not in r, r
assert r[\"sig\"] and r[\"sig_key\"], r
v = r[\"volumes\"]
assert len(v) == 1 and v[0][\"computer_name\"] == \"DESKTOP-2KGM189\", v
assert v[0][\"outcome\"] == \"fixed\", v[0]
" &&
	$BOOTFIX log verify --pubkey site.pub server.log > verify.out && cat verify.out &&
	echo $(($(stat -c %Y rsyslog/logs/*.log) - $(cat nb.start))) > nb.logged_s &&
	grep -F "server.log: intact: 1 record from a log server, each checked, signatures good" verify.out &&
	openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null &&
	openssl pkey -in other.pem -pubout -out other.pub &&
	! $BOOTFIX log verify --pubkey other.pub server.log
'
rsyslog_stop
echo "# qemu start to the record in rsyslog's file: $(cat nb.logged_s 2>/dev/null) s; to \"auto fixed\" on the serial line: $(cat nb.fixed_s 2>/dev/null) s"

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
