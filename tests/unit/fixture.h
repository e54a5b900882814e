/*
 * fixture.h - what several unit tests make before they look: a scratch
 * folder, files with a given date, a mount namespace of their own, and a
 * file that cannot be read (EIO).
 *
 * Static functions only, so each test program takes what it uses; the
 * Makefile makes every unit test depend on this file.
 */
#ifndef BOOTFIX_TEST_FIXTURE_H
#define BOOTFIX_TEST_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FIXTURE_UNUSED __attribute__((unused))

/* A new folder /tmp/bootfix-TAG.XXXXXX in dir (at least 64 bytes); 0 or -1. */
static FIXTURE_UNUSED int fixture_tmpdir(char *dir, size_t len, const char *tag)
{
	snprintf(dir, len, "/tmp/bootfix-%s.XXXXXX", tag);
	return mkdtemp(dir) ? 0 : -1;
}

/* Run a shell command made from fmt; its exit status, or -1. */
static FIXTURE_UNUSED __attribute__((format(printf, 1, 2))) int fixture_sh(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	rc = system(cmd);
	free(cmd);
	return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

/* Remove a folder made by fixture_tmpdir() (its name has no quote in it). */
static FIXTURE_UNUSED void fixture_rm(const char *dir)
{
	if (dir[0] && !strncmp(dir, "/tmp/bootfix-", 13))
		fixture_sh("awk -v d='%s/' 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | "
			   "sort -r | while read -r m; do umount \"$m\" || umount -l \"$m\"; done; "
			   "rm -rf '%s'", dir, dir);
}

/*
 * Write len bytes of buf to the new file dir/rel (parents made), dated
 * mtime (0: now).  0 or -1.
 */
static FIXTURE_UNUSED int fixture_file(const char *dir, const char *rel, const void *buf,
				       size_t len, time_t mtime)
{
	char path[4200], *slash;
	struct timespec ts[2];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (slash = path + strlen(dir) + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (len && write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	if (mtime) {
		ts[0].tv_sec = ts[1].tv_sec = mtime;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		futimens(fd, ts);
	}
	return close(fd);
}

/*
 * Give this process a mount namespace of its own, nothing propagating out,
 * when it is root.  Returns 1 when it did (mount tests may run), else 0.
 */
static FIXTURE_UNUSED int fixture_private_mounts(void)
{
	return geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
	       mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
}

/*
 * A file that cannot be read: dir/m/REL on an ext2 file system (mounted
 * read-only at dir/m) whose loop device is cut short, under the mounted
 * file system, just before REL's first block.  The other files, given in
 * files as "rel=size" words (no spaces in rel), are written before it and
 * stay readable; REL (12 KiB) can be opened and listed, but reading its
 * data gives EIO.  Every file is dated mtime.  Needs root, a private mount
 * namespace, mkfs.ext2, debugfs and losetup.  Returns an fd of REL, held
 * so that its inode stays known, or -1.  Undone by fixture_rm(dir).
 */
static FIXTURE_UNUSED int fixture_eio_file(const char *dir, const char *files, const char *rel,
					   time_t mtime)
{
	char path[4200];
	int fd;

	if (fixture_sh("set -e; cd '%s'; truncate -s 4M img; mkfs.ext2 -q -F -b 4096 img; "
		       "head -c 65536 /dev/urandom > data; : > cmds; "
		       "for f in %s %s=12288; do n=${f%%=*}; s=${f#*=}; p=; "
		       "  for c in $(dirname \"$n\" | tr / ' '); do [ \"$c\" = . ] && break; "
		       "    p=$p/$c; echo \"mkdir $p\" >> cmds; done; "
		       "  src=src.$(echo \"$n\" | tr / _); head -c \"$s\" data > \"$src\"; "
		       "  echo \"write $src /$n\" >> cmds; "
		       "  echo \"sif /$n mtime @%lld\" >> cmds; done; "
		       "debugfs -w -f cmds img > /dev/null 2>&1; "
		       "blk=$(debugfs -R 'bmap /%s 0' img 2>/dev/null); [ \"$blk\" -gt 0 ]; "
		       "echo $blk > blk; losetup -f --show img > loop; mkdir m; "
		       "mount -o ro \"$(cat loop)\" m; ls -laR m > /dev/null",
		       dir, files ? files : "", rel, (long long)mtime, rel) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/m/%s", dir, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* the loop device goes when the file system is unmounted (autoclear) */
	if (fixture_sh("set -e; cd '%s'; truncate -s $(( $(cat blk) * 4096 )) img; "
		       "losetup -c \"$(cat loop)\"; losetup -d \"$(cat loop)\"", dir) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

#endif
