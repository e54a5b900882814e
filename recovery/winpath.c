/*
 * winpath.c - case-insensitive Windows path resolution (see winpath.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	int fd, e;

	if (!copy)
		return -1;
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
