/*
 * logreport.h - the auditors' report (`bootfix log report`, docs/log.md):
 * one self-contained HTML page made from the records of many logs.
 *
 * An accumulator: it is told about each source log (whether it verified)
 * and fed one record at a time, and keeps only aggregates (counts by
 * outcome, site, operator and rule, fixes per hour and site, the latest
 * state of each machine, the BitLocker key IDs used, the run times), never
 * the records, so 150,000 records cost tens of megabytes at most.
 *
 * Record text is hostile (a computer name from a Windows volume, a site
 * typed on a stick): every piece of it reaches the page through
 * logreport_html_text() only, as element text, never inside an attribute,
 * a style or a URL.  The page carries a Content-Security-Policy that lets
 * nothing load or run even if that were wrong.  It has no script at all.
 *
 * Begun records (write-ahead, "stage":"begun") are held until the record
 * of their run follows; those still alone when the page is written count
 * as interrupted.  Feed every record of a log, begun ones included.
 */
#ifndef BOOTFIX_LOGREPORT_H
#define BOOTFIX_LOGREPORT_H

#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

struct logreport;

/* What a front knows about one source log after reading and verifying it. */
struct logreport_source_info {
	const char *name;	/* the file as given */
	int intact;		/* 1 it verified, 0 it did not */
	const char *why;	/* not intact: the first bad line and why, "line 5: ..." */
	size_t records;		/* records the check counted */
	int sigs_checked;	/* every signature checked good with the key(s) below */
	const char *keys;	/* the public key(s) given (file and fingerprint), or NULL */
	int server;		/* a log server's file: records from many sticks, each
				 * checked on its own, and chained by stick where they can */
	size_t chains;		/* server: sticks whose chain was checked */
	size_t chained;		/* server: records in those chains */
	size_t alone;		/* server: records checked on their own only */
	size_t other;		/* server: syslog lines that are not records */
};

/* The page holds at most this many rows of a list; the rest are counted. */
#define LOGREPORT_ROWS 500

/* A new empty report, or NULL with err_set() when out of memory. */
struct logreport *logreport_new(void);

/*
 * Say how source s verified (copied; call once per source, in the order to
 * show).  A record fed for a source never declared makes one whose
 * verification is shown as "not checked".  Returns 0, or -1 with err_set().
 */
int logreport_source(struct logreport *r, const struct logreport_source_info *s);

/*
 * Count one record (a machine record: a merged line's embedded record, not
 * the merged line) read from source.  rec is only read, and not kept.
 * Records must come in the order of their log; logs in any order.  Returns
 * 0, or -1 with err_set() when out of memory (the report is then short).
 */
int logreport_record(struct logreport *r, struct json_object *rec, const char *source);

struct auditlog_row;

/*
 * The same for a record's row (auditlog_row(), or a stream's line.row:
 * AUDITLOG_STREAM_ROWS reads it without json-c); row is only read.
 */
int logreport_row(struct logreport *r, const struct auditlog_row *row, const char *source);

/*
 * Write the page to out.  made is the time to print as when it was made
 * (0: now).  Returns 0, or -1 with err_set() when writing failed.
 */
int logreport_write(struct logreport *r, FILE *out, long long made);

/*
 * Write the page to path: a new file in path's directory, synced, then put
 * at path, which must not exist unless replace is set (then it is replaced
 * in one rename: a reader never sees half a page).  Never follows a link at
 * path.  Returns 0, or -1 with err_set() ("cannot write PATH: CAUSE").
 */
int logreport_write_path(struct logreport *r, const char *path, int replace);

void logreport_free(struct logreport *r);

/*
 * Write s as HTML element text, at most max characters (then "…"):
 * & < > " ' as entities; C0 controls, DEL, C1 controls and bidi and
 * invisible format characters (U+061C, U+200B-U+200F, U+202A-U+202E,
 * U+2060-U+2069, U+FEFF) shown as \xNN or \uXXXX; bytes that are not UTF-8
 * as U+FFFD.  NULL or "" is written as "-".
 */
void logreport_html_text(FILE *out, const char *s, size_t max);

#endif
