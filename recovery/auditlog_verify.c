/*
 * auditlog_verify.c - checking a log as an auditor would, one line at a
 * time (so a stream of any length is checked in the memory of its chain
 * state): every line a record or a torn tail a later record explains, the
 * hash chain (seq and prev), signatures from the first signed record on,
 * the head file, and in a merged log each source log's own chain.  The
 * first thing wrong is named with its line and what an auditor should
 * look for.
 *
 * A log server's file (syslog lines, records from many sticks) is not one
 * chain: each record is checked on its own (well formed, its signature),
 * then the records of each stick (its name and signing key) are put in seq
 * order and checked to chain where they are consecutive; docs/log.md says
 * what that can and cannot show.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auditlog_internal.h"
#include "err.h"
#include "sha256.h"

struct check_src {
	unsigned char log[32], prev[32], sha[32];
	const char *file;		/* kept once in c->names */
	long seq, sline;
	size_t line;			/* line of the merged file */
	int sig;			/* the record is signed (and checked, with keys) */
};

struct check_link {
	const char *group;		/* "STICK\nSIG_KEY", kept once in c->names */
	unsigned char sha[32], prev[32];
	long seq;
	size_t line;
};

static void unhex(const char *h, unsigned char out[32])
{
	for (int i = 0; i < 32; i++) {
		int hi = h[2 * i] <= '9' ? h[2 * i] - '0' : h[2 * i] - 'a' + 10;
		int lo = h[2 * i + 1] <= '9' ? h[2 * i + 1] - '0' : h[2 * i + 1] - 'a' + 10;

		out[i] = (unsigned char)(hi << 4 | lo);
	}
}

/* The first 12 hex digits of a hash, as messages name logs. */
static const char *hex12(const unsigned char *b, char out[13])
{
	for (int i = 0; i < 6; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return out;
}

/* s kept once for the whole check; NULL when out of memory. */
static const char *intern(struct auditlog_check *c, const char *s)
{
	struct lh_entry *e;

	if (!c->names && !(c->names = json_object_new_object()))
		return NULL;
	e = lh_table_lookup_entry(json_object_get_object(c->names), s);
	if (!e) {
		if (json_object_object_add(c->names, s, NULL) < 0)
			return NULL;
		e = lh_table_lookup_entry(json_object_get_object(c->names), s);
	}
	return e ? (const char *)lh_entry_k(e) : NULL;
}

static void warnf(struct auditlog_check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warnf(struct auditlog_check *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!c->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->warn(c->ctx, msg);
}

/*
 * Line (0: no one line) makes the log fail: the first fault is the
 * verdict; in a server's file each further bad record is a warning.
 * l (may be NULL) gets it as its problem.  Returns -1.
 */
static int bad(struct auditlog_check *c, struct auditlog_line *l, size_t line,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int bad(struct auditlog_check *c, struct auditlog_line *l, size_t line,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	c->nbad++;
	if (!c->failed) {
		c->failed = 1;
		c->bad_line = line;
		memcpy(c->why, c->msg, sizeof(c->why));
	} else if (c->form == AUDITLOG_FORM_SYSLOG) {
		warnf(c, "%s", c->msg);
	}
	if (l)
		l->problem = c->msg;
	return -1;
}

static void count_sig(struct auditlog_check *c, int sig, const char *key)
{
	int i;

	c->good += sig == AUDITLOG_SIG_GOOD;
	c->unchecked += sig == AUDITLOG_SIG_UNCHECKED;
	c->nunsigned += sig == AUDITLOG_SIG_NONE;
	if (sig <= 0 || !is_hex64(key))
		return;
	memcpy(c->sig_key, key, 65);
	for (i = 0; i < c->sig_keys && i < 4; i++)
		if (!strcmp(c->sig_keys_seen[i], key))
			return;
	if (i < 4)
		memcpy(c->sig_keys_seen[i], key, 65);
	c->sig_keys++;
}

int auditlog_check_init(struct auditlog_check *c, const char *name, EVP_PKEY *const *keys,
			size_t nkeys, err_warn_fn warn, void *ctx, const char *head,
			size_t headlen)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->keys = keys;
	c->nkeys = nkeys;
	c->warn = warn;
	c->ctx = ctx;
	memcpy(c->expect, AUDITLOG_ZEROS, sizeof(c->expect));
	c->head_seq = -1;
	if (head) {
		c->has_head = 1;
		c->head = malloc(headlen + 1);
		if (!c->head)
			return err_set("cannot verify %s: %s", name, err_cause(ENOMEM));
		memcpy(c->head, head, headlen);
		c->head[headlen] = '\0';
		c->headlen = headlen;
		/* which record the head names: its sha is taken as that line goes by */
		{
			size_t len = headlen;
			struct json_object *h;
			long hseq;

			while (len && (head[len - 1] == '\n' || head[len - 1] == '\r'))
				len--;
			h = auditlog_read_json(head, len);
			if (h && get_long(h, "seq", &hseq) == 0)
				c->head_seq = hseq;
			json_object_put(h);
		}
	}
	return 0;
}

void auditlog_check_junk(struct auditlog_check *c, size_t lineno, const char *s, size_t n)
{
	if (c->failed || c->form == AUDITLOG_FORM_SYSLOG)
		return;
	if (!c->junk) {
		if (!c->junk_md && !(c->junk_md = EVP_MD_CTX_new()))
			return;
		EVP_DigestInit_ex(c->junk_md, EVP_sha256(), NULL);
		c->junk = lineno;
		c->junk_bytes = 0;
		c->junk_fed = lineno;
	} else if (c->junk_fed != lineno) {
		EVP_DigestUpdate(c->junk_md, "\n", 1);
		c->junk_bytes++;
		c->junk_fed = lineno;
	}
	EVP_DigestUpdate(c->junk_md, s, n);
	c->junk_bytes += n;
}

/* Does the junk span just before this record match what its torn member recorded? */
static int torn_matches(struct auditlog_check *c, struct json_object *t)
{
	const char *want = get_str(t, "sha256");
	unsigned char md[32];
	unsigned int mdlen;
	char sha[65];
	long bytes;

	if (!c->junk_md || get_long(t, "bytes", &bytes) < 0 || bytes < 0 ||
	    (size_t)bytes != c->junk_bytes || !want)
		return 0;
	EVP_DigestFinal_ex(c->junk_md, md, &mdlen);
	sha256_hex_digest(md, sha);
	return !strcmp(sha, want);
}

/* Why line's prev does not match: say what an auditor should look for. */
static void chain_broken(struct auditlog_check *c, struct auditlog_line *l)
{
	const char *prev = get_str(l->j, "prev");
	size_t line = l->lineno, k = c->find ? c->find(c->fctx, prev, c->last) : 0;
	long seq = l->seq, want_seq = c->seq + 1;

	if (k)
		bad(c, l, line, "line %zu: records out of order: it follows line %zu, not %s", line, k,
		    !c->last ? "the start of the file" : "the line before it");
	else if (seq > want_seq && !c->last)
		bad(c, l, line, "line %zu: the log starts at record %ld: %ld record%s deleted before "
		    "it", line, seq, seq - want_seq, seq - want_seq == 1 ? "" : "s");
	else if (seq > want_seq)
		bad(c, l, line, "line %zu: record %ld follows record %ld: %ld record%s deleted before "
		    "it", line, seq, want_seq - 1, seq - want_seq, seq - want_seq == 1 ? "" : "s");
	else if (!c->last)
		bad(c, l, line, "line %zu: the first record's prev is not 64 zeros (records "
		    "deleted at the start)", line);
	else
		bad(c, l, line, "line %zu: chain broken: prev is not the sha256 of line %zu (line %zu "
		    "was changed)", line, c->last, c->last);
}

/* A merged line: its embedded record as its source says, kept to check the sources' chains. */
static int check_merged(struct auditlog_check *c, struct auditlog_line *l)
{
	struct json_object *raw = get_obj(l->j, "record", json_type_string);
	const char *why, *s = json_object_get_string(raw);
	const char *log = get_str(l->source, "log"), *file = get_str(l->source, "file");
	const char *sha = get_str(l->source, "sha256"), *prev = get_str(l->rec, "prev");
	size_t len = (size_t)json_object_get_string_len(raw), line = l->lineno;
	struct check_src e;
	char got[65];
	long eseq = 0;

	memset(&e, 0, sizeof(e));
	e.line = line;
	if (!is_hex64(log) || !file || !is_hex64(sha) ||
	    get_long(l->source, "line", &e.sline) < 0 || get_long(l->source, "seq", &e.seq) < 0)
		return bad(c, l, line, "line %zu: merged line with an incomplete source", line);
	sha256_hex(s, len, got);
	if (strcmp(got, sha))
		return bad(c, l, line, "line %zu: the record from %s line %ld was changed (its sha256 "
			   "is not the one its source names)", line, file, e.sline);
	if (get_long(l->rec, "seq", &eseq) < 0 || eseq != e.seq)
		return bad(c, l, line, "line %zu: the record from %s line %ld is not record %ld of "
			   "its log", line, file, e.sline, e.seq);
	e.sig = auditlog_sign_check(s, len, l->rec, c->keys, c->nkeys, &why);
	if (e.sig < 0)
		return bad(c, l, line, "line %zu: the record from %s line %ld: %s", line, file,
			   e.sline, why);
	if (!(e.file = intern(c, file)))
		return bad(c, l, line, "line %zu: %s", line, err_cause(ENOMEM));
	unhex(log, e.log);
	unhex(sha, e.sha);
	unhex(prev, e.prev);
	if (c->nsrc == c->srcroom) {
		size_t room = c->srcroom ? 2 * c->srcroom : 256;
		struct check_src *grown = realloc(c->src, room * sizeof(*grown));

		if (!grown)
			return bad(c, l, line, "line %zu: %s", line, err_cause(ENOMEM));
		c->src = grown;
		c->srcroom = room;
	}
	c->src[c->nsrc++] = e;
	return 0;
}

static int by_source(const void *a, const void *b)
{
	const struct check_src *x = a, *y = b;
	int k = memcmp(x->log, y->log, 32);

	return k ? k : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Each source log's records, as a merged file holds them, must chain like
 * the original; with keys, signed from some record on, as a log is.
 */
static int check_sources(struct auditlog_check *c)
{
	struct check_src *e = c->src;
	size_t n = c->nsrc, signed_at = 0;
	int keys = c->nkeys > 0;
	char id[13];

	qsort(e, n, sizeof(*e), by_source);
	for (size_t i = 0; i < n; i++) {
		int first = i == 0 || memcmp(e[i].log, e[i - 1].log, 32);

		hex12(e[i].log, id);
		if (keys && first)
			signed_at = 0;
		if (keys && e[i].sig == 1 && !signed_at)
			signed_at = i + 1;
		if (keys && e[i].sig != 1 && signed_at)
			return bad(c, NULL, e[i].line, "line %zu: the record from %s line %ld is not "
				   "signed, but an earlier one of its log is", e[i].line, e[i].file,
				   e[i].sline);
		if (keys && !signed_at && (i + 1 == n || memcmp(e[i].log, e[i + 1].log, 32)))
			return bad(c, NULL, e[i].line, "line %zu: no record of log %s (%s) is signed",
				   e[i].line, id, e[i].file);
		if (first) {
			unsigned char zeros[32] = { 0 };

			if (e[i].seq != 1)
				return bad(c, NULL, e[i].line, "line %zu: records 1 to %ld of log %s (%s) "
					   "are missing", e[i].line, e[i].seq - 1, id, e[i].file);
			if (memcmp(e[i].prev, zeros, 32) || memcmp(e[i].sha, e[i].log, 32))
				return bad(c, NULL, e[i].line, "line %zu: the first record of log %s (%s "
					   "line %ld) is not the one that names the log", e[i].line,
					   id, e[i].file, e[i].sline);
			continue;
		}
		if (e[i].seq == e[i - 1].seq)
			return bad(c, NULL, e[i].line, "line %zu: record %ld of log %s appears twice "
				   "(lines %zu and %zu)", e[i].line, e[i].seq, id, e[i - 1].line,
				   e[i].line);
		if (e[i].seq != e[i - 1].seq + 1)
			return bad(c, NULL, e[i].line, "line %zu: records %ld to %ld of log %s (%s) are "
				   "missing", e[i].line, e[i - 1].seq + 1, e[i].seq - 1, id, e[i].file);
		if (memcmp(e[i].prev, e[i - 1].sha, 32))
			return bad(c, NULL, e[i].line, "line %zu: record %ld of log %s (%s line %ld) "
				   "does not follow record %ld (line %zu) in its own chain",
				   e[i].line, e[i].seq, id, e[i].file, e[i].sline, e[i - 1].seq,
				   e[i - 1].line);
	}
	return 0;
}

/* The head file: the last record it names must be there, unchanged. */
static int check_head(struct auditlog_check *c)
{
	struct json_object *h;
	const char *hlog, *hsha, *why;
	long hseq;
	size_t len = c->headlen;
	int sig;

	if (!c->has_head) {
		warnf(c, "no %s" AUDITLOG_HEAD_SUFFIX ": records cut off the end would not show",
		      c->name);
		return 0;
	}
	while (len && (c->head[len - 1] == '\n' || c->head[len - 1] == '\r'))
		len--;
	h = auditlog_read_json(c->head, len);
	hlog = get_str(h, "log");
	hsha = get_str(h, "sha256");
	if (!h || !json_object_is_type(h, json_type_object) || get_long(h, "seq", &hseq) < 0 ||
	    !is_hex64(hlog) || !is_hex64(hsha)) {
		json_object_put(h);
		return bad(c, NULL, 0, "%s" AUDITLOG_HEAD_SUFFIX ": damaged", c->name);
	}
	sig = auditlog_sign_check(c->head, len, h, c->keys, c->nkeys, &why);
	if (sig < 0 || (c->nkeys && sig == 0 && c->last_signed)) {
		bad(c, NULL, 0, "%s" AUDITLOG_HEAD_SUFFIX ": %s", c->name,
		    sig < 0 ? why : "not signed, but the records are");
		json_object_put(h);
		return -1;
	}
	if (hseq > c->seq) {
		json_object_put(h);
		return bad(c, NULL, 0, "the file ends at record %ld but %s" AUDITLOG_HEAD_SUFFIX
			   " names record %ld: records were cut off the end", c->seq, c->name, hseq);
	}
	if (hseq >= 1 && strcmp(hlog, c->genesis)) {
		json_object_put(h);
		return bad(c, NULL, 0, "%s" AUDITLOG_HEAD_SUFFIX " belongs to another log", c->name);
	}
	if (c->head_line && strcmp(c->head_line_sha, hsha)) {
		json_object_put(h);
		return bad(c, NULL, c->head_line, "line %zu: record %ld is not the one %s"
			   AUDITLOG_HEAD_SUFFIX " names (it was changed)", c->head_line, hseq, c->name);
	}
	json_object_put(h);
	return 0;
}

/* One line of a chain (a stick's log or a merged log). */
static void check_chain_line(struct auditlog_check *c, struct auditlog_line *l)
{
	struct json_object *torn;
	const char *why, *prev;
	size_t line = l->lineno;
	int sig;

	if (!l->terminated) {
		bad(c, l, line, "line %zu: incomplete last line (the file was cut short, or a write "
		    "was interrupted and no record was appended since)", line);
		return;
	}
	if (l->kind == AUDITLOG_JUNK || l->kind == AUDITLOG_OTHER) {
		if (l->text)
			auditlog_check_junk(c, line, l->text, l->len);
		else if (!c->junk)
			c->junk = line;	/* not hashed (out of memory): matches no torn tail */
		if (c->junk == line)
			c->junk_why = l->kind == AUDITLOG_OTHER ? "not a JSON object (damaged or cut "
				      "short)" : l->why;
		return;
	}
	c->records++;
	torn = get_obj(l->j, "recovered_torn_tail", json_type_object);
	if (c->junk) {
		if (!torn || !torn_matches(c, torn)) {
			bad(c, l, c->junk, "line %zu: not a record: %s", c->junk, c->junk_why);
			return;
		}
		if (c->junk + 1 < line)
			warnf(c, "lines %zu-%zu: torn record (%zu bytes of an interrupted write), "
			      "recorded by line %zu", c->junk, line - 1, c->junk_bytes, line);
		else
			warnf(c, "line %zu: torn record (%zu bytes of an interrupted write), "
			      "recorded by line %zu", c->junk, c->junk_bytes, line);
		c->junk = 0;
	} else if (torn) {
		bad(c, l, line, "line %zu: it recorded a torn tail before it that is no longer there "
		    "(lines were removed)", line);
		return;
	}
	prev = get_str(l->j, "prev");
	if (l->seq != c->seq + 1 || strcmp(prev, c->expect)) {
		if (!strcmp(prev, c->expect))
			bad(c, l, line, "line %zu: seq is %ld, expected %ld", line, l->seq, c->seq + 1);
		else
			chain_broken(c, l);
		return;
	}
	sig = auditlog_sign_check(l->record, l->reclen, l->j, c->keys, c->nkeys, &why);
	l->sig = sig;
	l->sig_key = get_str(l->j, "sig_key");
	if (sig < 0) {
		bad(c, l, line, "line %zu: %s", line, why);
		return;
	}
	count_sig(c, sig, l->sig_key);
	if (c->nkeys && l->kind == AUDITLOG_RECORD) {
		/* a signed record's prev vouches for every line before it */
		c->nrec++;
		if (sig == 0 && c->first_signed) {
			bad(c, l, line, "line %zu: not signed, but line %zu before it is", line,
			    c->first_signed);
			return;
		}
		if (sig == 0 && !c->unsigned_from)
			c->unsigned_from = line;
		if (sig == 0)
			c->unsigned_to = line;
		if (sig == 1 && !c->first_signed)
			c->first_signed = line;
	}
	c->nsigned += sig == 2;
	c->last_signed = sig != 0;
	if (l->kind == AUDITLOG_MERGED && check_merged(c, l) < 0)
		return;
	if (l->seq == 1)
		memcpy(c->genesis, l->sha256, sizeof(c->genesis));
	if (l->seq == c->head_seq && !c->head_line) {
		memcpy(c->head_line_sha, l->sha256, sizeof(c->head_line_sha));
		c->head_line = line;
	}
	memcpy(c->expect, l->sha256, sizeof(c->expect));
	c->seq = l->seq;
	c->last = line;
}

/* One line of a log server's file: the record on its own, its place in its stick's chain later. */
static void check_server_line(struct auditlog_check *c, struct auditlog_line *l)
{
	const char *why, *stick, *key;
	size_t line = l->lineno;
	int sig;

	if (l->kind == AUDITLOG_OTHER) {
		c->other++;
		return;
	}
	if (!l->terminated) {
		bad(c, l, line, "line %zu: incomplete last line (the file was cut short, or the "
		    "server is writing it)", line);
		return;
	}
	if (l->kind != AUDITLOG_RECORD) {
		bad(c, l, line, "line %zu: not a record: %s", line, l->kind == AUDITLOG_MERGED ?
		    "a merged line" : l->why);
		return;
	}
	c->records++;
	sig = auditlog_sign_check(l->record, l->reclen, l->j, c->keys, c->nkeys, &why);
	l->sig = sig;
	l->sig_key = key = get_str(l->j, "sig_key");
	if (sig < 0) {
		bad(c, l, line, "line %zu: %s", line, why);
		return;
	}
	if (c->nkeys && sig == 0) {
		bad(c, l, line, "line %zu: not signed (with --pubkey every record a log server "
		    "received must be signed: anyone who reaches the server can send one)", line);
		return;
	}
	count_sig(c, sig, key);
	stick = get_str(l->j, "stick");
	if (l->seq < 1 || (!stick && !is_hex64(key))) {
		c->alone++;
		return;
	}
	{
		struct check_link e;
		char *g;

		memset(&e, 0, sizeof(e));
		if (asprintf(&g, "%s\n%s", stick ? stick : "", is_hex64(key) ? key : "") < 0 ||
		    !(e.group = intern(c, g))) {
			free(g);
			c->alone++;
			return;
		}
		free(g);
		unhex(l->sha256, e.sha);
		unhex(get_str(l->j, "prev"), e.prev);
		e.seq = l->seq;
		e.line = line;
		if (c->nlink == c->linkroom) {
			size_t room = c->linkroom ? 2 * c->linkroom : 256;
			struct check_link *grown = realloc(c->link, room * sizeof(*grown));

			if (!grown) {
				c->alone++;
				return;
			}
			c->link = grown;
			c->linkroom = room;
		}
		c->link[c->nlink++] = e;
	}
}

void auditlog_check_line(struct auditlog_check *c, struct auditlog_line *l)
{
	l->sig = AUDITLOG_SIG_NONE;
	l->sig_key = NULL;
	l->problem = NULL;
	if (c->ended)
		return;
	if (c->form == AUDITLOG_FORM_SYSLOG)
		check_server_line(c, l);
	else if (!c->failed)
		check_chain_line(c, l);
	else
		c->records += l->kind == AUDITLOG_RECORD || l->kind == AUDITLOG_MERGED;
}

static int by_link(const void *a, const void *b)
{
	const struct check_link *x = a, *y = b;
	int k = strcmp(x->group, y->group);

	if (k)
		return k;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* "stick "NAME", key 1a2b3c4d5e6f" for a chain's group */
static void group_name(const char *group, char *out, size_t len)
{
	const char *nl = strchr(group, '\n');
	int n = (int)(nl - group);

	if (n && nl[1])
		snprintf(out, len, "stick \"%.*s\" key %.12s", n > 200 ? 200 : n, group, nl + 1);
	else if (n)
		snprintf(out, len, "stick \"%.*s\"", n > 200 ? 200 : n, group);
	else
		snprintf(out, len, "key %.12s", nl + 1);
}

/* Add "A-B" (or "A") to the list of ranges, shortened past its room. */
static void add_range(char *list, size_t len, long a, long b)
{
	size_t used = strlen(list);

	if (used + 40 >= len) {
		if (used + 4 < len && strcmp(list + used - 3, "..."))
			strcat(list, ", ...");
		return;
	}
	if (a == b)
		snprintf(list + used, len - used, "%s%ld", used ? ", " : "", a);
	else
		snprintf(list + used, len - used, "%s%ld-%ld", used ? ", " : "", a, b);
}

/* The records of each stick put in seq order: where they are consecutive, they must chain. */
static void check_links(struct auditlog_check *c)
{
	struct check_link *e = c->link;
	size_t n = c->nlink, chains = 0, chained = 0, missing = 0;
	unsigned char zeros[32] = { 0 };

	if (n)
		qsort(e, n, sizeof(*e), by_link);
	for (size_t g = 0; g < n;) {
		size_t end = g, twice = 0;
		char name[300], have[400] = "", lack[400] = "";
		long from;

		while (end < n && e[end].group == e[g].group)
			end++;
		group_name(e[g].group, name, sizeof(name));
		for (size_t i = g + 1; i < end; i++)
			if (e[i].seq == e[i - 1].seq && memcmp(e[i].sha, e[i - 1].sha, 32)) {
				warnf(c, "%s: lines %zu and %zu are both record %ld but differ: the "
				      "records of more than one log under one stick name; its chain not "
				      "checked (give each stick its own name: stick = in bootfix.conf)",
				      name, e[i - 1].line, e[i].line, e[i].seq);
				c->alone += end - g;
				goto next;
			}
		chains++;
		chained += end - g;
		if (e[g].seq == 1 && memcmp(e[g].prev, zeros, 32))
			bad(c, NULL, e[g].line, "line %zu: record 1 of %s does not begin a log (its "
			    "prev is not 64 zeros)", e[g].line, name);
		if (e[g].seq > 1) {
			add_range(lack, sizeof(lack), 1, e[g].seq - 1);
			missing += (size_t)e[g].seq - 1;
		}
		from = e[g].seq;
		for (size_t i = g + 1; i < end; i++) {
			if (e[i].seq == e[i - 1].seq) {
				twice++;
				continue;
			}
			if (e[i].seq == e[i - 1].seq + 1) {
				if (memcmp(e[i].prev, e[i - 1].sha, 32))
					bad(c, NULL, e[i].line, "line %zu: record %ld of %s does not "
					    "follow record %ld (line %zu): one of them was changed",
					    e[i].line, e[i].seq, name, e[i - 1].seq, e[i - 1].line);
				continue;
			}
			add_range(have, sizeof(have), from, e[i - 1].seq);
			add_range(lack, sizeof(lack), e[i - 1].seq + 1, e[i].seq - 1);
			missing += (size_t)(e[i].seq - e[i - 1].seq - 1);
			from = e[i].seq;
		}
		add_range(have, sizeof(have), from, e[end - 1].seq);
		/* a stick whose records are all there, once, goes without saying */
		if (lack[0] || twice)
			warnf(c, "%s: records %s%s%s%s%s", name, have,
			      lack[0] ? " (not in this file: " : "", lack, lack[0] ? ")" : "",
			      twice ? "; some received twice" : "");
next:
		g = end;
	}
	c->v.chains = chains;
	c->v.chained = chained;
	c->v.missing = missing;
}

int auditlog_check_end(struct auditlog_check *c)
{
	struct auditlog_verdict *v = &c->v;

	if (c->ended)
		return v->intact ? 0 : err_set("%s", v->why);
	c->ended = 1;
	if (c->form == AUDITLOG_FORM_SYSLOG) {
		check_links(c);
		warnf(c, "a log server's file: %zu record%s, each checked on its own; %zu in the "
		      "chains of %zu stick%s", c->records, c->records == 1 ? "" : "s", v->chained,
		      v->chains, v->chains == 1 ? "" : "s");
		if (c->alone)
			warnf(c, "%zu record%s not chained (no seq, or no stick name and no key, or "
			      "one stick name for several logs)", c->alone, c->alone == 1 ? "" : "s");
		if (c->other)
			warnf(c, "%zu syslog line%s not a record (skipped)", c->other,
			      c->other == 1 ? "" : "s");
		if (!c->nkeys && c->unchecked)
			warnf(c, "%zu signed record%s; signatures not checked (give --pubkey)",
			      c->unchecked, c->unchecked == 1 ? "" : "s");
		if (!c->records)
			warnf(c, "no records");
		goto out;
	}
	if (c->failed)
		goto out;
	if (c->junk) {
		bad(c, NULL, c->junk, "line %zu: not a record: %s", c->junk, c->junk_why);
		goto out;
	}
	if (c->nrec && !c->first_signed) {
		bad(c, NULL, c->unsigned_from, "line %zu: not signed (no record of the log is)",
		    c->unsigned_from);
		goto out;
	}
	if (c->unsigned_from == c->unsigned_to && c->unsigned_from)
		warnf(c, "line %zu not signed; the signed line %zu vouches for it through the chain",
		      c->unsigned_from, c->first_signed);
	else if (c->unsigned_from)
		warnf(c, "lines %zu-%zu not signed; the signed line %zu vouches for them through the "
		      "chain", c->unsigned_from, c->unsigned_to, c->first_signed);
	if (c->nsrc && check_sources(c) < 0)
		goto out;
	if ((c->seq > 0 || c->has_head) && check_head(c) < 0)
		goto out;
	if (!c->nkeys && c->nsigned)
		warnf(c, "%zu signed line%s; signatures not checked (give --pubkey)", c->nsigned,
		      c->nsigned == 1 ? "" : "s");
	if (c->seq == 0)
		warnf(c, "no records");
out:
	v->intact = !c->failed;
	v->form = c->form;
	if (c->failed) {
		memcpy(v->why, c->why, sizeof(v->why));
		v->bad_line = c->bad_line;
		if (c->form == AUDITLOG_FORM_SYSLOG && c->nbad > 1) {
			size_t used = strlen(v->why);

			snprintf(v->why + used, sizeof(v->why) - used, " (and %zu more bad line%s)",
				 c->nbad - 1, c->nbad == 2 ? "" : "s");
		}
	}
	v->nbad = c->nbad;
	v->records = c->form == AUDITLOG_FORM_SYSLOG || c->failed ? c->records : (size_t)c->seq;
	v->signed_good = c->good;
	v->signed_unchecked = c->unchecked;
	v->unsigned_records = c->nunsigned;
	memcpy(v->sig_key, c->sig_key, sizeof(v->sig_key));
	v->sig_keys = c->sig_keys;
	v->alone = c->alone;
	v->other = c->other;
	return v->intact ? 0 : err_set("%s", v->why);
}

void auditlog_check_free(struct auditlog_check *c)
{
	EVP_MD_CTX_free(c->junk_md);
	json_object_put(c->names);
	free(c->src);
	free(c->link);
	free(c->head);
	memset(c, 0, sizeof(*c));
}

/* ---- a log in memory ---- */

static size_t find_in_log(void *fctx, const char *sha, size_t skip)
{
	const struct auditlog *log = fctx;

	for (size_t k = 0; k < log->n; k++)
		if (k + 1 != skip && log->lines[k].kind != AUDITLOG_JUNK &&
		    !strcmp(sha, log->lines[k].sha256))
			return k + 1;
	return 0;
}

int auditlog_verify(const struct auditlog *log, EVP_PKEY *const *keys, size_t nkeys,
		    err_warn_fn warn, void *ctx, size_t *nrecords)
{
	struct auditlog_check c;
	int rc;

	if (auditlog_check_init(&c, log->name, keys, nkeys, warn, ctx, log->head,
				log->headlen) < 0)
		return -1;
	c.form = log->form;
	c.find = find_in_log;
	c.fctx = (void *)log;
	for (size_t i = 0; i < log->n; i++) {
		struct auditlog_line l = log->lines[i];

		auditlog_check_line(&c, &l);
	}
	rc = auditlog_check_end(&c);
	if (rc == 0 && nrecords)
		*nrecords = c.v.records;
	auditlog_check_free(&c);
	return rc;
}
