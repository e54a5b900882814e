# tests/image/lib.sh - shared by tests/image/tNNNN-*.sh: tests/lib.sh (a
# fresh trash directory, test_expect_success, test_done) plus booting the
# stick image in qemu (image/qemu, TCG) with the serial console in a file.
#
# boot_start NAME ARGS...   image/qemu ARGS in the background, serial
#                           console in NAME.log
# wait_for NAME REGEX [S]   poll NAME.log until REGEX shows (default 300 s);
#                           fails when qemu ends first or time runs out
# wait_poweroff NAME [S]    wait until the machine powers itself off
# boot_stop NAME            stop that qemu (also done for all on exit)
# Tests fail, never skip, when qemu, OVMF or the image are missing.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

IMAGE=${BOOTFIX_IMAGE:-$TOP/out/bootfix.img}
MANIFEST=${IMAGE%.img}.manifest
QEMU=$TOP/image/qemu
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null

# partition_offset N: byte offset of partition N of the image (manifest)
partition_offset() {
	awk -v n="$1" '$1 == "partition" && $2 == n { for (i = 3; i < NF; i++)
		if ($i == "offset") print $(i + 1) }' "$MANIFEST"
}
ESP_OFFSET=$(partition_offset 1 2>/dev/null)
DATA_OFFSET=$(partition_offset 2 2>/dev/null)

boot_start() {
	local name=$1
	shift
	: > "$TRASH/$name.log"
	"$QEMU" --serial-log "$TRASH/$name.log" "$@" > "$TRASH/$name.qemu" 2>&1 &
	echo $! > "$TRASH/$name.pid"
	date +%s > "$TRASH/$name.start"
}

boot_running() { kill -0 "$(cat "$TRASH/$1.pid")" 2>/dev/null; }

wait_for() {
	local name=$1 re=$2 limit=${3:-$BOOT_TIMEOUT} start
	start=$(cat "$TRASH/$name.start")
	while :; do
		grep -a -q -E "$re" "$TRASH/$name.log" 2>/dev/null && {
			echo "# '$re' after $(($(date +%s) - start)) s"
			return 0
		}
		if ! boot_running "$name"; then
			echo "qemu ended before '$re' showed on the serial console:"
			tail -n 5 "$TRASH/$name.qemu"
			tail -c 2000 "$TRASH/$name.log" | tr -d '\033' | tail -n 15
			return 1
		fi
		if [ $(($(date +%s) - start)) -ge "$limit" ]; then
			echo "no '$re' on the serial console within $limit s; its end:"
			tail -c 2000 "$TRASH/$name.log" | tr -d '\033' | tail -n 15
			return 1
		fi
		sleep 0.5
	done
}

wait_poweroff() {
	local name=$1 limit=${2:-$BOOT_TIMEOUT} start
	start=$(cat "$TRASH/$name.start")
	while boot_running "$name"; do
		if [ $(($(date +%s) - start)) -ge "$limit" ]; then
			echo "the machine did not power off within $limit s; serial console end:"
			tail -c 2000 "$TRASH/$name.log" | tr -d '\033' | tail -n 15
			return 1
		fi
		sleep 0.5
	done
	echo "# powered off after $(($(date +%s) - start)) s"
	wait "$(cat "$TRASH/$name.pid")" 2>/dev/null
	return 0
}

boot_stop() {
	local pid
	pid=$(cat "$TRASH/$1.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -f "$TRASH/$1.pid"
	return 0
}

boot_stop_all() {
	local p
	for p in "$TRASH"/*.pid; do
		[ -e "$p" ] && boot_stop "$(basename "$p" .pid)"
	done
	return 0
}
trap 'boot_stop_all; cleanup_trash' EXIT

# machine_qmp NAME COMMAND [JSON]: a QMP command to machine NAME, started
# with --qmp "$TRASH/NAME.qmp"
machine_qmp() { python3 "$TOP/tests/tools/qmp.py" "$TRASH/$1.qmp" "${@:2}"; }

# tty1_key NAME KEY: type KEY (a QMP qcode: ret, down, esc...) on tty1
tty1_key() {
	machine_qmp "$1" send-key "{\"keys\": [{\"type\": \"qcode\", \"data\": \"$2\"}]}" > /dev/null
}

# tty1_still NAME: tty1 of machine NAME shows the same screen for 4 s (at
# most 180 s of trying): a screen waiting for a key (the scanning and
# working screens spin).  The screen is left in NAME.b.ppm.
tty1_still() {
	local _
	for _ in $(seq 1 90); do
		machine_qmp "$1" screendump "{\"filename\": \"$TRASH/$1.a.ppm\"}" > /dev/null || return 1
		sleep 2
		machine_qmp "$1" screendump "{\"filename\": \"$TRASH/$1.b.ppm\"}" > /dev/null || return 1
		cmp -s "$TRASH/$1.a.ppm" "$TRASH/$1.b.ppm" && { sleep 2
			machine_qmp "$1" screendump "{\"filename\": \"$TRASH/$1.c.ppm\"}" > /dev/null
			cmp -s "$TRASH/$1.b.ppm" "$TRASH/$1.c.ppm" && return 0; }
	done
	echo "tty1 of $1 never stood still"
	return 1
}

# stick_copy FILE: a copy of the image to change (bootfix.conf, logs)
stick_copy() {
	test -f "$IMAGE" || { echo "no image $IMAGE: run make image"; return 1; }
	cp "$IMAGE" "$1"
}

# set_conf STICK "key = value"...: replace the stick's bootfix.conf
set_conf() {
	local stick=$1
	shift
	printf '%s\n' "$@" > "$TRASH/.conf" &&
		mcopy -o -i "$stick@@$DATA_OFFSET" "$TRASH/.conf" ::/bootfix.conf
}

# menu_or_fallback NAME: the menu says it is ready, or init says it is
# missing; BOOTFIX_REQUIRE_MENU=1 accepts only the menu
menu_or_fallback() {
	wait_for "$1" 'bootfix: menu (ready|unavailable)' 120 || return 1
	if grep -a -q 'bootfix: menu unavailable' "$TRASH/$1.log"; then
		echo "# the menu is not there yet: init offered the rescue shell"
		[ -z "${BOOTFIX_REQUIRE_MENU:-}" ]
	fi
}

# stick_cmdline STICK ARGS: add ARGS to the kernel command line of every
# boot entry on a stick copy: GRUB's (EFI/debian/grub.cfg and
# EFI/BOOT/grub.cfg, UEFI) and syslinux's (boot/syslinux/syslinux.cfg, BIOS)
stick_cmdline() {
	local stick=$1 f
	shift
	for f in EFI/debian/grub.cfg EFI/BOOT/grub.cfg; do
		mtype -i "$stick@@$ESP_OFFSET" "::/$f" > "$TRASH/.grub.cfg" &&
			sed -i "s|^\([[:space:]]*linux /boot/vmlinuz .*\)$|\1 $*|" "$TRASH/.grub.cfg" &&
			grep -q "^[[:space:]]*linux .* $*$" "$TRASH/.grub.cfg" &&
			mcopy -o -i "$stick@@$ESP_OFFSET" "$TRASH/.grub.cfg" "::/$f" || return 1
	done
	f=boot/syslinux/syslinux.cfg
	mtype -i "$stick@@$ESP_OFFSET" "::/$f" > "$TRASH/.syslinux.cfg" &&
		sed -i "s|^\([[:space:]]*APPEND .*\)$|\1 $*|" "$TRASH/.syslinux.cfg" &&
		grep -q "^[[:space:]]*APPEND .* $*$" "$TRASH/.syslinux.cfg" &&
		mcopy -o -i "$stick@@$ESP_OFFSET" "$TRASH/.syslinux.cfg" "::/$f"
}
