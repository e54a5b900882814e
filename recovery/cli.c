/*
 * cli.c - the plain command-line front: `bootfix VERB [options]`.
 *
 * One table of verbs { name, usage, run } (after tmux's cmd entries); each
 * run function parses its options, calls the engine and prints.  Only this
 * file decides exit codes (documented in bootfix(8)):
 *   scan     0 nothing faulty, 1 faulty files found
 *   fix      0 every faulty file quarantined or none found, 1 something
 *            faulty left in place
 *   restore  0 restored (or nothing to restore), 1 something not restored
 *   any      2 usage error, 3 could not run
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auto.h"
#include "cli.h"
#include "menu.h"
#include "engine.h"
#include "err.h"
#include "text.h"
#include "logcmd.h"
#include "record.h"
#include "ntfs.h"
#include "report.h"
#include "rules.h"
#include "unlockcmd.h"
#include "utc.h"
#include "version.h"

#define EXIT_FOUND 1
#define EXIT_USAGE 2
#define EXIT_CANNOT 3

volatile sig_atomic_t cli_stop;

static void on_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

void cli_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int cli_error(const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	/* messages carry names from the volume: one line, escaped */
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	fprintf(stderr, "bootfix: %s\n", msg ? text_safe(msg) : fmt);
	free(msg);
	return EXIT_CANNOT;
}

const char *cli_builtin_rules(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX - 64], *slash;
	const char *env = getenv("BOOTFIX_RULES_DIR");
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		snprintf(dir, sizeof(dir), "%s/rules", exe);
		if (access(dir, R_OK) == 0)
			return dir;
		snprintf(dir, sizeof(dir), "%s/../share/bootfix/rules", exe);
		if (access(dir, R_OK) == 0)
			return dir;
	}
	return "/usr/share/bootfix/rules";
}

int cli_load_rules(struct ruleset *rs, const char *data_dir)
{
	char path[PATH_MAX];

	int rc = rules_load_dir(rs, cli_builtin_rules(), 0);

	if (rc < 0)
		return rc;
	if (data_dir) {
		snprintf(path, sizeof(path), "%s/rules", data_dir);
		if ((rc = rules_load_dir(rs, path, 1)) < 0)
			return rc;
	}
	if (rs->n == 0)
		return err_set("cannot run: no rules loaded from %s%s%s", cli_builtin_rules(),
			       data_dir ? " or " : "", data_dir ? path : "");
	return 0;
}

/* ---- the record of a fix or restore, said on stderr ---- */

/* record_load(), with each problem of bootfix.conf said as a warning (never fatal). */
static void cli_record_prepare(struct record *rec, struct engine_opts *eo)
{
	record_load(rec, eo);
	if (rec->unreadable[0])
		fprintf(stderr, "bootfix: warning: %s\n", text_safe(rec->unreadable));
	for (size_t i = 0; i < rec->conf.nproblems; i++)
		fprintf(stderr, "bootfix: warning: %s\n", text_safe(rec->conf.problems[i]));
}

int cli_record_finish(struct record *rec, const struct engine_opts *eo, const struct run *r,
		      const struct ruleset *rs, const char *error)
{
	char note[4096], *unlogged = NULL;
	int rc = record_write(rec, eo, r, rs, error, note, sizeof(note), &unlogged);

	/* a target that could not even be examined keeps its one-line error */
	if (rc != 1 || !error) {
		for (char *line = note, *nl; line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			if (*line)
				fprintf(stderr, "bootfix: %s\n", text_safe(line));
		}
	}
	if (unlogged)
		fprintf(stderr, "%s\n", text_safe(unlogged));
	free(unlogged);
	return rc;
}

/* ---- scan, fix, restore ---- */

struct common {
	struct engine_opts eo;
	struct record log;	/* --log and DATA/bootfix.conf, for the audit record */
	int json;
	int verbose;
};

static void progress(void *ctx, const char *what)
{
	struct common *c = ctx;

	if (c->verbose)
		fprintf(stderr, "bootfix: %s\n", text_safe(what));
}

static void begun(void *ctx, const struct run *r)
{
	struct common *c = ctx;

	record_begun(&c->log, &c->eo, r);
}

static void human_size(uint64_t n, char *buf, size_t len)
{
	const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void print_volume(const struct volume *v, enum engine_verb verb)
{
	char size[32];

	human_size(v->size, size, sizeof(size));
	printf("%s", text_safe(v->device));
	if (v->fstype)
		printf("  %s  %s", text_safe(v->fstype), size);
	if (v->bitlocker && v->key_ids)
		printf("  BitLocker key ID %.8s (%s)", text_safe(v->key_ids), text_safe(v->key_ids));
	else if (v->bitlocker)
		printf("  BitLocker");
	if (v->locked)
		printf("  locked");
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
	if (v->reason && v->outcome == OUTCOME_NONE && verb != ENGINE_SCAN)
		printf("  %s\n", text_safe(v->reason));
	else if (v->reason && v->outcome != OUTCOME_NONE)	/* files put back are not "fixed" */
		printf("  %s: %s\n", verb == ENGINE_RESTORE && v->outcome == OUTCOME_FIXED ?
		       "restored" : outcome_name(v->outcome), text_safe(v->reason));
	else if (v->reason && v->locked)
		printf("  %s\n", text_safe(v->reason));
}

static const struct option common_opts[] = {
	{ "device", required_argument, NULL, 'd' },
	{ "root", required_argument, NULL, 'r' },
	{ "data", required_argument, NULL, 'D' },
	{ "json", no_argument, NULL, 'j' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "operator", required_argument, NULL, 'o' },
	{ "site", required_argument, NULL, 's' },
	{ "log", required_argument, NULL, 'L' },
	{ "discard-hibernation", no_argument, NULL, 'H' },
	{ "kill-fast-restart", no_argument, NULL, 'K' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int run_engine(enum engine_verb verb, const char *name, const char *usage, int argc,
		      char **argv)
{
	struct common c;
	struct ruleset rs = { 0 };
	struct engine_output out = { .progress = progress, .begun = begun };
	struct run r;
	size_t faulty, left;
	int ch, code, failed = 0;

	memset(&c, 0, sizeof(c));
	c.eo.verb = verb;
	c.eo.mode = "cli";
	c.eo.stop = &cli_stop;
	c.verbose = isatty(2);
	out.ctx = &c;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:r:D:jnvh", common_opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c.eo.device = optarg; break;
		case 'r': c.eo.root = optarg; break;
		case 'D': c.eo.data_dir = optarg; break;
		case 'j': c.json = 1; break;
		case 'n':
			if (verb != ENGINE_FIX)
				goto bad;
			c.eo.dry_run = 1;
			break;
		case 'o': c.eo.operator_name = optarg; break;
		case 's': c.eo.site = optarg; break;
		case 'L':
			if (verb == ENGINE_SCAN)
				goto bad;
			c.log.log_path = optarg;
			break;
		case 'H': c.eo.policy.discard_hibernation = 1; break;
		case 'K': c.eo.policy.kill_fast_restart = 1; break;
		case 'v': c.verbose = 1; break;
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bootfix %s: unexpected argument '%s'\n", name, argv[optind]);
		goto bad;
	}
	if (c.eo.device && c.eo.root) {
		fprintf(stderr, "bootfix %s: give --device or --root, not both\n", name);
		goto bad;
	}
	if (!c.eo.root && geteuid() != 0)
		return cli_error("cannot %s disks: must be run as root (or use --root on a "
				 "mounted volume)", name);
	if ((ch = cli_load_rules(&rs, c.eo.data_dir)) < 0) {
		cli_error("%s", err_msg());
		rules_free(&rs);
		return ch == -2 ? EXIT_USAGE : EXIT_CANNOT;
	}
	c.eo.rules = &rs;
	cli_record_prepare(&c.log, &c.eo);
	cli_catch_signals();
	if (engine_run(&c.eo, &out, &r) < 0) {
		char *why = strdup(err_msg());

		code = cli_error("%s", why ? why : err_msg());
		if (verb != ENGINE_SCAN && !c.eo.dry_run)
			cli_record_finish(&c.log, &c.eo, &r, &rs, why ? why : "cannot run");
		free(why);
		run_free(&r);
		rules_free(&rs);
		record_done(&c.log);
		return code;
	}
	faulty = run_count_faulty(&r, &left);
	for (size_t i = 0; i < r.n; i++)
		failed += r.v[i].outcome == OUTCOME_FAILED;
	if (c.json) {
		struct json_object *j = report_run(&r, name, c.eo.dry_run);

		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		if (r.machine_serial)
			printf("machine serial %s\n", text_safe(r.machine_serial));
		if (r.n == 0)
			printf("no NTFS or BitLocker volume found on %s\n", text_safe(r.target));
		for (size_t i = 0; i < r.n; i++)
			print_volume(&r.v[i], verb);
		size_t unknown = 0;
		char undecided[96] = "";

		for (size_t i = 0; i < r.n; i++)
			for (size_t k = 0; k < r.v[i].nfindings; k++)
				unknown += r.v[i].findings[k].verdict == VERDICT_UNKNOWN;
		if (unknown && verb != ENGINE_RESTORE)
			snprintf(undecided, sizeof(undecided), "; %zu need%s a decision (verdict "
				 "unknown: see why above)", unknown, unknown == 1 ? "s" : "");
		if (verb == ENGINE_SCAN)
			printf("%zu faulty file%s found%s\n", faulty, faulty == 1 ? "" : "s", undecided);
		else if (verb == ENGINE_FIX)
			printf("%zu faulty file%s found, %zu quarantined%s%s%s\n", faulty,
			       faulty == 1 ? "" : "s", faulty - left,
			       c.eo.dry_run ? " (dry run: nothing changed)" : "",
			       left && !c.eo.dry_run ? ", some left in place (see above)" : "",
			       undecided);
	}
	if (verb != ENGINE_SCAN && !c.eo.dry_run)
		cli_record_finish(&c.log, &c.eo, &r, &rs, NULL);
	if (cli_stop)
		fprintf(stderr, "bootfix: interrupted; every volume unmounted, nothing half-moved\n");
	switch (verb) {
	case ENGINE_SCAN:
		code = faulty ? EXIT_FOUND : failed ? EXIT_CANNOT : 0;
		break;
	case ENGINE_FIX:
		/* a volume that stayed locked may hold faulty files: not done */
		for (size_t i = 0; i < r.n; i++)
			left += r.v[i].locked && r.v[i].outcome == OUTCOME_REFUSED;
		code = c.eo.dry_run ? (faulty ? EXIT_FOUND : 0) : left ? EXIT_FOUND :
		       failed ? EXIT_CANNOT : 0;
		break;
	default:
		code = failed ? EXIT_FOUND : 0;
		for (size_t i = 0; i < r.n; i++)
			for (size_t k = 0; k < r.v[i].nfindings; k++)
				if (!r.v[i].findings[k].done)
					code = EXIT_FOUND;
		break;
	}
	run_free(&r);
	rules_free(&rs);
	record_done(&c.log);
	return code;
bad:
	fprintf(stderr, "usage: %s\n", usage);
	return EXIT_USAGE;
}

#define TARGETS "[--device FILE|DEV | --root DIR]"

static int cmd_scan(int argc, char **argv);
static int cmd_fix(int argc, char **argv);
static int cmd_restore(int argc, char **argv);
static int cmd_rules(int argc, char **argv);
static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct verb {
	const char *name;
	const char *usage;
	int (*run)(int argc, char **argv);
} verbs[] = {
	{ "scan", "bootfix scan " TARGETS " [--data DIR] [--json]", cmd_scan },
	{ "fix", "bootfix fix " TARGETS " [--dry-run] [--data DIR] [--operator NAME] "
		 "[--site NAME] [--log FILE] [--discard-hibernation] [--kill-fast-restart] "
		 "[--json]", cmd_fix },
	{ "restore", "bootfix restore " TARGETS " [--data DIR] [--operator NAME] [--site NAME] "
		     "[--log FILE] [--discard-hibernation] [--kill-fast-restart] [--json]",
	  cmd_restore },
	{ "rules", "bootfix rules check FILE...", cmd_rules },
	{ "log", LOGCMD_USAGE, logcmd_main },
	{ "unlock", UNLOCK_USAGE, unlockcmd_main },
	{ "menu", MENU_USAGE, menu_main },
	{ "auto", AUTO_USAGE, auto_main },
	{ "version", "bootfix version", cmd_version },
	{ "help", "bootfix help", cmd_help },
};

static int cmd_scan(int argc, char **argv)
{
	return run_engine(ENGINE_SCAN, "scan", verbs[0].usage, argc, argv);
}

static int cmd_fix(int argc, char **argv)
{
	return run_engine(ENGINE_FIX, "fix", verbs[1].usage, argc, argv);
}

static int cmd_restore(int argc, char **argv)
{
	return run_engine(ENGINE_RESTORE, "restore", verbs[2].usage, argc, argv);
}

static void print_problem(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", text_safe(msg));	/* a rule file is hostile input */
}

static int cmd_rules(int argc, char **argv)
{
	int bad = 0, cannot = 0;
	size_t total = 0;

	if (argc < 3 || strcmp(argv[1], "check")) {
		fprintf(stderr, "usage: %s\n", verbs[3].usage);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		struct ruleset rs = { 0 };
		int n = rules_load_file(&rs, argv[i], print_problem, NULL);

		if (n < 0) {
			fprintf(stderr, "bootfix: %s\n", text_safe(err_msg()));
			cannot = 1;
		} else if (n > 0) {
			bad = 1;
		} else {
			printf("%s: %zu rule%s ok\n", argv[i], rs.n, rs.n == 1 ? "" : "s");
			total += rs.n;
		}
		rules_free(&rs);
	}
	return bad ? EXIT_USAGE : cannot ? EXIT_CANNOT : 0;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("bootfix %s\n", BOOTFIX_VERSION);
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("bootfix %s - find and quarantine the files that keep Windows from booting\n\n",
	       BOOTFIX_VERSION);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		printf("  %s\n", verbs[i].usage);
	printf("\nSee bootfix(8).\n");
	return 0;
}

const char *cli_data_dir(const char *given)
{
	const char *env = getenv("BOOTFIX_DATA");

	return given ? given : env && *env ? env : NULL;
}

/*
 * The verbs that mount Windows volumes do it in a mount namespace of their
 * own, made here before any thread starts: other users and processes of the
 * machine never see the volume (docs/security.md).  `unlock` is left out:
 * what it maps is for the person at the shell.
 */
static void private_mounts(const char *verb)
{
	static const char *const mounting[] = { "scan", "fix", "restore", "menu", "auto", NULL };
	int wanted = !verb;

	for (size_t i = 0; verb && mounting[i]; i++)
		wanted |= !strcmp(verb, mounting[i]);
	if (wanted && geteuid() == 0 && ntfs_private_mounts() < 0)
		fprintf(stderr, "bootfix: warning: %s: volumes will be visible to this machine's "
			"other users\n", err_msg());
}

int main(int argc, char **argv)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	private_mounts(argc < 2 ? NULL : argv[1]);
	if (argc < 2) {
		/* a technician at a console: the menu; anything else: the usage */
		if (isatty(0) && isatty(1))
			return menu_main(argc, argv);
		cmd_help(argc, argv);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc, argv);
	fprintf(stderr, "bootfix: unknown verb '%s' (try 'bootfix help')\n", argv[1]);
	return EXIT_USAGE;
}
