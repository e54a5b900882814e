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
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "file.h"
#include "live.h"
#include "ntfs.h"
#include "runstate.h"
#include "winpath.h"

/* ntfs_volume_status (ntfs-3g include/ntfs-3g/volume.h) */
enum {
	VOL_NOT_NTFS = 12, VOL_CORRUPT = 13, VOL_HIBERNATED = 14, VOL_UNCLEAN = 15,
	VOL_LOCKED = 16, VOL_RAID = 17, VOL_NO_PRIVILEGE = 19,
};

#define MAX_MOUNTS 32
LIVE_TABLE(live, struct ntfs_mount, MAX_MOUNTS);

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}



/* Find dir in /proc/self/mountinfo: -1 absent, 0 read-only, 1 read-write. */
static int mount_state(const char *dir)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int state = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char mp[1024], opts[1024], *dash, super[1024] = "";

		if (sscanf(line, "%*s %*s %*s %*s %1023s %1023s", mp, opts) != 2)
			continue;
		if (strcmp(mp, dir))
			continue;
		dash = strstr(line, " - ");
		if (dash)
			sscanf(dash + 3, "%*s %*s %1023s", super);
		state = !strncmp(opts, "rw", 2) && strncmp(super, "ro", 2) ? 1 : 0;
	}
	fclose(f);
	return state;
}

/* The first informative line of ntfs-3g's output, for error messages. */
static void first_line(const char *out, char *buf, size_t len)
{
	const char *p = out;

	buf[0] = '\0';
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);

		if (n > 2 && strncmp(p, "Mount is denied", 15)) {
			if (n >= len)
				n = len - 1;
			memcpy(buf, p, n);
			buf[n] = '\0';
			while (n && (buf[n - 1] == '.' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
				buf[--n] = '\0';
			if (buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a' && buf[1] <= 'z')
				buf[0] = (char)(buf[0] - 'A' + 'a');
			return;
		}
		p = eol ? eol + 1 : p + n;
	}
}

#define RUN_OUTPUT_MAX 65536

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/*
 * Run a program in its own process group, its output (stdout and stderr)
 * through a pipe into *output: the first RUN_OUTPUT_MAX bytes kept, the
 * rest read and dropped, so a chatty child costs no memory.  With
 * timeout_ms > 0 a child still running then is sent SIGTERM, and SIGKILL
 * two seconds later: only for children that change nothing (ntfsrecover
 * -n), never for one writing to a volume.  Returns the exit status (128 +
 * signal when killed by one), RUN_TIMED_OUT, or -1 when it could not start.
 */
#define RUN_TIMED_OUT (-2)

static int run(char *const argv[], char **output, long timeout_ms)
{
	int fds[2], status = 0, timed_out = 0;
	long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	size_t got = 0;
	pid_t pid;

	*output = NULL;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	*output = calloc(1, RUN_OUTPUT_MAX + 1);
	if (!*output) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		dup2(null, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(fds[1]);
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		long left = deadline ? deadline - now_ms() : -1;
		char chunk[4096];
		ssize_t n;
		int r;

		if (deadline && left <= 0) {
			timed_out = 1;
			break;
		}
		r = poll(&pfd, 1, (int)(left > 60000 ? 60000 : left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (r == 0)
			continue;	/* the deadline is checked above */
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* end of output: the child is exiting */
		if (got < RUN_OUTPUT_MAX) {
			size_t keep = (size_t)n < RUN_OUTPUT_MAX - got ? (size_t)n : RUN_OUTPUT_MAX - got;

			memcpy(*output + got, chunk, keep);
			got += keep;
		}
	}
	close(fds[0]);
	/* its output closed, it may still run (a child that closed it) */
	while (deadline && !timed_out) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (now_ms() >= deadline)
			timed_out = 1;
		else
			sleep_ms(20);
	}
	if (timed_out) {
		siginfo_t si;

		/* WNOWAIT: the child stays a zombie, so its group's number cannot be
		   reused before the SIGKILL reaches whatever is left of the group */
		kill(-pid, SIGTERM);
		for (int waited = 0; waited < 2000; waited += 20) {
			memset(&si, 0, sizeof(si));
			if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    si.si_pid == pid)
				break;
			sleep_ms(20);
		}
		kill(-pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		return RUN_TIMED_OUT;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Start ntfs-3g with opts; returns 0 once mounted, or -1 with *code its exit
 * status (or -1) and *out its output (caller frees).
 */
static int spawn(const char *dev, const char *opts, struct ntfs_mount *m, int *code, char **out)
{
	const char *base = runstate_dir();
	char optarg[512];
	int errfd, status;
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
	pid = fork();
	if (pid < 0) {
		*out = strdup(strerror(errno));
		rmdir(m->dir);
		close(errfd);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		setpgid(0, 0);
		dup2(null, 0);
		dup2(errfd >= 0 ? errfd : null, 1);
		dup2(errfd >= 0 ? errfd : null, 2);
		execlp("ntfs-3g", "ntfs-3g", "-o", optarg, dev, m->dir, (char *)NULL);
		dprintf(2, "cannot run ntfs-3g: %s\n", strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	m->pid = pid;
	m->device = strdup(dev);
	for (int waited = 0; waited < 120000; waited += 20) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			*code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			*out = errfd >= 0 ? file_read_text(errfd, 65536) : NULL;
			if (!*out || !**out) {
				free(*out);
				*out = strdup("ntfs-3g exited without mounting");
			}
			close(errfd);
			rmdir(m->dir);
			free(m->device);
			memset(m, 0, sizeof(*m));
			m->rootfd = -1;
			return -1;
		}
		if (mount_state(m->dir) >= 0)
			break;
		sleep_ms(20);
	}
	if (mount_state(m->dir) < 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		*out = strdup("ntfs-3g did not mount within 120 seconds");
		close(errfd);
		rmdir(m->dir);
		free(m->device);
		memset(m, 0, sizeof(*m));
		m->rootfd = -1;
		return -1;
	}
	*out = errfd >= 0 ? file_read_text(errfd, 65536) : NULL;
	close(errfd);
	m->rw = mount_state(m->dir) == 1;
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
	first_line(out ? out : "", line, sizeof(line));
	free(out);
	return err_set("cannot mount %s read-only: %s", dev, line);
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
	code = run(argv, &out, 0);
	first_line(out ? out : "", why, len);
	free(out);
	return code == 0 ? 0 : -1;
}

int ntfs_fast_restart(const char *dev)
{
	char *argv[] = { "ntfsrecover", "-n", (char *)dev, NULL };
	char *out = NULL, line[300];
	int code = run(argv, &out, NTFS_PROBE_SECONDS * 1000L), rc;

	/* -n opens the volume read-only; a $LogFile of version 2.0 (what
	   fast restart leaves) is said in words, with exit code 1 */
	if (code == RUN_TIMED_OUT) {
		rc = err_set("cannot tell whether fast restart is on for %s: ntfsrecover -n was "
			     "still reading its $LogFile after %d seconds (damaged or crafted?) "
			     "and was stopped", dev, NTFS_PROBE_SECONDS);
	} else if (code < 0) {
		rc = err_set("cannot tell whether fast restart is on for %s: cannot run "
			     "ntfsrecover: %s", dev, strerror(errno));
	} else if (code == 127 || code >= 128) {
		first_line(out ? out : "", line, sizeof(line));
		rc = err_set("cannot tell whether fast restart is on for %s: ntfsrecover -n %s",
			     dev, code == 127 ? line : "was killed by a signal");
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
			first_line(out ? out : "", line, sizeof(line));
			ntfs_umount(m);
			if (p == NTFS_FAILED)
				p = NTFS_READONLY;
		} else {
			p = classify(code, out ? out : "");
			first_line(out ? out : "", line, sizeof(line));
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
					       "remains after ntfsrecover -k: %s", dev, line);
			if (replay(dev, 1, why, sizeof(why)) < 0)
				return err_set("cannot clear fast restart state of %s: ntfsrecover "
					       "-k failed: %s", dev, why);
			killed = steps->killed_fast_restart = 1;
			continue;
		case NTFS_UNCLEAN:
			if (replayed)
				return err_set("cannot mount %s read-write: the journal is still "
					       "unclean after ntfsrecover: %s", dev, line);
			if (replay(dev, 0, why, sizeof(why)) < 0) {
				*problem = NTFS_UNCLEAN;
				return err_set("refusing to change %s: its journal could not be "
					       "replayed (ntfsrecover: %s); boot Windows' own "
					       "recovery or run chkdsk", dev, why);
			}
			replayed = steps->replayed_journal = 1;
			continue;
		case NTFS_NOT_NTFS:
			return err_set("cannot mount %s: not an NTFS volume: %s", dev, line);
		case NTFS_READONLY:
			return err_set("cannot mount %s read-write: the device is read-only or "
				       "ntfs-3g would only mount it read-only: %s", dev, line);
		default:
			return err_set("cannot mount %s read-write: %s", dev, line);
		}
	}
	*problem = NTFS_FAILED;
	return err_set("cannot mount %s read-write: gave up after three attempts", dev);
}

int ntfs_umount(struct ntfs_mount *m)
{
	int status, rc = 0;

	if (!m->dir[0])
		return 0;
	if (m->rootfd >= 0)
		close(m->rootfd);
	m->rootfd = -1;
	for (int tries = 0; mount_state(m->dir) >= 0; tries++) {
		if (umount2(m->dir, 0) == 0)
			break;
		if (errno != EBUSY || tries == 100) {
			rc = err_set("cannot unmount %s from %s: %s", m->device ? m->device : "volume",
				     m->dir, strerror(errno));
			break;
		}
		sleep_ms(100);
	}
	if (rc == 0 && m->pid > 0) {
		/* ntfs-3g flushes and closes the volume after the unmount: wait for it */
		for (int waited = 0; waited < 300000; waited += 20) {
			pid_t r = waitpid(m->pid, &status, WNOHANG);

			if (r == m->pid || (r < 0 && errno == ECHILD))
				break;
			sleep_ms(20);
		}
		m->pid = 0;
	}
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
