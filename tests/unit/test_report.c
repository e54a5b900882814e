/*
 * test_report.c - a run as JSON (recovery/report.c): which fields a hand
 * made run gives, which are left out and which are null, and that hostile
 * text (control characters, quotes, backslashes, UTF-8) comes back exact
 * through the JSON the CLI prints and the log stores, with no raw control
 * byte in the document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "report.h"
#include "version.h"

/* The two ways the fronts write a report: --json, and a log line. */
static const int flags[] = { JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE,
			     JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE };

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no \"%s\" in %s", key, json_object_to_json_string(o));
	return v;
}

static int has(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static int boolean(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_boolean));
	return json_object_get_boolean(v);
}

/* Write o as each front does, read it back; the caller puts each copy. */
static struct json_object *round_trip(struct json_object *o, int how)
{
	const char *text = json_object_to_json_string_ext(o, how);
	struct json_object *back;

	/* JSON holds no raw control character: a terminal showing it is safe */
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p < 0x20 && *p != '\n' && *p != ' ')
			fail_msg("raw byte 0x%02x in %s", *p, text);
	back = json_tokener_parse(text);
	assert_non_null(back);
	return back;
}

/* ---- findings ---- */

static void test_finding_fields(void **state)
{
	struct finding f;
	struct json_object *o;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.path = "Windows\\System32\\drivers\\CrowdStrike\\C-00000291-1.sys";
	f.rule = "cs-291-faulty";
	f.verdict = VERDICT_FAULTY;
	f.d.size = (off_t)1 << 40;		/* beyond 32 bits, kept exact */
	memset(f.d.sha256, 'a', 64);
	f.mtime.tv_sec = 1721363400;
	f.has_attrib = 1;
	f.attrib = 0x20;
	f.action = "quarantine";
	f.result = "quarantined";
	f.done = 1;
	f.moved_to = "\\bootfix-quarantine\\20240719T043000Z\\x.sys";
	o = report_finding(&f);
	assert_string_equal(str(o, "path"), f.path);
	assert_string_equal(str(o, "rule"), "cs-291-faulty");
	assert_string_equal(str(o, "verdict"), "faulty");
	assert_false(has(o, "why"));
	assert_int_equal(json_object_get_int64(get(o, "size")), (int64_t)1 << 40);
	assert_int_equal(strlen(str(o, "sha256")), 64);
	assert_string_equal(str(o, "mtime"), "2024-07-19T04:30:00Z");
	assert_string_equal(str(o, "attributes"), "0x00000020");
	assert_string_equal(str(o, "action"), "quarantine");
	assert_string_equal(str(o, "result"), "quarantined");
	assert_true(boolean(o, "done"));
	assert_string_equal(str(o, "moved_to"), f.moved_to);
	json_object_put(o);
}

/* No rule decided: "rule" is there and null; what was not done is said so. */
static void test_finding_unknown(void **state)
{
	struct finding f;
	struct json_object *o;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.path = "Windows\\System32\\drivers\\CrowdStrike";
	f.verdict = VERDICT_UNKNOWN;
	f.why = "it is a junction to \\??\\D:\\CS, outside this volume (C:)";
	o = report_finding(&f);
	assert_true(has(o, "rule"));
	assert_null(get(o, "rule"));
	assert_string_equal(str(o, "verdict"), "unknown");
	assert_string_equal(str(o, "why"), f.why);
	assert_int_equal(json_object_get_int64(get(o, "size")), 0);
	/* nothing known is left out, not made up */
	assert_false(has(o, "sha256"));
	assert_false(has(o, "mtime"));
	assert_false(has(o, "attributes"));
	assert_false(has(o, "moved_to"));
	/* not acted on at all: no action, no result, no done */
	assert_false(has(o, "action"));
	assert_false(has(o, "result"));
	assert_false(has(o, "done"));
	json_object_put(o);
	/* an action with no result yet */
	f.action = "quarantine";
	o = report_finding(&f);
	assert_string_equal(str(o, "result"), "not acted on");
	assert_false(boolean(o, "done"));
	json_object_put(o);
}

/* ---- volumes ---- */

static void test_volume_bare(void **state)
{
	static const char *const absent[] = {
		"device", "disk", "disk_model", "disk_serial", "fstype", "label", "uuid", "size",
		"bitlocker", "computer_name", "product_name", "build", "display_version",
		"identity_note", "quarantine", "journal_replayed", "fast_restart_killed",
		"hibernation_discarded", "reason",
	};
	struct volume v;
	struct json_object *o;

	(void)state;
	memset(&v, 0, sizeof(v));
	o = report_volume(&v);
	assert_false(boolean(o, "windows"));
	assert_false(boolean(o, "bitlocker_locked"));
	assert_false(boolean(o, "hibernated"));
	assert_false(boolean(o, "fast_restart"));
	assert_string_equal(str(o, "problem"), "none");
	assert_string_equal(str(o, "outcome"), "nothing-to-fix");
	assert_int_equal(json_object_array_length(get(o, "findings")), 0);
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		if (has(o, absent[i]))
			fail_msg("\"%s\" in a bare volume: %s", absent[i],
				 json_object_to_json_string(o));
	json_object_put(o);
}

static void test_volume_full(void **state)
{
	struct finding f[2];
	struct volume v;
	struct json_object *o, *b, *ids;

	(void)state;
	memset(f, 0, sizeof(f));
	f[0].path = "b.sys";
	f[1].path = "a.sys";
	memset(&v, 0, sizeof(v));
	v.device = "/dev/mapper/bootfix-sda3";
	v.disk = "sda";
	v.disk_model = "Samsung SSD 870";
	v.disk_serial = "S5Y1NX0R";
	v.fstype = "ntfs";
	v.label = "Windows";
	v.uuid = "0A1B2C3D4E5F6071";
	v.size = 512ull << 30;
	v.windows = 1;
	v.bitlocker = 1;
	v.key_ids = "  1B2F46F1-1111-2222-3333-444455556666   ABCDEF01-AAAA-BBBB-CCCC-DDDDEEEEFFFF ";
	v.bitlocker_description = "DESKTOP-NPM7RCA C: 7/4/2019";
	v.unlocked_by = "1B2F46F1-1111-2222-3333-444455556666";
	v.key_source = "CSV file ad.csv line 3";
	v.key_kind = "csv";
	v.unlock_via = "dm-crypt";
	v.fast_restart = 1;
	v.problem = PROBLEM_FAST_RESTART;
	v.computer_name = "DESKTOP-2KGM189";
	v.product_name = "Windows 10 Pro";
	v.build = "16299";
	v.display_version = "1709";
	v.identity_note = "cannot read SOFTWARE hive: damaged";
	v.findings = f;
	v.nfindings = 2;
	v.quarantine = "\\bootfix-quarantine\\20240719T043000Z";
	v.steps.replayed_journal = v.steps.killed_fast_restart = v.steps.discarded_hibernation = 1;
	v.outcome = OUTCOME_FIXED;
	v.reason = "1 faulty file quarantined in \\bootfix-quarantine\\20240719T043000Z";
	o = report_volume(&v);
	assert_string_equal(str(o, "device"), v.device);
	assert_string_equal(str(o, "disk_serial"), v.disk_serial);
	assert_int_equal(json_object_get_int64(get(o, "size")), (int64_t)(512ull << 30));
	assert_true(boolean(o, "windows"));
	assert_false(boolean(o, "bitlocker_locked"));
	b = get(o, "bitlocker");
	/* key IDs one by one, however they were spaced */
	ids = get(b, "key_ids");
	assert_int_equal(json_object_array_length(ids), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ids, 0)),
			    "1B2F46F1-1111-2222-3333-444455556666");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ids, 1)),
			    "ABCDEF01-AAAA-BBBB-CCCC-DDDDEEEEFFFF");
	assert_string_equal(str(b, "description"), v.bitlocker_description);
	assert_string_equal(str(b, "unlocked_by"), v.unlocked_by);
	assert_string_equal(str(b, "key_source"), v.key_source);
	assert_string_equal(str(b, "key_kind"), "csv");
	assert_string_equal(str(b, "via"), "dm-crypt");
	assert_true(boolean(o, "fast_restart"));
	assert_string_equal(str(o, "problem"), "fast-restart");
	assert_string_equal(str(o, "identity_note"), v.identity_note);
	/* findings in the order the engine gave them */
	assert_int_equal(json_object_array_length(get(o, "findings")), 2);
	assert_string_equal(str(json_object_array_get_idx(get(o, "findings"), 0), "path"), "b.sys");
	assert_string_equal(str(o, "quarantine"), v.quarantine);
	assert_true(boolean(o, "journal_replayed"));
	assert_true(boolean(o, "fast_restart_killed"));
	assert_true(boolean(o, "hibernation_discarded"));
	assert_string_equal(str(o, "outcome"), "fixed");
	assert_string_equal(str(o, "reason"), v.reason);
	json_object_put(o);
	/* a locked BitLocker volume with no key ID: an empty list, not a missing one */
	v.key_ids = NULL;
	v.locked = 1;
	v.unlocked_by = v.key_source = NULL;
	o = report_volume(&v);
	assert_true(boolean(o, "bitlocker_locked"));
	assert_int_equal(json_object_array_length(get(get(o, "bitlocker"), "key_ids")), 0);
	assert_false(has(get(o, "bitlocker"), "unlocked_by"));
	json_object_put(o);
}

/* ---- runs ---- */

static void test_run_fields(void **state)
{
	struct volume v[2];
	struct run r;
	struct json_object *o;

	(void)state;
	memset(v, 0, sizeof(v));
	memset(&r, 0, sizeof(r));
	v[0].device = "/dev/sda3";
	v[1].device = "/dev/sdb1";
	r.v = v;
	r.n = 2;
	r.started = 1721363400;
	r.duration_ms = 1234;
	r.target = "all disks";
	o = report_run(&r, "fix", 1);
	assert_string_equal(str(o, "tool"), "bootfix");
	assert_string_equal(str(o, "version"), BOOTFIX_VERSION);
	assert_string_equal(str(o, "verb"), "fix");
	assert_true(boolean(o, "dry_run"));
	assert_string_equal(str(o, "target"), "all disks");
	assert_false(has(o, "machine_serial"));
	assert_string_equal(str(o, "time"), "2024-07-19T04:30:00Z");
	assert_int_equal(json_object_get_int64(get(o, "duration_ms")), 1234);
	assert_int_equal(json_object_array_length(get(o, "volumes")), 2);
	assert_string_equal(str(json_object_array_get_idx(get(o, "volumes"), 1), "device"),
			    "/dev/sdb1");
	json_object_put(o);
	r.machine_serial = "PF3ABCDE";
	r.n = 0;
	o = report_run(&r, "scan", 0);
	assert_string_equal(str(o, "machine_serial"), "PF3ABCDE");
	assert_false(boolean(o, "dry_run"));
	assert_int_equal(json_object_array_length(get(o, "volumes")), 0);
	json_object_put(o);
}

/* Hostile text from a volume comes back byte for byte, and escaped. */
static void test_hostile_text(void **state)
{
	static const char *const hostile[] = {
		"C-00000291-\n\x1b[2J\x1b]0;owned\x07.sys",
		"quote \" backslash \\ slash / tab \t cr \r nul-free \x01\x1f",
		"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 del \x7f",
		"\\??\\C:\\Windows\\..\\..\\x",
		"}],\"outcome\":\"fixed\",\"x\":[{",
	};
	struct finding f;
	struct volume v;
	struct run r;

	(void)state;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		memset(&f, 0, sizeof(f));
		memset(&v, 0, sizeof(v));
		memset(&r, 0, sizeof(r));
		f.path = f.why = (char *)hostile[i];
		f.action = "quarantine";
		f.result = (char *)hostile[i];
		v.device = v.label = v.computer_name = v.reason = (char *)hostile[i];
		v.findings = &f;
		v.nfindings = 1;
		r.v = &v;
		r.n = 1;
		r.target = (char *)hostile[i];
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
			struct json_object *o = report_run(&r, "fix", 0), *back, *bv, *bf;

			back = round_trip(o, flags[k]);
			assert_string_equal(str(back, "target"), hostile[i]);
			/* one volume, one finding: nothing injected */
			assert_int_equal(json_object_array_length(get(back, "volumes")), 1);
			bv = json_object_array_get_idx(get(back, "volumes"), 0);
			assert_string_equal(str(bv, "device"), hostile[i]);
			assert_string_equal(str(bv, "label"), hostile[i]);
			assert_string_equal(str(bv, "computer_name"), hostile[i]);
			assert_string_equal(str(bv, "reason"), hostile[i]);
			assert_string_equal(str(bv, "outcome"), "nothing-to-fix");
			assert_int_equal(json_object_array_length(get(bv, "findings")), 1);
			bf = json_object_array_get_idx(get(bv, "findings"), 0);
			assert_string_equal(str(bf, "path"), hostile[i]);
			assert_string_equal(str(bf, "why"), hostile[i]);
			assert_string_equal(str(bf, "result"), hostile[i]);
			json_object_put(back);
			json_object_put(o);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finding_fields),
		cmocka_unit_test(test_finding_unknown),
		cmocka_unit_test(test_volume_bare),
		cmocka_unit_test(test_volume_full),
		cmocka_unit_test(test_run_fields),
		cmocka_unit_test(test_hostile_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
