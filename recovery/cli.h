/*
 * cli.h - helpers the fronts share with the command line (cli.c).
 */
#ifndef BOOTFIX_CLI_H
#define BOOTFIX_CLI_H

#include <stdarg.h>
#include <stddef.h>

#include "rules.h"

/* Print "bootfix: MESSAGE" on stderr; returns the "could not run" exit code 3. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The built-in rules directory: $BOOTFIX_RULES_DIR, next to the binary, or installed. */
const char *cli_builtin_rules(void);

/* Load built-in rules and DATA/rules; 0, or as rules_load_dir() -1 / -2 with err_set(). */
int cli_load_rules(struct ruleset *rs, const char *data_dir);

struct engine_opts;
struct run;

/*
 * Fill in what the options left out from the environment and the stick:
 * data_dir from $BOOTFIX_DATA, operator and site from DATA/bootfix.conf.
 * The strings stay valid until exit.
 */
void cli_defaults(const char **data_dir, const char **operator_name, const char **site);

/*
 * Write the audit record of a finished fix or restore run (o, r) to the
 * stick's log; note receives one line for the operator: where it was
 * written, or why not.  Returns 0 when written, -1 when not.
 */
int cli_record(const struct engine_opts *o, const struct run *r, char *note, size_t len);

/*
 * The last records of the stick's log as one-line summaries (newest last),
 * each malloc'd into lines[]; returns how many, or -1 with err_set().
 */
int cli_log_tail(const char *data_dir, char **lines, int max);

#endif
