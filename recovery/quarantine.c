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
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "err.h"
#include "fault.h"
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

/* A header value from the operator or the config: one line, no controls. */
static char *one_line(const char *s)
{
	char *c = strdup(s ? s : "?");

	for (char *p = c; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return c;
}

#define MANIFEST_MAGIC "# bootfix quarantine manifest, version 2\n"

static char *manifest_header(const struct quarantine_opts *o, time_t now, size_t *len)
{
	char *buf = NULL, when[UTC_LEN], *who = one_line(o->who), *op = one_line(o->operator_name),
	     *site = one_line(o->site), *dev = one_line(o->device);
	int bad = 0;

	*len = 0;
	bad |= append(&buf, len, MANIFEST_MAGIC
		      "# check with: sha256sum -c manifest.txt (run inside this folder)\n"
		      "# restore with: bootfix restore\n"
		      "# each file's entry is written before its move, its SHA256 line after it\n");
	bad |= append(&buf, len, "# created %s by bootfix %s (%s)\n", utc_format(now, when),
		      BOOTFIX_VERSION, who ? who : "?");
	if (o->operator_name)
		bad |= append(&buf, len, "# operator %s\n", op ? op : "?");
	if (o->site)
		bad |= append(&buf, len, "# site %s\n", site ? site : "?");
	if (o->device)
		bad |= append(&buf, len, "# device %s\n", dev ? dev : "?");
	free(who);
	free(op);
	free(site);
	free(dev);
	if (bad) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The '#' lines of one file: written and synced before the file moves. */
static char *manifest_intent(const struct finding *f, size_t *len)
{
	char *buf = NULL, mt[UTC_LEN], th[65];
	int bad = 0;

	*len = 0;
	bad |= append(&buf, len, "#\n# file %s\n# size %lld\n# sha256 %s\n# mtime %s %09ld\n",
		      f->path, (long long)f->d.size, f->d.sha256, utc_format(f->mtime.tv_sec, mt),
		      f->mtime.tv_nsec);
	if (f->has_times) {
		hex(f->ntfs_times, 32, th);
		bad |= append(&buf, len, "# ntfs-times %s\n", th);
	}
	if (f->has_attrib)
		bad |= append(&buf, len, "# attributes 0x%08x\n", f->attrib);
	if (f->rule)
		bad |= append(&buf, len, "# rule %s\n", f->rule);
	if (bad) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The line sha256sum -c reads: written once the file is in quarantine. */
static char *manifest_done(const struct finding *f, size_t *len)
{
	char *posix = winpath_to_posix(f->path), *buf = NULL;

	*len = 0;
	if (posix && append(&buf, len, "SHA256 (%s) = %s\n", posix, f->d.sha256) < 0)
		buf = NULL;
	free(posix);
	return buf;
}

/* Append text to the manifest open as fd (O_APPEND) and make it durable. */
static int manifest_add(int fd, char *text, size_t len)
{
	int rc = -1;

	if (text && file_writeall(fd, text, len) == 0 && fsync(fd) == 0)
		rc = 0;
	else if (!text)
		errno = ENOMEM;
	free(text);
	return rc;
}

/* Start a manifest called name in dirfd: header written and synced. */
static int manifest_start(int dirfd, const struct quarantine_opts *o, time_t now)
{
	size_t len;
	char *head = manifest_header(o, now, &len);
	int fd = file_open(dirfd, QUARANTINE_MANIFEST, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0644);

	if (fd < 0) {
		free(head);
		return -1;
	}
	if (manifest_add(fd, head, len) < 0 || file_sync_dir(dirfd) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
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
		if (errno != EEXIST || k == 99) {
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

/* rename that never replaces: RENAME_NOREPLACE, or a check where the file
   system cannot do it (the caller holds the only writable mount) */
static int move_noreplace(int from, const char *a, int to, const char *b)
{
	struct stat st;

	if (renameat2(from, a, to, b, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (fstatat(to, b, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(from, a, to, b);
}

/* Whether the file open as fd is still the one the scan judged. */
static int unchanged(int fd, const struct finding *x)
{
	struct stat st;
	struct file_digest again;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (x->ino)
		return st.st_ino == x->ino && st.st_dev == x->dev && st.st_size == x->d.size &&
		       st.st_mtim.tv_sec == x->mtime.tv_sec &&
		       st.st_mtim.tv_nsec == x->mtime.tv_nsec &&
		       st.st_ctim.tv_sec == x->ctime.tv_sec &&
		       st.st_ctim.tv_nsec == x->ctime.tv_nsec;
	return file_hash(fd, &again) == 0 && !strcmp(again.sha256, x->d.sha256);
}

/* Move one file into the quarantine folder qfd, the manifest open as mfd. */
static int move_one(int rootfd, int qfd, int mfd, const char *qname, const char *folder,
		    struct finding *x)
{
	const char *base, *bad;
	char *dir = split_dir(x->path, &base), *posixdir = winpath_to_posix(dir), *text;
	int src = -1, fd = -1, dst = -1, rc = -1;
	size_t len;
	struct stat st;

	(void)qname;
	bad = file_check_relpath(x->path, '\\');
	if (bad || !dir || !posixdir) {
		finding_result(x, "left in place: its name cannot be recorded in the manifest "
			       "(%s)", bad ? bad : strerror(ENOMEM));
		goto out;
	}
	src = winpath_opendir(rootfd, dir, NULL);
	fd = src < 0 ? -1 : file_open(src, base, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0) {
		finding_result(x, "left in place: cannot open it again: %s", strerror(errno));
		goto out;
	}
	if (!unchanged(fd, x)) {
		finding_result(x, "left in place: it changed since the scan");
		goto out;
	}
	close(fd);
	fd = -1;
	dst = *dir ? file_mkdirs(qfd, posixdir, 0755, NULL) : dup(qfd);
	if (dst < 0) {
		finding_result(x, "left in place: %s", err_msg());
		goto out;
	}
	text = manifest_intent(x, &len);
	if (manifest_add(mfd, text, len) < 0) {
		finding_result(x, "left in place: cannot write its manifest entry: %s",
			       strerror(errno));
		goto out;
	}
	fault_point("intent");
	if (move_noreplace(src, base, dst, base) < 0) {
		finding_result(x, "left in place: cannot move it to quarantine: %s",
			       strerror(errno));
		goto out;
	}
	if (file_sync_dir(src) < 0 || file_sync_dir(dst) < 0) {
		/* the volume did not take the rename: on the disk it may be half done */
		finding_result(x, "failed: moved, but the disk did not take the move: %s "
			       "(run chkdsk in Windows; restore puts it back)", strerror(errno));
		goto out;
	}
	fault_point("moved");
	if (asprintf(&x->moved_to, "%s\\%s", folder, x->path) < 0)
		x->moved_to = NULL;
	text = manifest_done(x, &len);
	if (manifest_add(mfd, text, len) < 0) {
		finding_result(x, "quarantined in %s, but its SHA256 line is missing from the "
			       "manifest: %s", folder, strerror(errno));
		x->done = 1;
		rc = 0;
		goto out;
	}
	fault_point("confirmed");
	if (fstatat(dst, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || (x->ino && st.st_ino != x->ino)) {
		finding_result(x, "failed: moved to %s but it is not there now", x->moved_to);
		goto out;
	}
	x->done = 1;
	finding_result(x, "quarantined");
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	free(dir);
	free(posixdir);
	return rc;
}

/* Free space left on the stick, in bytes, or -1 when unknown. */
static long long stick_free(int fd)
{
	struct statvfs sv;

	if (fstatvfs(fd, &sv) < 0)
		return -1;
	return (long long)sv.f_bavail * (long long)sv.f_frsize;
}

/*
 * Copy what was moved to DATA/quarantine/<machine>/<ts>/, with a manifest
 * of the copies that grows with each one.  Copies come after the moves (and
 * after the begun record): never at the cost of the audit log, so a copy
 * that would leave less than QUARANTINE_STICK_RESERVE free is skipped.
 */
static void copy_all(int rootfd, struct finding *f, size_t n, const struct quarantine_opts *o,
		     const char *qname, const char *folder, time_t now)
{
	char sub[512], why[600] = "";
	int data = file_open(AT_FDCWD, o->data_dir, O_RDONLY | O_DIRECTORY, 0), top = -1, mfd = -1;
	int machine = -1;

	(void)folder;
	snprintf(sub, sizeof(sub), "quarantine/%s", o->machine);
	if (data < 0)
		snprintf(why, sizeof(why), "cannot open %s: %s", o->data_dir, strerror(errno));
	else if ((machine = file_mkdirs(data, sub, 0755, NULL)) < 0)
		snprintf(why, sizeof(why), "%s", err_msg());
	/* a folder of its own, even for a second volume of the same machine
	   fixed in the same second: QNAME, QNAME-2, ... */
	for (int k = 1; machine >= 0 && top < 0 && k < 100; k++) {
		char name[96];

		snprintf(name, sizeof(name), k == 1 ? "%s" : "%s-%d", qname, k);
		if (mkdirat(machine, name, 0755) < 0) {
			if (errno != EEXIST)
				break;
			continue;
		}
		file_sync_dir(machine);
		top = file_open(machine, name, O_RDONLY | O_DIRECTORY, 0);
		snprintf(sub, sizeof(sub), "quarantine/%s/%s", o->machine, name);
	}
	if (machine >= 0 && top < 0)
		snprintf(why, sizeof(why), "cannot make a folder for it in %s/%s: %s", o->data_dir,
			 sub, strerror(errno));
	if (machine >= 0)
		close(machine);
	if (top >= 0 && (mfd = manifest_start(top, o, now)) < 0)
		snprintf(why, sizeof(why), "cannot write %s/%s/%s: %s", o->data_dir, sub,
			 QUARANTINE_MANIFEST, strerror(errno));
	if (mfd >= 0 && o->stick_manifest &&
	    asprintf(o->stick_manifest, "%s/%s", sub, QUARANTINE_MANIFEST) < 0)
		*o->stick_manifest = NULL;
	for (size_t i = 0; i < n; i++) {
		struct finding *x = &f[i];
		const char *base;
		char *dir, *posixdir, *qpath, sha[65], *text;
		int src, dst, fd;
		size_t len;
		long long avail;

		if (!x->done || !x->moved_to)
			continue;
		if (top < 0 || mfd < 0) {
			finding_result(x, "quarantined; no copy on the stick: %s", why);
			continue;
		}
		avail = stick_free(top);
		if (avail >= 0 && avail < (long long)x->d.size + QUARANTINE_STICK_RESERVE) {
			finding_result(x, "quarantined; no copy on the stick: it would leave less "
				       "than %d MiB free there for the audit log",
				       QUARANTINE_STICK_RESERVE >> 20);
			continue;
		}
		/* the moved file, found through the folder we made */
		if (asprintf(&qpath, "%s\\%s", folder + 1, x->path) < 0)
			continue;
		dir = split_dir(qpath, &base);
		posixdir = winpath_to_posix(x->path);
		src = dir ? winpath_opendir(rootfd, dir, NULL) : -1;
		fd = src < 0 ? -1 : file_open(src, base, O_RDONLY | O_NONBLOCK, 0);
		if (posixdir && strrchr(posixdir, '/'))
			*strrchr(posixdir, '/') = '\0';
		else if (posixdir)
			posixdir[0] = '\0';
		dst = !posixdir ? -1 : *posixdir ? file_mkdirs(top, posixdir, 0755, NULL) : dup(top);
		if (fd < 0 || dst < 0)
			finding_result(x, "quarantined; no copy on the stick: %s",
				       fd < 0 ? strerror(errno) : err_msg());
		else if (file_copy(fd, dst, base, sha) < 0)
			finding_result(x, "quarantined; no copy on the stick: %s", err_msg());
		else if (strcmp(sha, x->d.sha256))
			finding_result(x, "quarantined; the copy on the stick reads %s, not %s",
				       sha, x->d.sha256);
		else if ((text = manifest_intent(x, &len), manifest_add(mfd, text, len) < 0) ||
			 (text = manifest_done(x, &len), manifest_add(mfd, text, len) < 0))
			finding_result(x, "quarantined; copied to the stick, but not into its "
				       "manifest: %s", strerror(errno));
		fault_point("copied");
		if (fd >= 0)
			close(fd);
		if (src >= 0)
			close(src);
		if (dst >= 0)
			close(dst);
		free(dir);
		free(posixdir);
		free(qpath);
	}
	if (mfd >= 0)
		close(mfd);
	if (top >= 0) {
		file_sync_dir(top);
		close(top);
	}
	if (data >= 0)
		close(data);
}

/*
 * A manifest without its "# end:" line was cut short by a crash: at most
 * one entry lacks its SHA256 line although its file moved (the crash came
 * between the rename and the line).  Add the line for each such file that
 * is in the folder with its recorded SHA-256, then an end line, so that the
 * manifest lists exactly what moved.  Returns the number of lines added.
 */
static int same_file(int fd, const struct finding *f);

/* Bytes restore and repair have read to check copies (QUARANTINE_READ_BUDGET). */
static off_t read_used;
static int over_budget;

static int repair(int qfd, const char *text, size_t len)
{
	struct finding *e = NULL;
	size_t n = 0, added = 0;
	int mfd;

	struct stat st;

	/* only a manifest bootfix wrote, cut short: its own header, no end line */
	if (len < sizeof(MANIFEST_MAGIC) - 1 || memcmp(text, MANIFEST_MAGIC, sizeof(MANIFEST_MAGIC) - 1) ||
	    memmem(text, len, "\n# end:", 8) || quarantine_parse_manifest(text, len, &e, &n) < 0) {
		for (size_t i = 0; i < n; i++)
			finding_free(&e[i]);
		free(e);
		return 0;
	}
	mfd = file_open(qfd, QUARANTINE_MANIFEST, O_WRONLY | O_APPEND | O_NONBLOCK, 0);
	/* a hard link would carry the appended lines into another file */
	if (mfd >= 0 && (fstat(mfd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
			 st.st_size != (off_t)len)) {
		close(mfd);
		mfd = -1;
	}
	if (mfd >= 0 && text[len - 1] != '\n')
		manifest_add(mfd, strdup("\n"), 1);	/* a torn last line stays apart */
	for (size_t i = 0; mfd >= 0 && i < n; i++) {
		const char *base;
		char *dir, *posixdir, *line;
		int d, fd;
		size_t l;

		if (e[i].confirmed || e[i].result)
			continue;
		dir = split_dir(e[i].path, &base);
		posixdir = dir ? winpath_to_posix(dir) : NULL;
		d = !posixdir ? -1 : *posixdir ? file_open_beneath(qfd, posixdir, O_RDONLY | O_DIRECTORY, 0)
			   : dup(qfd);
		fd = d < 0 ? -1 : file_open(d, base, O_RDONLY | O_NONBLOCK, 0);
		if (fd >= 0 && same_file(fd, &e[i])) {
			line = manifest_done(&e[i], &l);
			added += manifest_add(mfd, line, l) == 0;
		}
		if (fd >= 0)
			close(fd);
		if (d >= 0)
			close(d);
		free(dir);
		free(posixdir);
	}
	if (mfd >= 0) {
		char end[96];

		snprintf(end, sizeof(end), "#\n# end: repaired after an interruption, %zu line%s "
			 "added\n", added, added == 1 ? "" : "s");
		manifest_add(mfd, strdup(end), strlen(end));
		close(mfd);
	}
	for (size_t i = 0; i < n; i++)
		finding_free(&e[i]);
	free(e);
	return (int)added;
}

/* Repair every interrupted manifest under \bootfix-quarantine (see repair()). */
static void repair_all(int rootfd)
{
	char *stored = winpath_lookup(rootfd, QUARANTINE_DIR);
	int top = stored ? file_open(rootfd, stored, O_RDONLY | O_DIRECTORY, 0) : -1;
	DIR *d = top >= 0 ? fdopendir(dup(top)) : NULL;
	struct dirent *e;

	while (d && (e = readdir(d))) {
		int qfd;
		char *text;
		size_t len = 0;

		if (e->d_name[0] == '.' || file_check_relpath(e->d_name, '/'))
			continue;
		qfd = file_open(top, e->d_name, O_RDONLY | O_DIRECTORY, 0);
		text = qfd < 0 ? NULL : file_slurp(qfd, QUARANTINE_MANIFEST, 16 << 20, &len);
		if (text)
			repair(qfd, text, len);
		free(text);
		if (qfd >= 0)
			close(qfd);
	}
	if (d)
		closedir(d);
	if (top >= 0)
		close(top);
	free(stored);
}

int quarantine_move(int rootfd, struct finding *f, size_t n, const struct quarantine_opts *o,
		    char **folder)
{
	time_t now = time(NULL);
	char name[64], *qroot = NULL, end[128];
	int qfd, mfd, failed = 0;
	size_t moved = 0;

	*folder = NULL;
	read_used = 0;
	over_budget = 0;
	repair_all(rootfd);	/* a fix cut short before this one: make its manifest exact */
	qfd = make_folder(rootfd, now, &qroot, name, sizeof(name));
	if (qfd < 0) {
		free(qroot);
		return -1;
	}
	if (asprintf(folder, "\\%s\\%s", qroot, name) < 0)
		*folder = NULL;
	mfd = manifest_start(qfd, o, now);
	if (mfd < 0 || !*folder) {
		err_set("cannot write quarantine manifest \\%s\\%s\\%s: %s", qroot, name,
			QUARANTINE_MANIFEST, strerror(*folder ? errno : ENOMEM));
		if (mfd >= 0)
			close(mfd);
		close(qfd);
		free(qroot);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		f[i].action = "quarantine";
		if (o->stop && *o->stop) {
			finding_result(&f[i], "left in place: interrupted before the move");
			failed++;
			continue;
		}
		if (move_one(rootfd, qfd, mfd, name, *folder, &f[i]) < 0)
			failed++;
		else
			moved++;
	}
	/* the end mark: a manifest without it was interrupted */
	snprintf(end, sizeof(end), "#\n# end: %zu moved, %d left in place or not confirmed\n",
		 moved, failed);
	manifest_add(mfd, strdup(end), strlen(end));
	close(mfd);
	if (moved == 0) {
		/* nothing moved: leave the volume as it was (but for an empty
		   \bootfix-quarantine that may have been made) */
		unlinkat(qfd, QUARANTINE_MANIFEST, 0);
		close(qfd);
		qfd = file_open(rootfd, qroot, O_RDONLY | O_DIRECTORY, 0);
		if (qfd >= 0 && unlinkat(qfd, name, AT_REMOVEDIR) == 0) {
			free(*folder);
			*folder = NULL;
		}
	}
	if (qfd >= 0) {
		file_sync_dir(qfd);
		close(qfd);
	}
	if (o->data_dir && moved)
		copy_all(rootfd, f, n, o, name, *folder, now);
	free(qroot);
	return failed;
}

/* ---- restore ---- */

static int is_sha256(const char *s, size_t len)
{
	if (len != 64)
		return 0;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Mark entry f damaged (once): restore skips it and says why. */
static void damaged(struct finding *f, const char *why)
{
	if (f->result)
		return;
	finding_result(f, "refused: bad manifest entry: %s", why);
}

/* 1 when the "SHA256 (...) = hex" line p (l bytes) names the Windows path. */
static int sha_line_names(const char *p, size_t l, const char *path)
{
	size_t pl = path ? strlen(path) : 0;

	if (!pl || l <= 8 + pl + 4 || p[8 + pl] != ')')
		return 0;
	for (size_t k = 0; k < pl; k++)
		if (p[8 + k] != (path[k] == '\\' ? '/' : path[k]))
			return 0;
	return 1;
}

/* For qsort_r: entries of the manifest by their posix path. */
static int by_entry_path(const void *a, const void *b, void *arg)
{
	const struct finding *f = arg;
	const char *x = f[*(const size_t *)a].path, *y = f[*(const size_t *)b].path;

	for (;; x++, y++) {
		int cx = *x == '\\' ? '/' : (unsigned char)*x, cy = *y == '\\' ? '/' : (unsigned char)*y;

		if (cx != cy || !cx)
			return cx - cy;
	}
}

/* Confirm the entries named by the SHA256 lines at offsets later[0..nlater). */
static void confirm_later(const char *text, size_t len, struct finding *f, size_t first,
			  size_t n, const size_t *later, size_t nlater)
{
	size_t *idx = n > first ? malloc((n - first) * sizeof(*idx)) : NULL;

	if (!idx)
		return;
	for (size_t i = first; i < n; i++)
		idx[i - first] = i;
	qsort_r(idx, n - first, sizeof(*idx), by_entry_path, f);
	for (size_t k = 0; k < nlater; k++) {
		const char *p = text + later[k], *eol = memchr(p, '\n', len - later[k]);
		size_t l = eol ? (size_t)(eol - p) : len - later[k], lo = 0, hi = n - first;

		/* find the entry whose path is the line's, by binary search */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const char *q = f[idx[mid]].path, *r = p + 8;
			int c = 0;

			for (; !c; q++, r++) {
				int cq = *q == '\\' ? '/' : (unsigned char)*q;
				int cr = r < p + l && *r != ')' ? (unsigned char)*r : 0;

				c = cq - cr;
				if (!cq || !cr)
					break;
			}
			if (c == 0) {
				if (sha_line_names(p, l, f[idx[mid]].path))
					f[idx[mid]].confirmed = 1;
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	free(idx);
}

int quarantine_parse_manifest(const char *text, size_t len, struct finding **out, size_t *n)
{
	size_t pos = 0, first = *n, *later = NULL, nlater = 0;
	long cur = -1;

	while (pos < len) {
		const char *p = text + pos, *eol = memchr(p, '\n', len - pos);
		size_t l = eol ? (size_t)(eol - p) : len - pos;
		struct finding *f;
		char num[32];

		pos += l + (eol ? 1 : 0);
		if (l >= 7 && !memcmp(p, "# file ", 7)) {
			struct finding *grown = realloc(*out, (*n + 1) * sizeof(**out));

			if (!grown) {
				free(later);
				return -1;
			}
			*out = grown;
			cur = (long)(*n)++;
			f = &grown[cur];
			memset(f, 0, sizeof(*f));
			f->action = "restore";
			f->path = strndup(p + 7, l - 7);
			if (!f->path) {
				free(later);
				return -1;
			}
			if (memchr(p + 7, '\0', l - 7))
				damaged(f, "has a NUL byte in its path");
			else if (file_check_relpath(f->path, '\\'))
				damaged(f, file_check_relpath(f->path, '\\'));
			continue;
		}
		if (l > 8 && !memcmp(p, "SHA256 (", 8)) {
			/* confirms the entry of that path: the file moved.  It follows its
			   entry; a line repaired after a crash comes at the end and is
			   matched below, through a sorted index (a crafted manifest of
			   16 MiB stays n log n) */
			if (cur < 0 || !sha_line_names(p, l, (*out)[cur].path)) {
				size_t *grown = realloc(later, (nlater + 1) * sizeof(*later));

				if (!grown) {
					free(later);
					return -1;
				}
				later = grown;
				later[nlater++] = (size_t)(p - text);
			} else {
				(*out)[cur].confirmed = 1;
			}
			continue;
		}
		if (cur < 0)
			continue;
		f = &(*out)[cur];
		if (l >= 2 && !memcmp(p, "# ", 2) && memchr(p, '\0', l)) {
			damaged(f, "has a NUL byte");
		} else if (l >= 7 && !memcmp(p, "# size ", 7)) {
			char *e;

			snprintf(num, sizeof(num), "%.*s", (int)(l - 7 < 31 ? l - 7 : 31), p + 7);
			errno = 0;
			f->d.size = (off_t)strtoll(num, &e, 10);
			if (errno || *e || e == num || f->d.size < 0 || l - 7 > 20)
				damaged(f, "has a bad size");
		} else if (l >= 9 && !memcmp(p, "# sha256 ", 9)) {
			if (is_sha256(p + 9, l - 9)) {
				memcpy(f->d.sha256, p + 9, 64);
				f->d.sha256[64] = '\0';
			} else {
				damaged(f, "has a bad SHA-256");
			}
		} else if (l >= 8 && !memcmp(p, "# mtime ", 8) && l < 64) {
			char line[64], when[UTC_LEN + 1];
			long ns = 0;

			memcpy(line, p + 8, l - 8);
			line[l - 8] = '\0';
			if (sscanf(line, "%20s %ld", when, &ns) >= 1 &&
			    utc_parse(when, &f->mtime.tv_sec) == 0 && ns >= 0 && ns < 1000000000L)
				f->mtime.tv_nsec = ns;
			else
				f->mtime.tv_sec = 0;
		} else if (l == 13 + 64 && !memcmp(p, "# ntfs-times ", 13)) {
			char hexs[65];

			memcpy(hexs, p + 13, 64);
			hexs[64] = '\0';
			f->has_times = unhex(hexs, f->ntfs_times, 32) == 0;
		} else if (l >= 13 && l < 13 + 16 && !memcmp(p, "# attributes ", 13)) {
			snprintf(num, sizeof(num), "%.*s", (int)(l - 13), p + 13);
			f->attrib = (uint32_t)strtoul(num, NULL, 16);
			f->has_attrib = 1;
		} else if (l >= 7 && l < 300 && !memcmp(p, "# rule ", 7) && !f->rule) {
			f->rule = strndup(p + 7, l - 7);
		}
	}
	confirm_later(text, len, *out, first, *n, later, nlater);
	free(later);
	for (size_t i = first; i < *n; i++) {
		if (!(*out)[i].d.sha256[0])
			damaged(&(*out)[i], "has no SHA-256");
		if ((*out)[i].d.size > QUARANTINE_MAX_FILE)
			damaged(&(*out)[i], "names a file over 1 GiB, larger than any bootfix moves");
		if (i - first >= QUARANTINE_MAX_ENTRIES)
			damaged(&(*out)[i], "comes after the 10000th: more than one fix ever moves");
	}
	return 0;
}

static int same_file(int fd, const struct finding *f)
{
	struct file_digest d;
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != f->d.size)
		return 0;
	if (read_used + st.st_size > QUARANTINE_READ_BUDGET) {
		over_budget = 1;
		return 0;
	}
	read_used += st.st_size;
	return file_hash(fd, &d) == 0 && !strcmp(d.sha256, f->d.sha256);
}

/* The copy could not be shown to be the file: why, for f->result. */
static void mismatch(struct finding *f)
{
	if (over_budget)
		finding_result(f, "refused: not checked: this run already read %lld GiB from "
			       "quarantine (a crafted manifest?); run restore again for the rest",
			       (long long)(QUARANTINE_READ_BUDGET >> 30));
	else
		finding_result(f, "refused: the quarantined copy no longer matches its SHA-256");
}

/*
 * Restore one entry from the quarantine folder qfd; sets f->result.  The
 * entry's path was checked when it was read (no "..", no absolute path, no
 * drive); both sides are still opened strictly beneath their folder.
 */
static void restore_one(int rootfd, int qfd, struct finding *f)
{
	const char *base;
	char *dir, *posixdir;
	int odir = -1, qdir = -1, fd = -1;
	struct stat st;
	char *stored;

	if (f->result)		/* damaged: said so when it was read */
		return;
	dir = split_dir(f->path, &base);
	posixdir = dir ? winpath_to_posix(dir) : NULL;
	if (!dir || !posixdir) {
		finding_result(f, "failed: %s", strerror(ENOMEM));
		goto out;
	}
	qdir = *dir ? file_open_beneath(qfd, posixdir, O_RDONLY | O_DIRECTORY, 0) : dup(qfd);
	if (qdir < 0 && errno != ENOENT) {
		finding_result(f, "refused: its folder in quarantine %s",
			       errno == ELOOP || errno == ENOTDIR ? "is reached through a link, or "
			       "is not a folder" : errno == EXDEV ? "crosses a mount" : strerror(errno));
		goto out;
	}
	odir = winpath_opendir(rootfd, dir, NULL);
	if (odir < 0 && errno == ENOENT && qdir >= 0 &&
	    (fd = file_open(qdir, base, O_RDONLY | O_NONBLOCK, 0)) < 0) {
		finding_result(f, "failed: %s from quarantine",
			       errno == ELOOP ? "a link, not the file," : "missing");
		goto out;
	}
	if (odir < 0 && errno == ENOENT && fd >= 0) {
		/* its folder is gone: made again, but only for the file it was made for */
		int ok = same_file(fd, f);

		close(fd);
		fd = -1;
		if (!ok) {
			mismatch(f);
			goto out;
		}
		odir = winpath_makedirs(rootfd, dir);
	}
	if (odir < 0) {
		finding_result(f, "failed: cannot open folder %s: %s", dir,
			       errno == ELOOP || errno == ENOTDIR ? "it is reached through a link, or "
			       "is not a folder" : strerror(errno));
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
		finding_result(f, "failed: %s from quarantine",
			       qdir >= 0 && errno == ELOOP ? "a link, not the file," : "missing");
		goto out;
	}
	if (!same_file(fd, f)) {
		mismatch(f);
		goto out;
	}
	if (fstat(fd, &st) < 0 || move_noreplace(qdir, base, odir, base) < 0) {
		finding_result(f, "failed: cannot move it back: %s", strerror(errno));
		goto out;
	}
	file_sync_dir(qdir);
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
	read_used = 0;
	over_budget = 0;
	repair_all(rootfd);
	top = file_open(rootfd, stored, O_RDONLY | O_DIRECTORY, 0);
	free(stored);
	if (top < 0)
		return err_set("cannot open \\%s: %s", QUARANTINE_DIR, strerror(errno));
	d = fdopendir(dup(top));
	while (d && (e = readdir(d))) {
		char **grown;

		if (e->d_name[0] == '.' || file_check_relpath(e->d_name, '/'))
			continue;	/* not a folder bootfix made */
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
		size_t first = *n, tlen = 0;

		text = qfd < 0 ? NULL : file_slurp(qfd, QUARANTINE_MANIFEST, 16 << 20, &tlen);
		if (!text || quarantine_parse_manifest(text, tlen, out, n) < 0) {
			/* never "nothing in quarantine" when a folder could not be read */
			char why[1200];
			struct finding *grown;

			snprintf(why, sizeof(why), "refused: cannot read the manifest of \\%s\\%s: %s",
				 QUARANTINE_DIR, names[i], qfd < 0 ? (errno == ELOOP ?
				 "the folder is a link" : strerror(errno)) : text ? "out of memory" :
				 err_msg());
			free(text);
			if (qfd >= 0)
				close(qfd);
			grown = realloc(*out, (*n + 1) * sizeof(**out));
			if (grown) {
				*out = grown;
				memset(&grown[*n], 0, sizeof(**out));
				grown[*n].action = "restore";
				if (asprintf(&grown[*n].path, "%s\\%s\\%s", QUARANTINE_DIR, names[i],
					     QUARANTINE_MANIFEST) < 0)
					grown[*n].path = NULL;
				finding_result(&grown[*n], "%s", why);
				(*n)++;
			}
			failed++;
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

/* ---- records kept for the log servers ---- */

/* Open the quarantine folder "\\bootfix-quarantine\\TS" of the volume. */
static int open_folder(int rootfd, const char *folder)
{
	const char *w = folder[0] == '\\' ? folder + 1 : folder;

	if (file_check_relpath(w, '\\')) {
		errno = EINVAL;
		return -1;
	}
	return winpath_opendir(rootfd, w, NULL);
}

int quarantine_keep_record(int rootfd, const char *folder, const char *line, size_t len,
			   char **where)
{
	int qfd = open_folder(rootfd, folder), fd, e;
	char *buf;

	*where = NULL;
	if (qfd < 0)
		return err_set("cannot open %s: %s", folder, err_cause(errno));
	if (asprintf(where, "%s\\" QUARANTINE_UNSENT, folder) < 0 || !(buf = malloc(len + 1))) {
		if (*where)
			free(*where);
		*where = NULL;
		close(qfd);
		return err_set("cannot keep the record in %s: %s", folder, err_cause(ENOMEM));
	}
	memcpy(buf, line, len);
	buf[len] = '\n';
	fd = file_open(qfd, QUARANTINE_UNSENT, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || file_writeall(fd, buf, len + 1) < 0 || fsync(fd) < 0) {
		e = errno;
		if (fd >= 0) {
			close(fd);
			unlinkat(qfd, QUARANTINE_UNSENT, 0);	/* ours: never half a record */
		}
		err_set("cannot write %s: %s", *where, e == EEXIST ? "it exists already" :
			e == ELOOP ? "a link is in its place" : err_cause(e));
		goto fail;
	}
	if (close(fd) < 0 || file_sync_dir(qfd) < 0) {
		err_set("cannot write %s: %s", *where, err_cause(errno));
		goto fail;
	}
	free(buf);
	close(qfd);
	return 0;
fail:
	free(buf);
	free(*where);
	*where = NULL;
	close(qfd);
	return -1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int quarantine_unsent(int rootfd, char ***folders)
{
	char *stored = winpath_lookup(rootfd, QUARANTINE_DIR), **names = NULL;
	size_t n = 0;
	struct dirent *e;
	int top;
	DIR *d;

	*folders = NULL;
	if (!stored)
		return errno == ENOENT ? 0 : err_set("cannot look for \\%s: %s", QUARANTINE_DIR,
						     err_cause(errno));
	top = file_open(rootfd, stored, O_RDONLY | O_DIRECTORY, 0);
	if (top < 0) {
		err_set("cannot open \\%s: %s", stored, err_cause(errno));
		free(stored);
		return -1;
	}
	d = fdopendir(dup(top));
	while (d && (e = readdir(d))) {
		struct stat st;
		char **grown, *s;
		int qfd;

		if (e->d_name[0] == '.' || file_check_relpath(e->d_name, '/'))
			continue;	/* not a folder bootfix made */
		qfd = file_open(top, e->d_name, O_RDONLY | O_DIRECTORY, 0);
		if (qfd < 0)
			continue;
		if (fstatat(qfd, QUARANTINE_UNSENT, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			close(qfd);
			continue;
		}
		close(qfd);
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown || asprintf(&s, "\\%s\\%s", stored, e->d_name) < 0) {
			if (grown)
				names = grown;
			break;
		}
		names = grown;
		names[n++] = s;
	}
	if (d)
		closedir(d);
	close(top);
	free(stored);
	/* the folder names are UTC times: oldest first, as they were written */
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	while (n > QUARANTINE_UNSENT_MAX)
		free(names[--n]);
	*folders = names;
	return (int)n;
}

/*
 * Whether text (one JSON line) is a bootfix record kept in folder: the
 * record of the fix that made that folder names it as a volume's
 * quarantine.  A JSON object planted there (or another folder's record)
 * is not sent as if this machine's fix had written it.
 */
static int kept_here(const char *text, size_t len, const char *folder)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *j = NULL, *v, *vols;
	int ok = 0;

	if (!tok)
		return 0;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	j = json_tokener_parse_ex(tok, text, (int)len);
	if (j && json_tokener_get_parse_end(tok) == len && json_object_is_type(j, json_type_object) &&
	    json_object_object_get_ex(j, "tool", &v) && json_object_is_type(v, json_type_string) &&
	    !strcmp(json_object_get_string(v), "bootfix") &&
	    json_object_object_get_ex(j, "volumes", &vols) &&
	    json_object_is_type(vols, json_type_array))
		for (size_t i = 0; !ok && i < json_object_array_length(vols); i++) {
			struct json_object *q;

			ok = json_object_object_get_ex(json_object_array_get_idx(vols, i), "quarantine",
						       &q) && json_object_is_type(q, json_type_string) &&
			     !strcasecmp(json_object_get_string(q), folder);
		}
	json_object_put(j);
	json_tokener_free(tok);
	return ok;
}

char *quarantine_unsent_read(int rootfd, const char *folder, size_t *len)
{
	int qfd = open_folder(rootfd, folder);
	struct stat st = { 0 };
	char *text;

	if (qfd < 0) {
		err_set("cannot open %s: %s", folder, err_cause(errno));
		return NULL;
	}
	/* what is in its place, said with the folder it is in: the volume is hostile */
	if (fstatat(qfd, QUARANTINE_UNSENT, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
		err_set("%s\\" QUARANTINE_UNSENT " is %s: not sent", folder, S_ISLNK(st.st_mode) ?
			"a link" : S_ISDIR(st.st_mode) ? "a folder" : "not a regular file");
		close(qfd);
		return NULL;
	}
	text = file_slurp(qfd, QUARANTINE_UNSENT, QUARANTINE_RECORD_MAX, len);
	close(qfd);
	if (!text && (size_t)st.st_size > QUARANTINE_RECORD_MAX)
		err_set("%s\\" QUARANTINE_UNSENT " is larger than %d bytes: not sent", folder,
			QUARANTINE_RECORD_MAX);
	else if (!text)
		err_set("%s\\" QUARANTINE_UNSENT " is not read: %s: not sent", folder, err_msg());
	if (!text)
		return NULL;
	if (*len < 3 || text[0] != '{' || text[*len - 1] != '\n' || text[*len - 2] != '}') {
		err_set("%s\\" QUARANTINE_UNSENT " is not one record line: not sent", folder);
		free(text);
		return NULL;
	}
	for (size_t i = 0; i + 1 < *len; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
			err_set("%s\\" QUARANTINE_UNSENT " holds a control character: not sent",
				folder);
			free(text);
			return NULL;
		}
	text[--*len] = '\0';
	if (!kept_here(text, *len, folder)) {
		err_set("%s\\" QUARANTINE_UNSENT " is not the record of the fix that made the "
			"folder: not sent", folder);
		free(text);
		return NULL;
	}
	return text;
}

int quarantine_unsent_mark(int rootfd, const char *folder)
{
	int qfd = open_folder(rootfd, folder), rc = -1, e = 0;
	char name[64];

	if (qfd < 0)
		return err_set("cannot open %s: %s", folder, err_cause(errno));
	for (int k = 1; k < 100; k++) {
		if (k == 1)
			snprintf(name, sizeof(name), QUARANTINE_SENT);
		else
			snprintf(name, sizeof(name), "record-sent-%d.jsonl", k);
		if (move_noreplace(qfd, QUARANTINE_UNSENT, qfd, name) == 0) {
			rc = file_sync_dir(qfd);
			e = errno;
			break;
		}
		if ((e = errno) != EEXIST)
			break;
	}
	close(qfd);
	if (rc < 0)
		return err_set("cannot mark %s\\" QUARANTINE_UNSENT " as sent: %s", folder,
			       err_cause(e ? e : EEXIST));
	return 0;
}
