/*
 * winpath.h - Windows paths on a mounted NTFS volume.
 *
 * Windows treats names case-insensitively but ntfs-3g looks them up as
 * given, so every component is found by listing its directory.  Lookups
 * never follow links: a junction on a hostile volume cannot lead outside it.
 */
#ifndef BOOTFIX_WINPATH_H
#define BOOTFIX_WINPATH_H

#include <stdint.h>

/*
 * 0 when a and b are the same name to Windows (Unicode simple case folding
 * of UTF-8), else non-zero.
 */
int winpath_namecmp(const char *a, const char *b);

/*
 * Find name in the open directory dirfd case-insensitively; an exact match
 * wins over a case-folded one.  Returns the name as stored (caller frees),
 * or NULL with errno = ENOENT (or another errno).
 */
char *winpath_lookup(int dirfd, const char *name);

/*
 * Open the directory wpath ('\' or '/' separated, relative to rootfd),
 * resolving each component with winpath_lookup().  Returns an fd (caller
 * closes) or -1 with errno.  When real is not NULL, *real receives the path
 * as stored on the volume with '\' separators (caller frees).
 */
int winpath_opendir(int rootfd, const char *wpath, char **real);

/*
 * Open the regular file wpath like winpath_opendir(); flags as for open(2).
 * Returns an fd or -1 with errno (ELOOP for a link, EISDIR / EINVAL for
 * something that is not a regular file).
 */
int winpath_openfile(int rootfd, const char *wpath, int flags, char **real);

/*
 * Make the directory wpath and every missing parent below rootfd, finding
 * existing parts case-insensitively and following no link.  Returns an fd
 * of it (caller closes) or -1 with errno (EINVAL for a path
 * file_check_relpath() refuses).
 */
int winpath_makedirs(int rootfd, const char *wpath);

/* A reparse point as ntfs-3g shows it (system.ntfs_reparse_data). */
struct winpath_link {
	uint32_t tag;		/* IO_REPARSE_TAG_*: 0xA0000003 junction, 0xA000000C symlink */
	char *target;		/* substitute name, UTF-8: "\\??\\C:\\x" or "..\\x" (caller frees);
				   NULL for a kind that has none bootfix reads */
	int relative;		/* a symbolic link relative to its folder */
};

/*
 * Read the reparse point name (one part, no '/') in the open directory
 * dirfd without following it.  Returns 0 (l->target NULL when the tag is
 * not a junction or symbolic link), or -1 with errno.
 */
int winpath_read_link(int dirfd, const char *name, struct winpath_link *l);

/*
 * Open the directory wpath as Windows would reach it: parts found
 * case-insensitively, and a junction or directory symbolic link on the way
 * followed when its target is on this volume (a relative link, or an
 * absolute one on drive letter drive, the volume's own, 'C' when 0),
 * resolved again from the volume root, never through the kernel.  Returns
 * an fd (caller closes) with *real the path as stored after the links
 * (caller frees), or -1 with errno (ENOENT: not there; EXDEV: a link leads
 * off this volume; ELOOP: a link that cannot be read, or too many) and why
 * holding one line for a person (for ENOENT, strerror()).
 */
int winpath_resolve_dir(int rootfd, const char *wpath, char drive, char **real, char *why,
			size_t whylen);

/* A copy of path with every '\' turned into '/' (caller frees), or NULL. */
char *winpath_to_posix(const char *path);

/* A copy of path with every '/' turned into '\' (caller frees), or NULL. */
char *winpath_from_posix(const char *path);

#endif
