/*
 * auditlog.h - the audit log: one tamper-evident JSON line per machine
 * bootfix fixed or restored, and the reader auditors check logs with.
 *
 * The format is specified in docs/log.md; in short:
 *   - JSON Lines made with json-c, one record per line, UTF-8;
 *   - "seq" counts records from 1; "prev" is the hex SHA-256 of the exact
 *     bytes of the previous record's line (64 zeros for the first record);
 *   - "sig" (always the last member, optional) is the base64 Ed25519
 *     signature of the line's bytes as they are without the `,"sig":"..."`
 *     member, i.e. everything up to it followed by '}';
 *   - a line that was cut short by a power cut is never rewritten: the next
 *     append adds '\n' and a record whose "recovered_torn_tail" gives the
 *     length and SHA-256 of the damaged bytes, and chains to the last good
 *     record;
 *   - FILE.head names the last record (seq and SHA-256, signed like a
 *     record), so records cut off the end of FILE show.
 * A merged log (bootfix log merge) holds lines of "kind":"merged", each
 * embedding one original line byte-for-byte in "record" with its "source".
 * A log server's file holds syslog lines whose message is a record, from
 * many sticks: checked record by record (docs/log.md).
 *
 * Two readers: auditlog_read() holds a whole log in memory (the menu's log
 * screen, merge); auditlog_stream_*() reads one line at a time, for logs
 * of any size (the log verbs, reports).  Both check with the same code.
 *
 * The code is auditlog.c (the record) and auditlog_*.c, one part each:
 * auditlog_internal.h lists them.
 */
#ifndef BOOTFIX_AUDITLOG_H
#define BOOTFIX_AUDITLOG_H

#include <stddef.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "engine.h"
#include "err.h"
#include "machine.h"
#include "rules.h"

#define AUDITLOG_SCHEMA 1
#define AUDITLOG_HEAD_SUFFIX ".head"
#define AUDITLOG_MAX (512L * 1024 * 1024)	/* largest log the reader takes */

/* A BitLocker key used to unlock a volume: which one and where it came from, never the key. */
struct audit_key {
	const char *device;	/* "/dev/sda3" */
	const char *key_id;	/* the protector GUID Windows shows as "Key ID" */
	const char *source;	/* "DATA/keys/recovery-keys.csv", "typed by the operator" */
};

/* What a front knows about one finished fix or restore. */
struct audit_info {
	const char *action;		/* "fix" or "restore" */
	const char *mode;		/* the front that asked: "cli", "menu", "auto" */
	const char *operator_name;	/* each of these may be NULL */
	const char *site;
	const char *stick;
	const char *data_dir;		/* to name the manifest copies on the stick */
	const struct ruleset *rules;
	const struct run *run;		/* as engine_run() left it */
	const char *error;		/* engine_run() failed: why (the target was not examined) */
	const struct machine *machine;
	const struct audit_key *keys;
	size_t nkeys;
	char *const *notes;		/* extra notes: DATA/bootfix.conf problems, ... */
	size_t nnotes;
	int begun;			/* the write-ahead record, before the first change:
					   "stage":"begun", outcome "interrupted" until a
					   record with the same "run" follows */
	int alone;			/* when the record is not appended to a log, give it
					   as a line of its own in auditlog_appended.alone
					   (auditlog_write_run(): for the log servers) */
	int no_log;			/* a data folder for keys and settings, but no log
					   in it (no stick: network boot): nothing appended */
};

/*
 * The overall outcome of a run, one of "fixed", "restored", "left",
 * "nothing-to-fix", "refused", "failed" (static), and in *reason one line
 * saying why (caller frees; may be NULL when out of memory).  Failed when
 * the target could not be examined or a volume failed; refused when
 * something faulty was left for a reason the operator can override; fixed
 * when something was quarantined and nothing faulty is left (restored when
 * ai->action is "restore" and something was put back); left when a person
 * chose to leave volumes as they are (OUTCOME_LEFT, their findings not
 * counted as left behind) and nothing else was done, refused or failed;
 * else nothing-to-fix.  The reason joins "DEVICE: reason" of the volumes
 * that decided it, left volumes included.
 */
const char *auditlog_outcome(const struct audit_info *ai, char **reason);

/*
 * The record for one run, without the chain members (seq, prev, sig) that
 * auditlog_append() adds.  In a restore record a volume whose files went
 * back has outcome "restored".  Text that is not valid UTF-8 (a hostile file
 * name, a firmware string) has the bad bytes replaced by U+FFFD.  A new
 * reference the caller owns; never NULL.
 */
struct json_object *auditlog_record(const struct audit_info *ai);

/* What auditlog_append() did; free with auditlog_appended_free(). */
struct auditlog_appended {
	char *line;		/* the line written (no '\n'); when not written, the
				 * record alone, to show the operator; NULL if out of memory */
	long seq;		/* its seq, 0 when not written */
	char sha256[65];	/* SHA-256 of line */
	size_t torn_bytes;	/* a torn tail was found and recorded: its length */
	int is_signed;
	char **warnings;	/* short of failure: "cannot update FILE.head: ...", caller frees */
	size_t nwarnings;
	char why[512];		/* not written: the cause alone, "read-only file system"
				 * (err_msg() says "cannot append to PATH: " and it) */
	char *alone;		/* not appended and audit_info.alone asked: the record in
				 * no chain (no seq, no prev), signed as it would have
				 * been; else NULL */
};

/*
 * Append rec (given members seq, prev, recovered_torn_tail and, with a
 * usable Ed25519 PEM private key at keyfile, sig_key and sig) to the log at
 * path, creating it; then fsync the file and its directory and update
 * path.head.  The directory must exist.  Existing bytes are never changed:
 * a write that fails is cut back to the old length.  keyfile may be NULL or
 * name a missing file (no signature); an unusable key gives an unsigned
 * record with a note and a warning.  Returns 0 when the record is durably
 * in the log, or -1 with err_set() ("cannot append to PATH: CAUSE", CAUSE
 * also in a->why); *a is filled in both cases.
 */
int auditlog_append(const char *path, struct json_object *rec, const char *keyfile,
		    struct auditlog_appended *a);

void auditlog_appended_free(struct auditlog_appended *a);

#define AUDITLOG_DEFAULT "logs/bootfix.jsonl"		/* below the data folder */
#define AUDITLOG_KEY "keys/log-signing.pem"		/* below the data folder */

/*
 * All a front does after a fix or restore (not a dry run), without
 * printing: read the machine (when ai->machine is NULL), build the record
 * and append it to log_path, or when that is NULL to
 * DATA/logs/bootfix.jsonl (DATA = ai->data_dir; logs/ is made if missing),
 * signed with DATA/keys/log-signing.pem when that exists.  *path gets the
 * log's path (caller frees).  Returns 0 when logged, 1 when there is
 * nowhere to log (neither log_path nor a data folder; *path NULL, *a empty),
 * -1 with err_set() when not logged: a->line then holds the record to show,
 * and a->why the cause when the log could not be appended to (else "").
 * With ai->no_log, nothing is appended (returns 1) but the data folder's
 * key still signs a->alone.  When not appended and ai->alone is set,
 * a->alone holds the record as a line of its own (NULL when out of memory).
 */
int auditlog_write_run(struct audit_info *ai, const char *log_path, char **path,
		       struct auditlog_appended *a);

/* ---- reading ---- */

struct auditlog_row;

#define AUDITLOG_LINE_MAX (64L * 1024 * 1024)	/* longest line a stream keeps */

enum auditlog_kind {
	AUDITLOG_JUNK,		/* not a record: torn, damaged, not JSON, too long */
	AUDITLOG_RECORD,	/* a record bootfix wrote (on a stick, or sent to a log server) */
	AUDITLOG_MERGED,	/* a line of a merged log, embedding a record */
	AUDITLOG_OTHER,		/* a log server's line whose message is not a record
				 * (another program's): skipped, counted */
};

/* What a log file is, told by its first line. */
enum auditlog_form {
	AUDITLOG_FORM_JSONL,	/* a stick's log or a merged log: JSON Lines, one chain */
	AUDITLOG_FORM_SYSLOG,	/* a log server's file: syslog lines whose message is a
				 * record, from many sticks, so not one chain */
};

/* How a line's signature checked (auditlog_line.sig). */
#define AUDITLOG_SIG_BAD	-1	/* bad, or not by one of the keys given */
#define AUDITLOG_SIG_NONE	0	/* not signed */
#define AUDITLOG_SIG_GOOD	1	/* good, by one of the keys given */
#define AUDITLOG_SIG_UNCHECKED	2	/* signed; no keys given to check it */

struct auditlog_line {
	size_t off, len;		/* the line's bytes without '\n': in the buffer of a
					 * struct auditlog, in the file for a stream */
	size_t lineno;			/* 1-based */
	const char *text;		/* the line's bytes (len of them), or NULL for a stream's
					 * line too long to keep (over AUDITLOG_LINE_MAX) */
	const char *record;		/* the record's bytes: the line, or a syslog line's
					 * message; NULL for junk and other lines */
	size_t reclen;
	int terminated;			/* a '\n' follows it */
	enum auditlog_kind kind;
	char sha256[65];		/* of the record's bytes (of the line when no record) */
	long seq;			/* records: its seq (0: a log server's record without one) */
	struct json_object *j;		/* the parsed record or merged line, or NULL */
	struct json_object *rec;	/* the machine record: j, or the one a merged line embeds */
	struct json_object *source;	/* merged lines: where the record came from */
	const char *why;		/* junk: why it is not a record (static) */
	int superseded;			/* a "begun" record whose run's final record follows:
					 * verified, but not listed, counted or exported */
	const char *from;		/* the log the record was first written to: a merged
					 * line's source file, else the log's own name */
	/* syslog lines (NULL otherwise): the server's timestamp, host and tag */
	const char *stamp, *host, *tag;
	/* streams only: what checking this line found, as the line was read */
	int sig;			/* AUDITLOG_SIG_*: the record's signature */
	const char *sig_key;		/* its "sig_key" member, or NULL */
	const char *problem;		/* NULL, or why this line makes the log fail
					 * ("line 5: chain broken: ..."); see the stream */
	const struct auditlog_row *row;	/* AUDITLOG_STREAM_ROWS: the record's row, as
					 * auditlog_row() reads it; else NULL */
};

struct auditlog {
	char *name;			/* as given, for messages */
	char *buf;
	size_t len;
	struct auditlog_line *lines;
	size_t n;
	char *head;			/* NAME.head's bytes, or NULL when there is none */
	size_t headlen;
	enum auditlog_form form;
	char (*parts)[3][256];		/* syslog lines' stamp, host and tag */
};

/*
 * Read the log at path and path.head (absent is fine) into memory and
 * split it into lines; up to AUDITLOG_MAX bytes (the tools stream instead:
 * see auditlog_stream_open()).  Returns 0, or -1 with err_set() when path
 * cannot be read; free with auditlog_free() in both cases.
 */
int auditlog_read(struct auditlog *log, const char *path);

/*
 * Split len bytes of a log called name (the bytes are copied; head may be
 * NULL) into lines, parsing each.  Never fails on content: what is not a
 * record is AUDITLOG_JUNK.  Returns 0, or -1 with err_set() when out of memory.
 */
int auditlog_parse(struct auditlog *log, const char *name, const char *buf, size_t len,
		   const char *head, size_t headlen);

void auditlog_free(struct auditlog *log);

/*
 * Check the whole log as auditlog_stream_verdict() does (a chain, or a log
 * server's file record by record: see docs/log.md).  warn (may be NULL) is
 * told each warning: "line 4: torn record ...".  Returns 0 when intact
 * (*nrecords, may be NULL, gets the number of records), or -1 with
 * err_set() naming the first bad line and why: "line 5: ...".
 */
int auditlog_verify(const struct auditlog *log, EVP_PKEY *const *keys, size_t nkeys,
		    err_warn_fn warn, void *ctx, size_t *nrecords);

/* ---- reading a log line by line ---- */

/*
 * A log read one line at a time: memory holds one line (or a few, see
 * below) and the chain's state, never the file, so logs of any size are
 * read in bounded memory.  The lines are checked as they are read, exactly
 * as auditlog_verify() checks them.
 *
 * Contract:
 *   st = auditlog_stream_open(path, 0, keys, nkeys, warn, ctx);
 *   while ((rc = auditlog_stream_next(st, &line)) > 0)
 *           use line (valid until the next call);
 *   if (rc == 0) auditlog_stream_verdict(st, &v);
 *   auditlog_stream_close(st);
 * - Every line of the file is yielded once, in file order, junk and other
 *   programs' lines included (line.kind says which).
 * - line.problem is set on the line where checking found the log bad: the
 *   first bad line of a chain (checking stops there: later lines carry no
 *   problem), or each bad record of a log server's file.  Problems found
 *   only at the end (the head file, a server file's chains) are in the
 *   verdict alone.
 * - A "begun" record is held back until its run's final record is read
 *   (then it is yielded with superseded set) or the end of the file, or
 *   some 1024 lines (up to 1280) or 4 MiB later (then it counts as
 *   interrupted); lines keep their order all the same.
 * - warn (may be NULL) is told warnings (torn records, unchecked
 *   signatures, what of a server file could not be checked) during next()
 *   and verdict(), ctx passed on.
 * - keys (Ed25519 public keys, may be NULL when nkeys is 0) are the
 *   caller's and must live until close.
 */
struct auditlog_stream;

/* What a reader needs of each record (flags of auditlog_stream_open()). */
#define AUDITLOG_STREAM_ROWS	1	/* line.row is the record's row (read without
					 * json-c where it can), line.j and line.rec hold
					 * only the chain's members: list, export, summary,
					 * report */
#define AUDITLOG_STREAM_CHAIN	2	/* line.j and line.rec hold only the chain's members
					 * (seq, prev, sig, ...): verify */

/*
 * Open the log at path for reading line by line, and read path.head now
 * (absent is fine).  flags: 0 (line.rec is the whole record) or one of
 * AUDITLOG_STREAM_*, which read faster (json-c builds only what is
 * needed); the checks and their verdict are the same.  Returns the
 * stream, or NULL with err_set() ("cannot open PATH: no such file or
 * directory").
 */
struct auditlog_stream *auditlog_stream_open(const char *path, unsigned flags,
					     EVP_PKEY *const *keys, size_t nkeys,
					     err_warn_fn warn, void *ctx);

/*
 * The next line into *out (pointers owned by the stream, valid until the
 * next call or close).  Returns 1, 0 at the end of the file, or -1 with
 * err_set() when the file cannot be read on (an I/O error, out of memory):
 * the verdict is then not known.
 */
int auditlog_stream_next(struct auditlog_stream *st, struct auditlog_line *out);

/* The name the stream was opened with (for messages). */
const char *auditlog_stream_name(const struct auditlog_stream *st);

/* What checking a whole log found. */
struct auditlog_verdict {
	int intact;			/* 1: the log verifies */
	enum auditlog_form form;
	char why[1024];			/* not intact: "line 5: ..." (as err_msg()) */
	size_t bad_line;		/* not intact: the first bad line, 0 when the fault is
					 * no one line's (the head file) */
	size_t nbad;			/* bad lines (a chain: 0 or 1; a server file: each) */
	size_t records;			/* records (merged lines: the records they embed) */
	size_t signed_good;		/* records whose signature checked with the keys */
	size_t signed_unchecked;	/* signed records, no keys given */
	size_t unsigned_records;
	char sig_key[65];		/* the key that signed (its "sig_key": SHA-256 of the
					 * public half) the last signed record, or "" */
	int sig_keys;			/* how many different keys signed records */
	/* server files: how the records could be chained */
	size_t chains;			/* sticks (stick name and key) whose chain was checked */
	size_t chained;			/* records in those chains */
	size_t alone;			/* records checked on their own only */
	size_t missing;			/* records absent between those of a chain */
	size_t other;			/* syslog lines that are not records (skipped) */
};

/*
 * After auditlog_stream_next() returned 0: the verdict of the whole log,
 * into *v.  Returns 0 when intact, or -1 with err_set() to v->why.
 */
int auditlog_stream_verdict(struct auditlog_stream *st, struct auditlog_verdict *v);

void auditlog_stream_close(struct auditlog_stream *st);

/*
 * Load an Ed25519 key from a PEM file: a public key, or a private key
 * whose public half is taken.  Returns the key (EVP_PKEY_free() it) or
 * NULL with err_set().
 */
EVP_PKEY *auditlog_load_pubkey(const char *path);

/* ---- what auditors read out of a record ---- */

/*
 * The facts of one record, for list, export, summary and the report; free
 * with auditlog_row_free().
 */
struct auditlog_row {
	const char *time, *action, *mode, *operator_name, *site, *stick, *outcome, *reason;
	const char *sys_vendor, *product_name, *product_serial, *product_uuid;
	char *computer;		/* the Windows computer names, ", "-separated, or NULL */
	char *windows;		/* "Windows 10 Pro 16299 (1709)", ", "-separated, or NULL */
	char *key_ids;		/* BitLocker key IDs used, ", "-separated, or NULL */
	long volumes, findings, faulty, quarantined, duration_ms;
	/* what the report reads too (logreport.c) */
	const char *stage, *run, *sig_key;
	int is_signed;		/* it has a "sig" member (a string) */
	long uptime_s;		/* machine.uptime_s: seconds since boot when written, or -1 */
	long windows_volumes;	/* volumes with Windows */
	long locked;		/* volumes BitLocker locked */
	long stuck_locked;	/* of those, refused or failed */
	long stuck_problem;	/* volumes refused or failed with a problem other than
				 * "none" (hibernated, fast restart) */
	long unknown;		/* findings whose verdict is "unknown" */
	struct auditlog_row_finding {
		const char *rule;	/* NULL when absent or not a string */
		unsigned char faulty, unknown, quarantined;
	} *found;		/* each finding, in order (findings of them), or NULL */
	struct auditlog_row_key {
		const char *key_id, *device, *source;
	} *keys;		/* each "bitlocker" entry, in order (nkeys), or NULL */
	size_t nfound, nkeys;
	char *arena;		/* a row read from a stream: where its strings are */
};

/*
 * Read rec (a machine record) into *row; the const strings point into rec
 * (or are static) and are NULL when absent or not strings.  A restore
 * recorded as "fixed" (logs written before "restored" existed) reads as
 * outcome "restored".  Never fails (out of memory leaves the joined fields
 * NULL).
 */
void auditlog_row(struct json_object *rec, struct auditlog_row *row);

void auditlog_row_free(struct auditlog_row *row);

/* ---- merging ---- */

/*
 * Write a new log at out (O_EXCL: never an existing file) holding every
 * record of logs[0..n) once, as merged lines ordered by time, each with its
 * source (the log it comes from, named by the SHA-256 of that log's first
 * record; the file as given; line; seq; SHA-256) and its original line in
 * "record", chained afresh; then out.head.  Lines of merged logs are taken
 * with their original source, so merges can be merged.  The logs must have
 * verified; two that disagree about one source record are refused.
 * Returns the number of records written, or -1 with err_set().
 */
long auditlog_merge(struct auditlog *const *logs, size_t n, const char *out);

#endif
