/*
 * ntfs.c - ntfs-3g mounts that never cost the user data (see ntfs.h).
 *
 * ntfs-3g runs with no_detach in its own process group: we know its pid,
 * so unmounting can wait for it to finish writing, and a Ctrl-C at the
 * terminal reaches us (and our cleanup) rather than the file system.
 * Exit codes are those of ntfs_volume_status in ntfs-3g's volume.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "file.h"
#include "live.h"
#include "ntfs.h"
#include "proc.h"
#include "runstate.h"
#include "winpath.h"

/* ntfs_volume_status (ntfs-3g include/ntfs-3g/volume.h) */
enum {
	VOL_NOT_NTFS = 12, VOL_CORRUPT = 13, VOL_HIBERNATED = 14, VOL_UNCLEAN = 15,
	VOL_LOCKED = 16, VOL_RAID = 17, VOL_NO_PRIVILEGE = 19,
};

#define MAX_MOUNTS 32
LIVE_TABLE(live, struct ntfs_mount, MAX_MOUNTS);

#define OUTPUT_MAX 65536	/* of a tool's messages, kept for error messages */

/* The first informative line of ntfs-3g's or ntfsrecover's output. */
static void first_line(const char *out, char *buf, size_t len)
{
	/* ntfs-3g's "Mount is denied because..." is passed over for what follows */
	proc_first_line(out, "Mount is denied", buf, len);
}

/* ": " before a tool's line in a message, or nothing when it said nothing. */
static const char *colon(const char *line)
{
	return *line ? ": " : "";
}

/*
 * Start ntfs-3g with opts; returns 0 once mounted, or -1 with *code its exit
 * status (or -1) and *out its output (caller frees).
 */
static int spawn(const char *dev, const char *opts, struct ntfs_mount *m, int *code, char **out)
{
	const char *base = runstate_dir();
	char optarg[512], *argv[] = { "ntfs-3g", "-o", NULL, NULL, NULL, NULL };
	int errfd, r;
	pid_t pid;

	*code = -1;
	*out = NULL;
	memset(m, 0, sizeof(*m));
	m->rootfd = -1;
	if (!base || strlen(base) + 16 > sizeof(m->dir)) {
		*out = strdup(base ? "the run folder's path is too long" : err_msg());
		return -1;
	}
	snprintf(m->dir, sizeof(m->dir), "%s/mnt.XXXXXX", base);
	if (!mkdtemp(m->dir)) {
		*out = strdup(strerror(errno));
		m->dir[0] = '\0';
		return -1;
	}
	errfd = memfd_create("ntfs-3g", MFD_CLOEXEC);
	/* only root, in this mount namespace, can read the volume: ntfs-3g run
	   by root adds allow_other, so owner and mode must shut others out */
	snprintf(optarg, sizeof(optarg), "no_detach,uid=0,gid=0,umask=077,%s", opts);
	argv[2] = optarg;
	argv[3] = (char *)dev;
	argv[4] = m->dir;
	pid = proc_start_daemon(argv, errfd, -1);
	if (pid < 0) {
		*out = strdup(strerror(errno));
		rmdir(m->dir);
		close(errfd);
		return -1;
	}
	m->pid = pid;
	m->device = strdup(dev);
	r = proc_wait_mount(m->dir, pid, 120000, code);
	if (r < 0) {
		if (r == PROC_TIMED_OUT) {
			*out = strdup("ntfs-3g did not mount within 120 seconds");
		} else {
			*out = errfd >= 0 ? file_read_text(errfd, OUTPUT_MAX) : NULL;
			if (!*out || !**out) {
				free(*out);
				*out = strdup("ntfs-3g exited without mounting");
			}
		}
		close(errfd);
		rmdir(m->dir);
		free(m->device);
		memset(m, 0, sizeof(*m));
		m->rootfd = -1;
		return -1;
	}
	*out = errfd >= 0 ? file_read_text(errfd, OUTPUT_MAX) : NULL;
	close(errfd);
	m->rw = proc_mountinfo_state(m->dir) == 1;
	m->rootfd = file_open(AT_FDCWD, m->dir, O_RDONLY | O_DIRECTORY, 0);
	live_track(&live, m, 1);
	runstate_add("ntfs-3g", pid, m->dir, dev);
	*code = 0;
	return 0;
}

/*
 * What ntfs-3g 2022.10.3 does with a read-write request: without
 * remove_hiberfile it falls back to read-only and exits 0 for a hibernated
 * volume, fast restart metadata, or (with norecover) an unclean journal, so
 * only its messages tell why; with remove_hiberfile it exits 14 for fast
 * restart (EPERM, the same code as hibernation) and 15 for an unclean
 * journal.  Hence messages first, codes second.
 */
static enum ntfs_problem classify(int code, const char *out)
{
	if (strstr(out, "Metadata kept in Windows cache"))
		return NTFS_FAST_RESTART;
	/* not "hibernation": the read-only fallback notice names it for every cause */
	if (strstr(out, "Windows is hibernated") || strstr(out, "Hibernated non-system"))
		return NTFS_HIBERNATED;
	if (code == VOL_UNCLEAN || strstr(out, "unclean file system") ||
	    strstr(out, "wasn't safely powered off"))
		return NTFS_UNCLEAN;
	if (code == VOL_HIBERNATED)
		return NTFS_HIBERNATED;
	if (code == VOL_NOT_NTFS)
		return NTFS_NOT_NTFS;
	if (strstr(out, "Read-only file system") || strstr(out, "read-only"))
		return NTFS_READONLY;
	return NTFS_FAILED;
}

int ntfs_mount_ro(const char *dev, struct ntfs_mount *m, enum ntfs_problem *problem)
{
	char *out = NULL, line[300];
	int code;

	if (problem)
		*problem = NTFS_OK;
	if (spawn(dev, "ro,noatime", m, &code, &out) == 0) {
		free(out);
		if (m->rootfd < 0) {
			int e = errno;

			ntfs_umount(m);
			return err_set("cannot open the root of %s: %s", dev, strerror(e));
		}
		return 0;
	}
	if (problem)
		*problem = classify(code, out ? out : "");
	first_line(out, line, sizeof(line));
	free(out);
	return err_set("cannot mount %s read-only%s%s", dev, colon(line), line);
}

static int replay(const char *dev, int kill_fast_restart, char *why, size_t len)
{
	char *argv[] = { "ntfsrecover", kill_fast_restart ? "-k" : NULL, NULL, NULL };
	char *out = NULL;
	int code;

	if (kill_fast_restart)
		argv[2] = (char *)dev;
	else
		argv[1] = (char *)dev;
	code = proc_run(argv, 0, &out, OUTPUT_MAX);
	first_line(out, why, len);
	free(out);
	if (code != 0 && !*why)
		snprintf(why, len, code < 0 ? "cannot run it" : "exit status %d", code);
	return code == 0 ? 0 : -1;
}

int ntfs_fast_restart(const char *dev)
{
	char *argv[] = { "ntfsrecover", "-n", (char *)dev, NULL };
	char *out = NULL, line[300];
	int code = proc_run(argv, NTFS_PROBE_SECONDS * 1000L, &out, OUTPUT_MAX), rc;

	/* -n opens the volume read-only; a $LogFile of version 2.0 (what
	   fast restart leaves) is said in words, with exit code 1 */
	if (code == PROC_TIMED_OUT) {
		rc = err_set("cannot tell whether fast restart is on for %s: ntfsrecover -n was "
			     "still reading its $LogFile after %d seconds (damaged or crafted?) "
			     "and was stopped", dev, NTFS_PROBE_SECONDS);
	} else if (code < 0) {
		rc = err_set("cannot tell whether fast restart is on for %s: cannot run "
			     "ntfsrecover: %s", dev, strerror(errno));
	} else if (code == PROC_CANNOT_RUN || code >= 128) {
		first_line(out, line, sizeof(line));
		rc = err_set("cannot tell whether fast restart is on for %s: ntfsrecover -n %s",
			     dev, code == PROC_CANNOT_RUN ? line : "was killed by a signal");
	} else {
		rc = code == 1 && out && strstr(out, "Fast restart mode detected");
	}
	free(out);
	return rc;
}

int ntfs_mount_rw(const char *dev, const struct ntfs_policy *pol, struct ntfs_mount *m,
		  enum ntfs_problem *problem, struct ntfs_steps *steps)
{
	char opts[128], line[300], why[300];
	int replayed = 0, killed = 0;

	memset(steps, 0, sizeof(*steps));
	*problem = NTFS_OK;
	for (int attempt = 0; attempt < 3; attempt++) {
		char *out = NULL;
		int code;
		enum ntfs_problem p;

		/* norecover: ntfs-3g's own "recovery" resets the journal, losing it */
		snprintf(opts, sizeof(opts), "rw,norecover,noatime%s",
			 pol->discard_hibernation ? ",remove_hiberfile" : "");
		if (spawn(dev, opts, m, &code, &out) == 0) {
			if (m->rw && m->rootfd >= 0) {
				free(out);
				steps->discarded_hibernation = pol->discard_hibernation;
				return 0;
			}
			/* mounted, but ntfs-3g fell back to read-only: find out why */
			p = classify(-1, out ? out : "");
			first_line(out, line, sizeof(line));
			ntfs_umount(m);
			if (p == NTFS_FAILED)
				p = NTFS_READONLY;
		} else {
			p = classify(code, out ? out : "");
			first_line(out, line, sizeof(line));
		}
		free(out);
		*problem = p;
		switch (p) {
		case NTFS_HIBERNATED:
			return err_set("refusing to change %s: Windows is hibernated on it; fixing "
				       "would lose the hibernated session (--discard-hibernation "
				       "accepts that)", dev);
		case NTFS_FAST_RESTART:
			if (!pol->kill_fast_restart)
				return err_set("refusing to change %s: Windows fast restart keeps "
					       "metadata cached for it (--kill-fast-restart drops "
					       "the pending changes)", dev);
			if (killed)
				return err_set("cannot mount %s read-write: fast restart state "
					       "remains after ntfsrecover -k%s%s", dev, colon(line),
					       line);
			if (replay(dev, 1, why, sizeof(why)) < 0)
				return err_set("cannot clear fast restart state of %s: ntfsrecover "
					       "-k failed: %s", dev, why);
			killed = steps->killed_fast_restart = 1;
			continue;
		case NTFS_UNCLEAN:
			if (replayed)
				return err_set("cannot mount %s read-write: the journal is still "
					       "unclean after ntfsrecover%s%s", dev, colon(line),
					       line);
			if (replay(dev, 0, why, sizeof(why)) < 0) {
				*problem = NTFS_UNCLEAN;
				return err_set("refusing to change %s: its journal could not be "
					       "replayed (ntfsrecover: %s); boot Windows' own "
					       "recovery or run chkdsk", dev, why);
			}
			replayed = steps->replayed_journal = 1;
			continue;
		case NTFS_NOT_NTFS:
			return err_set("cannot mount %s: not an NTFS volume%s%s", dev, colon(line),
				       line);
		case NTFS_READONLY:
			return err_set("cannot mount %s read-write: the device is read-only "
				       "or ntfs-3g would only mount it read-only%s%s", dev,
				       colon(line), line);
		default:
			return err_set("cannot mount %s read-write%s%s", dev, colon(line), line);
		}
	}
	*problem = NTFS_FAILED;
	return err_set("cannot mount %s read-write: gave up after three attempts", dev);
}

int ntfs_umount(struct ntfs_mount *m)
{
	int rc = 0;

	if (!m->dir[0])
		return 0;
	if (m->rootfd >= 0)
		close(m->rootfd);
	m->rootfd = -1;
	/* ntfs-3g flushes and closes the volume after the unmount: wait for it
	   (up to five minutes), never stop it while it writes */
	if (proc_stop_daemon(m->dir, m->pid, 300000, 0) < 0)
		rc = err_set("cannot unmount %s from %s: %s", m->device ? m->device : "volume",
			     m->dir, strerror(errno));
	else
		m->pid = 0;
	if (rc == 0) {
		rmdir(m->dir);
		runstate_drop("ntfs-3g", m->dir);
		m->dir[0] = '\0';
		live_track(&live, m, 0);
		free(m->device);
		m->device = NULL;
	}
	sync();
	return rc;
}

void ntfs_adopt(struct ntfs_mount *m)
{
	live_adopt(&live, m);
}

void ntfs_umount_all(void)
{
	for (size_t i = 0; i < live.n; i++)
		if (live.slot[i])
			ntfs_umount(live.slot[i]);
}

int ntfs_private_mounts(void)
{
	/* a mount namespace of our own, nothing propagating out: our mounts
	   are seen by this process and its ntfs-3g children alone */
	if (unshare(CLONE_NEWNS) < 0)
		return err_set("cannot make a private mount namespace: %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_set("cannot make mounts private: %s", strerror(errno));
	return 0;
}

int ntfs_hibernated(int rootfd)
{
	char *name = winpath_lookup(rootfd, "hiberfil.sys");
	unsigned char magic[4];
	int fd, hib = 0;

	if (!name)
		return 0;
	fd = file_open(rootfd, name, O_RDONLY | O_NONBLOCK, 0);
	free(name);
	if (fd < 0)
		return 0;
	if (read(fd, magic, 4) == 4 &&
	    (!memcmp(magic, "hibr", 4) || !memcmp(magic, "HIBR", 4)))
		hib = 1;
	close(fd);
	return hib;
}
