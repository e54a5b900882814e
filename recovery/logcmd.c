/*
 * logcmd.c - `bootfix log VERB`, the auditors' tool (see logcmd.h,
 * docs/log.md).  The record the fronts write is record.c's.
 *
 * One table of verb entries (front.h) as in cli.c.  The verbs read logs
 * line by line (auditlog_stream_*(): memory holds a line and the chain's
 * state, so a log of any size is read), stick logs and log servers' files
 * alike.  Every verb opens all its files before it prints anything (a file
 * it cannot open is an error alone, not a table cut short), checks each as
 * it reads it, and says on stderr when one does not verify, but still
 * shows what it can: an auditor wants to see a damaged log too.  Only merge
 * holds whole logs (it orders every record by time).
 * Text from a record may come from a hostile volume (a computer name, a
 * file name): it is never printed raw to the terminal.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "auditlog.h"
#include "err.h"
#include "front.h"
#include "logcmd.h"
#include "reportcmd.h"
#include "text.h"


/* ---- reading logs ---- */

struct logs {
	struct auditlog *l;
	size_t n;
};

static void warn_stderr(void *ctx, const char *msg)
{
	fprintf(stderr, "bootfix: warning: %s: %s\n", text_safe(ctx), text_safe(msg));
}

static void free_logs(struct logs *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		auditlog_free(&ls->l[i]);
	free(ls->l);
	memset(ls, 0, sizeof(*ls));
}

/*
 * Read every file into memory before anything is printed (merge alone): a
 * file that cannot be read gives its error (one line on stderr each) and
 * no output at all.  Returns 0, or -1 with every log freed.
 */
static int read_logs(struct logs *ls, char **files, int n)
{
	int cannot = 0;

	memset(ls, 0, sizeof(*ls));
	ls->l = calloc(n > 0 ? (size_t)n : 1, sizeof(*ls->l));
	if (!ls->l) {
		fprintf(stderr, "bootfix: cannot read logs: %s\n", strerror(ENOMEM));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct auditlog *log = &ls->l[ls->n];

		if (auditlog_read(log, files[i]) < 0) {
			fprintf(stderr, "bootfix: %s\n", text_safe(err_msg()));
			auditlog_free(log);
			cannot = 1;
			continue;
		}
		ls->n++;
	}
	if (cannot) {
		free_logs(ls);
		return -1;
	}
	return 0;
}

/* Logs being read line by line. */
struct streams {
	struct auditlog_stream **s;
	size_t n;
};

static void close_streams(struct streams *ss)
{
	for (size_t i = 0; i < ss->n; i++)
		auditlog_stream_close(ss->s[i]);
	free(ss->s);
	memset(ss, 0, sizeof(*ss));
}

/*
 * Open every file before anything is printed: one that cannot be opened
 * gives its error (one line on stderr each) and no output at all.  flags,
 * keys and warn as auditlog_stream_open() (warn gets the file's name as ctx).
 * Returns 0, or -1 with every stream closed.
 */
static int open_streams(struct streams *ss, char **files, int n, unsigned flags,
			EVP_PKEY *const *keys, size_t nkeys, err_warn_fn warn)
{
	int cannot = 0;

	memset(ss, 0, sizeof(*ss));
	ss->s = calloc(n > 0 ? (size_t)n : 1, sizeof(*ss->s));
	if (!ss->s) {
		fprintf(stderr, "bootfix: cannot read logs: %s\n", strerror(ENOMEM));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct auditlog_stream *st = auditlog_stream_open(files[i], flags, keys, nkeys,
								  warn, files[i]);

		if (!st) {
			fprintf(stderr, "bootfix: %s\n", text_safe(err_msg()));
			cannot = 1;
			continue;
		}
		ss->s[ss->n++] = st;
	}
	if (cannot) {
		close_streams(ss);
		return -1;
	}
	return 0;
}

/*
 * The next line of log f; 1, or 0 at its end (having said on stderr when
 * it does not verify: the readers still show what they can), or -1 when
 * it cannot be read on (said).
 */
static int next_line(struct streams *ss, size_t f, struct auditlog_line *l)
{
	struct auditlog_verdict v;
	int rc = auditlog_stream_next(ss->s[f], l);

	if (rc < 0)
		fprintf(stderr, "bootfix: %s\n", text_safe(err_msg()));
	else if (rc == 0 && auditlog_stream_verdict(ss->s[f], &v) < 0)
		fprintf(stderr, "bootfix: warning: %s does not verify: %s (see 'bootfix log "
			"verify')\n", text_safe(auditlog_stream_name(ss->s[f])), text_safe(v.why));
	return rc;
}

/*
 * The row of line l: the one the stream read (AUDITLOG_STREAM_ROWS), or
 * read now into *tmp (give it to row_done() after).
 */
static const struct auditlog_row *row_of(const struct auditlog_line *l, struct auditlog_row *tmp)
{
	if (l->row)
		return l->row;
	auditlog_row(l->rec, tmp);
	return tmp;
}

static void row_done(const struct auditlog_line *l, struct auditlog_row *tmp)
{
	if (!l->row)
		auditlog_row_free(tmp);
}

/* A record that list, export, summary and keys-used show. */
static int shown(const struct auditlog_line *l)
{
	return (l->kind == AUDITLOG_RECORD || l->kind == AUDITLOG_MERGED) && !l->superseded;
}

/* ---- text for people ---- */

/*
 * A copy of s safe for a terminal: C0 and C1 control characters (escape
 * sequences planted in a computer name) and bad UTF-8 become '?'.
 */
static char *clean(const char *s)
{
	/* record text is hostile: controls and bidi overrides shown escaped */
	return strdup(s && *s ? text_safe(s) : "-");
}

/* Columns a (clean) string takes on a terminal. */
static size_t width(const char *s)
{
	size_t w = 0, n = strlen(s);
	mbstate_t st;

	/* ASCII (cleaned: no controls) is one column a byte; most cells are */
	while (w < n && !((unsigned char)s[w] & 0x80))
		w++;
	if (w == n)
		return n;
	w = 0;
	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < n;) {
		wchar_t wc;
		size_t len = mbrtowc(&wc, s + i, n - i, &st);
		int cw;

		if (len == (size_t)-1 || len == (size_t)-2 || len == 0) {
			memset(&st, 0, sizeof(st));
			len = 1;
			cw = 1;
		} else {
			cw = wcwidth(wc);
		}
		w += cw > 0 ? (size_t)cw : 0;
		i += len;
	}
	return w;
}

struct table {
	size_t cols, rows, room;
	char **row;		/* each row's cleaned cells, one after the other, NUL-ended */
};

static void table_add(struct table *t, const char *const *cells)
{
	size_t len = 0, at = 0;
	char *clean_cells[16], *row;

	if (t->rows == t->room) {
		size_t room = t->room ? 2 * t->room : 64;
		char **grown = realloc(t->row, room * sizeof(*grown));

		if (!grown)
			return;
		t->row = grown;
		t->room = room;
	}
	for (size_t c = 0; c < t->cols; c++) {
		clean_cells[c] = clean(cells[c]);
		len += (clean_cells[c] ? strlen(clean_cells[c]) : 1) + 1;
	}
	row = malloc(len);
	for (size_t c = 0; c < t->cols; c++) {
		const char *x = clean_cells[c] ? clean_cells[c] : "?";

		if (row) {
			strcpy(row + at, x);
			at += strlen(x) + 1;
		}
		free(clean_cells[c]);
	}
	if (row)
		t->row[t->rows++] = row;
}

static void table_print(struct table *t)
{
	size_t *w = calloc(t->cols, sizeof(*w));

	for (size_t r = 0; w && r < t->rows; r++) {
		const char *s = t->row[r];

		for (size_t c = 0; c < t->cols; c++, s += strlen(s) + 1) {
			size_t cw = width(s);

			if (cw > w[c])
				w[c] = cw;
		}
	}
	for (size_t r = 0; w && r < t->rows; r++) {
		const char *s = t->row[r];

		for (size_t c = 0; c < t->cols; c++, s += strlen(s) + 1) {
			if (c + 1 == t->cols)
				printf("%s\n", s);
			else
				printf("%s%*s", s, (int)(w[c] - width(s) + 2), "");
		}
	}
	free(w);
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->rows; i++)
		free(t->row[i]);
	free(t->row);
	memset(t, 0, sizeof(*t));
}

/* "FILE:LINE" with several files, "LINE" with one. */
static void where(char *buf, size_t len, const struct streams *ss, size_t f, size_t line)
{
	if (ss->n > 1)
		snprintf(buf, len, "%s:%zu", auditlog_stream_name(ss->s[f]), line);
	else
		snprintf(buf, len, "%zu", line);
}

/* ---- verify ---- */

static int load_keys(const char *path, EVP_PKEY ***keys, size_t *n)
{
	EVP_PKEY *k = auditlog_load_pubkey(path), **grown;

	if (!k) {
		fprintf(stderr, "bootfix: %s\n", err_msg());
		return -1;
	}
	grown = realloc(*keys, (*n + 1) * sizeof(*grown));
	if (!grown) {
		EVP_PKEY_free(k);
		return -1;
	}
	*keys = grown;
	grown[(*n)++] = k;
	return 0;
}

static void free_keys(EVP_PKEY **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(keys[i]);
	free(keys);
}

static void warn_stdout(void *ctx, const char *msg)
{
	printf("%s: warning: %s\n", text_safe(ctx), text_safe(msg));
}

static const struct option verify_opts[] = {
	{ "pubkey", required_argument, NULL, 'k' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option merge_opts[] = {
	{ "pubkey", required_argument, NULL, 'k' },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Every --pubkey FILE given, into *keys; 0, or -1 (said, keys freed). */
static int pubkeys(const struct front_args *a, EVP_PKEY ***keys, size_t *nkeys)
{
	const char *path;

	for (size_t i = 0; (path = front_arg_nth(a, 'k', i)); i++)
		if (load_keys(path, keys, nkeys) < 0) {
			free_keys(*keys, *nkeys);
			*keys = NULL;
			*nkeys = 0;
			return -1;
		}
	return 0;
}

static int cmd_verify(const struct front_verb *self, struct front_args *a)
{
	EVP_PKEY **keys = NULL;
	size_t nkeys = 0;
	struct streams ss;
	int bad = 0, rc = 0;

	(void)self;
	if (pubkeys(a, &keys, &nkeys) < 0)
		return FRONT_EXIT_CANNOT;
	if (open_streams(&ss, a->argv, a->argc, AUDITLOG_STREAM_CHAIN, keys, nkeys,
			 warn_stdout) < 0) {
		free_keys(keys, nkeys);
		return FRONT_EXIT_CANNOT;
	}
	for (size_t i = 0; i < ss.n; i++) {
		const char *name = auditlog_stream_name(ss.s[i]);
		struct auditlog_verdict v;
		struct auditlog_line l;
		size_t n;

		while ((rc = auditlog_stream_next(ss.s[i], &l)) > 0)
			;
		if (rc < 0) {
			fprintf(stderr, "bootfix: %s\n", text_safe(err_msg()));
			rc = FRONT_EXIT_CANNOT;
			break;
		}
		if (auditlog_stream_verdict(ss.s[i], &v) < 0) {
			printf("%s: bad: %s\n", text_safe(name), text_safe(v.why));
			bad = 1;
			continue;
		}
		n = v.records;
		printf("%s: intact: %zu record%s%s%s\n", text_safe(name), n, n == 1 ? "" : "s",
		       v.form == AUDITLOG_FORM_SYSLOG ? " from a log server, each checked" : "",
		       nkeys ? ", signatures good" : "");
	}
	close_streams(&ss);
	free_keys(keys, nkeys);
	return rc ? rc : bad ? FRONT_EXIT_NOT_DONE : 0;
}

/* ---- list ---- */

static int cmd_list(const struct front_verb *self, struct front_args *a)
{
	struct table t = { .cols = 7 };
	struct streams ss;
	int rc = 0;

	(void)self;
	if (open_streams(&ss, a->argv, a->argc, AUDITLOG_STREAM_ROWS, NULL, 0, NULL) < 0)
		return FRONT_EXIT_CANNOT;
	table_add(&t, (const char *const[]){ ss.n > 1 ? "FILE:LINE" : "LINE", "TIME", "COMPUTER",
					    "SERIAL", "SITE", "ACTION", "OUTCOME" });
	for (size_t f = 0; f < ss.n && !rc; f++) {
		struct auditlog_line l;

		while ((rc = next_line(&ss, f, &l)) > 0) {
			struct auditlog_row tmp;
			const struct auditlog_row *r;
			char at[PATH_MAX + 32];

			if (!shown(&l))
				continue;
			r = row_of(&l, &tmp);
			where(at, sizeof(at), &ss, f, l.lineno);
			table_add(&t, (const char *const[]){ at, r->time, r->computer,
							    r->product_serial, r->site, r->action,
							    r->outcome });
			row_done(&l, &tmp);
		}
	}
	if (!rc)
		table_print(&t);
	table_free(&t);
	close_streams(&ss);
	return rc ? FRONT_EXIT_CANNOT : 0;
}

/* ---- show ---- */

static void show(const struct auditlog_line *l)
{
	struct json_object *o = l->rec;
	int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE;

	if (l->kind == AUDITLOG_MERGED) {
		o = json_object_new_object();
		json_object_object_add(o, "source", json_object_get(l->source));
		json_object_object_add(o, "record", json_object_get(l->rec));
	} else if (l->host) {
		/* a log server's line: when and from where the server got it */
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "time", json_object_new_string(l->stamp));
		json_object_object_add(r, "host", json_object_new_string(l->host));
		json_object_object_add(r, "tag", json_object_new_string(l->tag));
		o = json_object_new_object();
		json_object_object_add(o, "received", r);
		json_object_object_add(o, "record", json_object_get(l->rec));
	}
	{
		/* escaped line by line: the layout's newlines stay, a record's bidi
		   overrides show as \u202e (json-c escaped the controls already) */
		char *text = strdup(json_object_to_json_string_ext(o, flags)), *line, *nl;

		for (line = text; line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			puts(text_safe(line));
		}
		free(text);
	}
	if (o != l->rec)
		json_object_put(o);
}

static int matches(struct json_object *rec, const char *serial, const char *computer)
{
	struct json_object *m, *vols, *v;

	if (serial) {
		const char *keys[] = { "product_serial", "board_serial" };

		if (!json_object_object_get_ex(rec, "machine", &m))
			return 0;
		for (size_t i = 0; i < 2; i++)
			if (json_object_object_get_ex(m, keys[i], &v) &&
			    json_object_is_type(v, json_type_string) &&
			    !strcasecmp(json_object_get_string(v), serial))
				return 1;
		return 0;
	}
	if (!json_object_object_get_ex(rec, "volumes", &vols) ||
	    !json_object_is_type(vols, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(vols); i++) {
		struct json_object *x = json_object_array_get_idx(vols, i);

		if (json_object_is_type(x, json_type_object) &&
		    json_object_object_get_ex(x, "computer_name", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    !strcasecmp(json_object_get_string(v), computer))
			return 1;
	}
	return 0;
}

static const struct option show_opts[] = {
	{ "serial", required_argument, NULL, 's' },
	{ "computer", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_show(const struct front_verb *self, struct front_args *a)
{
	const char *serial = front_arg(a, 's'), *computer = front_arg(a, 'c');
	struct streams ss;
	struct auditlog_line l;
	size_t found = 0;
	int rc = 0;

	if (serial && computer)
		return front_usage(self);
	if (!serial && !computer) {
		char *end;
		unsigned long n;
		size_t lines = 0;

		if (a->argc != 2)
			return front_usage(self);
		errno = 0;
		n = strtoul(a->argv[1], &end, 10);
		if (*end || !*a->argv[1] || errno || n == 0)
			return front_usage(self);
		if (open_streams(&ss, a->argv, 1, 0, NULL, 0, NULL) < 0)
			return FRONT_EXIT_CANNOT;
		while ((rc = next_line(&ss, 0, &l)) > 0 && ++lines < n)
			;
		if (rc < 0) {
			rc = FRONT_EXIT_CANNOT;
		} else if (rc == 0) {
			fprintf(stderr, "bootfix: %s has no line %lu (it has %zu)\n",
				text_safe(auditlog_stream_name(ss.s[0])), n, lines);
			rc = FRONT_EXIT_NOT_DONE;
		} else if (l.kind != AUDITLOG_RECORD && l.kind != AUDITLOG_MERGED) {
			fprintf(stderr, "bootfix: line %lu of %s is not a record: %s\n", n,
				text_safe(auditlog_stream_name(ss.s[0])),
				l.kind == AUDITLOG_OTHER ? "a syslog line of another program" : l.why);
			rc = FRONT_EXIT_NOT_DONE;
		} else {
			show(&l);
			rc = 0;
		}
		close_streams(&ss);
		return rc;
	}
	if (open_streams(&ss, a->argv, a->argc, 0, NULL, 0, NULL) < 0)
		return FRONT_EXIT_CANNOT;
	for (size_t f = 0; f < ss.n && !rc; f++)
		while ((rc = next_line(&ss, f, &l)) > 0)
			if (shown(&l) && matches(l.rec, serial, computer)) {
				show(&l);
				found++;
			}
	if (!found && !rc)
		fprintf(stderr, "bootfix: no record with %s '%s'\n", serial ? "serial" : "computer",
			text_safe(serial ? serial : computer));
	close_streams(&ss);
	return rc ? FRONT_EXIT_CANNOT : !found ? FRONT_EXIT_NOT_DONE : 0;
}

/* ---- export ---- */

/*
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF,
 * quotes doubled.  Text that Excel would run as a formula (=, +, -, @ first)
 * gets a leading apostrophe: names come from machines we do not trust.
 */
static void csv_field(const char *s, int last)
{
	int quote, formula;

	s = s ? s : "";
	quote = strpbrk(s, ",\"\r\n") != NULL;
	formula = strchr("=+-@\t\r", s[0]) && s[0];
	if (quote || formula)
		putchar_unlocked('"');
	if (formula)
		putchar_unlocked('\'');
	/* spans between quotes written whole: a record has many fields, an export many records */
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		fwrite_unlocked(s, 1, (size_t)(q - s) + 1, stdout);
		putchar_unlocked('"');
	}
	fputs_unlocked(s, stdout);
	if (quote || formula)
		putchar_unlocked('"');
	fputs_unlocked(last ? "\r\n" : ",", stdout);
}

static void csv_num(long n, int last)
{
	char buf[32];

	if (n < 0)
		buf[0] = '\0';
	else
		snprintf(buf, sizeof(buf), "%ld", n);
	csv_field(buf, last);
}

static const char *const csv_header[] = {
	"file", "line", "source_file", "source_line", "time", "action", "mode", "operator",
	"site", "stick", "computer_name", "windows", "sys_vendor", "product_name",
	"product_serial", "product_uuid", "volumes", "findings", "faulty", "quarantined",
	"outcome", "reason", "bitlocker_key_ids", "duration_ms", "sha256",
};

static const struct option export_opts[] = {
	{ "csv", no_argument, NULL, 'C' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_export(const struct front_verb *self, struct front_args *a)
{
	struct streams ss;
	size_t nh = sizeof(csv_header) / sizeof(csv_header[0]);
	int rc = 0;

	if (!front_arg(a, 'C'))		/* the one format there is, named all the same */
		return front_usage(self);
	if (open_streams(&ss, a->argv, a->argc, AUDITLOG_STREAM_ROWS, NULL, 0, NULL) < 0)
		return FRONT_EXIT_CANNOT;
	fputs("\xef\xbb\xbf", stdout);	/* UTF-8 BOM: Excel then reads non-ASCII right */
	for (size_t i = 0; i < nh; i++)
		csv_field(csv_header[i], i + 1 == nh);
	for (size_t f = 0; f < ss.n && !rc; f++) {
		struct auditlog_line line, *l = &line;

		while ((rc = next_line(&ss, f, &line)) > 0) {
			struct json_object *sf = NULL, *sl = NULL;
			struct auditlog_row tmp;
			const struct auditlog_row *r;

			if (!shown(l))
				continue;
			r = row_of(l, &tmp);
			if (l->source) {
				json_object_object_get_ex(l->source, "file", &sf);
				json_object_object_get_ex(l->source, "line", &sl);
			}
			csv_field(auditlog_stream_name(ss.s[f]), 0);
			csv_num((long)l->lineno, 0);
			csv_field(sf ? json_object_get_string(sf) : NULL, 0);
			csv_num(sl ? (long)json_object_get_int64(sl) : -1, 0);
			csv_field(r->time, 0);
			csv_field(r->action, 0);
			csv_field(r->mode, 0);
			csv_field(r->operator_name, 0);
			csv_field(r->site, 0);
			csv_field(r->stick, 0);
			csv_field(r->computer, 0);
			csv_field(r->windows, 0);
			csv_field(r->sys_vendor, 0);
			csv_field(r->product_name, 0);
			csv_field(r->product_serial, 0);
			csv_field(r->product_uuid, 0);
			csv_num(r->volumes, 0);
			csv_num(r->findings, 0);
			csv_num(r->faulty, 0);
			csv_num(r->quarantined, 0);
			csv_field(r->outcome, 0);
			csv_field(r->reason, 0);
			csv_field(r->key_ids, 0);
			csv_num(r->duration_ms, 0);
			csv_field(l->sha256, 1);
			row_done(l, &tmp);
		}
	}
	if (fflush(stdout) != 0)
		rc = -1;
	close_streams(&ss);
	return rc ? FRONT_EXIT_CANNOT : 0;
}

/* ---- merge ---- */

static int cmd_merge(const struct front_verb *self, struct front_args *a)
{
	EVP_PKEY **keys = NULL;
	size_t nkeys = 0;
	const char *out = front_arg(a, 'o');
	struct auditlog **logs = NULL;
	struct logs ls = { 0 };
	int rc = FRONT_EXIT_NOT_DONE, bad = 0;
	long n;

	if (!out)
		return front_usage(self);
	if (pubkeys(a, &keys, &nkeys) < 0)
		return FRONT_EXIT_CANNOT;
	if (read_logs(&ls, a->argv, a->argc) < 0) {
		rc = FRONT_EXIT_CANNOT;
		goto out;
	}
	logs = calloc(ls.n, sizeof(*logs));
	for (size_t i = 0; logs && i < ls.n; i++) {
		logs[i] = &ls.l[i];
		if (ls.l[i].form == AUDITLOG_FORM_SYSLOG) {
			fprintf(stderr, "bootfix: cannot merge %s: it is a log server's file (records "
				"of many sticks, not one chain); list, export and summary read it as "
				"it is\n", text_safe(ls.l[i].name));
			bad = 1;
			continue;
		}
		if (auditlog_verify(&ls.l[i], keys, nkeys, warn_stderr, ls.l[i].name, NULL) < 0) {
			fprintf(stderr, "bootfix: cannot merge %s: it does not verify: %s\n",
				ls.l[i].name, err_msg());
			bad = 1;
		}
	}
	if (!logs || bad)
		goto out;
	n = auditlog_merge(logs, ls.n, out);
	if (n < 0) {
		fprintf(stderr, "bootfix: %s\n", err_msg());
		rc = FRONT_EXIT_CANNOT;
		goto out;
	}
	printf("%s: %ld record%s from %zu log%s\n", out, n, n == 1 ? "" : "s", ls.n,
	       ls.n == 1 ? "" : "s");
	rc = 0;
out:
	free(logs);
	free_logs(&ls);
	free_keys(keys, nkeys);
	return rc;
}

/* ---- summary ---- */

/* Names counted: a map from name to count, in the order first counted. */
struct counter {
	struct json_object *map;
};

static void count(struct counter *c, const char *name)
{
	struct json_object *v;

	name = name && *name ? name : "(none)";
	if (!c->map && !(c->map = json_object_new_object()))
		return;
	if (json_object_object_get_ex(c->map, name, &v))
		json_object_int_inc(v, 1);
	else
		json_object_object_add(c->map, name, json_object_new_int64(1));
}

struct tally {
	const char *name;
	long n;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct tally *)a)->name, ((const struct tally *)b)->name);
}

static int by_count(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	return x->n != y->n ? (x->n > y->n ? -1 : 1) : strcmp(x->name, y->name);
}

/*
 * Print "  NAME  COUNT" lines: in the order counted (order NULL), or
 * sorted (by name for days, by count, biggest first).
 */
static void print_counter(const char *title, struct counter *c,
			  int (*order)(const void *, const void *))
{
	struct table t = { .cols = 2 };
	size_t n = c->map ? (size_t)json_object_object_length(c->map) : 0, k = 0;
	struct tally *e = calloc(n ? n : 1, sizeof(*e));

	printf("%s\n", title);
	if (e && c->map) {
		json_object_object_foreach(c->map, name, v) {
			e[k].name = name;
			e[k++].n = (long)json_object_get_int64(v);
		}
	}
	if (e && order)
		qsort(e, k, sizeof(*e), order);
	for (size_t i = 0; e && i < k; i++) {
		char num[32], label[256];

		snprintf(num, sizeof(num), "%ld", e[i].n);
		snprintf(label, sizeof(label), "  %s", e[i].name);
		table_add(&t, (const char *const[]){ label, num });
	}
	table_print(&t);
	table_free(&t);
	free(e);
	json_object_put(c->map);
	c->map = NULL;
}

/* Count each of names[] at 0: they show, in this order, even when none is counted. */
static void count_zero(struct counter *c, const char *const *names, size_t n)
{
	if (!c->map && !(c->map = json_object_new_object()))
		return;
	for (size_t i = 0; i < n; i++)
		json_object_object_add(c->map, names[i], json_object_new_int64(0));
}

/*
 * Distinct machines, told apart by 128 bits of hash of their name (two
 * 64-bit FNV-1a): a few MB for hundreds of thousands of machines, where a
 * map of names would hold every name.
 */
struct idset {
	uint64_t (*slot)[2];
	size_t cap, n;
};

static void idset_add(struct idset *set, const char *s)
{
	uint64_t a = 14695981039346656037ULL, b = 1099511628211ULL * 31 + 7;
	size_t i;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		a = (a ^ *p) * 1099511628211ULL;
		b = (b ^ *p) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
	}
	a |= 1;		/* 0 marks an empty slot */
	if (2 * (set->n + 1) > set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 1024;
		uint64_t (*grown)[2] = calloc(cap, sizeof(*grown));

		if (!grown)
			return;
		for (size_t k = 0; k < set->cap; k++) {
			if (!set->slot[k][0])
				continue;
			for (i = set->slot[k][0] % cap; grown[i][0]; i = (i + 1) % cap)
				;
			grown[i][0] = set->slot[k][0];
			grown[i][1] = set->slot[k][1];
		}
		free(set->slot);
		set->slot = grown;
		set->cap = cap;
	}
	for (i = a % set->cap; set->slot[i][0]; i = (i + 1) % set->cap)
		if (set->slot[i][0] == a && set->slot[i][1] == b)
			return;
	set->slot[i][0] = a;
	set->slot[i][1] = b;
	set->n++;
}

static int cmd_summary(const struct front_verb *self, struct front_args *a)
{
	static const char *const actions[] = { "fix", "restore" };
	static const char *const outcomes[] = { "fixed", "restored", "left", "nothing-to-fix",
						"refused", "failed" };
	struct counter action = { 0 }, outcome = { 0 }, site = { 0 }, day = { 0 };
	struct idset machines = { 0 };
	struct streams ss;
	long records = 0;
	int rc = 0;

	(void)self;
	if (open_streams(&ss, a->argv, a->argc, AUDITLOG_STREAM_ROWS, NULL, 0, NULL) < 0)
		return FRONT_EXIT_CANNOT;
	count_zero(&action, actions, sizeof(actions) / sizeof(actions[0]));
	count_zero(&outcome, outcomes, sizeof(outcomes) / sizeof(outcomes[0]));
	for (size_t f = 0; f < ss.n && !rc; f++) {
		struct auditlog_line l;

		while ((rc = next_line(&ss, f, &l)) > 0) {
			struct auditlog_row tmp;
			const struct auditlog_row *r;
			const char *id;
			char d[16];

			if (!shown(&l))
				continue;
			r = row_of(&l, &tmp);
			records++;
			count(&action, r->action);
			/* a restore is counted as restored, never as fixed (auditlog_row) */
			count(&outcome, r->outcome);
			count(&site, r->site);
			snprintf(d, sizeof(d), "%.10s", r->time ? r->time : "(none)");
			count(&day, d);
			id = r->product_uuid ? r->product_uuid : r->product_serial ? r->product_serial :
			     r->computer;
			idset_add(&machines, id && *id ? id : "(none)");
			row_done(&l, &tmp);
		}
	}
	if (!rc) {
		printf("records   %ld\nmachines  %zu\n", records, machines.n);
		print_counter("action", &action, NULL);
		print_counter("outcome", &outcome, NULL);
		print_counter("site", &site, by_count);
		print_counter("day", &day, by_name);
	}
	json_object_put(action.map);
	json_object_put(outcome.map);
	json_object_put(site.map);
	json_object_put(day.map);
	free(machines.slot);
	close_streams(&ss);
	return rc ? FRONT_EXIT_CANNOT : 0;
}

/* ---- keys-used ---- */

static int cmd_keys(const struct front_verb *self, struct front_args *a)
{
	struct table t = { .cols = 7 };
	struct streams ss;
	size_t uses = 0;
	int rc = 0;

	(void)self;
	if (open_streams(&ss, a->argv, a->argc, 0, NULL, 0, NULL) < 0)
		return FRONT_EXIT_CANNOT;
	table_add(&t, (const char *const[]){ "KEY ID", "TIME", "COMPUTER", "SERIAL", "DEVICE",
					    "SOURCE", ss.n > 1 ? "FILE:LINE" : "LINE" });
	for (size_t f = 0; f < ss.n && !rc; f++) {
		struct auditlog_line l;

		while ((rc = next_line(&ss, f, &l)) > 0) {
			struct json_object *keys;
			struct auditlog_row r;
			char at[PATH_MAX + 32];

			if (!shown(&l) || !json_object_object_get_ex(l.rec, "bitlocker", &keys) ||
			    !json_object_is_type(keys, json_type_array))
				continue;
			auditlog_row(l.rec, &r);
			where(at, sizeof(at), &ss, f, l.lineno);
			for (size_t k = 0; k < json_object_array_length(keys); k++) {
				struct json_object *x = json_object_array_get_idx(keys, k), *id = NULL,
						   *dev = NULL, *src = NULL;

				if (!json_object_is_type(x, json_type_object) ||
				    !json_object_object_get_ex(x, "key_id", &id))
					continue;
				json_object_object_get_ex(x, "device", &dev);
				json_object_object_get_ex(x, "source", &src);
				table_add(&t, (const char *const[]){
					json_object_get_string(id), r.time, r.computer,
					r.product_serial, dev ? json_object_get_string(dev) : NULL,
					src ? json_object_get_string(src) : NULL, at });
				uses++;
			}
			auditlog_row_free(&r);
		}
	}
	if (rc)
		;
	else if (uses)
		table_print(&t);
	else
		fprintf(stderr, "bootfix: no BitLocker key was used in %s\n",
			ss.n == 1 ? text_safe(auditlog_stream_name(ss.s[0])) : "these logs");
	table_free(&t);
	close_streams(&ss);
	return rc ? FRONT_EXIT_CANNOT : 0;
}

/* ---- the verb table ---- */

static const struct option help_only[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct front_verb verify_verb = {
	.name = "verify", .usage = "bootfix log verify [--pubkey FILE]... FILE...",
	.shortopts = "k:h", .longopts = verify_opts, .lower = 1, .upper = -1,
	.exec = cmd_verify,
};

static const struct front_verb list_verb = {
	.name = "list", .usage = "bootfix log list FILE...",
	.shortopts = "h", .longopts = help_only, .lower = 1, .upper = -1,
	.exec = cmd_list,
};

static const struct front_verb show_verb = {
	.name = "show",
	.usage = "bootfix log show FILE N | --serial S FILE... | --computer NAME FILE...",
	.shortopts = "s:c:h", .longopts = show_opts, .lower = 1, .upper = -1,
	.exec = cmd_show,
};

static const struct front_verb export_verb = {
	.name = "export", .usage = "bootfix log export --csv FILE...",
	.shortopts = "h", .longopts = export_opts, .lower = 1, .upper = -1,
	.exec = cmd_export,
};

static const struct front_verb merge_verb = {
	.name = "merge", .usage = "bootfix log merge [--pubkey FILE]... -o OUT FILE...",
	.shortopts = "k:o:h", .longopts = merge_opts, .lower = 1, .upper = -1,
	.exec = cmd_merge,
};

static const struct front_verb summary_verb = {
	.name = "summary", .usage = "bootfix log summary FILE...",
	.shortopts = "h", .longopts = help_only, .lower = 1, .upper = -1,
	.exec = cmd_summary,
};

static const struct front_verb keys_verb = {
	.name = "keys-used", .usage = "bootfix log keys-used FILE...",
	.shortopts = "h", .longopts = help_only, .lower = 1, .upper = -1,
	.exec = cmd_keys,
};

static const struct front_verb *const logverbs[] = {
	&verify_verb, &list_verb, &show_verb, &export_verb, &merge_verb, &summary_verb,
	&keys_verb, &reportcmd_verb,
};

/* `bootfix log VERB ...`: a table of its own, run the same way as the top one. */
static int exec(const struct front_verb *self, struct front_args *a)
{
	size_t n = sizeof(logverbs) / sizeof(logverbs[0]);
	const struct front_verb *v;

	(void)self;
	if (a->argc < 1 || !strcmp(a->argv[0], "help") || !strcmp(a->argv[0], "--help") ||
	    !strcmp(a->argv[0], "-h")) {
		FILE *o = a->argc < 1 ? stderr : stdout;

		fprintf(o, "usage:\n");
		for (size_t i = 0; i < n; i++)
			fprintf(o, "  %s\n", logverbs[i]->usage);
		return a->argc < 1 ? FRONT_EXIT_USAGE : FRONT_EXIT_OK;
	}
	v = front_verb_find(logverbs, n, a->argv[0]);
	if (v)
		return front_verb_run(v, a->argc, a->argv);
	fprintf(stderr, "bootfix: unknown log verb '%s' (try 'bootfix log help')\n",
		text_safe(a->argv[0]));
	return FRONT_EXIT_USAGE;
}

const struct front_verb logcmd_verb = {
	.name = "log",
	.usage = "bootfix log verify|list|show|export|merge|summary|keys-used|report ...",
	.exec = exec,
};
