/*
 * quarantine.c - move files aside with a manifest, and put them back
 * (see quarantine.h).
 *
 * Order of work, so that an interruption at any point loses nothing:
 * the manifest is written and synced before the first move; each move is a
 * rename on the same volume (atomic: the file is either here or there);
 * the copy on the stick is made from the moved file afterwards.  Restore
 * treats "already back and identical" as done, so it can simply be re-run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "file.h"
#include "quarantine.h"
#include "utc.h"
#include "version.h"
#include "winpath.h"

void quarantine_read_ntfs_meta(int fd, struct finding *f)
{
	unsigned char a[4];

	f->has_times = fgetxattr(fd, "system.ntfs_times", f->ntfs_times, 32) == 32;
	if (fgetxattr(fd, "system.ntfs_attrib_be", a, 4) == 4) {
		f->attrib = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		f->has_attrib = 1;
	}
}

/* Split "a\b\c.sys" into a malloc'd "a\b" (or "") and a pointer to "c.sys". */
static char *split_dir(const char *path, const char **base)
{
	const char *slash = strrchr(path, '\\');

	if (!slash) {
		*base = path;
		return strdup("");
	}
	*base = slash + 1;
	return strndup(path, (size_t)(slash - path));
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int unhex(const char *s, unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		b[i] = (unsigned char)v;
	}
	return s[2 * n] == '\0' ? 0 : -1;
}

static int append(char **buf, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int append(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;
	char *grown;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	grown = realloc(*buf, *len + (size_t)n + 1);
	if (!grown) {
		free(s);
		return -1;
	}
	memcpy(grown + *len, s, (size_t)n + 1);
	*buf = grown;
	*len += (size_t)n;
	free(s);
	return 0;
}

static char *manifest_text(const struct finding *f, size_t n, const struct quarantine_opts *o,
			   time_t now, size_t *len)
{
	char *buf = NULL, when[UTC_LEN];
	int bad = 0;

	*len = 0;
	bad |= append(&buf, len, "# bootfix quarantine manifest, version 1\n"
		      "# check with: sha256sum -c manifest.txt (run inside this folder)\n"
		      "# restore with: bootfix restore\n");
	bad |= append(&buf, len, "# created %s by bootfix %s (%s)\n", utc_format(now, when),
		      BOOTFIX_VERSION, o->who ? o->who : "?");
	if (o->operator_name)
		bad |= append(&buf, len, "# operator %s\n", o->operator_name);
	if (o->site)
		bad |= append(&buf, len, "# site %s\n", o->site);
	if (o->device)
		bad |= append(&buf, len, "# device %s\n", o->device);
	for (size_t i = 0; i < n; i++) {
		char mt[UTC_LEN], th[65];
		char *posix = winpath_to_posix(f[i].path);

		bad |= append(&buf, len, "#\n# file %s\n# size %lld\n# sha256 %s\n"
			      "# mtime %s %09ld\n", f[i].path, (long long)f[i].d.size,
			      f[i].d.sha256, utc_format(f[i].mtime.tv_sec, mt),
			      f[i].mtime.tv_nsec);
		if (f[i].has_times) {
			hex(f[i].ntfs_times, 32, th);
			bad |= append(&buf, len, "# ntfs-times %s\n", th);
		}
		if (f[i].has_attrib)
			bad |= append(&buf, len, "# attributes 0x%08x\n", f[i].attrib);
		if (f[i].rule)
			bad |= append(&buf, len, "# rule %s\n", f[i].rule);
		bad |= append(&buf, len, "SHA256 (%s) = %s\n", posix ? posix : "?", f[i].d.sha256);
		free(posix);
	}
	if (bad) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int bad_name(const char *path)
{
	/* sha256sum escapes such names; keep the manifest one line per file */
	return strchr(path, '\n') || strchr(path, '\r') || strchr(path, '/');
}

/* Make \bootfix-quarantine\<ts>[-N] and return its fd; *name gets "<ts>[-N]". */
static int make_folder(int rootfd, time_t now, char **qroot, char *name, size_t namelen)
{
	char *stored = winpath_lookup(rootfd, QUARANTINE_DIR), ts[UTC_LEN];
	int top, fd;

	top = file_mkdirs(rootfd, stored ? stored : QUARANTINE_DIR, 0755, NULL);
	*qroot = stored ? stored : strdup(QUARANTINE_DIR);
	if (top < 0)
		return -1;
	utc_compact(now, ts);
	for (int k = 1; k < 100; k++) {
		if (k == 1)
			snprintf(name, namelen, "%s", ts);
		else
			snprintf(name, namelen, "%s-%d", ts, k);
		if (mkdirat(top, name, 0755) == 0)
			break;
		if (errno != EEXIST) {
			err_set("cannot make quarantine folder \\%s\\%s: %s", *qroot, name,
				strerror(errno));
			close(top);
			return -1;
		}
	}
	file_sync_dir(top);
	fd = file_open(top, name, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		err_set("cannot open quarantine folder \\%s\\%s: %s", *qroot, name, strerror(errno));
	close(top);
	return fd;
}

/* Copy the moved file (open as fd) and later the manifest to the stick. */
static int copy_to_stick(const struct quarantine_opts *o, const char *ts, const char *relpath,
			 int fd)
{
	char sub[4096], *posix, *slash;
	int data, dir, rc;

	posix = winpath_to_posix(relpath);
	if (!posix)
		return err_set("cannot copy %s to the stick: %s", relpath, strerror(ENOMEM));
	slash = strrchr(posix, '/');
	snprintf(sub, sizeof(sub), "quarantine/%s/%s%s%.*s", o->machine, ts, slash ? "/" : "",
		 slash ? (int)(slash - posix) : 0, posix);
	data = file_open(AT_FDCWD, o->data_dir, O_RDONLY | O_DIRECTORY, 0);
	if (data < 0) {
		free(posix);
		return err_set("cannot open data folder %s: %s", o->data_dir, strerror(errno));
	}
	dir = file_mkdirs(data, sub, 0755, NULL);
	close(data);
	if (dir < 0) {
		free(posix);
		return -1;
	}
	rc = file_copy(fd, dir, slash ? slash + 1 : posix);
	close(dir);
	free(posix);
	return rc;
}

int quarantine_move(int rootfd, struct finding *f, size_t n, const struct quarantine_opts *o,
		    char **folder)
{
	time_t now = time(NULL);
	char name[64], *qroot = NULL, *manifest;
	size_t mlen;
	int qfd, failed = 0;

	*folder = NULL;
	for (size_t i = 0; i < n; i++)
		if (bad_name(f[i].path))
			return err_set("cannot quarantine %s: the name contains a line break or '/'",
				       f[i].path);
	qfd = make_folder(rootfd, now, &qroot, name, sizeof(name));
	if (qfd < 0) {
		free(qroot);
		return -1;
	}
	if (asprintf(folder, "\\%s\\%s", qroot, name) < 0)
		*folder = NULL;
	manifest = manifest_text(f, n, o, now, &mlen);
	if (!manifest || file_write_new(qfd, QUARANTINE_MANIFEST, manifest, mlen) < 0) {
		if (!manifest)
			err_set("cannot write quarantine manifest: %s", strerror(ENOMEM));
		free(manifest);
		free(qroot);
		close(qfd);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct finding *x = &f[i];
		struct file_digest again;
		const char *base;
		char *dir = split_dir(x->path, &base), *posixdir = winpath_to_posix(dir);
		int src = -1, fd = -1, dst = -1;

		x->action = "quarantine";
		if (o->stop && *o->stop) {
			finding_result(x, "left in place: interrupted before the move");
			failed++;
			goto next;
		}
		src = winpath_opendir(rootfd, dir, NULL);
		fd = src < 0 ? -1 : file_open(src, base, O_RDONLY | O_NONBLOCK, 0);
		if (fd < 0) {
			finding_result(x, "left in place: cannot open it again: %s", strerror(errno));
			failed++;
			goto next;
		}
		if (file_hash(fd, &again) < 0 || strcmp(again.sha256, x->d.sha256)) {
			finding_result(x, "left in place: it changed since the scan");
			failed++;
			goto next;
		}
		close(fd);
		fd = -1;
		dst = *dir ? file_mkdirs(qfd, posixdir, 0755, NULL) : dup(qfd);
		if (dst < 0) {
			finding_result(x, "left in place: %s", err_msg());
			failed++;
			goto next;
		}
		if (renameat(src, base, dst, base) < 0) {
			finding_result(x, "left in place: cannot move it to quarantine: %s",
				       strerror(errno));
			failed++;
			goto next;
		}
		file_sync_dir(src);
		file_sync_dir(dst);
		if (asprintf(&x->moved_to, "\\%s\\%s\\%s", qroot, name, x->path) < 0)
			x->moved_to = NULL;
		fd = file_open(dst, base, O_RDONLY | O_NONBLOCK, 0);
		if (fd < 0 || file_hash(fd, &again) < 0) {
			finding_result(x, "failed: moved to %s but cannot read it back: %s",
				       x->moved_to, strerror(errno));
			failed++;
			goto next;
		}
		if (strcmp(again.sha256, x->d.sha256)) {
			finding_result(x, "failed: moved to %s but its SHA-256 is now %s, not %s",
				       x->moved_to, again.sha256, x->d.sha256);
			failed++;
			goto next;
		}
		x->done = 1;
		finding_result(x, "quarantined");
		if (o->data_dir && copy_to_stick(o, name, x->path, fd) < 0)
			finding_result(x, "quarantined; no copy on the stick: %s", err_msg());
next:
		if (fd >= 0)
			close(fd);
		if (src >= 0)
			close(src);
		if (dst >= 0)
			close(dst);
		free(dir);
		free(posixdir);
	}
	if (failed > 0) {
		/*
		 * The manifest was written for every planned file before the first
		 * move; now say exactly what is here, replacing it atomically.
		 */
		struct finding *moved = calloc(n, sizeof(*moved));
		size_t k = 0;

		for (size_t i = 0; moved && i < n; i++)
			if (f[i].done)
				moved[k++] = f[i];
		free(manifest);
		manifest = moved ? manifest_text(moved, k, o, now, &mlen) : NULL;
		free(moved);
		if (manifest) {
			unlinkat(qfd, QUARANTINE_MANIFEST ".new", 0);
			if (file_write_new(qfd, QUARANTINE_MANIFEST ".new", manifest, mlen) == 0)
				renameat(qfd, QUARANTINE_MANIFEST ".new", qfd, QUARANTINE_MANIFEST);
		}
	}
	if (o->data_dir && manifest) {
		char sub[512];
		int data = file_open(AT_FDCWD, o->data_dir, O_RDONLY | O_DIRECTORY, 0), dir;

		snprintf(sub, sizeof(sub), "quarantine/%s/%s", o->machine, name);
		dir = data < 0 ? -1 : file_mkdirs(data, sub, 0755, NULL);
		if (dir >= 0) {
			file_write_new(dir, QUARANTINE_MANIFEST, manifest, mlen);
			close(dir);
		}
		if (data >= 0)
			close(data);
	}
	file_sync_dir(qfd);
	close(qfd);
	free(manifest);
	free(qroot);
	return failed;
}

/* ---- restore ---- */

/* Parse one manifest into entries appended to *out. */
static int parse_manifest(const char *text, struct finding **out, size_t *n)
{
	const char *p = text;
	struct finding *cur = NULL;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[4200];

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		p = eol ? eol + 1 : p + len;
		if (!strncmp(line, "# file ", 7)) {
			struct finding *grown = realloc(*out, (*n + 1) * sizeof(**out));

			if (!grown)
				return -1;
			*out = grown;
			cur = &grown[(*n)++];
			memset(cur, 0, sizeof(*cur));
			cur->path = strdup(line + 7);
			cur->action = "restore";
		} else if (!cur) {
			continue;
		} else if (!strncmp(line, "# size ", 7)) {
			cur->d.size = strtoll(line + 7, NULL, 10);
		} else if (!strncmp(line, "# sha256 ", 9) && strlen(line + 9) == 64) {
			memcpy(cur->d.sha256, line + 9, 65);
		} else if (!strncmp(line, "# mtime ", 8)) {
			char when[UTC_LEN + 1];
			long ns = 0;

			if (sscanf(line + 8, "%20s %ld", when, &ns) >= 1 &&
			    utc_parse(when, &cur->mtime.tv_sec) == 0)
				cur->mtime.tv_nsec = ns;
		} else if (!strncmp(line, "# ntfs-times ", 13)) {
			cur->has_times = unhex(line + 13, cur->ntfs_times, 32) == 0;
		} else if (!strncmp(line, "# attributes ", 13)) {
			cur->attrib = (uint32_t)strtoul(line + 13, NULL, 16);
			cur->has_attrib = 1;
		} else if (!strncmp(line, "# rule ", 7)) {
			cur->rule = strdup(line + 7);
		}
	}
	return 0;
}

static int same_file(int fd, const struct finding *f)
{
	struct file_digest d;

	return file_hash(fd, &d) == 0 && !strcmp(d.sha256, f->d.sha256);
}

/* Restore one entry from the quarantine folder qfd; sets f->result. */
static void restore_one(int rootfd, int qfd, struct finding *f)
{
	const char *base;
	char *dir = split_dir(f->path, &base), *posixdir = winpath_to_posix(dir);
	int odir = -1, qdir = -1, fd = -1;
	struct stat st;
	char *stored;

	if (!f->path || bad_name(f->path) || strlen(f->d.sha256) != 64 || !*base) {
		finding_result(f, "failed: the manifest entry is damaged");
		goto out;
	}
	qdir = *dir ? file_open(qfd, posixdir, O_RDONLY | O_DIRECTORY, 0) : dup(qfd);
	odir = winpath_opendir(rootfd, dir, NULL);
	if (odir < 0 && errno == ENOENT)
		odir = file_mkdirs(rootfd, posixdir, 0755, NULL);
	if (odir < 0) {
		finding_result(f, "failed: cannot open folder %s: %s", dir, strerror(errno));
		goto out;
	}
	stored = winpath_lookup(odir, base);
	if (stored || fstatat(odir, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		fd = stored ? file_open(odir, stored, O_RDONLY | O_NONBLOCK, 0) : -1;
		free(stored);
		if (fd >= 0 && same_file(fd, f) &&
		    (qdir < 0 || fstatat(qdir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)) {
			f->done = 1;
			finding_result(f, "already in place");
		} else {
			finding_result(f, "refused: %s exists; not overwritten (move it away "
				       "to restore the quarantined copy)", f->path);
		}
		goto out;
	}
	if (qdir < 0 || (fd = file_open(qdir, base, O_RDONLY | O_NONBLOCK, 0)) < 0) {
		finding_result(f, "failed: missing from quarantine");
		goto out;
	}
	if (!same_file(fd, f)) {
		finding_result(f, "refused: the quarantined copy no longer matches its SHA-256");
		goto out;
	}
	close(fd);
	fd = -1;
	if (renameat(qdir, base, odir, base) < 0) {
		finding_result(f, "failed: cannot move it back: %s", strerror(errno));
		goto out;
	}
	file_sync_dir(qdir);
	fd = file_open(odir, base, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0 || !same_file(fd, f)) {
		finding_result(f, "failed: moved back but its SHA-256 does not match the manifest");
		goto out;
	}
	/* a rename keeps the times; put them back anyway if something changed them */
	if (f->has_times) {
		unsigned char now[32];

		if (fgetxattr(fd, "system.ntfs_times", now, 32) != 32 ||
		    memcmp(now, f->ntfs_times, 32))
			fsetxattr(fd, "system.ntfs_times", f->ntfs_times, 32, 0);
	} else if (f->mtime.tv_sec) {
		struct timespec ts[2] = { { 0, UTIME_OMIT }, f->mtime };

		futimens(fd, ts);
	}
	fsync(fd);
	file_sync_dir(odir);
	f->done = 1;
	finding_result(f, "restored");
out:
	if (fd >= 0)
		close(fd);
	if (odir >= 0)
		close(odir);
	if (qdir >= 0)
		close(qdir);
	free(dir);
	free(posixdir);
}

static int by_name_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

int quarantine_restore(int rootfd, const struct quarantine_opts *o, struct finding **out,
		       size_t *n)
{
	char *stored = winpath_lookup(rootfd, QUARANTINE_DIR), **names = NULL;
	size_t nnames = 0;
	int top, failed = 0;
	DIR *d;
	struct dirent *e;

	*out = NULL;
	*n = 0;
	if (!stored)
		return 0;
	top = file_open(rootfd, stored, O_RDONLY | O_DIRECTORY, 0);
	free(stored);
	if (top < 0)
		return err_set("cannot open \\%s: %s", QUARANTINE_DIR, strerror(errno));
	d = fdopendir(dup(top));
	while (d && (e = readdir(d))) {
		char **grown;

		if (e->d_name[0] == '.')
			continue;
		grown = realloc(names, (nnames + 1) * sizeof(*names));
		if (!grown)
			break;
		names = grown;
		names[nnames++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	/* newest first: undo in the reverse order of the fixes */
	qsort(names, nnames, sizeof(*names), by_name_desc);
	for (size_t i = 0; i < nnames; i++) {
		int qfd = file_open(top, names[i], O_RDONLY | O_DIRECTORY, 0);
		char *text;
		size_t first = *n;

		if (qfd < 0)
			goto skip;
		text = file_slurp(qfd, QUARANTINE_MANIFEST, 16 << 20, NULL);
		if (!text || parse_manifest(text, out, n) < 0) {
			free(text);
			close(qfd);
			goto skip;
		}
		free(text);
		for (size_t k = first; k < *n; k++) {
			if (o && o->stop && *o->stop) {
				finding_result(&(*out)[k], "not restored: interrupted");
				failed++;
				continue;
			}
			restore_one(rootfd, qfd, &(*out)[k]);
			if (!(*out)[k].done)
				failed++;
		}
		close(qfd);
skip:
		free(names[i]);
	}
	free(names);
	close(top);
	return failed;
}
