/*
 * file.c - careful file access (see file.h).
 *
 * Follows OpenBSD signify: one open helper with O_NOFOLLOW, O_EXCL for new
 * files, a write loop for short writes, and fsync of file and directory for
 * anything that must survive a pulled stick.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "err.h"
#include "file.h"

int file_open(int dirfd, const char *name, int flags, mode_t mode)
{
	int fd;

	do
		fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	while (fd < 0 && errno == EINTR);
	return fd;
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

int file_hash(int fd, struct file_digest *d)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int saved, rc = -1;

	memset(d, 0, sizeof(*d));
	d->all_zero = 1;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		errno = ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (n == 0)
			break;
		if (d->headlen < FILE_HEAD_MAX) {
			size_t take = FILE_HEAD_MAX - d->headlen;

			if (take > (size_t)n)
				take = (size_t)n;
			memcpy(d->head + d->headlen, buf, take);
			d->headlen += take;
		}
		if (d->all_zero) {
			for (ssize_t i = 0; i < n; i++)
				if (buf[i]) {
					d->all_zero = 0;
					break;
				}
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		d->size += n;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	for (unsigned int i = 0; i < mdlen && i < 32; i++) {
		d->sha256[2 * i] = hex[md[i] >> 4];
		d->sha256[2 * i + 1] = hex[md[i] & 15];
	}
	d->sha256[64] = '\0';
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
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int next;

		isnew = 0;
		if (mkdirat(fd, comp, mode) == 0) {
			isnew = 1;
			file_sync_dir(fd);
		} else if (errno != EEXIST) {
			err_set("cannot make directory %s in %s: %s", comp, relpath, strerror(errno));
			goto fail;
		}
		next = file_open(fd, comp, O_RDONLY | O_DIRECTORY, 0);
		if (next < 0) {
			err_set("cannot open directory %s in %s: %s", comp, relpath,
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

int file_copy(int srcfd, int dstdir, const char *name)
{
	char buf[65536];
	struct stat st;
	struct timespec ts[2];
	int fd;

	if (fstat(srcfd, &st) < 0 || lseek(srcfd, 0, SEEK_SET) < 0)
		return err_set("cannot copy %s: %s", name, strerror(errno));
	fd = file_open(dstdir, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return err_set("cannot create copy %s: %s", name, strerror(errno));
	for (;;) {
		ssize_t n = read(srcfd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && file_writeall(fd, buf, (size_t)n) < 0)) {
			int e = errno;

			close(fd);
			unlinkat(dstdir, name, 0);
			return err_set("cannot copy %s: %s", name, strerror(e));
		}
		if (n == 0)
			break;
	}
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	futimens(fd, ts);
	if (fsync(fd) < 0) {
		int e = errno;

		close(fd);
		unlinkat(dstdir, name, 0);
		return err_set("cannot copy %s: %s", name, strerror(e));
	}
	close(fd);
	if (file_sync_dir(dstdir) < 0)
		return err_set("cannot sync directory of copy %s: %s", name, strerror(errno));
	return 0;
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
