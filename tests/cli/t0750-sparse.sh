#!/bin/bash
# Huge and sparse files: NTFS allows a sparse file of terabytes, all holes.
# Above a rule's max-size (default 256 MiB) a file is not read at all: its
# verdict is unknown, with the reason.  Below it, holes are not read either:
# a sparse all-zero file is judged all-zero from its allocation alone.
# Bytes read are measured (rchar of bootfix and its ntfs-3g children).
. "$(dirname "$0")/../lib.sh"

BIG=C-00000291-00000000-00000064.sys
MID=C-00000291-00000000-00000100.sys

# read_bytes OUT CMD...: run CMD, its stdout to OUT; print the bytes it and
# its children read, and the seconds it took (a figure, not a limit)
read_bytes() {
	python3 - "$@" <<-'PY'
	import os, subprocess, sys, time
	out = open(sys.argv[1], "w")
	t = time.time()
	rc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT).returncode
	io = dict(l.split(": ") for l in open("/proc/self/io").read().splitlines())
	print(io["rchar"], "%.2f" % (time.time() - t), rc)
	PY
}

test_expect_success 'setup: a 64 GiB sparse all-zero channel file on a 32 MiB volume' '
	make_disk d.img gpt 40 32 && dev=$(attach d.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && mkdir -p w/$CS_DIR &&
	truncate -s 64G w/$CS_DIR/$BIG && touch -d "$FAULTY_TIME" w/$CS_DIR/$BIG &&
	stat -c "%s bytes, %b blocks" w/$CS_DIR/$BIG &&
	ntfs_umount w && losetup -d $dev
'

test_expect_success 'scan: verdict unknown (larger than max-size), not read' '
	set -- $(read_bytes s.out $BOOTFIX scan --device d.img) &&
	cat s.out && echo "scan of a 64 GiB sparse file: $1 bytes read in $2 s (exit $3)" &&
	test $3 = 0 && test $1 -lt $((64 << 20)) &&
	grep -F "unknown Windows\\System32\\drivers\\CrowdStrike\\$BIG  68719476736 bytes" s.out &&
	grep -F "why: 68719476736 bytes, larger than the rules'"'"' max-size of 268435456: not read" s.out
'

test_expect_success 'unattended: NOT FIXED with that reason, volume untouched' '
	mkdir -p data && before=$(image_sha d.img) &&
	expect_exit 1 $BOOTFIX auto --device d.img --data data > a.out 2>&1 && cat a.out &&
	grep -F "larger than the rules'"'"' max-size" a.out &&
	test "$(image_sha d.img)" = "$before"
'

test_expect_success 'a rule with a higher max-size: a 100 MiB sparse zero file judged without reading it' '
	dev=$(attach d.img) && ntfs_mount ${dev}p1 w && rm w/$CS_DIR/$BIG &&
	truncate -s 100M w/$CS_DIR/$MID && touch -d "$FAULTY_TIME" w/$CS_DIR/$MID &&
	ntfs_umount w && losetup -d $dev &&
	mkdir -p r && cat > r/zero.rules <<-EOF &&
	[zero-big]
	directory = Windows\\System32\\drivers\\CrowdStrike
	name = C-00000291*.sys
	max-size = 200M
	content = all-zero
	verdict = faulty
	EOF
	BOOTFIX_RULES_DIR=$TRASH/r read_bytes z.out $BOOTFIX scan --device d.img > z.fig &&
	set -- $(cat z.fig) && cat z.out &&
	echo "scan of a 100 MiB sparse file: $1 bytes read in $2 s (exit $3)" &&
	test $3 = 1 && test $1 -lt $((20 << 20)) &&
	grep -F "faulty  Windows\\System32\\drivers\\CrowdStrike\\$MID  104857600 bytes" z.out &&
	grep -F "[zero-big]" z.out
'

test_expect_success 'fix reads a judged file once: the read-write look reuses the read-only one' '
	make_disk dense.img gpt 120 100 && dev=$(attach dense.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	channel_file w C-00000291-00000000-00000032.sys "$FAULTY_TIME" random $((48 << 20)) &&
	ntfs_umount w && losetup -d $dev &&
	read_bytes base.out $BOOTFIX scan --device dense.img > base.fig &&
	read_bytes fix.out $BOOTFIX fix --device dense.img > fix.fig &&
	set -- $(cat base.fig) $(cat fix.fig) && cat fix.out &&
	echo "scan of a 48 MiB file: $1 bytes read; fix: $4 bytes read (bootfix and ntfs-3g)" &&
	test $3 = 1 && test $6 = 0 &&
	# the scan read it once (through ntfs-3g: twice in rchar); the fix, with a
	# read-only and a read-write look, must not read more than the scan did
	test $4 -lt $(($1 + (8 << 20)))
'

test_expect_success 'many files just under max-size: one look reads at most 4 GiB, the rest unknown' '
	make_disk many.img gpt 120 100 && dev=$(attach many.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && mkdir -p w/$CS_DIR &&
	for i in $(seq 10 29); do
		f=w/$CS_DIR/C-00000291-00000000-000000$i.sys &&
		truncate -s 255M $f && printf x | dd of=$f bs=1 seek=$(((255 << 20) - 1)) conv=notrunc 2>/dev/null &&
		touch -d "$FAULTY_TIME" $f || exit 1
	done &&
	ntfs_umount w && losetup -d $dev &&
	read_bytes m.out $BOOTFIX scan --device many.img > m.fig && set -- $(cat m.fig) &&
	echo "scan of 20 files of 255 MiB: $1 bytes read in $2 s" &&
	test $(grep -c "why: not read: this look at the volume already read 4 GiB" m.out) = 4 &&
	test $1 -lt $(((4 << 30) * 2 + (64 << 20)))
'

test_expect_success 'max-size must be a size' '
	printf "[x]\ndirectory = a\nname = b\nmax-size = -5\nverdict = faulty\n" > bad.rules &&
	expect_exit 2 $BOOTFIX rules check bad.rules 2> err && cat err &&
	grep -F "bad.rules:4: max-size must be a positive number of bytes, or with K, M or G: -5" err
'

test_done
