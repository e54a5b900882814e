/*
 * front.h - the layer every front stands on (front.c): exit codes, errors
 * and usage, the verb entries and their options, the data folder and the
 * rules, the signals that stop the work, and the setup a front that runs
 * the engine shares (front_begin() / front_end()).
 *
 * The fronts are cli.c (main() and the verb table), menu.c, auto.c,
 * logcmd.c and unlockcmd.c.  A front includes front.h and the headers of
 * the engine; front.c includes no front's header, so no two fronts depend
 * on each other through it (scripts/check-includes keeps it so).
 */
#ifndef BOOTFIX_FRONT_H
#define BOOTFIX_FRONT_H

#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "record.h"
#include "rules.h"

/*
 * Exit codes, the same for every verb (bootfix(8), EXIT STATUS).  1 is each
 * verb's own "not done": faulty files found (scan) or left in place (fix),
 * something not restored, not fixed (auto), a log that does not verify, no
 * key that fits.
 */
enum front_exit {
	FRONT_EXIT_OK = 0,
	FRONT_EXIT_NOT_DONE = 1,
	FRONT_EXIT_USAGE = 2,		/* a usage error or a malformed rule file */
	FRONT_EXIT_CANNOT = 3,		/* could not run */
	FRONT_EXIT_CHECK = 4,		/* auto: nothing faulty left, but files no rule decides */
	FRONT_EXIT_NOT_LOGGED = 5,	/* auto: fixed (or nothing to fix), but the record did
					   not reach every log server (kept on the volume) */
	/* what the stick's init acts on after the menu or auto (image/init) */
	FRONT_EXIT_POWEROFF = 10,
	FRONT_EXIT_REBOOT = 11,
	FRONT_EXIT_SHELL = 12,
};

/*
 * Print "bootfix: MESSAGE" on stderr, escaped with text_safe() (messages
 * carry names from the volume); returns FRONT_EXIT_CANNOT.
 */
int front_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- verbs ---- */

/* The options given to a verb, in order, and the operands after them. */
struct front_args {
	struct front_opt {
		int ch;			/* the option's letter (struct option's val) */
		const char *value;	/* its argument, or "" when it takes none */
	} *opt;
	size_t nopt;
	int argc;			/* the operands: argv[0..argc) */
	char **argv;
};

/*
 * One verb, after tmux's cmd_entry: its name, the synopsis, the options it
 * takes and the function that runs it.  Options are parsed by
 * front_verb_run() before exec is called; exec decides the exit code.
 */
struct front_verb {
	const char *name;
	const char *alias;		/* another name for it, or NULL */
	const char *usage;		/* "bootfix scan [--device FILE|DEV ...]", as in bootfix(8) */
	const char *shortopts;		/* getopt(3) letters; NULL: exec gets argv unparsed */
	const struct option *longopts;	/* each with its letter as val; may be NULL */
	int lower, upper;		/* operands wanted after the options; upper -1: any */
	int flags;
#define FRONT_MOUNTS 0x1		/* mounts Windows volumes: a private mount namespace */
	int (*exec)(const struct front_verb *self, struct front_args *a);
};

/*
 * Parse argv (argv[0] the verb's name) with v's options and run v->exec.
 * 'h' (-h, --help) prints "usage: ..." on stdout and returns 0; an unknown
 * option, a missing argument or a wrong number of operands prints the
 * usage on stderr and returns FRONT_EXIT_USAGE.  Without v->shortopts,
 * exec gets argv[1..argc) as its operands.  Returns what exec returns.
 */
int front_verb_run(const struct front_verb *v, int argc, char **argv);

/* The verb in table[0..n) called name (or by its alias), or NULL. */
const struct front_verb *front_verb_find(const struct front_verb *const *table, size_t n,
					 const char *name);

/* Print "usage: ..." for v on stderr; returns FRONT_EXIT_USAGE. */
int front_usage(const struct front_verb *v);

/*
 * The argument of the last -ch given ("" when it takes none), or NULL when
 * it was not given.
 */
const char *front_arg(const struct front_args *a, int ch);

/* The argument of the i-th -ch given (options given more than once), or NULL. */
const char *front_arg_nth(const struct front_args *a, int ch, size_t i);

/* ---- what the fronts share ---- */

/*
 * SIGINT, SIGTERM and SIGHUP set front_stop (the engine winds down safely
 * between files and undoes every mount); SIGPIPE is ignored.
 */
extern volatile sig_atomic_t front_stop;
void front_catch_signals(void);

/* The stick's data folder: given (--data), else $BOOTFIX_DATA, else NULL. */
const char *front_data_dir(const char *given);

/*
 * $BOOTFIX_NO_STICK is 1: the data folder is the site overlay of a network
 * boot (image/init), read-only, and there is no stick to write to.
 */
int front_no_stick(void);

/* The built-in rules directory: $BOOTFIX_RULES_DIR, next to the binary, or installed. */
const char *front_builtin_rules(void);

/*
 * Load the built-in rules and DATA/rules into rs.  Returns 0, or as
 * rules_load_dir() -1 (cannot read) or -2 (a malformed rule file) with
 * err_set(); also -1 when no rule at all was loaded.
 */
int front_load_rules(struct ruleset *rs, const char *data_dir);


/*
 * What a front that runs the engine holds: the options it gives the engine
 * (eo.rules and eo.stop point into this), the rules, and the record it
 * writes.
 */
struct front {
	struct engine_opts eo;
	struct ruleset rules;
	struct record rec;
};

#define FRONT_DATA_ENV 0x1	/* no --data: take $BOOTFIX_DATA (the menu, auto) */

/*
 * The setup the fronts share, after their options are in f->eo (zero the
 * rest of f first): the data folder (with FRONT_DATA_ENV), DATA/bootfix.conf
 * through record_load() (its problems in f->rec, for the front to show),
 * the rules (built-in and DATA/rules) and the signals.  Returns 0, or the
 * exit code after saying why on stderr (FRONT_EXIT_USAGE for a malformed
 * rule file, else FRONT_EXIT_CANNOT); call front_end() in both cases.
 */
int front_begin(struct front *f, int flags);

/* Free what front_begin() set up (f->eo's strings from bootfix.conf included). */
void front_end(struct front *f);

/*
 * After engine_run() of a fix or restore that was not a dry run: write the
 * record (record_write()) and say its note on stderr, "bootfix: record N
 * written to FILE" or "bootfix: cannot write log FILE: CAUSE" followed by
 * the record itself, or that there is no log (not when error is set: the
 * caller's one-line error says it all).  error: why engine_run() failed, or
 * NULL.  Returns as record_write().
 */
int front_record(struct front *f, const struct run *r, const char *error);

#endif
