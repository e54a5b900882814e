/*
 * proc.c - running tools and FUSE daemons, and reading the mount table
 * (see proc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "proc.h"

void proc_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* A wait status as one number: the exit status, or 128 + the signal. */
static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int proc_run(char *const argv[], long timeout_ms, char **output, size_t max_output)
{
	int fds[2], status = 0, timed_out = 0;
	long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	size_t got = 0;
	pid_t pid;

	*output = NULL;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	*output = calloc(1, max_output + 1);
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
		_exit(PROC_CANNOT_RUN);
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
		if (got < max_output) {
			size_t keep = (size_t)n < max_output - got ? (size_t)n : max_output - got;

			memcpy(*output + got, chunk, keep);
			got += keep;
		}
	}
	close(fds[0]);
	/* its output closed, it may still run (a child that closed it) */
	while (deadline && !timed_out) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return exit_code(status);
		if (now_ms() >= deadline)
			timed_out = 1;
		else
			proc_sleep_ms(20);
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
			proc_sleep_ms(20);
		}
		kill(-pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		return PROC_TIMED_OUT;
	return exit_code(status);
}

void proc_first_line(const char *output, const char *skip, char *buf, size_t len)
{
	const char *p = output ? output : "";

	buf[0] = '\0';
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);

		if (n > 2 && (!skip || strncmp(p, skip, strlen(skip)))) {
			if (n >= len)
				n = len - 1;
			memcpy(buf, p, n);
			buf[n] = '\0';
			while (n && (buf[n - 1] == '.' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
				buf[--n] = '\0';
			err_lower_first(buf);
			return;
		}
		p = eol ? eol + 1 : p + n;
	}
}

pid_t proc_start_daemon(char *const argv[], int outfd, int keepfd)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		setpgid(0, 0);
		dup2(null, 0);
		dup2(outfd >= 0 ? outfd : null, 1);
		dup2(outfd >= 0 ? outfd : null, 2);
		if (keepfd == 3)
			fcntl(3, F_SETFD, 0);
		else if (keepfd >= 0)
			dup2(keepfd, 3);
		/* nothing else we inherited (a caller's pipe, a loop device) stays open */
		close_range(keepfd >= 0 ? 4 : 3, ~0U, 0);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(PROC_CANNOT_RUN);
	}
	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

int proc_wait_mount(const char *dir, pid_t pid, long timeout_ms, int *status)
{
	int st;

	for (long waited = 0;; waited += 20) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			*status = exit_code(st);
			return -1;
		}
		if (proc_mountinfo_state(dir) >= 0)
			return 0;
		if (waited >= timeout_ms)
			break;
		proc_sleep_ms(20);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	return PROC_TIMED_OUT;
}

int proc_stop_daemon(const char *dir, pid_t pid, long wait_ms, int term)
{
	int status;
	long waited;

	for (int tries = 0; dir[0] && proc_mountinfo_state(dir) >= 0; tries++) {
		if (umount2(dir, 0) == 0)
			break;
		if (errno != EBUSY || tries == 100)
			return -1;
		proc_sleep_ms(100);
	}
	if (pid <= 0)
		return 0;
	/* the daemon flushes and closes the volume after the unmount: wait for it */
	for (waited = 0; waited < wait_ms; waited += 20) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return 0;
		proc_sleep_ms(20);
	}
	if (term) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
	return 0;
}

FILE *proc_mountinfo_open(void)
{
	return fopen("/proc/self/mountinfo", "re");
}

int proc_mountinfo_next(FILE *f, struct proc_mount *m)
{
	char line[4096];

	while (fgets(line, sizeof(line), f)) {
		char *dash;

		memset(m, 0, sizeof(*m));
		if (sscanf(line, "%*s %*s %u:%u %1023s %1023s %1023s", &m->major, &m->minor, m->root,
			   m->point, m->options) != 5)
			continue;
		dash = strstr(line, " - ");
		if (dash)
			sscanf(dash + 3, "%*s %1023s %1023s", m->source, m->super);
		return 1;
	}
	return 0;
}

int proc_mountinfo_state(const char *dir)
{
	FILE *f = proc_mountinfo_open();
	struct proc_mount m;
	int state = -1;

	if (!f)
		return -1;
	while (proc_mountinfo_next(f, &m)) {
		if (strcmp(m.point, dir))
			continue;
		state = !strncmp(m.options, "rw", 2) && strncmp(m.super, "ro", 2) ? 1 : 0;
	}
	fclose(f);
	return state;
}
