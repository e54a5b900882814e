/*
 * test_record.c - the record the fronts write (cmocka): the record a
 * front writes with record_write() (a volume left as it is, a restore),
 * the note it shows, and the rows of the menu's log screen (record_tail()).
 * The log is a plain file below a temporary data folder.
 */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <wchar.h>

#include <cmocka.h>

#include "auditlog.h"
#include "err.h"
#include "record.h"

static char dir[64];
static char data[128];
static char logfile[192];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/bootfix-record.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(logfile, sizeof(logfile), "%s/" AUDITLOG_DEFAULT, data);
	return mkdir(data, 0755);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) != 0;
}

/*
 * One Windows volume with one faulty file, as a front has it: outcome oc,
 * the file done or not.
 */
static void one_volume(struct run *r, enum volume_outcome oc, int done, const char *computer,
		       const char *action, const char *reason)
{
	struct volume *v;
	struct finding *f;

	memset(r, 0, sizeof(*r));
	r->n = 1;
	r->v = v = calloc(1, sizeof(*v));
	r->target = strdup("disk.img");
	r->started = 1721376540;	/* 2024-07-19T08:09:00Z */
	v->device = strdup("/dev/loop0p2");
	v->fstype = strdup("ntfs");
	v->windows = 1;
	v->computer_name = strdup(computer);
	v->outcome = oc;
	v->reason = strdup(reason);
	v->nfindings = 1;
	v->findings = f = calloc(1, sizeof(*f));
	f->path = strdup("Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000032.sys");
	f->rule = strdup("cs-291-faulty");
	f->verdict = VERDICT_FAULTY;
	f->action = action;
	f->done = done;
	f->d.size = 41024;
}

/* The last line of the log, parsed (caller puts it). */
static struct json_object *last_record(void)
{
	struct auditlog log;
	struct json_object *o;

	assert_int_equal(auditlog_read(&log, logfile), 0);
	assert_int_equal(auditlog_verify(&log, NULL, 0, NULL, NULL, NULL), 0);
	assert_true(log.n > 0);
	o = json_object_get(log.lines[log.n - 1].rec);
	auditlog_free(&log);
	return o;
}

static const char *member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

/* Terminal columns a UTF-8 line takes (-1: not text a terminal can show). */
static int columns(const char *s)
{
	wchar_t w[256];
	size_t n = mbstowcs(w, s, 256);

	if (n == (size_t)-1 || n == 256)
		return -1;
	return wcswidth(w, n);
}

/* Hibernated, and the technician chose "leave it": the engine never ran. */
static void test_record_left(void **state)
{
	struct engine_opts eo = { .verb = ENGINE_FIX, .mode = "menu", .data_dir = data };
	struct record lr = { 0 };
	struct json_object *o, *m, *v;
	char note[1024], *record = (char *)"unset";
	struct run r;

	(void)state;
	record_load(&lr, &eo);
	one_volume(&r, OUTCOME_LEFT, 0, "PC-LEFT", "quarantine",
		   "left as it is: Windows is hibernated on it");
	r.v[0].hibernated = 1;
	r.v[0].problem = PROBLEM_HIBERNATED;
	assert_int_equal(record_write(&lr, &eo, &r, NULL, NULL, note, sizeof(note), &record), 0);
	assert_null(record);
	/* shown after "log: ": no "log" twice, the record's number and where */
	{
		char want[512];

		snprintf(want, sizeof(want), "record 1 written to %s", logfile);
		assert_string_equal(note, want);
	}
	o = last_record();
	assert_string_equal(member(o, "action"), "fix");
	assert_string_equal(member(o, "mode"), "menu");
	assert_string_equal(member(o, "outcome"), "left");
	assert_string_equal(member(o, "reason"),
			    "/dev/loop0p2: left as it is: Windows is hibernated on it");
	/* the machine is read even though no engine ran */
	assert_true(json_object_object_get_ex(o, "machine", &m));
	assert_true(json_object_object_get_ex(m, "nics", &v));
	assert_true(json_object_is_type(v, json_type_array));
	assert_true(json_object_object_get_ex(o, "volumes", &v));
	v = json_object_array_get_idx(v, 0);
	assert_string_equal(member(v, "outcome"), "left");
	assert_string_equal(member(v, "computer_name"), "PC-LEFT");
	json_object_put(o);
	run_free(&r);
	record_done(&lr);
}

/* A restore that put the file back: restored, said as such. */
static void test_record_restore(void **state)
{
	struct engine_opts eo = { .verb = ENGINE_RESTORE, .mode = "cli", .data_dir = data };
	struct record lr = { 0 };
	struct json_object *o, *v;
	char note[1024], want[512];
	struct run r;

	(void)state;
	record_load(&lr, &eo);
	one_volume(&r, OUTCOME_FIXED, 1, "PC-BACK", "restore", "1 file restored or already in place");
	r.v[0].findings[0].verdict = VERDICT_UNKNOWN;
	assert_int_equal(record_write(&lr, &eo, &r, NULL, NULL, note, sizeof(note), NULL), 0);
	snprintf(want, sizeof(want), "record 2 written to %s", logfile);
	assert_string_equal(note, want);
	o = last_record();
	assert_string_equal(member(o, "action"), "restore");
	assert_string_equal(member(o, "outcome"), "restored");
	assert_true(json_object_object_get_ex(o, "volumes", &v));
	assert_string_equal(member(json_object_array_get_idx(v, 0), "outcome"), "restored");
	json_object_put(o);
	run_free(&r);
	record_done(&lr);
}

/*
 * A log that cannot be written: the note says "cannot write log FILE:
 * CAUSE" with the cause as the engine gave it apart (never cut out of a
 * message), and the record comes back to be shown.  --log names a folder
 * here; nothing is added to the stick's log.
 */
static void test_record_unwritable(void **state)
{
	struct engine_opts eo = { .verb = ENGINE_FIX, .mode = "cli", .data_dir = data };
	struct record lr = { 0 };
	char note[1024], want[512], bad[256], *unlogged = NULL;
	struct run r;

	(void)state;
	/* a name with ": " in it: the old way cut the message at the wrong place */
	snprintf(bad, sizeof(bad), "%s/cannot append to: x", dir);
	assert_int_equal(mkdir(bad, 0755), 0);
	record_load(&lr, &eo);
	lr.log_path = bad;
	one_volume(&r, OUTCOME_FIXED, 1, "PC-NOLOG", "quarantine", "1 file quarantined");
	assert_int_equal(record_write(&lr, &eo, &r, NULL, NULL, note, sizeof(note), &unlogged), -1);
	snprintf(want, sizeof(want), "cannot write log %s: is a directory", bad);
	assert_string_equal(note, want);
	assert_non_null(unlogged);
	assert_non_null(strstr(unlogged, "\"computer_name\":\"PC-NOLOG\""));
	free(unlogged);
	run_free(&r);
	record_done(&lr);
}

/* "名前" four times: 8 characters, 16 columns */
#define WIDE "\xe5\x90\x8d\xe5\x89\x8d\xe5\x90\x8d\xe5\x89\x8d" \
	     "\xe5\x90\x8d\xe5\x89\x8d\xe5\x90\x8d\xe5\x89\x8d"

/* Computer names built to break the screen: records 3 and 4. */
static void test_record_hostile(void **state)
{
	static const char *const names[] = { "\x1b]0;pwned\x07\x1b[2J", WIDE "X" };
	struct engine_opts eo = { .verb = ENGINE_FIX, .mode = "menu", .data_dir = data };
	struct record lr = { 0 };
	char note[1024];
	struct run r;

	(void)state;
	record_load(&lr, &eo);
	for (int i = 0; i < 2; i++) {
		one_volume(&r, OUTCOME_LEFT, 0, names[i], "quarantine",
			   "left as it is: fast restart");
		assert_int_equal(record_write(&lr, &eo, &r, NULL, NULL, note, sizeof(note), NULL),
				 0);
		assert_non_null(strstr(note, i ? "record 4 written to " : "record 3 written to "));
		run_free(&r);
	}
	record_done(&lr);
}

/*
 * The menu's log screen: TIME  COMPUTER  SERIAL  ACTION  OUTCOME, the
 * columns RECORD_TAIL_* wide, two spaces apart.
 */
static void test_tail(void **state)
{
	const size_t action_at = RECORD_TAIL_TIME + 2 + RECORD_TAIL_COMPUTER + 2 +
				 RECORD_TAIL_SERIAL + 2;
	const size_t outcome_at = action_at + RECORD_TAIL_ACTION + 2;
	struct record lr = { 0 };
	char *lines[8], status[512];
	int n;

	(void)state;
	assert_int_equal(outcome_at + RECORD_TAIL_OUTCOME, 78);
	n = record_tail(&lr, data, lines, 8, status, sizeof(status));
	assert_int_equal(n, 4);
	assert_non_null(strstr(status, "verify: intact, 4 records in "));
	/* left and restored, each with its action; ASCII rows: bytes are columns */
	assert_int_equal(strncmp(lines[0], "2024-07-19T08:09:00Z  PC-LEFT          ", 39), 0);
	assert_memory_equal(lines[0] + action_at, "fix      left", 13);
	assert_string_equal(lines[0] + outcome_at, "left");
	assert_int_equal(strncmp(lines[1], "2024-07-19T08:09:00Z  PC-BACK  ", 31), 0);
	assert_memory_equal(lines[1] + action_at, "restore  restored", 17);
	assert_string_equal(lines[1] + outcome_at, "restored");
	/* hostile names: no control byte reaches the screen; the escaped text
	   is cut to its 15 columns, never inside a character */
	for (const char *p = lines[2]; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
	assert_int_equal(strncmp(lines[2], "2024-07-19T08:09:00Z  \\x1b]0;pwned\\x0  ", 39), 0);
	/* wide characters: 7 of them (14 columns) and one space, not half of the 8th */
	assert_int_equal(strncmp(lines[3] + 22, WIDE, 21), 0);
	assert_int_equal(strncmp(lines[3] + 22 + 21, "   ", 3), 0);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(lines[i]);

		assert_true(columns(lines[i]) > 0 && columns(lines[i]) <= 78);
		if (i != 1)
			assert_string_equal(lines[i] + len - 13, "fix      left");
	}
	/* the same with a smaller max: the newest rows */
	for (int i = 0; i < n; i++)
		free(lines[i]);
	n = record_tail(&lr, data, lines, 1, status, sizeof(status));
	assert_int_equal(n, 1);
	assert_int_equal(strncmp(lines[0] + 22, WIDE, 21), 0);
	free(lines[0]);
	/* no data folder, no log yet */
	assert_int_equal(record_tail(NULL, NULL, lines, 8, status, sizeof(status)), 0);
	assert_string_equal(status, "no log: this stick has no data folder");
	assert_int_equal(record_tail(NULL, dir, lines, 8, status, sizeof(status)), 0);
	assert_non_null(strstr(status, "no records yet in "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_left),
		cmocka_unit_test(test_record_restore),
		cmocka_unit_test(test_record_unwritable),
		cmocka_unit_test(test_record_hostile),
		cmocka_unit_test(test_tail),
	};

	setlocale(LC_ALL, "C.UTF-8");
	return cmocka_run_group_tests(tests, setup, teardown);
}
