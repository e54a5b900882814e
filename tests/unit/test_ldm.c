/*
 * test_ldm.c - the LDM database of a dynamic disk (cmocka): the synthetic
 * disk tests/tools/make-ldm.py writes (the one ldmtool reads in
 * tests/cli/t0865-dynamic-simple.sh) gives its simple volume's extent and
 * its mirror's kind; each corruption it can make is refused in one line
 * naming the disk and the cause; hostile buffers (every byte of the
 * database changed in turn, pieces of a record missing or doubled, a cut
 * database) are refused or give extents inside the data area, never a
 * crash or a read outside the buffer (run under SANITIZE=address too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "ldm.h"

#define MB (1024 * 1024)

static char dir[64];
static uint8_t *image;		/* the good disk, 48 MiB */
static size_t image_len;

static int make(const char *name, const char *corrupt)
{
	char cmd[512];

	/* run from the top of the tree, as make check-unit does */
	snprintf(cmd, sizeof(cmd), "python3 tests/tools/make-ldm.py %s/%s %s%s >/dev/null", dir,
		 name, *corrupt ? "--corrupt " : "", corrupt);
	return system(cmd) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	char path[128];
	FILE *f;

	(void)state;
	strcpy(dir, "/tmp/bootfix-ldm.XXXXXX");
	if (!mkdtemp(dir) || make("good.img", "") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/good.img", dir);
	f = fopen(path, "rb");
	if (!f)
		return -1;
	image_len = 48 * MB;
	image = malloc(image_len);
	if (!image || fread(image, 1, image_len, f) != image_len) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	free(image);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#define DISK_SECTORS (48 * 2048)
#define CONFIG (DISK_SECTORS - 2048)

/* Parse the image's PRIVHEAD and database from memory (copies: tests change them). */
static int parse(const uint8_t *ph, const uint8_t *config, size_t len, struct ldm_group *g)
{
	return ldm_parse(ph, 512, 6, config, len, DISK_SECTORS, g);
}

static void test_good_disk(void **state)
{
	struct ldm_group g;
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/good.img", dir);
	assert_int_equal(ldm_read(path, &g), 0);
	assert_string_equal(g.name, "BootfixDg0");
	assert_int_equal(g.n, 2);
	assert_string_equal(g.v[0].name, "Volume1");
	assert_int_equal(g.v[0].kind, LDM_SIMPLE);
	assert_true(g.v[0].here);
	assert_int_equal(g.v[0].offset, 1 * MB);
	assert_int_equal(g.v[0].length, 24 * MB);
	assert_int_equal(g.v[0].size, 24 * MB);
	assert_string_equal(g.v[1].name, "Volume2");
	assert_int_equal(g.v[1].kind, LDM_MIRROR);
	assert_true(g.v[1].here);
	assert_int_equal(g.v[1].length, 0);
	assert_string_equal(ldm_kind_name(g.v[1].kind), "mirror");
	ldm_free(&g);
	ldm_free(&g);		/* freeing twice is harmless */
}

static void expect_refused(const char *corrupt, const char *cause)
{
	struct ldm_group g;
	char path[128], want[256];

	assert_int_equal(make(corrupt, corrupt), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, corrupt);
	assert_int_equal(ldm_read(path, &g), -1);
	snprintf(want, sizeof(want), "cannot read the LDM database of %s: %s", path, cause);
	assert_string_equal(err_msg(), want);
	assert_null(g.v);
	assert_int_equal(g.n, 0);
}

static void test_corrupt_disks(void **state)
{
	(void)state;
	expect_refused("privhead-magic", "no PRIVHEAD in sector 6");
	expect_refused("vmdb-cut", "VBLK record 7 has 1 of its 2 pieces");
	expect_refused("past-end", "partition Disk1-01 lies outside the data area (past the end "
		       "of the disk)");
	expect_refused("mbr-overlap", "PRIVHEAD's data area overlaps the MBR");
	expect_refused("count", "the VMDB says 3 volume records, there are 2");
}

static void test_not_dynamic(void **state)
{
	struct ldm_group g;
	char path[128], cmd[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/plain.img", dir);
	snprintf(cmd, sizeof(cmd), "truncate -s 4M %s && printf 'label: dos\\nsize=2MiB, type=7\\n'"
		 " | sfdisk -q %s", path, path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ldm_read(path, &g), -1);
	assert_non_null(strstr(err_msg(), "no dynamic disk partition"));
	snprintf(path, sizeof(path), "%s/missing.img", dir);
	assert_int_equal(ldm_read(path, &g), -1);
	assert_non_null(strstr(err_msg(), path));
	/* a file cut short inside the database */
	snprintf(path, sizeof(path), "%s/cut.img", dir);
	snprintf(cmd, sizeof(cmd), "head -c %d %s/good.img > %s", 48 * MB - 4096, dir, path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ldm_read(path, &g), -1);
	assert_non_null(strstr(err_msg(), "past the end of the disk"));
}

/* What a parse that succeeds on hostile input may give: extents in the data area. */
static void check_sane(const struct ldm_group *g)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct ldm_volume *v = &g->v[i];

		assert_true(memchr(v->name, '\0', sizeof(v->name)) != NULL);
		for (const char *c = v->name; *c; c++)
			assert_true(*c >= 0x20 && *c < 0x7f);
		if (!v->length)
			continue;
		assert_int_equal(v->kind, LDM_SIMPLE);
		assert_true(v->offset >= 512);
		assert_true(v->offset + v->length <= (uint64_t)CONFIG * 512);
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(g->v[k].name, v->name);
	}
}

/* Every byte of the PRIVHEAD and of the database's used part, set to 0xff and to 0x00. */
static void test_every_byte(void **state)
{
	uint8_t *ph = malloc(512), *config = malloc(2048 * 512);
	const uint8_t vals[] = { 0xff, 0x00, 0x01, 0x80 };

	(void)state;
	assert_non_null(ph);
	assert_non_null(config);
	memcpy(ph, image + 6 * 512, 512);
	memcpy(config, image + (size_t)CONFIG * 512, 2048 * 512);
	for (int pass = 0; pass < 2; pass++) {
		size_t from = 0, to = pass == 0 ? 512 : 18 * 512 + 16 * 128;

		for (size_t i = from; i < to; i++) {
			if (pass == 1 && i < 512)
				i = 512;	/* sector 0 of the database is not read */
			for (size_t k = 0; k < sizeof(vals); k++) {
				struct ldm_group g;
				uint8_t *p = pass == 0 ? ph : config, was = p[i];

				p[i] = vals[k];
				if (parse(ph, config, 2048 * 512, &g) == 0) {
					check_sane(&g);
					ldm_free(&g);
				} else {
					assert_null(strchr(err_msg(), '\n'));
				}
				p[i] = was;
			}
		}
	}
	free(ph);
	free(config);
}

/* A database shorter than the PRIVHEAD says, down to nothing. */
static void test_cut_database(void **state)
{
	struct ldm_group g;

	(void)state;
	for (size_t len = 0; len < 2048 * 512; len += len < 4096 ? 512 : 65536) {
		assert_int_equal(parse(image + 6 * 512, image + (size_t)CONFIG * 512, len, &g), -1);
		assert_non_null(strstr(err_msg(), "cut short"));
	}
	assert_int_equal(ldm_parse(image + 6 * 512, 100, 6, image, 0, DISK_SECTORS, &g), -1);
}

/* The VBLK entry i of the database copy config. */
static uint8_t *entry(uint8_t *config, size_t i)
{
	return config + 18 * 512 + i * 128;
}

static void test_hostile_entries(void **state)
{
	uint8_t *config = malloc(2048 * 512);
	const uint8_t *ph = image + 6 * 512;
	struct ldm_group g;

	(void)state;
	assert_non_null(config);
	/* the first piece of Volume2's record (entry 6) twice, the second lost */
	memcpy(config, image + (size_t)CONFIG * 512, 2048 * 512);
	memcpy(entry(config, 7), entry(config, 6), 128);
	assert_int_equal(parse(ph, config, 2048 * 512, &g), -1);
	assert_string_equal(err_msg(), "VBLK record 7 has piece 0 twice or differing counts");
	/* a record claiming 300 pieces */
	memcpy(config, image + (size_t)CONFIG * 512, 2048 * 512);
	entry(config, 6)[0x0E] = 1;
	entry(config, 6)[0x0F] = 44;
	entry(config, 7)[0x0E] = 1;
	entry(config, 7)[0x0F] = 44;
	assert_int_equal(parse(ph, config, 2048 * 512, &g), -1);
	assert_non_null(strstr(err_msg(), "spans 300 entries"));
	/* two records with one id: Volume1's partition given the disk's id */
	memcpy(config, image + (size_t)CONFIG * 512, 2048 * 512);
	assert_int_equal(entry(config, 5)[0x18 + 1], 6);
	entry(config, 5)[0x18 + 1] = 2;
	assert_int_equal(parse(ph, config, 2048 * 512, &g), -1);
	assert_string_equal(err_msg(), "two records have id 2");
	/* a record size larger than its entry */
	memcpy(config, image + (size_t)CONFIG * 512, 2048 * 512);
	entry(config, 4)[0x16] = 0x10;
	assert_int_equal(parse(ph, config, 2048 * 512, &g), -1);
	assert_non_null(strstr(err_msg(), "more than its entries hold"));
	/* a VMDB that puts its first VBLK past the end, and a huge VBLK size */
	memcpy(config, image + (size_t)CONFIG * 512, 2048 * 512);
	memset(config + 17 * 512 + 0x0C, 0xff, 4);
	assert_int_equal(parse(ph, config, 2048 * 512, &g), -1);
	assert_non_null(strstr(err_msg(), "outside the database"));
	memcpy(config, image + (size_t)CONFIG * 512, 2048 * 512);
	memset(config + 17 * 512 + 0x08, 0x7f, 4);
	assert_int_equal(parse(ph, config, 2048 * 512, &g), -1);
	assert_non_null(strstr(err_msg(), "VBLK size"));
	/* every slot of the database a VBLK entry: bounded by the database's end */
	memcpy(config, image + (size_t)CONFIG * 512, 2048 * 512);
	for (size_t i = 16; 18 * 512 + (i + 1) * 128 <= 2048 * 512; i++)
		memcpy(entry(config, i), "VBLK", 4);
	assert_int_equal(parse(ph, config, 2048 * 512, &g), 0);
	assert_int_equal(g.n, 2);
	ldm_free(&g);
	/* a name with control characters is shown with '?' */
	memcpy(config, image + (size_t)CONFIG * 512, 2048 * 512);
	assert_memory_equal(entry(config, 3) + 0x1b, "Volume1", 7);
	entry(config, 3)[0x1b] = '\033';
	assert_int_equal(parse(ph, config, 2048 * 512, &g), 0);
	assert_string_equal(g.v[0].name, "?olume1");
	ldm_free(&g);
	free(config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_disk),
		cmocka_unit_test(test_corrupt_disks),
		cmocka_unit_test(test_not_dynamic),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_cut_database),
		cmocka_unit_test(test_hostile_entries),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
