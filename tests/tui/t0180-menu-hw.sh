#!/bin/bash
# The menu's details end with this machine's hardware (hw.c): every
# storage and USB controller of this machine's /sys with its slot, driver
# and id, its disks with their bus, then the keyboards; scrolled with the
# rest.  A controller without a driver on the list screen is tested in
# qemu (tests/image/t0210-no-driver.sh): no such controller here.
. "$(dirname "$0")/../lib.sh"

. "$TOP/tests/lib-tmux.sh"

F=C-00000291-00000000-00000032.sys
cleanup_tmux() { tm kill-server 2>/dev/null; cleanup_trash; }
trap cleanup_tmux EXIT

test_expect_success 'setup: a faulty Windows disk' '
	make_disk disk.img gpt 48 40 && dev=$(attach disk.img) &&
	ntfs_format ${dev}p1 Windows && ntfs_mount ${dev}p1 w && windows_tree w &&
	channel_file w $F "$FAULTY_TIME" && ntfs_umount w && losetup -d $dev && mkdir data
'

test_expect_success 'd: the details end with the controllers, disks and keyboards of this machine' '
	tmux_fresh &&
	tm new-session -d -x 100 -y 40 "TERM=xterm BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu --device disk.img --data data; sleep 600" &&
	wait_for "1 faulty file" && keys d && wait_for "This machine: " &&
	screen > details && cat details &&
	n=0 && for d in /sys/bus/pci/devices/*; do
		case $(cat $d/class) in 0x01*|0x0c03*) ;; *) continue ;; esac
		drv="NO DRIVER" && [ -e $d/driver ] && drv=$(basename "$(readlink $d/driver)")
		id=$(cut -c3- $d/vendor):$(cut -c3- $d/device)
		grep -E "^  $(basename $d) +$drv +$id " details || { echo "no $d"; exit 1; }
		n=$((n + 1))
	done &&
	grep -E "This machine: $n controllers?, [0-9]+ disks?, [0-9]+ keyboards?" details &&
	for b in /sys/block/*; do
		case ${b##*/} in loop*|ram*|zram*|dm-*|md*|sr*|fd*|nbd*) continue ;; esac
		grep -E "^  ${b##*/} +[a-z]+ " details || { echo "no disk ${b##*/}"; exit 1; }
	done &&
	keys Escape && wait_for "1 faulty file"
'
test_done
