/*
 * auditlog_read.c - reading a log (and its .head file) into lines, each
 * parsed and classified: a record, a merged line embedding one, or junk
 * (a torn write, damage, not JSON) with the reason.  Never fails on
 * content: judging the log is auditlog_verify.c's work.
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

struct json_object *auditlog_read_json(const char *s, size_t len)
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

enum auditlog_kind auditlog_read_classify(const char *s, size_t len, int embedded,
					  struct json_object **j, struct json_object **rec,
					  struct json_object **source, long *seq,
					  const char **why)
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
	if (s[0] != '{' || !(*j = auditlog_read_json(s, len)) ||
	    !json_object_is_type(*j, json_type_object)) {
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
		if (auditlog_read_classify(json_object_get_string(raw),
					   (size_t)json_object_get_string_len(raw), 1,
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
		return err_set("cannot read %s: %s", name, err_cause(ENOMEM));
	memcpy(log->buf, buf, len);
	log->buf[len] = '\0';
	log->len = len;
	if (head) {
		log->head = malloc(headlen + 1);
		if (!log->head)
			return err_set("cannot read %s: %s", name, err_cause(ENOMEM));
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
				return err_set("cannot read %s: %s", name, err_cause(ENOMEM));
			log->lines = grown;
		}
		l = &log->lines[log->n++];
		memset(l, 0, sizeof(*l));
		l->off = pos;
		l->len = nl ? (size_t)(nl - s) : len - pos;
		l->terminated = nl != NULL;
		sha256_hex(s, l->len, l->sha256);
		l->kind = auditlog_read_classify(s, l->len, 0, &l->j, &l->rec, &l->source,
						 &l->seq, &l->why);
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
		if (c && c[0] == ':' && c[1] == ' ')
			err_lower_first(c + 2);
		return err_set("%s", msg);
	}
	if (asprintf(&hpath, "%s" AUDITLOG_HEAD_SUFFIX, path) < 0) {
		free(buf);
		return err_set("cannot read %s: %s", path, err_cause(ENOMEM));
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
