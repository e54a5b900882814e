/*
 * test_bitlocker.c - recovery-password checks, typing, key IDs (GUIDs),
 * .BEK files and the FVE metadata parser on hand-built volumes (cmocka).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "bitlocker.h"
#include "err.h"
#include "keys.h"

/* a real recovery password (bitlk-aes-xts-128 of cryptsetup's test images) */
#define RP "235818-357951-253979-013365-241120-245575-342914-591910"

static void test_rp_forms(void **state)
{
	struct bitlocker_rp rp;
	int bad = -1;

	(void)state;
	assert_int_equal(bitlocker_rp_parse(RP, strlen(RP), &rp, &bad), 0);
	assert_string_equal(rp.text, RP);
	assert_int_equal(bad, 0);
	assert_int_equal(rp.part[0], 235818 / 11);
	assert_int_equal(rp.part[7], 591910 / 11);
	/* no dashes, spaces, a trailing newline: the same key */
	assert_int_equal(bitlocker_rp_parse("235818357951253979013365241120245575342914591910\n", 49,
					    &rp, &bad), 0);
	assert_string_equal(rp.text, RP);
	assert_int_equal(bitlocker_rp_parse("235818 357951 253979 013365 241120 245575 342914 591910",
					    55, &rp, &bad), 0);
	assert_string_equal(rp.text, RP);
	bitlocker_rp_clear(&rp);
	assert_int_equal(rp.text[0], 0);
}

static void test_rp_wrong_group(void **state)
{
	struct bitlocker_rp rp;
	const char *k = "235818-357951-253979-013366-241120-245575-342914-591910";
	int bad = 0;

	(void)state;
	assert_int_equal(bitlocker_rp_parse(k, strlen(k), &rp, &bad), -1);
	assert_int_equal(bad, 4);
	assert_string_equal(err_msg(), "recovery password group 4 is wrong (not divisible by 11)");
	assert_null(strstr(err_msg(), "013366"));	/* the key is never repeated */
	assert_int_equal(rp.text[0], 0);
	/* 720896 = 65536 * 11: divisible, but too large for 16 bits */
	k = "720896-357951-253979-013365-241120-245575-342914-591910";
	assert_int_equal(bitlocker_rp_parse(k, strlen(k), &rp, &bad), -1);
	assert_int_equal(bad, 1);
	assert_non_null(strstr(err_msg(), "group 1 is wrong (720896 or more)"));
	/* the last group is checked too */
	k = "235818-357951-253979-013365-241120-245575-342914-591911";
	assert_int_equal(bitlocker_rp_parse(k, strlen(k), &rp, &bad), -1);
	assert_int_equal(bad, 8);
}

static void test_rp_length(void **state)
{
	struct bitlocker_rp rp;
	int bad = 0;

	(void)state;
	assert_int_equal(bitlocker_rp_parse(RP, strlen(RP) - 1, &rp, &bad), -1);
	assert_string_equal(err_msg(), "recovery password has 47 of 48 digits");
	assert_int_equal(bitlocker_rp_parse(RP "1", strlen(RP) + 1, &rp, &bad), -1);
	assert_non_null(strstr(err_msg(), "more than 48 digits"));
	assert_int_equal(bitlocker_rp_parse("235818-35795x", 13, &rp, &bad), -1);
	assert_non_null(strstr(err_msg(), "no digit (in group 2)"));
	assert_int_equal(bitlocker_rp_parse("", 0, &rp, &bad), -1);
}

static void test_rp_entry(void **state)
{
	struct bitlocker_rp_entry e;
	struct bitlocker_rp rp;
	const char *digits = "235818357951253979013365241120245575342914591910";

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(bitlocker_rp_entry_group(&e, 0), BITLOCKER_GROUP_EMPTY);
	for (int i = 0; i < 5; i++)
		assert_int_equal(bitlocker_rp_entry_key(&e, digits[i]), 1);
	assert_int_equal(bitlocker_rp_entry_group(&e, 0), BITLOCKER_GROUP_PARTIAL);
	assert_int_equal(bitlocker_rp_entry_key(&e, '-'), 0);
	assert_int_equal(bitlocker_rp_entry_key(&e, 'x'), -1);
	/* a wrong sixth digit shows at once, backspace takes it back */
	assert_int_equal(bitlocker_rp_entry_key(&e, '9'), 1);
	assert_int_equal(bitlocker_rp_entry_group(&e, 0), BITLOCKER_GROUP_NOT11);
	assert_int_equal(bitlocker_rp_entry_bad(&e), 1);
	assert_int_equal(bitlocker_rp_entry_key(&e, BITLOCKER_RP_BACKSPACE), 1);
	assert_int_equal(bitlocker_rp_entry_key(&e, digits[5]), 1);
	assert_int_equal(bitlocker_rp_entry_group(&e, 0), BITLOCKER_GROUP_OK);
	assert_int_equal(bitlocker_rp_entry_bad(&e), 0);
	assert_int_equal(bitlocker_rp_entry_done(&e, &rp), -1);	/* 6 of 48 */
	for (int i = 6; i < 48; i++)
		assert_int_equal(bitlocker_rp_entry_key(&e, digits[i]), 1);
	assert_int_equal(bitlocker_rp_entry_key(&e, '1'), -1);	/* a 49th digit */
	assert_int_equal(bitlocker_rp_entry_done(&e, &rp), 0);
	assert_string_equal(rp.text, RP);
	bitlocker_rp_entry_clear(&e);
	assert_int_equal(e.n, 0);
}

static void test_fkeys(void **state)
{
	(void)state;
	assert_int_equal(bitlocker_rp_fkey_digit(1), '1');
	assert_int_equal(bitlocker_rp_fkey_digit(9), '9');
	assert_int_equal(bitlocker_rp_fkey_digit(10), '0');
	assert_int_equal(bitlocker_rp_fkey_digit(11), -1);
	assert_int_equal(bitlocker_rp_fkey_digit(0), -1);
}

static void test_guid_parse(void **state)
{
	char g[BITLOCKER_GUID_LEN];

	(void)state;
	assert_int_equal(bitlocker_guid_parse("3fd763f9-74c7-4e90-8fa2-1f6a2e2b4e0c", g), 0);
	assert_string_equal(g, "3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C");
	assert_int_equal(bitlocker_guid_parse(" {3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C} ", g), 0);
	assert_string_equal(g, "3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C");
	assert_int_equal(bitlocker_guid_parse("{3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C", g), -1);
	assert_int_equal(bitlocker_guid_parse("3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0", g), -1);
	assert_int_equal(bitlocker_guid_parse("3FD763F9x74C7-4E90-8FA2-1F6A2E2B4E0C", g), -1);
	assert_int_equal(bitlocker_guid_parse("3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0CAA", g), -1);
	assert_int_equal(bitlocker_guid_parse("", g), -1);
}

static void test_guid_prefix(void **state)
{
	char q[BITLOCKER_GUID_LEN];
	const char *id = "3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C";

	(void)state;
	assert_int_equal(bitlocker_guid_prefix_parse("3fd763f9", q), 0);
	assert_string_equal(q, "3FD763F9");
	assert_int_equal(bitlocker_guid_match(id, q), 1);
	assert_int_equal(bitlocker_guid_prefix_parse("{3FD763F9", q), 0);
	assert_int_equal(bitlocker_guid_match(id, q), 1);
	assert_int_equal(bitlocker_guid_prefix_parse("3fd763f9-74c7-4e90-8fa2-1f6a2e2b4e0c", q), 0);
	assert_int_equal(bitlocker_guid_match(id, q), 1);
	assert_int_equal(bitlocker_guid_prefix_parse("3FD763F8", q), 0);
	assert_int_equal(bitlocker_guid_match(id, q), 0);
	/* 7 or 9 characters are neither a prefix nor a key ID */
	assert_int_equal(bitlocker_guid_prefix_parse("3FD763F", q), -1);
	assert_int_equal(bitlocker_guid_prefix_parse("3FD763F9A", q), -1);
	assert_int_equal(bitlocker_guid_match(id, "3FD763F"), 0);
}

/* ---- hand-built volumes ---- */

static void p16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void p32(unsigned char *p, uint32_t v)
{
	p16(p, v & 0xffff);
	p16(p + 2, v >> 16);
}

static void p64(unsigned char *p, uint64_t v)
{
	p32(p, (uint32_t)v);
	p32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t crc32(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

/* GUID 3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C as Windows stores it */
static const unsigned char rp_guid[16] = { 0xf9, 0x63, 0xd7, 0x3f, 0xc7, 0x74, 0x90, 0x4e,
					   0x8f, 0xa2, 0x1f, 0x6a, 0x2e, 0x2b, 0x4e, 0x0c };

static unsigned protection = 0x0800;	/* of the one VMK fve_copy() writes */

/* One metadata copy at buf: a description and one recovery-password VMK. */
static size_t fve_copy(unsigned char *buf, const uint64_t off[3], int damage_entry)
{
	unsigned char *e;
	size_t n, blk;
	const char *desc = "PC01 C:";

	memcpy(buf, "-FVE-FS-", 8);
	p16(buf + 10, 2);
	p16(buf + 12, 4);
	p16(buf + 14, 4);
	for (int i = 0; i < 3; i++)
		p64(buf + 32 + 8 * i, off[i]);
	p32(buf + 68, 1);
	p32(buf + 72, 48);
	memset(buf + 80, 0x11, 16);		/* volume GUID */
	p16(buf + 100, 0x8004);			/* AES-XTS 128 */
	e = buf + 112;
	/* description entry, UTF-16 */
	n = 8 + 2 * strlen(desc);
	p16(e, (unsigned)n);
	p16(e + 2, 7);
	p16(e + 4, 2);
	for (size_t i = 0; i < strlen(desc); i++)
		p16(e + 8 + 2 * i, (unsigned char)desc[i]);
	e += n;
	/* VMK entry: header 8, GUID, time, flags, protection 0x0800, then properties */
	p16(e + 2, 2);
	p16(e + 4, 8);
	memcpy(e + 8, rp_guid, 16);
	p16(e + 8 + 26, protection);
	n = 8 + 28;
	p16(e + n, 28);				/* stretch key: method + salt */
	p16(e + n + 4, 3);
	memset(e + n + 12, 0x5a, 16);
	n += 28;
	p16(e + n, 8 + 28 + 44);		/* AES-CCM encrypted VMK */
	p16(e + n + 4, 5);
	n += 8 + 28 + 44;
	p16(e, (unsigned)(damage_entry ? n + 4000 : n));
	e += n;
	p32(buf + 64, (uint32_t)(e - buf - 64));	/* metadata size */
	p32(buf + 76, (uint32_t)(e - buf - 64));
	blk = ((size_t)(e - buf) + 15) & ~(size_t)15;
	p16(buf + 8, (unsigned)(blk >> 4));
	p16(buf + blk, 8);
	p16(buf + blk + 2, 2);
	p32(buf + blk + 4, crc32(buf, blk));
	return blk;
}

enum damage { NONE, CRC0, CRC_ALL, ENTRY_ALL, TRUNCATED, NOT_BITLOCKER, VISTA };

/* A 1 MiB volume in a memfd, with its metadata damaged as asked. */
static int make_volume(enum damage d)
{
	static unsigned char img[1 << 20];
	const uint64_t off[3] = { 0x10000, 0x20000, 0x30000 };
	static const unsigned char normal[16] = { 0x3b, 0xd6, 0x67, 0x49, 0x29, 0x2e, 0xd8, 0x4a,
						  0x83, 0x99, 0xf6, 0xa3, 0x39, 0xe3, 0xd0, 0x01 };
	int fd = memfd_create("vol", 0);

	memset(img, 0, sizeof(img));
	memcpy(img, d == VISTA ? "\xeb\x52\x90" : "\xeb\x58\x90", 3);
	memcpy(img + 3, d == NOT_BITLOCKER ? "NTFS    " : "-FVE-FS-", 8);
	p16(img + 11, 512);
	memcpy(img + 160, normal, 16);
	for (int i = 0; i < 3; i++)
		p64(img + 176 + 8 * i, off[i]);
	for (int i = 0; i < 3; i++) {
		size_t blk = fve_copy(img + off[i], off, d == ENTRY_ALL);

		if (d == CRC_ALL || (d == CRC0 && i == 0))
			img[off[i] + blk - 1] ^= 0xff;
	}
	if (write(fd, img, d == TRUNCATED ? 0x10000 + 40 : sizeof(img)) < 0)
		return -1;
	return fd;
}

static void test_metadata(void **state)
{
	struct bitlocker_info bi;
	int fd = make_volume(NONE);

	(void)state;
	if (bitlocker_read_fd(fd, "vol", &bi) < 0)
		fail_msg("%s", err_msg());
	assert_int_equal(bi.copy, 0);
	assert_int_equal(bi.nprot, 1);
	assert_string_equal(bi.prot[0].guid, "3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C");
	assert_int_equal(bi.prot[0].kind, BITLOCKER_RECOVERY_PASSWORD);
	assert_int_equal(bi.prot[0].has_salt, 1);
	assert_int_equal(bi.prot[0].enc_len, 44);
	assert_string_equal(bi.description, "PC01 C:");
	assert_string_equal(bi.cipher, "AES-XTS 128");
	assert_string_equal(bi.volume_guid, "11111111-1111-1111-1111-111111111111");
	assert_int_equal(bitlocker_converting(&bi, NULL, 0), 0);
	assert_int_equal(bitlocker_tpm_only(&bi), 0);
	bitlocker_info_clear(&bi);
	close(fd);
}

static void test_metadata_damaged(void **state)
{
	struct bitlocker_info bi;
	int fd;

	(void)state;
	/* a wrong CRC in the first copy: the second one is used */
	fd = make_volume(CRC0);
	assert_int_equal(bitlocker_read_fd(fd, "vol", &bi), 0);
	assert_int_equal(bi.copy, 1);
	assert_string_equal(bi.prot[0].guid, "3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C");
	close(fd);
	fd = make_volume(CRC_ALL);
	assert_int_equal(bitlocker_read_fd(fd, "vol", &bi), -1);
	assert_string_equal(err_msg(), "cannot read BitLocker metadata of vol: the metadata "
			    "checksum is wrong");
	close(fd);
	/* an entry claiming more bytes than there are (with a right CRC) */
	fd = make_volume(ENTRY_ALL);
	assert_int_equal(bitlocker_read_fd(fd, "vol", &bi), -1);
	assert_non_null(strstr(err_msg(), "a metadata entry is damaged"));
	close(fd);
	fd = make_volume(TRUNCATED);
	assert_int_equal(bitlocker_read_fd(fd, "vol", &bi), -1);
	close(fd);
	/* not BitLocker at all: told apart from damage (unlock looks inside a disk then) */
	fd = make_volume(NOT_BITLOCKER);
	assert_int_equal(bitlocker_read_fd(fd, "vol", &bi), BITLOCKER_NOT_BITLOCKER);
	assert_string_equal(err_msg(), "cannot read BitLocker metadata of vol: not a BitLocker "
			    "volume");
	close(fd);
	fd = make_volume(VISTA);
	assert_int_equal(bitlocker_read_fd(fd, "vol", &bi), -1);
	assert_non_null(strstr(err_msg(), "Windows Vista"));
	close(fd);
}

static void test_tpm_only(void **state)
{
	char path[] = "/tmp/bootfix-tpm.XXXXXX", buf[65536];
	struct keys_unlock_opts o = { .check = 1 };
	struct bitlocker_result res;
	struct keys_source src;
	struct bitlocker_info bi;
	ssize_t n;
	int fd, out;

	(void)state;
	protection = 0x0100;
	fd = make_volume(NONE);
	protection = 0x0800;
	out = mkstemp(path);
	assert_true(fd >= 0 && out >= 0);
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(fd);
	close(out);
	assert_int_equal(bitlocker_read(path, &bi), 0);
	assert_int_equal(bi.prot[0].kind, BITLOCKER_TPM);
	assert_int_equal(bitlocker_tpm_only(&bi), 1);
	assert_int_equal(keys_unlock(path, &bi, &o, NULL, &res, &src), -1);
	assert_int_equal(res.wrong_key, 1);
	assert_non_null(strstr(err_msg(), "it can only be unlocked by its TPM or a smart card, on "
			       "its own computer"));
	unlink(path);
}

static void test_recovery_ids(void **state)
{
	static const char *const ids[] = {
		"3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C", "00000000-0000-0000-0000-000000000000",
		"AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE", "12345678-1234-1234-1234-123456789ABC",
	};
	static const enum bitlocker_kind kinds[] = {
		BITLOCKER_RECOVERY_PASSWORD, BITLOCKER_TPM, BITLOCKER_RECOVERY_PASSWORD,
		BITLOCKER_RECOVERY_PASSWORD,
	};
	struct bitlocker_info bi;
	char buf[200];

	(void)state;
	memset(&bi, 0, sizeof(bi));
	assert_int_equal(bitlocker_recovery_ids(&bi, " ", 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	for (int i = 0; i < 4; i++) {
		snprintf(bi.prot[i].guid, sizeof(bi.prot[i].guid), "%s", ids[i]);
		bi.prot[i].kind = kinds[i];
	}
	bi.nprot = 4;
	/* the TPM protector's ID is not one a person can look up */
	assert_int_equal(bitlocker_recovery_ids(&bi, " ", 0, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C "
			    "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE "
			    "12345678-1234-1234-1234-123456789ABC");
	assert_int_equal(bitlocker_recovery_ids(&bi, ", ", 1, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C (3FD763F9), "
			    "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE (AAAAAAAA), "
			    "12345678-1234-1234-1234-123456789ABC (12345678)");
	/* room for two whole IDs only: never half of one */
	assert_int_equal(bitlocker_recovery_ids(&bi, " or ", 0, buf, 36 + 4 + 36 + 10), 2);
	assert_string_equal(buf, "3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C or "
			    "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE");
	assert_int_equal(bitlocker_recovery_ids(&bi, " ", 0, buf, 36), 0);
	assert_string_equal(buf, "");
}

static void test_bek(void **state)
{
	unsigned char bek[48 + 8 + 24 + 8 + 4 + 32], key[32];
	char guid[BITLOCKER_GUID_LEN];

	(void)state;
	memset(bek, 0, sizeof(bek));
	p32(bek, sizeof(bek));
	p32(bek + 4, 1);
	p32(bek + 8, 48);
	p32(bek + 12, sizeof(bek));
	memcpy(bek + 16, rp_guid, 16);
	p16(bek + 48, 8 + 24 + 8 + 4 + 32);	/* startup key entry */
	p16(bek + 50, 6);
	p16(bek + 52, 9);
	p16(bek + 48 + 32, 8 + 4 + 32);		/* its key property */
	p16(bek + 48 + 32 + 4, 1);
	memset(bek + 48 + 32 + 12, 0xa5, 32);
	assert_int_equal(bitlocker_bek_parse(bek, sizeof(bek), "x.BEK", guid, key), 0);
	assert_string_equal(guid, "3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C");
	assert_int_equal(key[0], 0xa5);
	assert_int_equal(key[31], 0xa5);
	/* a length that does not match the header, or a short file */
	assert_int_equal(bitlocker_bek_parse(bek, sizeof(bek) - 1, "x.BEK", guid, key), -1);
	assert_int_equal(bitlocker_bek_parse(bek, 20, "x.BEK", guid, key), -1);
	assert_non_null(strstr(err_msg(), "not a BitLocker .BEK file"));
	/* a key property longer than its entry */
	p16(bek + 48 + 32, 200);
	assert_int_equal(bitlocker_bek_parse(bek, sizeof(bek), "x.BEK", guid, key), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rp_forms),
		cmocka_unit_test(test_rp_wrong_group),
		cmocka_unit_test(test_rp_length),
		cmocka_unit_test(test_rp_entry),
		cmocka_unit_test(test_fkeys),
		cmocka_unit_test(test_guid_parse),
		cmocka_unit_test(test_guid_prefix),
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_metadata_damaged),
		cmocka_unit_test(test_tpm_only),
		cmocka_unit_test(test_recovery_ids),
		cmocka_unit_test(test_bek),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
