/*
 * menu_internal.h - what the files of the menu share: its state (struct
 * menu) and the calls between them.  Not for other fronts: they run the
 * menu through menu_verb (menu.h).
 *
 *   menu.c       the main loop, keys, the verb
 *   menu_work.c  the worker thread (the engine off the UI thread), this
 *                machine's state, the stick released and reclaimed
 *   menu_draw.c  every screen, and what a volume is in words
 */
#ifndef BOOTFIX_MENU_INTERNAL_H
#define BOOTFIX_MENU_INTERNAL_H

#include <pthread.h>
#include <stddef.h>

#include "bitlocker.h"
#include "engine.h"
#include "front.h"
#include "record.h"
#include "termkey.h"

enum menu_screen {
	SCR_SCANNING, SCR_OVERVIEW, SCR_DETAILS, SCR_CONFIRM, SCR_OVERRIDE, SCR_WORKING,
	SCR_RESULT, SCR_HELP, SCR_POWER, SCR_LOG, SCR_KEY, SCR_RESTORE_ASK,
};

/* JOB_LEAVE: a look at the volume again, recorded as left by the technician */
enum job { JOB_SCAN, JOB_FIX, JOB_RESTORE, JOB_LEAVE };

#define MENU_MIN_COLS 80
#define MENU_MIN_LINES 24

enum { C_TITLE = 1, C_BAD, C_GOOD, C_WARN, C_SEL };

struct menu {
	enum menu_screen screen, back;	/* back: where Esc from help/log returns */
	struct front f;			/* --device, --data, operator, site; rules; the record */
	struct run scan;		/* the overview's run */
	struct run job_run;		/* the last fix or restore */
	size_t sel;			/* selected volume in scan */
	int top;			/* first line shown in scrolled screens */
	int button;			/* 0 = the first (default) button */
	int override;			/* SCR_OVERRIDE: which policy the override sets */
	int colour;
	int under_init;			/* started by the stick's init: offer power off */
	int exit_code;
	int quit;
	char log_note[1024];		/* what happened to the audit record */
	char *unlogged;			/* records that could not be written: shown at exit */
	char *loglines[64];		/* the log screen, read when it opens */
	int nloglines;
	char logstatus[512];
	/* a BitLocker key typed by the technician, for the volume typed_for */
	struct bitlocker_rp_entry entry;	/* SCR_KEY: the recovery password so far */
	char password[256];		/* SCR_KEY in password mode */
	size_t pwlen;
	int pwmode;
	struct bitlocker_rp typed_rp;	/* the checked recovery password */
	struct bitlocker_key typed;	/* points into typed_rp or password */
	char typed_for[64];		/* the volume key it is for, "" when none */
	char key_msg[256];		/* SCR_KEY: what is wrong with it */
	int rescan_one;			/* the scan job looks at the selected volume again */
	/* this machine: what was fixed here, whether the stick may be pulled */
	char fixed[8][160];		/* volume_id() of those fixed since the last "next machine" */
	int nfixed;
	int released;			/* the data partition is flushed and read-only */
	char release_note[256];		/* what happened to it, for the result screen */
	const char *leave_why;		/* JOB_LEAVE: why it was left, for the record */
	enum volume_outcome leave_outcome;	/* JOB_LEAVE: OUTCOME_LEFT, or NONE (checked) */
	enum volume_problem leave_problem;	/* JOB_LEAVE: what the decision was about */
	char leave_buf[128];
	int job_logged;			/* the job's record: 0 written, 1 nowhere to write, -1 not */
	enum menu_screen power_back;	/* where Esc from the power screen returns */
	char *tell;			/* for BOOTFIX_READY, said by the UI thread (menu.c) */
	enum menu_screen drawn;		/* the screen last drawn: a new one is drawn whole */
	/* worker */
	pthread_t worker;
	int busy;			/* a job runs: guarded by lock */
	int done;
	enum job job;
	struct ntfs_policy policy;
	char progress[256];
	size_t volumes_done;
	int job_rc;
	char job_err[512];
	pthread_mutex_t lock;
	struct termkey tk;		/* the terminal's bytes, decoded here, not by terminfo */
};

/* ---- menu_work.c ---- */

/* Start job on the worker thread; its screen shows until menu_reap() sees it end. */
void menu_start(struct menu *m, enum job job);
/* Called on every loop: when the worker finished, move to the next screen; 1 to redraw. */
int menu_reap(struct menu *m);
/* Scrub every copy of a typed key / the key handed to the engine only. */
void menu_forget_key(struct menu *m);
void menu_forget_typed(struct menu *m);
/* This machine: fixed here since "next machine"; another install to fix; done. */
int menu_fixed_here(const struct menu *m, const struct volume *v);
int menu_others_to_fix(const struct menu *m, const char *except);
int menu_machine_done(const struct menu *m);
/* The stick's data partition made read-only to be pulled, and writable again. */
void menu_release_stick(struct menu *m);
void menu_reclaim_stick(struct menu *m);
/* "/dev/nvme0n1p3" as "nvme0n1p3". */
const char *menu_short_dev(const char *dev);
/* Findings of v with that verdict; the faulty ones a fix would act on. */
size_t menu_count_verdict(const struct volume *v, enum verdict what);
size_t menu_wanted(const struct volume *v);

/* ---- menu_draw.c ---- */

/* Draw the current screen (the one place that draws). */
void menu_draw(struct menu *m);
/* Read the stick's log for the log screen. */
void menu_read_log(struct menu *m);

#endif
