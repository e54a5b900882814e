/*
 * fuzz_log.c - libFuzzer target for the audit log reader: logs come back
 * from sticks anyone could have edited, and auditors run bootfix log on
 * them, so parsing, verifying and reading records must survive anything.
 *   make fuzz-run-log FUZZ_SECONDS=60
 * The input is a log; when it holds a form feed, what follows is its head file.
 * Each line is also read the fast way (auditlog_scan.c: only the members
 * verify or a row needs), which must tell the same kind of line and give
 * the same row (what the report reads of it included) as reading it whole (also the row the scanner reads without
 * json-c); a difference aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog_internal.h"

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* What the report reads of two rows (logreport.c): the same? */
static int same_report(const struct auditlog_row *a, const struct auditlog_row *b)
{
	if (!same(a->stage, b->stage) || !same(a->run, b->run) || !same(a->sig_key, b->sig_key) ||
	    a->is_signed != b->is_signed || a->uptime_s != b->uptime_s ||
	    a->windows_volumes != b->windows_volumes || a->locked != b->locked ||
	    a->stuck_locked != b->stuck_locked || a->stuck_problem != b->stuck_problem ||
	    a->unknown != b->unknown || a->nfound != b->nfound || a->nkeys != b->nkeys)
		return 0;
	for (size_t i = 0; i < a->nfound; i++)
		if (!same(a->found[i].rule, b->found[i].rule) ||
		    a->found[i].faulty != b->found[i].faulty ||
		    a->found[i].unknown != b->found[i].unknown ||
		    a->found[i].quarantined != b->found[i].quarantined)
			return 0;
	for (size_t i = 0; i < a->nkeys; i++)
		if (!same(a->keys[i].key_id, b->keys[i].key_id) ||
		    !same(a->keys[i].device, b->keys[i].device) ||
		    !same(a->keys[i].source, b->keys[i].source))
			return 0;
	return 1;
}

/* Line l (read whole) read again with only what flags ask for: the same? */
static void fast_agrees(const struct auditlog_line *l, int flags)
{
	struct json_object *j, *rec, *source;
	const char *why;
	long seq;
	enum auditlog_kind k;

	if (!l->text || (l->kind != AUDITLOG_JUNK && l->record != l->text))
		return;		/* syslog lines: their message is read the same way */
	k = auditlog_read_classify(l->text, l->len, flags, &j, &rec, &source, &seq, &why);
	if (k != l->kind || (k != AUDITLOG_JUNK && seq != l->seq))
		abort();
	if (k != AUDITLOG_JUNK && flags == CLASSIFY_ROW) {
		struct auditlog_row a, b;

		auditlog_row(rec, &a);
		auditlog_row(l->rec, &b);
		if (!same(a.computer, b.computer) || !same(a.outcome, b.outcome) ||
		    !same(a.time, b.time) || !same(a.product_serial, b.product_serial) ||
		    !same(a.windows, b.windows) || !same(a.key_ids, b.key_ids) ||
		    a.quarantined != b.quarantined || a.findings != b.findings ||
		    !same_report(&a, &b))
			abort();
		auditlog_row_free(&a);
		auditlog_row_free(&b);
	}
	if (rec != j)
		json_object_put(rec);
	json_object_put(j);
}

/* A record's row read by the scanner alone: the same as json-c's, or not given. */
static void row_agrees(const struct auditlog_line *l)
{
	struct auditlog_row a, b;

	if (l->kind != AUDITLOG_RECORD || auditlog_scan_row(l->record, l->reclen, &a) < 0)
		return;
	auditlog_row(l->rec, &b);
	if (!same(a.computer, b.computer) || !same(a.outcome, b.outcome) ||
	    !same(a.time, b.time) || !same(a.product_serial, b.product_serial) ||
	    !same(a.product_uuid, b.product_uuid) || !same(a.site, b.site) ||
	    !same(a.reason, b.reason) || !same(a.stick, b.stick) ||
	    !same(a.windows, b.windows) || !same(a.key_ids, b.key_ids) ||
	    a.quarantined != b.quarantined || a.findings != b.findings ||
	    a.faulty != b.faulty || a.volumes != b.volumes || a.duration_ms != b.duration_ms ||
	    !same_report(&a, &b))
		abort();
	auditlog_row_free(&a);
	auditlog_row_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *ff = memchr(buf, '\f', size);
	size_t len = ff ? (size_t)(ff - buf) : size;
	struct auditlog log;
	size_t n;

	if (auditlog_parse(&log, "fuzz.jsonl", buf, len, ff ? ff + 1 : NULL,
			   ff ? size - len - 1 : 0) == 0) {
		auditlog_verify(&log, NULL, 0, ignore, NULL, &n);
		for (size_t i = 0; i < log.n; i++) {
			if (log.lines[i].rec) {
				struct auditlog_row row;

				auditlog_row(log.lines[i].rec, &row);
				auditlog_row_free(&row);
			}
			if (log.form == AUDITLOG_FORM_JSONL) {
				fast_agrees(&log.lines[i], CLASSIFY_ROW);
				fast_agrees(&log.lines[i], CLASSIFY_CHAIN);
				row_agrees(&log.lines[i]);
			}
		}
	}
	auditlog_free(&log);
	return 0;
}
