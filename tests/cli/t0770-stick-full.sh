#!/bin/bash
# A nearly full stick: the copies of quarantined files never take the room
# the audit log needs.  A copy that would leave less than 4 MiB free is
# skipped with a note; the records are written; the stick's manifest lists
# exactly the copies that were made.
. "$(dirname "$0")/../lib.sh"

N=12

test_expect_success 'setup: twelve faulty files of 1 MiB, a stick of 8 MiB' '
	make_disk d.img gpt 60 48 && dev=$(attach d.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	for i in $(seq 1 $N); do
		channel_file w C-00000291-00000000-$(printf %08d $i).sys "$FAULTY_TIME" random 1048576 || exit 1
	done &&
	ntfs_umount w && losetup -d $dev &&
	mkdir stick && mount -t tmpfs -o size=8m tmpfs stick && mkdir stick/data
'

test_expect_success 'fix: every file quarantined on the volume; copies stop before the log'"'"'s room' '
	expect_exit 0 $BOOTFIX fix --device d.img --data stick/data > f.out 2> f.err &&
	cat f.err && grep -q "$N faulty files found, $N quarantined" f.out &&
	skipped=$(grep -c "quarantined; no copy on the stick: it would leave less than 4 MiB free there for the audit log" f.out) &&
	echo "skipped $skipped of $N" && test $skipped -gt 0 && test $skipped -lt $N &&
	grep -Fx "bootfix: record 2 written to stick/data/logs/bootfix.jsonl" f.err &&
	expect_exit 0 $BOOTFIX log verify stick/data/logs/bootfix.jsonl &&
	df -k stick | tail -n1
'

test_expect_success 'the stick manifest lists exactly the copies made, and they check' '
	q=$(ls -d stick/data/quarantine/*/*) &&
	copies=$(find $q -name "*.sys" | wc -l) &&
	test $copies = $((N - $(grep -c "no copy on the stick" f.out))) &&
	test $(grep -c "^SHA256 " $q/manifest.txt) = $copies &&
	(cd $q && sha256sum --quiet -c manifest.txt)
'

test_done
