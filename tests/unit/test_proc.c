/*
 * test_proc.c - running tools and FUSE-like daemons, and the mount table
 * (recovery/proc.c), with real children: sh, cat, sleep, tr, head.
 *
 * The daemon tests stand in for ntfs-3g and dislocker-fuse with a shell
 * that mounts a tmpfs and stays until it is unmounted; they need root and
 * run in a mount namespace of their own, so nothing leaks to the machine.
 * The test process is a child subreaper: a grandchild orphaned by a test
 * is ours to reap and to ask how it died.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "file.h"
#include "proc.h"

static int private_mounts;	/* root, in a mount namespace of our own */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static int sh(const char *script, long timeout_ms, char **out)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };

	return proc_run(argv, timeout_ms, out, 65536);
}

/* ---- proc_run ---- */

static void test_run_captures_stdout_and_stderr(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(sh("echo out; echo err >&2; exit 3", 0, &out), 3);
	assert_string_equal(out, "out\nerr\n");
	free(out);
	assert_int_equal(sh("printf 'no newline'", 5000, &out), 0);
	assert_string_equal(out, "no newline");
	free(out);
}

static void test_run_stdin_is_null(void **state)
{
	char *argv[] = { "cat", NULL }, *out;

	(void)state;
	/* cat ends at once on /dev/null; on an inherited terminal it would wait */
	assert_int_equal(proc_run(argv, 5000, &out, 100), 0);
	assert_string_equal(out, "");
	free(out);
}

static void test_run_own_process_group(void **state)
{
	char *out;
	long pid, pgid;

	(void)state;
	assert_int_equal(sh("read -r a b c d e rest < /proc/$$/stat; echo $$ $e", 0, &out), 0);
	assert_int_equal(sscanf(out, "%ld %ld", &pid, &pgid), 2);
	assert_int_equal(pgid, pid);
	assert_int_not_equal(pgid, (long)getpgrp());
	free(out);
}

static void test_run_output_is_bounded(void **state)
{
	char *out;

	(void)state;
	/* 300 KB: more than a pipe holds, so the child only ends if we read it all */
	assert_int_equal(sh("head -c 300000 /dev/zero | tr '\\0' x; echo dropped >&2", 20000,
			    &out), 0);
	assert_int_equal(strlen(out), 65536);
	assert_null(strchr(out, 'd'));
	free(out);
	{
		char *argv[] = { "sh", "-c", "head -c 5000 /dev/zero | tr '\\0' y", NULL };

		assert_int_equal(proc_run(argv, 0, &out, 10), 0);
		assert_string_equal(out, "yyyyyyyyyy");
		free(out);
	}
}

static void test_run_exit_codes_and_signals(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(sh("exit 0", 0, &out), 0);
	free(out);
	assert_int_equal(sh("exit 255", 0, &out), 255);
	free(out);
	assert_int_equal(sh("kill -USR1 $$", 0, &out), 128 + SIGUSR1);
	free(out);
	assert_int_equal(sh("kill -KILL $$", 5000, &out), 128 + SIGKILL);
	free(out);
	/* closes its output, then ends within the time it has */
	assert_int_equal(sh("exec >/dev/null 2>&1; sleep 0.2; exit 4", 5000, &out), 4);
	free(out);
}

static void test_run_cannot_run(void **state)
{
	char *argv[] = { "/nonexistent/tool", "-n", NULL }, *out, line[100];

	(void)state;
	assert_int_equal(proc_run(argv, 0, &out, 4096), PROC_CANNOT_RUN);
	assert_string_equal(out, "cannot run /nonexistent/tool: No such file or directory\n");
	proc_first_line(out, NULL, line, sizeof(line));
	assert_string_equal(line, "cannot run /nonexistent/tool: No such file or directory");
	free(out);
}

/* A child that ignores SIGTERM gets SIGKILL two seconds later. */
static void test_run_timeout_kills_what_ignores_sigterm(void **state)
{
	char *out;
	long start = now_ms(), took;

	(void)state;
	assert_int_equal(sh("echo started; trap '' TERM; exec sleep 1000", 300, &out),
			 PROC_TIMED_OUT);
	took = now_ms() - start;
	assert_string_equal(out, "started\n");
	assert_true(took >= 2300);
	assert_true(took < 6000);
	free(out);
}

/*
 * The child dies on SIGTERM but leaves a grandchild that ignores it and
 * holds the pipe: the whole group gets SIGKILL, at once.
 */
static void test_run_timeout_kills_the_group(void **state)
{
	char *out;
	long start = now_ms(), took;
	int gpid = 0, status;

	(void)state;
	assert_int_equal(sh("sh -c \"trap '' TERM; echo \\$\\$; exec sleep 1000\" & wait", 300,
			    &out), PROC_TIMED_OUT);
	took = now_ms() - start;
	assert_true(took >= 300);
	assert_true(took < 2000);	/* no two-second wait: the child itself ended */
	assert_int_equal(sscanf(out, "%d", &gpid), 1);
	free(out);
	/* orphaned, the grandchild came to us (a subreaper) and died of SIGKILL */
	assert_int_equal(waitpid(gpid, &status, 0), gpid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* A child that closed its output is still waited for, and stopped in time. */
static void test_run_timeout_after_output_closed(void **state)
{
	char *out;
	long start = now_ms(), took;

	(void)state;
	assert_int_equal(sh("echo bye; exec >/dev/null 2>&1; exec sleep 1000", 300, &out),
			 PROC_TIMED_OUT);
	took = now_ms() - start;
	assert_string_equal(out, "bye\n");
	assert_true(took >= 300);
	assert_true(took < 2000);
	free(out);
}

/* ---- proc_first_line ---- */

static void test_first_line(void **state)
{
	char buf[300], small[8];

	(void)state;
	proc_first_line("ok\n\n  \nFailed to mount '/dev/sdb2': Invalid argument.\nmore\n", NULL,
			buf, sizeof(buf));
	assert_string_equal(buf, "failed to mount '/dev/sdb2': Invalid argument");
	/* the line to pass over, and what stays capitalised */
	proc_first_line("Mount is denied because the NTFS volume is busy.\r\n"
			"NTFS signature is missing. . \r\n", "Mount is denied", buf, sizeof(buf));
	assert_string_equal(buf, "NTFS signature is missing");
	/* no newline at the end */
	proc_first_line("Windows is hibernated, refused to mount", NULL, buf, sizeof(buf));
	assert_string_equal(buf, "windows is hibernated, refused to mount");
	/* nothing that says anything */
	proc_first_line("\n..\nab\n", NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
	proc_first_line(NULL, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
	proc_first_line("Mount is denied\n", "Mount is denied", buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* cut to the buffer */
	proc_first_line("Abcdefghijkl\n", NULL, small, sizeof(small));
	assert_string_equal(small, "abcdefg");
	proc_first_line("xyz\n", NULL, small, 1);
	assert_string_equal(small, "");
}

/* ---- daemons and the mount table ---- */

/*
 * A stand-in FUSE daemon: mounts a tmpfs on $1 and stays until it is
 * unmounted, as ntfs-3g does with no_detach; says what happened to it.
 */
#define DAEMON "mount -t tmpfs -o size=1m bootfix-test \"$1\" || exit 9; echo mounted; " \
	       "while grep -q \" $1 \" /proc/self/mountinfo; do sleep 0.05; done; echo unmounted"

struct daemon {
	char dir[64];
	int outfd;
	pid_t pid;
};

static int start(struct daemon *d, const char *script, int keepfd)
{
	char *argv[] = { "sh", "-c", (char *)script, "sh", d->dir, NULL };

	snprintf(d->dir, sizeof(d->dir), "/tmp/test_proc.XXXXXX");
	if (!mkdtemp(d->dir))
		return -1;
	d->outfd = memfd_create("daemon", MFD_CLOEXEC);
	d->pid = proc_start_daemon(argv, d->outfd, keepfd);
	return d->pid > 0 ? 0 : -1;
}

/* What the daemon wrote; the caller frees. */
static char *said(const struct daemon *d)
{
	return file_read_text(d->outfd, 4096);
}

static void finish(struct daemon *d)
{
	umount2(d->dir, MNT_DETACH);
	rmdir(d->dir);
	close(d->outfd);
}

static int reaped(pid_t pid)
{
	int status;

	return waitpid(pid, &status, WNOHANG) < 0 && errno == ECHILD;
}

static void test_daemon_mounts_and_stops(void **state)
{
	struct daemon d;
	char *out;
	int status = -1;

	(void)state;
	if (!private_mounts)
		skip();
	assert_int_equal(start(&d, DAEMON, -1), 0);
	assert_int_equal(proc_wait_mount(d.dir, d.pid, 10000, &status), 0);
	assert_int_equal(proc_mountinfo_state(d.dir), 1);
	assert_int_equal(proc_stop_daemon(d.dir, d.pid, 10000, 0), 0);
	assert_int_equal(proc_mountinfo_state(d.dir), -1);
	assert_true(reaped(d.pid));
	out = said(&d);
	assert_string_equal(out, "mounted\nunmounted\n");
	free(out);
	finish(&d);
}

static void test_daemon_exits_without_mounting(void **state)
{
	struct daemon d;
	char *out;
	int status = -1;

	(void)state;
	if (!private_mounts)
		skip();
	assert_int_equal(start(&d, "echo '[ERROR] wrong key' >&2; exit 5", -1), 0);
	assert_int_equal(proc_wait_mount(d.dir, d.pid, 10000, &status), -1);
	assert_int_equal(status, 5);
	assert_true(reaped(d.pid));
	out = said(&d);
	assert_string_equal(out, "[ERROR] wrong key\n");
	free(out);
	finish(&d);
}

static void test_daemon_cannot_run(void **state)
{
	char dir[] = "/tmp/test_proc.XXXXXX", *argv[] = { "/nonexistent/daemon", dir, NULL };
	char *out;
	int outfd = memfd_create("daemon", MFD_CLOEXEC), status = -1;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	pid = proc_start_daemon(argv, outfd, -1);
	assert_true(pid > 0);
	assert_int_equal(proc_wait_mount(dir, pid, 10000, &status), -1);
	assert_int_equal(status, PROC_CANNOT_RUN);
	out = file_read_text(outfd, 4096);
	assert_string_equal(out, "cannot run /nonexistent/daemon: No such file or directory\n");
	free(out);
	close(outfd);
	rmdir(dir);
}

/* Neither mounted nor gone in time: SIGTERM (which it can catch), never SIGKILL. */
static void test_daemon_not_mounting_gets_sigterm(void **state)
{
	struct daemon d;
	char *out;
	int status = -1;
	long start_ms = now_ms();

	(void)state;
	if (!private_mounts)
		skip();
	assert_int_equal(start(&d, "trap 'echo got TERM; exit 0' TERM; echo waiting; "
			       "while :; do sleep 0.05; done", -1), 0);
	assert_int_equal(proc_wait_mount(d.dir, d.pid, 300, &status), PROC_TIMED_OUT);
	assert_true(now_ms() - start_ms >= 300);
	assert_true(reaped(d.pid));
	out = said(&d);
	assert_string_equal(out, "waiting\ngot TERM\n");
	free(out);
	finish(&d);
}

/* fd 3 is the key the caller passes; nothing else of ours is inherited. */
static void test_daemon_keeps_fd3_only(void **state)
{
	struct daemon d;
	char *out;
	int keyfd = memfd_create("key", MFD_CLOEXEC), nul, leak, status = -1;

	(void)state;
	if (!private_mounts)
		skip();
	assert_int_equal(file_writeall(keyfd, "secret", 6), 0);
	/* neither is close-on-exec */
	nul = open("/dev/null", O_RDONLY);
	leak = fcntl(nul, F_DUPFD, 20);
	assert_true(nul >= 3);
	assert_true(leak >= 20);
	assert_int_equal(start(&d, "cat /proc/self/fd/3; echo; "
			       "for fd in 4 5 6 7 8 20 21 22; do [ -e /proc/$$/fd/$fd ] && echo leaked $fd; done; "
			       "exit 0", keyfd), 0);
	assert_int_equal(proc_wait_mount(d.dir, d.pid, 10000, &status), -1);
	assert_int_equal(status, 0);
	out = said(&d);
	assert_string_equal(out, "secret\n");
	free(out);
	close(leak);
	close(nul);
	close(keyfd);
	finish(&d);
}

/* A daemon that stays after its unmount: left alone, or sent SIGTERM when asked. */
static void test_stop_daemon_that_stays(void **state)
{
	struct daemon d;
	char *out;
	int status = -1;

	(void)state;
	if (!private_mounts)
		skip();
	assert_int_equal(start(&d, "trap 'echo got TERM; exit 0' TERM; "
			       "mount -t tmpfs bootfix-test \"$1\" || exit 9; "
			       "while :; do sleep 0.05; done", -1), 0);
	assert_int_equal(proc_wait_mount(d.dir, d.pid, 10000, &status), 0);
	/* term not set: unmounted, the daemon left running */
	assert_int_equal(proc_stop_daemon(d.dir, d.pid, 300, 0), 0);
	assert_int_equal(proc_mountinfo_state(d.dir), -1);
	assert_int_equal(kill(d.pid, 0), 0);
	assert_false(reaped(d.pid));
	/* term set: SIGTERM, and waited for */
	assert_int_equal(proc_stop_daemon(d.dir, d.pid, 300, 1), 0);
	assert_true(reaped(d.pid));
	out = said(&d);
	assert_string_equal(out, "got TERM\n");
	free(out);
	finish(&d);
}

static void *close_later(void *arg)
{
	proc_sleep_ms(500);
	close(*(int *)arg);
	return NULL;
}

/* Busy at first (a file open in it): unmounting is tried again until it works. */
static void test_stop_daemon_busy_then_free(void **state)
{
	struct daemon d;
	char path[128];
	int status = -1, fd;
	pthread_t t;

	(void)state;
	if (!private_mounts)
		skip();
	assert_int_equal(start(&d, DAEMON, -1), 0);
	assert_int_equal(proc_wait_mount(d.dir, d.pid, 10000, &status), 0);
	snprintf(path, sizeof(path), "%s/open", d.dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pthread_create(&t, NULL, close_later, &fd), 0);
	assert_int_equal(proc_stop_daemon(d.dir, d.pid, 10000, 0), 0);
	pthread_join(t, NULL);
	assert_int_equal(proc_mountinfo_state(d.dir), -1);
	assert_true(reaped(d.pid));
	finish(&d);
}

/* Busy for good: after ten seconds -1 with EBUSY, mount and daemon untouched. */
static void test_stop_daemon_busy(void **state)
{
	struct daemon d;
	char path[128];
	int status = -1, fd, rc;

	(void)state;
	if (!private_mounts)
		skip();
	assert_int_equal(start(&d, DAEMON, -1), 0);
	assert_int_equal(proc_wait_mount(d.dir, d.pid, 10000, &status), 0);
	snprintf(path, sizeof(path), "%s/open", d.dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	rc = proc_stop_daemon(d.dir, d.pid, 10000, 1);
	assert_int_equal(rc, -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(proc_mountinfo_state(d.dir), 1);
	assert_int_equal(kill(d.pid, 0), 0);
	close(fd);
	assert_int_equal(proc_stop_daemon(d.dir, d.pid, 10000, 0), 0);
	assert_true(reaped(d.pid));
	finish(&d);
}

static void test_mountinfo(void **state)
{
	char dir[] = "/tmp/test_proc.XXXXXX";
	struct proc_mount m;
	struct stat st;
	FILE *f;
	int found = 0;

	(void)state;
	if (!private_mounts)
		skip();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(proc_mountinfo_state(dir), -1);
	assert_int_equal(mount("bootfix-src", dir, "tmpfs", MS_RDONLY, "size=1m"), 0);
	assert_int_equal(proc_mountinfo_state(dir), 0);
	assert_int_equal(stat(dir, &st), 0);
	f = proc_mountinfo_open();
	assert_non_null(f);
	while (proc_mountinfo_next(f, &m))
		if (!strcmp(m.point, dir)) {
			found++;
			assert_int_equal(makedev(m.major, m.minor), st.st_dev);
			assert_string_equal(m.source, "bootfix-src");
			assert_memory_equal(m.options, "ro", 2);
			assert_memory_equal(m.super, "ro", 2);
		}
	fclose(f);
	assert_int_equal(found, 1);
	/* a prefix of a mount point is no mount point */
	{
		size_t n = strlen(dir);
		char last = dir[n - 1];

		dir[n - 1] = '\0';
		assert_int_equal(proc_mountinfo_state(dir), -1);
		dir[n - 1] = last;
	}
	assert_int_equal(proc_mountinfo_state(dir), 0);
	/* read-write again; then a read-only bind stacked on it counts */
	assert_int_equal(mount(NULL, dir, NULL, MS_REMOUNT, "size=1m"), 0);
	assert_int_equal(proc_mountinfo_state(dir), 1);
	assert_int_equal(mount(dir, dir, NULL, MS_BIND, NULL), 0);
	assert_int_equal(mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), 0);
	assert_int_equal(proc_mountinfo_state(dir), 0);
	assert_int_equal(umount2(dir, 0), 0);
	assert_int_equal(proc_mountinfo_state(dir), 1);
	assert_int_equal(umount2(dir, 0), 0);
	assert_int_equal(proc_mountinfo_state(dir), -1);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_captures_stdout_and_stderr),
		cmocka_unit_test(test_run_stdin_is_null),
		cmocka_unit_test(test_run_own_process_group),
		cmocka_unit_test(test_run_output_is_bounded),
		cmocka_unit_test(test_run_exit_codes_and_signals),
		cmocka_unit_test(test_run_cannot_run),
		cmocka_unit_test(test_run_timeout_kills_what_ignores_sigterm),
		cmocka_unit_test(test_run_timeout_kills_the_group),
		cmocka_unit_test(test_run_timeout_after_output_closed),
		cmocka_unit_test(test_first_line),
		cmocka_unit_test(test_daemon_mounts_and_stops),
		cmocka_unit_test(test_daemon_exits_without_mounting),
		cmocka_unit_test(test_daemon_cannot_run),
		cmocka_unit_test(test_daemon_not_mounting_gets_sigterm),
		cmocka_unit_test(test_daemon_keeps_fd3_only),
		cmocka_unit_test(test_stop_daemon_that_stays),
		cmocka_unit_test(test_stop_daemon_busy_then_free),
		cmocka_unit_test(test_stop_daemon_busy),
		cmocka_unit_test(test_mountinfo),
	};

	/* orphaned grandchildren come to us, to reap and to examine */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
		private_mounts = 1;
	else
		fprintf(stderr, "test_proc: not root: the daemon and mount tests are skipped\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
