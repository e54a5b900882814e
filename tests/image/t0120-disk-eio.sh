#!/bin/bash
# The Windows disk fails some reads and writes (qemu's blkdebug under the
# NVMe disk injects EIO at chosen sectors, found on this host by content).
# A crashed Windows (scripts/mkdemo-disk with 60 faulty channel files)
# boots from a stick set to unattended, twice:
#   reads   the bytes of two faulty files cannot be read: they cannot be
#           judged, so the volume is left untouched and the result is NOT
#           FIXED, each of the two with "cannot read it: Input/output error"
#           in the record's findings; the disk is unchanged
#   writes  the MFT record of one faulty file cannot be written (its 4 KiB
#           page, with three neighbours' records): the renames of those
#           files cannot reach the disk.  bootfix must not call them
#           quarantined: each is reported with its I/O error and the result
#           is NOT FIXED; every file is in place or in quarantine with its
#           bytes, and each file bootfix calls quarantined is wholly in
#           quarantine (its MFT record names the folder that lists it)
# Both times bootfix finishes (result line, power off by itself) instead of
# crashing or hanging, and the stick's log verifies.
. "$(dirname "$0")/lib-faults.sh"

N=60
R1=C-00000291-00000000-00000120.sys R2=C-00000291-00000000-00000140.sys
W=C-00000291-00000000-00000150.sys

test_expect_success "setup: a crashed Windows with $N faulty channel files; where two files' bytes and one MFT record lie" '
	faulty_disk win.img $N &&
	look_ro win.img w && sectors win.img w $R1 $R2 $W > where && look_done w && cat where &&
	read -r _ r1 _ < <(grep "^$R1 " where) && read -r _ r2 _ < <(grep "^$R2 " where) &&
	read -r _ _ mw < <(grep "^$W " where) &&
	printf "[inject-error]\nevent = \"read_aio\"\niotype = \"read\"\nsector = \"%s\"\n\n" $r1 $r2 > reads.conf &&
	printf "[inject-error]\nevent = \"write_aio\"\niotype = \"write\"\nsector = \"%s\"\n" $mw > writes.conf &&
	image_sha win.img > win.sha &&
	stick_copy stick.img &&
	set_conf stick.img "mode = auto" "countdown = 0" "operator = ci" "site = eio"
'

# findings NAME : the last record on the stick, one line per faulty file:
# "name verdict done result | why"
findings() {
	stick_log stick.img $1-data &&
	python3 -c "
import json, sys
r = json.loads(open(\"$1-data/bootfix.jsonl\").read().splitlines()[-1])
print(\"# outcome:\", r[\"outcome\"], \"-\", r.get(\"reason\"))
for v in r[\"volumes\"]:
    for f in v.get(\"findings\", []):
        if f[\"path\"].split(\"\\\\\")[-1].startswith(\"C-00000291\"):
            print(f[\"path\"].split(\"\\\\\")[-1], f[\"verdict\"], f.get(\"done\", False),
                  f.get(\"result\") or f.get(\"why\"), \"|\", f.get(\"why\"))
" > $1.findings
}

test_expect_success 'reads fail: NOT FIXED, the two files unknown with their reason, the disk untouched' '
	fault_boot reads --blkdebug disk1=$TRASH/reads.conf --firmware uefi-sb --disk nvme:win.img stick.img &&
	wait_for reads "bootfix: auto (fixed|nothing-to-fix|not-fixed)" 300 &&
	tr -d "\r" < reads.log | grep -a "bootfix: auto " &&
	grep -a -E "I/O Error|critical medium error|I/O error" reads.log | head -n 3 &&
	grep -a -q "bootfix: auto not-fixed computer=DESKTOP-2KGM189 .*Input/output error" reads.log &&
	wait_poweroff reads 120 &&
	test "$(image_sha win.img)" = "$(cat win.sha)" &&
	findings reads && cat reads.findings &&
	grep -q "^$R1 unknown False .* | cannot read it: Input/output error$" reads.findings &&
	grep -q "^$R2 unknown False .* | cannot read it: Input/output error$" reads.findings &&
	test "$(grep -c " faulty False left in place: another file on this volume needs a decision" reads.findings)" = $((N - 2)) &&
	"$BOOTFIX" log verify reads-data/bootfix.jsonl
'

test_expect_success 'writes fail: bootfix finishes, powers off, says NOT FIXED' '
	fault_boot writes --blkdebug disk1=$TRASH/writes.conf --firmware uefi-sb --disk nvme:win.img stick.img &&
	wait_for writes "bootfix: auto (fixed|nothing-to-fix|not-fixed)" 300 &&
	tr -d "\r" < writes.log | grep -a -E "bootfix: auto |error, dev nvme0n1, sector" | sort | uniq -c &&
	grep -a -q "error, dev nvme0n1, sector [0-9]* op 0x1:(WRITE)" writes.log &&
	wait_poweroff writes 120 &&
	findings writes && head -n 1 writes.findings &&
	grep -a -q "bootfix: auto not-fixed computer=DESKTOP-2KGM189 " writes.log
'

test_expect_success 'writes fail: every file in place or in quarantine with its bytes' '
	look_ro win.img w &&
	{ check_files w win.img.sha any writes.map > writes.check; rc=$?; cat writes.check; test $rc = 0; } &&
	look_done w writes.map > writes.parents; cat writes.parents; look_done w
'
look_done w 2>/dev/null

test_expect_success 'writes fail: the file whose MFT record was lost is reported with its I/O error, and no file called quarantined is half-moved' '
	grep "^$W " writes.findings &&
	grep -q "^$W faulty False .*Input/output error" writes.findings &&
	( ok=0
	  for n in $(sed -n "s/^half-moved: \([^ ]*\) .*/\1/p" writes.parents); do
		if grep -q "^$n faulty True quarantined " writes.findings; then
			echo "reported quarantined, but half-moved on the disk: $(grep "^half-moved: $n " writes.parents)"
			ok=1
		fi
	  done
	  exit $ok )
'

test_expect_success 'the stick log verifies; both runs have their final record' '
	"$BOOTFIX" log verify writes-data/bootfix.jsonl &&
	"$BOOTFIX" log list writes-data/bootfix.jsonl > eio.list && cat eio.list &&
	test "$(grep -vc "^LINE " eio.list)" = 2 && ! grep -q " interrupted$" eio.list
'

test_done
