#!/bin/bash
# A Windows dynamic disk (tests/tools/make-ldm.py: MBR type 0x42, PRIVHEAD,
# TOCBLOCKs, VMDB, VBLKs; and its GPT form) with a simple volume holding Windows and a faulty
# channel file, and one half of a mirror holding the same.  ldmtool (libldm)
# reads the disk independently: its volumes and offsets must be bootfix's.
# The simple volume is examined and fixed through a loop device over its
# extent alone; not one byte outside it changes; the mirror is refused with
# its kind; the partition the kernel or partx made over the data area is
# not examined a second time; a corrupt LDM database is refused in one line
# naming the disk and the cause, and nothing changes.
. "$(dirname "$0")/../lib.sh"

LOG=data/logs/bootfix.jsonl
MAKE_LDM="python3 $TOP/tests/tools/make-ldm.py"
CS=Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000032.sys
MIRROR='dynamic disk: mirror volume: not supported'


# fill_extent IMG OFF LEN LABEL [bare]: NTFS with Windows (bare: without
# the 10 MB hive) and the faulty file, made through a loop device over the
# extent (as Windows' volume is)
fill_extent() {
	local dev
	dev=$(losetup -f --show --offset "$2" --sizelimit "$3" "$1") &&
	ntfs_format $dev "$4" && ntfs_mount $dev w &&
	{ [ "${5:-}" = bare ] || windows_tree w; } &&
	channel_file w C-00000291-00000000-00000032.sys "$FAULTY_TIME" zero &&
	ntfs_umount w && losetup -d $dev
}

test_expect_success 'setup: a dynamic disk, its simple volume and its mirror half filled' '
	$MAKE_LDM dyn.img > layout && cat layout &&
	read -r name kind off len < layout && test "$name $kind" = "Volume1 simple" &&
	echo $off > off && echo $len > len &&
	fill_extent dyn.img $off $len Windows &&
	mkdir -p data
'

test_expect_success 'ldmtool reads the same volumes, kinds and offsets' '
	ldmtool scan dyn.img > lscan.json 2>/dev/null &&
	g=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[0])" lscan.json) &&
	for c in "diskgroup $g" "volume $g Volume1" "volume $g Volume2" "partition $g Disk1-01" \
		 "partition $g Disk1-02" "disk $g Disk1"; do
		ldmtool -d dyn.img show $c 2>/dev/null || return 1
	done > lshow.json &&
	python3 - <<-PY
	import json
	dec, text, objs = json.JSONDecoder(), open("lshow.json").read(), []
	while text.strip():
	    o, n = dec.raw_decode(text.strip()); objs.append(o); text = text.strip()[n:]
	group, v1, v2, p1, p2, disk = objs
	assert group["volumes"] == ["Volume1", "Volume2"], group
	assert v1["type"] == "simple" and v1["partitions"] == ["Disk1-01"], v1
	assert v2["type"] == "mirrored" and v2["partitions"] == ["Disk1-02", "Disk2-01"], v2
	assert p1["disk"] == "Disk1" and p2["disk"] == "Disk1", (p1, p2)
	off = (disk["data-start"] + p1["start"]) * 512
	assert off == $(cat off) and p1["size"] * 512 == $(cat len), (off, p1)
	open("mirror", "w").write("%d %d\n" % ((disk["data-start"] + p2["start"]) * 512,
	                                       p2["size"] * 512))
	PY
	read -r moff mlen < mirror && fill_extent dyn.img $moff $mlen Mirror bare &&
	image_sha dyn.img > dyn.sha && cp --sparse=always dyn.img base.img
'

test_expect_success 'scan: the simple volume examined (Windows, the faulty file), the mirror refused' '
	expect_exit 1 $BOOTFIX scan --device dyn.img --json > scan.json 2>scan.err &&
	python3 - <<-PY
	import json
	v = json.load(open("scan.json"))["volumes"]
	assert len(v) == 2, v
	assert v[0]["device"].endswith(" (dynamic volume Volume1)") and v[0]["windows"], v[0]
	assert v[0]["dynamic"] == {"volume": "Volume1", "kind": "simple", "offset": $(cat off)}, v[0]
	assert v[0]["size"] == $(cat len) and v[0]["fstype"] == "ntfs", v[0]
	assert [f["verdict"] for f in v[0]["findings"]] == ["faulty"], v[0]
	assert "member" not in v[0], v[0]
	assert v[1]["member"] == "dynamic" and v[1]["dynamic"]["kind"] == "mirror", v[1]
	assert v[1]["reason"].endswith(": $MIRROR") and v[1]["findings"] == [], v[1]
	PY
	expect_exit 1 $BOOTFIX scan --device dyn.img > scan.out 2>&1 &&
	sed -E "s/loop[0-9]+/loopN/g" scan.out > scan.norm && cat scan.norm &&
	grep -Fx "/dev/loopN (dynamic volume Volume1)  ntfs  24.0 MiB  Windows (DESKTOP-2KGM189)" scan.norm &&
	grep -Fx "/dev/loopN (dynamic volume Volume2)  not examined" scan.norm &&
	grep -Fx "  loopN: $MIRROR" scan.norm &&
	test "$(grep -c "Volume1" scan.norm)" = 1 && ! grep -q "p1 " scan.norm &&
	test "$(image_sha dyn.img)" = "$(cat dyn.sha)"
'

test_expect_success 'fix: the faulty file quarantined inside the simple volume, nothing outside it changed' '
	outside_sha dyn.img $(cat off) $(cat len) > outside.sha &&
	expect_exit 1 $BOOTFIX fix --device dyn.img --data data > fix.out 2>&1 &&
	sed -E "s/loop[0-9]+/loopN/g" fix.out > fix.norm && cat fix.norm &&
	grep -E "^  fixed: 1 faulty file quarantined in " fix.norm &&
	grep -Fx "  refused: loopN: $MIRROR" fix.norm &&
	grep -Fx "1 faulty file found, 1 quarantined" fix.norm &&
	test "$(outside_sha dyn.img $(cat off) $(cat len))" = "$(cat outside.sha)" &&
	test "$(image_sha dyn.img)" != "$(cat dyn.sha)" &&
	dev=$(losetup -f --show -r --offset $(cat off) --sizelimit $(cat len) dyn.img) &&
	mkdir -p m && ntfs-3g -o ro $dev m &&
	test ! -e m/$CS && find m/bootfix-quarantine -name C-00000291-00000000-00000032.sys | grep -q . &&
	ntfs_umount m && losetup -d $dev &&
	test -z "$(losetup -j dyn.img)" && ! ls run/state.* 2>/dev/null &&
	python3 - <<-PY
	import json
	rec = json.loads(open("$LOG").read().splitlines()[-1])
	v = rec["volumes"]
	assert v[0]["outcome"] == "fixed" and v[0]["dynamic"]["offset"] == $(cat off), v[0]
	assert v[1]["outcome"] == "refused" and v[1]["member"] == "dynamic", v[1]
	PY
'

test_expect_success 'the mirror half was never touched: its faulty file is still there' '
	read -r moff mlen < mirror &&
	dev=$(losetup -f --show -r --offset $moff --sizelimit $mlen dyn.img) &&
	mkdir -p mm && ntfs-3g -o ro $dev mm && test -f mm/$CS && test ! -e mm/bootfix-quarantine &&
	ntfs_umount mm && losetup -d $dev
'

test_expect_success 'the disk as a loop device: the partition over the data area is not examined again' '
	image_sha dyn.img > dyn2.sha &&
	dev=$(attach dyn.img) && ls ${dev}p1 > /dev/null &&
	expect_exit 1 $BOOTFIX scan --device $dev > whole.out 2>&1 && cat whole.out &&
	grep -Fx "$dev (dynamic volume Volume1)  ntfs  24.0 MiB  Windows (DESKTOP-2KGM189)" whole.out &&
	! grep -q "^${dev}p1" whole.out && test "$(grep -c "^/dev/" whole.out)" = 2 &&
	expect_exit 1 $BOOTFIX fix --device ${dev}p1 --data data > part.out 2>&1 && cat part.out &&
	grep -Fx "  refused: ${dev#/dev/}: dynamic disk: not supported: name the whole disk ($dev) to have its volumes examined" part.out &&
	losetup -d $dev && image_sha dyn.img > dyn3.sha &&
	test "$(cat dyn3.sha)" = "$(cat dyn2.sha)"
'

test_expect_success 'a GPT dynamic disk: ldmtool and bootfix agree; the simple volume fixed, nothing else changed' '
	$MAKE_LDM --gpt gpt.img > glayout && read -r name kind goff glen < glayout &&
	fill_extent gpt.img $goff $glen Windows &&
	g=$(ldmtool scan gpt.img 2>/dev/null | python3 -c "import json, sys; print(json.load(sys.stdin)[0])") &&
	ldmtool -d gpt.img show disk $g Disk1 > gdisk.json 2>/dev/null &&
	ldmtool -d gpt.img show partition $g Disk1-01 > gpart.json 2>/dev/null &&
	ldmtool -d gpt.img show volume $g Volume2 > gvol2.json 2>/dev/null &&
	python3 - <<-PY &&
	import json
	d, p = json.load(open("gdisk.json")), json.load(open("gpart.json"))
	assert (d["data-start"] + p["start"]) * 512 == $goff and p["size"] * 512 == $glen, (d, p)
	assert json.load(open("gvol2.json"))["type"] == "mirrored"
	PY
	outside_sha gpt.img $goff $glen > gout.sha &&
	expect_exit 1 $BOOTFIX fix --device gpt.img --data data --json > gfix.json 2>gfix.err &&
	python3 - <<-PY &&
	import json
	v = json.load(open("gfix.json"))["volumes"]
	assert [x["dynamic"]["volume"] for x in v] == ["Volume1", "Volume2"], v
	assert v[0]["dynamic"]["offset"] == $goff and v[0]["outcome"] == "fixed", v[0]
	assert v[1]["outcome"] == "refused" and v[1]["reason"].endswith(": $MIRROR"), v[1]
	PY
	test "$(outside_sha gpt.img $goff $glen)" = "$(cat gout.sha)"
'

test_expect_success 'kill -9 after the move: the next fix stops its ntfs-3g, detaches its loop devices, finishes' '
	cp --sparse=always base.img kill.img && mkdir -p data-kill &&
	outside_sha kill.img $(cat off) $(cat len) > kill-outside.sha &&
	{ BOOTFIX_TEST_KILL=moved:1 $BOOTFIX fix --device kill.img --data data-kill > kill.out 2>&1
	  test $? = 137; } &&
	grep "^loop " run/state.* > kill.state && cat kill.state &&
	test "$(wc -l < kill.state)" = 2 &&
	expect_exit 1 $BOOTFIX fix -v --device kill.img --data data-kill > kill.fix 2> kill.err &&
	cat kill.err && grep -F "cleaned up after a bootfix that was killed" kill.err &&
	test -z "$(ls run/state.* 2>/dev/null)" && test -z "$(losetup -j kill.img)" &&
	grep -Fx "0 faulty files found, 0 quarantined" kill.fix &&
	expect_exit 0 $BOOTFIX log verify data-kill/logs/bootfix.jsonl &&
	test "$(outside_sha kill.img $(cat off) $(cat len))" = "$(cat kill-outside.sha)" &&
	dev=$(losetup -f --show -r --offset $(cat off) --sizelimit $(cat len) kill.img) &&
	mkdir -p k && ntfs-3g -o ro $dev k && test ! -e k/$CS &&
	find k/bootfix-quarantine -name C-00000291-00000000-00000032.sys | grep -q . &&
	ntfs_umount k && losetup -d $dev
'

for bad in "privhead-magic:no PRIVHEAD in sector 6" \
	   "vmdb-cut:VBLK record 7 has 1 of its 2 pieces" \
	   "past-end:partition Disk1-01 lies outside the data area (past the end of the disk)" \
	   "mbr-overlap:PRIVHEAD's data area overlaps the MBR"; do
	kind=${bad%%:*} cause=${bad#*:}
	test_expect_success "a corrupt LDM database ($kind): refused in one line, nothing changed" '
		cp dyn.img $kind.img && $MAKE_LDM $kind.img --rewrite --corrupt $kind > /dev/null &&
		image_sha $kind.img > $kind.sha &&
		expect_exit 1 $BOOTFIX fix --device $kind.img --data data > $kind.out 2>&1 &&
		sed -E "s/loop[0-9]+/loopN/g" $kind.out > $kind.norm && cat $kind.norm &&
		grep -Fx "  refused: loopN: dynamic disk: not supported: cannot read the LDM database of /dev/loopN: $cause" $kind.norm &&
		test "$(grep -c "^  refused: " $kind.norm)" = 1 &&
		grep -Fx "0 faulty files found, 0 quarantined" $kind.norm &&
		test "$(image_sha $kind.img)" = "$(cat $kind.sha)"
	'
done

test_done
