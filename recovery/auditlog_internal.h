/*
 * auditlog_internal.h - what the auditlog_*.c files share and nobody else
 * uses: the JSON accessors every part reads records with, and the calls one
 * part makes into another.  The API is auditlog.h.
 *
 *   auditlog.c         the record of one run: outcome, JSON, writing it
 *   auditlog_sign.c    Ed25519 keys, signing a line, checking a signature
 *   auditlog_read.c    reading a log and telling records from junk
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

/*
 * Classify one line; *j gets the parsed line, *source points into it, *rec
 * is *j for a record and a separate object for a merged line (the caller
 * puts *j, and *rec when it differs).  embedded: the record a merged line
 * holds.  For junk, all three are NULL and *why says why (static).
 */
enum auditlog_kind auditlog_read_classify(const char *s, size_t len, int embedded,
					  struct json_object **j, struct json_object **rec,
					  struct json_object **source, long *seq,
					  const char **why);

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
