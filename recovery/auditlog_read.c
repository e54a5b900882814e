/*
 * auditlog_read.c - reading a log (and its .head file) into lines, each
 * parsed and classified: a record, a merged line embedding one, a log
 * server's syslog line whose message is a record, or junk (a torn write,
 * damage, not JSON) with the reason.  Two readers: the whole file in
 * memory (auditlog_read(), for the menu's log screen and merging), and a
 * stream that holds one line at a time (auditlog_stream_*(), for the
 * tools).  Never fails on content: judging the log is auditlog_verify.c's
 * work, which the stream calls as it reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>

#include "auditlog_internal.h"
#include "err.h"
#include "file.h"
#include "sha256.h"

/*
 * One tokener a thread, used again (a fresh one a line costs as much as
 * parsing a short line); freed when the thread ends.
 */
static pthread_key_t tokener_key;
static pthread_once_t tokener_once = PTHREAD_ONCE_INIT;

static void tokener_free(void *tok)
{
	json_tokener_free(tok);
}

static void tokener_init(void)
{
	pthread_key_create(&tokener_key, tokener_free);
}

struct json_object *auditlog_read_json(const char *s, size_t len)
{
	struct json_tokener *tokener;
	struct json_object *j;

	if (len > INT32_MAX)
		return NULL;
	pthread_once(&tokener_once, tokener_init);
	tokener = pthread_getspecific(tokener_key);
	if (!tokener) {
		if (!(tokener = json_tokener_new()))
			return NULL;
		pthread_setspecific(tokener_key, tokener);
	}
	json_tokener_reset(tokener);
	/* json-c's reset keeps a high surrogate a cut line left: it would pair
	   with a lone low one of this line (U+1F400 where U+FFFD belongs) */
	tokener->high_surrogate = 0;
	tokener->ucs_char = 0;
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT);
	j = json_tokener_parse_ex(tokener, s, (int)len);
	if (j && (json_tokener_get_error(tokener) != json_tokener_success ||
		  json_tokener_get_parse_end(tokener) != len)) {
		json_object_put(j);
		j = NULL;
	}
	return j;
}

enum auditlog_kind auditlog_read_classify(const char *s, size_t len, int flags,
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
	if (s[0] != '{' ||
	    !(*j = auditlog_scan_json(s, len, flags & CLASSIFY_ROW ? SCAN_ROW :
				      flags & CLASSIFY_CHAIN ? SCAN_CHAIN : SCAN_FULL)) ||
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
	*seq = 0;
	if ((flags & CLASSIFY_SERVER) && !json_object_object_get_ex(*j, "seq", NULL) &&
	    !json_object_object_get_ex(*j, "prev", NULL)) {
		/* a record sent by a machine without a stick: no chain */
	} else if (get_long(*j, "seq", seq) < 0 || *seq < 1 || !is_hex64(prev)) {
		*why = "no seq or prev member";
		goto junk;
	}
	kind = get_str(*j, "kind");
	if (!kind && !json_object_object_get_ex(*j, "kind", NULL)) {
		*rec = *j;
		return AUDITLOG_RECORD;
	}
	if ((flags & (CLASSIFY_EMBEDDED | CLASSIFY_SERVER)) || !kind || strcmp(kind, "merged")) {
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
					   (size_t)json_object_get_string_len(raw),
					   CLASSIFY_EMBEDDED | (flags & (CLASSIFY_ROW | CLASSIFY_CHAIN)),
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

/* ---- syslog lines ---- */

/* The token at s[*i] up to a space or the end; 0 when empty. */
static size_t token(const char *s, size_t len, size_t *i, const char **tok)
{
	size_t start = *i;

	while (*i < len && s[*i] != ' ')
		(*i)++;
	*tok = s + start;
	return *i - start;
}

static int space(const char *s, size_t len, size_t *i)
{
	if (*i >= len || s[*i] != ' ')
		return 0;
	(*i)++;
	return 1;
}

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The message after the tag: spaces and a BOM skipped. */
static void message(const char *s, size_t len, size_t i, struct syslog_parts *p)
{
	while (i < len && s[i] == ' ')
		i++;
	if (len - i >= 3 && !memcmp(s + i, "\xef\xbb\xbf", 3))
		i += 3;
	p->msg = i;
}

/* "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]" (RFC 5424) */
static int rfc5424(const char *s, size_t len, struct syslog_parts *p)
{
	size_t i = 1, n;
	const char *procid, *msgid;

	while (i < len && i < 4 && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 1 || i >= len || s[i] != '>' || i + 2 >= len || s[i + 1] != '1' || s[i + 2] != ' ')
		return 0;
	i += 3;
	if (!(p->stamplen = token(s, len, &i, &p->stamp)) || !space(s, len, &i) ||
	    !(p->hostlen = token(s, len, &i, &p->host)) || !space(s, len, &i) ||
	    !(p->taglen = token(s, len, &i, &p->tag)) || !space(s, len, &i) ||
	    !token(s, len, &i, &procid) || !space(s, len, &i) ||
	    !token(s, len, &i, &msgid) || !space(s, len, &i))
		return 0;
	if (i < len && s[i] == '-') {
		i++;
	} else {
		/* [id param="value" ...]... where a value may hold \" \\ \] */
		if (i >= len || s[i] != '[')
			return 0;
		while (i < len && s[i] == '[') {
			int quoted = 0;

			for (i++; i < len; i++) {
				if (quoted && s[i] == '\\') {
					i++;
					continue;
				}
				if (s[i] == '"')
					quoted = !quoted;
				else if (s[i] == ']' && !quoted)
					break;
			}
			if (i >= len)
				return 0;
			i++;
		}
	}
	n = i;
	if (n < len && s[n] != ' ')
		return 0;
	message(s, len, n, p);
	return 1;
}

int auditlog_read_syslog(const char *s, size_t len, struct syslog_parts *p)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	size_t i = 0;

	memset(p, 0, sizeof(*p));
	if (len && s[0] == '<')
		return rfc5424(s, len, p);
	if (len >= 20 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
	    digits(s + 8, 2) && s[10] == 'T') {
		/* RSYSLOG_FileFormat: 2026-12-01T20:37:22.123456+00:00 */
		p->stamplen = token(s, len, &i, &p->stamp);
	} else if (len >= 16) {
		/* RSYSLOG_TraditionalFileFormat: "Dec  1 20:37:22" */
		const char *m = memmem(months, sizeof(months) - 1, s, 3);

		if (!m || (m - months) % 3 || s[3] != ' ' || (s[4] != ' ' && !digits(s + 4, 1)) ||
		    !digits(s + 5, 1) || s[6] != ' ' || !digits(s + 7, 2) || s[9] != ':' ||
		    !digits(s + 10, 2) || s[12] != ':' || !digits(s + 13, 2))
			return 0;
		p->stamp = s;
		p->stamplen = 15;
		i = 15;
	} else {
		return 0;
	}
	if (!space(s, len, &i) || !(p->hostlen = token(s, len, &i, &p->host)) ||
	    !space(s, len, &i) || !(p->taglen = token(s, len, &i, &p->tag)))
		return 0;
	/* the tag is "APP[PID]:": the program's name is kept */
	p->taglen = strcspn(p->tag, "[: ") < p->taglen ? strcspn(p->tag, "[: ") : p->taglen;
	message(s, len, i, p);
	return 1;
}

enum auditlog_form auditlog_read_form(const char *s, size_t len)
{
	struct syslog_parts p;

	return len && s[0] != '{' && auditlog_read_syslog(s, len, &p) ? AUDITLOG_FORM_SYSLOG :
	       AUDITLOG_FORM_JSONL;
}

static const char *part(char *buf, const char *s, size_t n)
{
	if (n > 255)
		n = 255;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

void auditlog_read_line(struct auditlog_line *l, enum auditlog_form form, char parts[3][256],
			int mode)
{
	const char *s = l->text;
	size_t len = l->len;
	int flags = mode & (CLASSIFY_ROW | CLASSIFY_CHAIN);

	l->record = NULL;
	l->reclen = 0;
	l->stamp = l->host = l->tag = NULL;
	l->j = l->rec = l->source = NULL;
	l->seq = 0;
	l->why = NULL;
	l->superseded = 0;
	if (!s) {
		/* the stream hashed the bytes as they went by */
		l->kind = AUDITLOG_JUNK;
		l->why = "too long (more than 64 MiB)";
		return;
	}
	if (form == AUDITLOG_FORM_SYSLOG) {
		struct syslog_parts p;

		flags |= CLASSIFY_SERVER;
		if (len && s[0] != '{') {
			if (!auditlog_read_syslog(s, len, &p)) {
				sha256_hex(s, len, l->sha256);
				l->kind = AUDITLOG_JUNK;
				l->why = memchr(s, '\0', len) ? "holds a NUL byte" :
					 "not a syslog line";
				return;
			}
			l->stamp = part(parts[0], p.stamp, p.stamplen);
			l->host = part(parts[1], p.host, p.hostlen);
			l->tag = part(parts[2], p.tag, p.taglen);
			if (p.msg >= len || s[p.msg] != '{') {
				sha256_hex(s, len, l->sha256);
				l->kind = AUDITLOG_OTHER;
				return;
			}
			s += p.msg;
			len -= p.msg;
		}
	}
	sha256_hex(s, len, l->sha256);
	l->kind = auditlog_read_classify(s, len, flags, &l->j, &l->rec, &l->source, &l->seq,
					 &l->why);
	if (l->kind == AUDITLOG_JUNK && (flags & CLASSIFY_SERVER) && len && s[0] == '{' && !l->j &&
	    !strncmp(l->why, "not a JSON object", 17))
		l->why = "not a JSON object (damaged, or cut short by the sender or by the "
			 "server's maximum message size)";
	if (l->kind != AUDITLOG_JUNK) {
		l->record = s;
		l->reclen = len;
	}
}

/* ---- the whole log in memory ---- */

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
	{
		const char *nl = memchr(log->buf, '\n', len);

		log->form = auditlog_read_form(log->buf, nl ? (size_t)(nl - log->buf) : len);
	}
	while (pos < len) {
		const char *s = log->buf + pos, *nl = memchr(s, '\n', len - pos);
		struct auditlog_line *l;

		if (log->n == room) {
			struct auditlog_line *grown;
			char (*gp)[3][256];

			room = room ? 2 * room : 64;
			grown = realloc(log->lines, room * sizeof(*grown));
			if (!grown)
				return err_set("cannot read %s: %s", name, err_cause(ENOMEM));
			log->lines = grown;
			if (log->form == AUDITLOG_FORM_SYSLOG) {
				gp = realloc(log->parts, room * sizeof(*gp));
				if (!gp)
					return err_set("cannot read %s: %s", name, err_cause(ENOMEM));
				/* the lines point into parts: moved with it */
				for (size_t i = 0; i < log->n; i++) {
					struct auditlog_line *x = &log->lines[i];

					if (x->stamp) {
						x->stamp = gp[i][0];
						x->host = gp[i][1];
						x->tag = gp[i][2];
					}
				}
				log->parts = gp;
			}
		}
		l = &log->lines[log->n];
		memset(l, 0, sizeof(*l));
		l->off = pos;
		l->len = nl ? (size_t)(nl - s) : len - pos;
		l->lineno = log->n + 1;
		l->text = s;
		l->terminated = nl != NULL;
		auditlog_read_line(l, log->form, log->form == AUDITLOG_FORM_SYSLOG ?
				   log->parts[log->n] : NULL, 0);
		l->from = l->source && get_str(l->source, "file") ? get_str(l->source, "file") :
			  log->name;
		log->n++;
		pos += l->len + 1;
	}
	mark_superseded(log);
	return 0;
}

/* "cannot open FILE: No such file or directory": the cause said in lowercase */
static int lower_cause(const char *path)
{
	char msg[1024], *c;

	snprintf(msg, sizeof(msg), "%s", err_msg());
	c = strstr(msg, path);
	c = c ? c + strlen(path) : NULL;
	if (c && c[0] == ':' && c[1] == ' ')
		err_lower_first(c + 2);
	return err_set("%s", msg);
}

/* path.head's bytes (caller frees), "" when it is there but unreadable, NULL when absent. */
static char *read_head(const char *path, size_t *hlen)
{
	char *hpath, *head;

	*hlen = 0;
	if (asprintf(&hpath, "%s" AUDITLOG_HEAD_SUFFIX, path) < 0)
		return NULL;
	head = file_slurp(AT_FDCWD, hpath, 4096, hlen);
	if (!head) {
		/* absent is allowed (a warning); present but unreadable is damaged */
		int fd = file_open(AT_FDCWD, hpath, O_RDONLY | O_NONBLOCK, 0);

		if (fd >= 0 || errno != ENOENT)
			head = strdup("");
		if (fd >= 0)
			close(fd);
	}
	free(hpath);
	return head;
}

int auditlog_read(struct auditlog *log, const char *path)
{
	size_t len, hlen = 0;
	char *buf, *head;
	int rc;

	memset(log, 0, sizeof(*log));
	buf = file_slurp(AT_FDCWD, path, (size_t)AUDITLOG_MAX, &len);
	if (!buf)
		return lower_cause(path);
	head = read_head(path, &hlen);
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
	free(log->parts);
	free(log->buf);
	free(log->head);
	free(log->name);
	memset(log, 0, sizeof(*log));
}

/* ---- the stream ---- */

#define CHUNK (1024 * 1024)		/* read this much at a time */
#define HOLD_LINES 1024			/* how far a begun record waits for its final one */
#define HOLD_BYTES (4L * 1024 * 1024)
#define BATCH 256			/* lines read and parsed at a time */

/* A line read, kept until it is yielded and the call after. */
struct held {
	struct auditlog_line l;
	char *text;
	size_t room;			/* text's size: a held line is used again */
	char *problem;
	char parts[3][256];
	int begun;			/* a begun record, waiting for its final record */
	char *run;
	int toolong;			/* hashed as read, not kept */
	struct held *next;		/* in the stream's spares */
	struct auditlog_row row;	/* AUDITLOG_STREAM_ROWS: the record's row */
	struct json_object *rowdom;	/* what it points into, when json-c read it */
};

struct auditlog_stream {
	char *name;
	int fd;
	char *buf;			/* [pos, end) not yet split into lines */
	size_t cap, pos, end;
	off_t off;			/* the file offset of buf[pos] */
	int eof;			/* read() said so */
	int done;			/* every line was read and checked */
	size_t lineno;
	enum auditlog_form form;
	struct auditlog_check c;
	struct held **q;		/* read, not yet yielded */
	size_t qhead, nq, qroom, qbytes;	/* waiting: q[qhead, nq) */
	struct held *cur;		/* yielded last */
	struct held *spare;		/* lines to use again, with their text buffers */
	size_t nspare;
	int threads;			/* parse on two threads */
	int flags;			/* CLASSIFY_CHAIN or 0 */
	int rows;			/* AUDITLOG_STREAM_ROWS: each record's row too */
	EVP_MD_CTX *md;
};

static void held_free(struct held *h)
{
	if (!h)
		return;
	auditlog_row_free(&h->row);
	json_object_put(h->rowdom);
	if (h->l.rec != h->l.j)
		json_object_put(h->l.rec);
	json_object_put(h->l.j);
	free(h->text);
	free(h->problem);
	free(h->run);
	free(h);
}

/* Done with h: kept among the spares (its text buffer with it), or freed. */
static void held_done(struct auditlog_stream *st, struct held *h)
{
	char *text;
	size_t room;

	if (!h)
		return;
	if (st->nspare >= 2 * BATCH) {
		held_free(h);
		return;
	}
	if (h->l.rec != h->l.j)
		json_object_put(h->l.rec);
	json_object_put(h->l.j);
	free(h->problem);
	free(h->run);
	auditlog_row_free(&h->row);
	json_object_put(h->rowdom);
	text = h->text;
	room = h->room;
	memset(h, 0, sizeof(*h));
	h->text = text;
	h->room = room;
	h->next = st->spare;
	st->spare = h;
	st->nspare++;
}

/* Read more of the file into buf; 0, or -1 with err_set(). */
static int fill(struct auditlog_stream *st)
{
	ssize_t n;

	if (st->pos > 0) {
		memmove(st->buf, st->buf + st->pos, st->end - st->pos);
		st->end -= st->pos;
		st->pos = 0;
	}
	if (st->cap - st->end < CHUNK / 2) {
		/* room for the longest line kept and a chunk more, no more */
		size_t cap = st->cap * 2 < (size_t)AUDITLOG_LINE_MAX + 2 * CHUNK ? st->cap * 2 :
			     (size_t)AUDITLOG_LINE_MAX + 2 * CHUNK;
		char *grown = realloc(st->buf, cap);

		if (!grown)
			return err_set("cannot read %s: %s", st->name, err_cause(ENOMEM));
		st->buf = grown;
		st->cap = cap;
	}
	do
		n = read(st->fd, st->buf + st->end, st->cap - st->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_set("cannot read %s: %s", st->name, err_cause(errno));
	if (n == 0)
		st->eof = 1;
	st->end += (size_t)n;
	return 0;
}

/*
 * A line longer than AUDITLOG_LINE_MAX: hashed (and given to the checker,
 * which may need it for a torn tail) as it goes by, never kept.
 */
static int skip_long(struct auditlog_stream *st, struct held *h)
{
	unsigned char md[32];
	unsigned int mdlen;

	if (!st->md && !(st->md = EVP_MD_CTX_new()))
		return err_set("cannot read %s: %s", st->name, err_cause(ENOMEM));
	EVP_DigestInit_ex(st->md, EVP_sha256(), NULL);
	h->l.len = 0;
	for (;;) {
		char *nl = memchr(st->buf + st->pos, '\n', st->end - st->pos);
		size_t n = nl ? (size_t)(nl - st->buf) - st->pos : st->end - st->pos;

		EVP_DigestUpdate(st->md, st->buf + st->pos, n);
		auditlog_check_junk(&st->c, h->l.lineno, st->buf + st->pos, n);
		h->l.len += n;
		st->pos += n;
		if (nl) {
			st->pos++;
			h->l.terminated = 1;
			break;
		}
		if (st->eof)
			break;
		st->pos = st->end = 0;
		if (fill(st) < 0)
			return -1;
	}
	EVP_DigestFinal_ex(st->md, md, &mdlen);
	sha256_hex_digest(md, h->l.sha256);
	return 0;
}

/*
 * Split the next line off the file into *out (its text copied, or a line
 * too long hashed and skipped), not parsed yet.  Returns 1; 0 at the end
 * of the file; 2 when the next line is too long and !take_long (nothing
 * taken: the lines before it must be checked first, as its bytes go to the
 * checker as they are read); -1 with err_set().
 */
static int read_raw(struct auditlog_stream *st, struct held **out, int take_long)
{
	struct held *h;
	char *nl;
	size_t len;

	for (;;) {
		nl = memchr(st->buf + st->pos, '\n', st->end - st->pos);
		if (nl || st->eof || st->end - st->pos > (size_t)AUDITLOG_LINE_MAX)
			break;
		if (fill(st) < 0)
			return -1;
	}
	if (!nl && st->pos == st->end)
		return 0;
	len = nl ? (size_t)(nl - st->buf) - st->pos : st->end - st->pos;
	if (len > (size_t)AUDITLOG_LINE_MAX && !take_long)
		return 2;
	h = st->spare;
	if (h) {
		st->spare = h->next;
		st->nspare--;
	} else if (!(h = calloc(1, sizeof(*h)))) {
		return err_set("cannot read %s: %s", st->name, err_cause(ENOMEM));
	}
	h->next = NULL;
	h->l.lineno = ++st->lineno;
	h->l.off = (size_t)st->off;
	if (len > (size_t)AUDITLOG_LINE_MAX) {
		off_t before = st->off;

		h->l.text = NULL;
		h->toolong = 1;
		if (skip_long(st, h) < 0) {
			held_free(h);
			return -1;
		}
		st->off = before + (off_t)h->l.len + h->l.terminated;
		if (st->lineno == 1)
			st->form = AUDITLOG_FORM_JSONL;
	} else {
		if (h->room < len + 1) {
			size_t room = len + 1 > 4096 ? len + 1 : 4096;
			char *grown = realloc(h->text, room);

			if (!grown) {
				held_free(h);
				return err_set("cannot read %s: %s", st->name, err_cause(ENOMEM));
			}
			h->text = grown;
			h->room = room;
		}
		memcpy(h->text, st->buf + st->pos, len);
		h->text[len] = '\0';
		h->l.text = h->text;
		h->l.len = len;
		h->l.terminated = nl != NULL;
		st->pos += len + (nl != NULL);
		st->off += (off_t)(len + (nl != NULL));
		if (st->lineno == 1)
			st->form = auditlog_read_form(h->text, len);
	}
	*out = h;
	return 1;
}

struct part {
	struct held **h;
	size_t n;
	enum auditlog_form form;
	int flags;
	int rows;
};

/* The row of h's record: from the scanner, else from json-c. */
static void row_of(struct held *h)
{
	struct json_object *raw;
	const char *s;
	size_t len;

	if (h->l.kind == AUDITLOG_RECORD) {
		s = h->l.record;
		len = h->l.reclen;
	} else if (h->l.kind == AUDITLOG_MERGED &&
		   (raw = get_obj(h->l.j, "record", json_type_string))) {
		s = json_object_get_string(raw);
		len = (size_t)json_object_get_string_len(raw);
	} else {
		return;
	}
	if (auditlog_scan_row(s, len, &h->row) < 0) {
		h->rowdom = auditlog_scan_json(s, len, SCAN_ROW);
		auditlog_row(h->rowdom, &h->row);
	}
	h->l.row = &h->row;
}

static void *parse_part(void *arg)
{
	struct part *p = arg;

	for (size_t i = 0; i < p->n; i++) {
		auditlog_read_line(&p->h[i]->l, p->form, p->h[i]->parts,
				   p->rows ? CLASSIFY_CHAIN : p->flags);
		if (p->rows)
			row_of(p->h[i]);
	}
	return NULL;
}

/* Check a parsed line in file order and queue it. 0, or -1 with err_set(). */
static int settle(struct auditlog_stream *st, struct held *h)
{
	h->l.from = h->l.source && get_str(h->l.source, "file") ? get_str(h->l.source, "file") :
		    st->name;
	st->c.form = st->form;
	auditlog_check_line(&st->c, &h->l);
	if (h->l.problem && !(h->problem = strdup(h->l.problem))) {
		held_free(h);
		return err_set("cannot read %s: %s", st->name, err_cause(ENOMEM));
	}
	h->l.problem = h->problem;
	if (h->l.rec) {
		const char *run = get_str(h->l.rec, "run"), *stage = get_str(h->l.rec, "stage");

		if (run && stage && !strcmp(stage, "begun")) {
			h->begun = 1;
			h->run = strdup(run);
		}
		/* a final record: the begun records of its run waiting are superseded */
		for (size_t i = st->qhead; run && !stage && i < st->nq; i++)
			if (st->q[i]->begun && st->q[i]->run && !strcmp(st->q[i]->run, run)) {
				st->q[i]->l.superseded = 1;
				st->q[i]->begun = 0;
			}
	}
	if (st->nq == st->qroom && st->qhead) {
		memmove(st->q, st->q + st->qhead, (st->nq - st->qhead) * sizeof(*st->q));
		st->nq -= st->qhead;
		st->qhead = 0;
	}
	if (st->nq == st->qroom) {
		size_t room = st->qroom ? 2 * st->qroom : BATCH * 2;
		struct held **grown = realloc(st->q, room * sizeof(*grown));

		if (!grown) {
			held_free(h);
			return err_set("cannot read %s: %s", st->name, err_cause(ENOMEM));
		}
		st->q = grown;
		st->qroom = room;
	}
	st->q[st->nq++] = h;
	st->qbytes += h->l.len;
	return 0;
}

/*
 * Read up to BATCH lines, parse them (half of them on a second thread when
 * there is a second processor: parsing JSON is most of the work), then
 * check and queue them in file order.  Returns how many lines, 0 at the
 * end of the file, or -1 with err_set().
 */
static int read_batch(struct auditlog_stream *st)
{
	struct held *b[BATCH];
	size_t n = 0;
	int rc = 1;

	while (n < BATCH && (rc = read_raw(st, &b[n], n == 0)) == 1) {
		n++;
		if (b[n - 1]->toolong)
			break;
	}
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			held_free(b[i]);
		return -1;
	}
	if (n >= 64 && st->threads) {
		struct part other = { b, n / 2, st->form, st->flags, st->rows };
		struct part mine = { b + n / 2, n - n / 2, st->form, st->flags, st->rows };
		pthread_t t;

		if (pthread_create(&t, NULL, parse_part, &other) == 0) {
			parse_part(&mine);
			pthread_join(t, NULL);
		} else {
			parse_part(&other);
			parse_part(&mine);
		}
	} else {
		struct part all = { b, n, st->form, st->flags, st->rows };

		parse_part(&all);
	}
	for (size_t i = 0; i < n; i++)
		if (settle(st, b[i]) < 0) {
			while (++i < n)
				held_free(b[i]);
			return -1;
		}
	return (int)n;
}

/*
 * A chain is broken at some line: which line's sha256 is its prev?  The
 * file is read again from the start (the stream keeps no hashes), only on
 * this error path.  0 when none (or the file cannot be read again).
 */
static size_t find_in_file(void *fctx, const char *sha, size_t skip)
{
	struct auditlog_stream *st = fctx;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int fd = file_open(AT_FDCWD, st->name, O_RDONLY | O_NONBLOCK, 0);
	size_t line = 1, found = 0;
	char buf[65536];
	ssize_t n;

	if (fd < 0 || !md)
		goto out;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (!found && (n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf, *end = buf + n; p < end && !found;) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			unsigned char d[32];
			unsigned int dlen;
			char hex[65];

			EVP_DigestUpdate(md, p, (size_t)((nl ? nl : end) - p));
			if (!nl)
				break;
			EVP_DigestFinal_ex(md, d, &dlen);
			sha256_hex_digest(d, hex);
			if (line != skip && !strcmp(hex, sha))
				found = line;
			line++;
			EVP_DigestInit_ex(md, EVP_sha256(), NULL);
			p = nl + 1;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	return found;
}

struct auditlog_stream *auditlog_stream_open(const char *path, unsigned flags,
					     EVP_PKEY *const *keys, size_t nkeys, err_warn_fn warn,
					     void *ctx)
{
	struct auditlog_stream *st = calloc(1, sizeof(*st));
	struct stat sb;
	char *head;
	size_t hlen;
	int rc;

	if (st)
		st->fd = -1;
	if (!st || !(st->name = strdup(path)) || !(st->buf = malloc(CHUNK))) {
		err_set("cannot read %s: %s", path, err_cause(ENOMEM));
		goto fail;
	}
	st->cap = CHUNK;
	st->fd = -1;
	st->fd = file_open(AT_FDCWD, path, O_RDONLY | O_NONBLOCK, 0);
	if (st->fd < 0) {
		err_set("cannot open %s: %s", path, err_cause(errno));
		goto fail;
	}
	if (fstat(st->fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		err_set("cannot read %s: %s", path, S_ISDIR(sb.st_mode) ? "is a directory" :
			"not a regular file");
		goto fail;
	}
	head = read_head(path, &hlen);
	rc = auditlog_check_init(&st->c, st->name, keys, nkeys, warn, ctx, head, hlen);
	free(head);
	if (rc < 0)
		goto fail;
	st->c.find = find_in_file;
	st->c.fctx = st;
	st->threads = sysconf(_SC_NPROCESSORS_ONLN) > 1;
	st->flags = flags & (AUDITLOG_STREAM_CHAIN | AUDITLOG_STREAM_ROWS) ? CLASSIFY_CHAIN : 0;
	st->rows = (flags & AUDITLOG_STREAM_ROWS) != 0;
	return st;
fail:
	auditlog_stream_close(st);
	return NULL;
}

const char *auditlog_stream_name(const struct auditlog_stream *st)
{
	return st->name;
}

int auditlog_stream_next(struct auditlog_stream *st, struct auditlog_line *out)
{
	held_done(st, st->cur);
	st->cur = NULL;
	for (;;) {
		int rc;

		/* the first line waiting goes, unless a begun record may yet be superseded */
		if (st->nq > st->qhead && (!st->q[st->qhead]->begun || st->done ||
					   st->nq - st->qhead > HOLD_LINES ||
			       st->qbytes > (size_t)HOLD_BYTES)) {
			st->cur = st->q[st->qhead++];
			st->qbytes -= st->cur->l.len;
			*out = st->cur->l;
			return 1;
		}
		if (st->done)
			return 0;
		rc = read_batch(st);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			st->done = 1;
			auditlog_check_end(&st->c);
		}
	}
}

int auditlog_stream_verdict(struct auditlog_stream *st, struct auditlog_verdict *v)
{
	*v = st->c.v;
	if (!st->done || st->nq > st->qhead)
		return err_set("cannot verify %s: not read to the end", st->name);
	if (!v->intact)
		return err_set("%s", v->why);
	return 0;
}

void auditlog_stream_close(struct auditlog_stream *st)
{
	if (!st)
		return;
	held_free(st->cur);
	while (st->spare) {
		struct held *h = st->spare;

		st->spare = h->next;
		held_free(h);
	}
	for (size_t i = st->qhead; i < st->nq; i++)
		held_free(st->q[i]);
	free(st->q);
	if (st->fd >= 0)
		close(st->fd);
	auditlog_check_free(&st->c);
	EVP_MD_CTX_free(st->md);
	free(st->buf);
	free(st->name);
	free(st);
}
