/*
 * test_rules.c - rule parsing and judging (cmocka).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "rules.h"
#include "utc.h"

static char problems[4096];

static void collect(void *ctx, const char *msg)
{
	(void)ctx;
	strncat(problems, msg, sizeof(problems) - strlen(problems) - 2);
	strcat(problems, "\n");
}

static int parse(struct ruleset *rs, const char *text)
{
	problems[0] = '\0';
	return rules_parse(rs, "t.rules", text, strlen(text), collect, NULL);
}

static const char cs[] =
	"[zero]\ndirectory = Windows\\System32\\drivers\\CrowdStrike\nname = C-00000291*.sys\n"
	"content = all-zero\nverdict = faulty\n"
	"[bad]\ndirectory = Windows\\System32\\drivers\\CrowdStrike\nname = C-00000291*.sys\n"
	"modified-from = 2024-07-19 04:09 UTC\nmodified-before = 2024-07-19T05:27:00Z\n"
	"verdict = faulty\nunattended = yes\n"
	"[good]\ndirectory = Windows/System32/drivers/CrowdStrike/\nname = C-00000291*.sys\n"
	"modified-from = 2024-07-19 05:27 UTC\nverdict = good\n";

static time_t at(const char *s)
{
	time_t t;

	assert_int_equal(utc_parse(s, &t), 0);
	return t;
}

static void test_crowdstrike_windows(void **state)
{
	struct ruleset rs = { 0 };
	struct file_digest d = { .size = 100, .all_zero = 0 };
	const char *dir = "windows\\system32\\DRIVERS\\crowdstrike";
	enum verdict v;
	const struct rule *r;

	(void)state;
	assert_int_equal(parse(&rs, cs), 0);
	assert_int_equal(rs.n, 3);
	assert_string_equal(rs.rules[2].directory, "Windows\\System32\\drivers\\CrowdStrike");
	assert_true(rules_wants(&rs, dir, "c-00000291-00000000-00000032.SYS"));
	assert_false(rules_wants(&rs, dir, "C-00000290-00000000-00000032.sys"));

	r = rules_judge(&rs, dir, "C-00000291-x.sys", at("2024-07-19 04:09:00Z"), &d, &v);
	assert_non_null(r);
	assert_string_equal(r->id, "bad");
	assert_int_equal(v, VERDICT_FAULTY);
	assert_true(r->unattended);
	r = rules_judge(&rs, dir, "C-00000291-x.sys", at("2024-07-19 05:26:59Z"), &d, &v);
	assert_int_equal(v, VERDICT_FAULTY);
	r = rules_judge(&rs, dir, "C-00000291-x.sys", at("2024-07-19 05:27:00Z"), &d, &v);
	assert_string_equal(r->id, "good");
	assert_int_equal(v, VERDICT_GOOD);
	/* covered, no condition held: no rule is named, none decided */
	assert_null(rules_judge(&rs, dir, "C-00000291-x.sys", at("2024-07-19 04:08:59Z"), &d, &v));
	assert_int_equal(v, VERDICT_UNKNOWN);
	d.all_zero = 1;
	r = rules_judge(&rs, dir, "C-00000291-x.sys", at("2025-01-01 00:00:00Z"), &d, &v);
	assert_string_equal(r->id, "zero");
	assert_int_equal(v, VERDICT_FAULTY);
	assert_null(rules_judge(&rs, "Windows\\Temp", "C-00000291-x.sys", 0, &d, &v));
	rules_free(&rs);
}

/* The shipped rule file: the older channel file, the margin, the update. */
static void test_shipped_rules(void **state)
{
	static const struct {
		const char *when;
		int zero;
		const char *id;		/* NULL: no rule decides */
		enum verdict v;
	} cases[] = {
		{ "2024-07-18 10:00:00Z", 0, "cs-291-older", VERDICT_GOOD },
		{ "2024-04-24 12:00:00Z", 0, "cs-291-older", VERDICT_GOOD },
		{ "2024-07-19 02:08:59Z", 0, "cs-291-older", VERDICT_GOOD },
		{ "2024-07-19 02:09:00Z", 0, NULL, VERDICT_UNKNOWN },	/* the margin */
		{ "2024-07-19 04:08:59Z", 0, NULL, VERDICT_UNKNOWN },
		{ "2024-07-19 04:08:59Z", 1, "cs-291-zero", VERDICT_FAULTY },
		{ "2024-07-18 10:00:00Z", 1, "cs-291-zero", VERDICT_FAULTY },
		{ "2024-07-19 04:09:00Z", 0, "cs-291-faulty", VERDICT_FAULTY },
		{ "2024-07-19 05:26:59Z", 0, "cs-291-faulty", VERDICT_FAULTY },
		{ "2024-07-19 05:27:00Z", 0, "cs-291-fixed", VERDICT_GOOD },
	};
	const char *dir = "Windows\\System32\\drivers\\CrowdStrike";
	struct ruleset rs = { 0 };

	(void)state;
	assert_int_equal(rules_load_file(&rs, "rules/crowdstrike-2024-07-19.rules", collect,
					 NULL), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct file_digest d = { .size = 41024, .all_zero = cases[i].zero };
		enum verdict v;
		const struct rule *r = rules_judge(&rs, dir, "C-00000291-00000000-00000032.sys",
						   at(cases[i].when), &d, &v);

		if (cases[i].id)
			assert_string_equal(r ? r->id : "(none)", cases[i].id);
		else
			assert_null(r);
		assert_int_equal(v, cases[i].v);
	}
	rules_free(&rs);
}

static void test_size_sha_header(void **state)
{
	struct ruleset rs = { 0 };
	struct file_digest d = { .size = 5, .headlen = 2, .head = { 0x4d, 0x5a } };
	enum verdict v;

	(void)state;
	assert_int_equal(parse(&rs, "[x]\ndirectory=A\nname=*.dll\nsize = 5, 7\nheader = 4D 5a\n"
				    "sha256 = " "AA00000000000000000000000000000000000000000000000000000000000000"
				    "\nverdict=faulty\n"), 0);
	strcpy(d.sha256, "aa00000000000000000000000000000000000000000000000000000000000000");
	rules_judge(&rs, "a", "x.DLL", 0, &d, &v);
	assert_int_equal(v, VERDICT_FAULTY);
	d.size = 6;
	rules_judge(&rs, "a", "x.DLL", 0, &d, &v);
	assert_int_equal(v, VERDICT_UNKNOWN);
	d.size = 7;
	d.head[1] = 0;
	rules_judge(&rs, "a", "x.DLL", 0, &d, &v);
	assert_int_equal(v, VERDICT_UNKNOWN);
	rules_free(&rs);
}

static void test_errors_name_lines(void **state)
{
	struct ruleset rs = { 0 };

	(void)state;
	assert_int_equal(parse(&rs, "key = before\n[ok]\ndirectory = C:\\Windows\nname = a/b\n"
				    "verdict = faulty\nverdict = good\n[bad id!]\n"), 5);
	assert_non_null(strstr(problems, "t.rules:1: key 'key' outside a rule"));
	assert_non_null(strstr(problems, "t.rules:3: directory must be relative"));
	assert_non_null(strstr(problems, "t.rules:4: name is a file-name glob"));
	assert_non_null(strstr(problems, "t.rules:6: key 'verdict' given twice"));
	assert_non_null(strstr(problems, "t.rules:7: rule id must be"));
	assert_int_equal(rs.n, 0);	/* nothing from a file with problems */
	assert_int_equal(parse(&rs, "[a]\ndirectory = x\\..\\y\nname=a\nverdict=good\n"), 1);
	assert_int_equal(parse(&rs, "[a]\ndirectory=x\nname=a\nverdict=good\n"
				    "modified-from = 2024-07-20 00:00Z\n"
				    "modified-before = 2024-07-19 00:00Z\n"), 1);
	assert_non_null(strstr(problems, "modified-from must be before modified-before"));
	assert_int_equal(parse(&rs, "# nothing\n"), 1);
	assert_non_null(strstr(problems, "no rules in file"));
	rules_free(&rs);
}

static void test_notepad(void **state)
{
	struct ruleset rs = { 0 };

	(void)state;
	assert_int_equal(parse(&rs, "\xef\xbb\xbf[a]\r\ndirectory = x\r\nname = y\r\n"
				    "verdict = faulty\r\n"), 0);
	assert_string_equal(rs.rules[0].name, "y");
	assert_string_equal(rs.files[0].id, "t");
	assert_int_equal(strlen(rs.files[0].sha256), 64);
	assert_int_equal(parse(&rs, "\xff\xfe[\0a\0]\0"), 1);
	rules_free(&rs);
}

static void test_utc(void **state)
{
	time_t t;
	char buf[UTC_LEN];

	(void)state;
	assert_int_equal(utc_parse("2024-07-19 04:09 UTC", &t), 0);
	assert_string_equal(utc_format(t, buf), "2024-07-19T04:09:00Z");
	assert_int_equal(utc_parse("2024-07-19T04:09:07Z", &t), 0);
	assert_string_equal(utc_compact(t, buf), "20240719T040907Z");
	assert_int_equal(utc_parse("2024-07-19 04:09", &t), -1);	/* zone required */
	assert_int_equal(utc_parse("2024-02-30 04:09Z", &t), -1);
	assert_int_equal(utc_parse("2024-7-19 04:09Z", &t), -1);
	/* NTFS can say year 30806: never an unterminated buffer */
	memset(buf, 'X', sizeof(buf));
	assert_string_equal(utc_format((time_t)910000000000LL, buf), UTC_OUT_OF_RANGE);
	memset(buf, 'X', sizeof(buf));
	assert_string_equal(utc_compact((time_t)910000000000LL, buf), UTC_OUT_OF_RANGE);
	assert_string_equal(utc_format((time_t)-11644473600LL, buf), "1601-01-01T00:00:00Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crowdstrike_windows),
		cmocka_unit_test(test_shipped_rules),
		cmocka_unit_test(test_size_sha_header),
		cmocka_unit_test(test_errors_name_lines),
		cmocka_unit_test(test_notepad),
		cmocka_unit_test(test_utc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
