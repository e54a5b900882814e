/*
 * ntfs.h - mounting Windows volumes with ntfs-3g without losing data.
 *
 * Read-only mounts are for looking.  A read-write mount is only made when
 * the volume is safe to change: a hibernated Windows or one with fast
 * restart metadata is refused unless the operator opts in, and a journal
 * left unclean by a crash is replayed with ntfsrecover (instead of letting
 * ntfs-3g discard it).  ntfs-3g quietly falls back to read-only on some
 * refusals and still succeeds, so /proc/self/mountinfo is checked after
 * every read-write mount.
 */
#ifndef BOOTFIX_NTFS_H
#define BOOTFIX_NTFS_H

#include <sys/types.h>

struct ntfs_mount {
	char dir[256];		/* private mount point, in the run folder */
	char *device;
	pid_t pid;		/* ntfs-3g, kept in the foreground so we can wait for it */
	int rootfd;		/* the volume's root directory */
	int rw;
};

enum ntfs_problem {
	NTFS_OK,
	NTFS_HIBERNATED,	/* hiberfil.sys holds a hibernated session */
	NTFS_FAST_RESTART,	/* $LogFile says Windows keeps metadata cached */
	NTFS_UNCLEAN,		/* the journal could not be replayed */
	NTFS_READONLY,		/* the device or ntfs-3g would only give read-only */
	NTFS_NOT_NTFS,
	NTFS_FAILED,		/* anything else */
};

struct ntfs_policy {
	int discard_hibernation;	/* --discard-hibernation */
	int kill_fast_restart;		/* --kill-fast-restart */
};

/* Steps taken on the way to a read-write mount, for the report. */
struct ntfs_steps {
	int replayed_journal;		/* ntfsrecover ran */
	int killed_fast_restart;	/* ntfsrecover -k ran */
	int discarded_hibernation;	/* remove_hiberfile was used */
};

/*
 * Mount dev read-only (the volume is not changed).  Returns 0, or -1 with
 * err_set() naming dev and ntfs-3g's reason; *problem (may be NULL) says
 * what kind of failure it was.
 */
int ntfs_mount_ro(const char *dev, struct ntfs_mount *m, enum ntfs_problem *problem);

/*
 * Mount dev read-write following the rules above.  On a refusal returns -1
 * with *problem set and err_set() holding one line that names the volume,
 * the reason and the option that overrides it; the volume is unchanged.
 * *steps records what was done to make the volume mountable.
 */
int ntfs_mount_rw(const char *dev, const struct ntfs_policy *pol, struct ntfs_mount *m,
		  enum ntfs_problem *problem, struct ntfs_steps *steps);

/* How long ntfs_fast_restart() lets ntfsrecover read a $LogFile. */
#define NTFS_PROBE_SECONDS 20

/*
 * Whether the $LogFile of dev holds fast restart state, as `ntfsrecover -n`
 * says (it opens dev read-only and changes nothing; a few milliseconds).
 * Returns 1 when it does, 0 when not (a clean or merely unclean journal, or
 * one ntfsrecover cannot read: ntfs-3g decides about those), or -1 with
 * err_set() when it cannot tell: ntfsrecover missing, killed, or still
 * running after NTFS_PROBE_SECONDS (a crafted $LogFile), then stopped with
 * SIGTERM and, two seconds on, SIGKILL.
 */
int ntfs_fast_restart(const char *dev);

/*
 * Unmount, wait for ntfs-3g to exit (it writes on exit), remove the mount
 * point and sync.  Safe to call twice.  Returns 0 or -1 with err_set().
 */
int ntfs_umount(struct ntfs_mount *m);

/*
 * 1 when the root of the mounted volume holds a hiberfil.sys that begins
 * with "hibr" or "HIBR" (a hibernated session), 0 otherwise.
 */
int ntfs_hibernated(int rootfd);

/*
 * Give this process a private mount namespace (unshare(CLONE_NEWNS), all
 * mounts MS_PRIVATE), so the volumes it mounts are seen by it and its
 * ntfs-3g children alone, not by other users or processes of the machine.
 * Call before any thread starts.  Returns 0 or -1 with err_set().
 */
int ntfs_private_mounts(void);

/* Unmount every mount this process still holds (signal and exit paths). */
void ntfs_umount_all(void);

/*
 * m could not be unmounted and its storage is about to go (a local): keep
 * a copy for ntfs_umount_all() to try again.
 */
void ntfs_adopt(struct ntfs_mount *m);

#endif
