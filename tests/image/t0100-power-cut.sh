#!/bin/bash
# The power goes off while the stick fixes a machine.  A crashed Windows
# (scripts/mkdemo-disk: GPT, NTFS, the real hive) with 500 faulty channel
# files boots from a stick set to unattended; once the fix is moving files
# (the Windows disk's write count in qemu's block statistics passes a
# random point; the begun record is on the stick before the first move) qemu is killed
# with SIGKILL: what the guest had not written out is lost, as in a power
# cut.  On this host: the volume mounts, every file is in place or in
# quarantine with its bytes (none lost, none twice, and none half-moved:
# each file's MFT record names the folder that lists it), the manifest
# lists the moved files but for at most the one in flight; the stick's log
# verifies and shows the run as interrupted.  Booted again, unattended: the run
# completes, the cut manifest is made exact, the log has the final record.
# CUT_AT=N picks the write count to cut at (printed on each run).
. "$(dirname "$0")/lib-faults.sh"

N=500
CUT_AT=${CUT_AT:-$((300 + RANDOM % 3000))}	# a 500-file fix writes about 4800 times

test_expect_success "setup: a crashed Windows with $N faulty channel files, a stick set to unattended" '
	faulty_disk win.img $N &&
	stick_copy stick.img &&
	set_conf stick.img "mode = auto" "countdown = 0" "operator = ci" "site = power-cut"
'

test_expect_success "boots unattended; the power goes off while files move (write $CUT_AT)" '
	echo "# cutting at the Windows disk write $CUT_AT" &&
	fault_boot cut --firmware uefi-sb --disk nvme:win.img stick.img &&
	wait_for cut "bootfix: unattended fix starting" &&
	until_writes cut disk1 $CUT_AT 400 &&
	power_cut cut &&
	! grep -a "bootfix: auto " cut.log
'

test_expect_success 'the Windows volume mounts; every file in place or in quarantine intact, none half-moved; manifest exact but for the one in flight' '
	look_ro win.img w &&
	{ check_files w win.img.sha cut cut.map > cut.check; rc=$?; cat cut.check; test $rc = 0; } &&
	test "$(ls w/bootfix-quarantine | wc -l)" = 1 &&
	! grep -q "^# end:" w/bootfix-quarantine/*/manifest.txt &&
	grep -q "^in place [0-9]*, in quarantine [1-9]" cut.check &&
	if grep -q "^SHA256 " w/bootfix-quarantine/*/manifest.txt; then
		(cd w/bootfix-quarantine/* && sha256sum --quiet -c manifest.txt)
	fi &&
	test -e w/$CS_DIR/C-00000290-00000000-00000001.sys &&
	look_done w cut.map
'
look_done w 2>/dev/null

test_expect_success 'the stick: the log verifies and shows the run as interrupted' '
	stick_log stick.img cut-data &&
	mdir -i "stick.img@@$DATA_OFFSET" ::/logs | grep -i "bootfix" &&
	{ "$BOOTFIX" log verify cut-data/bootfix.jsonl > cut.verify; rc=$?; cat cut.verify; test $rc = 0; } &&
	grep -q ": intact" cut.verify &&
	"$BOOTFIX" log list cut-data/bootfix.jsonl > cut.list && cat cut.list &&
	test "$(grep -vc "^LINE " cut.list)" = 1 &&
	grep -q " interrupted$" cut.list &&
	grep -q "DESKTOP-2KGM189" cut.list
'

test_expect_success 'booted again, unattended: the fix completes and powers off' '
	boot_start again --firmware uefi-sb --disk nvme:win.img stick.img &&
	wait_for again "bootfix: auto (fixed|nothing-to-fix|not-fixed)" 400 &&
	grep -a "bootfix: auto " again.log | tr -d "\r" &&
	grep -a -q "bootfix: auto fixed computer=DESKTOP-2KGM189" again.log &&
	wait_poweroff again 400
'

test_expect_success "all $N files quarantined with their bytes, none half-moved; both manifests exact" '
	look_ro win.img w &&
	{ check_files w win.img.sha exact again.map > again.check; rc=$?; cat again.check; test $rc = 0; } &&
	grep -q "^in place 0, in quarantine $N, in 2 folder(s)$" again.check &&
	( for q in w/bootfix-quarantine/*/; do
		(cd $q && sha256sum --quiet -c manifest.txt) || exit 1
	done ) &&
	first=$(ls w/bootfix-quarantine | head -n1) &&
	grep -q "^# end: repaired after an interruption, [01] lines* added$" \
		w/bootfix-quarantine/$first/manifest.txt &&
	grep -q "^# end: [0-9]* moved, 0 left in place" \
		w/bootfix-quarantine/$(ls w/bootfix-quarantine | tail -n1)/manifest.txt &&
	test -e w/$CS_DIR/C-00000290-00000000-00000001.sys &&
	look_done w again.map
'
look_done w 2>/dev/null

test_expect_success 'the log: the cut run interrupted, the second fixed with its final record; verifies' '
	stick_log stick.img again-data &&
	{ "$BOOTFIX" log verify again-data/bootfix.jsonl > again.verify; rc=$?; cat again.verify; test $rc = 0; } &&
	grep -q ": intact" again.verify &&
	"$BOOTFIX" log list again-data/bootfix.jsonl > again.list && cat again.list &&
	test "$(grep -vc "^LINE " again.list)" = 2 &&
	grep -v "^LINE " again.list | head -n1 | grep -q " interrupted$" &&
	tail -n1 again.list | grep -q " fixed$" &&
	python3 -c "
import json
rs = [json.loads(l) for l in open(\"again-data/bootfix.jsonl\")]
st = [(r.get(\"stage\"), r[\"run\"]) for r in rs]
assert len(rs) == 3 and st[0][0] == \"begun\" and st[1][0] == \"begun\" and st[2][0] is None, st
assert st[1][1] == st[2][1] != st[0][1], st
" &&
	cmp cut-data/bootfix.jsonl <(head -n1 again-data/bootfix.jsonl)
'

test_done
