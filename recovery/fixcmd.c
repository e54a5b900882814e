/*
 * fixcmd.c - `bootfix scan`, `bootfix fix` and `bootfix restore`: the
 * engine's verbs on the command line (see fixcmd.h).
 *
 * Each parses its options (front.h's verb entries), runs the engine with
 * the shared setup of front_begin(), prints every volume it saw and, after
 * a fix or restore, writes the audit record.  Exit codes (bootfix(8)):
 *   scan     0 nothing faulty, 1 faulty files found
 *   fix      0 every faulty file quarantined or none found, 1 something
 *            faulty left in place
 *   restore  0 restored (or nothing to restore), 1 something not restored
 *   any      2 usage error, 3 could not run
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "err.h"
#include "fixcmd.h"
#include "front.h"
#include "record.h"
#include "report.h"
#include "text.h"
#include "utc.h"

struct common {
	struct front f;
	int json;
	int verbose;
};

static void progress(void *ctx, const char *what)
{
	struct common *c = ctx;

	if (c->verbose)
		fprintf(stderr, "bootfix: %s\n", text_safe(what));
}

/* Said whether stderr is a terminal or a log file: a warning must not be lost. */
static void warning(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "bootfix: warning: %s\n", text_safe(msg));
}

static void begun(void *ctx, const struct run *r)
{
	struct common *c = ctx;

	record_begun(&c->f.rec, &c->f.eo, r);
}

static void print_volume(const struct volume *v, enum engine_verb verb)
{
	char size[32];

	text_size(v->size, size, sizeof(size));
	printf("%s", text_safe(v->device));
	if (v->fstype)
		printf("  %s  %s", text_safe(v->fstype), size);
	if (v->bitlocker && v->key_ids)
		printf("  BitLocker key ID %.8s (%s)", text_safe(v->key_ids), text_safe(v->key_ids));
	else if (v->bitlocker)
		printf("  BitLocker");
	if (v->locked)
		printf("  locked");
	else if (v->member)
		printf("  not examined");
	else if (v->windows)
		printf("  Windows%s%s%s", v->computer_name ? " (" : "",
		       v->computer_name ? text_safe(v->computer_name) : "", v->computer_name ? ")" : "");
	else if (!v->reason || v->outcome != OUTCOME_FAILED)
		printf("  no Windows");
	if (v->hibernated)
		printf("  hibernated");
	if (v->fast_restart)
		printf("  fast restart");
	putchar('\n');
	if (v->disk_model || v->disk_serial)
		printf("  disk %s%s%s\n", v->disk_model ? text_safe(v->disk_model) : "",
		       v->disk_model && v->disk_serial ? ", " : "",
		       v->disk_serial ? text_safe(v->disk_serial) : "");
	if (v->raid)
		printf("  RAID %s, %s%s\n", v->disk, v->raid, v->raid_missing ?
		       ": a disk is missing, so it is only read, never fixed" : "");
	if (v->bitlocker_description && v->locked)
		printf("  BitLocker description \"%s\" (computer, drive and date when "
		       "encrypted)\n",
		       text_safe(v->bitlocker_description));
	if (v->problem == PROBLEM_FAST_RESTART)
		printf("  Windows was shut down with fast restart: a fix drops the changes it "
		       "keeps cached (--kill-fast-restart)\n");
	if (v->identity_note)
		printf("  note: %s\n", text_safe(v->identity_note));
	if (v->unlocked_by)
		printf("  unlocked with key ID %s from %s\n", text_safe(v->unlocked_by),
		       text_safe(v->key_source ? v->key_source : "?"));
	for (size_t i = 0; i < v->nfindings; i++) {
		const struct finding *f = &v->findings[i];
		char when[UTC_LEN];

		printf("  %-7s %s  %lld bytes  %s  [%s]\n", verb == ENGINE_RESTORE ? "" :
		       verdict_name(f->verdict), text_safe(f->path), (long long)f->d.size,
		       f->mtime.tv_sec ? utc_format(f->mtime.tv_sec, when) : "-",
		       text_safe(f->rule ? f->rule : verb == ENGINE_RESTORE ? "-" :
				 "no rule decides"));
		if (f->why)
			printf("          why: %s\n", text_safe(f->why));
		if (f->result && strcmp(f->action ? f->action : "none", "none"))
			printf("          -> %s%s%s\n", text_safe(f->result), f->moved_to ? ": " : "",
			       f->moved_to ? text_safe(f->moved_to) : "");
	}
	if (v->sent_on)
		printf("  %d audit record%s kept here sent on to the log servers\n", v->sent_on,
		       v->sent_on == 1 ? "" : "s");
	if (v->kept)
		printf("  %d audit record%s kept here not sent to the log servers yet%s\n", v->kept,
		       v->kept == 1 ? "" : "s", verb == ENGINE_SCAN ? " (a fix sends them)" : "");
	if (v->reason && v->outcome == OUTCOME_NONE && (verb != ENGINE_SCAN || v->member))
		printf("  %s\n", text_safe(v->reason));
	else if (v->reason && v->outcome != OUTCOME_NONE)	/* files put back are not "fixed" */
		printf("  %s: %s\n", verb == ENGINE_RESTORE && v->outcome == OUTCOME_FIXED ?
		       "restored" : outcome_name(v->outcome), text_safe(v->reason));
	else if (v->reason && v->locked)
		printf("  %s\n", text_safe(v->reason));
}

/* The options of all three; scan and restore take fewer (their tables below). */
#define TARGET_OPTIONS \
	{ "device", required_argument, NULL, 'd' }, \
	{ "root", required_argument, NULL, 'r' }, \
	{ "data", required_argument, NULL, 'D' }, \
	{ "json", no_argument, NULL, 'j' }, \
	{ "operator", required_argument, NULL, 'o' }, \
	{ "site", required_argument, NULL, 's' }, \
	{ "discard-hibernation", no_argument, NULL, 'H' }, \
	{ "kill-fast-restart", no_argument, NULL, 'K' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "help", no_argument, NULL, 'h' }

static const struct option scan_opts[] = {
	TARGET_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static const struct option fix_opts[] = {
	TARGET_OPTIONS,
	{ "dry-run", no_argument, NULL, 'n' },
	{ "log", required_argument, NULL, 'L' },
	{ NULL, 0, NULL, 0 },
};

static const struct option restore_opts[] = {
	TARGET_OPTIONS,
	{ "log", required_argument, NULL, 'L' },
	{ NULL, 0, NULL, 0 },
};

/* The conf's problems, said as warnings: never fatal on the command line. */
static void conf_warnings(const struct record *rec)
{
	if (rec->unreadable[0])
		fprintf(stderr, "bootfix: warning: %s\n", text_safe(rec->unreadable));
	for (size_t i = 0; i < rec->conf.nproblems; i++)
		fprintf(stderr, "bootfix: warning: %s\n", text_safe(rec->conf.problems[i]));
}

static void print_run(const struct common *c, const struct run *r, const char *name)
{
	enum engine_verb verb = c->f.eo.verb;
	size_t faulty, left, unknown = 0, members = 0;
	char undecided[96] = "";

	if (c->json) {
		struct json_object *j = report_run(r, name, c->f.eo.dry_run);

		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
		return;
	}
	faulty = run_count_faulty(r, &left);
	if (r->machine_serial)
		printf("machine serial %s\n", text_safe(r->machine_serial));
	if (r->n == 0)
		printf("no NTFS or BitLocker volume found on %s\n", text_safe(r->target));
	for (size_t i = 0; i < r->n; i++)
		print_volume(&r->v[i], verb);
	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; k < r->v[i].nfindings; k++)
			unknown += r->v[i].findings[k].verdict == VERDICT_UNKNOWN;
	if (unknown && verb != ENGINE_RESTORE)
		snprintf(undecided, sizeof(undecided), "; %zu need%s a decision (verdict "
			 "unknown: see why above)", unknown, unknown == 1 ? "s" : "");
	for (size_t i = 0; i < r->n; i++)
		members += r->v[i].member != NULL;
	if (members)
		printf("%zu volume%s on a RAID member or dynamic disk not examined (see above)\n",
		       members, members == 1 ? "" : "s");
	if (verb == ENGINE_SCAN)
		printf("%zu faulty file%s found%s\n", faulty, faulty == 1 ? "" : "s", undecided);
	else if (verb == ENGINE_FIX)
		printf("%zu faulty file%s found, %zu quarantined%s%s%s\n", faulty,
		       faulty == 1 ? "" : "s", faulty - left,
		       c->f.eo.dry_run ? " (dry run: nothing changed)" : "",
		       left && !c->f.eo.dry_run ? ", some left in place (see above)" : "",
		       undecided);
}

/* The exit code of a run that could examine its target. */
static int exit_code(const struct engine_opts *eo, const struct run *r)
{
	size_t faulty, left;
	int failed = 0;

	faulty = run_count_faulty(r, &left);
	for (size_t i = 0; i < r->n; i++) {
		failed += r->v[i].outcome == OUTCOME_FAILED;
		/* a RAID member or dynamic disk may hold faulty files nobody looked at */
		left += r->v[i].member != NULL;
	}
	switch (eo->verb) {
	case ENGINE_SCAN:
		return faulty || left ? FRONT_EXIT_NOT_DONE : failed ? FRONT_EXIT_CANNOT : FRONT_EXIT_OK;
	case ENGINE_FIX:
		if (eo->dry_run)
			return faulty || left ? FRONT_EXIT_NOT_DONE : FRONT_EXIT_OK;
		/* a volume that stayed locked may hold faulty files: not done */
		for (size_t i = 0; i < r->n; i++)
			left += r->v[i].locked && r->v[i].outcome == OUTCOME_REFUSED;
		return left ? FRONT_EXIT_NOT_DONE : failed ? FRONT_EXIT_CANNOT : FRONT_EXIT_OK;
	default:
		if (left)	/* a RAID member or dynamic disk */
			return FRONT_EXIT_NOT_DONE;
		for (size_t i = 0; i < r->n; i++)
			for (size_t k = 0; k < r->v[i].nfindings; k++)
				if (!r->v[i].findings[k].done)
					return FRONT_EXIT_NOT_DONE;
		return failed ? FRONT_EXIT_NOT_DONE : FRONT_EXIT_OK;
	}
}

static int run(enum engine_verb verb, const struct front_verb *self, struct front_args *a)
{
	struct common c;
	struct engine_output out = { .progress = progress, .warning = warning, .begun = begun };
	struct engine_opts *eo = &c.f.eo;
	struct run r;
	int code;

	memset(&c, 0, sizeof(c));
	eo->verb = verb;
	eo->mode = "cli";
	eo->device = front_arg(a, 'd');
	eo->root = front_arg(a, 'r');
	eo->data_dir = front_arg(a, 'D');
	eo->dry_run = front_arg(a, 'n') != NULL;
	eo->operator_name = front_arg(a, 'o');
	eo->site = front_arg(a, 's');
	eo->policy.discard_hibernation = front_arg(a, 'H') != NULL;
	eo->policy.kill_fast_restart = front_arg(a, 'K') != NULL;
	c.f.rec.log_path = front_arg(a, 'L');
	c.json = front_arg(a, 'j') != NULL;
	c.verbose = isatty(2) || front_arg(a, 'v');
	out.ctx = &c;
	if (eo->device && eo->root) {
		fprintf(stderr, "bootfix %s: give --device or --root, not both\n", self->name);
		return front_usage(self);
	}
	if (!eo->root && geteuid() != 0)
		return front_error("cannot %s disks: must be run as root (or use --root on a "
				   "mounted volume)", self->name);
	if ((code = front_begin(&c.f, 0)) != FRONT_EXIT_OK) {
		front_end(&c.f);
		return code;
	}
	conf_warnings(&c.f.rec);
	if (engine_run(eo, &out, &r) < 0) {
		char *why = strdup(err_msg());

		code = front_error("%s", why ? why : err_msg());
		if (verb != ENGINE_SCAN && !eo->dry_run)
			front_record(&c.f, &r, why ? why : "cannot run");
		free(why);
		run_free(&r);
		front_end(&c.f);
		return code;
	}
	print_run(&c, &r, self->name);
	if (verb != ENGINE_SCAN && !eo->dry_run)
		front_record(&c.f, &r, NULL);
	if (front_stop)
		fprintf(stderr, "bootfix: interrupted; every volume unmounted, nothing half-moved\n");
	code = exit_code(eo, &r);
	run_free(&r);
	front_end(&c.f);
	return code;
}

static int exec_scan(const struct front_verb *self, struct front_args *a)
{
	return run(ENGINE_SCAN, self, a);
}

static int exec_fix(const struct front_verb *self, struct front_args *a)
{
	return run(ENGINE_FIX, self, a);
}

static int exec_restore(const struct front_verb *self, struct front_args *a)
{
	return run(ENGINE_RESTORE, self, a);
}

#define TARGETS "[--device FILE|DEV | --root DIR]"

const struct front_verb fixcmd_scan_verb = {
	.name = "scan",
	.usage = "bootfix scan " TARGETS " [--data DIR] [--json]",
	.shortopts = "d:r:D:jvh", .longopts = scan_opts,
	.lower = 0, .upper = 0, .flags = FRONT_MOUNTS,
	.exec = exec_scan,
};

const struct front_verb fixcmd_fix_verb = {
	.name = "fix",
	.usage = "bootfix fix " TARGETS " [--dry-run] [--data DIR] [--operator NAME] "
		 "[--site NAME] [--log FILE] [--discard-hibernation] [--kill-fast-restart] "
		 "[--json]",
	.shortopts = "d:r:D:jnvh", .longopts = fix_opts,
	.lower = 0, .upper = 0, .flags = FRONT_MOUNTS,
	.exec = exec_fix,
};

const struct front_verb fixcmd_restore_verb = {
	.name = "restore",
	.usage = "bootfix restore " TARGETS " [--data DIR] [--operator NAME] [--site NAME] "
		 "[--log FILE] [--discard-hibernation] [--kill-fast-restart] [--json]",
	.shortopts = "d:r:D:jvh", .longopts = restore_opts,
	.lower = 0, .upper = 0, .flags = FRONT_MOUNTS,
	.exec = exec_restore,
};
