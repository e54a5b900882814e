/*
 * auditlog_append.c - appending one record to a log on a stick that may be
 * pulled or fill up at any moment: find the last record to chain to (the
 * torn tail after it is left as it is and described by the new record),
 * write the line, cut back on failure, fsync file and directory, then
 * update the head file.  Bytes once written are never rewritten.
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

#include "auditlog_internal.h"
#include "err.h"
#include "file.h"
#include "sha256.h"
#include "utc.h"

#define TAIL_MAX (64L * 1024 * 1024)	/* how far back an append looks for the last record */

/* Is s[0..len) a record or merged line (something that carries the chain)? */
static int carries_chain(const char *s, size_t len, long *seq)
{
	struct json_object *j, *rec, *source;
	const char *why;
	enum auditlog_kind k;

	k = auditlog_read_classify(s, len, 0, &j, &rec, &source, seq, &why);

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
	memcpy(t->prev, AUDITLOG_ZEROS, sizeof(t->prev));
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

int auditlog_append_head(int dirfd, const char *base, const char *genesis, long seq,
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
	line = auditlog_sign_line(h, k);
	json_object_put(h);
	if (!line || asprintf(&name, "%s" AUDITLOG_HEAD_SUFFIX, base) < 0 ||
	    asprintf(&tmp, "%s" AUDITLOG_HEAD_SUFFIX ".tmp", base) < 0 ||
	    asprintf(&buf, "%s\n", line) < 0) {
		err_set("cannot update %s" AUDITLOG_HEAD_SUFFIX ": %s", base, err_cause(ENOMEM));
		goto out;
	}
	unlinkat(dirfd, tmp, 0);
	if (file_write_new(dirfd, tmp, buf, strlen(buf)) < 0)
		goto out;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		err_set("cannot update %s: %s", name, err_cause(errno));
		unlinkat(dirfd, tmp, 0);
		goto out;
	}
	{	/* FAT keeps a renamed file's size and first cluster in its inode, written
		   back later, not with the directory: sync the file under its new name */
		int hfd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

		if (hfd < 0 || fsync(hfd) < 0) {
			err_set("cannot update %s: %s", name, err_cause(errno));
			if (hfd >= 0)
				close(hfd);
			goto out;
		}
		close(hfd);
	}
	if (file_sync_dir(dirfd) < 0) {
		err_set("cannot update %s: %s", name, err_cause(errno));
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
	k = auditlog_sign_load_key(keyfile, 1);
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
int auditlog_append_failed(struct auditlog_appended *a, const char *path, const char *fmt, ...)
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
	a->line = auditlog_sign_line(rec, NULL);
	dirfd = file_open_parent(path, &base);
	if (dirfd < 0) {
		auditlog_append_failed(a, path, "%s", err_cause(errno));
		goto out;
	}
	fd = file_open(dirfd, base, O_RDWR | O_APPEND | O_CREAT, 0644);
	if (fd < 0) {
		auditlog_append_failed(a, path, "%s", errno == ELOOP ? "it is a link" :
			err_cause(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		auditlog_append_failed(a, path, "not a regular file");
		goto out;
	}
	/* two bootfix on one stick must not interleave: best effort, FAT has no locks everywhere */
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	if (fstat(fd, &st) < 0 || read_tail(fd, st.st_size, &t) < 0) {
		e = errno;
		auditlog_append_failed(a, path, "%s", e == EBADMSG ?
			"it is not a bootfix log (it does not begin with a record)" :
			e == EFBIG ? "no record in its last 64 MiB" : err_cause(e));
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
	a->line = auditlog_sign_line(rec, k);
	if (!a->line) {
		auditlog_append_failed(a, path, "cannot %s the record", k ? "sign" : "format");
		a->line = auditlog_sign_line(rec, NULL);
		goto out;
	}
	len = strlen(a->line);
	buf = malloc(len + 2);
	if (!buf) {
		auditlog_append_failed(a, path, "%s", err_cause(ENOMEM));
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
		auditlog_append_failed(a, path, "%s", err_cause(e));
		goto out;
	}
	if (file_sync_dir(dirfd) < 0) {
		auditlog_append_failed(a, path, "cannot sync its directory: %s", err_cause(errno));
		goto out;
	}
	a->seq = t.seq;
	a->is_signed = k != NULL;
	sha256_hex(a->line, len, a->sha256);
	rc = 0;
	if (t.seq == 1)
		memcpy(genesis, a->sha256, sizeof(genesis));
	else if (first_record(fd, st.st_size, genesis) < 0)
		memcpy(genesis, AUDITLOG_ZEROS, sizeof(genesis));
	if (auditlog_append_head(dirfd, base, genesis, t.seq, a->sha256, k) < 0)
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

char *auditlog_append_alone(struct json_object *rec, const char *keyfile,
			    struct auditlog_appended *a)
{
	EVP_PKEY *k;
	char *line;

	json_object_object_del(rec, "recovered_torn_tail");
	json_object_object_del(rec, "seq");
	json_object_object_del(rec, "prev");
	json_object_object_del(rec, "sig");
	json_object_object_del(rec, "sig_key");
	k = signing_key(keyfile, rec, a);
	/* no seq, no prev: part of no chain (a log server's reader checks such a
	   record by its signature alone) */
	line = auditlog_sign_line(rec, k);
	EVP_PKEY_free(k);
	return line;
}

void auditlog_appended_free(struct auditlog_appended *a)
{
	free(a->line);
	free(a->alone);
	for (size_t i = 0; i < a->nwarnings; i++)
		free(a->warnings[i]);
	free(a->warnings);
	memset(a, 0, sizeof(*a));
}
