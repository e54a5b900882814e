/*
 * test_keys.c - reading the fleet's BitLocker key exports (cmocka): the
 * export styles of AD PowerShell, Entra ID / Intune, MBAM and raw msFVE
 * attributes, in UTF-16LE with BOM, UTF-8 with and without BOM, quoted
 * fields, braces or none, 8-character key-ID prefixes, and rows that must
 * be skipped without the key appearing in any message.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "keys.h"

/* key IDs and recovery passwords of cryptsetup's public BitLocker test images */
#define ID1 "3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C"
#define RP1 "042647-302313-590458-071500-554323-116567-412181-516978"
#define ID2 "64311DEA-4587-4029-924A-BA299647998E"
#define RP2 "235818-357951-253979-013365-241120-245575-342914-591910"
#define ID3 "B9859A34-8139-4D5E-A628-412BEF9BA206"
#define RP3 "616319-601744-502117-534017-367994-176748-607299-663201"
#define ID4 "83ABDB8F-3218-4BFD-ACED-215E1E189BDF"
#define RP4 "404558-436711-420860-678557-638220-018909-039941-695321"

static char problems[4096];

static void collect(void *ctx, const char *msg)
{
	(void)ctx;
	strncat(problems, msg, sizeof(problems) - strlen(problems) - 2);
	strcat(problems, "\n");
}

/* The text as UTF-16LE with a BOM, as Windows PowerShell 5.1 writes; caller frees. */
static char *utf16le(const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *out = malloc(2 * n + 2);

	out[0] = (char)0xff;
	out[1] = (char)0xfe;
	for (size_t i = 0; i < n; i++) {
		out[2 + 2 * i] = s[i];
		out[3 + 2 * i] = 0;
	}
	*len = 2 * n + 2;
	return out;
}

static const struct keyring_entry *one(const struct keyring *kr, const char *id)
{
	const struct keyring_entry *hit[4];

	assert_int_equal(keys_find(kr, id, hit, 4), 1);
	return hit[0];
}

static void test_ad_powershell_utf16(void **state)
{
	const char *csv =
		"#TYPE Selected.Microsoft.ActiveDirectory.Management.ADObject\r\n"
		"\"ComputerName\",\"KeyId\",\"RecoveryPassword\"\r\n"
		"\"DESKTOP-NPM7RCA\",\"{3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C}\",\"" RP1 "\"\r\n"
		"\"PC, \"\"QUOTED\"\"\",\"{64311dea-4587-4029-924a-ba299647998e}\",\"" RP2 "\"\r\n";
	struct keyring kr = { 0 };
	const struct keyring_entry *e;
	size_t len;
	char *data = utf16le(csv, &len);

	(void)state;
	assert_int_equal(keys_parse_csv(&kr, "ad.csv", data, len, collect, NULL), 2);
	e = one(&kr, ID1);
	assert_string_equal(e->rp.text, RP1);
	assert_string_equal(e->computer, "DESKTOP-NPM7RCA");
	assert_string_equal(e->file, "ad.csv");
	assert_int_equal(e->line, 3);
	e = one(&kr, ID2);
	assert_string_equal(e->rp.text, RP2);
	assert_string_equal(e->computer, "PC, \"QUOTED\"");
	assert_int_equal(e->line, 4);
	free(data);
	keys_free(&kr);
	assert_int_equal(kr.n, 0);
}

static void test_intune_utf8_bom(void **state)
{
	const char *csv = "\xef\xbb\xbf" "Device name,BitLocker Key Id,Recovery Key,Volume type\n"
			  "LAPTOP-42,b9859a34-8139-4d5e-a628-412bef9ba206," RP3 ",Operating system\n";
	struct keyring kr = { 0 };

	(void)state;
	assert_int_equal(keys_parse_csv(&kr, "intune.csv", csv, strlen(csv), collect, NULL), 1);
	assert_string_equal(one(&kr, ID3)->rp.text, RP3);
	assert_string_equal(one(&kr, ID3)->computer, "LAPTOP-42");
	keys_free(&kr);
}

static void test_mbam_semicolons(void **state)
{
	/* European Excel saves with semicolons; no dashes in the key */
	const char *csv = "RecoveryKeyId;RecoveryKey;MachineName;LastUpdateTime\r\n"
			  "{83abdb8f-3218-4bfd-aced-215e1e189bdf};"
			  "404558436711420860678557638220018909039941695321;PC-7;2024-07-19 08:00\r\n";
	struct keyring kr = { 0 };

	(void)state;
	assert_int_equal(keys_parse_csv(&kr, "mbam.csv", csv, strlen(csv), collect, NULL), 1);
	assert_string_equal(one(&kr, ID4)->rp.text, RP4);
	assert_string_equal(one(&kr, ID4)->computer, "PC-7");
	keys_free(&kr);
}

static void test_msfve_attributes(void **state)
{
	const char *csv =
		"Name,msFVE-RecoveryGuid,msFVE-RecoveryPassword,DistinguishedName\n"
		"2019-07-03T10:00:00-00:00{" ID1 "}," ID1 "," RP1 ","
		"\"CN=2019-07-03T10:00:00-00:00{" ID1 "},CN=DESKTOP-NPM7RCA,OU=Laptops,DC=corp\"\n";
	struct keyring kr = { 0 };

	(void)state;
	assert_int_equal(keys_parse_csv(&kr, "msfve.csv", csv, strlen(csv), collect, NULL), 1);
	assert_string_equal(one(&kr, ID1)->rp.text, RP1);
	/* no computer column: the computer's CN from the object's DN */
	assert_string_equal(one(&kr, ID1)->computer, "DESKTOP-NPM7RCA");
	keys_free(&kr);
}

static void test_ad_object_name_only(void **state)
{
	/* Get-ADObject ... | Select Name, msFVE-RecoveryPassword: the ID is in the name */
	const char *csv = "\"Name\",\"msFVE-RecoveryPassword\"\n"
			  "\"2019-08-15T10:00:00-00:00{" ID3 "}\",\"" RP3 "\"\n";
	struct keyring kr = { 0 };

	(void)state;
	assert_int_equal(keys_parse_csv(&kr, "names.csv", csv, strlen(csv), collect, NULL), 1);
	assert_string_equal(one(&kr, ID3)->rp.text, RP3);
	keys_free(&kr);
}

static void test_prefix_and_excel(void **state)
{
	/* a helpdesk sheet with 8-character key IDs; Excel's ="..." text guard */
	const char *csv = "sep=,\nKey ID,Recovery Password\n"
			  "3fd763f9,\"=\"\"" RP1 "\"\"\"\n"
			  "{" ID2 "}, '" RP2 "\n";
	struct keyring kr = { 0 };
	const struct keyring_entry *hit[4];

	(void)state;
	assert_int_equal(keys_parse_csv(&kr, "desk.csv", csv, strlen(csv), collect, NULL), 2);
	assert_int_equal(keys_find(&kr, ID1, hit, 4), 1);
	assert_string_equal(hit[0]->id, "3FD763F9");
	assert_string_equal(hit[0]->rp.text, RP1);
	assert_int_equal(hit[0]->line, 3);
	assert_string_equal(one(&kr, ID2)->rp.text, RP2);
	/* a whole key ID is tried before a prefix-only row */
	assert_int_equal(keys_parse_csv(&kr, "full.csv", "KeyId,RecoveryPassword\n" ID1 "," RP1 "\n",
					strlen("KeyId,RecoveryPassword\n" ID1 "," RP1 "\n"), collect,
					NULL), 1);
	assert_int_equal(keys_find(&kr, ID1, hit, 4), 2);
	assert_string_equal(hit[0]->file, "full.csv");
	assert_string_equal(hit[1]->file, "desk.csv");
	keys_free(&kr);
}

static void test_bad_rows_skipped(void **state)
{
	const char *csv = "KeyId,RecoveryPassword,Note\n"
			  ID1 ",042647-302313-590458-071501-554323-116567-412181-516978,typo\n"
			  "not-a-guid," RP2 ",x\n"
			  ID3 ",,\"two\nlines\"\n"
			  ID4 "," RP4 ",ok\n";
	struct keyring kr = { 0 };

	(void)state;
	problems[0] = '\0';
	assert_int_equal(keys_parse_csv(&kr, "bad.csv", csv, strlen(csv), collect, NULL), 1);
	assert_int_equal(kr.skipped, 3);
	assert_non_null(strstr(problems, "bad.csv line 2: skipped: key ID " ID1
			       ": recovery password group 4 is wrong (not divisible by 11)"));
	assert_non_null(strstr(problems, "bad.csv line 3: skipped: no key ID in it"));
	assert_non_null(strstr(problems, "bad.csv line 4: skipped: no recovery password"));
	/* the row after a quoted line break still knows its line */
	assert_int_equal(one(&kr, ID4)->line, 6);
	/* no part of any key in any message */
	assert_null(strstr(problems, "302313"));
	assert_null(strstr(problems, "071501"));
	assert_null(strstr(problems, "357951"));
	keys_free(&kr);
}

static void test_short_rows(void **state)
{
	/* the computer column last, and rows that stop before it */
	const char *csv =
		"KeyId,RecoveryPassword,ComputerName\n"
		ID1 "," RP1 "\n"
		ID2 "," RP2 ",PC02\n"
		ID3 "\n";
	struct keyring kr = { 0 };

	(void)state;
	problems[0] = '\0';
	assert_int_equal(keys_parse_csv(&kr, "short.csv", csv, strlen(csv), collect, NULL), 2);
	/* a missing computer name is none, never another column's text */
	assert_string_equal(one(&kr, ID1)->computer, "");
	assert_string_equal(one(&kr, ID2)->computer, "PC02");
	assert_string_equal(problems, "short.csv line 4: skipped: no recovery password for key "
			    "ID " ID3 "\n");
	keys_free(&kr);
}

static void test_not_an_export(void **state)
{
	struct keyring kr = { 0 };

	(void)state;
	assert_int_equal(keys_parse_csv(&kr, "x.csv", "a,b,c\n1,2,3\n", 12, collect, NULL), -1);
	assert_non_null(strstr(err_msg(), "cannot read key export x.csv: no key ID column"));
	assert_int_equal(keys_parse_csv(&kr, "y.csv", "KeyId,Owner\n" ID1 ",me\n", 12 + 37 + 4,
					collect, NULL), -1);
	assert_non_null(strstr(err_msg(), "no recovery password column"));
	assert_int_equal(keys_parse_csv(&kr, "z.csv", "", 0, collect, NULL), -1);
	keys_free(&kr);
}

static void test_utf16be_and_no_bom(void **state)
{
	const char *csv = "KeyId,RecoveryPassword\n" ID2 "," RP2 "\n";
	size_t n = strlen(csv), len;
	char *be = malloc(2 * n + 2), *le = utf16le(csv, &len);
	struct keyring kr = { 0 };

	(void)state;
	be[0] = (char)0xfe;
	be[1] = (char)0xff;
	for (size_t i = 0; i < n; i++) {
		be[2 + 2 * i] = 0;
		be[3 + 2 * i] = csv[i];
	}
	assert_int_equal(keys_parse_csv(&kr, "be.csv", be, 2 * n + 2, collect, NULL), 1);
	/* UTF-16LE that lost its BOM */
	assert_int_equal(keys_parse_csv(&kr, "le.csv", le + 2, len - 2, collect, NULL), 1);
	assert_int_equal(keys_find(&kr, ID2, NULL, 0), 2);
	free(be);
	free(le);
	keys_free(&kr);
}

static void test_lookup(void **state)
{
	const char *a = "KeyId,RecoveryPassword\n" ID1 "," RP1 "\n" ID2 "," RP2 "\n";
	/* the same key again (AD and Intune both export it), and a near neighbour */
	const char *b = "KeyId,RecoveryPassword\n" ID1 "," RP1 "\n"
			"3FD763F9-0000-4000-8000-000000000000," RP3 "\n";
	struct keyring kr = { 0 };
	const struct keyring_entry *e;

	(void)state;
	assert_int_equal(keys_parse_csv(&kr, "a.csv", a, strlen(a), collect, NULL), 2);
	e = keys_lookup(&kr, "64311dea");
	assert_non_null(e);
	assert_string_equal(e->id, ID2);
	e = keys_lookup(&kr, "{3FD763F9}");
	assert_non_null(e);
	assert_string_equal(e->rp.text, RP1);
	assert_int_equal(keys_parse_csv(&kr, "b.csv", b, strlen(b), collect, NULL), 2);
	assert_null(keys_lookup(&kr, "3fd763f9"));
	assert_string_equal(err_msg(), "key ID 3FD763F9 is ambiguous: 2 keys start with it; give "
			    "the whole key ID");
	e = keys_lookup(&kr, ID1);
	assert_non_null(e);
	assert_string_equal(e->rp.text, RP1);
	assert_null(keys_lookup(&kr, "AAAAAAAA"));
	assert_string_equal(err_msg(), "no key with key ID AAAAAAAA in the key exports");
	assert_null(keys_lookup(&kr, "3FD7"));
	keys_free(&kr);
}

/* A minimal .BEK file for the startup-key protector ID1. */
static size_t make_bek(unsigned char *b)
{
	static const unsigned char g[16] = { 0xf9, 0x63, 0xd7, 0x3f, 0xc7, 0x74, 0x90, 0x4e,
					     0x8f, 0xa2, 0x1f, 0x6a, 0x2e, 0x2b, 0x4e, 0x0c };
	size_t n = 48 + 8 + 24 + 8 + 4 + 32;

	memset(b, 0, n);
	b[0] = (unsigned char)n;
	b[4] = 1;
	b[8] = 48;
	b[12] = (unsigned char)n;
	memcpy(b + 16, g, 16);
	b[48] = 8 + 24 + 8 + 4 + 32;
	b[50] = 6;
	b[52] = 9;
	b[48 + 32] = 8 + 4 + 32;
	b[48 + 32 + 4] = 1;
	memset(b + 48 + 32 + 12, 0x42, 32);
	return n;
}

static void test_load_dir(void **state)
{
	char dir[] = "/tmp/bootfix-keys.XXXXXX", path[128];
	const char *csv = "KeyId,RecoveryPassword\n" ID2 "," RP2 "\n";
	unsigned char bek[200];
	struct keyring kr = { 0 };
	size_t len, blen = make_bek(bek);
	char *u16 = utf16le(csv, &len);
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/b-ad.CSV", dir);
	f = fopen(path, "w");
	fwrite(u16, 1, len, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/" ID1 ".BEK", dir);
	f = fopen(path, "w");
	fwrite(bek, 1, blen, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	f = fopen(path, "w");
	fputs(csv, f);
	fclose(f);
	/* a link is never followed, whatever it points to */
	snprintf(path, sizeof(path), "%s/a-link.csv", dir);
	assert_int_equal(symlink("b-ad.CSV", path), 0);
	problems[0] = '\0';
	assert_int_equal(keys_load_dir(&kr, dir, collect, NULL), 0);
	assert_int_equal(kr.n, 1);
	assert_int_equal(kr.nbek, 1);
	assert_int_equal(kr.files, 2);
	assert_string_equal(kr.bek[0].guid, ID1);
	assert_string_equal(kr.bek[0].file, ID1 ".BEK");
	assert_string_equal(one(&kr, ID2)->file, "b-ad.CSV");
	assert_non_null(strstr(problems, "a-link.csv"));
	keys_free(&kr);
	/* a missing directory holds no keys and is no error */
	assert_int_equal(keys_load_dir(&kr, "/nonexistent/keys", collect, NULL), 0);
	assert_int_equal(kr.n, 0);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
	free(u16);
}

static void test_source_names(void **state)
{
	struct keys_source s = { .kind = KEYS_SOURCE_CSV, .line = 12 };
	char buf[300];

	(void)state;
	strcpy(s.file, "ad.csv");
	strcpy(s.computer, "PC01");
	assert_string_equal(keys_source_name(&s, buf, sizeof(buf)), "CSV file ad.csv line 12 (PC01)");
	s.kind = KEYS_SOURCE_BEK;
	strcpy(s.file, ID1 ".BEK");
	assert_string_equal(keys_source_name(&s, buf, sizeof(buf)), "BEK file " ID1 ".BEK");
	s.kind = KEYS_SOURCE_CLEAR;
	assert_string_equal(keys_source_name(&s, buf, sizeof(buf)), "clear key (BitLocker suspended)");
	s.kind = KEYS_SOURCE_TYPED;
	s.protector = BITLOCKER_RECOVERY_PASSWORD;
	assert_string_equal(keys_source_name(&s, buf, sizeof(buf)), "typed recovery password");
	assert_string_equal(keys_source_kind_name(KEYS_SOURCE_CSV), "csv");
	assert_string_equal(keys_source_kind_name(KEYS_SOURCE_CLEAR), "clear-key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ad_powershell_utf16),
		cmocka_unit_test(test_intune_utf8_bom),
		cmocka_unit_test(test_mbam_semicolons),
		cmocka_unit_test(test_msfve_attributes),
		cmocka_unit_test(test_ad_object_name_only),
		cmocka_unit_test(test_prefix_and_excel),
		cmocka_unit_test(test_bad_rows_skipped),
		cmocka_unit_test(test_short_rows),
		cmocka_unit_test(test_not_an_export),
		cmocka_unit_test(test_utf16be_and_no_bom),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_source_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
