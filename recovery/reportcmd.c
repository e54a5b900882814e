/*
 * reportcmd.c - `bootfix log report`: read each log, check it as `log
 * verify` does, feed its records to the report (logreport.c) and write the
 * page.  One log is in memory at a time.
 */
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

static int cmd_report(const struct front_verb *self, struct front_args *a)
{
	const char *out = front_arg(a, 'o');
	EVP_PKEY **keys = NULL;
	size_t nkeys = 0;
	char *desc = NULL;
	struct logreport *r = NULL;
	int rc = FRONT_EXIT_CANNOT, bad = 0;
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
	/* the log reading below is all this front does; the page is logreport.c's */
	for (int f = 0; f < a->argc; f++) {
		struct auditlog log;
		struct logreport_source_info si = { .name = a->argv[f], .keys = desc };
		size_t n = 0;

		if (auditlog_read(&log, a->argv[f]) < 0) {
			fprintf(stderr, "bootfix: %s\n", text_safe(err_msg()));
			auditlog_free(&log);
			goto out;
		}
		si.intact = auditlog_verify(&log, keys, nkeys, NULL, NULL, &n) == 0;
		if (!si.intact) {
			si.why = err_msg();
			fprintf(stderr, "bootfix: warning: %s does not verify: %s\n",
				text_safe(a->argv[f]), text_safe(si.why));
			bad = 1;
		}
		si.records = n;
		si.sigs_checked = si.intact && nkeys;
		if (logreport_source(r, &si) < 0) {
			fprintf(stderr, "bootfix: %s\n", err_msg());
			auditlog_free(&log);
			goto out;
		}
		for (size_t i = 0; i < log.n; i++) {
			if (log.lines[i].kind == AUDITLOG_JUNK || !log.lines[i].rec)
				continue;
			if (logreport_record(r, log.lines[i].rec, a->argv[f]) < 0) {
				fprintf(stderr, "bootfix: %s\n", err_msg());
				auditlog_free(&log);
				goto out;
			}
			records++;
		}
		auditlog_free(&log);
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
