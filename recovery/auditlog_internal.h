/*
 * auditlog_internal.h - what the auditlog_*.c files share and nobody else
 * uses: the JSON accessors every part reads records with, and the calls one
 * part makes into another.  The API is auditlog.h.
 *
 *   auditlog.c         the record of one run: outcome, JSON, writing it
 *   auditlog_sign.c    Ed25519 keys, signing a line, checking a signature
 *   auditlog_read.c    reading a log and telling records from junk
 *   auditlog_scan.c    a fast strict scanner: json-c given only the members needed
 *   auditlog_verify.c  checking a whole log: chain, torn tails, head, sources
 *   auditlog_append.c  appending a record, torn tails, the head file
 *   auditlog_row.c     the facts of a record for list, export and summary
 *   auditlog_merge.c   merging logs from many sticks into one
 */
#ifndef BOOTFIX_AUDITLOG_INTERNAL_H
#define BOOTFIX_AUDITLOG_INTERNAL_H

#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "auditlog.h"

/* "prev" of the first record of a log */
#define AUDITLOG_ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

/* ---- JSON accessors: NULL or -1 when the member is absent or of another type ---- */

static inline int is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	return strspn(s, "0123456789abcdef") == 64;
}

static inline const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static inline int get_long(struct json_object *o, const char *key, long *out)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	*out = (long)json_object_get_int64(v);
	return 0;
}

static inline struct json_object *get_obj(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static inline void put_str(struct json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

/* Plain one-line JSON as the log stores it; points into o (valid until o changes). */
static inline const char *to_line(struct json_object *o, size_t *len)
{
	return json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

/* ---- auditlog_sign.c ---- */

/*
 * Load an Ed25519 key from a PEM file: with private, a private key (to
 * sign); else a public key, or a private key whose public half is taken.
 * Returns the key (EVP_PKEY_free() it) or NULL with err_set().
 */
EVP_PKEY *auditlog_sign_load_key(const char *path, int private);

/*
 * o as the one line the log stores (caller frees), with "sig_key" and "sig"
 * (the last member) when k is given; any old sig members are dropped first.
 * NULL when out of memory or signing failed.
 */
char *auditlog_sign_line(struct json_object *o, EVP_PKEY *k);

/*
 * Check the sig of line s[0..len) (parsed as j) against keys[0..n).
 * Returns 1 good, 2 signed but not checked (no keys), 0 not signed, -1 bad
 * with *why (static).
 */
int auditlog_sign_check(const char *s, size_t len, struct json_object *j,
			EVP_PKEY *const *keys, size_t n, const char **why);

/* ---- auditlog_read.c ---- */

/* s[0..len) as strict JSON (all of it), or NULL; a new reference. */
struct json_object *auditlog_read_json(const char *s, size_t len);

/* How auditlog_read_classify() takes a line. */
#define CLASSIFY_EMBEDDED 1	/* the record a merged line holds */
#define CLASSIFY_SERVER 2	/* a log server's message: seq and prev may be absent,
				   merged lines are not taken */
#define CLASSIFY_ROW 4		/* j and rec: only what rows and checks read (SCAN_ROW) */
#define CLASSIFY_CHAIN 8	/* j and rec: only what the checks read (SCAN_CHAIN) */

/*
 * Classify one line; *j gets the parsed line, *source points into it, *rec
 * is *j for a record and a separate object for a merged line (the caller
 * puts *j, and *rec when it differs).  flags: CLASSIFY_*.  For junk, all
 * three are NULL and *why says why (static).
 */
enum auditlog_kind auditlog_read_classify(const char *s, size_t len, int flags,
					  struct json_object **j, struct json_object **rec,
					  struct json_object **source, long *seq,
					  const char **why);

/* The parts of a syslog line, pointing into it. */
struct syslog_parts {
	const char *stamp, *host, *tag;
	size_t stamplen, hostlen, taglen;
	size_t msg;		/* where the message starts (after spaces and a BOM) */
};

/*
 * Is s[0..len) a line a log server wrote: RFC 5424 ("<PRI>1 TIME HOST APP
 * PROCID MSGID SD MSG"), or rsyslog's file formats ("Dec  1 20:37:22 HOST
 * TAG: MSG", the same with an RFC 3339 time)?  Returns 1 and fills *p, or 0.
 */
int auditlog_read_syslog(const char *s, size_t len, struct syslog_parts *p);

/*
 * Classify line l (l->text, l->len, l->lineno, l->terminated set) of a log
 * of the given form: kind, record, sha256, seq, j, rec, source, why, and
 * the syslog parts into the NUL-terminated copies in parts[] (3 buffers of
 * 256 bytes: stamp, host, tag) when it is a syslog line.  flags: 0, or
 * CLASSIFY_ROW or CLASSIFY_CHAIN (j and rec then hold only part of it).
 */
void auditlog_read_line(struct auditlog_line *l, enum auditlog_form form, char parts[3][256],
			int flags);

/* The form of a log whose first line is s[0..len). */
enum auditlog_form auditlog_read_form(const char *s, size_t len);

/* ---- auditlog_scan.c ---- */

/* How much of a record a reader needs (see AUDITLOG_STREAM_*). */
enum scan_mode {
	SCAN_FULL,		/* all of it */
	SCAN_ROW,		/* the chain's members and what auditlog_row() reads */
	SCAN_CHAIN,		/* the chain's members (seq, prev, sig, ...) and the last one */
};

/*
 * s[0..len) as auditlog_read_json() reads it, but holding only the
 * members mode names (when the fast scanner takes the text; else all of
 * it).  A new reference, or NULL when s is not strict JSON.
 */
struct json_object *auditlog_scan_json(const char *s, size_t len, enum scan_mode mode);

/*
 * The row of the record s[0..len) (as auditlog_row() reads it) straight
 * from the scanner, json-c not involved; its strings in row->arena.
 * Returns 0, or -1 when json-c should read it (not taken by the scanner,
 * an escaped member name, a number json-c might read otherwise).
 */
int auditlog_scan_row(const char *s, size_t len, struct auditlog_row *row);

/* ---- auditlog_row.c ---- */

/* Add s to the ", "-separated list *acc, unless it is there already. */
void auditlog_row_join(char **acc, const char *s);

/*
 * The parts of a row both readers (json-c's auditlog_row(), the scanner's
 * auditlog_scan_row()) add the same way: a volume (its outcome, problem,
 * whether BitLocker locked), a finding, a BitLocker key.  The strings are
 * the row's (not copied).  Out of memory leaves the list short.
 */
void auditlog_row_volume(struct auditlog_row *row, const char *outcome, const char *problem,
			 int locked);
void auditlog_row_finding(struct auditlog_row *row, const char *rule, const char *verdict,
			  int quarantined);
void auditlog_row_key(struct auditlog_row *row, const char *key_id, const char *device,
		      const char *source);

/* ---- auditlog_verify.c: checking a log line by line ---- */

struct check_src;
struct check_link;

struct auditlog_check {
	const char *name;
	EVP_PKEY *const *keys;
	size_t nkeys;
	err_warn_fn warn;
	void *ctx;
	enum auditlog_form form;
	/* the first fault: once set, a chain is not checked on */
	int failed;
	char why[1024];
	size_t bad_line, nbad;
	/* a chain */
	char expect[65], genesis[65];
	long seq;
	size_t last;			/* line of the last record, 0 none */
	size_t junk;			/* first line of the junk span being read, 0 none */
	const char *junk_why;
	void *junk_md;			/* EVP_MD_CTX of the junk span's bytes */
	size_t junk_bytes, junk_fed;	/* its length; the last line fed into it */
	size_t nrec, first_signed, unsigned_from, unsigned_to, nsigned;
	int last_signed;
	/* merged lines' sources */
	struct check_src *src;
	size_t nsrc, srcroom;
	struct json_object *names;	/* file names and chain names, kept once */
	/* the head file */
	char *head;
	size_t headlen;
	int has_head;
	char head_line_sha[65];		/* the sha of the record whose seq the head names */
	size_t head_line;
	long head_seq;
	/* a log server's file: records to chain at the end */
	struct check_link *link;
	size_t nlink, linkroom;
	/* a record that a broken chain might follow: line number or 0 */
	size_t (*find)(void *fctx, const char *sha, size_t skip);
	void *fctx;
	/* the verdict's counts */
	size_t records, good, unchecked, nunsigned, alone, other;
	char sig_key[65];
	int sig_keys;
	char sig_keys_seen[4][65];
	char msg[1024];			/* the problem of the line checked last */
	struct auditlog_verdict v;
	int ended;
};

/*
 * Begin checking a log called name; head (may be NULL: no head file) is
 * copied.  0, or -1 with err_set() (out of memory).
 */
int auditlog_check_init(struct auditlog_check *c, const char *name, EVP_PKEY *const *keys,
			size_t nkeys, err_warn_fn warn, void *ctx, const char *head,
			size_t headlen);

/*
 * Feed bytes of junk line lineno that is not kept (too long): the torn
 * tail a later record describes is hashed as it goes by.
 */
void auditlog_check_junk(struct auditlog_check *c, size_t lineno, const char *s, size_t n);

/*
 * Check the next line l (read by auditlog_read_line()): sets l->sig,
 * l->sig_key and l->problem (pointing into c).  The form is taken from
 * line 1.
 */
void auditlog_check_line(struct auditlog_check *c, struct auditlog_line *l);

/* After the last line: the verdict into c->v.  0 intact, or -1 with err_set(). */
int auditlog_check_end(struct auditlog_check *c);

void auditlog_check_free(struct auditlog_check *c);

/* ---- auditlog_append.c ---- */
int auditlog_append_failed(struct auditlog_appended *a, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Write BASE.head in the directory dirfd (via BASE.head.tmp and rename, then
 * fsync): the log genesis (SHA-256 of its first record), its last record's
 * seq and sha, signed with k when given.  0, or -1 with err_set().
 */
int auditlog_append_head(int dirfd, const char *base, const char *genesis, long seq,
			 const char *sha, EVP_PKEY *k);

/*
 * rec as a record of no chain: without seq, prev and a torn tail, signed
 * with the key at keyfile when it exists and can be used (else a note says
 * why, as auditlog_append() does).  Changes rec; returns the line (caller
 * frees) or NULL when out of memory.
 */
char *auditlog_append_alone(struct json_object *rec, const char *keyfile,
			    struct auditlog_appended *a);

#endif
