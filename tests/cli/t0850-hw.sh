#!/bin/bash
# bootfix hw on this machine's own /sys: every storage and USB controller
# the kernel lists is in the table and the JSON with its id and driver,
# the disks with their bus; the record of a fix carries the same
# controllers (machine.controllers) and the same disks (machine.disks).
# A controller without a driver, the pci.ids parsing and hostile names are
# in tests/unit/test_hw.c (a made-up tree) and
# tests/image/t0210-no-driver.sh (qemu, the driver withheld).
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys

# the storage (01xx) and USB (0c03) controllers in /sys: "slot id driver"
sys_controllers() {
	local d class drv
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d/class" ] || continue
		class=$(cat "$d/class")
		case $class in 0x01*|0x0c03*) ;; *) continue ;; esac
		drv=-
		[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
		echo "$(basename "$d") $(cut -c3- "$d/vendor"):$(cut -c3- "$d/device") $drv"
	done
}

test_expect_success 'hw lists every storage and USB controller with its id and driver' '
	$BOOTFIX hw > hw.out && cat hw.out &&
	grep -x "controllers:" hw.out && grep -x "disks:" hw.out && grep -x "keyboards:" hw.out &&
	sys_controllers > want && cat want &&
	while read -r slot id drv; do
		[ "$drv" = - ] && drv="(no driver)"
		grep -E "^  $slot +$id +$drv " hw.out || { echo "missing: $slot $id $drv"; exit 1; }
	done < want &&
	test "$(grep -c "^  [0-9a-f]\{4\}:" hw.out)" = "$(wc -l < want)"
'

test_expect_success 'hw --json: the same controllers, disks with their bus' '
	$BOOTFIX hw --json > hw.json &&
	python3 - <<-PY
	import json, os
	d = json.load(open("hw.json"))
	want = {}
	for line in open("want"):
	    slot, id, drv = line.split()
	    want[slot] = (id, None if drv == "-" else drv)
	got = {c["slot"]: (c["id"], c["driver"]) for c in d["controllers"]}
	assert got == want, (got, want)
	for k in d["disks"]:
	    assert k["bus"] in ("nvme", "ata", "scsi", "usb", "virtio", "mmc", "hyperv", "xen", "other"), k
	    assert os.path.exists("/sys/block/" + k["name"]), k
	    assert k["size"] == int(open("/sys/block/%s/size" % k["name"]).read()) * 512, k
	assert isinstance(d["keyboards"], list)
	PY
'

test_expect_success 'hw takes no operand: usage, exit 2' '
	expect_exit 2 $BOOTFIX hw extra 2> err && grep -F "usage: bootfix hw [--json]" err &&
	expect_exit 2 $BOOTFIX hw --bogus 2> err && grep -F "usage: bootfix hw" err
'

test_expect_success 'the record of a fix lists the controllers (machine.controllers)' '
	make_disk disk.img gpt 48 40 && dev=$(attach disk.img) &&
	ntfs_format ${dev}p1 Windows && ntfs_mount ${dev}p1 w && windows_tree w &&
	channel_file w $F291 "$FAULTY_TIME" && ntfs_umount w && losetup -d $dev &&
	mkdir data && $BOOTFIX fix --device disk.img --data data > fix.out &&
	f=$(find data/logs -name "*.jsonl" | head -n1) && test -n "$f" &&
	python3 - "$f" <<-PY
	import json, sys
	recs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
	final = [r for r in recs if r.get("stage") != "begun"][-1]
	got = {c["slot"]: (c["id"], c["driver"]) for c in final["machine"]["controllers"]}
	want = {}
	for line in open("want"):
	    slot, id, drv = line.split()
	    want[slot] = (id, None if drv == "-" else drv)
	assert got == want, (got, want)
	# machine.disks and hw --json are one listing: same disks, same order,
	# the same model and serial where sysfs has them printable
	shown = json.load(open("hw.json"))["disks"]
	rec = final["machine"]["disks"]
	assert [d["name"] for d in rec] == [d["name"] for d in shown], (rec, shown)
	for r, k in zip(rec, shown):
	    assert r.get("size", 0) == k["size"], (r, k)
	    for f in ("model", "serial"):
	        v = r.get(f)
	        plain = v is None or (v.isascii() and v.isprintable() and v == " ".join(v.split())
	                              and len(v) <= 96)
	        assert not plain or k[f] == v, (f, r, k)
	PY
'
test_done
