/*
 * reportcmd.c - `bootfix log report`: read each log line by line, check it
 * as `log verify` does, feed its records to the report (logreport.c) and
 * write the page.  Memory holds the report's aggregates and a few lines,
 * never a log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "auditlog.h"
#include "err.h"
#include "front.h"
#include "logreport.h"
#include "reportcmd.h"
#include "sha256.h"
#include "text.h"

static const struct option report_opts[] = {
	{ "pubkey", required_argument, NULL, 'k' },
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* "FILE (SHA-256 of the raw public key)" of every key, "; "-joined, into *desc. */
static int load_keys(const struct front_args *a, EVP_PKEY ***keys, size_t *n, char **desc)
{
	const char *path;

	for (size_t i = 0; (path = front_arg_nth(a, 'k', i)); i++) {
		EVP_PKEY *k = auditlog_load_pubkey(path), **grown;
		unsigned char raw[32];
		size_t rawlen = sizeof(raw);
		char id[SHA256_HEX_LEN] = "?", *d;

		if (!k) {
			fprintf(stderr, "bootfix: %s\n", text_safe(err_msg()));
			return -1;
		}
		if (EVP_PKEY_get_raw_public_key(k, raw, &rawlen) == 1)
			sha256_hex(raw, rawlen, id);
		grown = realloc(*keys, (*n + 1) * sizeof(*grown));
		if (!grown || asprintf(&d, "%s%s%s (%s)", *desc ? *desc : "", *desc ? "; " : "",
				       path, id) < 0) {
			EVP_PKEY_free(k);
			fprintf(stderr, "bootfix: cannot load %s: out of memory\n", path);
			return -1;
		}
		*keys = grown;
		grown[(*n)++] = k;
		free(*desc);
		*desc = d;
	}
	return 0;
}

/* Whether out is one of the logs or their head files: --force must not replace a log. */
static int is_a_log(const char *out, int argc, char **argv)
{
	struct stat o, l;

	if (stat(out, &o) < 0)
		return 0;
	for (int i = 0; i < argc; i++) {
		char head[4096];

		snprintf(head, sizeof(head), "%s" AUDITLOG_HEAD_SUFFIX, argv[i]);
		if ((stat(argv[i], &l) == 0 && l.st_dev == o.st_dev && l.st_ino == o.st_ino) ||
		    (stat(head, &l) == 0 && l.st_dev == o.st_dev && l.st_ino == o.st_ino))
			return 1;
	}
	return 0;
}

/* A warning of the check (a torn record, unchecked signatures), said on stderr. */
static void warn_stderr(void *ctx, const char *msg)
{
	fprintf(stderr, "bootfix: warning: %s: %s\n", text_safe(ctx), text_safe(msg));
}

/*
 * Read a log line by line (a stick's log, a merged log or a log
 * server's file) from st, checked as `log verify` checks it, feeding each
 * record to r and then how it verified.  Memory holds a few lines, never
 * the file.  Returns 0, or -1 having said why on stderr.
 */
static int report_log(struct logreport *r, struct auditlog_stream *st, size_t nkeys,
		      const char *desc, long *records, int *bad)
{
	const char *path = auditlog_stream_name(st);
	struct auditlog_verdict v;
	struct auditlog_line l;
	struct logreport_source_info si = { .name = path, .keys = desc };
	int rc;

	while ((rc = auditlog_stream_next(st, &l)) > 0) {
		if ((l.kind != AUDITLOG_RECORD && l.kind != AUDITLOG_MERGED) || !l.row)
			continue;
		/* begun records too, superseded or not: the report pairs them itself */
		if (logreport_row(r, l.row, path) < 0) {
			fprintf(stderr, "bootfix: %s\n", err_msg());
			return -1;
		}
		(*records)++;
	}
	if (rc < 0) {
		fprintf(stderr, "bootfix: %s\n", text_safe(err_msg()));
		return -1;
	}
	si.intact = auditlog_stream_verdict(st, &v) == 0;
	if (!si.intact) {
		si.why = v.why;
		fprintf(stderr, "bootfix: warning: %s does not verify: %s\n", text_safe(path),
			text_safe(v.why));
		*bad = 1;
	}
	si.records = v.records;
	si.sigs_checked = si.intact && nkeys;
	si.server = v.form == AUDITLOG_FORM_SYSLOG;
	si.chains = v.chains;
	si.chained = v.chained;
	si.alone = v.alone;
	si.other = v.other;
	rc = logreport_source(r, &si);
	if (rc < 0)
		fprintf(stderr, "bootfix: %s\n", err_msg());
	return rc;
}

static int cmd_report(const struct front_verb *self, struct front_args *a)
{
	const char *out = front_arg(a, 'o');
	EVP_PKEY **keys = NULL;
	size_t nkeys = 0;
	char *desc = NULL;
	struct logreport *r = NULL;
	struct auditlog_stream **st = NULL;
	int rc = FRONT_EXIT_CANNOT, bad = 0, cannot = 0;
	long records = 0;

	if (!out)
		return front_usage(self);
	if (is_a_log(out, a->argc, a->argv)) {
		fprintf(stderr, "bootfix: refusing to write %s: it is one of the logs\n",
			text_safe(out));
		return FRONT_EXIT_CANNOT;
	}
	if (load_keys(a, &keys, &nkeys, &desc) < 0)
		goto out;
	if (!(r = logreport_new())) {
		fprintf(stderr, "bootfix: %s\n", err_msg());
		goto out;
	}
	/* every log opened first: one that cannot be is said before any is read */
	if (!(st = calloc((size_t)a->argc, sizeof(*st)))) {
		fprintf(stderr, "bootfix: cannot read logs: %s\n", err_cause(ENOMEM));
		goto out;
	}
	for (int f = 0; f < a->argc; f++)
		if (!(st[f] = auditlog_stream_open(a->argv[f], AUDITLOG_STREAM_ROWS, keys, nkeys,
						   warn_stderr, a->argv[f]))) {
			fprintf(stderr, "bootfix: %s\n", text_safe(err_msg()));
			cannot = 1;
		}
	if (cannot)
		goto out;
	/* the log reading below is all this front does; the page is logreport.c's */
	for (int f = 0; f < a->argc; f++) {
		if (report_log(r, st[f], nkeys, desc, &records, &bad) < 0)
			goto out;
		auditlog_stream_close(st[f]);
		st[f] = NULL;
	}
	if (logreport_write_path(r, out, front_arg(a, 'f') != NULL) < 0) {
		fprintf(stderr, "bootfix: %s\n", text_safe(err_msg()));
		goto out;
	}
	printf("%s: report of %ld record%s from %d log%s%s\n", text_safe(out), records,
	       records == 1 ? "" : "s", a->argc, a->argc == 1 ? "" : "s",
	       bad ? " (a log does not verify: the page says which)" : "");
	rc = bad ? FRONT_EXIT_NOT_DONE : FRONT_EXIT_OK;
out:
	for (int f = 0; st && f < a->argc; f++)
		auditlog_stream_close(st[f]);
	free(st);
	logreport_free(r);
	for (size_t i = 0; i < nkeys; i++)
		EVP_PKEY_free(keys[i]);
	free(keys);
	free(desc);
	return rc;
}

const struct front_verb reportcmd_verb = {
	.name = "report",
	.usage = "bootfix log report [--pubkey FILE]... [--force] -o OUT FILE...",
	.shortopts = "k:o:fh", .longopts = report_opts, .lower = 1, .upper = -1,
	.exec = cmd_report,
};
