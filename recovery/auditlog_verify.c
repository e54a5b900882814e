/*
 * auditlog_verify.c - checking a whole log as an auditor would: every line
 * a record or a torn tail a later record explains, the hash chain (seq and
 * prev), signatures from the first signed record on, the head file, and
 * in a merged log each source log's own chain.  The first thing wrong is
 * named with its line and what an auditor should look for.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog_internal.h"
#include "err.h"
#include "sha256.h"

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
			if (strcmp(e[i].prev, AUDITLOG_ZEROS) || strcmp(e[i].sha, e[i].log))
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
	e->sig = auditlog_sign_check(s, len, l->rec, keys, nkeys, &why);
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
	h = auditlog_read_json(log->head, len);
	hlog = get_str(h, "log");
	hsha = get_str(h, "sha256");
	if (!h || !json_object_is_type(h, json_type_object) || get_long(h, "seq", &hseq) < 0 ||
	    !is_hex64(hlog) || !is_hex64(hsha)) {
		json_object_put(h);
		return err_set("%s" AUDITLOG_HEAD_SUFFIX ": damaged", log->name);
	}
	sig = auditlog_sign_check(log->head, len, h, keys, nkeys, &why);
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
	char expect[65] = AUDITLOG_ZEROS, genesis[65] = "";
	size_t junk = (size_t)-1, last = (size_t)-1, nsrc = 0, nsigned = 0, nrec = 0;
	size_t first_signed = 0, unsigned_from = 0, unsigned_to = 0;
	struct srcent *src = calloc(log->n ? log->n : 1, sizeof(*src));
	long seq = 0;
	int rc = -1, last_signed = 0;

	if (!src)
		return err_set("cannot verify %s: %s", log->name, err_cause(ENOMEM));
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
		sig = auditlog_sign_check(log->buf + l->off, l->len, l->j, keys, nkeys, &why);
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
