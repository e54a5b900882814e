/*
 * auditlog_merge.c - one log from the logs of many sticks: every record
 * once, ordered by time, each embedded byte for byte with where it came
 * from, chained afresh, so each source chain can still be checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auditlog_internal.h"
#include "err.h"
#include "file.h"
#include "sha256.h"

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
	char prev[65] = AUDITLOG_ZEROS, genesis[65] = "", *base = NULL;
	int dirfd = -1, fd = -1;
	long rc = -1;

	if (!e)
		return err_set("cannot merge: %s", err_cause(ENOMEM));
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
	dirfd = file_open_parent(out, &base);
	if (dirfd >= 0)
		fd = file_open(dirfd, base, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		err_set("cannot create %s: %s", out, err_cause(errno));
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
		line = auditlog_sign_line(w, NULL);
		json_object_put(w);
		if (!line) {
			err_set("cannot write %s: %s", out, err_cause(ENOMEM));
			goto fail;
		}
		len = strlen(line);
		sha256_hex(line, len, prev);
		if (i == 0)
			memcpy(genesis, prev, sizeof(genesis));
		line[len] = '\n';
		if (file_writeall(fd, line, len + 1) < 0) {
			err_set("cannot write %s: %s", out, err_cause(errno));
			free(line);
			goto fail;
		}
		free(line);
	}
	if (fsync(fd) < 0 || file_sync_dir(dirfd) < 0) {
		err_set("cannot write %s: %s", out, err_cause(errno));
		goto fail;
	}
	if (kept && auditlog_append_head(dirfd, base, genesis, (long)kept, prev, NULL) < 0)
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
