/*
 * cli.h - helpers the fronts share with the command line (cli.c).
 */
#ifndef BOOTFIX_CLI_H
#define BOOTFIX_CLI_H

#include <signal.h>

#include <stdarg.h>
#include <stddef.h>

#include "engine.h"
#include "record.h"
#include "rules.h"

/* Print "bootfix: MESSAGE" on stderr; returns the "could not run" exit code 3. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The built-in rules directory: $BOOTFIX_RULES_DIR, next to the binary, or installed. */
const char *cli_builtin_rules(void);

/* Load built-in rules and DATA/rules; 0, or as rules_load_dir() -1 / -2 with err_set(). */
int cli_load_rules(struct ruleset *rs, const char *data_dir);

/*
 * SIGINT, SIGTERM and SIGHUP set cli_stop (the engine winds down safely
 * between files and undoes every mount); SIGPIPE is ignored.  Every front.
 */
extern volatile sig_atomic_t cli_stop;
void cli_catch_signals(void);

/* The stick's data folder when no --data was given: $BOOTFIX_DATA, or NULL. */
const char *cli_data_dir(const char *given);

/*
 * After engine_run() of a fix or restore that was not a dry run: write the
 * record (record_write()) and say its note on stderr, "bootfix: record N
 * written to FILE" or "bootfix: cannot write log FILE: CAUSE" followed by
 * the record itself, or that there is no log (not when error is set: the
 * caller's one-line error says it all).  Returns as record_write().
 */
int cli_record_finish(struct record *rec, const struct engine_opts *eo, const struct run *r,
		      const struct ruleset *rs, const char *error);

#endif
