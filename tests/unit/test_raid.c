/*
 * test_raid.c - RAID volumes from a made-up sysfs tree (cmocka): an Intel
 * RST volume inside its IMSM container, a degraded one, a DDF one and a
 * Linux md array are named as a technician reads them; a container and an
 * inactive array are no volume; a member disk is found in use through its
 * holders; a disk pulled out or failing writes is told from the working
 * ones; hostile and broken attributes never walk out of the tree nor
 * crash.  Assembling and writing real arrays is tested in qemu
 * (tests/image/t0230-imsm-raid.sh): this host's kernel has no md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "raid.h"

static char root[64], sys[80];

static int setup(void **state)
{
	char cmd[4096];

	(void)state;
	strcpy(root, "/tmp/bootfix-raid.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir -p sys/class/block; cd sys/class/block;"
		 "md() { mkdir -p $1/md; printf '%%s\\n' \"$2\" > $1/md/metadata_version;"
		 " printf '%%s\\n' \"$3\" > $1/md/level; printf '%%s\\n' \"$4\" > $1/md/array_state;"
		 " printf '%%s\\n' \"$5\" > $1/md/raid_disks;"
		 " [ -z \"$6\" ] || printf '%%s\\n' \"$6\" > $1/md/degraded; };"
		 "md md127 external:imsm '' inactive 0;"
		 "md md126 external:/md127/0 raid1 readonly 2 0;"
		 "md md125 external:-md127/1 raid1 readonly 2 1;"
		 "md md124 external:/md123/0 raid10 active 4 0;"
		 "md md123 external:ddf '' inactive 0;"
		 "md md0 1.2 raid5 clean 3 0;"
		 "md md1 1.2 raid1 inactive 2;"
		 "md md2 0.90 linear read-auto 2;"
		 "md md3 external:/../../etc/0 raid1 readonly 2 99999999999;"
		 "mkdir -p sda/holders sdb/holders sdc/holders sdd;"
		 "mkdir sda/holders/md127 sda/holders/md126 sdb/holders/md1 sdc/holders/dm-0;"
		 "mkdir -p md126/slaves/sda md126/slaves/sdab md0/slaves/sdc md0/slaves/sdd"
		 " md0/slaves/sde md0/md/dev-sdd md0/md/dev-sde;"
		 "echo faulty > md0/md/dev-sdd/state; echo in_sync,write_mostly > md0/md/dev-sde/state;"
		 "md md5 external:/md127/1 raid1 active 2 0;"
		 "mkdir -p md5/slaves/sdf md5/slaves/sdg md5/md/dev-sdg;"
		 "echo in_sync,write_error,want_replacement,external_bbl > md5/md/dev-sdg/state",
		 root);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *text(const char *name)
{
	static char buf[96];
	struct raid r;

	if (!raid_read(sys, name, &r))
		return NULL;
	return raid_text(&r, buf, sizeof(buf));
}

static void test_names(void **state)
{
	struct raid r;

	(void)state;
	assert_string_equal(text("md126"), "Intel RAID 1 (2 disks)");
	assert_true(raid_read(sys, "md126", &r));
	assert_true(r.readonly);
	assert_true(r.external);
	assert_string_equal(r.container, "md127");
	assert_int_equal(r.missing, 0);
	/* '-': not yet managed by mdmon; still the IMSM container's */
	assert_string_equal(text("md125"), "Intel RAID 1 (2 disks, 1 missing)");
	assert_true(raid_read(sys, "md125", &r));
	assert_int_equal(r.missing, 1);
	assert_string_equal(text("md124"), "DDF RAID 10 (4 disks)");
	assert_true(raid_read(sys, "md124", &r));
	assert_false(r.readonly);
	assert_string_equal(text("md0"), "Linux RAID 5 (3 disks)");
	assert_true(raid_read(sys, "md0", &r));
	assert_false(r.external);
	assert_string_equal(r.container, "");
	assert_string_equal(text("md2"), "Linux RAID (linear) (2 disks)");
}

static void test_no_volume(void **state)
{
	(void)state;
	/* containers and arrays not started hold no volume */
	assert_null(text("md127"));
	assert_null(text("md123"));
	assert_null(text("md1"));
	/* not md, absent, or names that would leave /sys/class/block */
	assert_null(text("sda"));
	assert_null(text("md99"));
	assert_null(text("md126/../md0"));
	assert_null(text(".."));
	assert_null(text(""));
}

static void test_hostile(void **state)
{
	struct raid r;

	(void)state;
	/* a container path out of the tree is not followed; a silly count is dropped */
	assert_true(raid_read(sys, "md3", &r));
	assert_string_equal(r.kind, "RAID");
	assert_string_equal(r.container, "");
	assert_int_equal(r.missing, 0);
}

static void test_members(void **state)
{
	char md[32] = "";

	(void)state;
	/* held by the container and the running volume: in use through md126 */
	assert_true(raid_member_in_use(sys, "sda", md));
	assert_string_equal(md, "md126");
	/* held by an array not started, by device-mapper, by nothing */
	assert_false(raid_member_in_use(sys, "sdb", md));
	assert_false(raid_member_in_use(sys, "sdc", md));
	assert_false(raid_member_in_use(sys, "sdd", md));
	assert_false(raid_member_in_use(sys, "sdz", md));
}

static void test_lost(void **state)
{
	char now[64], lost[64];

	(void)state;
	raid_members(sys, "md126", now, sizeof(now));
	assert_true(!strcmp(now, "sda sdab") || !strcmp(now, "sdab sda"));
	raid_members(sys, "md127", now, sizeof(now));
	assert_string_equal(now, "");
	/* nothing lost; "sdb" is not "sdab" */
	assert_int_equal(raid_lost(sys, "md126", "sda sdab", lost, sizeof(lost)), 0);
	assert_string_equal(lost, "");
	assert_int_equal(raid_lost(sys, "md126", "sdb sda sdab", lost, sizeof(lost)), 1);
	assert_string_equal(lost, "sdb");
	/* a member still listed but faulty is lost; write_mostly is not */
	assert_int_equal(raid_lost(sys, "md0", "sdc sdd sde", lost, sizeof(lost)), 1);
	assert_string_equal(lost, "sdd");
	/* a write failed on a disk md keeps (its blocks in the bad block list) */
	raid_members(sys, "md5", now, sizeof(now));
	assert_string_equal(now, "sdf");
	assert_int_equal(raid_lost(sys, "md5", "sdf sdg", lost, sizeof(lost)), 1);
	assert_string_equal(lost, "sdg");
	/* a volume gone lost every disk; a list too long for buf is cut at a name */
	assert_int_equal(raid_lost(sys, "md9", " sdx  sdy ", lost, sizeof(lost)), 2);
	assert_string_equal(lost, "sdx sdy");
	assert_int_equal(raid_lost(sys, "md9", "sdx sdy", lost, 7), 2);
	assert_string_equal(lost, "sdx");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_no_volume),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_lost),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
