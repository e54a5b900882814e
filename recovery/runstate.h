/*
 * runstate.h - bootfix's run folder and what a killed bootfix left behind.
 *
 * The run folder (BOOTFIX_RUN_DIR, default /run/bootfix; made 0700) holds
 * the lock that two consoles share, the private mount points, and one state
 * file per running bootfix, state.PID, naming what it has mounted (ntfs-3g
 * pid, start time, mount point, device) and attached (loop device and the
 * image's device:inode).  Each change rewrites the file atomically.  A
 * bootfix killed mid-run (kill -9, a crash) leaves its state file; the next
 * one stops the ntfs-3g it names (SIGTERM: ntfs-3g flushes and closes the
 * volume), detaches the loop device, and only then goes on.  Tests give
 * each run its own folder, so suites run side by side.
 */
#ifndef BOOTFIX_RUNSTATE_H
#define BOOTFIX_RUNSTATE_H

#include <sys/types.h>

#include "err.h"

/* The run folder, made (0700) if missing; NULL with err_set(). */
const char *runstate_dir(void);

/*
 * Record a live thing of kind "ntfs-3g" (pid, a = mount point, b = device)
 * or "loop" (a = /dev/loopN, b = "DEV:INO" of the image) in this process's
 * state file.  Returns 0 or -1 with err_set(); a failure leaves only the
 * cleanup after a kill undone, so callers go on.
 */
int runstate_add(const char *kind, pid_t pid, const char *a, const char *b);

/* Forget the thing of kind whose a is a (it was undone). */
void runstate_drop(const char *kind, const char *a);

/*
 * Undo what bootfix processes that no longer run left in the state files
 * of the run folder; say is told one line per thing cleaned up.  Returns 0 (nothing left, or all undone), or -1 with
 * err_set() naming what is still there and the command that removes it.
 * say (may be NULL) is told one line per thing cleaned up.
 */
int runstate_recover(err_warn_fn say, void *ctx);

/* The start time of process pid (clock ticks since boot, /proc/PID/stat), 0 if none. */
unsigned long long runstate_start_time(pid_t pid);

#endif
