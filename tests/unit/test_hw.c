/*
 * test_hw.c - controllers, disks and keyboards from a made-up sysfs tree
 * and pci.ids (cmocka): a storage controller without a driver is found and
 * named, hostile strings from devices and pci.ids come out printable,
 * broken attributes are left out, never a crash.  The real tree is tested
 * in qemu (tests/image/t0210-no-driver.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hw.h"
#include "machine.h"

static char root[64];

static int setup(void **state)
{
	char cmd[8192];

	(void)state;
	strcpy(root, "/tmp/bootfix-hw.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir sys; cd sys; mkdir -p bus/pci/devices bus/pci/drivers/ahci"
		 " bus/pci/drivers/nvme block class/input;"
		 "P=devices/pci0000:00;"
		 "dev() { mkdir -p $P/$1; printf '%%s\\n' $2 > $P/$1/class;"
		 " printf '%%s\\n' $3 > $P/$1/vendor; printf '%%s\\n' $4 > $P/$1/device;"
		 " ln -s ../../../devices/pci0000:00/$1 bus/pci/devices/$1; };"
		 "dev 0000:00:1f.2 0x010601 0x8086 0x2922;"
		 " ln -s ../../../../bus/pci/drivers/ahci $P/0000:00:1f.2/driver;"
		 "dev 0000:03:00.0 0x010400 0x103c 0x323a;"
		 "dev 0000:04:00.0 0x020000 0x8086 0x10d3;"
		 "dev 0000:00:05.0 0x010802 0x144d 0xa808;"
		 " ln -s ../../../../bus/pci/drivers/nvme $P/0000:00:05.0/driver;"
		 "dev 0000:00:14.0 0x0c0330 0x1b36 0x000d;"
		 "dev 0000:06:00.0 zz 0x1000 0x0060;"
		 "dev 0000:07:00.0 0x010700 0x1ffff 0x0060;"
		 "S=$P/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0;"
		 " mkdir -p $S/block/sda/device; ln -s ../$S/block/sda block/sda;"
		 " printf 'Evil\\033]0;pwn\\007 <b>Disk</b>  \\n' > $S/block/sda/device/model;"
		 " printf '2048\\n' > $S/block/sda/size;"
		 "N=$P/0000:00:05.0/nvme/nvme0/nvme0n1; mkdir -p $N/device;"
		 " ln -s ../$N block/nvme0n1; printf 'S4EWNX0N123456\\n' > $N/device/serial;"
		 " printf 'Samsung SSD 970\\n' > $N/device/model; printf 'x12\\n' > $N/size;"
		 "mkdir -p devices/virtual/block/loop0; ln -s ../devices/virtual/block/loop0 block/loop0;"
		 "kbd() { mkdir -p class/input/$1/capabilities class/input/$1/id;"
		 " printf '%%s\\n' \"$2\" > class/input/$1/capabilities/key;"
		 " printf '%%s\\n' $3 > class/input/$1/id/bustype;"
		 " printf \"$4\\n\" > class/input/$1/name; };"
		 "kbd input3 '402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe' 0011"
		 " 'AT Translated Set 2 keyboard';"
		 "kbd input4 '1f0000 0 0 0 0' 0011 'ImExPS/2 Generic Explorer Mouse';"
		 "kbd input10 'fffffffffffffffe' 0003 'Evil\\033[2J USB Keyboard';"
		 "kbd input11 'zz' 0003 'Broken';"
		 "{ printf '# comment\\n1000  Broadcom / LSI\\n\\t0060  MegaRAID SAS 1078\\n';"
		 " printf '103c  Hewlett-Packard Company\\n\\t323a  Smart Array G6 controllers\\n';"
		 " printf '\\t\\t103c 3241  Smart Array P212\\n';"
		 " printf '144d  Samsung Electronics Co Ltd\\n';"
		 " printf '8086  Intel Corporation\\n\\t2922  ICH9 \\033[31m<i>SATA</i> AHCI\\n';"
		 " printf '\\t10d3  '; head -c 2000 /dev/zero | tr '\\0' x; printf '\\n';"
		 " printf 'C 01  Mass storage controller\\n\\t0000  not a device\\n'; } > ../pci.ids",
		 root);
	if (system(cmd) != 0)
		return -1;
	/*
	 * one/: a tree for the listing the record and `bootfix hw` share, a
	 * disk for each place the serial rule looks, hostile strings and names
	 */
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir one; cd one; mkdir block; P=devices/pci0000:00;"
		 "disk() { mkdir -p $1/$2/device; ln -s ../$1/$2 block/$2; };"
		 "disk $P/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block sda;"
		 " printf 'Evil\\033]0;pwn\\007 <b>Disk</b>\\n' > block/sda/device/model;"
		 " printf '\\000\\200\\000\\023    WD-WCC4N1234567' > block/sda/device/vpd_pg80;"
		 " printf 't10.ATA     Evil Disk    WD-WCC4N1234567\\n' > block/sda/device/wwid;"
		 " printf '2048\\n' > block/sda/size;"
		 "disk $P/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0/block sdb;"
		 " printf 'naa.5000c500a1b2c3d4\\n' > block/sdb/device/wwid;"
		 " printf '\\000\\201\\000\\004ABCD' > block/sdb/device/vpd_pg80;"
		 "disk $P/0000:00:04.0/virtio1/block vda; printf 'VIRTIO-SER  1 \\n' > block/vda/serial;"
		 " printf '4096\\n' > block/vda/size;"
		 "disk $P/0000:00:05.0/nvme/nvme0/nvme0n1 nvme0n1;"
		 " printf 'S4EWNX0N123456\\n' > block/nvme0n1/device/serial;"
		 " printf 'not this one\\n' > block/nvme0n1/serial; printf 'x12\\n' > block/nvme0n1/size;"
		 "disk $P/0000:00:14.0/usb1/1-1/1-1:1.0/host2/target2:0:0/2:0:0:0/block sdc;"
		 " ln -s /etc/hostname block/sdc/device/model;"
		 "disk $P/0000:00:1c.0/mmc_host/mmc0/mmc0:0001/block mmcblk0;"
		 " printf 'SD32G\\n' > block/mmcblk0/device/name;"
		 " printf '0x1234abcd\\n' > block/mmcblk0/device/serial;"
		 "disk devices/virtual/block \"$(printf '\\001\\002')\";"
		 "for v in loop0 ram0 zram0 dm-0 md127 sr0 fd0 nbd0; do disk devices/virtual/block $v; done",
		 root);
	return system(cmd) != 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) != 0;
}

static int clean(const char *s)
{
	for (; s && *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

static void test_controllers(void **state)
{
	char sys[128], ids[128], buf[256];
	struct hw h;

	(void)state;
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(ids, sizeof(ids), "%s/pci.ids", root);
	assert_int_equal(hw_read(&h, sys, ids), 0);
	/* storage and USB only, sorted by slot; broken class and vendor left out */
	assert_int_equal(h.ncontrollers, 4);
	assert_string_equal(h.controllers[0].slot, "0000:00:05.0");
	assert_string_equal(h.controllers[1].slot, "0000:00:14.0");
	assert_string_equal(h.controllers[2].slot, "0000:00:1f.2");
	assert_string_equal(h.controllers[3].slot, "0000:03:00.0");
	assert_string_equal(h.controllers[2].driver, "ahci");
	assert_string_equal(h.controllers[0].driver, "nvme");
	assert_null(h.controllers[3].driver);
	/* the USB controller has no driver either, but is no disk controller */
	assert_null(h.controllers[1].driver);
	assert_int_equal(hw_nbare(&h), 1);
	assert_true(hw_bare(&h.controllers[3]));
	assert_false(hw_bare(&h.controllers[1]));
	assert_string_equal(hw_controller_text(&h.controllers[3], buf, sizeof(buf)),
			    "103c:323a Hewlett-Packard Company Smart Array G6 controllers");
	/* pci.ids knows the vendor, not the device: the vendor alone */
	assert_string_equal(h.controllers[0].name, "Samsung Electronics Co Ltd");
	/* markup and escapes from pci.ids come out printable */
	assert_true(clean(h.controllers[2].name));
	assert_non_null(strstr(h.controllers[2].name, "Intel Corporation ICH9"));
	/* a vendor pci.ids does not know: the class in words */
	assert_null(h.controllers[1].name);
	assert_string_equal(hw_controller_text(&h.controllers[1], buf, sizeof(buf)),
			    "1b36:000d USB controller");
	hw_free(&h);
}

static void test_disks_keyboards(void **state)
{
	char sys[128], ids[128];
	struct hw h;

	(void)state;
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(ids, sizeof(ids), "%s/pci.ids", root);
	assert_int_equal(hw_read(&h, sys, ids), 0);
	assert_int_equal(h.ndisks, 2);	/* loop0 is no hardware */
	assert_string_equal(h.disks[0].name, "nvme0n1");
	assert_string_equal(h.disks[0].bus, "nvme");
	assert_string_equal(h.disks[0].controller, "0000:00:05.0");
	assert_string_equal(h.disks[0].serial, "S4EWNX0N123456");
	assert_int_equal(h.disks[0].size, 0);	/* "x12" is no size */
	assert_string_equal(h.disks[1].name, "sda");
	assert_string_equal(h.disks[1].bus, "ata");
	assert_string_equal(h.disks[1].controller, "0000:00:1f.2");
	assert_true(clean(h.disks[1].model));
	assert_non_null(strstr(h.disks[1].model, "Disk"));
	assert_int_equal(h.disks[1].size, 2048 * 512);
	/* keyboards: the PS/2 one and the USB one, not the mouse, not the broken */
	assert_int_equal(h.nkeyboards, 2);
	assert_string_equal(h.keyboards[0].name, "AT Translated Set 2 keyboard");
	assert_string_equal(h.keyboards[0].bus, "PS/2");
	assert_string_equal(h.keyboards[1].bus, "USB");
	assert_true(clean(h.keyboards[1].name));
	hw_free(&h);
}

static void test_json_and_missing(void **state)
{
	char sys[128], missing[128];
	struct hw h;
	struct json_object *o, *c, *v;

	(void)state;
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(missing, sizeof(missing), "%s/no-such-pci.ids", root);
	assert_int_equal(hw_read(&h, sys, missing), 0);
	assert_null(h.controllers[3].name);
	o = hw_json(&h);
	assert_true(json_object_object_get_ex(o, "controllers", &c));
	assert_int_equal(json_object_array_length(c), 4);
	v = json_object_array_get_idx(c, 3);
	assert_true(json_object_object_get_ex(v, "id", &c));
	assert_string_equal(json_object_get_string(c), "103c:323a");
	assert_true(json_object_object_get_ex(v, "driver", &c));
	assert_null(c);
	assert_true(json_object_object_get_ex(v, "class", &c));
	assert_string_equal(json_object_get_string(c), "RAID bus controller");
	json_object_put(o);
	hw_free(&h);
	/* no sysfs at all: nothing, no error */
	assert_int_equal(hw_read(&h, missing, missing), 0);
	assert_int_equal(h.ncontrollers + h.ndisks + h.nkeyboards, 0);
	hw_free(&h);
}

/* The member k of the JSON object o as a string, NULL when absent or null. */
static const char *member(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : NULL;
}

/*
 * The record's machine.disks and `bootfix hw` are one listing: the same
 * disks in the same order, each read by the one rule (disk_info_at()), the
 * record keeping what sysfs says and the screens a printable copy.
 */
static void test_one_listing(void **state)
{
	static const char *const names[] = { "\001\002", "mmcblk0", "nvme0n1", "sda", "sdb",
					       "sdc", "vda" };
	const size_t n = sizeof(names) / sizeof(names[0]);
	char sys[128], missing[128];
	struct hw_disk *list;
	struct machine m;
	struct hw h;
	struct json_object *rec, *shown, *a, *b, *v;
	size_t nlist;

	(void)state;
	snprintf(sys, sizeof(sys), "%s/one", root);
	snprintf(missing, sizeof(missing), "%s/no-such-pci.ids", root);
	assert_int_equal(hw_disks(sys, &list, &nlist), 0);
	assert_int_equal(machine_read(&m, sys), 0);
	assert_int_equal(hw_read(&h, sys, missing), 0);
	/* no loop, ram, zram, dm-, md, sr, fd, nbd; sorted by kernel name */
	assert_int_equal(nlist, n);
	assert_int_equal(m.ndisks, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(list[i].sysfs.name, names[i]);
		assert_string_equal(m.disks[i].sysfs.name, names[i]);
	}
	/* the screens leave out the one named by control bytes alone */
	assert_null(list[0].name);
	assert_int_equal(h.ndisks, n - 1);
	for (size_t i = 0; i < h.ndisks; i++) {
		const struct hw_disk *k = &h.disks[i], *r = &m.disks[i + 1];

		assert_string_equal(k->name, names[i + 1]);
		assert_string_equal(k->sysfs.name, r->sysfs.name);
		assert_string_equal(k->bus, r->bus);
		assert_string_equal(k->controller, r->controller);
		assert_int_equal(k->size, r->sysfs.size);
		assert_true(clean(k->model) && clean(k->serial));
	}
	/* the serial rule: device/serial, serial, VPD page 0x80, device/wwid */
	assert_string_equal(h.disks[1].serial, "S4EWNX0N123456");	/* not "serial" */
	assert_string_equal(h.disks[2].serial, "WD-WCC4N1234567");	/* VPD before wwid */
	assert_string_equal(h.disks[3].serial, "naa.5000c500a1b2c3d4");	/* page 0x81: no VPD */
	assert_string_equal(h.disks[5].serial, "VIRTIO-SER 1");
	assert_string_equal(m.disks[6].sysfs.serial, "VIRTIO-SER  1");	/* as sysfs has it */
	/* the model: device/model, else device/name (SD, eMMC); a link is refused */
	assert_string_equal(h.disks[0].model, "SD32G");
	assert_string_equal(h.disks[0].bus, "mmc");
	assert_null(h.disks[4].model);
	assert_string_equal(h.disks[4].bus, "usb");
	assert_string_equal(h.disks[4].controller, "0000:00:14.0");
	/* a hostile model: printable on screens, as sysfs has it in the record */
	assert_string_equal(h.disks[2].model, "Evil]0;pwn <b>Disk</b>");
	assert_string_equal(m.disks[3].sysfs.model, "Evil\033]0;pwn\007 <b>Disk</b>");
	/* and so in the JSON: the record's disks are `bootfix hw --json`'s */
	rec = machine_json(&m);
	shown = hw_json(&h);
	assert_true(json_object_object_get_ex(rec, "disks", &a));
	assert_true(json_object_object_get_ex(shown, "disks", &b));
	assert_int_equal(json_object_array_length(a), n);
	assert_int_equal(json_object_array_length(b), n - 1);
	for (size_t i = 1; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(a, i),
				   *k = json_object_array_get_idx(b, i - 1);
		int64_t size = json_object_object_get_ex(r, "size", &v) ? json_object_get_int64(v) : 0;

		assert_string_equal(member(r, "name"), member(k, "name"));
		assert_true(json_object_object_get_ex(k, "size", &v));
		assert_int_equal(json_object_get_int64(v), size);
		assert_true(!member(r, "model") == !member(k, "model"));
		assert_true(!member(r, "serial") == !member(k, "serial"));
	}
	assert_string_equal(member(json_object_array_get_idx(a, 0), "name"), "\001\002");
	assert_string_equal(member(json_object_array_get_idx(a, 3), "model"),
			    "Evil\033]0;pwn\007 <b>Disk</b>");
	assert_string_equal(member(json_object_array_get_idx(a, 3), "serial"), "WD-WCC4N1234567");
	assert_false(json_object_object_get_ex(json_object_array_get_idx(a, 2), "size", &v));
	json_object_put(rec);
	json_object_put(shown);
	hw_free(&h);
	machine_free(&m);
	hw_disks_free(list, nlist);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controllers),
		cmocka_unit_test(test_disks_keyboards),
		cmocka_unit_test(test_json_and_missing),
		cmocka_unit_test(test_one_listing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
