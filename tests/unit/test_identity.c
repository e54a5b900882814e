/*
 * test_identity.c - who a Windows install is (recovery/identity.c), read
 * from the real Windows 10 SYSTEM hive of tests/data/hives and from hives
 * the test makes out of it with libhivex (a SOFTWARE hive, a SYSTEM hive
 * whose Select\Current points nowhere...), on a folder laid out as a
 * volume; and the machine's folder name on the stick from hostile names.
 */
#include <errno.h>
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

#include <hivex.h>

#include <cmocka.h>

#include "err.h"
#include "fixture.h"
#include "identity.h"

#define CONFIG "Windows/System32/config"

static char hives[64];		/* SYSTEM and the damaged hive, decompressed once */
static char system_hive[128], damaged_hive[128];
static char root[64];		/* per test: a volume */
static int rootfd = -1;

static int group_setup(void **state)
{
	(void)state;
	if (fixture_tmpdir(hives, sizeof(hives), "identity-hives") < 0)
		return -1;
	snprintf(system_hive, sizeof(system_hive), "%s/SYSTEM", hives);
	snprintf(damaged_hive, sizeof(damaged_hive), "%s/damaged", hives);
	return fixture_sh("xz -dc tests/data/hives/SYSTEM_WIN_10_1709.xz > %s && "
			  "xz -dc tests/data/hives/corrupted_system_hive.xz > %s", system_hive,
			  damaged_hive);
}

static int group_teardown(void **state)
{
	(void)state;
	fixture_rm(hives);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	if (fixture_tmpdir(root, sizeof(root), "identity") < 0 ||
	    fixture_sh("mkdir -p %s/" CONFIG, root) != 0)
		return -1;
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return rootfd < 0;
}

static int teardown(void **state)
{
	(void)state;
	close(rootfd);
	fixture_rm(root);
	return 0;
}

/* A value to set in a hive: REG_SZ from code units (UTF-16), or a DWORD. */
struct value {
	const char *key;		/* '\'-separated from the root, made as needed */
	const char *name;
	const uint16_t *sz;		/* NUL-terminated code units, or NULL */
	int64_t dword;			/* used when sz is NULL and dword >= 0 */
};

/* Copy the hive in to out with the values set. */
static void hive_make(const char *in, const char *out, const struct value *v, size_t n)
{
	hive_h *h;

	assert_int_equal(fixture_sh("cp %s %s", in, out), 0);
	h = hivex_open(out, HIVEX_OPEN_WRITE);
	assert_non_null(h);
	for (size_t i = 0; i < n; i++) {
		char *path = strdup(v[i].key), *save = NULL, buf[1024];
		hive_node_h node = hivex_root(h);
		hive_set_value set;
		size_t len = 0;

		for (char *p = strtok_r(path, "\\", &save); p; p = strtok_r(NULL, "\\", &save)) {
			hive_node_h next = hivex_node_get_child(h, node, p);

			node = next ? next : hivex_node_add_child(h, node, p);
			assert_int_not_equal(node, 0);
		}
		free(path);
		set.key = (char *)v[i].name;
		set.value = buf;
		if (v[i].sz) {
			do {
				buf[len] = (char)(v[i].sz[len / 2] & 0xff);
				buf[len + 1] = (char)(v[i].sz[len / 2] >> 8);
				len += 2;
			} while (v[i].sz[len / 2 - 1]);
			set.t = hive_t_REG_SZ;
		} else {
			uint32_t d = (uint32_t)v[i].dword;

			memcpy(buf, &d, 4);	/* little-endian, as Windows */
			len = 4;
			set.t = hive_t_REG_DWORD;
		}
		set.len = len;
		assert_int_equal(hivex_node_set_value(h, node, &set, 0), 0);
	}
	assert_int_equal(hivex_commit(h, NULL, 0), 0);
	hivex_close(h);
}

static void hive_put(const char *src, const char *name)
{
	assert_int_equal(fixture_sh("cp %s %s/" CONFIG "/%s", src, root, name), 0);
}

static const uint16_t PRODUCT[] = { 'W', 'i', 'n', 'd', 'o', 'w', 's', ' ', '1', '0', ' ', 'P',
				    'r', 'o', '\n', 0x1b, '[', '2', 'J', 0xc4, 0 };
static const uint16_t BUILD[] = { '1', '6', '2', '9', '9', 0 };
static const uint16_t BUILD_NUMBER[] = { '1', '9', '0', '4', '5', 0 };
static const uint16_t DISPLAY[] = { '1', '7', '0', '9', 0 };
static const uint16_t ROOT_D[] = { 'D', ':', '\\', 'W', 'I', 'N', 'D', 'O', 'W', 'S', 0 };

/* ---- identity_folder_name ---- */

static void check_folder(const char *name, const char *want)
{
	char *s = identity_folder_name(name);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_folder_name(void **state)
{
	(void)state;
	check_folder("DESKTOP-2KGM189", "DESKTOP-2KGM189");
	/* everything FAT refuses, and what Windows drops at a name's end */
	check_folder("a/b\\c:d*e?f\"g<h>i|j.k l", "a_b_c_d_e_f_g_h_i_j_k_l");
	check_folder("PC\n\x1b[2J\x01", "PC__[2J_");
	check_folder(".", "_");
	check_folder("..", "__");
	check_folder("PC. ", "PC__");
	/* UTF-8 is FAT's business (long names are UTF-16) */
	check_folder("B\xc3\xbcro-PC", "B\xc3\xbcro-PC");
}

/* A hive may hold a name of any length: the folder's is cut, between characters. */
static void test_folder_name_length(void **state)
{
	char name[400], want[100];

	(void)state;
	memset(name, 'A', 300);
	name[300] = '\0';
	memset(want, 'A', IDENTITY_FOLDER_MAX);
	want[IDENTITY_FOLDER_MAX] = '\0';
	check_folder(name, want);
	name[IDENTITY_FOLDER_MAX] = '\0';
	check_folder(name, want);		/* exactly the longest: kept */
	/* "A" and two-byte letters: the 64th byte would be half a letter */
	strcpy(name, "A");
	for (int i = 0; i < 40; i++)
		strcat(name, "\xc3\xa9");
	strcpy(want, "A");
	for (int i = 0; i < 31; i++)
		strcat(want, "\xc3\xa9");
	check_folder(name, want);
	assert_int_equal(strlen(want), 63);
	/* four-byte characters, cut at 64: sixteen whole ones */
	name[0] = want[0] = '\0';
	for (int i = 0; i < 20; i++)
		strcat(name, "\xf0\x9f\x98\x80");
	for (int i = 0; i < 16; i++)
		strcat(want, "\xf0\x9f\x98\x80");
	check_folder(name, want);
	/* not UTF-8 at all: cut near the limit all the same, never empty */
	memset(name, 0x80, 100);
	name[100] = '\0';
	{
		char *s = identity_folder_name(name);

		assert_true(strlen(s) >= IDENTITY_FOLDER_MAX - 3);
		assert_true(strlen(s) <= IDENTITY_FOLDER_MAX);
		free(s);
	}
}

/* No computer name: the DMI serial, else "unknown-machine"; never empty. */
static void test_folder_name_fallback(void **state)
{
	char *serial = identity_dmi("product_serial"), *a, *b;

	(void)state;
	a = identity_folder_name(NULL);
	b = identity_folder_name("");
	assert_non_null(a);
	assert_string_equal(a, b);
	if (!serial || !*serial)
		assert_string_equal(a, "unknown-machine");
	else
		assert_int_equal(strlen(a), strlen(serial) > IDENTITY_FOLDER_MAX ?
				 IDENTITY_FOLDER_MAX : strlen(serial));
	for (const char *p = a; *p; p++)
		assert_null(strchr("\\/:*?\"<>|. ", *p));
	free(a);
	free(b);
	free(serial);
	assert_null(identity_dmi("no-such-attribute"));
}

/* ---- identity_windows ---- */

static void test_windows_system_hive(void **state)
{
	struct windows_info wi;

	(void)state;
	hive_put(system_hive, "SYSTEM");
	identity_windows(rootfd, &wi);
	assert_string_equal(wi.computer_name, "DESKTOP-2KGM189");
	assert_null(wi.note);
	/* no SOFTWARE hive: nothing else known, and no note for it */
	assert_null(wi.product_name);
	assert_null(wi.build);
	assert_null(wi.display_version);
	assert_null(wi.system_root);
	identity_windows_free(&wi);
	assert_null(wi.computer_name);
}

/* Windows does not care about case, and neither does the look. */
static void test_windows_any_case(void **state)
{
	struct windows_info wi;

	(void)state;
	assert_int_equal(fixture_sh("set -e; cd %s; mv Windows WINDOWS; mv WINDOWS/System32 "
				    "WINDOWS/system32; mv WINDOWS/system32/config WINDOWS/system32/CONFIG; "
				    "cp %s WINDOWS/system32/CONFIG/system", root, system_hive), 0);
	identity_windows(rootfd, &wi);
	assert_string_equal(wi.computer_name, "DESKTOP-2KGM189");
	identity_windows_free(&wi);
}

static void test_windows_software_hive(void **state)
{
	const struct value v[] = {
		{ "Microsoft\\Windows NT\\CurrentVersion", "ProductName", PRODUCT, -1 },
		{ "Microsoft\\Windows NT\\CurrentVersion", "CurrentBuild", BUILD, -1 },
		{ "Microsoft\\Windows NT\\CurrentVersion", "DisplayVersion", DISPLAY, -1 },
		{ "Microsoft\\Windows NT\\CurrentVersion", "SystemRoot", ROOT_D, -1 },
	};
	const struct value number = { "Microsoft\\Windows NT\\CurrentVersion",
				      "CurrentBuildNumber", BUILD_NUMBER, -1 };
	struct windows_info wi;
	char software[128], software2[128];

	(void)state;
	snprintf(software, sizeof(software), "%s/software", root);
	hive_make(system_hive, software, v, 4);
	hive_put(system_hive, "SYSTEM");
	hive_put(software, "SOFTWARE");
	identity_windows(rootfd, &wi);
	assert_string_equal(wi.computer_name, "DESKTOP-2KGM189");
	/* kept as Windows wrote it, control characters and all: fronts escape */
	assert_string_equal(wi.product_name, "Windows 10 Pro\n\x1b[2J\xc3\x84");
	assert_string_equal(wi.build, "16299");		/* CurrentBuild, lacking the number */
	assert_string_equal(wi.display_version, "1709");
	assert_string_equal(wi.system_root, "D:\\WINDOWS");
	assert_null(wi.note);
	identity_windows_free(&wi);
	/* CurrentBuildNumber first */
	snprintf(software2, sizeof(software2), "%s/software2", root);
	hive_make(software, software2, &number, 1);
	hive_put(software2, "SOFTWARE");
	identity_windows(rootfd, &wi);
	assert_string_equal(wi.build, "19045");
	identity_windows_free(&wi);
}

/* What cannot be read is a note, never a crash or a hang. */
static void test_windows_unreadable(void **state)
{
	static const struct {
		const char *make;		/* shell, in the config folder; $S and $D
						   are the real and the damaged hive */
		const char *note;		/* the note, or its start with '*' at the end */
	} cases[] = {
		{ ":", "cannot open SYSTEM hive: No such file or directory" },
		{ "ln -s \"$S\" SYSTEM", "cannot open SYSTEM hive: Too many levels of symbolic links" },
		{ "mkfifo SYSTEM", "cannot open SYSTEM hive: Invalid argument" },
		{ "mkdir SYSTEM", "cannot open SYSTEM hive: Is a directory" },
		{ ": > SYSTEM", "cannot read SYSTEM hive: *" },
		{ "cp \"$D\" SYSTEM", "cannot read SYSTEM hive: *" },
		{ "head -c 4096 \"$S\" > SYSTEM", "cannot read SYSTEM hive: *" },
	};
	struct windows_info wi;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].note);

		assert_int_equal(fixture_sh("set -e; S='%s'; D='%s'; cd %s/" CONFIG "; rm -rf SYSTEM; "
					    "%s", system_hive, damaged_hive, root, cases[i].make), 0);
		identity_windows(rootfd, &wi);
		assert_null(wi.computer_name);
		assert_non_null(wi.note);
		if (cases[i].note[n - 1] == '*' ? strncmp(wi.note, cases[i].note, n - 1) :
		    strcmp(wi.note, cases[i].note))
			fail_msg("%s: note \"%s\", not \"%s\"", cases[i].make, wi.note, cases[i].note);
		identity_windows_free(&wi);
	}
}

/* A damaged SOFTWARE hive is a note; the computer name is still read. */
static void test_windows_damaged_software(void **state)
{
	struct windows_info wi;

	(void)state;
	hive_put(system_hive, "SYSTEM");
	hive_put(damaged_hive, "SOFTWARE");
	identity_windows(rootfd, &wi);
	assert_string_equal(wi.computer_name, "DESKTOP-2KGM189");
	assert_non_null(wi.note);
	assert_true(!strncmp(wi.note, "cannot read SOFTWARE hive: ", 27));
	assert_null(wi.product_name);
	identity_windows_free(&wi);
	/* both damaged: the SYSTEM hive's note is the one kept */
	hive_put(damaged_hive, "SYSTEM");
	identity_windows(rootfd, &wi);
	assert_true(!strncmp(wi.note, "cannot read SYSTEM hive: ", 25));
	identity_windows_free(&wi);
}

/* ---- identity_computer_name on crafted hives ---- */

static void test_computer_name_crafted(void **state)
{
	static const uint16_t SZ_ONE[] = { '1', 0 };
	const struct value nowhere = { "Select", "Current", NULL, 7 };
	const struct value negative = { "Select", "Current", NULL, 0xffffffff };
	const struct value string = { "Select", "Current", SZ_ONE, -1 };
	const struct value dword_name = { "ControlSet001\\Control\\ComputerName\\ComputerName",
					  "ComputerName", NULL, 1234 };
	const struct value long_name = { "ControlSet001\\Control\\ComputerName\\ComputerName",
					 "ComputerName", PRODUCT, -1 };
	char path[128], *name;

	(void)state;
	snprintf(path, sizeof(path), "%s/crafted", root);
	hive_make(system_hive, path, &nowhere, 1);
	assert_null(identity_computer_name(path));
	assert_string_equal(err_msg(), "cannot read SYSTEM hive: no "
			    "ControlSet007\\Control\\ComputerName\\ComputerName");
	hive_make(system_hive, path, &negative, 1);
	assert_null(identity_computer_name(path));
	assert_true(!strncmp(err_msg(), "cannot read SYSTEM hive: no ", 28));
	hive_make(system_hive, path, &string, 1);
	assert_null(identity_computer_name(path));
	assert_string_equal(err_msg(), "cannot read SYSTEM hive: no Select\\Current value");
	hive_make(system_hive, path, &dword_name, 1);
	assert_null(identity_computer_name(path));
	assert_string_equal(err_msg(), "cannot read SYSTEM hive: no "
			    "ControlSet001\\Control\\ComputerName\\ComputerName");
	/* any text Windows could be made to hold comes back exact */
	hive_make(system_hive, path, &long_name, 1);
	name = identity_computer_name(path);
	assert_string_equal(name, "Windows 10 Pro\n\x1b[2J\xc3\x84");
	free(name);
	assert_null(identity_computer_name("/nonexistent/SYSTEM"));
	assert_string_equal(err_msg(), "cannot read SYSTEM hive: No such file or directory");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folder_name),
		cmocka_unit_test(test_folder_name_length),
		cmocka_unit_test(test_folder_name_fallback),
		T(test_windows_system_hive),
		T(test_windows_any_case),
		T(test_windows_software_hive),
		T(test_windows_unreadable),
		T(test_windows_damaged_software),
		T(test_computer_name_crafted),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
