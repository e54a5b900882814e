/*
 * engine.h - scan, fix and restore: the one engine behind every front.
 *
 * The CLI, the menu and the unattended mode call engine_run() and learn
 * what happens through struct engine_output (after ncdu's dir_output); the
 * engine never prints and never touches the terminal.
 */
#ifndef BOOTFIX_ENGINE_H
#define BOOTFIX_ENGINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bitlocker.h"
#include "err.h"
#include "finding.h"
#include "logsend.h"
#include "hw.h"
#include "ntfs.h"
#include "rules.h"

enum engine_verb { ENGINE_SCAN, ENGINE_FIX, ENGINE_RESTORE };

struct engine_opts {
	enum engine_verb verb;
	const char *device;		/* image file, disk or partition; NULL: every disk */
	const char *root;		/* an already mounted volume instead */
	const char *data_dir;		/* the stick's data folder, or NULL */
	int no_stick;			/* data_dir is a read-only settings folder (the site
					   overlay of a network boot): keys and rules come
					   from it, no copy or record is written there */
	int dry_run;
	int unattended_only;		/* act only on rules marked unattended = yes */
	struct ntfs_policy policy;
	const char *mode;		/* "cli", "menu", "auto": who asked */
	const char *operator_name;
	const char *site;
	const struct ruleset *rules;
	const char *only;		/* act on the volume with this key alone (NULL: all) */
	/* BitLocker: keys come from DATA/keys/ (CSV exports, .BEK files), a clear
	   key, then typed_key (the technician's, for the volume named by only) */
	const struct bitlocker_key *typed_key;
	const char *only_key_for;	/* the volume (key) typed_key is for; NULL: any */
	volatile sig_atomic_t *stop;	/* set by a signal handler: wind down safely */
	/* the site's log servers (bootfix.conf's log-to), or NULL: a fix or restore
	   that is no dry run sends on the records kept on its volumes for them
	   (record-unsent.jsonl, quarantine.h) and marks them sent */
	const struct logsend *send;
	int send_on_scan;		/* a scan too sends them on (mounting a volume read-write
					   for that alone): the menu's recorded decisions */
};

enum volume_outcome {
	OUTCOME_NONE,		/* nothing to do (or a scan) */
	OUTCOME_FIXED,		/* every faulty file quarantined / every file restored */
	OUTCOME_REFUSED,	/* not touched, for a reason the operator can override */
	OUTCOME_FAILED,		/* something could not be done */
	OUTCOME_LEFT,		/* a person decided to leave it as it is (reason says why);
				   set by a front for its record, never by engine_run() */
};

/* What stands between a volume and a fix, known from the look alone. */
enum volume_problem {
	PROBLEM_NONE,
	PROBLEM_HIBERNATED,	/* hiberfil.sys holds a session: fixing loses it */
	PROBLEM_FAST_RESTART,	/* $LogFile says fast restart: fixing drops its changes */
};

struct volume {
	char *key;		/* stable name within the target: "p2" in an image file,
				   else the device path; for engine_opts.only */
	char *device;		/* "/dev/loop0p2", or the --root directory */
	char *disk;		/* whole disk kernel name, or NULL */
	char *disk_model;	/* the disk's model and serial (sysfs, disk_ids()): printable,
				   at most DISK_ID_MAX bytes; NULL when unknown or a loop device */
	char *disk_serial;
	char *raid;		/* the RAID volume md assembled that it is on: "Intel RAID 1
				   (2 disks)" or "... (2 disks, 1 missing)", else NULL */
	int raid_missing;	/* that RAID volume lacks members: only read, never fixed */
	char *bitlocker_description;	/* as Windows wrote it in the FVE metadata:
				   "DESKTOP-NPM7RCA H: 7/4/2019", or NULL */
	char *fstype;
	char *label;
	char *uuid;
	uint64_t size;
	const char *member;	/* "imsm", "ddf" or "dynamic" (static): its disk is a member
				   of a RAID volume or a Windows dynamic disk, so the
				   volume is never examined nor changed through it (reason
				   says so; a row for the whole disk when no volume of it
				   was found); NULL for a plain disk */
	char *ldm_volume;	/* a volume of a Windows dynamic disk, from its LDM database
				   (ldm.h): its name there ("Volume1"), printable; else NULL */
	const char *ldm_kind;	/* its kind: "simple" (examined like any volume), "spanned",
				   "striped", "mirror", "RAID-5" (refused) (static) */
	uint64_t ldm_offset;	/* a simple one: its first byte on the disk */
	int windows;		/* holds Windows\System32\config\SYSTEM */
	int locked;		/* BitLocker, not unlocked */
	int bitlocker;		/* a BitLocker volume (locked or unlocked by bootfix) */
	char *key_ids;		/* its recovery-password protectors' GUIDs (the "Key ID"
				   Windows shows), ' '-separated, or NULL */
	char *unlocked_by;	/* the key ID (protector GUID) that opened it, or NULL */
	char *key_source;	/* where that key came from: "CSV file ad.csv line 3" */
	const char *key_kind;	/* "csv", "bek", "clear-key", "typed" (static), or NULL */
	const char *unlock_via;	/* "dm-crypt" or "dislocker" (static), or NULL */
	int hibernated;
	int fast_restart;	/* its $LogFile holds fast restart state (ntfsrecover -n
				   before any mount, or ntfs-3g refusing a fix); 0 when
				   unknown, identity_note then says why */
	enum volume_problem problem;	/* hibernated first, then fast restart: from the
				   look, or set by a fix ntfs-3g refused; it stays as
				   the look saw it after a fix that overrode it (steps) */
	int has_quarantine;	/* \bootfix-quarantine exists */
	char *computer_name;
	char *product_name;
	char *build;
	char *display_version;
	char *identity_note;
	char drive;		/* its drive letter to Windows (from SystemRoot), or 0 */
	struct finding *findings;
	size_t nfindings;
	char *quarantine;	/* Windows path of the folder made by this fix */
	char *stick_manifest;	/* its copy's manifest below the data folder, or NULL */
	struct ntfs_steps steps;
	enum volume_outcome outcome;
	char *reason;		/* one line: why refused or failed, or what was done */
	int kept;		/* records kept on it for the log servers, not sent (after
				   this run tried, when it did) */
	int sent_on;		/* kept records this run sent on and marked sent */
};

struct run {
	char id[33];		/* random hex, in every audit record of this run */
	struct volume *v;
	size_t n;
	time_t started;
	long duration_ms;
	char *target;		/* what the user named, or "all disks" */
	char *machine_serial;	/* this machine's serial number (DMI, machine_serial()),
				   or NULL when absent or a placeholder */
	struct hw hw;		/* this machine's controllers, disks and keyboards when
				   the run began (hw_read()): a storage controller
				   without a driver is why a disk is missing */
};

/*
 * How the engine tells a front what happens (after ncdu's dir_output).
 * Every callback may be NULL and is called on the thread that called
 * engine_run(); strings and structs passed are the engine's, valid during
 * the call only.  Order: progress and warning any time; begun at most once
 * per run, before the first change to any volume; volume_done once per
 * volume, after it is unmounted.
 */
struct engine_output {
	void (*progress)(void *ctx, const char *what);
	/* what a person must be able to read afterwards although nothing failed:
	   a key file's skipped row, a key that did not open its volume, keys/
	   that cannot be listed, the other bootfix's lock that cannot be waited
	   for.  A front shows it even where it hides progress (stderr not a
	   terminal).  NULL: said through progress instead */
	err_warn_fn warning;
	void (*volume_done)(void *ctx, const struct volume *v);
	/* write-ahead: the front writes its "begun" audit record (and syncs it)
	   before the engine moves anything; r is the run so far */
	void (*begun)(void *ctx, const struct run *r);
	void *ctx;
};

/*
 * Do o->verb on the target.  Fills *r (free with run_free()) even when it
 * fails part-way.  Returns 0 when the target could be examined at all, or
 * -1 with err_set() when not (no such device, cannot attach...); per-volume
 * problems are in r->v[i].outcome and .reason.
 */
int engine_run(const struct engine_opts *o, const struct engine_output *out, struct run *r);

void run_free(struct run *r);

/*
 * Keep line[0..len) (a record some log server did not take) beside the
 * manifest of each quarantine folder r made (the volumes with
 * v->quarantine): each is mounted read-write again as o says (o->device or
 * o->root, the stick's keys or o->typed_key for BitLocker) and gets
 * record-unsent.jsonl (quarantine_keep_record()).  *kr (free with
 * run_free()) gets one volume per volume found again, by the same key: its
 * quarantine the kept file's Windows path when kept, else outcome
 * OUTCOME_FAILED and the reason.  Returns 0 (kr empty when r made no
 * folder), or -1 with err_set() when the target could not be examined.
 */
int engine_keep_record(const struct engine_opts *o, const struct engine_output *out,
		       const struct run *r, const char *line, size_t len, struct run *kr);

/* Counts over a run: faulty findings, faulty findings not done. */
size_t run_count_faulty(const struct run *r, size_t *left);

const char *outcome_name(enum volume_outcome o);

/* "none", "hibernated", "fast-restart" (static), as --json and records say it. */
const char *problem_name(enum volume_problem p);

#endif
