#!/bin/bash
# The audit record of a real fix on NTFS: one final line per run of fix or
# restore in DATA/logs/bootfix.jsonl, naming the machine, the Windows
# install from its SYSTEM hive, the rules, what was found and done.  A run
# that changes the volume writes a "begun" line first (write-ahead: stage
# begun, the same run id, outcome interrupted until the final line follows).
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys
LOG=data/logs/bootfix.jsonl

test_expect_success 'setup: GPT disk, Windows with the real hive and a faulty channel file' '
	make_disk disk.img gpt 40 32 &&
	dev=$(attach disk.img) &&
	ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w &&
	channel_file w $F291 "$FAULTY_TIME" &&
	sha256sum w/$CS_DIR/$F291 | cut -c1-64 > faulty.sha &&
	ntfs_umount w && losetup -d $dev &&
	mkdir -p data && printf "operator = Ana Lima\r\nsite = Ward 3\r\ncolour = blue\r\n" > data/bootfix.conf
'

test_expect_success 'fix writes the log and says so; bootfix.conf problems are warnings' '
	expect_exit 0 $BOOTFIX fix --device disk.img --data data > fix.out 2> fix.err &&
	cat fix.err &&
	grep -Fx "bootfix: record 2 written to $LOG" fix.err &&
	grep -F "bootfix: warning: data/bootfix.conf:3: unknown key '"'"'colour'"'"' (ignored)" fix.err &&
	test $(wc -l < $LOG) = 2 && test -s $LOG.head
'

test_expect_success 'the begun record comes first: stage begun, outcome interrupted, chain start' '
	python3 - <<-PY
	import json, re
	lines = open("$LOG", "rb").read().split(b"\n")
	b, r = json.loads(lines[0]), json.loads(lines[1])
	assert b["stage"] == "begun" and b["action"] == "fix" and b["mode"] == "cli", b
	assert re.fullmatch("[0-9a-f]{32}", b["run"]) and r["run"] == b["run"], (b, r)
	assert "stage" not in r, r
	assert b["outcome"] == "interrupted", b
	assert b["reason"].startswith("the fix began and no final record followed"), b
	assert b["seq"] == 1 and b["prev"] == "0" * 64, b
	assert b["operator"] == "Ana Lima" and b["site"] == "Ward 3", b
	PY
'

test_expect_success 'the final record names the machine, the install, the rules and what was done' '
	sha256sum "$TOP/rules/crowdstrike-2024-07-19.rules" | cut -c1-64 > rules.sha &&
	python3 - <<-PY
	import json, os, glob, hashlib
	lines = open("$LOG", "rb").read().split(b"\n")
	r = json.loads(lines[1])
	assert r["schema"] == 1 and r["tool"] == "bootfix" and r["action"] == "fix", r
	assert r["mode"] == "cli" and r["seq"] == 2, r
	assert r["prev"] == hashlib.sha256(lines[0]).hexdigest(), r
	assert r["operator"] == "Ana Lima" and r["site"] == "Ward 3", r
	assert r["time"].endswith("Z") and len(r["time"]) == 20, r["time"]
	assert r["rules"] == [{"id": "crowdstrike-2024-07-19",
	                       "sha256": open("rules.sha").read().strip()}], r["rules"]
	m = r["machine"]
	dmi = "/sys/class/dmi/id"
	for f in ("sys_vendor", "product_name", "product_serial", "product_uuid",
	          "board_serial", "bios_version"):
	    try:
	        want = open(os.path.join(dmi, f)).read().strip() or None
	    except OSError:
	        want = None
	    assert m.get(f) == want, (f, m.get(f), want)
	nics = sorted(os.path.basename(p) for p in glob.glob("/sys/class/net/*")
	              if os.path.basename(p) != "lo"
	              and open(p + "/address").read().strip().strip("0:"))
	assert [n["name"] for n in m["nics"]] == nics, (m["nics"], nics)
	for n in m["nics"]:
	    assert n["mac"] == open("/sys/class/net/%s/address" % n["name"]).read().strip()
	virt = ("loop", "ram", "zram", "dm-", "md", "sr", "fd", "nbd")
	hw = sorted(d for d in os.listdir("/sys/block") if not d.startswith(virt))
	assert [d["name"] for d in m["disks"]] == hw, (m["disks"], hw)
	for d in m["disks"]:
	    size = int(open("/sys/block/%s/size" % d["name"]).read()) * 512
	    assert d.get("size", 0) == size, (d, size)
	v = r["volumes"]
	assert len(v) == 1 and v[0]["windows"] and v[0]["computer_name"] == "DESKTOP-2KGM189", v
	f = v[0]["findings"][0]
	assert f["path"] == "Windows\\\\System32\\\\drivers\\\\CrowdStrike\\\\$F291", f
	assert f["size"] == 41024 and f["sha256"] == open("faulty.sha").read().strip(), f
	assert f["mtime"] == "2024-07-19T04:09:00Z" and f["rule"] == "cs-291-faulty", f
	assert f["verdict"] == "faulty" and f["action"] == "quarantine", f
	assert f["result"] == "quarantined" and f["done"] is True, f
	mf = r["manifests"][0]
	assert mf["volume"].startswith("\\\\bootfix-quarantine\\\\"), mf
	assert mf["volume"].endswith("\\\\manifest.txt"), mf
	assert os.path.isfile("data/" + mf["stick"]), mf
	assert mf["stick"].startswith("quarantine/DESKTOP-2KGM189/"), mf
	assert r["outcome"] == "fixed" and "1 faulty file quarantined" in r["reason"], r
	assert r["bitlocker"] == [] and isinstance(r["duration_ms"], int), r
	assert list(r)[-1] == "prev", list(r)
	PY
'

test_expect_success 'log verify, list and show read it back' '
	expect_exit 0 $BOOTFIX log verify $LOG > verify.out &&
	grep -Fx "$LOG: intact: 2 records" verify.out &&
	$BOOTFIX log list $LOG > list.out && cat list.out &&
	test $(wc -l < list.out) = 2 &&
	head -n1 list.out | grep -E "^LINE +TIME +COMPUTER +SERIAL +SITE +ACTION +OUTCOME$" &&
	sed -n 2p list.out | grep -E "^2 +20[0-9-]+T[0-9:]+Z +DESKTOP-2KGM189 +.* +Ward 3 +fix +fixed$" &&
	$BOOTFIX log show --computer desktop-2kgm189 $LOG > show.out &&
	python3 -c "import json; r = json.load(open(\"show.out\")); assert r[\"seq\"] == 2" &&
	$BOOTFIX log show $LOG 2 | cmp - show.out &&
	$BOOTFIX log show $LOG 1 > begun.out &&
	python3 -c "import json; r = json.load(open(\"begun.out\"))
assert (r[\"seq\"], r[\"stage\"], r[\"outcome\"]) == (1, \"begun\", \"interrupted\"), r"
'

test_expect_success 'a fix with nothing to do is recorded too (one record, no begun), chained, like --json says' '
	expect_exit 0 $BOOTFIX fix --device disk.img --data data --json > again.json 2> again.err &&
	grep -Fx "bootfix: record 3 written to $LOG" again.err &&
	test $(wc -l < $LOG) = 3 &&
	python3 - <<-PY
	import json, hashlib
	lines = open("$LOG", "rb").read().split(b"\n")
	r = json.loads(lines[2])
	assert r["seq"] == 3 and r["prev"] == hashlib.sha256(lines[1]).hexdigest(), r
	assert "stage" not in r and r["run"] != json.loads(lines[1])["run"], r
	assert r["outcome"] == "nothing-to-fix" and r["reason"] == "no faulty files", r
	j = json.load(open("again.json"))
	assert r["volumes"] == j["volumes"], (r["volumes"], j["volumes"])
	PY
'

test_expect_success 'a dry run writes no record' '
	cp $LOG before.jsonl &&
	channel_file_on_image() { dev=$(attach disk.img) && ntfs_mount ${dev}p1 w &&
		channel_file w $F291 "$FAULTY_TIME" && ntfs_umount w && losetup -d $dev; } &&
	channel_file_on_image &&
	expect_exit 1 $BOOTFIX fix --device disk.img --data data --dry-run > dry.out 2> dry.err &&
	! grep -F "log" dry.err &&
	cmp before.jsonl $LOG
'

test_expect_success 'command-line operator and site win over bootfix.conf' '
	expect_exit 0 $BOOTFIX fix --device disk.img --data data --operator "Bo" --site "ICU" \
		> fix3.out 2> fix3.err &&
	test $(wc -l < $LOG) = 5 &&
	tail -n2 $LOG | python3 -c "import json,sys; b, r = map(json.loads, sys.stdin)
assert (b[\"stage\"], b[\"run\"], b[\"seq\"]) == (\"begun\", r[\"run\"], 4), b
assert (b[\"operator\"], b[\"site\"]) == (\"Bo\", \"ICU\"), b
assert (r[\"operator\"], r[\"site\"], r[\"outcome\"], r[\"seq\"]) == (\"Bo\", \"ICU\", \"fixed\", 5), r"
'

test_expect_success 'restore writes a record with action restore (here: one of two refused)' '
	expect_exit 1 $BOOTFIX restore --device disk.img --data data > restore.out 2> restore.err &&
	grep -Fx "bootfix: record 7 written to $LOG" restore.err &&
	test $(wc -l < $LOG) = 7 &&
	tail -n2 $LOG | python3 -c "import json,sys; b, r = map(json.loads, sys.stdin)
assert (b[\"stage\"], b[\"action\"], b[\"seq\"], b[\"run\"]) == (\"begun\", \"restore\", 6, r[\"run\"]), b
assert b[\"outcome\"] == \"interrupted\" and \"stage\" not in r, (b, r)
assert r[\"action\"] == \"restore\" and r[\"seq\"] == 7, r
assert r[\"outcome\"] == \"failed\", r
assert r[\"reason\"].endswith(\": 1 of 2 quarantined files not restored\"), r
f = r[\"volumes\"][0][\"findings\"]
assert [(x[\"action\"], x[\"done\"]) for x in f] == [(\"restore\", True), (\"restore\", False)], f
assert f[1][\"result\"].startswith(\"refused: \"), f" &&
	expect_exit 0 $BOOTFIX log verify $LOG
'

test_expect_success '--log FILE writes there; without --data or --log there is no log, said once' '
	expect_exit 0 $BOOTFIX fix --device disk.img --log other.jsonl > o.out 2> o.err &&
	grep -Fx "bootfix: record 2 written to other.jsonl" o.err &&
	expect_exit 0 $BOOTFIX log verify other.jsonl &&
	expect_exit 0 $BOOTFIX fix --device disk.img > n.out 2> n.err &&
	grep -Fx "bootfix: no audit log written (give --data DIR or --log FILE)" n.err &&
	expect_exit 2 $BOOTFIX scan --device disk.img --log x.jsonl
'

test_expect_success 'a target that cannot be examined: one error line, a failed record' '
	expect_exit 3 $BOOTFIX fix --device nope.img > e.out 2> e.err && cat e.err &&
	test $(wc -l < e.err) = 1 &&
	expect_exit 3 $BOOTFIX fix --device nope.img --log failed.jsonl > e.out 2> e.err &&
	grep -F "bootfix: cannot use nope.img: No such file" e.err &&
	grep -Fx "bootfix: record 1 written to failed.jsonl" e.err &&
	python3 -c "import json; r = json.load(open(\"failed.jsonl\"))
assert r[\"outcome\"] == \"failed\" and r[\"reason\"].startswith(\"cannot use nope.img\"), r
assert r[\"volumes\"] == [] and r[\"target\"] == \"nope.img\", r"
'

test_done
