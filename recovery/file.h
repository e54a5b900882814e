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
#include <sys/types.h>

#define FILE_HEAD_MAX 64

/* What file_hash() learns from reading a file once. */
struct file_digest {
	off_t size;
	char sha256[65];		/* lowercase hex, NUL-terminated */
	int all_zero;			/* 1 when every byte is zero (and size > 0) */
	unsigned char head[FILE_HEAD_MAX];
	size_t headlen;			/* bytes valid in head */
};

/* openat() with O_NOFOLLOW|O_CLOEXEC added; returns the fd or -1 with errno. */
int file_open(int dirfd, const char *name, int flags, mode_t mode);

/* Write all of buf, looping on short writes; 0 or -1 with errno set. */
int file_writeall(int fd, const void *buf, size_t len);

/*
 * Read fd from its current offset to the end and fill *d.  Returns 0, or -1
 * with errno set (err_set() is left to the caller, which knows the name).
 */
int file_hash(int fd, struct file_digest *d);

/* fsync() the directory open as dirfd; 0 or -1 with errno. */
int file_sync_dir(int dirfd);

/*
 * Make every directory of relpath ('/'-separated) below dirfd, refusing to
 * follow links.  Returns an fd of the last directory (caller closes), or -1
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
 * Returns 0, or -1 with err_set().
 */
int file_copy(int srcfd, int dstdir, const char *name);

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

#endif
