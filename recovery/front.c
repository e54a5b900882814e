/*
 * front.c - what every front shares (see front.h): errors and usage, the
 * verb entries' option parsing, the data folder and the rules, the signals,
 * sizes for people, and the setup around engine_run().
 *
 * Like the fronts it prints, but only on stderr and only what a front would
 * say the same way everywhere; it never draws and never includes curses.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "front.h"
#include "text.h"

int front_error(const char *fmt, ...)
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
	return FRONT_EXIT_CANNOT;
}

/* ---- verbs ---- */

int front_usage(const struct front_verb *v)
{
	fprintf(stderr, "usage: %s\n", v->usage);
	return FRONT_EXIT_USAGE;
}

int front_verb_run(const struct front_verb *v, int argc, char **argv)
{
	struct front_args a;
	int ch, rc;

	memset(&a, 0, sizeof(a));
	if (!v->shortopts) {
		a.argc = argc - 1;
		a.argv = argv + 1;
		return v->exec(v, &a);
	}
	/* no more options than words: one slot each */
	a.opt = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*a.opt));
	if (!a.opt)
		return front_error("cannot run %s: %s", v->name, strerror(ENOMEM));
	optind = 1;
	while ((ch = getopt_long(argc, argv, v->shortopts, v->longopts, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: %s\n", v->usage);
			free(a.opt);
			return FRONT_EXIT_OK;
		}
		if (ch == '?' || ch == ':') {
			free(a.opt);
			return front_usage(v);
		}
		a.opt[a.nopt].ch = ch;
		a.opt[a.nopt].value = optarg ? optarg : "";
		a.nopt++;
	}
	a.argc = argc - optind;
	a.argv = argv + optind;
	if (v->upper >= 0 && a.argc > v->upper) {
		fprintf(stderr, "bootfix %s: unexpected argument '%s'\n", v->name,
			text_safe(a.argv[v->upper]));
		rc = front_usage(v);
	} else if (a.argc < v->lower) {
		rc = front_usage(v);
	} else {
		rc = v->exec(v, &a);
	}
	free(a.opt);
	return rc;
}

const struct front_verb *front_verb_find(const struct front_verb *const *table, size_t n,
					 const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, table[i]->name) ||
		    (table[i]->alias && !strcmp(name, table[i]->alias)))
			return table[i];
	return NULL;
}

const char *front_arg_nth(const struct front_args *a, int ch, size_t i)
{
	for (size_t k = 0; k < a->nopt; k++)
		if (a->opt[k].ch == ch && i-- == 0)
			return a->opt[k].value;
	return NULL;
}

const char *front_arg(const struct front_args *a, int ch)
{
	const char *last = NULL;

	for (size_t k = 0; k < a->nopt; k++)
		if (a->opt[k].ch == ch)
			last = a->opt[k].value;
	return last;
}

/* ---- signals, the data folder, rules ---- */

volatile sig_atomic_t front_stop;

static void on_signal(int sig)
{
	(void)sig;
	front_stop = 1;
}

void front_catch_signals(void)
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

const char *front_data_dir(const char *given)
{
	const char *env = getenv("BOOTFIX_DATA");

	return given ? given : env && *env ? env : NULL;
}

int front_no_stick(void)
{
	const char *env = getenv("BOOTFIX_NO_STICK");

	return env && !strcmp(env, "1");
}

const char *front_builtin_rules(void)
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

int front_load_rules(struct ruleset *rs, const char *data_dir)
{
	char path[PATH_MAX];
	int rc = rules_load_dir(rs, front_builtin_rules(), 0);

	if (rc < 0)
		return rc;
	if (data_dir) {
		snprintf(path, sizeof(path), "%s/rules", data_dir);
		if ((rc = rules_load_dir(rs, path, 1)) < 0)
			return rc;
	}
	if (rs->n == 0)
		return err_set("cannot run: no rules loaded from %s%s%s", front_builtin_rules(),
			       data_dir ? " or " : "", data_dir ? path : "");
	return 0;
}

/* ---- around engine_run() ---- */

int front_begin(struct front *f, int flags)
{
	int rc;

	if (flags & FRONT_DATA_ENV)
		f->eo.data_dir = front_data_dir(f->eo.data_dir);
	f->eo.no_stick = front_no_stick();
	record_load(&f->rec, &f->eo);
	if ((rc = front_load_rules(&f->rules, f->eo.data_dir)) < 0) {
		front_error("%s", err_msg());
		return rc == -2 ? FRONT_EXIT_USAGE : FRONT_EXIT_CANNOT;
	}
	f->eo.rules = &f->rules;
	f->eo.stop = &front_stop;
	f->rec.send.stop = &front_stop;
	front_catch_signals();
	return FRONT_EXIT_OK;
}

void front_end(struct front *f)
{
	/* these may point into the record's bootfix.conf, freed below */
	if (f->eo.operator_name && f->eo.operator_name == f->rec.conf.operator_name)
		f->eo.operator_name = NULL;
	if (f->eo.site && f->eo.site == f->rec.conf.site)
		f->eo.site = NULL;
	f->eo.rules = NULL;
	rules_free(&f->rules);
	record_done(&f->rec);
}

int front_record(struct front *f, const struct run *r, const char *error)
{
	char note[4096], *unlogged = NULL;
	int rc = record_write(&f->rec, &f->eo, r, &f->rules, error, note, sizeof(note), &unlogged);

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
