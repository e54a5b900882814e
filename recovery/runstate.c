/*
 * runstate.c - the run folder and the cleanup after a killed bootfix
 * (see runstate.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/loop.h>

#include "err.h"
#include "file.h"
#include "proc.h"
#include "runstate.h"

#define MAX_THINGS 64

struct thing {
	char kind[16];
	pid_t pid;
	unsigned long long start;
	char a[256], b[256];
};

static struct thing things[MAX_THINGS];
static size_t nthings;
static char dir[4096];

const char *runstate_dir(void)
{
	const char *env = getenv("BOOTFIX_RUN_DIR");
	char want[4096], *real;
	struct stat st;

	if (dir[0])
		return dir;
	snprintf(want, sizeof(want), "%s", env && *env ? env : "/run/bootfix");
	if (mkdir(want, 0700) < 0 && errno != EEXIST)
		return err_set("cannot make run folder %s: %s", want, strerror(errno)), NULL;
	if (lstat(want, &st) < 0)
		return err_set("cannot use run folder %s: %s", want, strerror(errno)), NULL;
	/* what is in it decides what bootfix stops and detaches: ours alone */
	if (S_ISLNK(st.st_mode))
		return err_set("cannot use run folder %s: it is a link", want), NULL;
	if (!S_ISDIR(st.st_mode))
		return err_set("cannot use run folder %s: not a folder", want), NULL;
	if (st.st_uid != geteuid())
		return err_set("cannot use run folder %s: owned by uid %u, not by this user", want,
			       (unsigned)st.st_uid), NULL;
	if (st.st_mode & 022)
		return err_set("cannot use run folder %s: others may write in it (chmod 700 %s)",
			       want, want), NULL;
	real = realpath(want, NULL);
	if (!real)
		return err_set("cannot use run folder %s: %s", want, strerror(errno)), NULL;
	/* mount points are found in mountinfo by path: keep them plain */
	for (const char *p = real; *p; p++)
		if (*p == ' ' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f) {
			err_set("cannot use run folder %s: its path holds a space, a backslash or "
				"a control character", want);
			free(real);
			return NULL;
		}
	snprintf(dir, sizeof(dir), "%s", real);
	free(real);
	return dir;
}

/*
 * Read /proc/PID/stat: *state (R, S, D, Z...) and the start time (clock
 * ticks since boot, field 22).  Returns 0, or -1 when there is no such
 * process.
 */
static int proc_stat(pid_t pid, char *state, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the name may hold spaces and parentheses */
	if (!p || p[1] != ' ')
		return -1;
	*state = p[2];
	*start = 0;
	/* after ") ": state is field 3; the space before field N is found at N */
	for (int field = 3; p && field <= 22; field++) {
		p = strchr(p + 1, ' ');
		if (p && field == 22)
			*start = strtoull(p + 1, NULL, 10);
	}
	return 0;
}

/* 1 while process pid with that start time runs (a zombie has ended). */
static int running(pid_t pid, unsigned long long start)
{
	unsigned long long now;
	char state;

	return proc_stat(pid, &state, &now) == 0 && now == start && state != 'Z' && state != 'X';
}

unsigned long long runstate_start_time(pid_t pid)
{
	unsigned long long start;
	char state;

	return proc_stat(pid, &state, &start) == 0 ? start : 0;
}

static int save(void)
{
	char path[4200], tmp[4300], *text = NULL;
	size_t len = 0;
	FILE *f;
	int fd, rc;

	if (!runstate_dir())
		return -1;
	snprintf(path, sizeof(path), "%s/state.%d", dir, (int)getpid());
	if (nthings == 0) {
		unlink(path);
		return 0;
	}
	f = open_memstream(&text, &len);
	if (!f)
		return err_set("cannot write %s: %s", path, strerror(errno));
	fprintf(f, "bootfix %d %llu\n", (int)getpid(), runstate_start_time(getpid()));
	for (size_t i = 0; i < nthings; i++)
		fprintf(f, "%s %d %llu %s %s\n", things[i].kind, (int)things[i].pid,
			things[i].start, things[i].a, things[i].b);
	fclose(f);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);
	fd = file_open(AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	rc = fd >= 0 && file_writeall(fd, text, len) == 0 && fsync(fd) == 0 ? 0 : -1;
	if (fd >= 0)
		close(fd);
	free(text);
	if (rc < 0 || rename(tmp, path) < 0)
		return err_set("cannot write %s: %s", path, strerror(errno));
	return 0;
}

int runstate_add(const char *kind, pid_t pid, const char *a, const char *b)
{
	struct thing *t;

	if (nthings == MAX_THINGS)
		return err_set("cannot record %s %s: too many", kind, a);
	t = &things[nthings++];
	memset(t, 0, sizeof(*t));
	snprintf(t->kind, sizeof(t->kind), "%s", kind);
	t->pid = pid;
	t->start = pid > 0 ? runstate_start_time(pid) : 0;
	/* fields are space-separated: the paths we make have no spaces */
	snprintf(t->a, sizeof(t->a), "%s", a);
	snprintf(t->b, sizeof(t->b), "%s", b && *b ? b : "-");
	for (char *p = t->a; *p; p++)
		if (*p == ' ' || *p == '\n')
			*p = '?';
	for (char *p = t->b; *p; p++)
		if (*p == ' ' || *p == '\n')
			*p = '?';
	return save();
}

void runstate_drop(const char *kind, const char *a)
{
	for (size_t i = 0; i < nthings; i++)
		if (!strcmp(things[i].kind, kind) && !strcmp(things[i].a, a)) {
			things[i] = things[--nthings];
			save();
			return;
		}
}

static void sayf(err_warn_fn say, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void sayf(err_warn_fn say, void *ctx, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!say)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	say(ctx, buf);
}

/* 1 when mnt is a mount point bootfix makes: RUNDIR/mnt.XXXXXX or dl.XXXXXX */
static int our_mount_point(const char *mnt)
{
	size_t l = strlen(dir);

	return !strncmp(mnt, dir, l) && mnt[l] == '/' && (!strncmp(mnt + l + 1, "mnt.", 4) ||
	       !strncmp(mnt + l + 1, "dl.", 3)) && !strchr(mnt + l + 1, '/');
}

/* 1 when process pid's command line has mnt as an argument */
static int serves(pid_t pid, const char *mnt)
{
	char path[64], cmd[8192];
	ssize_t len;
	int fd, found = 0;

	/* /proc files say they are empty: read, do not trust st_size */
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = file_pread_all(fd, cmd, sizeof(cmd) - 1, 0);
	close(fd);
	if (len <= 0)
		return 0;
	cmd[len] = '\0';
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(cmd + i) + 1)
		found |= !strcmp(cmd + i, mnt);
	return found;
}

/* Stop an ntfs-3g a killed bootfix left; 0 when it is gone. */
static int stop_ntfs3g(pid_t pid, unsigned long long start, const char *mnt, const char *dev,
		       err_warn_fn say, void *ctx)
{
	char comm[64] = "", path[64];
	int fd;

	if (!our_mount_point(mnt))
		return 0;	/* not a mount point bootfix makes: nothing of ours */
	if (pid > 0 && running(pid, start) && serves(pid, mnt)) {
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = read(fd, comm, sizeof(comm) - 1);

			comm[n > 0 ? n : 0] = '\0';
			close(fd);
		}
		if (!strncmp(comm, "ntfs-3g", 7)) {
			/* SIGTERM: ntfs-3g leaves its loop, flushes and closes the volume */
			kill(pid, SIGTERM);
			for (int waited = 0; waited < 60000 && running(pid, start); waited += 50)
				proc_sleep_ms(50);
			if (running(pid, start))
				return err_set("cannot clean up after a bootfix that was killed: "
					       "ntfs-3g (pid %d) still holds %s; stop it with: "
					       "kill %d", (int)pid, dev, (int)pid);
			sayf(say, ctx, "cleaned up after a bootfix that was killed: stopped its "
			     "ntfs-3g on %s (the volume was flushed and closed)", dev);
		}
	}
	/* mounted in this namespace (no private one)?  The daemon is gone: detach */
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	return 0;
}

/* Detach a loop device a killed bootfix attached, if it still is that one. */
static int detach_loop(const char *loop, const char *backing, err_warn_fn say, void *ctx)
{
	struct loop_info64 li;
	unsigned long long d = 0, ino = 0;
	int fd = file_open(AT_FDCWD, loop, O_RDONLY, 0);

	if (fd < 0)
		return 0;
	/* bootfix's loop devices clear themselves when the last user goes; one
	   without LO_FLAGS_AUTOCLEAR was attached by someone else: leave it.
	   An image's scans for partitions; a dynamic volume's starts inside its
	   disk (disk_loop_extent()) */
	if (sscanf(backing, "%llu:%llu", &d, &ino) == 2 && ioctl(fd, LOOP_GET_STATUS64, &li) == 0 &&
	    li.lo_device == d && li.lo_inode == ino && (li.lo_flags & LO_FLAGS_AUTOCLEAR) &&
	    ((li.lo_flags & LO_FLAGS_PARTSCAN) || li.lo_offset > 0)) {
		if (ioctl(fd, LOOP_CLR_FD, 0) < 0 && errno != ENXIO) {
			int e = errno;

			close(fd);
			return err_set("cannot clean up after a bootfix that was killed: cannot "
				       "detach %s: %s; detach it with: losetup -d %s", loop,
				       strerror(e), loop);
		}
		sayf(say, ctx, "cleaned up after a bootfix that was killed: detached %s", loop);
	}
	close(fd);
	return 0;
}

int runstate_recover(err_warn_fn say, void *ctx)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (!runstate_dir())
		return -1;
	d = opendir(dir);
	if (!d)
		return err_set("cannot read run folder %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char path[4400], *text, *line, *save = NULL;
		int owner;
		unsigned long long ostart = 0;
		int bad = 0;

		if (sscanf(e->d_name, "state.%d", &owner) != 1 || strchr(e->d_name, '-') ||
		    owner == (int)getpid() || strstr(e->d_name, ".new"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		{
			struct stat st;

			if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
			    (st.st_mode & 022))
				continue;	/* not a state file bootfix wrote */
		}
		text = file_slurp(AT_FDCWD, path, 1 << 16, NULL);
		if (!text)
			continue;
		if (sscanf(text, "bootfix %*d %llu", &ostart) == 1 && ostart &&
		    running(owner, ostart)) {
			free(text);
			continue;	/* that bootfix still runs */
		}
		/* ntfs-3g first (it holds the loop device), then the loop devices */
		for (int pass = 0; pass < 2; pass++) {
			char *copy = strdup(text);

			for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
				char kind[16], a[256], b[256];
				int pid;
				unsigned long long start;

				if (sscanf(line, "%15s %d %llu %255s %255s", kind, &pid, &start, a, b) != 5)
					continue;
				if (pass == 0 && !strcmp(kind, "ntfs-3g"))
					bad |= stop_ntfs3g(pid, start, a, b, say, ctx) < 0;
				else if (pass == 1 && !strcmp(kind, "loop"))
					bad |= detach_loop(a, b, say, ctx) < 0;
			}
			free(copy);
			if (bad)
				break;
		}
		free(text);
		if (bad) {
			rc = -1;
			break;
		}
		unlink(path);
	}
	closedir(d);
	return rc;
}
