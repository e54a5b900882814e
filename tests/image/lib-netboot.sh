# tests/image/lib-netboot.sh - for the network boot tests
# (tests/image/tNNNN-netboot-*.sh), after lib.sh.
#
# NETBOOT            the tree make netboot built (out/netboot, or beside
#                    BOOTFIX_IMAGE's image)
# netboot_tree DIR [image/netboot options]
#                    a tree of this test's own (a site overlay, kernel
#                    options), from the same image build
# user_net DIR BOOTFILE [MORE]
#                    image/qemu's --net for qemu's user network serving DIR
#                    by TFTP: restrict=on, so the machine reaches nothing but
#                    qemu's own DHCP and TFTP (and MORE, e.g. a guestfwd to
#                    this host's loopback)
# site_record NAME   the record a machine without a stick printed on the
#                    serial console after "audit record not written; here it
#                    is:" (one JSON line), into NAME.record.json

NETBOOT=${BOOTFIX_NETBOOT:-$(dirname "$IMAGE")/netboot}
NB_BUILD=$(dirname "$IMAGE")/build

netboot_tree() {
	local out=$1
	shift
	BOOTFIX_MANIFEST=$MANIFEST "$TOP/image/netboot" --build "$NB_BUILD" --out "$out" "$@"
}

user_net() {
	echo "user,restrict=on,tftp=$1,bootfile=$2${3:+,$3}"
}

site_record() {
	tr -d '\r' < "$TRASH/$1.log" |
		grep -a -A1 -F "bootfix: audit record not written; here it is:" |
		tail -n 1 > "$TRASH/$1.record.json" && test -s "$TRASH/$1.record.json"
}
