#!/bin/bash
# The menu's screens on the stick, on both consoles, as make demo shows
# them: the demo disk (scripts/mkdemo-disk) on NVMe, UEFI with Secure Boot,
# the serial console on an 80x24 tmux pane (image/qemu without
# --serial-log: qemu's stdio), tty1 on qemu's VGA screen.  On the serial
# console Enter, Enter fixes the disk; the list, confirm and result screens
# are compared whole with what they must show, line by line, so text the
# terminal got behind curses' back ("bootfix: menu ready") or left from an
# earlier screen fails the test.  tty1 is read through qemu's screendump:
# each 8x16 cell of the dump is drawn or empty (tests/tools/vga-cells.py),
# compared with the text the screen must show (its list, its confirm, and
# the result of a second Enter there, after the serial console fixed the
# disk).  The dumps are kept as PNGs, and the serial screens as text, in
# screens/ beside the image for a person to look at.
. "$(dirname "$0")/lib.sh"

V=$(sed -n 's/^#define BOOTFIX_VERSION "\(.*\)"$/\1/p' "$TOP/recovery/version.h")
KEEP=$(dirname "$IMAGE")/screens
QMP_SOCK=$TRASH/m.qmp
tm() { tmux -L "bootfix-image-$$" "$@"; }
qmp() { python3 "$TOP/tests/tools/qmp.py" "$QMP_SOCK" "$@"; }
finish() {
	[ -S "$QMP_SOCK" ] && qmp quit > /dev/null 2>&1
	tm kill-server 2> /dev/null
	cleanup_trash
}
trap finish EXIT

# expect NAME LINES: the screen as it must be, from stdin (@V@ the version)
expect() {
	sed "s/@V@/$V/" > "$1.want" && test "$(wc -l < "$1.want")" = "$2"
}

# serial_wait REGEX [S]: REGEX went out on the serial line within S s (300)
serial_wait() {
	local limit=${2:-$BOOT_TIMEOUT} start
	start=$(cat boot.start)
	while ! grep -a -q -E "$1" serial.log; do
		if [ $(($(date +%s) - start)) -ge "$limit" ]; then
			echo "no '$1' on the serial line within $limit s; the screen:"
			tm capture-pane -p
			return 1
		fi
		sleep 0.5
	done
	echo "# '$1' after $(($(date +%s) - start)) s"
}

# serial_screen NAME [S]: the serial console's whole screen is NAME.want
# within S seconds (60); the quarantine's time made constant
serial_screen() {
	local _
	for _ in $(seq 1 $(( ${2:-60} * 4 ))); do
		tm capture-pane -p > "$1.raw"
		sed -E 's/[0-9]{8}T[0-9]{6}Z/YYYYMMDDTHHMMSSZ/g' "$1.raw" > "$1.got"
		while [ "$(wc -l < "$1.got")" -lt 24 ]; do echo >> "$1.got"; done
		cmp -s "$1.want" "$1.got" && break
		sleep 0.25
	done
	mkdir -p "$KEEP" && cp "$1.raw" "$KEEP/t0130-serial-$1.txt"
	cmp -s "$1.want" "$1.got" || {
		echo "the serial console's $1 screen is not as it must be:"
		diff -u "$1.want" "$1.got"
		return 1
	}
}

# tty1_screen NAME [S]: tty1's screendump has a character in the cells where
# NAME.want has one, and only there, within S seconds (120); kept as
# NAME.ppm and $KEEP/t0130-NAME.png
tty1_screen() {
	local _
	{ echo 160x50; sed 's/[^ ]/#/g; s/ *$//' "$1.want"; } > "$1.cells"
	for _ in $(seq 1 "${2:-120}"); do
		qmp screendump "{\"filename\": \"$TRASH/$1.ppm\"}" > /dev/null &&
			python3 "$TOP/tests/tools/vga-cells.py" "$1.ppm" > "$1.seen" &&
			cmp -s "$1.cells" "$1.seen" && break
		sleep 1
	done
	mkdir -p "$KEEP" &&
		qmp screendump "{\"filename\": \"$KEEP/t0130-$1.png\", \"format\": \"png\"}" > /dev/null
	cmp -s "$1.cells" "$1.seen" || {
		echo "tty1's screen ($1) is not as it must be (# a character, $KEEP/t0130-$1.png):"
		diff -u "$1.cells" "$1.seen"
		return 1
	}
}

tty1_key() { qmp send-key "{\"keys\": [{\"type\": \"qcode\", \"data\": \"$1\"}]}" > /dev/null; }

expect list 24 <<'EOF'
 bootfix @V@ - fix Windows machines that do not boot                ? = help

  #  Volume            Size  Windows          State
--------------------------------------------------------------------------------
>! 1 nvme0n1p1     72.0 MiB  DESKTOP-2KGM189  1 faulty file

















--------------------------------------------------------------------------------
 Enter fix  d details  r restore  l log  s scan  p power  ? help
EOF

expect confirm 24 <<'EOF'
 bootfix @V@ - confirm                                              ? = help

 Fix DESKTOP-2KGM189 on /dev/nvme0n1p1?

 These files will be moved to \bootfix-quarantine on the same volume.
 Nothing is deleted; "restore" puts them back.

   C-00000291-00000000-00000032.sys      41024 bytes  2024-07-19T04:09:00Z












  [ Fix ]   [ Cancel ]

--------------------------------------------------------------------------------
 Enter = choose  Left/Right/Tab = move  Esc = cancel
EOF

expect result 24 <<'EOF'
 bootfix @V@ - result                                               ? = help

   FIXED  DESKTOP-2KGM189 (nvme0n1p1)

 1 faulty file quarantined in \bootfix-quarantine\YYYYMMDDTHHMMSSZ

 C-00000291-00000000-00000032.sys: quarantined
   -> \bootfix-quarantine\YYYYMMDDTHHMMSSZ\Windows\System32\drivers\
   CrowdStrike\C-00000291-00000000-00000032.sys









 Log: record 2 written to /data/logs/bootfix.jsonl

 The records are saved and the stick is released: you can pull it now.
 Remove the stick, then press Enter to restart into Windows.
--------------------------------------------------------------------------------
 Enter = restart  Esc = back to the list  p = power
EOF

# tty1: 1280x800 (OVMF's screen) in 8x16 cells, 160x50, so the wide list
# (label, Windows version, disk) and TERM=linux
D160=$(printf '%0160d' 0 | tr 0 -)
{
	printf ' %-149s%s\n\n' "bootfix $V - fix Windows machines that do not boot" "? = help"
	printf '  #  %-12s %9s  %-16s %-34s%-14s %-30s %s\n' Volume Size Windows State Label \
		"Windows version" Disk
	echo "$D160"
	printf '>! 1 %-12s %9s  %-16s %-34s%-14s %-30s %s\n' nvme0n1p1 "72.0 MiB" DESKTOP-2KGM189 \
		"1 faulty file" Windows "" "QEMU NVMe Ctrl serial BOOTFIX1"
	for _ in $(seq 5 47); do echo; done
	echo "$D160"
	echo " Enter fix  d details  r restore  l log  s scan  p power  ? help"
} | expect tty1-list 50
{
	printf ' %-149s%s\n\n' "bootfix $V - confirm" "? = help"
	echo " Fix DESKTOP-2KGM189 on /dev/nvme0n1p1?"
	echo
	printf "%s\n" ' These files will be moved to \bootfix-quarantine on the same volume.'
	echo ' Nothing is deleted; "restore" puts them back.'
	echo
	echo "   C-00000291-00000000-00000032.sys      41024 bytes  2024-07-19T04:09:00Z"
	for _ in $(seq 8 45); do echo; done
	echo "  [ Fix ]   [ Cancel ]"
	echo
	echo "$D160"
	echo " Enter = choose  Left/Right/Tab = move  Esc = cancel"
} | expect tty1-confirm 50
# the second fix, on tty1: the disk was fixed from the serial console,
# whose menu then made the stick read-only (the machine is done)
{
	printf ' %-149s%s\n\n' "bootfix $V - result" "? = help"
	echo " ? NOTHING TO FIX  DESKTOP-2KGM189 (nvme0n1p1)"
	echo
	echo " no faulty files"
	for _ in $(seq 5 43); do echo; done
	echo " Log: cannot write log /data/logs/bootfix.jsonl: read-only file system"
	echo
	echo " ! The record was NOT saved: keep the stick in (shown when the menu ends)."
	echo " Enter = back to the list"
	echo "$D160"
	echo " Enter = continue  p = power off / reboot"
} | expect tty1-result 50

test_expect_success 'setup: the demo disk (scripts/mkdemo-disk), the image, tmux' '
	test -f "$IMAGE" && command -v tmux && command -v qemu-system-x86_64 &&
	"$TOP/scripts/mkdemo-disk" win.img
'

test_expect_success 'the menu comes up with the serial console on an 80x24 tmux pane' '
	tm new-session -d -x 80 -y 24 -c "$TRASH" "while [ ! -e go ]; do sleep 0.1; done; \
		$QEMU --qmp $QMP_SOCK --firmware uefi-sb --snapshot --disk nvme:win.img $IMAGE; \
		echo qemu-exit=\$?; sleep 600" &&
	tm pipe-pane -o "cat >> $TRASH/serial.log" && date +%s > boot.start && touch go &&
	serial_wait "bootfix: menu ready" && test -S "$QMP_SOCK"
'

test_expect_success 'the list on the serial console: whole and right, "menu ready" not in it' '
	serial_screen list 120 &&
	test "$(grep -a -c "bootfix: menu ready" serial.log)" = 1
'

test_expect_success 'the list on tty1 (screendump)' '
	tty1_screen tty1-list
'

test_expect_success 'Enter on both consoles: the confirm screens' '
	tm send-keys Enter && serial_screen confirm &&
	tty1_key ret && tty1_screen tty1-confirm
'

test_expect_success 'Enter on the serial console: fixed, the result screen whole and right' '
	tm send-keys Enter && serial_screen result 180 &&
	! grep -a -q "audit record not written" serial.log
'

test_expect_success 'Enter on tty1 then: nothing left to fix, its result screen' '
	tty1_key ret && tty1_screen tty1-result 180
'

test_expect_success 'the dumps: 1280x800, one per screen, each different; PNGs kept' '
	for s in list confirm result; do
		head -n 3 tty1-$s.ppm | tr "\n" " " | grep -x "P6 1280 800 255 " &&
		head -c 8 "$KEEP/t0130-tty1-$s.png" | od -c | grep -F "P   N   G" || echo "bad $s"
	done > dumps && ! grep "^bad" dumps &&
	! cmp -s tty1-list.ppm tty1-confirm.ppm && ! cmp -s tty1-confirm.ppm tty1-result.ppm &&
	! cmp -s tty1-list.ppm tty1-result.ppm
'
test_done
