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
	int no_file;			/* no stick (network boot): no log file below
					   data_dir; the record only goes to a->line */
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
 * nowhere to log (neither log_path nor a data folder; *path NULL, *a empty;
 * with ai->no_file and no log_path, a->line holds the record all the same),
 * -1 with err_set() when not logged: a->line then holds the record to show,
 * and a->why the cause when the log could not be appended to (else "").
 */
int auditlog_write_run(struct audit_info *ai, const char *log_path, char **path,
		       struct auditlog_appended *a);

/* ---- reading ---- */

enum auditlog_kind {
	AUDITLOG_JUNK,		/* not a record: torn, damaged, not JSON */
	AUDITLOG_RECORD,	/* a record bootfix wrote on a stick */
	AUDITLOG_MERGED,	/* a line of a merged log, embedding a record */
};

struct auditlog_line {
	size_t off, len;		/* the line's bytes in the buffer, without '\n' */
	int terminated;			/* a '\n' follows it */
	enum auditlog_kind kind;
	char sha256[65];		/* of its bytes */
	long seq;			/* records: its seq */
	struct json_object *j;		/* the parsed line, or NULL (owned by the log) */
	struct json_object *rec;	/* the machine record: j, or the one a merged line embeds */
	struct json_object *source;	/* merged lines: where the record came from */
	const char *why;		/* junk: why it is not a record (static) */
	int superseded;			/* a "begun" record whose run's final record follows:
					 * verified, but not listed, counted or exported */
};

struct auditlog {
	char *name;			/* as given, for messages */
	char *buf;
	size_t len;
	struct auditlog_line *lines;
	size_t n;
	char *head;			/* NAME.head's bytes, or NULL when there is none */
	size_t headlen;
};

/*
 * Read the log at path and path.head (absent is fine) and split it into
 * lines.  Returns 0, or -1 with err_set() when path cannot be read; free
 * with auditlog_free() in both cases.
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
 * Check the whole log: every line a record or an explained torn tail, the
 * chain (seq and prev), the head file, the embedded records and per-source
 * chains of merged lines, and with keys[0..nkeys) (Ed25519 public keys)
 * every signature, which must then be present.  warn (may be NULL) is
 * told each warning of a log that still verifies: "line 4: torn record
 * ...".  Returns 0 when intact
 * (*nrecords, may be NULL, gets the number of records), or -1 with
 * err_set() naming the first bad line and why: "line 5: ...".  warn (may
 * be NULL) is called for each warning of a log that still verifies: "line
 * 4: torn record ...".
 */
int auditlog_verify(const struct auditlog *log, EVP_PKEY *const *keys, size_t nkeys,
		    err_warn_fn warn, void *ctx, size_t *nrecords);

/*
 * Load an Ed25519 key from a PEM file: a public key, or a private key
 * whose public half is taken.  Returns the key (EVP_PKEY_free() it) or
 * NULL with err_set().
 */
EVP_PKEY *auditlog_load_pubkey(const char *path);

/* ---- what auditors read out of a record ---- */

/* The facts of one record, for list, export, summary; free with auditlog_row_free(). */
struct auditlog_row {
	const char *time, *action, *mode, *operator_name, *site, *stick, *outcome, *reason;
	const char *sys_vendor, *product_name, *product_serial, *product_uuid;
	char *computer;		/* the Windows computer names, ", "-separated, or NULL */
	char *windows;		/* "Windows 10 Pro 16299 (1709)", ", "-separated, or NULL */
	char *key_ids;		/* BitLocker key IDs used, ", "-separated, or NULL */
	long volumes, findings, faulty, quarantined, duration_ms;
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
