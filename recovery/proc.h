/*
 * proc.h - running other programs: a tool whose output we read (ntfsrecover)
 * and a FUSE daemon that serves a mount (ntfs-3g, dislocker-fuse); and
 * reading /proc/self/mountinfo, which says when such a mount is there.
 *
 * Every child runs in its own process group with /dev/null as its stdin:
 * a Ctrl-C at the terminal reaches bootfix (and its cleanup), not a daemon
 * in the middle of writing a volume.  A FUSE daemon is never sent SIGKILL:
 * one killed while it serves its mount leaves every process that touches
 * the mount hanging.  It is unmounted and waited for, or sent SIGTERM,
 * which makes it flush, close the volume and exit.
 *
 * These helpers leave no err_set() message: the caller knows what the
 * child was for and words the failure.
 */
#ifndef BOOTFIX_PROC_H
#define BOOTFIX_PROC_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* A child ran longer than it was given (proc_run, proc_wait_mount). */
#define PROC_TIMED_OUT (-2)

/* The exit status of a child that could not be started (execvp failed). */
#define PROC_CANNOT_RUN 127

/* Sleep ms milliseconds (less when a signal arrives). */
void proc_sleep_ms(long ms);

/*
 * Run argv (argv[0] searched in PATH) in its own process group, stdin
 * /dev/null, and wait for it.  Its stdout and stderr go through one pipe
 * into *output, a NUL-terminated string the caller frees: the first
 * max_output bytes are kept, the rest is read and dropped, so a chatty
 * child costs no memory and never blocks on a full pipe.  A child that
 * cannot be run writes "cannot run NAME: cause" and exits 127.
 *
 * With timeout_ms > 0 a child still running then (or anything left in its
 * process group) is sent SIGTERM, and SIGKILL two seconds later: only for
 * children that change nothing (ntfsrecover -n), never for one writing to
 * a volume and never for a FUSE daemon.  timeout_ms <= 0 waits for ever.
 *
 * Returns the exit status (128 + the signal's number when a signal ended
 * it), PROC_TIMED_OUT (*output holds what it wrote until then), or -1 with
 * errno when it could not be started (*output may be NULL).
 */
int proc_run(char *const argv[], long timeout_ms, char **output, size_t max_output);

/*
 * The first line of a child's output that says something, for an error
 * message: lines of two bytes or less are skipped, and so are lines that
 * begin with skip (unless NULL).  Trailing dots, spaces and carriage
 * returns are dropped and a capitalised first word lower-cased ("Failed
 * to..." becomes "failed to...", "NTFS..." stays), so it reads well after
 * a colon.  buf (len >= 1) gets "" when output (may be NULL) has no such
 * line; a longer line is cut to len - 1 bytes.
 */
void proc_first_line(const char *output, const char *skip, char *buf, size_t len);

/*
 * Start the FUSE daemon argv (argv[0] searched in PATH, told to stay in the
 * foreground) in its own process group: stdin /dev/null, stdout and stderr
 * into outfd (a memfd the caller reads once it exits; /dev/null when
 * outfd < 0), keepfd as its file descriptor 3 when keepfd >= 0 (a key it
 * reads from /proc/self/fd/3), and no other descriptor of ours, so it
 * holds no pipe or loop device open.  A daemon that cannot be run writes
 * "cannot run NAME: cause" to outfd and exits 127.  Returns its pid, or -1
 * with errno.
 */
pid_t proc_start_daemon(char *const argv[], int outfd, int keepfd);

/*
 * Wait up to timeout_ms for the daemon pid to mount dir.  Returns 0 once
 * dir is a mount point; -1 when the daemon exited first, with *status its
 * exit status (128 + signal); PROC_TIMED_OUT when it did neither: it was
 * sent SIGTERM and waited for (never SIGKILL: see above).
 */
int proc_wait_mount(const char *dir, pid_t pid, long timeout_ms, int *status);

/*
 * Stop a FUSE daemon: unmount dir (when dir is not "" and is mounted),
 * retrying for ten seconds while it is busy, then wait up to wait_ms for
 * the daemon pid (when > 0) to write back and exit.  One still running
 * then is sent SIGTERM and waited for when term is set, else left alone.
 * Returns 0, or -1 with errno (from umount2) when dir stays mounted: the
 * daemon is then left running, its mount untouched.
 */
int proc_stop_daemon(const char *dir, pid_t pid, long wait_ms, int term);

/* One line of /proc/self/mountinfo (see proc(5)); fields are cut at 1023 bytes. */
struct proc_mount {
	unsigned int major, minor;	/* st_dev of the file system */
	char root[1024];		/* the folder of the file system mounted: "/" for its root */
	char point[1024];		/* the mount point, octal escapes (\040) kept */
	char options[1024];		/* per-mount options: "rw,nosuid,..." */
	char source[1024];		/* "/dev/sda1" (a FUSE file system: what it was given) */
	char super[1024];		/* per-super-block options */
};

/*
 * Read this process's mount table: proc_mountinfo_open() returns a stream
 * (NULL with errno when it cannot be read) the caller closes with fclose();
 * each proc_mountinfo_next() fills *m with the next mount and returns 1,
 * or returns 0 at the end.
 */
FILE *proc_mountinfo_open(void);
int proc_mountinfo_next(FILE *f, struct proc_mount *m);

/*
 * Whether dir (a plain path: no spaces, no backslashes) is a mount point
 * in this mount namespace: -1 not mounted (or no mount table), 0 mounted
 * read-only (the mount or its file system), 1 read-write.  With mounts
 * stacked on dir, the top one counts.
 */
int proc_mountinfo_state(const char *dir);

#endif
