#!/bin/bash
# The stick is pulled out while it fixes a machine.  A crashed Windows
# (scripts/mkdemo-disk with 100 faulty channel files) boots from a stick
# set to unattended; the stick is removed with qemu's device_del of its
# usb-storage device, once while the files move on the Windows volume and
# once while they are being copied to the stick.  Each time bootfix neither
# crashes nor hangs: the serial console shows the audit record it could
# not write ("audit record not written; here it is:", the same run as the
# begun record left on the stick) and its one-line result, and the machine
# waits instead of powering off; the Windows volume is consistent (mounts,
# every file quarantined once with its bytes, none half-moved, manifest
# exact).
. "$(dirname "$0")/lib-faults.sh"

N=100

test_expect_success "setup: a crashed Windows with $N faulty channel files, a stick set to unattended" '
	faulty_disk win.img $N &&
	cp --sparse=always win.img win2.img &&
	stick_copy stick.img &&
	set_conf stick.img "mode = auto" "countdown = 0" "operator = ci" "site = pulled" &&
	cp stick.img stick2.img
'

# after_pull NAME STICK DISK: what the user sees once the stick is gone
after_pull() {
	local name=$1 stick=$2 disk=$3
	wait_for $name "bootfix: auto (fixed|nothing-to-fix|not-fixed)" 300 &&
	tr -d "\r" < $name.log | grep -a "^bootfix: \(auto\|audit\)" &&
	grep -a -q "bootfix: audit record not written; here it is:" $name.log &&
	grep -a -q "bootfix: auto fixed computer=DESKTOP-2KGM189 .*; log cannot write log /data/logs/bootfix.jsonl: " $name.log &&
	serial_record $name $name.record &&
	sleep 5 && boot_running $name &&
	! grep -a -q "unattended run ended" $name.log &&
	boot_stop $name &&
	{ python3 -c "
import json, sys
r = json.load(open(\"$name.record\"))
assert r[\"outcome\"] == \"fixed\" and not r.get(\"stage\"), (r[\"outcome\"], r.get(\"stage\"))
f = [f for v in r[\"volumes\"] for f in v.get(\"findings\", []) if f.get(\"verdict\") == \"faulty\"]
assert len(f) == $N, len(f)
bad = [x for x in f if not x.get(\"done\") or not x[\"result\"].startswith(\"quarantined\")]
assert not bad, bad[:2]
print(\"#\", sum(x[\"result\"] == \"quarantined\" for x in f), \"copied to the stick before the pull\")
print(\"#\", sorted(set(x[\"result\"] for x in f if x[\"result\"] != \"quarantined\"))[:3])
" > $name.summary; rc=$?; cat $name.summary; test $rc = 0; } &&
	look_ro $disk w &&
	{ check_files w win.img.sha exact $name.map > $name.check; rc=$?; cat $name.check; test $rc = 0; } &&
	grep -q "^in place 0, in quarantine $N, in 1 folder(s)$" $name.check &&
	(cd w/bootfix-quarantine/* && sha256sum --quiet -c manifest.txt) &&
	look_done w $name.map &&
	stick_log $stick $name-data &&
	"$BOOTFIX" log list $name-data/bootfix.jsonl > $name.list && cat $name.list &&
	test "$(grep -vc "^LINE " $name.list)" = 1 && grep -q " interrupted$" $name.list &&
	test "$(python3 -c "import json; print(json.load(open(\"$name.record\"))[\"run\"])")" = \
	     "$(python3 -c "import json; print(json.loads(open(\"$name-data/bootfix.jsonl\").readline())[\"run\"])")"
}

test_expect_success 'stick pulled while the files move: no crash, record on the serial console, volume consistent' '
	fault_boot moving --firmware uefi-sb --disk nvme:win.img stick.img &&
	wait_for moving "bootfix: unattended fix starting" &&
	until_writes moving disk1 250 &&
	pull_stick moving &&
	after_pull moving stick.img win.img &&
	grep -q "^# 0 copied to the stick before the pull" moving.summary
'
look_done w 2>/dev/null

test_expect_success 'stick pulled while copying to it: no crash, record on the serial console, volume consistent' '
	fault_boot copying --firmware uefi-sb --disk nvme:win2.img stick2.img &&
	wait_for copying "bootfix: unattended fix starting" &&
	until_writes copying disk1 50 &&
	s0=$(disk_stat copying stick wr_operations) &&
	until_writes copying stick $((s0 + 150)) &&
	pull_stick copying &&
	after_pull copying stick2.img win2.img &&
	grep -q "^# [1-9][0-9]* copied to the stick before the pull" copying.summary
'
look_done w 2>/dev/null

test_done
