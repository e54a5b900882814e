/*
 * file.h - careful file access for hostile volumes and the data stick.
 *
 * Every open goes through file_open(), which adds O_NOFOLLOW and O_CLOEXEC,
 * so a link planted on a Windows volume cannot lead us elsewhere.  Files we
 * create are created with O_EXCL and flushed with fsync (file and directory)
 * before we say they exist.
 */
#ifndef BOOTFIX_FILE_H
#define BOOTFIX_FILE_H

#include <stddef.h>
#include <dirent.h>
#include <sys/types.h>

#define FILE_HEAD_MAX 64

/* What file_hash() learns from reading a file once. */
struct file_digest {
	off_t size;
	char sha256[65];		/* lowercase hex, NUL-terminated */
	int all_zero;			/* 1 when every byte is zero (and size > 0) */
	unsigned char head[FILE_HEAD_MAX];
	size_t headlen;			/* bytes valid in head */
	off_t read;			/* bytes actually read (holes are not read) */
};

/*
 * openat() with O_NOFOLLOW|O_CLOEXEC added; returns the fd or -1 with errno
 * (ELOOP when name is a link, also with O_DIRECTORY, where Linux alone
 * would say ENOTDIR).
 */
int file_open(int dirfd, const char *name, int flags, mode_t mode);

/*
 * Open the directory path names a file in (".", "/" or what comes before
 * its last '/', the directory itself not followed if a link) and set *base
 * to the last part (caller frees).  Returns the directory's fd, or -1 with
 * errno (EISDIR when path ends in '/' or is empty) and *base NULL.
 */
int file_open_parent(const char *path, char **base);

/*
 * Check a relative path that came from a volume or a stick, parts separated
 * by sep ('/' or '\\'): no empty part (so no leading or doubled separator),
 * no "." or "..", no '/' or '\\' inside a part, no ':' (drive letters and
 * NTFS streams), no control character (C0, DEL) and at most 4095 bytes.
 * Returns NULL when it is fine, else why not (a static string: "it climbs
 * out with ..", ...).
 */
const char *file_check_relpath(const char *path, char sep);

/*
 * Open the '/'-separated relpath strictly beneath dirfd: never through a
 * symbolic link, never above dirfd, never onto another mount.  Uses
 * openat2() with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV
 * where the kernel has it, else walks part by part with O_NOFOLLOW and
 * checks the device of each part.  relpath is checked with
 * file_check_relpath() first (EINVAL).  With O_CREAT only the last part
 * may be new.  Returns the fd or -1 with errno (ELOOP for a link, EXDEV for
 * a mount crossing, EINVAL for a refused path).
 */
int file_open_beneath(int dirfd, const char *relpath, int flags, mode_t mode);

/* Write all of buf, looping on short writes; 0 or -1 with errno set. */
int file_writeall(int fd, const void *buf, size_t len);

/*
 * Read the regular file fd once, from offset 0 to its size, and fill *d.
 * Holes are not read (SEEK_DATA / SEEK_HOLE, and a file with no block
 * allocated at all is all zero): they count as zero bytes.  Returns 0, or
 * -1 with errno set (EINVAL: not a regular file; EIO: it shrank; err_set()
 * is left to the caller, which knows the name).
 */
int file_hash(int fd, struct file_digest *d);

/* fsync() the directory open as dirfd; 0 or -1 with errno. */
int file_sync_dir(int dirfd);

/*
 * Make every directory of relpath ('/'-separated) below dirfd, refusing to
 * follow links and refusing paths file_check_relpath() refuses.  Returns an fd of the last directory (caller closes), or -1
 * with err_set().  *created (may be NULL) tells whether the last one is new.
 */
int file_mkdirs(int dirfd, const char *relpath, mode_t mode, int *created);

/*
 * Create name in dirfd with O_EXCL and write buf; fsync file and directory.
 * Returns 0, or -1 with err_set() naming name.
 */
int file_write_new(int dirfd, const char *name, const void *buf, size_t len);

/*
 * Copy the regular file srcfd (from offset 0) to a new file name in dstdir
 * (O_EXCL), preserving the modification time; fsync file and directory.
 * sha256 (may be NULL) receives the hex SHA-256 of the bytes copied, read
 * once.  Returns 0, or -1 with err_set() (a partial copy is removed).
 */
int file_copy(int srcfd, int dstdir, const char *name, char sha256[65]);

/*
 * Read a whole regular file (at most max bytes) into a NUL-terminated
 * buffer the caller frees.  Returns NULL with err_set() on failure.
 */
char *file_slurp(int dirfd, const char *path, size_t max, size_t *len);

/*
 * Read up to len bytes at off, going on after short reads and EINTR.
 * Returns the bytes read (fewer only at the end of the file), or -1.
 */
ssize_t file_pread_all(int fd, void *buf, size_t len, off_t off);

/*
 * The first max bytes of what fd holds (a memfd a child wrote its messages
 * to) as a NUL-terminated string; "" when it cannot be read, NULL when out
 * of memory.
 */
char *file_read_text(int fd, size_t max);

/*
 * The first line of a small file below dirfd (a sysfs attribute), without
 * trailing blanks; a new string the caller frees, or NULL when the file is
 * absent, unreadable or empty.  At most 4095 bytes are read.
 */
char *file_attr(int dirfd, const char *name);

/*
 * ROOT/SUB (a sysfs directory such as "/sys" "class/net") opened with
 * O_NOFOLLOW as a directory stream, its fd in *dfd (closed by closedir());
 * NULL when absent.
 */
DIR *file_opendir(const char *root, const char *sub, int *dfd);

#endif
