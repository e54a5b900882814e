/*
 * record.h - the audit record the fronts write after a fix, a restore or a
 * decision (record.c): the stick's bootfix.conf it says, the write-ahead
 * "begun" record, the final record with the note a front shows, and the
 * last rows of the log for the menu's log screen.
 *
 * Nothing here prints: each front says the notes its own way (the CLI on
 * stderr, the menu on its screen, the unattended mode on its result screen
 * and the serial line).  The record itself is built and appended by the
 * engine's auditlog.c (docs/log.md).
 */
#ifndef BOOTFIX_RECORD_H
#define BOOTFIX_RECORD_H

#include <stddef.h>

#include "config.h"
#include "engine.h"
#include "logsend.h"
#include "rules.h"

/* What a front keeps between reading its options and writing the record. */
struct record {
	const char *log_path;	/* --log FILE, or NULL for DATA/logs/bootfix.jsonl */
	struct config conf;	/* DATA/bootfix.conf */
	char unreadable[512];	/* bootfix.conf exists but cannot be read: why */
	char begun_note[2048];	/* warnings of the begun record, said with the final one */
	struct logsend send;	/* the log servers of bootfix.conf (log-to), CA and token
				   files resolved below the data folder */
	int no_log;		/* a data folder for keys and settings only, no log on it
				   (network boot): records go to the log servers alone */
	int not_logged;		/* the last record_write(): log servers that did not take
				   its record (kept on the volume, or shown) */
};

/*
 * Read DATA/bootfix.conf when eo->data_dir is set, and take its operator
 * and site where eo has none (eo then points into rec until record_done());
 * its log servers go into rec->send, and eo->send points to it when there
 * are any (else NULL).
 * Never fails and prints nothing: what is wrong with the file is in
 * rec->conf.problems[] and rec->unreadable, for the front to show, and goes
 * into the record.
 */
void record_load(struct record *rec, struct engine_opts *eo);

/*
 * The write-ahead record, for engine_output.begun: appended (and synced)
 * before the engine changes anything, with the run's id and "stage":"begun";
 * readers show it as "interrupted" unless the final record of the same run
 * follows.  Returns as auditlog_write_run(); a failure is not said here (the
 * final record fails the same way, and is shown then); warnings are kept
 * for record_write()'s note.
 */
int record_begun(struct record *rec, const struct engine_opts *eo, const struct run *r);

/*
 * After engine_run() of a fix or restore that was not a dry run (or a
 * decision a front records): build the record and append it, then send it
 * to each log server of rec->send (the line appended, or with no log the
 * record as a line of its own: auditlog_write_run()).  note gets one or
 * more lines ('\n' between them) saying what happened to it: warnings
 * first ("warning: ..."), then "record N written to FILE", "cannot write
 * log FILE: CAUSE", or "no audit log written (give --data DIR or --log
 * FILE)"; then for each server "sent to URL" or "not logged to URL: CAUSE;
 * record kept in \bootfix-quarantine\...\record-unsent.jsonl" (the record
 * kept beside the manifest of each quarantine folder r made, through
 * engine_keep_record(), for the next run to send on) or "...; record not
 * kept on the volume: WHY"; fronts show it after "log: ".
 * rec->not_logged counts the servers that did not take it.  error: why
 * engine_run() failed, or NULL.  When the record could not be written and
 * unlogged is not NULL, *unlogged gets it (caller frees) to show so it is
 * not lost.  Returns 0 when logged (in the log; or with no log, taken by
 * every server or kept on the volume), 1 when there is nowhere to log,
 * -1 when it failed.
 * With eo->no_stick (a network boot) and no rec->log_path nothing is
 * appended: the servers alone get the record (signed with the data
 * folder's key); with no server the note is "not written: no stick
 * (network boot)", *unlogged gets the record to show, and 1 is returned.
 */
int record_write(struct record *rec, const struct engine_opts *eo, const struct run *r,
		 const struct ruleset *rs, const char *error, char *note, size_t len,
		 char **unlogged);

/*
 * The columns of a record_tail() row, two spaces apart, each cut to its
 * width and padded but the last: at most 20+15+14+7+14 + 4*2 = 78 columns.
 * Header: "%-20s  %-15s  %-14s  %-7s  %s", "Time (UTC)", "Computer",
 * "Serial", "Action", "Outcome".
 */
#define RECORD_TAIL_TIME	20	/* 2024-07-19T08:09:17Z */
#define RECORD_TAIL_COMPUTER	15	/* a NetBIOS name has at most 15 */
#define RECORD_TAIL_SERIAL	14
#define RECORD_TAIL_ACTION	7	/* fix, restore */
#define RECORD_TAIL_OUTCOME	14	/* nothing-to-fix */

/*
 * For the menu's log screen: the last max records of the log a fix would
 * write to (rec's --log, else DATA/logs/bootfix.jsonl; rec may be NULL) as
 * one-line rows "TIME  COMPUTER  SERIAL  ACTION  OUTCOME" (columns above;
 * record text escaped with text_safe() and cut on a character boundary)
 * into lines (caller frees each), and in status whether the log verifies.
 * Returns the number of rows.
 */
int record_tail(const struct record *rec, const char *data_dir, char **lines, int max,
		char *status, size_t len);

/* Free what record_load() read. */
void record_done(struct record *rec);

#endif
