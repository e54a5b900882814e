/*
 * winpath.c - case-insensitive Windows path resolution (see winpath.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <wctype.h>

#include "file.h"
#include "winpath.h"

/* Decode one UTF-8 sequence; bad bytes decode as themselves so they compare. */
static uint32_t next_char(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t c = p[0];
	int extra = c >= 0xf0 && c < 0xf8 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

	if (c >= 0x80 && c < 0xc0)
		extra = 0;
	if (c >= 0xf8)
		extra = 0;
	if (extra) {
		c &= 0x3f >> extra;
		for (int i = 1; i <= extra; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				*s = p + 1;
				return p[0] | 0x80000000u;
			}
			c = (c << 6) | (p[i] & 0x3f);
		}
	}
	*s = p + 1 + extra;
	return c;
}

int winpath_namecmp(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;

	while (*pa && *pb) {
		uint32_t ca = next_char(&pa), cb = next_char(&pb);

		if (ca != cb && !(ca < 0x80000000u && cb < 0x80000000u &&
				  towupper((wint_t)ca) == towupper((wint_t)cb)))
			return 1;
	}
	return *pa || *pb;
}

char *winpath_lookup(int dirfd, const char *name)
{
	int fd = dup(dirfd);
	DIR *d;
	struct dirent *e;
	char *found = NULL;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return NULL;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, name)) {
			free(found);
			found = strdup(e->d_name);
			break;
		}
		if (!found && strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    !winpath_namecmp(e->d_name, name))
			found = strdup(e->d_name);
	}
	closedir(d);
	if (!found)
		errno = ENOENT;
	return found;
}

static int append(char **real, const char *comp)
{
	size_t old = *real ? strlen(*real) : 0;
	char *grown = realloc(*real, old + strlen(comp) + 2);

	if (!grown)
		return -1;
	if (old)
		grown[old++] = '\\';
	strcpy(grown + old, comp);
	*real = grown;
	return 0;
}

/* Walk wpath; the last component is opened with lastflags (O_DIRECTORY or file flags). */
static int walk(int rootfd, const char *wpath, int lastflags, char **real)
{
	char *copy = winpath_to_posix(wpath), *save = NULL, *comp, *next, *acc = NULL;
	struct stat top, st;
	int fd, e;

	if (!copy)
		return -1;
	if (fstat(rootfd, &top) < 0) {
		free(copy);
		return -1;
	}
	fd = dup(rootfd);
	comp = strtok_r(copy, "/", &save);
	while (fd >= 0 && comp) {
		char *stored;
		int nfd, flags;

		next = strtok_r(NULL, "/", &save);
		if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
			close(fd);
			fd = -1;
			errno = EINVAL;
			break;
		}
		stored = winpath_lookup(fd, comp);
		if (!stored) {
			close(fd);
			fd = -1;
			break;
		}
		flags = next ? O_RDONLY | O_DIRECTORY : lastflags;
		nfd = file_open(fd, stored, flags, 0);
		e = errno;
		if (nfd >= 0 && (fstat(nfd, &st) < 0 || st.st_dev != top.st_dev)) {
			close(nfd);	/* another file system mounted inside: not the volume */
			nfd = -1;
			e = EXDEV;
		}
		if (append(&acc, stored) < 0)
			nfd = -1, e = ENOMEM;
		free(stored);
		close(fd);
		fd = nfd;
		errno = e;
		comp = next;
	}
	free(copy);
	if (fd >= 0 && real)
		*real = acc ? acc : strdup("");
	else
		free(acc);
	return fd;
}

int winpath_opendir(int rootfd, const char *wpath, char **real)
{
	return walk(rootfd, wpath, O_RDONLY | O_DIRECTORY, real);
}

int winpath_openfile(int rootfd, const char *wpath, int flags, char **real)
{
	struct stat st;
	char *r = NULL;
	int fd = walk(rootfd, wpath, flags | O_NONBLOCK, &r);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		free(r);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (real)
		*real = r;
	else
		free(r);
	return fd;
}

int winpath_makedirs(int rootfd, const char *wpath)
{
	char *copy = winpath_to_posix(wpath), *save = NULL, *comp;
	int fd, e = 0;

	if (!copy)
		return -1;
	if (file_check_relpath(wpath, '\\')) {
		free(copy);
		errno = EINVAL;
		return -1;
	}
	fd = dup(rootfd);
	for (comp = strtok_r(copy, "/", &save); fd >= 0 && comp; comp = strtok_r(NULL, "/", &save)) {
		char *stored = winpath_lookup(fd, comp);
		int nfd;

		if (!stored && mkdirat(fd, comp, 0755) == 0)
			file_sync_dir(fd);
		nfd = file_open(fd, stored ? stored : comp, O_RDONLY | O_DIRECTORY, 0);
		e = errno;
		free(stored);
		close(fd);
		fd = nfd;
	}
	free(copy);
	if (fd < 0)
		errno = e;
	return fd;
}

/* ---- links, as Windows follows them ---- */

#define IO_REPARSE_TAG_MOUNT_POINT 0xA0000003u
#define IO_REPARSE_TAG_SYMLINK 0xA000000Cu
#define SYMLINK_FLAG_RELATIVE 1u
#define MAX_HOPS 31	/* Windows gives up after 63 reparse points; fewer will do */

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* UTF-16LE (len bytes) to a malloc'd UTF-8 string; NULL on bad input. */
static char *utf16_to_utf8(const unsigned char *p, size_t len)
{
	char *out = malloc(len / 2 * 3 + 1), *o = out;

	if (!out || len % 2) {
		free(out);
		return NULL;
	}
	for (size_t i = 0; i < len; i += 2) {
		uint32_t c = le16(p + i);

		if (c >= 0xd800 && c < 0xdc00 && i + 2 < len) {
			uint32_t lo = le16(p + i + 2);

			if (lo >= 0xdc00 && lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			}
		}
		if (c == 0 || (c >= 0xd800 && c < 0xe000)) {
			free(out);
			return NULL;
		}
		if (c < 0x80) {
			*o++ = (char)c;
		} else if (c < 0x800) {
			*o++ = (char)(0xc0 | c >> 6);
			*o++ = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			*o++ = (char)(0xe0 | c >> 12);
			*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
			*o++ = (char)(0x80 | (c & 0x3f));
		} else {
			/* 4 bytes: the buffer has 3 per UTF-16 unit and a pair is 2 units */
			*o++ = (char)(0xf0 | c >> 18);
			*o++ = (char)(0x80 | ((c >> 12) & 0x3f));
			*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
			*o++ = (char)(0x80 | (c & 0x3f));
		}
	}
	*o = '\0';
	return out;
}

int winpath_read_link(int dirfd, const char *name, struct winpath_link *l)
{
	unsigned char buf[16384];
	char path[64 + 256];
	ssize_t n;
	uint32_t tag;
	size_t off, slen, hdr;

	memset(l, 0, sizeof(*l));
	if (strchr(name, '/') || strlen(name) > 255) {
		errno = EINVAL;
		return -1;
	}
	/* by the trusted directory's fd: lgetxattr does not follow the last part */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
	n = lgetxattr(path, "system.ntfs_reparse_data", buf, sizeof(buf));
	if (n < 0)
		return -1;
	if (n < 8) {
		errno = EINVAL;
		return -1;
	}
	tag = le32(buf);
	l->tag = tag;
	if (tag != IO_REPARSE_TAG_MOUNT_POINT && tag != IO_REPARSE_TAG_SYMLINK)
		return 0;		/* another kind: no target we know how to read */
	hdr = tag == IO_REPARSE_TAG_SYMLINK ? 20 : 16;
	if ((size_t)n < hdr) {
		errno = EINVAL;
		return -1;
	}
	off = le16(buf + 8);
	slen = le16(buf + 10);
	if (hdr + off + slen > (size_t)n || slen == 0) {
		errno = EINVAL;
		return -1;
	}
	if (tag == IO_REPARSE_TAG_SYMLINK)
		l->relative = (le32(buf + 16) & SYMLINK_FLAG_RELATIVE) != 0;
	l->target = utf16_to_utf8(buf + hdr + off, slen);
	if (!l->target) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Append the '\'-separated parts of src to the stack of parts in *acc,
   lexically: "." is dropped, ".." pops.  -1 when ".." climbs above the root. */
static int push_parts(char **acc, const char *src)
{
	char *copy = strdup(src), *save = NULL, *part;
	int rc = 0;

	if (!copy)
		return -1;
	for (part = strtok_r(copy, "\\/", &save); part; part = strtok_r(NULL, "\\/", &save)) {
		if (!strcmp(part, "."))
			continue;
		if (!strcmp(part, "..")) {
			char *slash = *acc ? strrchr(*acc, '\\') : NULL;

			if (!*acc || !**acc) {
				rc = -1;
				break;
			}
			if (slash)
				*slash = '\0';
			else
				(*acc)[0] = '\0';
			continue;
		}
		if (append(acc, part) < 0) {
			rc = -1;
			break;
		}
	}
	free(copy);
	return rc;
}

int winpath_resolve_dir(int rootfd, const char *wpath, char drive, char **real, char *why,
			size_t whylen)
{
	char *pending = NULL, *done = NULL;
	int hops = 0, fd = -1;

	*real = NULL;
	why[0] = '\0';
	if (!drive)
		drive = 'C';
	drive = (char)towupper((wint_t)drive);
	if (push_parts(&pending, wpath) < 0) {
		snprintf(why, whylen, "%s climbs out of the volume", wpath);
		errno = EINVAL;
		return -1;
	}
restart:
	close(fd);
	fd = dup(rootfd);
	free(done);
	done = NULL;
	while (fd >= 0 && pending && *pending) {
		char *slash = strchr(pending, '\\'), *part, *stored, *rest;
		struct stat st;
		struct winpath_link l;

		part = slash ? strndup(pending, (size_t)(slash - pending)) : strdup(pending);
		rest = strdup(slash ? slash + 1 : "");
		free(pending);
		pending = rest;
		stored = part ? winpath_lookup(fd, part) : NULL;
		free(part);
		if (!stored || !pending)
			goto fail_errno;
		if (fstatat(fd, stored, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			free(stored);
			goto fail_errno;
		}
		if (S_ISDIR(st.st_mode)) {
			int nfd = file_open(fd, stored, O_RDONLY | O_DIRECTORY, 0);
			struct stat top, here;

			if (nfd >= 0 && (fstat(rootfd, &top) < 0 || fstat(nfd, &here) < 0 ||
					 here.st_dev != top.st_dev)) {
				/* another file system mounted inside: not the volume */
				snprintf(why, whylen, "%s%s%s is another file system mounted inside "
					 "the volume", done ? done : "", done ? "\\" : "", stored);
				close(nfd);
				free(stored);
				errno = EXDEV;
				goto fail;
			}
			if (nfd < 0 || append(&done, stored) < 0) {
				free(stored);
				goto fail_errno;
			}
			free(stored);
			close(fd);
			fd = nfd;
			continue;
		}
		if (!S_ISLNK(st.st_mode)) {
			snprintf(why, whylen, "%s%s%s is not a folder", done ? done : "",
				 done ? "\\" : "", stored);
			free(stored);
			errno = ENOTDIR;
			goto fail;
		}
		/* a junction or a symbolic link: where would Windows go? */
		if (winpath_read_link(fd, stored, &l) < 0 || !l.target) {
			snprintf(why, whylen, "%s%s%s is a link bootfix cannot read (%s)",
				 done ? done : "", done ? "\\" : "", stored,
				 l.tag ? "an unknown kind of reparse point" : strerror(errno));
			free(stored);
			errno = ELOOP;
			goto fail;
		}
		if (++hops > MAX_HOPS) {
			snprintf(why, whylen, "more than %d links on the way to %s", MAX_HOPS, wpath);
			free(stored);
			free(l.target);
			errno = ELOOP;
			goto fail;
		}
		{
			char *next = NULL;
			const char *t = l.target;
			int ok;

			if (l.relative) {
				next = done ? strdup(done) : strdup("");
				ok = next && push_parts(&next, t) == 0;
			} else if (!strncmp(t, "\\??\\", 4) && t[4] && t[5] == ':' &&
				   (t[6] == '\\' || !t[6]) &&
				   towupper((wint_t)(unsigned char)t[4]) == (wint_t)drive) {
				next = strdup("");
				ok = next && push_parts(&next, t + 6) == 0;
			} else {
				ok = 0;
			}
			if (!ok) {
				snprintf(why, whylen, "%s%s%s is a %s to %s, outside this volume (%c:)",
					 done ? done : "", done ? "\\" : "", stored,
					 l.tag == IO_REPARSE_TAG_MOUNT_POINT ? "junction" : "symbolic link",
					 t, drive);
				free(next);
				free(stored);
				free(l.target);
				errno = EXDEV;
				goto fail;
			}
			if (*pending && push_parts(&next, pending) < 0) {
				free(next);
				free(stored);
				free(l.target);
				errno = EINVAL;
				goto fail;
			}
			free(pending);
			pending = next;
			free(stored);
			free(l.target);
			goto restart;
		}
	}
	if (fd < 0)
		goto fail_errno;
	free(pending);
	*real = done ? done : strdup("");
	return fd;
fail_errno:
	{
		int e = errno ? errno : ENOENT;

		snprintf(why, whylen, "%s", strerror(e));
		errno = e;
	}
fail:
	{
		int e = errno;

		if (fd >= 0)
			close(fd);
		free(pending);
		free(done);
		errno = e;
	}
	return -1;
}

static char *swap(const char *path, char from, char to)
{
	char *c = strdup(path);

	for (char *s = c; s && *s; s++)
		if (*s == from)
			*s = to;
	return c;
}

char *winpath_to_posix(const char *path)
{
	return swap(path, '\\', '/');
}

char *winpath_from_posix(const char *path)
{
	return swap(path, '/', '\\');
}
