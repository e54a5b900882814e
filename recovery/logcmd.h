/*
 * logcmd.h - `bootfix log VERB`, the auditors' tool (verify, list, show,
 * export, merge, summary, keys-used), and the command line's side of
 * writing a record after `bootfix fix` and `bootfix restore`.
 */
#ifndef BOOTFIX_LOGCMD_H
#define BOOTFIX_LOGCMD_H

#include "config.h"
#include "engine.h"
#include "rules.h"

#define LOGCMD_USAGE "bootfix log verify|list|show|export|merge|summary|keys-used ..."

/*
 * `bootfix log ...` with argv[0] == "log".  Prints results on stdout and
 * problems on stderr; returns the exit code: 0 fine, 1 a log does not
 * verify (or show found nothing), 2 usage, 3 a file cannot be read.
 */
int logcmd_main(int argc, char **argv);

/* What the command line keeps between option parsing and the record. */
struct logcmd_run {
	const char *log_path;	/* --log FILE, or NULL for DATA/logs/bootfix.jsonl */
	struct config conf;	/* DATA/bootfix.conf */
	char unreadable[512];	/* bootfix.conf exists but cannot be read: why */
	char begun_note[2048];	/* warnings of the begun record, said with the final one */
};

/*
 * As logcmd_prepare() without printing (for the menu and the unattended
 * mode, which show lr->conf.problems and lr->unreadable themselves).
 */
void logcmd_load(struct logcmd_run *lr, struct engine_opts *eo);

/*
 * The write-ahead record, for engine_output.begun: appended (and synced)
 * before the engine changes anything, with the run's id and "stage":"begun";
 * readers show it as "interrupted" unless the final record of the same run
 * follows.  Returns as auditlog_write_run(); a failure is not printed (the
 * final record fails the same way, and is shown then).
 */
int logcmd_begun(struct logcmd_run *lr, const struct engine_opts *eo, const struct run *r);

/*
 * As logcmd_finish() without printing: note gets one or more lines ('\n'
 * between them) saying what happened to the record ("record N written to
 * FILE", N its seq; "cannot write log FILE: CAUSE"; warnings before them);
 * fronts show it after "log: ".  When the record could not be
 * written and record is not NULL, *record gets it (caller frees) to show
 * so it is not lost.  Returns as logcmd_finish().
 */
int logcmd_record(struct logcmd_run *lr, const struct engine_opts *eo, const struct run *r,
		  const struct ruleset *rs, const char *error, char *note, size_t len,
		  char **record);

/*
 * Before the engine runs: read DATA/bootfix.conf when eo->data_dir is set
 * (each problem printed on stderr as a warning, never fatal) and take its
 * operator and site where the command line gave none.  eo then points into
 * lr until logcmd_done().
 */
void logcmd_prepare(struct logcmd_run *lr, struct engine_opts *eo);

/*
 * After engine_run() of a fix or restore that was not a dry run: build the
 * record, append it, and say on stderr "bootfix: record N written to FILE", or
 * "bootfix: cannot write log FILE: CAUSE" followed by the record itself,
 * or that there is no log (not when error is set: the caller's one-line
 * error says it all).  error: why engine_run() failed, or NULL.
 * Returns 0 when logged, 1 when there is nowhere to log, -1 when it failed.
 */
int logcmd_finish(struct logcmd_run *lr, const struct engine_opts *eo, const struct run *r,
		  const struct ruleset *rs, const char *error);

/*
 * The columns of a logcmd_tail() row, two spaces apart, each cut to its
 * width and padded but the last: at most 20+15+14+7+14 + 4*2 = 78 columns.
 * Header: "%-20s  %-15s  %-14s  %-7s  %s", "Time (UTC)", "Computer",
 * "Serial", "Action", "Outcome".
 */
#define LOGCMD_TAIL_TIME	20	/* 2024-07-19T08:09:17Z */
#define LOGCMD_TAIL_COMPUTER	15	/* a NetBIOS name has at most 15 */
#define LOGCMD_TAIL_SERIAL	14
#define LOGCMD_TAIL_ACTION	7	/* fix, restore */
#define LOGCMD_TAIL_OUTCOME	14	/* nothing-to-fix */

/*
 * For the menu's log screen: the last max records of the log a fix would
 * write to (lr's --log, else DATA/logs/bootfix.jsonl) as one-line rows
 * "TIME  COMPUTER  SERIAL  ACTION  OUTCOME" (columns above; record text
 * escaped with text_safe() and cut on a character boundary) into lines
 * (caller frees each), and in status whether the log verifies.  Returns
 * the number of rows.
 */
int logcmd_tail(const struct logcmd_run *lr, const char *data_dir, char **lines, int max,
		char *status, size_t len);

/* Free what logcmd_prepare() read. */
void logcmd_done(struct logcmd_run *lr);

#endif
