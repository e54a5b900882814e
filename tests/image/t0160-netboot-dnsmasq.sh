#!/bin/bash
# Network boot through a real dnsmasq (issue 12, docs/netboot.md): the
# site's own DHCP server (a dnsmasq handing out addresses, nothing else)
# and beside it dnsmasq as proxy DHCP + TFTP serving a tree made by
# image/netboot, the way docs/netboot.md says to set it up: the site's
# server names the TFTP host as next-server (siaddr), because Debian 12's
# network GRUB reads the DHCP server's answer, not the proxy's.  All of it in
# two network namespaces this test makes (a bridge with the machine's tap,
# a veth to the DHCP server's namespace): nothing reaches this host's
# networks.  A UEFI machine with Secure Boot on boots from it, gets its
# address from the site's server both in the firmware and in the image
# (bootfix.net=dhcp), and powers off (bootfix.mode=poweroff-test).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/image/lib-netboot.sh"

NSP=bfnb$$p NSD=bfnb$$d
ns_cleanup() {
	local p
	for p in "$TRASH"/dnsmasq-*.pid; do
		[ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	ip netns del $NSP 2>/dev/null
	ip netns del $NSD 2>/dev/null
	return 0
}
trap 'boot_stop_all; ns_cleanup; cleanup_trash' EXIT

# dnsmasq_start NAME NS ARGS...: dnsmasq in the foreground in namespace NS,
# its own config, log, leases and pid file in the trash directory
dnsmasq_start() {
	local name=$1 ns=$2
	shift 2
	ip netns exec $ns dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
		--user=root --group=root --bind-interfaces --log-dhcp \
		--log-facility="$TRASH/dnsmasq-$name.log" --dhcp-leasefile="$TRASH/dnsmasq-$name.leases" \
		--pid-file="$TRASH/dnsmasq-$name.pid" "$@" &
	# ready: it has written its pid file
	for _ in $(seq 1 50); do
		[ -s "$TRASH/dnsmasq-$name.pid" ] && return 0
		sleep 0.1
	done
	cat "$TRASH/dnsmasq-$name.log"
	return 1
}

test_expect_success 'setup: two namespaces, a bridge with a tap, the site DHCP server, dnsmasq proxy DHCP + TFTP' '
	command -v dnsmasq &&
	netboot_tree nb --append "bootfix.net=dhcp bootfix.mode=poweroff-test" &&
	ip netns add $NSP && ip netns add $NSD &&
	ip -n $NSP link add br0 type bridge &&
	ip -n $NSP link add veth0 type veth peer name veth1 netns $NSD &&
	ip -n $NSP link set veth0 master br0 &&
	ip -n $NSP tuntap add dev tap0 mode tap &&
	ip -n $NSP link set tap0 master br0 &&
	ip -n $NSP addr add 192.0.2.2/24 dev br0 &&
	ip -n $NSD addr add 192.0.2.1/24 dev veth1 &&
	for l in lo br0 veth0 tap0; do ip -n $NSP link set $l up || return 1; done &&
	ip -n $NSD link set lo up && ip -n $NSD link set veth1 up &&
	dnsmasq_start site $NSD --interface=veth1 --dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,1h \
		--dhcp-boot=",,192.0.2.2" &&
	dnsmasq_start pxe $NSP --interface=br0 --dhcp-range=192.0.2.0,proxy \
		--pxe-service="x86-64_EFI,bootfix (network boot),bootx64.efi" \
		--pxe-service="x86PC,bootfix (network boot),lpxelinux" \
		--enable-tftp --tftp-root="$TRASH/nb" &&
	printf "#!/bin/sh\nexec ip netns exec %s %s \"\$@\"\n" $NSP "$TOP/image/qemu" > qemu-ns &&
	chmod +x qemu-ns
'

test_expect_success 'UEFI, Secure Boot: proxy DHCP and TFTP from dnsmasq, the address from the site server' '
	QEMU=$TRASH/qemu-ns boot_start px --firmware uefi-sb --mac 52:54:00:b0:07:01 \
		--net "tap,ifname=tap0,script=no,downscript=no" none &&
	wait_for px "bootfix: powering off" &&
	wait_poweroff px 60 &&
	grep -a "Start PXE over IPv4" px.log && grep -a "secureboot: Secure boot enabled" px.log &&
	grep -a -E "bootfix: network: eth0 192\.0\.2\.1[0-9][0-9]/24" px.log
'

test_expect_success 'dnsmasq served the tree by TFTP; the site server gave both leases' '
	cat dnsmasq-pxe.log | grep -E "proxy|sent|PXE" | head -n 20 &&
	grep -E "sent .*/nb/bootx64.efi to 192.0.2.1[0-9][0-9]" dnsmasq-pxe.log &&
	grep -E "sent .*/nb/grubx64.efi to 192.0.2.1[0-9][0-9]" dnsmasq-pxe.log &&
	grep -E "sent .*/nb/boot/initrd.img to 192.0.2.1[0-9][0-9]" dnsmasq-pxe.log &&
	! grep -i "DHCPACK" dnsmasq-pxe.log &&
	test "$(grep -c "DHCPACK(veth1) 192.0.2.1[0-9][0-9] 52:54:00:b0:07:01" dnsmasq-site.log)" -ge 2 &&
	grep -F "vendor class: bootfix" dnsmasq-site.log
'
boot_stop px
test_done
