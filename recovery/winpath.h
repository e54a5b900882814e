/*
 * winpath.h - Windows paths on a mounted NTFS volume.
 *
 * Windows treats names case-insensitively but ntfs-3g looks them up as
 * given, so every component is found by listing its directory.  Lookups
 * never follow links: a junction on a hostile volume cannot lead outside it.
 */
#ifndef BOOTFIX_WINPATH_H
#define BOOTFIX_WINPATH_H

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

/* A copy of path with every '\' turned into '/' (caller frees), or NULL. */
char *winpath_to_posix(const char *path);

/* A copy of path with every '/' turned into '\' (caller frees), or NULL. */
char *winpath_from_posix(const char *path);

#endif
