/*
 * file.c - careful file access (see file.h).
 *
 * Follows OpenBSD signify: one open helper with O_NOFOLLOW, O_EXCL for new
 * files, a write loop for short writes, and fsync of file and directory for
 * anything that must survive a pulled stick.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include <openssl/evp.h>

#include "err.h"
#include "file.h"
#include "sha256.h"

/*
 * Linux says ENOTDIR for a link opened O_DIRECTORY | O_NOFOLLOW: a link is
 * a link, whatever was asked of it, so make that ELOOP.
 */
static void link_is_eloop(int dirfd, const char *name, int flags)
{
	struct stat st;
	int e = errno;

	if (e == ENOTDIR && (flags & O_DIRECTORY) &&
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		e = ELOOP;
	errno = e;
}

int file_open(int dirfd, const char *name, int flags, mode_t mode)
{
	int fd;

	do
		fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		link_is_eloop(dirfd, name, flags);
	return fd;
}

const char *file_check_relpath(const char *path, char sep)
{
	const char *part = path;
	size_t len = 0;

	if (!path || !*path)
		return "it is empty";
	if (*path == '/' || *path == '\\')
		return "it is absolute";
	for (const char *p = path;; p++, len++) {
		if (len > 4095)
			return "it is too long";
		if (*p == sep || !*p) {
			size_t n = (size_t)(p - part);

			if (n == 0)
				return "it has an empty part";
			if ((n == 1 && part[0] == '.') || (n == 2 && part[0] == '.' && part[1] == '.'))
				return n == 1 ? "it has a '.' part" : "it climbs out with ..";
			if (!*p)
				return NULL;
			part = p + 1;
			continue;
		}
		if (*p == '/' || *p == '\\')
			return "it holds a slash";
		if (*p == ':')
			return "it names a drive or a stream (':')";
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "it holds a control character";
	}
}

/* The part-by-part walk, for kernels without openat2() (before 5.6). */
static int walk_beneath(int dirfd, const char *relpath, int flags, mode_t mode)
{
	char *copy = strdup(relpath), *save = NULL, *part, *next;
	struct stat top, st;
	int fd, e = 0;

	if (!copy)
		return -1;
	if (fstat(dirfd, &top) < 0 || (fd = dup(dirfd)) < 0) {
		free(copy);
		return -1;
	}
	for (part = strtok_r(copy, "/", &save); part; part = next) {
		int nfd;

		next = strtok_r(NULL, "/", &save);
		nfd = file_open(fd, part, next ? O_RDONLY | O_DIRECTORY : flags, mode);
		e = errno;
		close(fd);
		fd = nfd;
		if (fd < 0)
			break;
		if (fstat(fd, &st) < 0)
			e = errno;
		else if (st.st_dev != top.st_dev)
			e = EXDEV;
		else
			continue;
		close(fd);
		fd = -1;
		break;
	}
	free(copy);
	if (fd < 0)
		errno = e;
	return fd;
}

int file_open_beneath(int dirfd, const char *relpath, int flags, mode_t mode)
{
	static int no_openat2;
	struct open_how how;
	int fd;

	if (file_check_relpath(relpath, '/')) {
		errno = EINVAL;
		return -1;
	}
	if (!no_openat2) {
		memset(&how, 0, sizeof(how));
		how.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC);
		/* O_TMPFILE holds O_DIRECTORY's bit: a mode with O_DIRECTORY alone
		   is EINVAL to openat2() */
		how.mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? mode : 0;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV |
			      RESOLVE_NO_MAGICLINKS;
		do
			fd = (int)syscall(SYS_openat2, dirfd, relpath, &how, sizeof(how));
		while (fd < 0 && errno == EINTR);
		if (fd >= 0 || errno != ENOSYS) {
			if (fd < 0)
				link_is_eloop(dirfd, relpath, flags);
			return fd;
		}
		no_openat2 = 1;
	}
	return walk_beneath(dirfd, relpath, flags, mode);
}

int file_writeall(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Feed len bytes at buf (or len zero bytes when buf is NULL) to the digest. */
static void digest_feed(EVP_MD_CTX *ctx, struct file_digest *d, const unsigned char *buf,
			size_t len)
{
	static const unsigned char zero[65536];

	if (d->headlen < FILE_HEAD_MAX) {
		size_t take = FILE_HEAD_MAX - d->headlen;

		if (take > len)
			take = len;
		if (buf)
			memcpy(d->head + d->headlen, buf, take);
		else
			memset(d->head + d->headlen, 0, take);
		d->headlen += take;
	}
	if (!buf) {
		while (len > 0) {
			size_t k = len < sizeof(zero) ? len : sizeof(zero);

			EVP_DigestUpdate(ctx, zero, k);
			len -= k;
		}
		return;
	}
	if (d->all_zero)
		for (size_t i = 0; i < len; i++)
			if (buf[i]) {
				d->all_zero = 0;
				break;
			}
	EVP_DigestUpdate(ctx, buf, len);
}

/* Read [off, end) of fd into the digest; 0 or -1 with errno. */
static int digest_read(int fd, EVP_MD_CTX *ctx, struct file_digest *d, off_t off, off_t end)
{
	unsigned char buf[65536];

	while (off < end) {
		size_t want = end - off < (off_t)sizeof(buf) ? (size_t)(end - off) : sizeof(buf);
		ssize_t n = pread(fd, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;	/* it shrank while we read it */
			return -1;
		}
		d->read += n;
		digest_feed(ctx, d, buf, (size_t)n);
		off += n;
	}
	return 0;
}

int file_hash(int fd, struct file_digest *d)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	struct stat st;
	off_t off = 0;
	int saved, rc = -1;

	memset(d, 0, sizeof(*d));
	d->all_zero = 1;
	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	d->size = st.st_size;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		errno = ENOMEM;
		goto out;
	}
	if (st.st_blocks == 0 && st.st_size > 4096) {
		/* nothing allocated at all (ntfs-3g reports a sparse file so even
		   where it cannot say where its holes are): all zero, nothing to read */
		digest_feed(ctx, d, NULL, (size_t)st.st_size);
		off = st.st_size;
	}
	while (off < st.st_size) {
		/* read the data, not the holes: a sparse file of terabytes is cheap */
		off_t data = lseek(fd, off, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			data = st.st_size;		/* only a hole is left */
		else if (data < 0)
			data = off;			/* no SEEK_DATA here: read it all */
		if (data > st.st_size)
			data = st.st_size;
		if (data > off)
			digest_feed(ctx, d, NULL, (size_t)(data - off));
		if (data >= st.st_size)
			break;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > st.st_size)
			hole = st.st_size;
		if (hole <= data)
			hole = st.st_size;
		if (digest_read(fd, ctx, d, data, hole) < 0)
			goto out;
		off = hole;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	sha256_hex_digest(md, d->sha256);
	if (d->size == 0)
		d->all_zero = 0;
	rc = 0;
out:
	saved = errno;
	EVP_MD_CTX_free(ctx);
	errno = saved;
	return rc;
}

int file_sync_dir(int dirfd)
{
	if (fsync(dirfd) < 0 && errno != EINVAL && errno != EROFS)
		return -1;
	return 0;
}

int file_mkdirs(int dirfd, const char *relpath, mode_t mode, int *created)
{
	char *copy = strdup(relpath), *save = NULL, *comp;
	int fd, isnew = 0;

	if (!copy)
		return err_set("cannot make directory %s: %s", relpath, strerror(ENOMEM));
	fd = dup(dirfd);
	if (fd < 0) {
		free(copy);
		return err_set("cannot make directory %s: %s", relpath, strerror(errno));
	}
	if (file_check_relpath(relpath, '/')) {
		err_set("cannot make directory %s: %s", relpath, file_check_relpath(relpath, '/'));
		goto fail;
	}
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int next;

		isnew = 0;
		if (mkdirat(fd, comp, mode) == 0) {
			isnew = 1;
			file_sync_dir(fd);
		} else if (errno != EEXIST) {
			err_set("cannot make directory %s%s%s: %s", relpath, strcmp(comp, relpath) ?
				" at " : "", strcmp(comp, relpath) ? comp : "", strerror(errno));
			goto fail;
		}
		next = file_open(fd, comp, O_RDONLY | O_DIRECTORY, 0);
		if (next < 0) {
			err_set("cannot open directory %s%s%s: %s", relpath, strcmp(comp, relpath) ?
				" at " : "", strcmp(comp, relpath) ? comp : "",
				errno == ELOOP ? "it is a link" : strerror(errno));
			goto fail;
		}
		close(fd);
		fd = next;
	}
	free(copy);
	if (created)
		*created = isnew;
	return fd;
fail:
	close(fd);
	free(copy);
	return -1;
}

int file_write_new(int dirfd, const char *name, const void *buf, size_t len)
{
	int fd = file_open(dirfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);

	if (fd < 0)
		return err_set("cannot create %s: %s", name, strerror(errno));
	if (file_writeall(fd, buf, len) < 0 || fsync(fd) < 0) {
		int e = errno;

		close(fd);
		unlinkat(dirfd, name, 0);
		return err_set("cannot write %s: %s", name, strerror(e));
	}
	if (close(fd) < 0)
		return err_set("cannot write %s: %s", name, strerror(errno));
	if (file_sync_dir(dirfd) < 0)
		return err_set("cannot sync directory of %s: %s", name, strerror(errno));
	return 0;
}

int file_copy(int srcfd, int dstdir, const char *name, char sha256[65])
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct stat st;
	struct timespec ts[2];
	EVP_MD_CTX *ctx;
	off_t off = 0;
	int fd, e;

	if (fstat(srcfd, &st) < 0)
		return err_set("cannot copy %s: %s", name, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set("cannot copy %s: not a regular file", name);
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		return err_set("cannot copy %s: %s", name, strerror(ENOMEM));
	}
	fd = file_open(dstdir, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		EVP_MD_CTX_free(ctx);
		return err_set("cannot create copy %s: %s", name, strerror(errno));
	}
	for (;;) {
		ssize_t n = pread(srcfd, buf, sizeof(buf), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && file_writeall(fd, buf, (size_t)n) < 0))
			goto fail;
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		off += n;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	ctx = NULL;
	if (sha256)
		sha256_hex_digest(md, sha256);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	futimens(fd, ts);
	if (fsync(fd) < 0)
		goto fail;
	close(fd);
	if (file_sync_dir(dstdir) < 0)
		return err_set("cannot sync directory of copy %s: %s", name, strerror(errno));
	return 0;
fail:
	e = errno;
	EVP_MD_CTX_free(ctx);
	close(fd);
	unlinkat(dstdir, name, 0);
	return err_set("cannot copy %s: %s", name, strerror(e));
}

char *file_slurp(int dirfd, const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = file_open(dirfd, path, O_RDONLY | O_NONBLOCK, 0);

	if (fd < 0) {
		err_set("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set("cannot read %s: %s", path, S_ISDIR(st.st_mode) ? "is a directory" :
			"not a regular file");
		close(fd);
		return NULL;
	}
	if ((size_t)st.st_size > max) {
		err_set("cannot read %s: larger than %zu bytes", path, max);
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err_set("cannot read %s: %s", path, strerror(ENOMEM));
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set("cannot read %s: %s", path, n < 0 ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return NULL;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	if (len)
		*len = got;
	return buf;
}

ssize_t file_pread_all(int fd, void *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

char *file_read_text(int fd, size_t max)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf;

	if (len < 0)
		len = 0;
	if ((uint64_t)len > max)
		len = (off_t)max;
	buf = calloc(1, (size_t)len + 1);
	if (buf && len > 0 && file_pread_all(fd, buf, (size_t)len, 0) < 0)
		buf[0] = '\0';
	return buf;
}

int file_open_parent(const char *path, char **base)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	*base = strdup(slash ? slash + 1 : path);
	if (!*base || !**base) {
		free(*base);
		*base = NULL;
		errno = EISDIR;
		return -1;
	}
	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir) {
		free(*base);
		*base = NULL;
		errno = ENOMEM;
		return -1;
	}
	fd = file_open(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0);
	free(dir);
	if (fd < 0) {
		int e = errno;

		free(*base);
		*base = NULL;
		errno = e;
	}
	return fd;
}

char *file_attr(int dirfd, const char *name)
{
	char buf[4096];
	ssize_t n;
	int fd = file_open(dirfd, name, O_RDONLY | O_NONBLOCK, 0);

	if (fd < 0)
		return NULL;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	n = (ssize_t)strlen(buf);
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return n ? strdup(buf) : NULL;
}

DIR *file_opendir(const char *root, const char *sub, int *dfd)
{
	char path[4096];
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", root, sub);
	*dfd = file_open(AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0);
	if (*dfd < 0)
		return NULL;
	d = fdopendir(*dfd);
	if (!d)
		close(*dfd);
	return d;
}
