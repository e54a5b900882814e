/*
 * bitlocker_dislocker.c - mapping a volume through dislocker-fuse, for
 * when dm-crypt cannot (no device-mapper, a volume libcryptsetup refuses):
 * the key is handed over in a memfd (never a file nor an argument), the
 * FUSE daemon runs in its own process group, and a loop device is put over
 * the decrypted file it serves.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bitlocker_internal.h"
#include "disk.h"
#include "err.h"
#include "file.h"
#include "proc.h"
#include "runstate.h"

/* The first line dislocker printed that says something, without its time stamp. */
static void dislocker_said(int fd, char *out, size_t len)
{
	char *all = file_read_text(fd, 8192), *line, *save = NULL;

	snprintf(out, len, "dislocker-fuse exited without mounting");
	/* proc_start_daemon()'s "cannot run dislocker-fuse: cause" */
	if (all && !strncmp(all, "cannot run ", 11)) {
		proc_first_line(all, NULL, out, len);
		free(all);
		return;
	}
	for (line = all ? strtok_r(all, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *tag = strstr(line, "] ");

		if (!strstr(line, "[CRITICAL]") && !strstr(line, "[ERROR]"))
			continue;
		snprintf(out, len, "%s", tag ? tag + 2 : line);
		break;
	}
	free(all);
}

/* Overwrite and empty the memfd that carried a key to dislocker. */
static void wipe_memfd(int fd)
{
	unsigned char zero[66];

	memset(zero, 0, sizeof(zero));
	if (pwrite(fd, zero, sizeof(zero), 0) < 0)
		return;
	if (ftruncate(fd, 0) < 0)
		return;
}

int bitlocker_dislocker_stop(struct bitlocker_mapping *m)
{
	int rc = 0;

	/* two minutes to exit once unmounted, then SIGTERM: it flushes and exits */
	if (proc_stop_daemon(m->dir, m->pid, 120000, 1) < 0)
		rc = err_set("cannot unmount dislocker from %s: %s", m->dir, strerror(errno));
	else
		m->pid = 0;
	if (rc == 0 && m->dir[0]) {
		rmdir(m->dir);
		m->dir[0] = '\0';
	}
	return rc;
}

/*
 * Serve dev decrypted with fvek through dislocker-fuse and put a loop device
 * over it.  The key reaches dislocker as a memfd (never a file on disk nor
 * an argument anyone can read in /proc) that is wiped once it is mounted.
 */
int bitlocker_dislocker_open(const char *dev, const struct bitlocker_rawkey *fvek,
			     struct bitlocker_mapping *m)
{
	const char *base = runstate_dir();
	unsigned char blob[66];
	char said[256], file[sizeof(m->dir) + 32];
	char *ro[] = { "dislocker-fuse", "-r", "-V", (char *)dev, "-k", "/proc/self/fd/3", "--",
		       m->dir, "-f", "-o", "ro", NULL };
	char *rw[] = { "dislocker-fuse", "-V", (char *)dev, "-k", "/proc/self/fd/3", "--", m->dir,
		       "-f", NULL };
	struct loopdev lo;
	int keyfd, outfd, ffd, status, r;
	pid_t pid;

	if (!base || strlen(base) + 16 > sizeof(m->dir))
		return err_set("cannot open %s: %s", dev, base ? "the run folder's path is too long" :
			       err_msg());
	snprintf(m->dir, sizeof(m->dir), "%s/dl.XXXXXX", base);
	if (!mkdtemp(m->dir)) {
		m->dir[0] = '\0';
		return err_set("cannot open %s: cannot make a mount point in %s: %s", dev, base,
			       strerror(errno));
	}
	keyfd = memfd_create("bootfix-fvek", MFD_CLOEXEC);
	outfd = memfd_create("dislocker", MFD_CLOEXEC);
	memset(blob, 0, sizeof(blob));
	blob[0] = (unsigned char)(fvek->method & 0xff);
	blob[1] = (unsigned char)(fvek->method >> 8);
	memcpy(blob + 2, fvek->key, fvek->len);
	if (keyfd < 0 || outfd < 0 || file_writeall(keyfd, blob, sizeof(blob)) < 0) {
		int e = errno;

		explicit_bzero(blob, sizeof(blob));
		if (keyfd >= 0)
			close(keyfd);
		if (outfd >= 0)
			close(outfd);
		rmdir(m->dir);
		m->dir[0] = '\0';
		return err_set("cannot open %s: %s", dev, strerror(e));
	}
	explicit_bzero(blob, sizeof(blob));
	/* its own process group: a Ctrl-C meant for us must not kill it under ntfs-3g */
	pid = proc_start_daemon(m->readonly ? ro : rw, outfd, keyfd);
	if (pid < 0) {
		int e = errno;

		close(keyfd);
		close(outfd);
		rmdir(m->dir);
		m->dir[0] = '\0';
		return err_set("cannot open %s: cannot start dislocker-fuse: %s", dev, strerror(e));
	}
	m->pid = pid;
	r = proc_wait_mount(m->dir, pid, 60000, &status);
	if (r < 0) {
		if (r == PROC_TIMED_OUT)
			snprintf(said, sizeof(said), "it did not mount within 60 seconds");
		else
			dislocker_said(outfd, said, sizeof(said));
		m->pid = 0;
		wipe_memfd(keyfd);
		close(keyfd);
		close(outfd);
		rmdir(m->dir);
		m->dir[0] = '\0';
		return err_set("cannot open %s with dislocker: %s", dev, said);
	}
	/* dislocker has read the key: wipe it from the memfd before closing */
	wipe_memfd(keyfd);
	close(keyfd);
	close(outfd);
	/* a loop device over its file: no partition scan, this is a volume */
	snprintf(file, sizeof(file), "%s/dislocker-file", m->dir);
	ffd = file_open(AT_FDCWD, file, m->readonly ? O_RDONLY : O_RDWR, 0);
	if (ffd < 0) {
		err_set("cannot open %s: %s", file, strerror(errno));
	} else {
		if (disk_loop_attach(ffd, file, m->device, m->readonly, 0, &lo) == 0) {
			m->loopfd = lo.fd;
			snprintf(m->path, sizeof(m->path), "%s", lo.path);
		}
		close(ffd);
	}
	if (m->loopfd < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err_msg());
		bitlocker_dislocker_stop(m);
		return err_set("cannot open %s: %s", dev, why);
	}
	m->via = BITLOCKER_VIA_DISLOCKER;
	return 0;
}

int bitlocker_dislocker_installed(void)
{
	const char *path = getenv("PATH");
	char buf[4096], *dir, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char p[4200];

		snprintf(p, sizeof(p), "%s/dislocker-fuse", dir);
		if (access(p, X_OK) == 0)
			return 1;
	}
	return 0;
}
