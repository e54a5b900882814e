/*
 * test_engine.c - scan, fix and restore (recovery/engine.c) on a plain
 * folder given as --root, with the shipped rules and a real SYSTEM hive:
 * the look, the verdicts, the refusals and the moves, without ntfs-3g.
 *
 * What the CLI tests cannot set up cheaply is here: a file that gives EIO,
 * names with control characters and of 255 bytes, a link where a channel
 * file should be, a read budget spent by many large sparse files, a volume
 * mounted read-only, a stop asked before anything was changed, and the
 * order of the callbacks (begun before the first move, volume_done after).
 * The mount tests need root; without it they are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "err.h"
#include "file.h"
#include "fixture.h"
#include "rules.h"

#define CS "Windows/System32/drivers/CrowdStrike"
#define WCS "Windows\\System32\\drivers\\CrowdStrike\\"
#define F31 "C-00000291-00000000-00000031.sys"
#define F32 "C-00000291-00000000-00000032.sys"
#define F33 "C-00000291-00000000-00000033.sys"

/* 19 July 2024, UTC */
#define T_UNDECIDED 1721358000	/* 03:00: between the older and the faulty rule */
#define T_FAULTY 1721363400	/* 04:30 */
#define T_FIXED 1721368800	/* 06:00 */

static int private_mounts;	/* root, in a mount namespace of our own */
static struct ruleset rules;
static char hive_dir[64];	/* the SYSTEM hive, decompressed once */
static char root[64];		/* per test: vol/ (the --root) and data/ */
static char vol[128], data[128];

/* What the callbacks saw. */
struct seen {
	int progress, begun, done;
	int begun_after_done;		/* begun came after a volume_done */
	int in_place_at_begun;		/* the watched file was still there then */
	const char *watch;		/* relative to vol */
	enum volume_outcome outcome;	/* as volume_done saw it */
};

static void on_progress(void *ctx, const char *what)
{
	struct seen *s = ctx;

	assert_non_null(what);
	s->progress++;
}

static void on_begun(void *ctx, const struct run *r)
{
	struct seen *s = ctx;
	char path[512];
	struct stat st;

	assert_int_equal(r->n, 1);
	s->begun++;
	s->begun_after_done += s->done > 0;
	if (s->watch) {
		snprintf(path, sizeof(path), "%s/%s", vol, s->watch);
		s->in_place_at_begun = lstat(path, &st) == 0;
	}
}

static void on_done(void *ctx, const struct volume *v)
{
	struct seen *s = ctx;

	s->done++;
	s->outcome = v->outcome;
}

static int group_setup(void **state)
{
	(void)state;
	if (rules_load_file(&rules, "rules/crowdstrike-2024-07-19.rules", NULL, NULL) != 0)
		return -1;
	if (fixture_tmpdir(hive_dir, sizeof(hive_dir), "engine-hive") < 0)
		return -1;
	return fixture_sh("xz -dc tests/data/hives/SYSTEM_WIN_10_1709.xz > %s/SYSTEM", hive_dir);
}

static int group_teardown(void **state)
{
	(void)state;
	rules_free(&rules);
	fixture_rm(hive_dir);
	return 0;
}

/* A Windows volume: the real SYSTEM hive and an empty CrowdStrike folder. */
static int setup(void **state)
{
	(void)state;
	if (fixture_tmpdir(root, sizeof(root), "engine") < 0)
		return -1;
	snprintf(vol, sizeof(vol), "%s/vol", root);
	snprintf(data, sizeof(data), "%s/data", root);
	return fixture_sh("set -e; cd %s; mkdir -p vol/Windows/System32/config vol/%s data; "
			  "ln %s/SYSTEM vol/Windows/System32/config/SYSTEM", root, CS, hive_dir);
}

static int teardown(void **state)
{
	(void)state;
	fixture_rm(root);
	return 0;
}

static void put(const char *rel, const char *text, time_t mtime)
{
	assert_int_equal(fixture_file(vol, rel, text, strlen(text), mtime), 0);
}

static int in_vol(const char *rel)
{
	char path[4300];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", vol, rel);
	return lstat(path, &st) == 0;
}

static void run(enum engine_verb verb, struct engine_opts *o, struct seen *s, struct run *r)
{
	struct engine_output out = { .progress = on_progress, .volume_done = on_done,
				     .begun = on_begun, .ctx = s };

	o->verb = verb;
	if (!o->root)
		o->root = vol;
	o->rules = &rules;
	o->mode = "unit";
	assert_int_equal(engine_run(o, &out, r), 0);
	assert_int_equal(r->n, 1);
	assert_int_equal(s->done, 1);
	assert_int_equal(s->outcome, r->v[0].outcome);
	assert_int_equal(s->begun_after_done, 0);
}

static const struct finding *finding(const struct volume *v, const char *path)
{
	for (size_t i = 0; i < v->nfindings; i++)
		if (!strcmp(v->findings[i].path, path))
			return &v->findings[i];
	fail_msg("no finding %s", path);
	return NULL;
}

/* ---- names and counts ---- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(outcome_name(OUTCOME_NONE), "nothing-to-fix");
	assert_string_equal(outcome_name(OUTCOME_FIXED), "fixed");
	assert_string_equal(outcome_name(OUTCOME_REFUSED), "refused");
	assert_string_equal(outcome_name(OUTCOME_FAILED), "failed");
	assert_string_equal(outcome_name(OUTCOME_LEFT), "left");
	assert_string_equal(outcome_name((enum volume_outcome)99), "nothing-to-fix");
	assert_string_equal(problem_name(PROBLEM_NONE), "none");
	assert_string_equal(problem_name(PROBLEM_HIBERNATED), "hibernated");
	assert_string_equal(problem_name(PROBLEM_FAST_RESTART), "fast-restart");
	assert_string_equal(problem_name((enum volume_problem)99), "none");
}

static void test_count_faulty(void **state)
{
	struct finding a[3] = { { .verdict = VERDICT_FAULTY, .done = 1 },
				{ .verdict = VERDICT_FAULTY },
				{ .verdict = VERDICT_GOOD } };
	struct finding b[2] = { { .verdict = VERDICT_UNKNOWN }, { .verdict = VERDICT_FAULTY } };
	struct volume v[3] = { { .findings = a, .nfindings = 3 }, { .findings = b, .nfindings = 2 },
			       { 0 } };
	struct run r = { .v = v, .n = 3 }, none = { 0 };
	size_t left = 99;

	(void)state;
	assert_int_equal(run_count_faulty(&r, &left), 3);
	assert_int_equal(left, 2);
	assert_int_equal(run_count_faulty(&r, NULL), 3);
	b[1].done = 1;
	a[1].done = 1;
	assert_int_equal(run_count_faulty(&r, &left), 3);
	assert_int_equal(left, 0);
	assert_int_equal(run_count_faulty(&none, &left), 0);
	assert_int_equal(left, 0);
}

/* A run filled part-way (a front stopped, memory ran out) frees cleanly, twice. */
static void test_run_free_partial(void **state)
{
	struct run r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.target = strdup("all disks");
	r.v = calloc(2, sizeof(*r.v));
	r.n = 2;
	r.v[0].key = strdup("p2");
	r.v[0].reason = strdup("interrupted");
	r.v[0].findings = calloc(2, sizeof(*r.v[0].findings));
	r.v[0].nfindings = 2;
	r.v[0].findings[0].path = strdup("Windows\\x.sys");
	r.v[0].findings[1].why = strdup("not read");
	r.v[0].findings[1].result = strdup("left in place");
	r.v[1].key_ids = strdup("A B");
	r.v[1].key_kind = "csv";	/* static: not freed */
	run_free(&r);
	assert_null(r.v);
	assert_int_equal(r.n, 0);
	assert_null(r.target);
	run_free(&r);
	/* the empty run */
	memset(&r, 0, sizeof(r));
	run_free(&r);
	assert_int_equal(r.n, 0);
}

/* ---- scan ---- */

static void test_scan(void **state)
{
	struct engine_opts o = { 0 };
	struct seen s = { 0 };
	const struct volume *v;
	const struct finding *f;
	struct run r;

	(void)state;
	put(CS "/" F32, "faulty channel file", T_FAULTY);
	put(CS "/" F33, "fixed channel file", T_FIXED);
	put(CS "/C-00000285-00000000-00000001.sys", "not a rule's", T_FAULTY);
	put(CS "/" F31 ".bak", "not a rule's either", T_FAULTY);
	run(ENGINE_SCAN, &o, &s, &r);
	assert_string_equal(r.target, vol);
	assert_int_equal(strlen(r.id), 32);
	v = &r.v[0];
	assert_string_equal(v->key, vol);
	assert_string_equal(v->device, vol);
	assert_int_equal(v->windows, 1);
	assert_string_equal(v->computer_name, "DESKTOP-2KGM189");
	assert_null(v->identity_note);
	assert_int_equal(v->hibernated, 0);
	assert_int_equal(v->problem, PROBLEM_NONE);
	assert_int_equal(v->has_quarantine, 0);
	/* only what the rules cover, sorted by path */
	assert_int_equal(v->nfindings, 2);
	assert_string_equal(v->findings[0].path, WCS F32);
	assert_string_equal(v->findings[1].path, WCS F33);
	f = &v->findings[0];
	assert_int_equal(f->verdict, VERDICT_FAULTY);
	assert_string_equal(f->rule, "cs-291-faulty");
	assert_int_equal(f->unattended, 1);
	assert_int_equal(f->d.size, 19);
	assert_int_equal(f->mtime.tv_sec, T_FAULTY);
	assert_int_not_equal(f->ino, 0);
	assert_string_equal(f->action, "none");
	assert_int_equal(v->findings[1].verdict, VERDICT_GOOD);
	assert_string_equal(v->findings[1].rule, "cs-291-fixed");
	/* a scan changes nothing, and says what it found */
	assert_int_equal(v->outcome, OUTCOME_NONE);
	assert_string_equal(v->reason, "1 faulty file found");
	assert_int_equal(s.begun, 0);
	assert_true(s.progress > 0);
	assert_int_equal(run_count_faulty(&r, NULL), 1);
	assert_true(in_vol(CS "/" F32));
	assert_false(in_vol("bootfix-quarantine"));
	run_free(&r);
}

static void test_scan_no_windows(void **state)
{
	struct engine_opts o = { 0 };
	struct seen s = { 0 };
	struct run r;

	(void)state;
	assert_int_equal(fixture_sh("rm -r %s/Windows/System32/config", vol), 0);
	put(CS "/" F32, "faulty channel file", T_FAULTY);
	run(ENGINE_FIX, &o, &s, &r);
	assert_int_equal(r.v[0].windows, 0);
	assert_int_equal(r.v[0].nfindings, 0);	/* not looked at: no Windows loads it */
	assert_int_equal(r.v[0].outcome, OUTCOME_NONE);
	assert_string_equal(r.v[0].reason, "no Windows on this volume");
	assert_true(in_vol(CS "/" F32));
	run_free(&r);
}

static void test_root_missing(void **state)
{
	struct engine_opts o = { .root = "/nonexistent/bootfix-root" };
	struct seen s = { 0 };
	struct run r;

	(void)state;
	run(ENGINE_SCAN, &o, &s, &r);
	assert_int_equal(r.v[0].outcome, OUTCOME_FAILED);
	assert_string_equal(r.v[0].reason,
			    "cannot open /nonexistent/bootfix-root: No such file or directory");
	run_free(&r);
}

/* ---- fix and restore ---- */

static void test_fix_and_restore(void **state)
{
	struct engine_opts o = { .data_dir = data };
	struct seen s = { .watch = CS "/" F32 };
	const struct finding *f;
	struct run r;
	char path[1024], sha[65];
	struct stat st;

	(void)state;
	put(CS "/" F32, "faulty channel file", T_FAULTY);
	put(CS "/" F33, "fixed channel file", T_FIXED);
	run(ENGINE_FIX, &o, &s, &r);
	/* write-ahead: begun once, while the file was still in place */
	assert_int_equal(s.begun, 1);
	assert_int_equal(s.in_place_at_begun, 1);
	assert_int_equal(r.v[0].outcome, OUTCOME_FIXED);
	assert_non_null(r.v[0].quarantine);
	assert_true(!strncmp(r.v[0].quarantine, "\\bootfix-quarantine\\", 20));
	snprintf(path, sizeof(path), "1 faulty file quarantined in %s", r.v[0].quarantine);
	assert_string_equal(r.v[0].reason, path);
	f = finding(&r.v[0], WCS F32);
	assert_string_equal(f->action, "quarantine");
	assert_int_equal(f->done, 1);
	assert_non_null(f->moved_to);
	memcpy(sha, f->d.sha256, sizeof(sha));
	assert_false(in_vol(CS "/" F32));
	assert_true(in_vol(CS "/" F33));		/* a good file stays */
	assert_string_equal(finding(&r.v[0], WCS F33)->action, "none");
	/* the file and its manifest in the quarantine folder */
	snprintf(path, sizeof(path), "%s/%s/" CS "/" F32, vol, r.v[0].quarantine + 1);
	for (char *p = path; *p; p++)
		if (*p == '\\')
			*p = '/';
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 19);
	assert_int_equal(st.st_mtim.tv_sec, T_FAULTY);
	/* a copy on the stick, in the machine's folder */
	assert_non_null(r.v[0].stick_manifest);
	assert_true(!strncmp(r.v[0].stick_manifest, "quarantine/DESKTOP-2KGM189/", 27));
	snprintf(path, sizeof(path), "%s/%s", data, r.v[0].stick_manifest);
	assert_int_equal(stat(path, &st), 0);
	run_free(&r);

	/* the next look sees the quarantine; restore puts the file back */
	memset(&s, 0, sizeof(s));
	run(ENGINE_RESTORE, &o, &s, &r);
	assert_int_equal(r.v[0].has_quarantine, 1);
	assert_int_equal(r.v[0].outcome, OUTCOME_FIXED);
	assert_string_equal(r.v[0].reason, "1 file restored or already in place");
	assert_int_equal(r.v[0].nfindings, 1);
	assert_int_equal(r.v[0].findings[0].done, 1);
	assert_true(in_vol(CS "/" F32));
	run_free(&r);
	memset(&s, 0, sizeof(s));
	run(ENGINE_SCAN, &o, &s, &r);
	f = finding(&r.v[0], WCS F32);
	assert_string_equal(f->d.sha256, sha);
	assert_int_equal(f->mtime.tv_sec, T_FAULTY);
	run_free(&r);
}

static void test_restore_nothing(void **state)
{
	struct engine_opts o = { 0 };
	struct seen s = { 0 };
	struct run r;

	(void)state;
	run(ENGINE_RESTORE, &o, &s, &r);
	assert_int_equal(r.v[0].outcome, OUTCOME_NONE);
	assert_string_equal(r.v[0].reason, "nothing in quarantine");
	assert_int_equal(s.begun, 0);
	run_free(&r);
}

static void test_dry_run(void **state)
{
	struct engine_opts o = { .dry_run = 1 };
	struct seen s = { 0 };
	const struct finding *f;
	struct run r;

	(void)state;
	put(CS "/" F32, "faulty channel file", T_FAULTY);
	run(ENGINE_FIX, &o, &s, &r);
	assert_int_equal(r.v[0].outcome, OUTCOME_NONE);
	assert_string_equal(r.v[0].reason, "dry run: nothing changed");
	f = finding(&r.v[0], WCS F32);
	assert_string_equal(f->action, "quarantine");
	assert_string_equal(f->result, "dry run: would be quarantined");
	assert_int_equal(f->done, 0);
	assert_int_equal(s.begun, 0);
	assert_true(in_vol(CS "/" F32));
	assert_false(in_vol("bootfix-quarantine"));
	run_free(&r);
}

/* Control characters and a name of 255 bytes: kept exact; what a manifest cannot hold stays. */
static void test_fix_hostile_names(void **state)
{
	static const char ctl[] = "C-00000291-\n\x1b[2J\x7f.sys";
	char longname[256], rel[512], wpath[512];
	struct engine_opts o = { 0 };
	struct seen s = { 0 };
	const struct finding *f;
	struct run r;

	(void)state;
	strcpy(longname, "C-00000291-");
	for (int i = 0; i < 120; i++)
		strcat(longname, "\xc3\xa9");
	strcat(longname, ".sys");
	assert_int_equal(strlen(longname), 255);
	snprintf(rel, sizeof(rel), CS "/%s", ctl);
	put(rel, "faulty", T_FAULTY);
	snprintf(rel, sizeof(rel), CS "/%s", longname);
	put(rel, "faulty", T_FAULTY);
	put(CS "/" F32, "faulty", T_FAULTY);
	run(ENGINE_FIX, &o, &s, &r);
	assert_int_equal(r.v[0].nfindings, 3);
	/* the name kept byte for byte */
	snprintf(wpath, sizeof(wpath), WCS "%s", ctl);
	f = finding(&r.v[0], wpath);
	assert_int_equal(f->verdict, VERDICT_FAULTY);
	assert_int_equal(f->done, 0);
	assert_non_null(f->result);
	assert_non_null(strstr(f->result, "control character"));
	snprintf(rel, sizeof(rel), CS "/%s", ctl);
	assert_true(in_vol(rel));
	/* the longest name moves */
	snprintf(wpath, sizeof(wpath), WCS "%s", longname);
	f = finding(&r.v[0], wpath);
	assert_int_equal(f->done, 1);
	snprintf(rel, sizeof(rel), CS "/%s", longname);
	assert_false(in_vol(rel));
	assert_int_equal(finding(&r.v[0], WCS F32)->done, 1);
	assert_int_equal(r.v[0].outcome, OUTCOME_FAILED);
	assert_string_equal(r.v[0].reason, "1 of 3 faulty files could not be quarantined");
	run_free(&r);
}

/* ---- what needs a person ---- */

/* A link where a channel file should be is not judged, and stops the unattended fix. */
static void test_link_needs_a_decision(void **state)
{
	struct engine_opts o = { .unattended_only = 1 };
	struct seen s = { 0 };
	const struct finding *f;
	struct run r;
	char link[512];

	(void)state;
	put(CS "/" F32, "faulty", T_FAULTY);
	snprintf(link, sizeof(link), "%s/" CS "/C-00000291-link.sys", vol);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	run(ENGINE_SCAN, &o, &s, &r);
	f = finding(&r.v[0], WCS "C-00000291-link.sys");
	assert_int_equal(f->verdict, VERDICT_UNKNOWN);
	assert_int_equal(f->undecided, 0);
	assert_null(f->rule);
	assert_string_equal(f->why, "it is a link or reparse point: not judged");
	assert_string_equal(r.v[0].reason,
			    "1 faulty file found; 1 file to check: " WCS "C-00000291-link.sys: "
			    "it is a link or reparse point: not judged");
	run_free(&r);
	memset(&s, 0, sizeof(s));
	run(ENGINE_FIX, &o, &s, &r);
	assert_int_equal(r.v[0].outcome, OUTCOME_REFUSED);
	assert_string_equal(r.v[0].reason,
			    "1 file needs a decision (verdict unknown: " WCS "C-00000291-link.sys: "
			    "it is a link or reparse point: not judged); volume left untouched");
	f = finding(&r.v[0], WCS F32);
	assert_string_equal(f->result, "left in place: another file on this volume needs a decision");
	assert_int_equal(s.begun, 0);
	assert_true(in_vol(CS "/" F32));
	assert_false(in_vol("bootfix-quarantine"));
	run_free(&r);
}

/* The CrowdStrike folder is a link off the volume: unknown, never "clean". */
static void test_folder_link(void **state)
{
	struct engine_opts o = { .unattended_only = 1 };
	struct seen s = { 0 };
	const struct finding *f;
	struct run r;

	(void)state;
	assert_int_equal(fixture_sh("set -e; cd %s; rmdir %s; mkdir elsewhere; "
				    "echo faulty > elsewhere/%s; ln -s ../../../../elsewhere %s",
				    vol, CS, F32, CS), 0);
	run(ENGINE_FIX, &o, &s, &r);
	assert_int_equal(r.v[0].nfindings, 1);
	f = &r.v[0].findings[0];
	assert_string_equal(f->path, "Windows\\System32\\drivers\\CrowdStrike");
	assert_int_equal(f->verdict, VERDICT_UNKNOWN);
	assert_non_null(f->why);
	assert_int_equal(r.v[0].outcome, OUTCOME_REFUSED);
	assert_non_null(strstr(r.v[0].reason, "verdict unknown: Windows\\System32\\drivers\\CrowdStrike"));
	assert_int_equal(s.begun, 0);
	run_free(&r);
}

/* A channel file from the two hours before the faulty update: no rule decides it. */
static void test_undecided(void **state)
{
	struct engine_opts o = { .unattended_only = 1 };
	struct seen s = { 0 };
	const struct finding *f;
	struct run r;

	(void)state;
	put(CS "/" F31, "older?", T_UNDECIDED);
	run(ENGINE_FIX, &o, &s, &r);
	f = finding(&r.v[0], WCS F31);
	assert_int_equal(f->verdict, VERDICT_UNKNOWN);
	assert_int_equal(f->undecided, 1);
	assert_null(f->rule);
	assert_string_equal(f->why, "no rule decides a file dated 2024-07-19");
	/* nothing faulty: nothing to refuse, but not called clean */
	assert_int_equal(r.v[0].outcome, OUTCOME_NONE);
	assert_string_equal(r.v[0].reason, "no faulty files; 1 file to check: " WCS F31
			    ": no rule decides a file dated 2024-07-19");
	run_free(&r);
	/* with a faulty file beside it, unattended leaves the volume alone */
	put(CS "/" F32, "faulty", T_FAULTY);
	memset(&s, 0, sizeof(s));
	run(ENGINE_FIX, &o, &s, &r);
	assert_int_equal(r.v[0].outcome, OUTCOME_REFUSED);
	assert_string_equal(r.v[0].reason, "1 file needs a decision (verdict unknown: " WCS F31
			    ": no rule decides a file dated 2024-07-19); volume left untouched");
	assert_true(in_vol(CS "/" F32));
	run_free(&r);
	/* a person (not unattended) fixes what is faulty and leaves the rest */
	o.unattended_only = 0;
	memset(&s, 0, sizeof(s));
	run(ENGINE_FIX, &o, &s, &r);
	assert_int_equal(r.v[0].outcome, OUTCOME_FIXED);
	assert_false(in_vol(CS "/" F32));
	assert_true(in_vol(CS "/" F31));
	run_free(&r);
}

/* Larger than the rules' max-size: not read at all. */
static void test_too_large(void **state)
{
	struct engine_opts o = { 0 };
	struct seen s = { 0 };
	const struct finding *f;
	struct run r;
	char path[512];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/" CS "/" F32, vol);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, RULES_MAX_SIZE + 1), 0);
	close(fd);
	run(ENGINE_SCAN, &o, &s, &r);
	f = finding(&r.v[0], WCS F32);
	assert_int_equal(f->verdict, VERDICT_UNKNOWN);
	assert_int_equal(f->d.size, RULES_MAX_SIZE + 1);
	assert_int_equal(f->d.read, 0);
	assert_string_equal(f->why, "268435457 bytes, larger than the rules' max-size of "
			    "268435456: not read");
	run_free(&r);
}

/*
 * Sixteen files of exactly the max-size use up what one look reads (4 GiB);
 * the seventeenth is not read.  Sparse, so the test costs hashing only.
 */
static void test_read_budget(void **state)
{
	struct engine_opts o = { 0 };
	struct seen s = { 0 };
	struct run r;
	size_t unknown = 0, faulty = 0;

	(void)state;
	for (int i = 0; i < 17; i++) {
		char path[512];
		int fd;

		snprintf(path, sizeof(path), "%s/" CS "/C-00000291-%02d.sys", vol, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, RULES_MAX_SIZE), 0);
		close(fd);
	}
	run(ENGINE_SCAN, &o, &s, &r);
	assert_int_equal(r.v[0].nfindings, 17);
	for (size_t i = 0; i < r.v[0].nfindings; i++) {
		const struct finding *f = &r.v[0].findings[i];

		if (f->verdict == VERDICT_UNKNOWN) {
			unknown++;
			assert_string_equal(f->why, "not read: this look at the volume already read "
					    "4 GiB (many large files: a crafted volume?)");
		} else {
			faulty++;
			assert_string_equal(f->rule, "cs-291-zero");	/* all zero bytes */
		}
	}
	assert_int_equal(unknown, 1);
	assert_int_equal(faulty, 16);
	run_free(&r);
}

/* A channel file that cannot be read is unknown, with the cause; nothing moves. */
static void test_unreadable(void **state)
{
	struct engine_opts o = { .unattended_only = 1 };
	struct seen s = { 0 };
	const struct finding *f;
	struct run r;
	char dir[128];
	int fd;

	(void)state;
	if (!private_mounts)
		skip();
	snprintf(dir, sizeof(dir), "%s/eio", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	fd = fixture_eio_file(dir, "Windows/System32/config/SYSTEM=4096 " CS "/" F33 "=100",
			      CS "/" F32, T_FAULTY);
	if (fd < 0)
		skip();		/* no mkfs.ext2, debugfs or loop devices here */
	snprintf(dir, sizeof(dir), "%s/eio/m", root);
	o.root = dir;
	run(ENGINE_SCAN, &o, &s, &r);
	assert_int_equal(r.v[0].windows, 1);
	assert_non_null(r.v[0].identity_note);	/* not a hive: a note, no failure */
	f = finding(&r.v[0], WCS F32);
	assert_int_equal(f->verdict, VERDICT_UNKNOWN);
	assert_string_equal(f->why, "cannot read it: Input/output error");
	assert_int_equal(f->d.size, 12288);
	assert_int_equal(finding(&r.v[0], WCS F33)->verdict, VERDICT_FAULTY);
	run_free(&r);
	memset(&s, 0, sizeof(s));
	run(ENGINE_FIX, &o, &s, &r);
	assert_int_equal(r.v[0].outcome, OUTCOME_REFUSED);
	assert_string_equal(r.v[0].reason, "1 file needs a decision (verdict unknown: " WCS F32
			    ": cannot read it: Input/output error); volume left untouched");
	assert_int_equal(s.begun, 0);
	run_free(&r);
	close(fd);
}

/* ---- what stands in the way ---- */

static void test_hibernated(void **state)
{
	struct engine_opts o = { 0 };
	struct seen s = { 0 };
	struct run r;
	char want[600];

	(void)state;
	put(CS "/" F32, "faulty", T_FAULTY);
	put("HiberFil.SYS", "HIBR and the rest of a session", 0);
	run(ENGINE_FIX, &o, &s, &r);
	assert_int_equal(r.v[0].hibernated, 1);
	assert_int_equal(r.v[0].problem, PROBLEM_HIBERNATED);
	assert_int_equal(r.v[0].outcome, OUTCOME_REFUSED);
	snprintf(want, sizeof(want), "refusing to change %s: Windows is hibernated on it; fixing "
		 "would lose the hibernated session (--discard-hibernation accepts that)", vol);
	assert_string_equal(r.v[0].reason, want);
	assert_string_equal(finding(&r.v[0], WCS F32)->result,
			    "left in place: Windows is hibernated on this volume");
	assert_int_equal(s.begun, 0);
	assert_true(in_vol(CS "/" F32));
	assert_true(in_vol("HiberFil.SYS"));
	run_free(&r);
	/* the operator accepts losing the session */
	o.policy.discard_hibernation = 1;
	memset(&s, 0, sizeof(s));
	run(ENGINE_FIX, &o, &s, &r);
	assert_int_equal(r.v[0].outcome, OUTCOME_FIXED);
	assert_int_equal(r.v[0].steps.discarded_hibernation, 1);
	assert_int_equal(r.v[0].problem, PROBLEM_HIBERNATED);	/* as the look saw it */
	assert_false(in_vol("HiberFil.SYS"));
	assert_false(in_vol(CS "/" F32));
	run_free(&r);
}

static void test_read_only(void **state)
{
	struct engine_opts o = { 0 };
	struct seen s = { 0 };
	struct run r;
	char want[600];

	(void)state;
	if (!private_mounts)
		skip();
	put(CS "/" F32, "faulty", T_FAULTY);
	assert_int_equal(mount(vol, vol, NULL, MS_BIND, NULL), 0);
	assert_int_equal(mount(NULL, vol, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), 0);
	run(ENGINE_FIX, &o, &s, &r);
	assert_int_equal(r.v[0].outcome, OUTCOME_FAILED);
	snprintf(want, sizeof(want), "cannot change %s: it is mounted read-only", vol);
	assert_string_equal(r.v[0].reason, want);
	assert_string_equal(finding(&r.v[0], WCS F32)->result,
			    "left in place: the volume is mounted read-only");
	assert_int_equal(s.begun, 0);
	run_free(&r);
	assert_int_equal(umount2(vol, 0), 0);
	assert_true(in_vol(CS "/" F32));
}

/* A stop asked before the first change: nothing is begun, nothing is made. */
static void test_stop_before_change(void **state)
{
	volatile sig_atomic_t stop = 1;
	struct engine_opts o = { .stop = &stop };
	struct seen s = { 0 };
	struct run r;
	char want[600];

	(void)state;
	put(CS "/" F32, "faulty", T_FAULTY);
	run(ENGINE_FIX, &o, &s, &r);
	assert_int_equal(r.v[0].outcome, OUTCOME_FAILED);
	snprintf(want, sizeof(want), "interrupted before %s was changed", vol);
	assert_string_equal(r.v[0].reason, want);
	assert_string_equal(finding(&r.v[0], WCS F32)->result, "left in place: interrupted");
	assert_int_equal(s.begun, 0);
	assert_true(in_vol(CS "/" F32));
	assert_false(in_vol("bootfix-quarantine"));
	run_free(&r);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_count_faulty),
		cmocka_unit_test(test_run_free_partial),
		T(test_scan),
		T(test_scan_no_windows),
		T(test_root_missing),
		T(test_fix_and_restore),
		T(test_restore_nothing),
		T(test_dry_run),
		T(test_fix_hostile_names),
		T(test_link_needs_a_decision),
		T(test_folder_link),
		T(test_undecided),
		T(test_too_large),
		T(test_read_budget),
		T(test_unreadable),
		T(test_hibernated),
		T(test_read_only),
		T(test_stop_before_change),
	};

	private_mounts = fixture_private_mounts();
	if (!private_mounts)
		fprintf(stderr, "test_engine: not root: the mount tests are skipped\n");
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
