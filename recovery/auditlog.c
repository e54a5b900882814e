/*
 * auditlog.c - audit records: building, appending with a hash chain and
 * signatures, reading, verifying and merging (see auditlog.h and
 * docs/log.md for the format).
 *
 * The log lives on a stick that may be pulled or fill up at any moment,
 * and it is evidence: bytes once written are never rewritten.  A damaged
 * tail is left as it is and explained by the next record; a failed write is
 * cut back to where it started.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "auditlog.h"
#include "err.h"
#include "file.h"
#include "identity.h"
#include "quarantine.h"
#include "report.h"
#include "utc.h"
#include "version.h"

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"
#define SIG_MEMBER ",\"sig\":\""
#define TAIL_MAX (64L * 1024 * 1024)	/* how far back an append looks for the last record */
#define KEY_MAX (64 * 1024)

/* strerror() as a message cause: "read-only file system" (messages are lowercase). */
static const char *cause(int e)
{
	static char buf[2][128];
	static int k;
	char *b = buf[k++ & 1];

	snprintf(b, sizeof(buf[0]), "%s", strerror(e));
	if (b[0] >= 'A' && b[0] <= 'Z' && b[1] >= 'a' && b[1] <= 'z')
		b[0] = (char)(b[0] - 'A' + 'a');
	return b;
}

static void sha256_hex(const void *buf, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) || n != 32) {
		memset(out, '?', 64);
	} else {
		for (unsigned int i = 0; i < 32; i++) {
			out[2 * i] = hex[md[i] >> 4];
			out[2 * i + 1] = hex[md[i] & 15];
		}
	}
	out[64] = '\0';
}

static int is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	return strspn(s, "0123456789abcdef") == 64;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int get_long(struct json_object *o, const char *key, long *out)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	*out = (long)json_object_get_int64(v);
	return 0;
}

static struct json_object *get_obj(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static void put_str(struct json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

/* Plain one-line JSON as the log stores it; points into o (valid until o changes). */
static const char *to_line(struct json_object *o, size_t *len)
{
	return json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

/* ---- UTF-8 ---- */

/* Length of the well-formed UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t k;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 1, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 2, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 3, cp = s[0] & 0x07;
	else
		return 0;
	if (k >= n)
		return 0;
	for (size_t i = 1; i <= k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k + 1;
}

/* Replace every ill-formed byte of string o by U+FFFD. */
static void utf8_fix(struct json_object *o)
{
	const unsigned char *s = (const unsigned char *)json_object_get_string(o);
	size_t n = (size_t)json_object_get_string_len(o), i, k = 0;
	char *out;

	for (i = 0; i < n; i += utf8_seq(s + i, n - i))
		if (!utf8_seq(s + i, n - i))
			break;
	if (i >= n)
		return;
	out = malloc(3 * n + 1);
	if (!out)
		return;
	for (i = 0; i < n;) {
		size_t len = utf8_seq(s + i, n - i);

		if (len) {
			memcpy(out + k, s + i, len);
			k += len;
			i += len;
		} else {
			memcpy(out + k, "\xef\xbf\xbd", 3);
			k += 3;
			i++;
		}
	}
	json_object_set_string_len(o, out, (int)k);
	free(out);
}

static void sanitize(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		utf8_fix(o);
		break;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			sanitize(json_object_array_get_idx(o, i));
		break;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			sanitize(v);
		}
		break;
	}
	default:
		break;
	}
}

/* ---- the record ---- */

/* Append "DEVICE: text" of every volume whose outcome is in mask to *acc. */
static void join_reasons(const struct run *r, unsigned mask, char **acc)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct volume *v = &r->v[i];
		char *s;

		if (!(mask & (1u << v->outcome)) || !v->reason)
			continue;
		if (asprintf(&s, "%s%s%s: %s", *acc ? *acc : "", *acc ? "; " : "",
			     v->device ? v->device : "?", v->reason) < 0)
			return;
		free(*acc);
		*acc = s;
	}
}

#define WHY(o) (1u << (o))

const char *auditlog_outcome(const struct audit_info *ai, char **reason)
{
	const struct run *r = ai->run;
	size_t faulty = 0, left = 0, acted = 0, undone = 0, unknown = 0;
	int failed = 0, refused = 0, kept = 0, windows = 0;
	int restore = ai->action && !strcmp(ai->action, "restore");
	const struct finding *unknown_at = NULL;
	const char *unknown_dev = NULL;
	const char *out;

	*reason = NULL;
	if (ai->error) {
		*reason = strdup(ai->error);
		return "failed";
	}
	if (!r || r->n == 0) {
		if (asprintf(reason, "no NTFS or BitLocker volume found on %s",
			     r && r->target ? r->target : "the target") < 0)
			*reason = NULL;
		return "nothing-to-fix";
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct volume *v = &r->v[i];

		failed += v->outcome == OUTCOME_FAILED;
		refused += v->outcome == OUTCOME_REFUSED;
		windows += v->windows;
		/* a person chose to leave this volume as it is: what is on it was
		   decided, not left behind, and says nothing about the others */
		if (v->outcome == OUTCOME_LEFT) {
			kept++;
			continue;
		}
		for (size_t k = 0; k < v->nfindings; k++) {
			const struct finding *f = &v->findings[k];
			int acts = f->action && strcmp(f->action, "none");

			if (f->verdict == VERDICT_UNKNOWN && !unknown++) {
				unknown_at = f;
				unknown_dev = v->device ? v->device : "?";
			}
			if (!restore && f->verdict == VERDICT_FAULTY) {
				faulty++;
				left += !f->done;
			}
			if (acts && f->done)
				acted++;
			if (restore && acts && !f->done)
				undone++;
		}
	}
	if (left || undone) {
		out = failed ? "failed" : "refused";
		join_reasons(r, WHY(OUTCOME_FAILED) | WHY(OUTCOME_REFUSED) | WHY(OUTCOME_LEFT),
			     reason);
		if (!*reason && asprintf(reason, "%zu of %zu %s left in place", left + undone,
					 restore ? acted + undone : faulty,
					 restore ? "files" : "faulty files") < 0)
			*reason = NULL;
	} else if (failed) {
		out = "failed";
		join_reasons(r, WHY(OUTCOME_FAILED) | WHY(OUTCOME_LEFT), reason);
	} else if (acted) {
		/* a restore puts back what a fix took away: never called fixed */
		out = restore ? "restored" : "fixed";
		join_reasons(r, WHY(OUTCOME_FIXED) | WHY(OUTCOME_REFUSED) | WHY(OUTCOME_LEFT),
			     reason);
	} else if (refused) {
		out = "refused";
		join_reasons(r, WHY(OUTCOME_REFUSED) | WHY(OUTCOME_LEFT), reason);
	} else if (kept) {
		out = "left";
		join_reasons(r, WHY(OUTCOME_LEFT), reason);
		if (!*reason)
			*reason = strdup("left as it is");
	} else {
		out = "nothing-to-fix";
		*reason = strdup(restore ? "nothing in quarantine" :
				 windows ? "no faulty files" : "no Windows found");
		if (!restore && unknown && *reason) {
			/* the record must not call clean what waits for a person */
			char *s;

			if (asprintf(&s, "%s; %zu file%s to check%s: %s: %s%s%s", *reason, unknown,
				     unknown == 1 ? "" : "s", unknown == 1 ? "" : ", the first",
				     unknown_dev, unknown_at->path, unknown_at->why ? ": " : "",
				     unknown_at->why ? unknown_at->why : "") >= 0) {
				free(*reason);
				*reason = s;
			}
		}
	}
	return out;
}

/* Where the manifest of each quarantine folder made by this run is. */
static struct json_object *manifests(const struct audit_info *ai)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; ai->run && i < ai->run->n; i++) {
		const struct volume *v = &ai->run->v[i];
		struct json_object *m;
		const char *ts;
		char *s, *machine;

		if (!v->quarantine)
			continue;
		m = json_object_new_object();
		put_str(m, "device", v->device);
		if (asprintf(&s, "%s\\%s", v->quarantine, QUARANTINE_MANIFEST) >= 0) {
			put_str(m, "volume", s);
			free(s);
		}
		ts = strrchr(v->quarantine, '\\');
		ts = ts ? ts + 1 : v->quarantine;
		machine = identity_folder_name(v->computer_name);
		if (ai->data_dir && v->stick_manifest)
			s = strdup(v->stick_manifest);
		else if (!ai->data_dir || !machine ||
			 asprintf(&s, "quarantine/%s/%s/%s", machine, ts, QUARANTINE_MANIFEST) < 0)
			s = NULL;
		if (s) {
			int dfd = file_open(AT_FDCWD, ai->data_dir, O_RDONLY | O_DIRECTORY, 0);

			if (dfd >= 0 && faccessat(dfd, s, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				put_str(m, "stick", s);
			if (dfd >= 0)
				close(dfd);
			free(s);
		}
		free(machine);
		json_object_array_add(a, m);
	}
	return a;
}

struct json_object *auditlog_record(const struct audit_info *ai)
{
	struct json_object *o = json_object_new_object(), *a, *notes = json_object_new_array();
	const struct run *r = ai->run;
	char when[UTC_LEN], *reason = NULL;
	const char *outcome;
	int restore = ai->action && !strcmp(ai->action, "restore");

	json_object_object_add(o, "schema", json_object_new_int(AUDITLOG_SCHEMA));
	put_str(o, "time", utc_format(r && r->started ? r->started : time(NULL), when));
	put_str(o, "tool", "bootfix");
	put_str(o, "version", BOOTFIX_VERSION);
	put_str(o, "action", ai->action);
	put_str(o, "mode", ai->mode);
	put_str(o, "operator", ai->operator_name);
	put_str(o, "site", ai->site);
	put_str(o, "stick", ai->stick);
	put_str(o, "target", r ? r->target : NULL);
	/* write-ahead: "begun" before the first change, the final record after,
	   both with the run's id; a begun record alone means interrupted */
	put_str(o, "run", r && r->id[0] ? r->id : NULL);
	if (ai->begun)
		put_str(o, "stage", "begun");
	a = json_object_new_array();
	for (size_t i = 0; ai->rules && i < ai->rules->nfiles; i++) {
		struct json_object *f = json_object_new_object();

		put_str(f, "id", ai->rules->files[i].id);
		put_str(f, "sha256", ai->rules->files[i].sha256);
		json_object_array_add(a, f);
	}
	json_object_object_add(o, "rules", a);
	if (ai->machine) {
		json_object_object_add(o, "machine", machine_json(ai->machine));
		if (machine_no_dmi(ai->machine))
			json_object_array_add(notes, json_object_new_string(
				"no DMI data on this machine (/sys/class/dmi/id)"));
	}
	a = json_object_new_array();
	for (size_t i = 0; r && i < r->n; i++) {
		struct json_object *v = report_volume(&r->v[i]);

		/* the engine calls a volume whose files went back "fixed" */
		if (restore && r->v[i].outcome == OUTCOME_FIXED)
			put_str(v, "outcome", "restored");
		json_object_array_add(a, v);
		if (r->v[i].identity_note) {
			char *s;

			if (asprintf(&s, "%s: %s", r->v[i].device, r->v[i].identity_note) >= 0) {
				json_object_array_add(notes, json_object_new_string(s));
				free(s);
			}
		}
	}
	json_object_object_add(o, "volumes", a);
	a = json_object_new_array();
	for (size_t i = 0; i < ai->nkeys; i++) {
		struct json_object *k = json_object_new_object();

		put_str(k, "device", ai->keys[i].device);
		put_str(k, "key_id", ai->keys[i].key_id);
		put_str(k, "source", ai->keys[i].source);
		json_object_array_add(a, k);
	}
	/* the keys the engine used on this run's volumes: key ID and source, never a key */
	for (size_t i = 0; !ai->nkeys && r && i < r->n; i++) {
		struct json_object *k;

		if (!r->v[i].unlocked_by)
			continue;
		k = json_object_new_object();
		put_str(k, "device", r->v[i].device);
		put_str(k, "key_id", r->v[i].unlocked_by);
		put_str(k, "source", r->v[i].key_source);
		put_str(k, "kind", r->v[i].key_kind);
		put_str(k, "computer_name", r->v[i].computer_name);
		json_object_array_add(a, k);
	}
	json_object_object_add(o, "bitlocker", a);
	json_object_object_add(o, "manifests", manifests(ai));
	if (ai->begun) {
		/* what the record says if nothing follows it */
		outcome = "interrupted";
		if (asprintf(&reason, "the %s began and no final record followed (power cut, "
			     "pulled stick, or bootfix killed): check the volume with bootfix "
			     "scan", ai->action ? ai->action : "fix") < 0)
			reason = NULL;
	} else {
		outcome = auditlog_outcome(ai, &reason);
	}
	put_str(o, "outcome", outcome);
	put_str(o, "reason", reason);
	free(reason);
	json_object_object_add(o, "duration_ms", json_object_new_int64(r ? r->duration_ms : 0));
	for (size_t i = 0; i < ai->nnotes; i++)
		json_object_array_add(notes, json_object_new_string(ai->notes[i]));
	json_object_object_add(o, "notes", notes);
	sanitize(o);
	return o;
}

/* ---- keys and signatures ---- */

static EVP_PKEY *read_pem(const char *path, int private)
{
	size_t len;
	char *pem = file_slurp(AT_FDCWD, path, KEY_MAX, &len);
	EVP_PKEY *k = NULL;
	BIO *b;

	if (!pem)
		return NULL;
	b = BIO_new_mem_buf(pem, (int)len);
	if (b && !private)
		k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	if (b && !k) {
		BIO_free(b);
		b = BIO_new_mem_buf(pem, (int)len);
		k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	}
	BIO_free(b);
	OPENSSL_cleanse(pem, len);
	free(pem);
	if (!k) {
		err_set("cannot read key %s: not a PEM %s key", path, private ? "private" : "public");
		return NULL;
	}
	if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		err_set("cannot use key %s: not an Ed25519 key", path);
		return NULL;
	}
	return k;
}

EVP_PKEY *auditlog_load_pubkey(const char *path)
{
	return read_pem(path, 0);
}

/* hex SHA-256 of the raw 32-byte public key: names the key in "sig_key". */
static int key_id(EVP_PKEY *k, char out[65])
{
	unsigned char raw[64];
	size_t n = sizeof(raw);

	if (EVP_PKEY_get_raw_public_key(k, raw, &n) != 1)
		return -1;
	sha256_hex(raw, n, out);
	return 0;
}

/* Sign s[0..len) (a JSON object) and return it with the sig member added, or NULL. */
static char *sign_line(EVP_PKEY *k, const char *s, size_t len)
{
	unsigned char sig[64];
	char b64[128], *out = NULL;
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx && len >= 2 && s[len - 1] == '}' &&
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)s, len) == 1 && siglen == 64) {
		EVP_EncodeBlock((unsigned char *)b64, sig, 64);
		if (asprintf(&out, "%.*s" SIG_MEMBER "%s\"}", (int)(len - 1), s, b64) < 0)
			out = NULL;
	}
	EVP_MD_CTX_free(ctx);
	return out;
}

/*
 * Check the sig of line s (parsed as j) against keys[0..n).  Returns 1 good,
 * 2 signed but not checked (no keys), 0 not signed, -1 bad with *why.
 */
static int check_sig(const char *s, size_t len, struct json_object *j, EVP_PKEY *const *keys,
		     size_t n, const char **why)
{
	const char *last = NULL, *b64, *named = get_str(j, "sig_key"), *p = NULL;
	unsigned char sig[72];
	char *msg;
	size_t blen, mlen;
	int ok = 0, named_found = 0;

	json_object_object_foreach(j, k, v) {
		(void)v;
		last = k;
	}
	b64 = get_str(j, "sig");
	if (!b64) {
		if (json_object_object_get_ex(j, "sig", NULL)) {
			*why = "sig is not a string";
			return -1;
		}
		return 0;
	}
	if (!last || strcmp(last, "sig")) {
		*why = "sig is not the last member";
		return -1;
	}
	for (const char *q = s; (q = memmem(q, len - (size_t)(q - s), SIG_MEMBER,
					  sizeof(SIG_MEMBER) - 1)); q++)
		p = q;
	blen = strlen(b64);
	if (!p || blen != 88 || strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789+/=") != blen ||
	    (size_t)(p - s) + sizeof(SIG_MEMBER) - 1 + blen + 2 != len ||
	    memcmp(p + sizeof(SIG_MEMBER) - 1, b64, blen) ||
	    EVP_DecodeBlock(sig, (const unsigned char *)b64, (int)blen) != 66) {
		*why = "sig is not a base64 Ed25519 signature at the end of the line";
		return -1;
	}
	if (n == 0)
		return 2;
	mlen = (size_t)(p - s) + 1;
	msg = malloc(mlen);
	if (!msg) {
		*why = "out of memory";
		return -1;
	}
	memcpy(msg, s, mlen - 1);
	msg[mlen - 1] = '}';
	for (size_t i = 0; i < n && !ok; i++) {
		char id[65];
		EVP_MD_CTX *ctx;

		if (named && key_id(keys[i], id) == 0 && strcmp(id, named))
			continue;
		named_found = 1;
		ctx = EVP_MD_CTX_new();
		ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, keys[i]) == 1 &&
		     EVP_DigestVerify(ctx, sig, 64, (unsigned char *)msg, mlen) == 1;
		EVP_MD_CTX_free(ctx);
	}
	free(msg);
	if (!ok)
		*why = named_found ? "bad signature (the record was changed after signing)" :
			"signed with a key that is not one of the --pubkey keys (sig_key differs)";
	return ok ? 1 : -1;
}

/* ---- lines ---- */

static struct json_object *parse_json(const char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *j;

	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	j = json_tokener_parse_ex(tok, s, (int)len);
	if (j && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) != len)) {
		json_object_put(j);
		j = NULL;
	}
	json_tokener_free(tok);
	return j;
}

/*
 * Classify one line; *j gets the parsed line, *source points into it, *rec
 * is *j for a record and a separate object for a merged line (the caller
 * puts *j, and *rec when it differs).  embedded: the record a merged line holds.
 */
static enum auditlog_kind classify(const char *s, size_t len, int embedded,
				   struct json_object **j, struct json_object **rec,
				   struct json_object **source, long *seq, const char **why)
{
	const char *kind, *prev;
	long schema;

	*j = *rec = *source = NULL;
	if (len == 0) {
		*why = "empty line";
		return AUDITLOG_JUNK;
	}
	if (len > (size_t)AUDITLOG_MAX) {
		*why = "too long";
		return AUDITLOG_JUNK;
	}
	if (memchr(s, '\0', len)) {
		*why = "holds a NUL byte";
		return AUDITLOG_JUNK;
	}
	if (s[0] != '{' || !(*j = parse_json(s, len)) || !json_object_is_type(*j, json_type_object)) {
		*why = "not a JSON object (damaged or cut short)";
		goto junk;
	}
	if (get_long(*j, "schema", &schema) < 0) {
		*why = "no schema member";
		goto junk;
	}
	if (schema != AUDITLOG_SCHEMA) {
		*why = "a schema this bootfix does not read";
		goto junk;
	}
	prev = get_str(*j, "prev");
	if (get_long(*j, "seq", seq) < 0 || *seq < 1 || !is_hex64(prev)) {
		*why = "no seq or prev member";
		goto junk;
	}
	kind = get_str(*j, "kind");
	if (!kind && !json_object_object_get_ex(*j, "kind", NULL)) {
		*rec = *j;
		return AUDITLOG_RECORD;
	}
	if (embedded || !kind || strcmp(kind, "merged")) {
		*why = "an unknown kind of line";
		goto junk;
	}
	{
		struct json_object *raw = get_obj(*j, "record", json_type_string), *ej, *er, *es;
		long eseq;
		const char *ewhy;

		*source = get_obj(*j, "source", json_type_object);
		if (!raw || !*source) {
			*why = "a merged line without record or source";
			goto junk;
		}
		if (classify(json_object_get_string(raw), (size_t)json_object_get_string_len(raw), 1,
			     &ej, &er, &es, &eseq, &ewhy) != AUDITLOG_RECORD) {
			json_object_put(ej);
			*why = "a merged line whose record is damaged";
			goto junk;
		}
		*rec = er;	/* == ej: owned by the caller along with *j */
	}
	return AUDITLOG_MERGED;
junk:
	json_object_put(*j);
	*j = *rec = *source = NULL;
	return AUDITLOG_JUNK;
}

/* A begun record whose run has a final record in the same log is superseded. */
static void mark_superseded(struct auditlog *log)
{
	struct json_object *finals = json_object_new_object();

	for (size_t i = 0; finals && i < log->n; i++) {
		const char *run = log->lines[i].rec ? get_str(log->lines[i].rec, "run") : NULL;
		const char *stage = log->lines[i].rec ? get_str(log->lines[i].rec, "stage") : NULL;

		if (run && !stage)
			json_object_object_add(finals, run, NULL);
	}
	for (size_t i = 0; finals && i < log->n; i++) {
		const char *run = log->lines[i].rec ? get_str(log->lines[i].rec, "run") : NULL;
		const char *stage = log->lines[i].rec ? get_str(log->lines[i].rec, "stage") : NULL;

		if (run && stage && !strcmp(stage, "begun") &&
		    json_object_object_get_ex(finals, run, NULL))
			log->lines[i].superseded = 1;
	}
	json_object_put(finals);
}

int auditlog_parse(struct auditlog *log, const char *name, const char *buf, size_t len,
		   const char *head, size_t headlen)
{
	size_t pos = 0, room = 0;

	memset(log, 0, sizeof(*log));
	log->name = strdup(name);
	log->buf = malloc(len + 1);
	if (!log->name || !log->buf)
		return err_set("cannot read %s: %s", name, cause(ENOMEM));
	memcpy(log->buf, buf, len);
	log->buf[len] = '\0';
	log->len = len;
	if (head) {
		log->head = malloc(headlen + 1);
		if (!log->head)
			return err_set("cannot read %s: %s", name, cause(ENOMEM));
		memcpy(log->head, head, headlen);
		log->head[headlen] = '\0';
		log->headlen = headlen;
	}
	while (pos < len) {
		const char *s = log->buf + pos, *nl = memchr(s, '\n', len - pos);
		struct auditlog_line *l;

		if (log->n == room) {
			struct auditlog_line *grown;

			room = room ? 2 * room : 64;
			grown = realloc(log->lines, room * sizeof(*grown));
			if (!grown)
				return err_set("cannot read %s: %s", name, cause(ENOMEM));
			log->lines = grown;
		}
		l = &log->lines[log->n++];
		memset(l, 0, sizeof(*l));
		l->off = pos;
		l->len = nl ? (size_t)(nl - s) : len - pos;
		l->terminated = nl != NULL;
		sha256_hex(s, l->len, l->sha256);
		l->kind = classify(s, l->len, 0, &l->j, &l->rec, &l->source, &l->seq, &l->why);
		pos += l->len + 1;
	}
	mark_superseded(log);
	return 0;
}

int auditlog_read(struct auditlog *log, const char *path)
{
	size_t len, hlen = 0;
	char *buf, *head, *hpath;
	int rc;

	memset(log, 0, sizeof(*log));
	buf = file_slurp(AT_FDCWD, path, (size_t)AUDITLOG_MAX, &len);
	if (!buf) {
		/* "cannot open FILE: No such file or directory": the cause from
		   strerror() is said in lowercase like every other message */
		char msg[1024], *c;

		snprintf(msg, sizeof(msg), "%s", err_msg());
		c = strstr(msg, path);
		c = c ? c + strlen(path) : NULL;
		if (c && c[0] == ':' && c[1] == ' ' && c[2] >= 'A' && c[2] <= 'Z' &&
		    c[3] >= 'a' && c[3] <= 'z')
			c[2] = (char)(c[2] - 'A' + 'a');
		return err_set("%s", msg);
	}
	if (asprintf(&hpath, "%s" AUDITLOG_HEAD_SUFFIX, path) < 0) {
		free(buf);
		return err_set("cannot read %s: %s", path, cause(ENOMEM));
	}
	head = file_slurp(AT_FDCWD, hpath, 4096, &hlen);
	if (!head) {
		/* absent is allowed (a warning); present but unreadable is damaged */
		int fd = file_open(AT_FDCWD, hpath, O_RDONLY | O_NONBLOCK, 0);

		if (fd >= 0 || errno != ENOENT)
			head = strdup("");
		if (fd >= 0)
			close(fd);
	}
	free(hpath);
	rc = auditlog_parse(log, path, buf, len, head, hlen);
	free(head);
	free(buf);
	return rc;
}

void auditlog_free(struct auditlog *log)
{
	for (size_t i = 0; i < log->n; i++) {
		if (log->lines[i].rec != log->lines[i].j)
			json_object_put(log->lines[i].rec);
		json_object_put(log->lines[i].j);
	}
	free(log->lines);
	free(log->buf);
	free(log->head);
	free(log->name);
	memset(log, 0, sizeof(*log));
}

/* ---- verifying ---- */

struct srcent {
	const char *log, *file, *prev, *sha;
	long seq, sline;
	size_t line;			/* 1-based line of the merged file */
	int sig;			/* the record is signed (and checked, with keys) */
};

static int by_source(const void *a, const void *b)
{
	const struct srcent *x = a, *y = b;
	int c = strcmp(x->log, y->log);

	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Each source log's records, as a merged file holds them, must chain like
 * the original; with keys, signed from some record on, as auditlog_verify().
 */
static int check_sources(struct srcent *e, size_t n, int keys)
{
	size_t signed_at = 0;

	qsort(e, n, sizeof(*e), by_source);
	for (size_t i = 0; i < n; i++) {
		int first = i == 0 || strcmp(e[i].log, e[i - 1].log);

		if (keys && first)
			signed_at = 0;
		if (keys && e[i].sig == 1 && !signed_at)
			signed_at = i + 1;
		if (keys && e[i].sig != 1 && signed_at)
			return err_set("line %zu: the record from %s line %ld is not signed, but an "
				       "earlier one of its log is", e[i].line, e[i].file, e[i].sline);
		if (keys && !signed_at && (i + 1 == n || strcmp(e[i].log, e[i + 1].log)))
			return err_set("line %zu: no record of log %.12s (%s) is signed", e[i].line,
				       e[i].log, e[i].file);
		if (first) {
			if (e[i].seq != 1)
				return err_set("line %zu: records 1 to %ld of log %.12s (%s) are missing",
					       e[i].line, e[i].seq - 1, e[i].log, e[i].file);
			if (strcmp(e[i].prev, ZEROS) || strcmp(e[i].sha, e[i].log))
				return err_set("line %zu: the first record of log %.12s (%s line %ld) "
					       "is not the one that names the log", e[i].line,
					       e[i].log, e[i].file, e[i].sline);
			continue;
		}
		if (e[i].seq == e[i - 1].seq)
			return err_set("line %zu: record %ld of log %.12s appears twice (lines %zu "
				       "and %zu)", e[i].line, e[i].seq, e[i].log, e[i - 1].line,
				       e[i].line);
		if (e[i].seq != e[i - 1].seq + 1)
			return err_set("line %zu: records %ld to %ld of log %.12s (%s) are missing",
				       e[i].line, e[i - 1].seq + 1, e[i].seq - 1, e[i].log, e[i].file);
		if (strcmp(e[i].prev, e[i - 1].sha))
			return err_set("line %zu: record %ld of log %.12s (%s line %ld) does not "
				       "follow record %ld (line %zu) in its own chain", e[i].line,
				       e[i].seq, e[i].log, e[i].file, e[i].sline, e[i - 1].seq,
				       e[i - 1].line);
	}
	return 0;
}

static int check_merged(const struct auditlog *log, size_t i, EVP_PKEY *const *keys,
			size_t nkeys, struct srcent *e)
{
	const struct auditlog_line *l = &log->lines[i];
	struct json_object *raw = get_obj(l->j, "record", json_type_string);
	const char *why, *s = json_object_get_string(raw);
	size_t len = (size_t)json_object_get_string_len(raw);
	char sha[65];
	long eseq = 0;

	e->log = get_str(l->source, "log");
	e->file = get_str(l->source, "file");
	e->sha = get_str(l->source, "sha256");
	e->prev = get_str(l->rec, "prev");
	e->line = i + 1;
	if (!is_hex64(e->log) || !e->file || !is_hex64(e->sha) ||
	    get_long(l->source, "line", &e->sline) < 0 || get_long(l->source, "seq", &e->seq) < 0)
		return err_set("line %zu: merged line with an incomplete source", i + 1);
	sha256_hex(s, len, sha);
	if (strcmp(sha, e->sha))
		return err_set("line %zu: the record from %s line %ld was changed (its sha256 is "
			       "not the one its source names)", i + 1, e->file, e->sline);
	if (get_long(l->rec, "seq", &eseq) < 0 || eseq != e->seq)
		return err_set("line %zu: the record from %s line %ld is not record %ld of its log",
			       i + 1, e->file, e->sline, e->seq);
	e->sig = check_sig(s, len, l->rec, keys, nkeys, &why);
	if (e->sig < 0)
		return err_set("line %zu: the record from %s line %ld: %s", i + 1, e->file,
			       e->sline, why);
	return 0;
}

/* Does the span of junk lines [from, to] match what line rec recorded as torn? */
static int torn_matches(const struct auditlog *log, size_t from, size_t to, struct json_object *t)
{
	size_t off = log->lines[from].off, end = log->lines[to].off + log->lines[to].len;
	const char *want = get_str(t, "sha256");
	char sha[65];
	long bytes;

	if (get_long(t, "bytes", &bytes) < 0 || bytes < 0 || (size_t)bytes != end - off || !want)
		return 0;
	sha256_hex(log->buf + off, end - off, sha);
	return !strcmp(sha, want);
}

static void warnf(err_warn_fn warn, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void warnf(err_warn_fn warn, void *ctx, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn(ctx, msg);
}

/* Why line i's prev does not match: say what an auditor should look for. */
static int chain_broken(const struct auditlog *log, size_t i, long seq, long want_seq,
			size_t last)
{
	const char *prev = get_str(log->lines[i].j, "prev");

	for (size_t k = 0; k < log->n; k++)
		if (k != last && log->lines[k].kind != AUDITLOG_JUNK &&
		    !strcmp(prev, log->lines[k].sha256))
			return err_set("line %zu: records out of order: it follows line %zu, not %s",
				       i + 1, k + 1, last == (size_t)-1 ? "the start of the file" :
				       "the line before it");
	if (seq > want_seq && last == (size_t)-1)
		return err_set("line %zu: the log starts at record %ld: %ld record%s deleted before "
			       "it", i + 1, seq, seq - want_seq, seq - want_seq == 1 ? "" : "s");
	if (seq > want_seq)
		return err_set("line %zu: record %ld follows record %ld: %ld record%s deleted before "
			       "it", i + 1, seq, want_seq - 1, seq - want_seq,
			       seq - want_seq == 1 ? "" : "s");
	if (last == (size_t)-1)
		return err_set("line %zu: the first record's prev is not 64 zeros (records "
			       "deleted at the start)", i + 1);
	return err_set("line %zu: chain broken: prev is not the sha256 of line %zu (line %zu "
		       "was changed)", i + 1, last + 1, last + 1);
}

/* The head file: the last record it names must be there, unchanged. */
static int check_head(const struct auditlog *log, EVP_PKEY *const *keys, size_t nkeys,
		      long last_seq, const char *genesis, int last_signed,
		      err_warn_fn warn, void *ctx)
{
	struct json_object *h;
	const char *hlog, *hsha, *why;
	long hseq;
	size_t len = log->headlen;
	int sig;

	if (!log->head) {
		warnf(warn, ctx, "no %s" AUDITLOG_HEAD_SUFFIX ": records cut off the end would not "
		      "show", log->name);
		return 0;
	}
	while (len && (log->head[len - 1] == '\n' || log->head[len - 1] == '\r'))
		len--;
	h = parse_json(log->head, len);
	hlog = get_str(h, "log");
	hsha = get_str(h, "sha256");
	if (!h || !json_object_is_type(h, json_type_object) || get_long(h, "seq", &hseq) < 0 ||
	    !is_hex64(hlog) || !is_hex64(hsha)) {
		json_object_put(h);
		return err_set("%s" AUDITLOG_HEAD_SUFFIX ": damaged", log->name);
	}
	sig = check_sig(log->head, len, h, keys, nkeys, &why);
	if (sig < 0 || (nkeys && sig == 0 && last_signed)) {
		json_object_put(h);
		return err_set("%s" AUDITLOG_HEAD_SUFFIX ": %s", log->name,
			       sig < 0 ? why : "not signed, but the records are");
	}
	if (hseq > last_seq) {
		json_object_put(h);
		return err_set("the file ends at record %ld but %s" AUDITLOG_HEAD_SUFFIX " names "
			       "record %ld: records were cut off the end", last_seq, log->name, hseq);
	}
	if (hseq >= 1 && strcmp(hlog, genesis)) {
		json_object_put(h);
		return err_set("%s" AUDITLOG_HEAD_SUFFIX " belongs to another log", log->name);
	}
	for (size_t i = 0; i < log->n; i++)
		if (log->lines[i].kind != AUDITLOG_JUNK && log->lines[i].seq == hseq &&
		    strcmp(log->lines[i].sha256, hsha)) {
			json_object_put(h);
			return err_set("line %zu: record %ld is not the one %s" AUDITLOG_HEAD_SUFFIX
				       " names (it was changed)", i + 1, hseq, log->name);
		}
	json_object_put(h);
	return 0;
}

int auditlog_verify(const struct auditlog *log, EVP_PKEY *const *keys, size_t nkeys,
		    err_warn_fn warn, void *ctx, size_t *nrecords)
{
	char expect[65] = ZEROS, genesis[65] = "";
	size_t junk = (size_t)-1, last = (size_t)-1, nsrc = 0, nsigned = 0, nrec = 0;
	size_t first_signed = 0, unsigned_from = 0, unsigned_to = 0;
	struct srcent *src = calloc(log->n ? log->n : 1, sizeof(*src));
	long seq = 0;
	int rc = -1, last_signed = 0;

	if (!src)
		return err_set("cannot verify %s: %s", log->name, cause(ENOMEM));
	for (size_t i = 0; i < log->n; i++) {
		const struct auditlog_line *l = &log->lines[i];
		struct json_object *torn;
		const char *why;
		int sig;

		if (!l->terminated) {
			err_set("line %zu: incomplete last line (the file was cut short, or a write "
				"was interrupted and no record was appended since)", i + 1);
			goto out;
		}
		if (l->kind == AUDITLOG_JUNK) {
			if (junk == (size_t)-1)
				junk = i;
			continue;
		}
		torn = get_obj(l->j, "recovered_torn_tail", json_type_object);
		if (junk != (size_t)-1) {
			if (!torn || !torn_matches(log, junk, i - 1, torn)) {
				err_set("line %zu: not a record: %s", junk + 1, log->lines[junk].why);
				goto out;
			}
			{
				char where[64];
				size_t bytes = log->lines[i - 1].off + log->lines[i - 1].len -
					       log->lines[junk].off;

				if (junk + 1 < i)
					snprintf(where, sizeof(where), "lines %zu-%zu", junk + 1, i);
				else
					snprintf(where, sizeof(where), "line %zu", junk + 1);
				warnf(warn, ctx, "%s: torn record (%zu bytes of an interrupted write), "
				      "recorded by line %zu", where, bytes, i + 1);
			}
			junk = (size_t)-1;
		} else if (torn) {
			err_set("line %zu: it recorded a torn tail before it that is no longer there "
				"(lines were removed)", i + 1);
			goto out;
		}
		if (l->seq != seq + 1 || strcmp(get_str(l->j, "prev"), expect)) {
			if (!strcmp(get_str(l->j, "prev"), expect))
				err_set("line %zu: seq is %ld, expected %ld", i + 1, l->seq, seq + 1);
			else
				chain_broken(log, i, l->seq, seq + 1, last);
			goto out;
		}
		sig = check_sig(log->buf + l->off, l->len, l->j, keys, nkeys, &why);
		if (sig < 0) {
			err_set("line %zu: %s", i + 1, why);
			goto out;
		}
		if (nkeys && l->kind == AUDITLOG_RECORD) {
			/* a signed record's prev vouches for every line before it */
			nrec++;
			if (sig == 0 && first_signed) {
				err_set("line %zu: not signed, but line %zu before it is", i + 1,
					first_signed);
				goto out;
			}
			if (sig == 0 && !unsigned_from)
				unsigned_from = i + 1;
			if (sig == 0)
				unsigned_to = i + 1;
			if (sig == 1 && !first_signed)
				first_signed = i + 1;
		}
		nsigned += sig == 2;
		last_signed = sig != 0;
		if (l->kind == AUDITLOG_MERGED) {
			if (check_merged(log, i, keys, nkeys, &src[nsrc]) < 0)
				goto out;
			nsrc++;
		}
		if (l->seq == 1)
			memcpy(genesis, l->sha256, sizeof(genesis));
		memcpy(expect, l->sha256, sizeof(expect));
		seq = l->seq;
		last = i;
	}
	if (junk != (size_t)-1) {
		err_set("line %zu: not a record: %s", junk + 1, log->lines[junk].why);
		goto out;
	}
	if (nrec && !first_signed) {
		err_set("line %zu: not signed (no record of the log is)", unsigned_from);
		goto out;
	}
	if (unsigned_from == unsigned_to && unsigned_from)
		warnf(warn, ctx, "line %zu not signed; the signed line %zu vouches for it through "
		      "the chain", unsigned_from, first_signed);
	else if (unsigned_from)
		warnf(warn, ctx, "lines %zu-%zu not signed; the signed line %zu vouches for them "
		      "through the chain", unsigned_from, unsigned_to, first_signed);
	if (nsrc && check_sources(src, nsrc, nkeys > 0) < 0)
		goto out;
	if ((seq > 0 || log->head) &&
	    check_head(log, keys, nkeys, seq, genesis, last_signed, warn, ctx) < 0)
		goto out;
	if (!nkeys && nsigned)
		warnf(warn, ctx, "%zu signed line%s; signatures not checked (give --pubkey)", nsigned,
		      nsigned == 1 ? "" : "s");
	if (seq == 0)
		warnf(warn, ctx, "no records");
	if (nrecords)
		*nrecords = (size_t)seq;
	rc = 0;
out:
	free(src);
	return rc;
}

/* ---- appending ---- */

/* Split path into an open directory and the last component. */
static int open_parent(const char *path, char **base)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	*base = strdup(slash ? slash + 1 : path);
	if (!*base || !**base) {
		free(*base);
		*base = NULL;
		errno = EISDIR;
		return -1;
	}
	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir) {
		free(*base);
		*base = NULL;
		errno = ENOMEM;
		return -1;
	}
	fd = file_open(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0);
	free(dir);
	if (fd < 0) {
		int e = errno;

		free(*base);
		*base = NULL;
		errno = e;
	}
	return fd;
}

/* Is s[0..len) a record or merged line (something that carries the chain)? */
static int carries_chain(const char *s, size_t len, long *seq)
{
	struct json_object *j, *rec, *source;
	const char *why;
	enum auditlog_kind k = classify(s, len, 0, &j, &rec, &source, seq, &why);

	if (rec != j)
		json_object_put(rec);
	json_object_put(j);
	return k != AUDITLOG_JUNK;
}

struct tail {
	char prev[65];		/* sha256 of the last record line, or zeros */
	long seq;		/* seq for the new record */
	off_t junk;		/* where the bytes after the last record start */
	off_t junk_len;		/* their length, not counting a final '\n' */
	char junk_sha[65];
	int needs_newline;	/* the file does not end with '\n' */
};

/* Find the last record of the open log (size bytes): what to chain to, what is torn. */
static int read_tail(int fd, off_t size, struct tail *t)
{
	off_t window = 64 * 1024;
	int found, more;
	char first;

	memset(t, 0, sizeof(*t));
	memcpy(t->prev, ZEROS, sizeof(t->prev));
	t->seq = 1;
	if (size == 0)
		return 0;
	if (file_pread_all(fd, &first, 1, 0) != 1)
		return -1;
	if (first != '{') {
		errno = EBADMSG;
		return -1;
	}
	for (;;) {
		off_t start = size > window ? size - window : 0;
		size_t n = (size_t)(size - start);
		char *buf = malloc(n);
		size_t end;

		if (!buf) {
			errno = ENOMEM;
			return -1;
		}
		if (file_pread_all(fd, buf, n, start) != (ssize_t)n) {
			free(buf);
			errno = EIO;
			return -1;
		}
		t->needs_newline = buf[n - 1] != '\n';
		/* end: one past the '\n' of the line being looked at */
		end = t->needs_newline ? 0 : n;
		if (t->needs_newline) {
			char *nl = memrchr(buf, '\n', n);

			end = nl ? (size_t)(nl - buf) + 1 : 0;
		}
		found = 0;
		more = 0;
		while (end > 0) {
			char *nl = end >= 2 ? memrchr(buf, '\n', end - 1) : NULL;
			size_t ls = nl ? (size_t)(nl - buf) + 1 : 0;
			long seq;

			if (!nl && start > 0) {
				more = 1;	/* the line may begin before the window */
				break;
			}
			if (carries_chain(buf + ls, end - 1 - ls, &seq)) {
				sha256_hex(buf + ls, end - 1 - ls, t->prev);
				t->seq = seq + 1;
				t->junk = start + (off_t)end;
				found = 1;
				break;
			}
			end = ls;
		}
		if (!found && !more && start > 0)
			more = 1;
		if (!more) {
			if (!found)
				t->junk = 0;
			t->junk_len = size - t->junk - (t->needs_newline ? 0 : 1);
			if (t->junk_len < 0)
				t->junk_len = 0;
			sha256_hex(buf + (t->junk - start), (size_t)t->junk_len, t->junk_sha);
			free(buf);
			return 0;
		}
		free(buf);
		if (window >= TAIL_MAX) {
			errno = EFBIG;
			return -1;
		}
		window *= 2;
	}
}

/* SHA-256 of the first record line (seq 1): the log's name in merges and the head. */
static int first_record(int fd, off_t size, char out[65])
{
	off_t want = 64 * 1024;

	for (;;) {
		size_t n = (size_t)(size < want ? size : want), ls = 0;
		char *buf = malloc(n ? n : 1);

		if (!buf || file_pread_all(fd, buf, n, 0) != (ssize_t)n) {
			free(buf);
			return -1;
		}
		for (char *nl; (nl = memchr(buf + ls, '\n', n - ls)); ls = (size_t)(nl - buf) + 1) {
			long seq;

			if (carries_chain(buf + ls, (size_t)(nl - buf) - ls, &seq) && seq == 1) {
				sha256_hex(buf + ls, (size_t)(nl - buf) - ls, out);
				free(buf);
				return 0;
			}
		}
		free(buf);
		if ((off_t)n >= size || want >= TAIL_MAX)
			return -1;
		want *= 2;
	}
}

static void add_warning(struct auditlog_appended *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_warning(struct auditlog_appended *a, const char *fmt, ...)
{
	char *s, **grown;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	grown = realloc(a->warnings, (a->nwarnings + 1) * sizeof(*grown));
	if (!grown) {
		free(s);
		return;
	}
	a->warnings = grown;
	a->warnings[a->nwarnings++] = s;
}

/* Serialize o, signed with k when given; caller frees. */
static char *finish_line(struct json_object *o, EVP_PKEY *k)
{
	size_t len;
	const char *s;
	char id[65];

	json_object_object_del(o, "sig");
	json_object_object_del(o, "sig_key");
	if (k && key_id(k, id) == 0)
		put_str(o, "sig_key", id);
	s = to_line(o, &len);
	if (!s)
		return NULL;
	return k ? sign_line(k, s, len) : strdup(s);
}

/* Write name.head (via name.head.tmp and rename): the last record's seq and sha256. */
static int write_head(int dirfd, const char *base, const char *genesis, long seq,
		      const char *sha, EVP_PKEY *k)
{
	struct json_object *h = json_object_new_object();
	char when[UTC_LEN], *line, *name = NULL, *tmp = NULL, *buf = NULL;
	int rc = -1;

	json_object_object_add(h, "schema", json_object_new_int(AUDITLOG_SCHEMA));
	put_str(h, "log", genesis);
	json_object_object_add(h, "seq", json_object_new_int64(seq));
	put_str(h, "sha256", sha);
	put_str(h, "time", utc_format(time(NULL), when));
	line = finish_line(h, k);
	json_object_put(h);
	if (!line || asprintf(&name, "%s" AUDITLOG_HEAD_SUFFIX, base) < 0 ||
	    asprintf(&tmp, "%s" AUDITLOG_HEAD_SUFFIX ".tmp", base) < 0 ||
	    asprintf(&buf, "%s\n", line) < 0) {
		err_set("cannot update %s" AUDITLOG_HEAD_SUFFIX ": %s", base, cause(ENOMEM));
		goto out;
	}
	unlinkat(dirfd, tmp, 0);
	if (file_write_new(dirfd, tmp, buf, strlen(buf)) < 0)
		goto out;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		err_set("cannot update %s: %s", name, cause(errno));
		unlinkat(dirfd, tmp, 0);
		goto out;
	}
	{	/* FAT keeps a renamed file's size and first cluster in its inode, written
		   back later, not with the directory: sync the file under its new name */
		int hfd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

		if (hfd < 0 || fsync(hfd) < 0) {
			err_set("cannot update %s: %s", name, cause(errno));
			if (hfd >= 0)
				close(hfd);
			goto out;
		}
		close(hfd);
	}
	if (file_sync_dir(dirfd) < 0) {
		err_set("cannot update %s: %s", name, cause(errno));
		goto out;
	}
	rc = 0;
out:
	free(line);
	free(name);
	free(tmp);
	free(buf);
	return rc;
}

static EVP_PKEY *signing_key(const char *keyfile, struct json_object *rec,
			     struct auditlog_appended *a)
{
	struct json_object *notes;
	EVP_PKEY *k;
	int fd;

	if (!keyfile)
		return NULL;
	fd = file_open(AT_FDCWD, keyfile, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0 && errno == ENOENT)
		return NULL;
	if (fd >= 0)
		close(fd);
	k = read_pem(keyfile, 1);
	if (k)
		return k;
	add_warning(a, "record not signed: %s", err_msg());
	notes = get_obj(rec, "notes", json_type_array);
	if (!notes) {
		notes = json_object_new_array();
		json_object_object_add(rec, "notes", notes);
	}
	json_object_array_add(notes, json_object_new_string("not signed: the signing key on the "
							     "stick cannot be used"));
	return NULL;
}

/* "cannot append to PATH: CAUSE", with CAUSE kept apart in a->why; returns -1. */
static int append_failed(struct auditlog_appended *a, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int append_failed(struct auditlog_appended *a, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->why, sizeof(a->why), fmt, ap);
	va_end(ap);
	return err_set("cannot append to %s: %s", path, a->why);
}

int auditlog_append(const char *path, struct json_object *rec, const char *keyfile,
		    struct auditlog_appended *a)
{
	struct tail t;
	struct stat st;
	char *base = NULL, *buf = NULL, genesis[65];
	EVP_PKEY *k;
	int dirfd, fd = -1, rc = -1, e;
	size_t len;

	memset(a, 0, sizeof(*a));
	json_object_object_del(rec, "recovered_torn_tail");
	json_object_object_del(rec, "seq");
	json_object_object_del(rec, "prev");
	k = signing_key(keyfile, rec, a);
	/* what the operator sees if the record cannot be written: the record alone */
	a->line = finish_line(rec, NULL);
	dirfd = open_parent(path, &base);
	if (dirfd < 0) {
		append_failed(a, path, "%s", cause(errno));
		goto out;
	}
	fd = file_open(dirfd, base, O_RDWR | O_APPEND | O_CREAT, 0644);
	if (fd < 0) {
		append_failed(a, path, "%s", errno == ELOOP ? "it is a link" : cause(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		append_failed(a, path, "not a regular file");
		goto out;
	}
	/* two bootfix on one stick must not interleave: best effort, FAT has no locks everywhere */
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	if (fstat(fd, &st) < 0 || read_tail(fd, st.st_size, &t) < 0) {
		e = errno;
		append_failed(a, path, "%s", e == EBADMSG ?
			      "it is not a bootfix log (it does not begin with a record)" :
			      e == EFBIG ? "no record in its last 64 MiB" : cause(e));
		goto out;
	}
	if (t.junk_len > 0) {
		struct json_object *torn = json_object_new_object();

		json_object_object_add(torn, "bytes", json_object_new_int64(t.junk_len));
		put_str(torn, "sha256", t.junk_sha);
		json_object_object_add(rec, "recovered_torn_tail", torn);
		a->torn_bytes = (size_t)t.junk_len;
	}
	json_object_object_add(rec, "seq", json_object_new_int64(t.seq));
	put_str(rec, "prev", t.prev);
	free(a->line);
	a->line = finish_line(rec, k);
	if (!a->line) {
		append_failed(a, path, "cannot %s the record", k ? "sign" : "format");
		a->line = finish_line(rec, NULL);
		goto out;
	}
	len = strlen(a->line);
	buf = malloc(len + 2);
	if (!buf) {
		append_failed(a, path, "%s", cause(ENOMEM));
		goto out;
	}
	memcpy(buf + t.needs_newline, a->line, len);
	if (t.needs_newline)
		buf[0] = '\n';
	buf[len + (size_t)t.needs_newline] = '\n';
	if (file_writeall(fd, buf, len + 1 + (size_t)t.needs_newline) < 0 || fsync(fd) < 0) {
		e = errno;
		/* never leave half a record of ours behind: cut back to where we started */
		if (ftruncate(fd, st.st_size) == 0)
			fsync(fd);
		append_failed(a, path, "%s", cause(e));
		goto out;
	}
	if (file_sync_dir(dirfd) < 0) {
		append_failed(a, path, "cannot sync its directory: %s", cause(errno));
		goto out;
	}
	a->seq = t.seq;
	a->is_signed = k != NULL;
	sha256_hex(a->line, len, a->sha256);
	rc = 0;
	if (t.seq == 1)
		memcpy(genesis, a->sha256, sizeof(genesis));
	else if (first_record(fd, st.st_size, genesis) < 0)
		memcpy(genesis, ZEROS, sizeof(genesis));
	if (write_head(dirfd, base, genesis, t.seq, a->sha256, k) < 0)
		add_warning(a, "%s", err_msg());
out:
	if (rc < 0 && a->line)
		sha256_hex(a->line, strlen(a->line), a->sha256);
	if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	EVP_PKEY_free(k);
	free(base);
	free(buf);
	return rc;
}

void auditlog_appended_free(struct auditlog_appended *a)
{
	free(a->line);
	for (size_t i = 0; i < a->nwarnings; i++)
		free(a->warnings[i]);
	free(a->warnings);
	memset(a, 0, sizeof(*a));
}

int auditlog_write_run(struct audit_info *ai, const char *log_path, char **path,
		       struct auditlog_appended *a)
{
	struct machine m;
	char *key = NULL;
	struct json_object *rec;
	int rc, own = !ai->machine;

	memset(a, 0, sizeof(*a));
	*path = NULL;
	if (!log_path && !ai->data_dir)
		return 1;
	if (log_path)
		*path = strdup(log_path);
	else if (asprintf(path, "%s/" AUDITLOG_DEFAULT, ai->data_dir) < 0)
		*path = NULL;
	if (ai->data_dir && asprintf(&key, "%s/" AUDITLOG_KEY, ai->data_dir) < 0)
		key = NULL;
	if (own) {
		machine_read(&m, NULL);
		ai->machine = &m;
	}
	rec = auditlog_record(ai);
	if (own) {
		machine_free(&m);
		ai->machine = NULL;
	}
	if (!*path || (ai->data_dir && !key)) {
		rc = err_set("cannot write the audit log: %s", cause(ENOMEM));
		a->line = finish_line(rec, NULL);
	} else if (!log_path) {
		int dfd = file_open(AT_FDCWD, ai->data_dir, O_RDONLY | O_DIRECTORY, 0), lfd = -1;

		if (dfd < 0)
			rc = append_failed(a, *path, "cannot open %s: %s", ai->data_dir,
					   cause(errno));
		else if ((lfd = file_mkdirs(dfd, "logs", 0755, NULL)) < 0)
			rc = append_failed(a, *path, "%s", err_msg());
		else
			rc = auditlog_append(*path, rec, key, a);
		if (lfd < 0 && !a->line)
			a->line = finish_line(rec, NULL);
		if (lfd >= 0)
			close(lfd);
		if (dfd >= 0)
			close(dfd);
	} else {
		rc = auditlog_append(*path, rec, key, a);
	}
	json_object_put(rec);
	free(key);
	return rc;
}

/* ---- rows ---- */

static void join(char **acc, const char *s)
{
	char *joined;

	if (!s || !*s)
		return;
	/* the same name twice (two volumes of one install) is said once */
	for (const char *p = *acc; p && *p;) {
		size_t n = strcspn(p, ",");

		if (n == strlen(s) && !strncmp(p, s, n))
			return;
		p += n;
		p += strspn(p, ", ");
	}
	if (asprintf(&joined, "%s%s%s", *acc ? *acc : "", *acc ? ", " : "", s) < 0)
		return;
	free(*acc);
	*acc = joined;
}

void auditlog_row(struct json_object *rec, struct auditlog_row *row)
{
	struct json_object *m = get_obj(rec, "machine", json_type_object);
	struct json_object *vols = get_obj(rec, "volumes", json_type_array);
	struct json_object *keys = get_obj(rec, "bitlocker", json_type_array);

	memset(row, 0, sizeof(*row));
	row->time = get_str(rec, "time");
	row->action = get_str(rec, "action");
	row->mode = get_str(rec, "mode");
	row->operator_name = get_str(rec, "operator");
	row->site = get_str(rec, "site");
	row->stick = get_str(rec, "stick");
	row->outcome = get_str(rec, "outcome");
	/* records written before "restored" existed called a restore "fixed" */
	if (row->action && !strcmp(row->action, "restore") && row->outcome &&
	    !strcmp(row->outcome, "fixed"))
		row->outcome = "restored";
	row->reason = get_str(rec, "reason");
	row->sys_vendor = get_str(m, "sys_vendor");
	row->product_name = get_str(m, "product_name");
	row->product_serial = get_str(m, "product_serial");
	row->product_uuid = get_str(m, "product_uuid");
	if (get_long(rec, "duration_ms", &row->duration_ms) < 0)
		row->duration_ms = -1;
	for (size_t i = 0; vols && i < json_object_array_length(vols); i++) {
		struct json_object *v = json_object_array_get_idx(vols, i);
		struct json_object *f = get_obj(v, "findings", json_type_array), *w;

		if (!json_object_is_type(v, json_type_object))
			continue;
		row->volumes++;
		if (json_object_object_get_ex(v, "windows", &w) && json_object_get_boolean(w)) {
			const char *pn = get_str(v, "product_name"), *b = get_str(v, "build"),
				   *dv = get_str(v, "display_version");
			char *s;

			join(&row->computer, get_str(v, "computer_name"));
			if ((pn || b) && asprintf(&s, "%s%s%s%s%s%s", pn ? pn : "Windows",
						  b ? " " : "", b ? b : "", dv ? " (" : "",
						  dv ? dv : "", dv ? ")" : "") >= 0) {
				join(&row->windows, s);
				free(s);
			}
		}
		for (size_t k = 0; f && k < json_object_array_length(f); k++) {
			struct json_object *x = json_object_array_get_idx(f, k), *done;
			const char *verdict = get_str(x, "verdict"), *action = get_str(x, "action");

			row->findings++;
			row->faulty += verdict && !strcmp(verdict, "faulty");
			row->quarantined += action && !strcmp(action, "quarantine") &&
					    json_object_object_get_ex(x, "done", &done) &&
					    json_object_get_boolean(done);
		}
	}
	for (size_t i = 0; keys && i < json_object_array_length(keys); i++)
		join(&row->key_ids, get_str(json_object_array_get_idx(keys, i), "key_id"));
}

void auditlog_row_free(struct auditlog_row *row)
{
	free(row->computer);
	free(row->windows);
	free(row->key_ids);
	memset(row, 0, sizeof(*row));
}

/* ---- merging ---- */

struct mergent {
	char log[65];		/* copied: entries move when sorted */
	const char *file, *sha, *time, *raw;
	size_t rawlen;
	long seq, line;
	size_t order;		/* position in the input: of two copies, the first given wins */
};

static int by_log_seq(const void *a, const void *b)
{
	const struct mergent *x = a, *y = b;
	int c = strcmp(x->log, y->log);

	if (c)
		return c;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int by_time(const void *a, const void *b)
{
	const struct mergent *x = a, *y = b;
	int c = strcmp(x->time ? x->time : "", y->time ? y->time : "");

	return c ? c : by_log_seq(a, b);
}

/* Every record of every log, flattened: merged lines give their original. */
static struct mergent *collect(struct auditlog *const *logs, size_t n, size_t *count)
{
	size_t total = 0, k = 0;
	struct mergent *e;

	for (size_t i = 0; i < n; i++)
		total += logs[i]->n;
	e = calloc(total ? total : 1, sizeof(*e));
	if (!e)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct auditlog *log = logs[i];
		char genesis[65] = "";

		for (size_t l = 0; l < log->n; l++)
			if (log->lines[l].kind == AUDITLOG_RECORD && log->lines[l].seq == 1)
				memcpy(genesis, log->lines[l].sha256, sizeof(genesis));
		for (size_t l = 0; l < log->n; l++) {
			const struct auditlog_line *x = &log->lines[l];
			struct mergent *m = &e[k];

			if (x->kind == AUDITLOG_JUNK)
				continue;
			m->time = get_str(x->rec, "time");
			if (x->kind == AUDITLOG_RECORD) {
				memcpy(m->log, genesis, sizeof(genesis));
				m->file = log->name;
				m->line = (long)l + 1;
				m->seq = x->seq;
				m->sha = x->sha256;
				m->raw = log->buf + x->off;
				m->rawlen = x->len;
			} else {
				struct json_object *raw = get_obj(x->j, "record", json_type_string);

				const char *id = get_str(x->source, "log");

				m->file = get_str(x->source, "file");
				m->sha = get_str(x->source, "sha256");
				if (get_long(x->source, "line", &m->line) < 0 ||
				    get_long(x->source, "seq", &m->seq) < 0 || !is_hex64(id) ||
				    !m->file || !is_hex64(m->sha))
					continue;
				memcpy(m->log, id, sizeof(m->log));
				m->raw = json_object_get_string(raw);
				m->rawlen = (size_t)json_object_get_string_len(raw);
			}
			if (!m->log[0])
				continue;
			m->order = k++;
		}
	}
	*count = k;
	return e;
}

long auditlog_merge(struct auditlog *const *logs, size_t n, const char *out)
{
	size_t count = 0, kept = 0;
	struct mergent *e = collect(logs, n, &count);
	char prev[65] = ZEROS, genesis[65] = "", *base = NULL;
	int dirfd = -1, fd = -1;
	long rc = -1;

	if (!e)
		return err_set("cannot merge: %s", cause(ENOMEM));
	qsort(e, count, sizeof(*e), by_log_seq);
	for (size_t i = 0; i < count; i++) {
		if (kept && !strcmp(e[i].log, e[kept - 1].log) && e[i].seq == e[kept - 1].seq) {
			if (strcmp(e[i].sha, e[kept - 1].sha)) {
				err_set("cannot merge: %s line %ld and %s line %ld are both record %ld "
					"of log %.12s but differ", e[kept - 1].file, e[kept - 1].line,
					e[i].file, e[i].line, e[i].seq, e[i].log);
				goto out;
			}
			continue;	/* the same record from two copies of one log */
		}
		e[kept++] = e[i];
	}
	qsort(e, kept, sizeof(*e), by_time);
	dirfd = open_parent(out, &base);
	if (dirfd >= 0)
		fd = file_open(dirfd, base, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		err_set("cannot create %s: %s", out, cause(errno));
		goto out;
	}
	for (size_t i = 0; i < kept; i++) {
		struct json_object *w = json_object_new_object(), *s = json_object_new_object();
		char *line;
		size_t len;

		json_object_object_add(w, "schema", json_object_new_int(AUDITLOG_SCHEMA));
		put_str(w, "kind", "merged");
		put_str(s, "log", e[i].log);
		put_str(s, "file", e[i].file);
		json_object_object_add(s, "line", json_object_new_int64(e[i].line));
		json_object_object_add(s, "seq", json_object_new_int64(e[i].seq));
		put_str(s, "sha256", e[i].sha);
		json_object_object_add(w, "source", s);
		json_object_object_add(w, "record", json_object_new_string_len(e[i].raw,
										(int)e[i].rawlen));
		json_object_object_add(w, "seq", json_object_new_int64((int64_t)i + 1));
		put_str(w, "prev", prev);
		line = finish_line(w, NULL);
		json_object_put(w);
		if (!line) {
			err_set("cannot write %s: %s", out, cause(ENOMEM));
			goto fail;
		}
		len = strlen(line);
		sha256_hex(line, len, prev);
		if (i == 0)
			memcpy(genesis, prev, sizeof(genesis));
		line[len] = '\n';
		if (file_writeall(fd, line, len + 1) < 0) {
			err_set("cannot write %s: %s", out, cause(errno));
			free(line);
			goto fail;
		}
		free(line);
	}
	if (fsync(fd) < 0 || file_sync_dir(dirfd) < 0) {
		err_set("cannot write %s: %s", out, cause(errno));
		goto fail;
	}
	if (kept && write_head(dirfd, base, genesis, (long)kept, prev, NULL) < 0)
		goto fail;
	rc = (long)kept;
	goto out;
fail:
	unlinkat(dirfd, base, 0);
out:
	if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	free(base);
	free(e);
	return rc;
}
