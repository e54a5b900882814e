/*
 * test_logreport.c - the auditors' HTML report (logreport.c): hostile
 * record text escaped, every attribute made of our own characters, the
 * figures counted as docs/log.md says, lists bounded, the file written
 * whole or not at all (cmocka).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "logreport.h"

#include "fixture.h"

static char *escaped(const char *s, size_t max)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	logreport_html_text(f, s, max);
	fclose(f);
	return buf;
}

static void expect_escape(const char *in, const char *want)
{
	char *got = escaped(in, 1000);

	assert_string_equal(got, want);
	free(got);
}

static void test_escape(void **state)
{
	(void)state;
	expect_escape("DESKTOP-2KGM189", "DESKTOP-2KGM189");
	expect_escape("<script>document.title='pwned'</script>",
		      "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;");
	expect_escape("\"><img src=x onerror=alert(1)>",
		      "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
	expect_escape("a&amp;b", "a&amp;amp;b");
	/* controls shown, never passed: a newline, ESC, DEL, a C1 CSI */
	expect_escape("a\nb\033[2J\x7f" "c\xc2\x9b", "a\\x0Ab\\x1B[2J\\x7Fc\\u009B");
	/* bidi overrides and isolates, invisible marks */
	expect_escape("\xe2\x80\xae" "exe.txt", "\\u202Eexe.txt");
	expect_escape("\xe2\x81\xa6x\xe2\x81\xa9\xe2\x80\x8b\xef\xbb\xbf",
		      "\\u2066x\\u2069\\u200B\\uFEFF");
	/* bytes that are not UTF-8 become U+FFFD, a surrogate too */
	expect_escape("a\xff" "b\xed\xa0\x80", "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* what people read stays */
	expect_escape("Zürich, 東京, مستشفى", "Zürich, 東京, مستشفى");
	expect_escape(NULL, "-");
	expect_escape("", "-");
	{
		char *got = escaped("ééééé<", 3);

		assert_string_equal(got, "ééé\xe2\x80\xa6");
		free(got);
	}
}

struct r {
	const char *time, *site, *op, *outcome, *serial, *computer, *stage, *run, *problem;
	const char *verdict, *key_id, *rule, *reason;
	long duration;
	int locked;
	long uptime;		/* machine.uptime_s when not 0 */
	double dur_double;	/* duration_ms as a double (NaN, 1e300) when not 0 */
};

static struct json_object *record(const struct r *x)
{
	struct json_object *o = json_object_new_object(), *vols = json_object_new_array();
	struct json_object *v = json_object_new_object(), *fs = json_object_new_array();
	struct json_object *m = json_object_new_object(), *keys = json_object_new_array();

#define S(obj, k, val) do { if (val) json_object_object_add(obj, k, json_object_new_string(val)); } while (0)
	S(o, "time", x->time);
	S(o, "action", "fix");
	S(o, "operator", x->op);
	S(o, "site", x->site);
	S(o, "run", x->run);
	S(o, "stage", x->stage);
	S(m, "product_serial", x->serial);
	if (x->uptime)
		json_object_object_add(m, "uptime_s", json_object_new_int64(x->uptime));
	json_object_object_add(o, "machine", m);
	json_object_object_add(v, "windows", json_object_new_boolean(x->computer != NULL));
	json_object_object_add(v, "bitlocker_locked", json_object_new_boolean(x->locked));
	S(v, "problem", x->problem ? x->problem : "none");
	S(v, "computer_name", x->computer);
	if (x->verdict) {
		struct json_object *f = json_object_new_object();

		S(f, "rule", x->rule ? x->rule : "cs-291-faulty");
		S(f, "verdict", x->verdict);
		S(f, "action", !strcmp(x->verdict, "faulty") ? "quarantine" : "none");
		json_object_object_add(f, "done", json_object_new_boolean(
			!strcmp(x->outcome, "fixed") && !strcmp(x->verdict, "faulty")));
		json_object_array_add(fs, f);
	}
	json_object_object_add(v, "findings", fs);
	S(v, "outcome", !strcmp(x->outcome, "nothing-to-fix") ? "none" : x->outcome);
	json_object_array_add(vols, v);
	json_object_object_add(o, "volumes", vols);
	if (x->key_id) {
		struct json_object *k = json_object_new_object();

		S(k, "device", "/dev/sda3");
		S(k, "key_id", x->key_id);
		S(k, "source", "keys/recovery.csv");
		json_object_array_add(keys, k);
	}
	json_object_object_add(o, "bitlocker", keys);
	S(o, "outcome", x->stage ? "interrupted" : x->outcome);
	S(o, "reason", x->reason ? x->reason : "a reason");
	if (x->duration)
		json_object_object_add(o, "duration_ms", json_object_new_int64(x->duration));
	if (x->dur_double != 0)
		json_object_object_add(o, "duration_ms", json_object_new_double(x->dur_double));
#undef S
	return o;
}

static void feed(struct logreport *rep, const struct r *x, const char *source)
{
	struct json_object *o = record(x);

	assert_int_equal(logreport_record(rep, o, source), 0);
	json_object_put(o);
}

static char *page(struct logreport *rep)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(logreport_write(rep, f, 1721376000), 0);
	fclose(f);
	return buf;
}

/* The text of the element with id (up to the next '<'). */
static char *by_id(const char *html, const char *id)
{
	char key[128], *at, *end;

	snprintf(key, sizeof(key), "id=\"%s\">", id);
	at = strstr(html, key);
	if (!at)
		return NULL;
	at += strlen(key);
	end = strchr(at, '<');
	return strndup(at, (size_t)(end - at));
}

static void expect_id(const char *html, const char *id, const char *want)
{
	char *got = by_id(html, id);

	if (!got)
		fail_msg("no element %s", id);
	assert_string_equal(got, want);
	free(got);
}

/*
 * Every attribute value holds only characters bootfix itself writes there
 * (numbers, colours, ids, the CSP): no record text ever lands in one.
 */
static void expect_safe_attributes(const char *html)
{
	for (const char *p = html; (p = strstr(p, "=\"")); p++) {
		const char *end = strchr(p + 2, '"');

		assert_non_null(end);
		for (const char *c = p + 2; c < end; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				    " #:;.,-_'()%/=", *c))
				fail_msg("attribute with '%c': %.60s", *c, p);
		p = end;
	}
	assert_null(strcasestr(html, "<script"));
	assert_null(strcasestr(html, "http:"));
	assert_null(strcasestr(html, "https:"));
	assert_null(strcasestr(html, " src="));
	assert_null(strcasestr(html, "url("));
	assert_non_null(strstr(html, "content=\"default-src 'none'; style-src 'unsafe-inline'; "
				     "img-src data:\""));
}

static void test_hostile_page(void **state)
{
	struct logreport *rep = logreport_new();
	struct logreport_source_info si = { .name = "<b>stick</b>.jsonl", .intact = 0,
					    .why = "line 3: prev \"<i>\" does not match" };
	const char *evil = "<script>document.title='pwned'</script>\"><svg onload=alert(1)>";
	char *html;

	(void)state;
	assert_int_equal(logreport_source(rep, &si), 0);
	feed(rep, &(struct r){ .time = "2024-07-19T08:10:00Z", .site = evil, .op = evil,
			       .outcome = "refused", .serial = evil, .computer = evil,
			       .problem = "hibernated", .verdict = "faulty", .rule = evil,
			       .key_id = evil, .reason = evil }, si.name);
	feed(rep, &(struct r){ .time = "2024-07-19T08:20:00Z", .site = "\xe2\x80\xae" "3 draW",
			       .outcome = "fixed", .serial = "S2", .computer = "PC\x1b[2J\xff",
			       .verdict = "faulty", .duration = 1000 }, si.name);
	html = page(rep);
	expect_safe_attributes(html);
	assert_non_null(strstr(html, "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"
				     "&quot;&gt;&lt;svg onload=alert(1)&gt;"));
	assert_null(strstr(html, "<svg onload"));
	assert_non_null(strstr(html, "\\u202E3 draW"));
	assert_null(strstr(html, "\xe2\x80\xae"));
	assert_non_null(strstr(html, "PC\\x1B[2J\xef\xbf\xbd"));
	assert_non_null(strstr(html, "&lt;b&gt;stick&lt;/b&gt;.jsonl"));
	assert_non_null(strstr(html, "class=\"banner bad\""));
	free(html);
	logreport_free(rep);
}

static void test_counts(void **state)
{
	struct logreport *rep = logreport_new();
	struct logreport_source_info a = { .name = "a.jsonl", .intact = 1, .records = 9 };
	char *html;

	(void)state;
	assert_int_equal(logreport_source(rep, &a), 0);
	/* S1: refused (hibernated) at 08:05, fixed at 09:30: fixed */
	feed(rep, &(struct r){ .time = "2024-07-19T08:05:00Z", .site = "Ward A", .op = "Ana",
			       .outcome = "refused", .serial = "S1", .computer = "PC1",
			       .problem = "hibernated", .verdict = "faulty" }, "a.jsonl");
	feed(rep, &(struct r){ .time = "2024-07-19T09:30:00Z", .site = "Ward A", .op = "Ana",
			       .outcome = "fixed", .serial = "S1", .computer = "PC1", .run = "r1",
			       .stage = "begun", .verdict = "faulty" }, "a.jsonl");
	feed(rep, &(struct r){ .time = "2024-07-19T09:30:00Z", .site = "Ward A", .op = "Ana",
			       .outcome = "fixed", .serial = "S1", .computer = "PC1", .run = "r1",
			       .verdict = "faulty", .duration = 60000, .key_id = "K-1" }, "a.jsonl");
	/* S8: the final record read before its begun record: fixed, not interrupted */
	feed(rep, &(struct r){ .time = "2024-07-19T09:45:00Z", .site = "Ward A", .op = "Ana",
			       .outcome = "fixed", .serial = "S8", .computer = "PC8", .run = "r8",
			       .verdict = "faulty", .duration = 30000 }, "a.jsonl");
	feed(rep, &(struct r){ .time = "2024-07-19T09:45:00Z", .site = "Ward A", .op = "Ana",
			       .outcome = "fixed", .serial = "S8", .computer = "PC8", .run = "r8",
			       .stage = "begun", .verdict = "faulty" }, "a.jsonl");
	/* S2: fixed at 08:40 */
	feed(rep, &(struct r){ .time = "2024-07-19T08:40:00Z", .site = "Ward B", .op = "Bo",
			       .outcome = "fixed", .serial = "S2", .computer = "PC2",
			       .verdict = "faulty", .duration = 20000 }, "a.jsonl");
	/* S3: begun alone: interrupted */
	feed(rep, &(struct r){ .time = "2024-07-19T10:00:00Z", .site = "Ward B", .op = "Bo",
			       .outcome = "fixed", .serial = "S3", .computer = "PC3", .run = "r3",
			       .stage = "begun", .verdict = "faulty", .key_id = "K-3" }, "a.jsonl");
	/* S4: BitLocker locked, refused; S5 a file to check; S6 no Windows */
	feed(rep, &(struct r){ .time = "2024-07-19T10:10:00Z", .site = "Ward B",
			       .outcome = "refused", .serial = "S4", .locked = 1 }, "a.jsonl");
	feed(rep, &(struct r){ .time = "2024-07-19T10:20:00Z", .site = "Ward B",
			       .outcome = "nothing-to-fix", .serial = "S5", .computer = "PC5",
			       .verdict = "unknown" }, "a.jsonl");
	feed(rep, &(struct r){ .time = "2024-07-19T10:30:00Z", .outcome = "nothing-to-fix",
			       .serial = "S6" }, "a.jsonl");
	/* S7 fixed, its time unreadable: counted, not charted */
	feed(rep, &(struct r){ .time = "yesterday", .outcome = "fixed", .serial = "S7",
			       .computer = "PC7", .verdict = "faulty", .duration = 40000 },
	     "a.jsonl");
	html = page(rep);
	expect_safe_attributes(html);
	expect_id(html, "n-records", "9");	/* the begun records of r1 and r8 are not counted */
	expect_id(html, "n-machines", "8");
	expect_id(html, "machines-fixed", "4");
	expect_id(html, "machines-refused", "1");
	expect_id(html, "machines-interrupted", "1");
	expect_id(html, "machines-nothing-to-fix", "2");
	expect_id(html, "verdict", "The log verifies: every record is as it was written");
	expect_id(html, "notfixed-count", "4");
	expect_id(html, "chart-total", "3");
	expect_id(html, "n-untimed", "1");
	expect_id(html, "keys-count", "2");
	expect_id(html, "time-n", "4");
	expect_id(html, "time-median", "30.0 s");
	expect_id(html, "time-slowest", "1 min 00 s");
	/* one bar in each of the hours 08 and 09, none at 10 (nothing fixed then) */
	assert_non_null(strstr(html, "data-bin=\"2024-07-19 08:00\" data-slot=\"1\" data-n=\"1\""));
	assert_non_null(strstr(html, "data-bin=\"2024-07-19 09:00\" data-slot=\"0\" data-n=\"2\""));
	assert_null(strstr(html, "data-bin=\"2024-07-19 10:00\""));
	/* the not-fixed rows, next action first: locked, then the file, interrupted, no Windows */
	{
		const char *k = strstr(html, "<tr data-next=\"2\"><td>BitLocker"),
			   *c = strstr(html, "<tr data-next=\"3\"><td>file"),
			   *i = strstr(html, "<tr data-next=\"4\"><td>interrupted"),
			   *w = strstr(html, "<tr data-next=\"5\"><td>no Windows");

		assert_true(k && c && i && w && k < c && c < i && i < w);
		/* the begun record's key is listed to rotate, with its machine */
		assert_non_null(strstr(html, "<tr><td><code><bdi>K-3</bdi></code></td><td class=\"nw\">"
					     "<bdi>PC3</bdi></td><td class=\"nw\"><bdi>S3</bdi></td>"));
		assert_non_null(strstr(html, "<tr><td><code><bdi>K-1</bdi></code></td><td class=\"nw\">"
					     "<bdi>PC1</bdi></td><td class=\"nw\"><bdi>S1</bdi></td>"));
	}
	free(html);
	logreport_free(rep);
}

static void test_lists_bounded(void **state)
{
	struct logreport *rep = logreport_new();
	char serial[32], key[32], *html;
	size_t rows = 0;

	(void)state;
	for (int i = 0; i < LOGREPORT_ROWS + 500; i++) {
		snprintf(serial, sizeof(serial), "S%d", i);
		snprintf(key, sizeof(key), "K-%d", i);
		feed(rep, &(struct r){ .time = "2024-07-19T08:05:00Z", .outcome = "failed",
				       .serial = serial, .computer = serial, .key_id = key },
		     "a.jsonl");
	}
	html = page(rep);
	for (const char *p = html; (p = strstr(p, "<tr data-next=\"6\"><td>failed</td><td class=\"nw\"><bdi>")); p++)
		rows++;
	assert_int_equal(rows, LOGREPORT_ROWS);
	{
		char want[16];

		snprintf(want, sizeof(want), "%d", LOGREPORT_ROWS + 500);
		expect_id(html, "notfixed-count", want);
	}
	assert_non_null(strstr(html, "<p id=\"notfixed-more\">500 more machines"));
	assert_non_null(strstr(html, "<p id=\"keys-more\">500 more uses"));
	free(html);
	logreport_free(rep);
}

/* Boot to fixed where the record gives the machine's uptime, the run alone otherwise. */
static void test_boot_time(void **state)
{
	struct logreport *rep = logreport_new();
	char *html;

	(void)state;
	feed(rep, &(struct r){ .time = "2024-07-19T08:00:00Z", .outcome = "fixed", .serial = "B1",
			       .verdict = "faulty", .duration = 60000, .uptime = 300 }, "a.jsonl");
	feed(rep, &(struct r){ .time = "2024-07-19T08:01:00Z", .outcome = "fixed", .serial = "B2",
			       .verdict = "faulty", .duration = 50000, .uptime = 100 }, "a.jsonl");
	feed(rep, &(struct r){ .time = "2024-07-19T08:02:00Z", .outcome = "fixed", .serial = "R1",
			       .verdict = "faulty", .duration = 20000 }, "a.jsonl");
	/* hostile uptimes say nothing: the run time counts */
	feed(rep, &(struct r){ .time = "2024-07-19T08:03:00Z", .outcome = "fixed", .serial = "R2",
			       .verdict = "faulty", .duration = 10000, .uptime = -5 }, "a.jsonl");
	feed(rep, &(struct r){ .time = "2024-07-19T08:04:00Z", .outcome = "fixed", .serial = "R3",
			       .verdict = "faulty", .duration = 5000, .uptime = 1000000000000000L },
	     "a.jsonl");
	/* no time at all: NaN, a negative or fractional duration */
	feed(rep, &(struct r){ .time = "2024-07-19T08:05:00Z", .outcome = "fixed", .serial = "N1",
			       .verdict = "faulty", .dur_double = NAN }, "a.jsonl");
	feed(rep, &(struct r){ .time = "2024-07-19T08:06:00Z", .outcome = "fixed", .serial = "N2",
			       .verdict = "faulty", .duration = -5 }, "a.jsonl");
	feed(rep, &(struct r){ .time = "2024-07-19T08:07:00Z", .outcome = "fixed", .serial = "N3",
			       .verdict = "faulty", .dur_double = 1e300 }, "a.jsonl");
	html = page(rep);
	expect_safe_attributes(html);
	expect_id(html, "time-n", "5");
	expect_id(html, "time-boot", "2");
	expect_id(html, "time-run", "3");
	expect_id(html, "time-median", "20.0 s");
	expect_id(html, "time-slowest", "5 min 00 s");
	assert_non_null(strstr(html, "</bdi>, from boot</div>"));
	free(html);
	logreport_free(rep);
	/* the longest run time a record can give is shown, not wrapped */
	rep = logreport_new();
	feed(rep, &(struct r){ .time = "2024-07-19T08:00:00Z", .outcome = "fixed", .serial = "L",
			       .verdict = "faulty", .duration = LONG_MAX }, "a.jsonl");
	html = page(rep);
	expect_id(html, "time-slowest", "2562047788015 h 12 min");
	assert_non_null(strstr(html, "the run alone</div>"));
	free(html);
	logreport_free(rep);
}

/* Hostile sizes and text: a 1 MB name, bad UTF-8, U+2028, text that closes the style. */
static void test_hostile_text(void **state)
{
	struct logreport *rep = logreport_new();
	size_t big = 1024 * 1024, n = 0;
	char *huge = malloc(big + 1), *html;
	const char *css = "</style><style>*{display:none}</style>";

	(void)state;
	assert_non_null(huge);
	memset(huge, 'A', big);
	huge[big] = '\0';
	feed(rep, &(struct r){ .time = "2024-07-19T08:00:00Z", .site = huge, .op = huge,
			       .outcome = "refused", .serial = huge, .computer = huge,
			       .reason = huge, .rule = huge, .key_id = huge, .verdict = "faulty",
			       .run = huge, .stage = "begun" }, "a.jsonl");
	feed(rep, &(struct r){ .time = "2024-07-19T08:00:00Z", .site = huge, .op = huge,
			       .outcome = "refused", .serial = huge, .computer = huge,
			       .reason = huge, .rule = huge, .key_id = huge, .verdict = "faulty",
			       .run = huge }, "a.jsonl");
	feed(rep, &(struct r){ .time = "2024-07-19T08:01:00Z", .site = css,
			       .op = "bad \xff\xfe UTF-8 \xc3", .outcome = "failed", .serial = "U",
			       .computer = "line\xe2\x80\xa8sep\xe2\x80\xa9par",
			       .reason = "}</td></tr></table><h1>forged</h1>" }, "a.jsonl");
	html = page(rep);
	expect_safe_attributes(html);
	/* the page stays small: every text is cut, and says so */
	assert_true(strlen(html) < 200000);
	assert_non_null(strstr(html, "AAAAAAAAAA\xe2\x80\xa6<"));
	/* the begun record and its run's record: one machine, refused, the 1 MB run paired */
	expect_id(html, "machines-refused", "1");
	expect_id(html, "machines-interrupted", "0");
	/* one style element, bootfix's; the text that would close it is text */
	for (const char *p = html; (p = strstr(p, "<style")); p++)
		n++;
	assert_int_equal(n, 1);
	assert_non_null(strstr(html, "&lt;/style&gt;&lt;style&gt;*{display:none}&lt;/style&gt;"));
	assert_null(strstr(html, "<h1>forged"));
	/* bytes that are not UTF-8 become U+FFFD; line and paragraph separators are shown */
	assert_non_null(strstr(html, "bad \xef\xbf\xbd\xef\xbf\xbd UTF-8 \xef\xbf\xbd"));
	assert_null(strstr(html, "\xff"));
	assert_non_null(strstr(html, "line\\u2028sep\\u2029par"));
	assert_null(strstr(html, "\xe2\x80\xa8"));
	free(html);
	free(huge);
	logreport_free(rep);
}

/* 100,000 sites and operators: the tables list the first LOGREPORT_ROWS and count the rest. */
static void test_many_names(void **state)
{
	struct logreport *rep = logreport_new();
	char site[32], op[32], *html;
	size_t rows = 0;
	const char *t;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		snprintf(site, sizeof(site), "site %d", i);
		snprintf(op, sizeof(op), "op %d", i);
		feed(rep, &(struct r){ .time = "2024-07-19T08:00:00Z", .site = site, .op = op,
				       .outcome = "fixed", .serial = site, .verdict = "faulty" },
		     "a.jsonl");
	}
	html = page(rep);
	t = strstr(html, "id=\"by-site\"");
	assert_non_null(t);
	for (const char *p = t; (p = strstr(p, "<tr><td>")) && p < strstr(t, "</table>"); p++)
		rows++;
	assert_int_equal(rows, LOGREPORT_ROWS);
	/* past 20000 names, one row counts the records of the others */
	assert_non_null(strstr(html, "(more names than the report tells apart)"));
	assert_non_null(strstr(html, "and 19501 more sites"));
	assert_non_null(strstr(html, "and 19501 more operators"));
	expect_id(html, "machines-fixed", "100000");
	assert_true(strlen(html) < 2 * 1024 * 1024);
	free(html);
	logreport_free(rep);
}

/* Fixes at times far in the past and future: the chart stays bounded and says what it left out. */
static void test_far_times(void **state)
{
	struct logreport *rep = logreport_new();
	char serial[32], *html;
	size_t bins = 0;

	(void)state;
	/* each fix of a site of its own: hours are weighed whole, not per site */
	for (int i = 0; i < 200; i++) {
		snprintf(serial, sizeof(serial), "S%d", i);
		feed(rep, &(struct r){ .time = "2024-07-19T08:00:00Z", .outcome = "fixed",
				       .serial = serial, .site = serial, .verdict = "faulty" },
		     "a.jsonl");
	}
	feed(rep, &(struct r){ .time = "1970-01-01T00:00:00Z", .outcome = "fixed", .serial = "P",
			       .verdict = "faulty" }, "a.jsonl");
	feed(rep, &(struct r){ .time = "9999-12-31T23:59:59Z", .outcome = "fixed", .serial = "F",
			       .verdict = "faulty" }, "a.jsonl");
	html = page(rep);
	expect_id(html, "chart-total", "200");
	expect_id(html, "chart-outside", "2");
	assert_non_null(strstr(html, "left out of the chart"));
	free(html);
	logreport_free(rep);
	/* half the fixes 8000 years from the others: drawn by periods of days, bounded */
	rep = logreport_new();
	for (int i = 0; i < 40; i++) {
		snprintf(serial, sizeof(serial), "S%d", i);
		feed(rep, &(struct r){ .time = i % 2 ? "1970-01-01T00:00:00Z" : "9999-12-31T23:59:59Z",
				       .outcome = "fixed", .serial = serial, .verdict = "faulty" },
		     "a.jsonl");
	}
	html = page(rep);
	expect_id(html, "chart-total", "40");
	for (const char *p = html; (p = strstr(p, "<rect class=\"bar\"")); p++)
		bins++;
	assert_int_equal(bins, 2);
	assert_true(strlen(html) < 200000);
	free(html);
	logreport_free(rep);
}

static void test_write_path(void **state)
{
	char dir[128], path[256], link_to[256];
	struct logreport *rep = logreport_new();
	struct stat st;

	(void)state;
	assert_int_equal(fixture_tmpdir(dir, sizeof(dir), "report"), 0);
	snprintf(path, sizeof(path), "%s/report.html", dir);
	assert_int_equal(logreport_write_path(rep, path, 0), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 1000);
	/* an existing page is not replaced without asking */
	assert_int_equal(logreport_write_path(rep, path, 0), -1);
	if (!strstr(err_msg(), "file exists (--force replaces it)"))
		fail_msg("%s", err_msg());
	assert_int_equal(logreport_write_path(rep, path, 1), 0);
	/* a link planted at the path is replaced, never followed */
	snprintf(link_to, sizeof(link_to), "%s/victim", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(link_to, path), 0);
	assert_int_equal(logreport_write_path(rep, path, 0), -1);
	assert_int_equal(logreport_write_path(rep, path, 1), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(access(link_to, F_OK), -1);
	/* a folder that is not there */
	snprintf(path, sizeof(path), "%s/nope/report.html", dir);
	assert_int_equal(logreport_write_path(rep, path, 0), -1);
	assert_non_null(strstr(err_msg(), "no such file"));
	logreport_free(rep);
	fixture_rm(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_hostile_page),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_lists_bounded),
		cmocka_unit_test(test_boot_time),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_far_times),
		cmocka_unit_test(test_write_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
