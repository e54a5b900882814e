/*
 * test_machine.c - machine identity from a made-up sysfs tree (cmocka):
 * what firmware leaves out is left out of the record, never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "machine.h"

static char root[64];

static int setup(void **state)
{
	char cmd[2048];

	(void)state;
	strcpy(root, "/tmp/bootfix-machine.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir -p full/class/dmi/id full/class/net/lo full/class/net/eth1/device"
		 " full/class/net/eth0/device full/class/net/br0 full/class/net/dummy;"
		 " printf 'LENOVO\\n' > full/class/dmi/id/sys_vendor;"
		 " printf '20L8S02M00  \\n' > full/class/dmi/id/product_name;"
		 " printf 'PF1ABCDE\\n' > full/class/dmi/id/product_serial;"
		 " printf '4c4c4544-0038-3010-8052-b4c04f4e4e32\\n' > full/class/dmi/id/product_uuid;"
		 " printf '\\n' > full/class/dmi/id/board_serial;"
		 " printf 'N22ET37W (1.14 )\\n' > full/class/dmi/id/bios_version;"
		 " echo 00:00:00:00:00:00 > full/class/net/lo/address;"
		 " echo 52:54:00:12:34:57 > full/class/net/eth1/address;"
		 " echo 52:54:00:12:34:56 > full/class/net/eth0/address;"
		 " echo 02:42:ac:11:00:01 > full/class/net/br0/address;"
		 " echo 00:00:00:00:00:00 > full/class/net/dummy/address;"
		 " mkdir -p full/block/vdz9 full/block/loop3 full/block/zram0 full/block/dm-1"
		 " full/block/nvme9n1;"
		 " mkdir -p empty", root);
	return system(cmd) != 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) != 0;
}

static void test_full(void **state)
{
	char sys[128];
	struct machine m;
	struct json_object *j, *v;

	(void)state;
	snprintf(sys, sizeof(sys), "%s/full", root);
	assert_int_equal(machine_read(&m, sys), 0);
	assert_string_equal(m.sys_vendor, "LENOVO");
	assert_string_equal(m.product_name, "20L8S02M00");	/* padding trimmed */
	assert_string_equal(m.product_serial, "PF1ABCDE");
	assert_string_equal(m.product_uuid, "4c4c4544-0038-3010-8052-b4c04f4e4e32");
	assert_null(m.board_serial);				/* empty: left out */
	assert_string_equal(m.bios_version, "N22ET37W (1.14 )");
	assert_false(machine_no_dmi(&m));
	/* lo and all-zero addresses left out, sorted by name, physical told apart */
	assert_int_equal(m.nnics, 3);
	assert_string_equal(m.nics[0].name, "br0");
	assert_false(m.nics[0].physical);
	assert_string_equal(m.nics[1].name, "eth0");
	assert_string_equal(m.nics[1].mac, "52:54:00:12:34:56");
	assert_true(m.nics[1].physical);
	assert_string_equal(m.nics[2].name, "eth1");
	/* hardware disks only, sorted; loop, zram, dm- are not this machine's */
	assert_int_equal(m.ndisks, 2);
	assert_string_equal(m.disks[0].name, "nvme9n1");
	assert_string_equal(m.disks[1].name, "vdz9");
	j = machine_json(&m);
	assert_true(json_object_object_get_ex(j, "product_serial", &v));
	assert_string_equal(json_object_get_string(v), "PF1ABCDE");
	assert_false(json_object_object_get_ex(j, "board_serial", &v));
	assert_true(json_object_object_get_ex(j, "nics", &v));
	assert_int_equal(json_object_array_length(v), 3);
	json_object_put(j);
	machine_free(&m);
}

static void test_nothing(void **state)
{
	char sys[128];
	struct machine m;
	struct json_object *j, *v;

	(void)state;
	snprintf(sys, sizeof(sys), "%s/empty", root);
	assert_int_equal(machine_read(&m, sys), 0);
	assert_true(machine_no_dmi(&m));
	assert_int_equal(m.nnics, 0);
	j = machine_json(&m);
	assert_false(json_object_object_get_ex(j, "sys_vendor", &v));
	assert_true(json_object_object_get_ex(j, "disks", &v));
	json_object_put(j);
	machine_free(&m);
	snprintf(sys, sizeof(sys), "%s/missing", root);
	assert_int_equal(machine_read(&m, sys), 0);
	assert_true(machine_no_dmi(&m));
	assert_int_equal(m.ndisks, 0);
	machine_free(&m);
}

/* sysroot/class/dmi/id/product_serial holding raw (printf format) */
static char *serial_of(const char *raw)
{
	char dir[256], cmd[1024];

	snprintf(dir, sizeof(dir), "%s/serial", root);
	snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s/class/dmi/id && "
		 "printf '%s' > %s/class/dmi/id/product_serial", dir, dir, raw, dir);
	if (system(cmd) != 0)
		return (char *)"(setup failed)";
	return machine_serial(dir);
}

static void test_serial(void **state)
{
	static const char *const none[] = {
		"To be filled by O.E.M.\\n", "TO BE FILLED BY O.E.M.", "Default string\\n",
		"System Serial Number", "0\\n", "00000000", "   ", "\\n", "None",
		"Not Specified", "........", "xxxxxxxxxx", "\\033\\001",
	};
	char sys[128], *s;

	(void)state;
	s = serial_of("PF1ABCDE\\n");
	assert_string_equal(s, "PF1ABCDE");
	free(s);
	/* padding and control characters go, the serial stays short */
	s = serial_of("  5CG7\\033[2J\\001X1YZ \\r  \\n");
	assert_string_equal(s, "5CG7[2JX1YZ");
	free(s);
	s = serial_of("VMware-56 4d 11 22 33 44 55 66-77 88 99 aa bb cc dd ee ff 00 11 22 33 44");
	assert_true(strlen(s) >= MACHINE_SERIAL_MAX - 1 && strlen(s) <= MACHINE_SERIAL_MAX);
	assert_memory_equal(s, "VMware-56 4d 11", 15);
	free(s);
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		s = serial_of(none[i]);
		if (s)
			fail_msg("placeholder %s kept as %s", none[i], s);
	}
	/* a serial that merely begins like a filler is kept */
	s = serial_of("0A1B2C");
	assert_string_equal(s, "0A1B2C");
	free(s);
	assert_true(machine_serial_placeholder(NULL));
	assert_false(machine_serial_placeholder("R90ZK2LB"));
	/* no DMI at all */
	snprintf(sys, sizeof(sys), "%s/missing", root);
	assert_null(machine_serial(sys));
}

/* an image file's loop device names no hardware: no model, no serial */
static void test_disk_ids(void **state)
{
	char *model, *serial;

	(void)state;
	assert_true(disk_virtual("loop0"));
	assert_true(disk_virtual("dm-3"));
	assert_false(disk_virtual("sda"));
	assert_false(disk_virtual("nvme0n1"));
	assert_false(disk_virtual("mmcblk0"));
	disk_ids("loop0", &model, &serial);
	assert_null(model);
	assert_null(serial);
	disk_ids("sdzz-none", &model, &serial);
	assert_null(model);
	assert_null(serial);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_disk_ids),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
