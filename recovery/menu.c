/*
 * menu.c - the ncurses menu for technicians: `bootfix` on a terminal, or
 * `bootfix menu`.
 *
 * A front over the same engine as the CLI: it never mounts or opens a disk
 * itself.  The engine runs in a worker thread so the screen never freezes;
 * only the main thread calls curses.  As in htop, key handlers change the
 * state and ask for a redraw; draw() is the one place that draws.
 *
 * Fixing a plain machine takes two keys from the first screen: the first
 * faulty install is preselected, Enter asks, Enter confirms.  Every choice
 * that could lose data (a hibernated session, fast restart changes)
 * defaults to the safe answer.  Nothing needs F-keys; lines are plain ASCII
 * so vt100 serial consoles draw them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <curses.h>

#include "bitlocker.h"

#include "cli.h"
#include "engine.h"
#include "err.h"
#include "file.h"
#include "logcmd.h"
#include "menu.h"
#include "utc.h"
#include "version.h"
#include "screen.h"
#include "termkey.h"
#include "text.h"

/* every line drawn may carry names from the volume: escaped (screen.h) */
#define mvprintw screen_mvprintw
#define printw screen_printw

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
	const char *device;		/* --device, or NULL for every disk */
	const char *data_dir;
	const char *operator_name;
	const char *site;
	struct ruleset rules;
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
	struct logcmd_run lr;		/* DATA/bootfix.conf and where the log goes */
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
	char *tell;			/* for BOOTFIX_READY, said by the UI thread: tell() */
	enum menu_screen drawn;		/* the screen last drawn: a new one is drawn whole */
	enum menu_screen power_back;	/* where Esc from the power screen returns */
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

/* ---- the worker: the engine off the UI thread ---- */

static void on_progress(void *ctx, const char *what)
{
	struct menu *m = ctx;

	pthread_mutex_lock(&m->lock);
	snprintf(m->progress, sizeof(m->progress), "%s", what);
	pthread_mutex_unlock(&m->lock);
}

static void on_volume(void *ctx, const struct volume *v)
{
	struct menu *m = ctx;

	(void)v;
	pthread_mutex_lock(&m->lock);
	m->volumes_done++;
	pthread_mutex_unlock(&m->lock);
}

static const struct engine_opts *working;	/* the worker's options, for on_begun */

static void on_begun(void *ctx, const struct run *r)
{
	struct menu *m = ctx;

	if (working)
		logcmd_begun(&m->lr, working, r);
}

/*
 * What a volume is, across looks and disk swaps: where it is and its
 * BitLocker key IDs (the same locked and unlocked), else its file system's
 * UUID.  Where, too: cloned disks (VDI) share their NTFS serial, and mkntfs
 * gives two volumes made in one second the same one.
 */
static const char *volume_id(const struct volume *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s|%s", v->key ? v->key : "", v->bitlocker && v->key_ids ?
		 v->key_ids : v->uuid ? v->uuid : "");
	return buf;
}

/*
 * JOB_LEAVE: the volume looked at again is the one the technician decided
 * on, still with what the decision was about, not another disk put in since.
 */
static int same_decision(const struct menu *m, const struct volume *now)
{
	const struct volume *was = &m->scan.v[m->sel];
	char a[160], b[160];
	size_t faulty = 0, check = 0;

	if (strcmp(volume_id(was, a, sizeof(a)), volume_id(now, b, sizeof(b))))
		return 0;
	for (size_t i = 0; i < now->nfindings; i++) {
		faulty += now->findings[i].verdict == VERDICT_FAULTY;
		check += now->findings[i].verdict == VERDICT_UNKNOWN;
	}
	switch (m->leave_problem) {
	case PROBLEM_HIBERNATED:
		return now->hibernated || now->problem == PROBLEM_HIBERNATED;
	case PROBLEM_FAST_RESTART:
		return now->problem == PROBLEM_FAST_RESTART;
	default:	/* checked, or left to check */
		return !faulty && (m->leave_outcome == OUTCOME_NONE ? !check : check > 0);
	}
}

static void *work(void *arg)
{
	struct menu *m = arg;
	struct engine_output out = { .progress = on_progress, .volume_done = on_volume,
				     .begun = on_begun, .ctx = m };
	struct engine_opts o;
	struct run r;
	int rc;

	memset(&o, 0, sizeof(o));
	o.verb = m->job == JOB_FIX ? ENGINE_FIX : m->job == JOB_RESTORE ? ENGINE_RESTORE :
		 ENGINE_SCAN;
	o.device = m->device;
	o.data_dir = m->data_dir;
	o.mode = "menu";
	o.operator_name = m->operator_name;
	o.site = m->site;
	o.rules = &m->rules;
	o.policy = m->policy;
	o.stop = &cli_stop;
	if (m->job != JOB_SCAN || m->rescan_one)
		o.only = m->scan.v[m->sel].key;
	if (m->typed_for[0]) {
		/* the engine offers it to that volume alone (after the stick's keys) */
		o.typed_key = &m->typed;
		o.only_key_for = m->typed_for;
	}
	working = &o;
	rc = engine_run(&o, &out, &r);
	working = NULL;
	if (m->job == JOB_LEAVE && rc == 0 && r.n == 1 && !same_decision(m, &r.v[0])) {
		rc = err_set("%s changed since the list was drawn (another disk?): nothing "
			     "recorded; press s to scan again", m->scan.v[m->sel].device);
	} else if (m->job == JOB_LEAVE && rc == 0 && r.n == 1) {
		/* looked at again (read-only) so the record says how it was left */
		free(r.v[0].reason);
		r.v[0].reason = strdup(m->leave_why ? m->leave_why : "left as it is");
		r.v[0].outcome = m->leave_outcome;
	} else if (m->job == JOB_LEAVE && rc == 0) {
		rc = err_set("%s is gone: it could not be looked at again", m->scan.v[m->sel].device);
	}
	if (m->job == JOB_LEAVE && rc < 0) {
		/* nothing was attempted: nothing to record, and no volume to show
		   as if it had been decided on */
		run_free(&r);
		pthread_mutex_lock(&m->lock);
		m->job_logged = 1;
		m->log_note[0] = '\0';
		pthread_mutex_unlock(&m->lock);
	} else if (m->job != JOB_SCAN) {
		char *why = rc < 0 ? strdup(err_msg()) : NULL, *rec = NULL, note[sizeof(m->log_note)];
		int logged;

		/* the same record as the CLI's, mode "menu"; written before the result shows */
		logged = logcmd_record(&m->lr, &o, &r, &m->rules, rc < 0 ? (why ? why : "cannot run") :
				       NULL, note, sizeof(note), &rec);
		if (rc < 0)
			err_set("%s", why ? why : "cannot run");
		free(why);
		pthread_mutex_lock(&m->lock);
		m->job_logged = logged < 0 ? -1 : logged;
		for (char *p = note; (p = strchr(p, '\n'));)
			*p = ' ';	/* one text, wrapped on the screen */
		snprintf(m->log_note, sizeof(m->log_note), "%s", note);
		if (rec) {
			const char *safe = text_safe(rec);
			char *all = NULL, *say = NULL;

			/* not lost: onto the serial line as soon as the result shows
			   (by the UI thread: it owns the terminal), and on stderr when
			   the menu ends */
			if (asprintf(&say, "%sbootfix: audit record not written; here it is:\n%s\n",
				     m->tell ? m->tell : "", safe) >= 0) {
				free(m->tell);
				m->tell = say;
			}
			if (asprintf(&all, "%s%s%s\n", m->unlogged ? m->unlogged : "",
				     m->unlogged ? "" : "bootfix: these audit records could not be "
				     "written; keep them:\n", safe) >= 0) {
				free(m->unlogged);
				m->unlogged = all;
			}
			free(rec);
		}
		pthread_mutex_unlock(&m->lock);
	}
	pthread_mutex_lock(&m->lock);
	m->job_rc = rc;
	if (rc < 0)
		snprintf(m->job_err, sizeof(m->job_err), "%s", err_msg());
	if (m->job == JOB_SCAN && o.only) {
		/* a volume looked at again with a typed key: it takes its place in the
		   list; if it is gone the list stays as it was */
		if (r.n == 1 && m->sel < m->scan.n) {
			struct volume old = m->scan.v[m->sel];

			m->scan.v[m->sel] = r.v[0];
			r.v[0] = old;
		} else if (rc == 0) {
			snprintf(m->job_err, sizeof(m->job_err), "%s is gone: press s to scan again",
				 m->sel < m->scan.n ? m->scan.v[m->sel].device : "the volume");
		}
		run_free(&r);
	} else if (m->job == JOB_SCAN) {
		run_free(&m->scan);
		m->scan = r;
	} else {
		run_free(&m->job_run);
		m->job_run = r;
	}
	m->done = 1;
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

/* Scrub every copy of a typed key. */
static void forget_key(struct menu *m)
{
	bitlocker_rp_entry_clear(&m->entry);
	bitlocker_rp_clear(&m->typed_rp);
	explicit_bzero(m->password, sizeof(m->password));
	m->pwlen = 0;
	memset(&m->typed, 0, sizeof(m->typed));
	m->typed_for[0] = '\0';
}

/* Scrub the key handed to the engine, keeping what is on the key screen. */
static void forget_typed(struct menu *m)
{
	bitlocker_rp_clear(&m->typed_rp);
	memset(&m->typed, 0, sizeof(m->typed));
	m->typed_for[0] = '\0';
}

static void start(struct menu *m, enum job job)
{
	m->job = job;
	m->busy = 1;
	m->done = 0;
	m->volumes_done = 0;
	m->job_err[0] = '\0';
	m->log_note[0] = '\0';
	snprintf(m->progress, sizeof(m->progress), "%s", job == JOB_SCAN ? "looking for disks" :
		 job == JOB_FIX ? "fixing" : job == JOB_LEAVE ? "recording your decision" :
		 "restoring");
	m->screen = job == JOB_SCAN ? SCR_SCANNING : SCR_WORKING;
	if (pthread_create(&m->worker, NULL, work, m) != 0) {
		m->busy = 0;
		m->rescan_one = 0;
		forget_key(m);
		snprintf(m->job_err, sizeof(m->job_err), "cannot start the scan: %s", strerror(errno));
		m->screen = SCR_OVERVIEW;
	}
}


/* ---- this machine: done, and the stick ---- */

/* "/dev/nvme0n1p3" as "nvme0n1p3": the list's column is narrow. */
static const char *short_dev(const char *dev)
{
	return dev && !strncmp(dev, "/dev/", 5) ? dev + 5 : dev ? dev : "?";
}

static int fixed_here(const struct menu *m, const struct volume *v)
{
	char id[160];

	volume_id(v, id, sizeof(id));
	for (int i = 0; i < m->nfixed; i++)
		if (!strcmp(m->fixed[i], id))
			return 1;
	return 0;
}

static void fixed_forget(struct menu *m, const struct volume *v)
{
	char id[160];

	volume_id(v, id, sizeof(id));
	for (int i = 0; i < m->nfixed; i++)
		if (!strcmp(m->fixed[i], id)) {
			memmove(m->fixed[i], m->fixed[i + 1], (size_t)(m->nfixed - i - 1) *
				sizeof(m->fixed[0]));
			m->nfixed--;
			return;
		}
}

static size_t count_verdict(const struct volume *v, enum verdict what);

/* Another install of this machine still has a faulty file to deal with. */
static int others_to_fix(const struct menu *m, const char *except)
{
	for (size_t i = 0; i < m->scan.n; i++) {
		const struct volume *v = &m->scan.v[i];

		if (except && !strcmp(v->key, except))
			continue;
		if (!v->locked && !fixed_here(m, v) && count_verdict(v, VERDICT_FAULTY))
			return 1;
	}
	return 0;
}

/* The last job finished this machine: fixed, restored or left on purpose, nothing else to do. */
static int machine_done(const struct menu *m)
{
	const struct volume *v = m->job_run.n ? &m->job_run.v[0] : NULL;

	if (!v || m->job_logged < 0)
		return 0;	/* a record not written is not done: the stick stays */
	if (!((m->job == JOB_FIX || m->job == JOB_RESTORE) && v->outcome == OUTCOME_FIXED) &&
	    !(m->job == JOB_LEAVE && (v->outcome == OUTCOME_LEFT || v->outcome == OUTCOME_NONE)))
		return 0;
	return !others_to_fix(m, v->key);
}

/* mountinfo's "\040" (space), "\011", "\012", "\134" back to bytes, in place. */
static void unoctal(char *s)
{
	char *o = s;

	for (; *s; s++, o++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o = *s;
		}
	}
	*o = '\0';
}

/*
 * The mount at dir, from /proc/self/mountinfo: 1 when dir is where a file
 * system is mounted from its own root (not a bind mount of a folder: a
 * remount would make the whole file system read-only), with *flags its
 * mount flags to keep across a remount (nosuid, noatime, sync, ...).
 */
static int mount_root(const char *dir, unsigned long *flags)
{
	static const struct { const char *opt; unsigned long flag; } known[] = {
		{ "ro", MS_RDONLY }, { "nosuid", MS_NOSUID }, { "nodev", MS_NODEV },
		{ "noexec", MS_NOEXEC }, { "noatime", MS_NOATIME }, { "nodiratime", MS_NODIRATIME },
		{ "relatime", MS_RELATIME }, { "sync", MS_SYNCHRONOUS }, { "dirsync", MS_DIRSYNC },
		{ "lazytime", MS_LAZYTIME }, { "mand", MS_MANDLOCK },
	};
	char *real = realpath(dir, NULL), *line = NULL;
	size_t cap = 0;
	int found = 0;
	FILE *f = real ? fopen("/proc/self/mountinfo", "re") : NULL;

	*flags = 0;
	while (f && getline(&line, &cap, f) > 0) {
		char root[4096], point[4096], opts[1024];

		/* ID PARENT MAJ:MIN ROOT POINT OPTIONS ...; the last match wins */
		if (sscanf(line, "%*s %*s %*s %4095s %4095s %1023s", root, point, opts) != 3)
			continue;
		unoctal(point);		/* a space is "\040" there */
		if (strcmp(point, real))
			continue;
		found = !strcmp(root, "/");
		*flags = 0;
		for (char *o = strtok(opts, ","); o; o = strtok(NULL, ","))
			for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
				if (!strcmp(o, known[k].opt))
					*flags |= known[k].flag;
	}
	if (f)
		fclose(f);
	free(line);
	free(real);
	return found;
}

/*
 * The machine is done: flush the records and make the stick's data
 * partition read-only (its file system clean: FAT's dirty bit cleared), so
 * the stick can be pulled from now on.  A data folder that is not a mount
 * of its own is only synced.  m->released: 1 safe, 2 safe and made
 * read-only by us (reclaim_stick() undoes it), 0 not safe (release_note).
 */
static void release_stick(struct menu *m)
{
	unsigned long flags;

	m->released = 0;
	m->release_note[0] = '\0';
	sync();
	if (!m->data_dir || !mount_root(m->data_dir, &flags) || (flags & MS_RDONLY)) {
		m->released = 1;
		return;
	}
	if (mount(NULL, m->data_dir, NULL, MS_REMOUNT | MS_RDONLY | flags, NULL) < 0) {
		snprintf(m->release_note, sizeof(m->release_note), "cannot make the stick (%s) "
			 "read-only: %s", m->data_dir, strerror(errno));
		return;
	}
	sync();
	m->released = 2;
}

/* Back to work on this machine (or the next): the data partition writable again. */
static void reclaim_stick(struct menu *m)
{
	unsigned long flags;

	m->release_note[0] = '\0';
	if (m->released == 2 && mount_root(m->data_dir, &flags) &&
	    mount(NULL, m->data_dir, NULL, MS_REMOUNT | (flags & ~MS_RDONLY), NULL) < 0)
		snprintf(m->release_note, sizeof(m->release_note), "the stick (%s) cannot be "
			 "written again: %s; records will not be saved", m->data_dir,
			 strerror(errno));
	m->released = 0;
}

/* Called on every loop: when the worker finished, move to the next screen. */
static int reap(struct menu *m)
{
	int done;

	pthread_mutex_lock(&m->lock);
	done = m->busy && m->done;
	pthread_mutex_unlock(&m->lock);
	if (!done)
		return 0;
	pthread_join(m->worker, NULL);
	m->busy = 0;
	/* keys typed while the job ran were typed blind: a held Enter must not
	   answer the next screen's question */
	flushinp();
	termkey_init(&m->tk, m->tk.flags);
	if (m->job == JOB_SCAN && m->rescan_one) {
		const struct volume *v = m->sel < m->scan.n ? &m->scan.v[m->sel] : NULL;

		m->rescan_one = 0;
		m->screen = SCR_OVERVIEW;
		if (v && v->locked) {
			/* it did not fit: the digits stay on the key screen to be corrected */
			if (m->pwmode)
				snprintf(m->key_msg, sizeof(m->key_msg), "This password does not open "
					 "%s. Correct it and press Enter.", short_dev(v->device));
			else
				snprintf(m->key_msg, sizeof(m->key_msg), "This key does not open %s. "
					 "Check each group against the list for key ID %.8s, correct "
					 "it, then press Enter.", short_dev(v->device),
					 v->key_ids ? v->key_ids : "?");
			forget_typed(m);
			m->screen = SCR_KEY;
		} else if (!v) {
			forget_key(m);
		}
		return 1;
	}
	if (m->job == JOB_SCAN) {
		m->screen = SCR_OVERVIEW;
		m->sel = 0;
		/* preselect the first install with something faulty */
		for (size_t i = 0; i < m->scan.n; i++)
			for (size_t k = 0; k < m->scan.v[i].nfindings; k++)
				if (m->scan.v[i].findings[k].verdict == VERDICT_FAULTY) {
					m->sel = i;
					return 1;
				}
	} else {
		const struct volume *v = m->job_run.n ? &m->job_run.v[0] : NULL;

		m->screen = SCR_RESULT;
		m->button = 0;
		if (v && m->job == JOB_FIX && v->outcome == OUTCOME_FIXED && !fixed_here(m, v) &&
		    m->nfixed < (int)(sizeof(m->fixed) / sizeof(m->fixed[0])))
			volume_id(v, m->fixed[m->nfixed++], sizeof(m->fixed[0]));
		if (v && m->job == JOB_RESTORE && v->outcome == OUTCOME_FIXED)
			fixed_forget(m, v);
		if (machine_done(m))
			release_stick(m);
		/* the typed key has done its job: not kept (a refusal keeps it for the
		   override the result screen offers) */
		if (!m->job_run.n || m->job_run.v[0].outcome != OUTCOME_REFUSED)
			forget_key(m);
	}
	return 1;
}

/* ---- what a volume is, in words ---- */

static size_t count_verdict(const struct volume *v, enum verdict what)
{
	size_t n = 0;

	for (size_t i = 0; i < v->nfindings; i++)
		n += v->findings[i].verdict == what;
	return n;
}

/*
 * One phrase and a colour for the overview.  The colour has a marker that
 * reads on a monochrome terminal too: '!' something to fix or that failed,
 * '?' a decision or a key is needed, ' ' nothing to do.
 */
static const char *state_words(const struct menu *m, const struct volume *v, char *buf,
			       size_t len, int *colour)
{
	size_t faulty = count_verdict(v, VERDICT_FAULTY);
	size_t check = count_verdict(v, VERDICT_UNKNOWN);
	int hib = v->problem == PROBLEM_HIBERNATED || v->hibernated;

	*colour = C_GOOD;
	if (v->locked) {
		if (fixed_here(m, v))
			return "fixed (locked again)";
		*colour = C_WARN;
		if (!v->key_ids)
			return "BitLocker locked";
		snprintf(buf, len, "BitLocker locked %.8s", v->key_ids);
		return buf;
	}
	if (v->outcome == OUTCOME_FAILED) {
		*colour = C_BAD;
		snprintf(buf, len, "cannot read: %s", v->reason ? v->reason : "?");
		return buf;
	}
	if (!v->windows)
		return "no Windows";
	if (faulty && (hib || v->problem == PROBLEM_FAST_RESTART)) {
		*colour = C_WARN;
		return hib ? "hibernated: needs your decision" : "fast restart: needs your decision";
	}
	if (faulty) {
		*colour = C_BAD;
		snprintf(buf, len, "%zu faulty file%s", faulty, faulty == 1 ? "" : "s");
		return buf;
	}
	if (check) {
		*colour = C_WARN;
		snprintf(buf, len, "%zu file%s to check", check, check == 1 ? "" : "s");
		return buf;
	}
	if (fixed_here(m, v))
		return "fixed";
	if (hib)
		return "clean (hibernated)";
	return v->has_quarantine ? "clean (has quarantine)" : "clean";
}

static char marker(int colour)
{
	return colour == C_BAD ? '!' : colour == C_WARN ? '?' : ' ';
}

static void human_size(uint64_t n, char *buf, size_t len)
{
	const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double x = (double)n;
	int u = 0;

	while (x >= 1024 && u < 4) {
		x /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", x, unit[u]);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '\\');

	return s ? s + 1 : path;
}


/*
 * The name the list shows for a volume: its computer, or on a locked
 * volume the first word of its BitLocker description ("DESKTOP-NPM7RCA H:
 * 7/4/2019": the computer that encrypted it; details show it whole).
 */
static const char *volume_name(const struct volume *v, char *buf, size_t len)
{
	if (v->computer_name)
		return v->computer_name;
	if (v->windows)
		return "(unnamed)";
	if (v->locked && v->bitlocker_description && v->bitlocker_description[0] != ' ') {
		snprintf(buf, len, "%.*s", (int)strcspn(v->bitlocker_description, " "),
			 v->bitlocker_description);
		return buf;
	}
	return "-";
}

/* "Windows 10 Pro 22H2" (with_build: " build 19045"), or "" when not known. */
static const char *windows_version(const struct volume *v, int with_build, char *buf, size_t len)
{
	with_build = with_build && v->build;
	snprintf(buf, len, "%s%s%s%s%s", v->product_name ? v->product_name : "",
		 v->display_version ? " " : "", v->display_version ? v->display_version : "",
		 with_build ? " build " : "", with_build ? v->build : "");
	return buf[0] == ' ' ? buf + 1 : buf;
}

static const char *disk_words(const struct volume *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", v->disk_model ? v->disk_model : "",
		 v->disk_model && v->disk_serial ? " " : "", v->disk_serial ? "serial " : "",
		 v->disk_serial ? v->disk_serial : "");
	return buf;
}

/* ---- drawing ---- */

static void paint_on(struct menu *m, int pair, int fallback)
{
	if (m->colour)
		attron(COLOR_PAIR(pair) | (pair == C_TITLE ? A_BOLD : 0));
	else
		attron(fallback);
}

static void paint_off(struct menu *m, int pair, int fallback)
{
	if (m->colour)
		attroff(COLOR_PAIR(pair) | A_BOLD);
	else
		attroff(fallback);
}

static void hline_at(int y)
{
	move(y, 0);
	for (int x = 0; x < COLS; x++)
		addch('-');
}

static void title(struct menu *m, const char *what)
{
	paint_on(m, C_TITLE, A_REVERSE);
	move(0, 0);
	for (int x = 0; x < COLS; x++)
		addch(' ');
	mvprintw(0, 1, "bootfix %s - %s", BOOTFIX_VERSION, what);
	mvprintw(0, COLS - 10, "? = help");
	paint_off(m, C_TITLE, A_REVERSE);
}

static void footer(const char *keys)
{
	hline_at(LINES - 2);
	mvprintw(LINES - 1, 1, "%.*s", COLS - 2, keys);
}

static void draw_scanning(struct menu *m)
{
	static const char spin[] = "|/-\\";
	static unsigned tick;
	char what[256];
	size_t n;

	pthread_mutex_lock(&m->lock);
	snprintf(what, sizeof(what), "%s", m->progress);
	n = m->volumes_done;
	pthread_mutex_unlock(&m->lock);
	title(m, m->screen == SCR_SCANNING ? "looking for Windows" : "working");
	mvprintw(3, 2, "%c %s", spin[tick++ % 4], m->screen == SCR_SCANNING ?
		 "Scanning every disk for Windows installations..." : "Working, please wait...");
	mvprintw(5, 4, "%.*s", COLS - 6, what);
	if (m->screen == SCR_SCANNING)
		mvprintw(6, 4, "%zu volume%s examined", n, n == 1 ? "" : "s");
	mvprintw(8, 2, "Do not remove the stick or power off.");
	footer("Please wait");
}

/*
 * The list: one line a volume.  80 columns hold the marker, number,
 * device, size, computer and state; a wider terminal adds the volume label,
 * the Windows version and the disk's model and serial, so two installs of
 * the same computer name or two alike disks can be told apart.
 */
#define OV_FMT "%c%c%2zu %s %9s  %s "
#define OV_STATE 34	/* "fast restart: needs your decision" and a space: to column 79 */

static void draw_overview(struct menu *m)
{
	int y = 4, rows = LINES - 8, wide = COLS >= 80 + 20;

	title(m, "fix Windows machines that do not boot");
	if (m->scan.machine_serial)
		mvprintw(1, 1, "This machine: serial %.*s", COLS - 24, m->scan.machine_serial);
	mvprintw(2, 0, "  #  %-12s %9s  %-16s %-*s", "Volume", "Size", "Windows",
		 wide ? OV_STATE : 1, "State");
	if (wide)
		printw("%-14s %-30s %s", "Label", "Windows version", "Disk");
	hline_at(3);
	if (m->job_err[0])
		y += screen_wrap(y, 2, COLS - 4, 2, "%s", m->job_err);
	if (m->release_note[0] && !m->released)
		y += screen_wrap(y, 2, COLS - 4, 2, "%s", m->release_note);
	if (m->lr.unreadable[0] || m->lr.conf.nproblems) {
		/* what the person who prepared the stick got wrong, said once, in colour */
		paint_on(m, C_WARN, A_BOLD);
		y += screen_wrap(y, 2, COLS - 4, 2, "%s", m->lr.unreadable[0] ? m->lr.unreadable :
				 m->lr.conf.problems[0]);
		paint_off(m, C_WARN, A_BOLD);
	}
	if (m->scan.n == 0)
		mvprintw(y, 2, "No NTFS or BitLocker volume found. Press s to scan again.");
	if ((int)m->sel - m->top >= rows)
		m->top = (int)m->sel - rows + 1;
	if ((int)m->sel < m->top)
		m->top = (int)m->sel;
	for (size_t i = (size_t)m->top; i < m->scan.n && y < LINES - 3; i++, y++) {
		const struct volume *v = &m->scan.v[i];
		char size[32], buf[256], buf2[256], ver[256], disk[256], c1[128], c2[128], c3[128];
		int colour;
		const char *words = state_words(m, v, buf, sizeof(buf), &colour);

		human_size(v->size, size, sizeof(size));
		if (i == m->sel)
			attron(A_REVERSE);
		mvprintw(y, 0, OV_FMT, i == m->sel ? '>' : ' ', marker(colour), i + 1,
			 screen_cell(short_dev(v->device), 12, c1, sizeof(c1)), size,
			 screen_cell(volume_name(v, c3, sizeof(c3)), 16, c2, sizeof(c2)));
		if (i == m->sel)
			attroff(A_REVERSE);
		if (v->bitlocker && !v->locked)
			words = strcmp(words, "clean") ? words : "clean (BitLocker unlocked)";
		paint_on(m, colour, colour == C_GOOD ? 0 : A_BOLD);
		if (wide)
			printw("%s", screen_cell(words, OV_STATE, buf2, sizeof(buf2)));
		else
			printw("%s", words);	/* cut at the screen's edge */
		paint_off(m, colour, colour == C_GOOD ? 0 : A_BOLD);
		if (wide) {
			printw("%s ", screen_cell(v->label ? v->label : "", 14, c1, sizeof(c1)));
			printw("%s ", screen_cell(windows_version(v, 0, ver, sizeof(ver)), 30, c3,
						  sizeof(c3)));
			printw("%s", disk_words(v, disk, sizeof(disk)));
		}
	}
	footer(m->under_init ?
	       "Enter fix  d details  r restore  l log  s scan  p power  ? help" :
	       "Enter fix  d details  r restore  l log  s scan  q quit  ? help");
}

static void draw_details(struct menu *m)
{
	const struct volume *v = &m->scan.v[m->sel];
	int y = 2, line = 0;
	char size[32], ver[256], disk[256];

	title(m, "details");
	human_size(v->size, size, sizeof(size));
	mvprintw(y++, 1, "%s  %s  %s%s%s%s", v->device, v->fstype ? v->fstype : "", size,
		 v->label ? "  label \"" : "", v->label ? v->label : "", v->label ? "\"" : "");
	if (v->disk_model || v->disk_serial)
		mvprintw(y++, 1, "Disk: %s", disk_words(v, disk, sizeof(disk)));
	if (m->scan.machine_serial)
		mvprintw(y++, 1, "This machine: serial %s", m->scan.machine_serial);
	if (v->windows) {
		mvprintw(y++, 1, "Windows: %s  %s", v->computer_name ? v->computer_name : "(unnamed)",
			 windows_version(v, 1, ver, sizeof(ver)));
		if (v->drive)
			printw("  drive %c:", v->drive);
	}
	if (v->identity_note)
		y += screen_wrap(y, 1, COLS - 2, 2, "note: %s", v->identity_note);
	if (v->problem == PROBLEM_HIBERNATED || v->hibernated)
		mvprintw(y++, 1, "Windows is hibernated on this volume: fixing needs your decision.");
	else if (v->problem == PROBLEM_FAST_RESTART)
		mvprintw(y++, 1, "Windows fast restart state is on this volume: fixing needs your "
			 "decision.");
	if (v->bitlocker) {
		y += screen_wrap(y, 1, COLS - 2, 2, "BitLocker key ID %s", v->key_ids ? v->key_ids :
				 "(none)");
		if (v->bitlocker_description)
			mvprintw(y++, 1, "BitLocker description: %s", v->bitlocker_description);
		if (v->unlocked_by)
			y += screen_wrap(y, 1, COLS - 2, 2, "unlocked with key ID %.8s from %s",
					 v->unlocked_by, v->key_source ? v->key_source : "?");
		else if (v->reason)
			y += screen_wrap(y, 1, COLS - 2, 2, "%s", v->reason);
	}
	hline_at(y++);
	if (!v->nfindings)
		mvprintw(y++, 1, v->windows ? "No file that a rule covers." : v->locked ?
			 "Locked: what is on it shows once it is unlocked (Enter types its key)." :
			 "No Windows here.");
	for (size_t i = 0; i < v->nfindings; i++) {
		const struct finding *f = &v->findings[i];
		char when[UTC_LEN];
		int colour = f->verdict == VERDICT_FAULTY ? C_BAD : f->verdict == VERDICT_GOOD ?
			     C_GOOD : C_WARN;

		for (int part = 0; part < 4; part++) {
			if (part == 3 && !f->why)
				break;
			if (line++ < m->top || y >= LINES - 3)
				continue;
			if (part == 0) {
				paint_on(m, colour, A_BOLD);
				mvprintw(y, 1, "%c%-7s", marker(colour), verdict_name(f->verdict));
				paint_off(m, colour, A_BOLD);
				printw(" %s", base_name(f->path));
			} else if (part == 1) {
				mvprintw(y, 9, "%lld bytes  modified %s UTC  %s%s",
					 (long long)f->d.size, utc_format(f->mtime.tv_sec, when),
					 f->rule ? "rule " : f->why ? "" : "no rule decides it",
					 f->rule ? f->rule : "");
			} else if (part == 2) {
				/* the whole hash on one line, short of the last column: never cut or joined */
				mvprintw(y, 3, "SHA-256 %.64s", f->d.sha256);
			} else {
				mvprintw(y, 9, "why: %s", f->why);
			}
			y++;
		}
	}
	footer("Up/Down scroll  Enter fix  Esc back");
}

/* "DESKTOP-2KGM189 (loop0p1)" for sentences about the chosen volume. */
static const char *volume_words(const struct volume *v, char *buf, size_t len)
{
	if (v->computer_name)
		snprintf(buf, len, "%s (%s)", v->computer_name, short_dev(v->device));
	else
		snprintf(buf, len, "%s", short_dev(v->device));
	return buf;
}

static size_t wanted(const struct volume *v)
{
	return count_verdict(v, VERDICT_FAULTY);
}

static void buttons(struct menu *m, int y, const char *a, const char *b)
{
	move(y, 2);
	if (m->button == 0)
		attron(A_REVERSE);
	printw("[ %s ]", a);
	if (m->button == 0)
		attroff(A_REVERSE);
	printw("   ");
	if (m->button == 1)
		attron(A_REVERSE);
	printw("[ %s ]", b);
	if (m->button == 1)
		attroff(A_REVERSE);
}

static void draw_confirm(struct menu *m)
{
	const struct volume *v = &m->scan.v[m->sel];
	int y = 2;

	title(m, "confirm");
	if (!wanted(v)) {
		size_t n = count_verdict(v, VERDICT_UNKNOWN);
		char who[256];

		mvprintw(y++, 1, "Nothing to fix on %s.", volume_words(v, who, sizeof(who)));
		y++;
		if (n)
			y += screen_wrap(y, 1, COLS - 2, 3, "No rule decides %zu file%s here (d shows "
					 "them and why). Nothing will be changed.", n,
					 n == 1 ? "" : "s");
		else
			y += screen_wrap(y, 1, COLS - 2, 3, "No file a rule calls faulty. Nothing will "
					 "be changed.");
		y++;
		screen_wrap(y, 1, COLS - 2, 2, "Record this machine in the log as %s?",
			    n ? "left to check" : "checked");
		buttons(m, LINES - 4, "Record", "Cancel");
		footer("Enter = choose  Left/Right/Tab = move  Esc = cancel");
		return;
	}
	mvprintw(y++, 1, "Fix %s on %s?", v->computer_name ? v->computer_name : "Windows",
		 v->device);
	y++;
	mvprintw(y++, 1, "These files will be moved to \\bootfix-quarantine on the same volume.");
	mvprintw(y++, 1, "Nothing is deleted; \"restore\" puts them back.");
	y++;
	for (size_t i = 0; i < v->nfindings && y < LINES - 6; i++) {
		const struct finding *f = &v->findings[i];
		char when[UTC_LEN], cell[256];

		if (f->verdict != VERDICT_FAULTY)
			continue;
		mvprintw(y++, 3, "%s %8lld bytes  %s", screen_cell(base_name(f->path), 34, cell,
									   sizeof(cell)),
			 (long long)f->d.size, utc_format(f->mtime.tv_sec, when));
	}
	buttons(m, LINES - 4, "Fix", "Cancel");
	footer("Enter = choose  Left/Right/Tab = move  Esc = cancel");
}

/* The decision screens: what is on the volume, what fixing costs, how to tell, the override. */
static const struct decision {
	const char *what, *cost, *tell, *fix;
} decisions[] = {
	{ "? Windows is hibernated on",
	  "Windows was put to sleep on disk, not shut down. Fixing it now throws away that "
	  "session: documents open at the time and not saved are lost.",
	  "To tell whether it can resume: restart without the stick. If \"Resuming Windows\" "
	  "shows and the desktop comes back, it resumed and there is nothing to fix. If it "
	  "crashes again (blue screen, restart loop), it cannot resume: boot the stick again "
	  "and choose \"Fix anyway\".",
	  "Fix anyway, discard the session" },
	{ "? Windows fast restart state is on",
	  "Windows did not fully shut down. Fixing now drops the changes Windows still had in "
	  "memory (usually none that matter on a machine stuck in a restart loop).",
	  "To tell: if this machine crashes at every start, Windows cannot use them: fix it. "
	  "If it started Windows normally since the crash, leave it, and shut Windows down "
	  "fully (Shift + Shut down) before fixing.",
	  "Fix anyway, drop cached changes" },
};

static void draw_override(struct menu *m)
{
	const struct volume *v = m->job_run.n && m->job == JOB_FIX ? &m->job_run.v[0] :
				 &m->scan.v[m->sel];
	const struct decision *d = &decisions[m->override == 1 ? 0 : 1];
	char who[256];
	int y = 2, w = COLS - 2;

	title(m, "your decision");
	paint_on(m, C_WARN, A_BOLD);
	mvprintw(y++, 1, "%s %s.", d->what, volume_words(v, who, sizeof(who)));
	paint_off(m, C_WARN, A_BOLD);
	y++;
	y += screen_wrap(y, 1, w, 3, "%s", d->cost);
	y++;
	y += screen_wrap(y, 1, w, 5, "%s", d->tell);
	buttons(m, LINES - 4, "Leave it", d->fix);
	footer("Enter = choose (both are recorded)  Left/Right/Tab = move  Esc = back");
}

static void draw_restore_ask(struct menu *m)
{
	const struct volume *v = &m->scan.v[m->sel];
	char who[256];
	int y = 2;

	title(m, "restore - are you sure?");
	paint_on(m, C_BAD, A_BOLD);
	y += screen_wrap(y, 1, COLS - 2, 2, "! Restore puts the quarantined files back on %s.",
			 volume_words(v, who, sizeof(who)));
	y += screen_wrap(y, 1, COLS - 2, 2, "If they are the faulty files, this machine will "
			 "crash again at its next start.");
	paint_off(m, C_BAD, A_BOLD);
	y++;
	screen_wrap(y, 1, COLS - 2, 4, "Restore only when you were asked to: a file quarantined "
		    "by mistake, or an investigation. The restore is recorded in the log.");
	buttons(m, LINES - 4, "Cancel", "Restore: it will crash again");
	footer("Enter = choose  Left/Right/Tab = move  Esc = cancel");
}

/* What the technician does next, under the result: the last lines above the footer. */
static const char *next_step(struct menu *m, const struct volume *v, int *colour)
{
	*colour = C_GOOD;
	if (!v)
		return "Enter = back to the list";
	if (m->job == JOB_FIX && v->outcome == OUTCOME_REFUSED &&
	    (v->problem == PROBLEM_FAST_RESTART || v->problem == PROBLEM_HIBERNATED)) {
		*colour = C_WARN;
		return "This needs your decision: press Enter.";
	}
	if (!machine_done(m))
		return others_to_fix(m, v->key) ?
		       "Another install on this machine needs fixing: Enter = back to the list." :
		       "Enter = back to the list";
	if (!m->released) {
		*colour = C_BAD;
		return "Do not remove the stick yet (see above). Enter = try again.";
	}
	return m->under_init ? "Remove the stick, then press Enter to restart into Windows." :
	       "Done. Restart this machine without the stick. Enter = next machine.";
}

static void draw_result(struct menu *m)
{
	const struct volume *v = m->job_run.n ? &m->job_run.v[0] : NULL;
	int y = 4, colour, ncolour, bottom = LINES - 6;
	const char *big, *next;
	char who[256];

	title(m, "result");
	if (!v) {
		big = m->job == JOB_LEAVE ? "NOT RECORDED" : "NOT DONE";
		colour = C_BAD;
	} else if (v->outcome == OUTCOME_LEFT) {
		big = "LEFT AS IT WAS";
		colour = C_WARN;
	} else if (v->outcome == OUTCOME_FIXED) {
		big = m->job == JOB_RESTORE ? "RESTORED: it will crash again" : "FIXED";
		colour = m->job == JOB_RESTORE ? C_WARN : C_GOOD;
	} else if (v->outcome == OUTCOME_NONE) {
		big = m->job == JOB_RESTORE ? "NOTHING TO RESTORE" : "NOTHING TO FIX";
		colour = C_WARN;
	} else {
		big = m->job == JOB_RESTORE ? "NOT RESTORED" : "NOT FIXED";
		colour = C_BAD;
	}
	paint_on(m, colour, A_REVERSE | A_BOLD);
	move(2, 0);
	for (int x = 0; x < COLS; x++)
		addch(' ');
	mvprintw(2, 1, "%c %s  %s", marker(colour), big, v ? volume_words(v, who, sizeof(who)) :
		 "");
	paint_off(m, colour, A_REVERSE | A_BOLD);
	if (!v) {
		y += screen_wrap(y, 1, COLS - 2, 3, "%s", m->job_err[0] ? m->job_err :
				 "the volume is gone");
	} else {
		if (v->reason)
			y += screen_wrap(y, 1, COLS - 2, 3, "%s", v->reason);
		y++;
		for (size_t i = 0; i < v->nfindings && y < bottom - 2; i++) {
			const struct finding *f = &v->findings[i];

			if (!f->action || !strcmp(f->action, "none"))
				continue;
			/* a long name must not hide what happened to it */
			y += screen_wrap(y, 1, COLS - 2, 2, "%s: %s", base_name(f->path),
					 f->result ? f->result : "");
			if (f->moved_to && y < bottom - 1)
				y += screen_wrap(y, 3, COLS - 4, 3, "-> %s", f->moved_to);
		}
	}
	if (m->log_note[0])
		screen_wrap(bottom, 1, COLS - 2, 2, "Log: %s", m->log_note);
	next = next_step(m, v, &ncolour);
	if (m->job_logged < 0) {
		const char *ready = getenv("BOOTFIX_READY");

		/* where the record is instead (tell(), and stderr at the end) */
		paint_on(m, C_BAD, A_BOLD);
		screen_wrap(LINES - 4, 1, COLS - 2, 1, "! The record was NOT saved: keep the stick in "
			    "(%s).", ready && *ready ? "copy on the serial line" :
			    "shown when the menu ends");
		paint_off(m, C_BAD, A_BOLD);
	} else if (machine_done(m) && !m->released && m->release_note[0])
		screen_wrap(LINES - 4, 1, COLS - 2, 1, "%s", m->release_note);
	else if (machine_done(m) && m->under_init)
		mvprintw(LINES - 4, 1, "The records are saved and the stick is released: you can pull "
			 "it now.");
	paint_on(m, ncolour, A_BOLD);
	screen_wrap(LINES - 3, 1, COLS - 2, 1, "%s", next);
	paint_off(m, ncolour, A_BOLD);
	if (machine_done(m) && !m->released)
		footer("Enter = try again  Esc = back to the list");
	else if (machine_done(m))
		footer(m->under_init ? "Enter = restart  Esc = back to the list  p = power" :
		       "Enter = next machine  Esc = back to the list  q = quit");
	else
		footer(m->under_init ? "Enter = continue  p = power off / reboot" :
		       "Enter = continue  q = quit");
}

static void draw_help(struct menu *m)
{
	static const char *const lines[] = {
		"bootfix finds Windows installations that do not boot because of a faulty",
		"file, and moves that file into quarantine. Nothing is ever deleted.",
		"",
		"  Up/Down, j/k, 1-9   choose a volume",
		"  Enter               fix the chosen volume (asks first)",
		"  d or Tab            details: every file a rule looked at",
		"  r                   restore: put quarantined files back (asks first)",
		"  l                   the log on this stick",
		"  s                   scan all disks again",
		"  Enter on BitLocker  type its recovery key; Tab switches to its password",
		"                      (top row, keypad or F1-F10 = 1-9, F10 = 0)",
		"  p                   power off, reboot or rescue shell (on the stick)",
		"  Esc                 back;   q  quit",
		"",
		"! (red): faulty files found, or a failure. ? (yellow): needs a decision",
		"or a key (hibernated, fast restart, BitLocker, files to check). Green:",
		"nothing to do. Answers that could lose data are never the default.",
	};
	int y = 2;

	title(m, "help");
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]) && y < LINES - 3; i++)
		mvprintw(y++, 1, "%.*s", COLS - 2, lines[i]);
	footer("Esc = back");
}

static void draw_power(struct menu *m)
{
	title(m, "power");
	mvprintw(3, 2, "1  Power off");
	mvprintw(4, 2, "2  Reboot (remove the stick first to start Windows)");
	mvprintw(5, 2, "3  Rescue shell");
	footer("1-3 = choose  Esc = back");
}

static void read_log(struct menu *m)
{
	for (int i = 0; i < m->nloglines; i++)
		free(m->loglines[i]);
	m->nloglines = logcmd_tail(&m->lr, m->data_dir, m->loglines, 64, m->logstatus,
				   sizeof(m->logstatus));
}

/* Typing a BitLocker key: each group of the recovery password checked as it is typed. */
static void draw_key(struct menu *m)
{
	const struct volume *v = &m->scan.v[m->sel];
	int y = 2, bad;

	title(m, "BitLocker key");
	mvprintw(y++, 1, "%s is locked with BitLocker.", v->device);
	mvprintw(y++, 1, "Key ID: %s", v->key_ids ? v->key_ids : "(none found)");
	if (v->key_ids)
		mvprintw(y++, 1, "(older screens show the first 8 characters: %.8s)", v->key_ids);
	y++;
	if (m->pwmode) {
		mvprintw(y++, 1, "Type the volume's password (not the recovery key):");
		y++;
		move(y, 3);
		for (size_t i = 0; i < m->pwlen && i < (size_t)COLS - 6; i++)
			addch('*');
		addch('_');
		y += 2;
	} else {
		mvprintw(y++, 1, "Type the 48-digit recovery key listed under this key ID in Active");
		mvprintw(y++, 1, "Directory, Entra ID / Intune or MBAM. Dashes are added for you;");
		mvprintw(y++, 1, "top-row digits, the keypad, F1-F10 (F10 = 0) and a scanner all work.");
		y++;
		move(y, 3);
		for (unsigned g = 0; g < BITLOCKER_RP_GROUPS; g++) {
			enum bitlocker_rp_group st = bitlocker_rp_entry_group(&m->entry, g);
			int pair = st == BITLOCKER_GROUP_OK ? C_GOOD :
				   st == BITLOCKER_GROUP_NOT11 || st == BITLOCKER_GROUP_TOO_BIG ? C_BAD : 0;

			if (g)
				addch('-');
			if (pair)
				paint_on(m, pair, A_BOLD | (pair == C_BAD ? A_REVERSE : 0));
			for (unsigned d = 0; d < 6; d++) {
				unsigned at = g * 6 + d;

				addch(at < m->entry.n ? (chtype)(unsigned char)m->entry.digit[at] : '_');
			}
			if (pair)
				paint_off(m, pair, A_BOLD | (pair == C_BAD ? A_REVERSE : 0));
		}
		y += 2;
		bad = bitlocker_rp_entry_bad(&m->entry);
		if (bad) {
			paint_on(m, C_BAD, A_BOLD);
			mvprintw(y++, 1, "Group %d is wrong (%s): check it against the list.", bad,
				 bitlocker_rp_group_problem(bitlocker_rp_entry_group(&m->entry,
										 (unsigned)bad - 1)));
			paint_off(m, C_BAD, A_BOLD);
		} else if (m->entry.n == BITLOCKER_RP_DIGITS) {
			mvprintw(y++, 1, "All 8 groups look right. Enter unlocks (this takes a while).");
		}
	}
	if (m->key_msg[0]) {
		paint_on(m, C_BAD, A_BOLD);
		y += screen_wrap(y, 1, COLS - 2, 3, "! %s", m->key_msg);
		paint_off(m, C_BAD, A_BOLD);
	}
	footer(m->pwmode ? "Enter = unlock  Backspace = erase  Tab = recovery key instead  Esc = cancel" :
	       "Enter = unlock  Backspace = erase  Tab = password instead  Esc = cancel");
}

static void draw_log(struct menu *m)
{
	int n, y = 2;

	title(m, "log on this stick");
	mvprintw(y++, 1, "%.*s", COLS - 2, m->logstatus);
	y++;
	mvprintw(y++, 1, "%-*s  %-*s  %-*s  %-*s  %s", LOGCMD_TAIL_TIME, "Time (UTC)",
		 LOGCMD_TAIL_COMPUTER, "Computer", LOGCMD_TAIL_SERIAL, "Serial", LOGCMD_TAIL_ACTION,
		 "Action", "Outcome");
	/* the newest records that fit */
	n = m->nloglines - (LINES - 3 - y);
	for (int i = n > 0 ? n : 0; i < m->nloglines && y < LINES - 3; i++)
		mvprintw(y++, 1, "%.*s", COLS - 2, m->loglines[i]);
	footer("Esc = back");
}

static void draw(struct menu *m)
{
	/* a new screen is drawn on a cleared terminal: whatever reached it
	   behind curses' back (a kernel message on the console) goes then, not
	   only where this screen differs from the last */
	if (m->screen != m->drawn)
		clearok(curscr, TRUE);
	m->drawn = m->screen;
	erase();
	if (LINES < MENU_MIN_LINES || COLS < MENU_MIN_COLS) {
		/* nothing else acts at this size (handle_key): only q */
		mvprintw(0, 0, "terminal too small: need %dx%d, have %dx%d", MENU_MIN_COLS,
			 MENU_MIN_LINES, COLS, LINES);
		mvprintw(1, 0, "Make it larger, or press q to quit.");
		refresh();
		return;
	}
	switch (m->screen) {
	case SCR_SCANNING:
	case SCR_WORKING:
		draw_scanning(m);
		break;
	case SCR_OVERVIEW:
		draw_overview(m);
		break;
	case SCR_DETAILS:
		draw_details(m);
		break;
	case SCR_CONFIRM:
		draw_confirm(m);
		break;
	case SCR_OVERRIDE:
		draw_override(m);
		break;
	case SCR_RESULT:
		draw_result(m);
		break;
	case SCR_HELP:
		draw_help(m);
		break;
	case SCR_POWER:
		draw_power(m);
		break;
	case SCR_LOG:
		draw_log(m);
		break;
	case SCR_KEY:
		draw_key(m);
		break;
	case SCR_RESTORE_ASK:
		draw_restore_ask(m);
		break;
	}
	refresh();
}

/* ---- keys: change state, say whether to redraw ---- */

static int is_enter(int ch)
{
	return ch == '\n' || ch == '\r' || ch == KEY_ENTER;
}

static void ask_fix(struct menu *m)
{
	const struct volume *v;

	if (!m->scan.n)
		return;
	v = &m->scan.v[m->sel];
	if (v->locked && v->bitlocker) {
		forget_key(m);
		m->pwmode = 0;
		m->key_msg[0] = '\0';
		m->screen = SCR_KEY;
		return;
	}
	if (!v->windows || v->locked || v->outcome == OUTCOME_FAILED)
		return;
	memset(&m->policy, 0, sizeof(m->policy));
	run_free(&m->job_run);	/* the decision screen is about the list's volume */
	m->button = 0;
	if ((v->hibernated || v->problem == PROBLEM_HIBERNATED) && wanted(v)) {
		m->override = 1;
		m->screen = SCR_OVERRIDE;
	} else if (v->problem == PROBLEM_FAST_RESTART && wanted(v)) {
		m->override = 2;
		m->screen = SCR_OVERRIDE;
	} else {
		/* "record as checked" on a volume just fixed or with a quarantine is
		   most likely a key pressed once too often: Cancel first */
		if (!wanted(v) && (v->has_quarantine || fixed_here(m, v)))
			m->button = 1;
		m->screen = SCR_CONFIRM;
	}
}

/* After a machine is done, or to go back to its list: the stick writable, a new look. */
static void again(struct menu *m, int next_machine)
{
	reclaim_stick(m);
	if (next_machine)
		m->nfixed = 0;
	start(m, JOB_SCAN);
}

static int key_overview(struct menu *m, int ch)
{
	if ((ch == KEY_DOWN || ch == 'j') && m->sel + 1 < m->scan.n)
		m->sel++;
	else if ((ch == KEY_UP || ch == 'k') && m->sel > 0)
		m->sel--;
	else if (ch >= '1' && ch <= '9' && (size_t)(ch - '1') < m->scan.n)
		m->sel = (size_t)(ch - '1');
	else if (is_enter(ch))
		ask_fix(m);
	else if ((ch == 'd' || ch == '\t' || ch == KEY_RIGHT) && m->scan.n) {
		m->top = 0;
		m->screen = SCR_DETAILS;
	} else if (ch == 'r' && m->scan.n && m->scan.v[m->sel].has_quarantine) {
		memset(&m->policy, 0, sizeof(m->policy));
		m->button = 0;		/* Cancel */
		m->screen = SCR_RESTORE_ASK;
	} else if (ch == 's')
		start(m, JOB_SCAN);
	else if (ch == 'l') {
		m->back = SCR_OVERVIEW;
		m->screen = SCR_LOG;
		read_log(m);
	} else if (ch == 'p' && m->under_init) {
		m->power_back = SCR_OVERVIEW;
		m->screen = SCR_POWER;
	}
	else if (ch == 'q' || ch == 'Q')
		m->quit = 1;
	else
		return 0;
	return 1;
}

/*
 * Two buttons: Left/Right/Tab/h/l move, Enter chooses.  Returns 1 when a
 * choice was made: *which is the button, or -1 for Esc / n (back out).
 */
static int key_buttons(struct menu *m, int ch, int *which)
{
	if (ch == KEY_LEFT || ch == KEY_RIGHT || ch == '\t' || ch == 'h' || ch == 'l' ||
	    ch == KEY_BTAB) {
		m->button = !m->button;
		return 0;
	}
	if (is_enter(ch)) {
		*which = m->button;
		return 1;
	}
	if (ch == 27 || ch == 'n' || ch == 'N') {
		*which = -1;
		return 1;
	}
	return 0;
}

/* SCR_KEY: nothing typed is echoed anywhere but as '*' or on this screen. */
static int key_typing(struct menu *m, int ch)
{
	const struct volume *v = &m->scan.v[m->sel];
	int fk = -1;

	if (ch == 27 || ch == '\t' || is_enter(ch))
		m->key_msg[0] = '\0';	/* else it stays while the key is corrected */
	if (ch == 27) {
		forget_key(m);
		m->screen = SCR_OVERVIEW;
		return 1;
	}
	if (ch == '\t') {
		forget_key(m);
		m->pwmode = !m->pwmode;
		return 1;
	}
	if (ch == KEY_BACKSPACE || ch == 127 || ch == '\b') {
		if (m->pwmode && m->pwlen)
			m->password[--m->pwlen] = '\0';
		else if (!m->pwmode)
			bitlocker_rp_entry_key(&m->entry, BITLOCKER_RP_BACKSPACE);
		return 1;
	}
	if (is_enter(ch)) {
		if (m->pwmode) {
			if (!m->pwlen)
				return 1;
			m->typed = (struct bitlocker_key){ BITLOCKER_KEY_PASSWORD, m->password,
							   m->pwlen, NULL };
		} else {
			if (bitlocker_rp_entry_done(&m->entry, &m->typed_rp) < 0) {
				snprintf(m->key_msg, sizeof(m->key_msg), "%s", err_msg());
				return 1;
			}
			/* the digits stay until the key opens the volume: a wrong
			   one is corrected, not typed again */
			m->typed = (struct bitlocker_key){ BITLOCKER_KEY_RECOVERY, m->typed_rp.text,
							   strlen(m->typed_rp.text), NULL };
		}
		snprintf(m->typed_for, sizeof(m->typed_for), "%s", v->key);
		memset(&m->policy, 0, sizeof(m->policy));
		m->rescan_one = 1;
		start(m, JOB_SCAN);
		return 1;
	}
	if (m->pwmode) {
		if (ch >= 32 && ch < 256 && ch != 127 && m->pwlen + 1 < sizeof(m->password))
			m->password[m->pwlen++] = (char)ch;
		return 1;
	}
	for (int n = 1; n <= 10; n++)
		if (ch == KEY_F(n))
			fk = bitlocker_rp_fkey_digit(n);
	if (fk >= 0)
		ch = fk;
	if (ch < 256 && bitlocker_rp_entry_key(&m->entry, ch) < 0)
		beep();
	return 1;
}

static int handle_key(struct menu *m, int ch)
{
	int which;

	if (ch == KEY_RESIZE)
		return 1;
	if (ch == 'L' - '@') {		/* Ctrl-L: the whole screen again, as in vi or less */
		clearok(curscr, TRUE);
		return 1;
	}
	if (LINES < MENU_MIN_LINES || COLS < MENU_MIN_COLS) {
		/* the screen cannot show what a key would do: nothing acts blind */
		if (ch == 'q' || ch == 'Q')
			m->quit = 1;
		return 1;
	}
	if (m->screen == SCR_KEY)
		return key_typing(m, ch);	/* F1-F10 and every character are the key's */
	if ((ch == '?' || ch == KEY_F(1)) && m->screen != SCR_SCANNING && m->screen != SCR_WORKING) {
		if (m->screen != SCR_HELP)
			m->back = m->screen;
		m->screen = SCR_HELP;
		return 1;
	}
	switch (m->screen) {
	case SCR_KEY:
		return key_typing(m, ch);
	case SCR_SCANNING:
	case SCR_WORKING:
		return 0;	/* the engine is at work; keys wait */
	case SCR_OVERVIEW:
		return key_overview(m, ch);
	case SCR_DETAILS:
		if (ch == KEY_DOWN || ch == 'j')
			m->top++;
		else if ((ch == KEY_UP || ch == 'k') && m->top > 0)
			m->top--;
		else if (is_enter(ch))
			ask_fix(m);
		else if (ch == 27 || ch == KEY_LEFT || ch == 'q' || ch == '\t' || ch == KEY_BACKSPACE)
			m->screen = SCR_OVERVIEW;
		return 1;
	case SCR_CONFIRM:
		if (!key_buttons(m, ch, &which))
			return 1;
		if (which != 0) {
			m->screen = SCR_OVERVIEW;
		} else if (wanted(&m->scan.v[m->sel])) {
			start(m, JOB_FIX);
		} else {
			/* nothing faulty: the machine is recorded as checked, or as left
			   with files no rule decides; nothing is changed */
			size_t n = count_verdict(&m->scan.v[m->sel], VERDICT_UNKNOWN);

			m->leave_outcome = n ? OUTCOME_LEFT : OUTCOME_NONE;
			m->leave_problem = PROBLEM_NONE;
			snprintf(m->leave_buf, sizeof(m->leave_buf), n ?
				 "left to check: no rule decides %zu file%s on it" :
				 "checked: nothing to fix", n, n == 1 ? "" : "s");
			m->leave_why = m->leave_buf;
			start(m, JOB_LEAVE);
		}
		return 1;
	case SCR_RESTORE_ASK:
		if (!key_buttons(m, ch, &which))
			return 1;
		if (which == 1)
			start(m, JOB_RESTORE);
		else
			m->screen = SCR_OVERVIEW;	/* Cancel, the default, or Esc */
		return 1;
	case SCR_OVERRIDE:
		if (!key_buttons(m, ch, &which))
			return 1;
		if (which == -1) {	/* Esc: back, nothing decided, nothing recorded */
			m->screen = SCR_OVERVIEW;
			return 1;
		}
		if (which == 0) {	/* "Leave it", the default: a decision, recorded */
			m->leave_outcome = OUTCOME_LEFT;
			m->leave_problem = m->override == 1 ? PROBLEM_HIBERNATED : PROBLEM_FAST_RESTART;
			m->leave_why = m->override == 1 ?
				"left as it is: Windows is hibernated on it (the technician's decision)" :
				"left as it is: Windows fast restart state is on it (the technician's "
				"decision)";
			start(m, JOB_LEAVE);
			return 1;
		}
		if (m->override == 1)
			m->policy.discard_hibernation = 1;
		else
			m->policy.kill_fast_restart = 1;
		start(m, JOB_FIX);
		return 1;
	case SCR_RESULT:
		if (is_enter(ch) || ch == 27) {
			const struct volume *v = m->job_run.n ? &m->job_run.v[0] : NULL;

			/* a refusal that is a decision (the look did not see it coming):
			   the decision screen, safe answer first */
			if (v && v->outcome == OUTCOME_REFUSED && m->job == JOB_FIX && is_enter(ch) &&
			    ((v->problem == PROBLEM_FAST_RESTART && !m->policy.kill_fast_restart) ||
			     (v->problem == PROBLEM_HIBERNATED && !m->policy.discard_hibernation))) {
				m->override = v->problem == PROBLEM_HIBERNATED ? 1 : 2;
				m->button = 0;
				m->screen = SCR_OVERRIDE;
				return 1;
			}
			if (machine_done(m) && is_enter(ch) && !m->released) {
				release_stick(m);	/* try again: never restart on a held stick */
				return 1;
			}
			if (machine_done(m) && is_enter(ch) && m->under_init) {
				/* the stick was released when this screen came up */
				m->exit_code = MENU_EXIT_REBOOT;
				m->quit = 1;
				return 1;
			}
			again(m, machine_done(m) && is_enter(ch));
		} else if (ch == 'p' && m->under_init) {
			m->power_back = SCR_RESULT;	/* the result, and the stick, as they are */
			m->screen = SCR_POWER;
		} else if (ch == 'q' && !m->under_init) {
			m->quit = 1;
		}
		return 1;
	case SCR_HELP:
	case SCR_LOG:
		if (ch == 27 || ch == 'q' || is_enter(ch))
			m->screen = m->back == SCR_HELP || m->back == SCR_LOG ? SCR_OVERVIEW : m->back;
		return 1;
	case SCR_POWER:
		if (ch >= '1' && ch <= '3') {
			m->exit_code = MENU_EXIT_POWEROFF + (ch - '1');
			m->quit = 1;
		} else if (ch == 27 || ch == 'q') {
			m->screen = m->power_back == SCR_RESULT ? SCR_RESULT : SCR_OVERVIEW;
		}
		return 1;
	}
	return 0;
}

/*
 * The next key, or 0 when none came within the tick.  ncurses' own key
 * decoding is off (keypad FALSE): on a serial line the terminfo entry
 * cannot be trusted (vt100's maps the keypad to F5-F10; vt220's F5 is not
 * in it and was read as Esc and "15~"), so termkey.c decodes the bytes.
 * The keys it gives are turned into curses' names for the handlers.
 */
static int read_key(struct menu *m)
{
	static const struct { int tk, curses; } names[] = {
		{ TERMKEY_ENTER, '\r' }, { TERMKEY_ESC, 27 }, { TERMKEY_BACKSPACE, KEY_BACKSPACE },
		{ TERMKEY_UP, KEY_UP }, { TERMKEY_DOWN, KEY_DOWN }, { TERMKEY_LEFT, KEY_LEFT },
		{ TERMKEY_RIGHT, KEY_RIGHT }, { TERMKEY_HOME, KEY_HOME }, { TERMKEY_END, KEY_END },
		{ TERMKEY_PGUP, KEY_PPAGE }, { TERMKEY_PGDN, KEY_NPAGE }, { TERMKEY_INSERT, KEY_IC },
		{ TERMKEY_DELETE, KEY_DC }, { TERMKEY_BTAB, KEY_BTAB },
	};
	int key = termkey_next(&m->tk, 0), ch;

	if (key == TERMKEY_NONE) {
		/* bytes held: the rest of a sequence follows within TERMKEY_WAIT_MS */
		timeout(m->tk.len ? TERMKEY_WAIT_MS : 100);
		ch = getch();
		if (ch == KEY_RESIZE)
			return KEY_RESIZE;
		if (ch == ERR)
			key = termkey_next(&m->tk, m->tk.len > 0);
		else if (ch >= 0 && ch < 256 && termkey_push(&m->tk, (unsigned char)ch) == 0)
			key = termkey_next(&m->tk, 0);
	}
	if (key >= TERMKEY_F(1) && key <= TERMKEY_F(20))
		return KEY_F(key - TERMKEY_F0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (key == names[i].tk)
			return names[i].curses;
	return key > 0 && key < 256 ? key : 0;
}

/*
 * Say m->tell to whoever watches BOOTFIX_READY (init, the tests, the
 * benchmark, a technician's serial log): "bootfix: menu ready", a record
 * that could not be written.  On the stick that is the serial console,
 * the very terminal the serial menu draws on: text written into the live
 * screen would stay there, and its newline on the last line would scroll
 * the terminal under curses, which then draws each later screen only
 * where it thinks it changed.  So curses steps aside first (endwin: the
 * cursor on the last line, the terminal's own modes), the text goes out,
 * and the screen is drawn again whole.  Any other file, or the terminal
 * once the menu has ended, gets the text as it is.  UI thread only.
 */
static void tell(struct menu *m)
{
	const char *path = getenv("BOOTFIX_READY");
	struct stat ours, theirs;
	char *text;
	int fd, ontty;

	pthread_mutex_lock(&m->lock);
	text = m->tell;
	m->tell = NULL;
	pthread_mutex_unlock(&m->lock);
	if (!text || !path || !*path) {
		free(text);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(text);
		return;
	}
	/* ontty: curses runs on that terminal (not when the menu is ending) */
	ontty = !isendwin() && fstat(fd, &theirs) == 0 && S_ISCHR(theirs.st_mode) &&
		fstat(1, &ours) == 0 && S_ISCHR(ours.st_mode) && ours.st_rdev == theirs.st_rdev;
	if (ontty)
		endwin();
	file_writeall(fd, text, strlen(text));
	close(fd);
	free(text);
	if (ontty) {
		clearok(curscr, TRUE);
		refresh();
	}
}

static void colours(struct menu *m)
{
	m->colour = has_colors();
	if (!m->colour)
		return;
	start_color();
	use_default_colors();
	init_pair(C_TITLE, COLOR_WHITE, COLOR_BLUE);
	init_pair(C_BAD, COLOR_RED, -1);
	init_pair(C_GOOD, COLOR_GREEN, -1);
	init_pair(C_WARN, COLOR_YELLOW, -1);
	init_pair(C_SEL, COLOR_BLACK, COLOR_WHITE);
}

int menu_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "data", required_argument, NULL, 'D' },
		{ "operator", required_argument, NULL, 'o' },
		{ "site", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct menu m;
	int ch, rc;

	memset(&m, 0, sizeof(m));
	pthread_mutex_init(&m.lock, NULL);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:D:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': m.device = optarg; break;
		case 'D': m.data_dir = optarg; break;
		case 'o': m.operator_name = optarg; break;
		case 's': m.site = optarg; break;
		case 'h':
			printf("usage: %s\n", MENU_USAGE);
			return 0;
		default:
			fprintf(stderr, "usage: %s\n", MENU_USAGE);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "usage: %s\n", MENU_USAGE);
		return 2;
	}
	if (!isatty(0) || !isatty(1))
		return cli_error("cannot start the menu: not a terminal (use bootfix scan / fix)");
	if (geteuid() != 0)
		return cli_error("cannot start the menu: must be run as root");
	m.data_dir = cli_data_dir(m.data_dir);
	{
		struct engine_opts eo = { .data_dir = m.data_dir, .operator_name = m.operator_name,
					  .site = m.site };

		logcmd_load(&m.lr, &eo);
		m.operator_name = eo.operator_name;
		m.site = eo.site;
	}
	if ((rc = cli_load_rules(&m.rules, m.data_dir)) < 0) {
		cli_error("%s", err_msg());
		return rc == -2 ? 2 : 3;
	}
	m.under_init = getenv("BOOTFIX_INIT") != NULL;
	bitlocker_no_core_dumps();	/* keys may be typed */
	cli_catch_signals();	/* Ctrl-C too: the running job winds down, then the menu ends */
	screen_locale();
	if (!initscr())
		return cli_error("cannot start the menu: unknown terminal type '%s'",
				 getenv("TERM") ? getenv("TERM") : "");
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, FALSE);	/* read_key() decodes the keys */
	meta(stdscr, TRUE);	/* 8-bit bytes whole: UTF-8, 8-bit CSI */
	termkey_init(&m.tk, !strcmp(nl_langinfo(CODESET), "UTF-8") ? TERMKEY_UTF8 : 0);
	curs_set(0);
	timeout(100);
	colours(&m);
	m.tell = strdup("bootfix: menu ready\n");	/* said once the first screen is drawn */
	start(&m, JOB_SCAN);
	draw(&m);
	while (!m.quit) {
		int redraw = reap(&m);

		if (cli_stop && !m.busy)
			break;
		ch = read_key(&m);
		if (ch)
			redraw |= handle_key(&m, ch);
		if (redraw || m.busy)
			draw(&m);
		tell(&m);	/* after the screen it concerns is drawn */
	}
	if (m.busy)
		pthread_join(m.worker, NULL);
	if (m.exit_code != MENU_EXIT_POWEROFF && m.exit_code != MENU_EXIT_REBOOT)
		reclaim_stick(&m);	/* the stick stays in use after the menu */
	endwin();
	tell(&m);	/* a record the last job could not write, not said yet */
	if (m.unlogged)
		fputs(m.unlogged, stderr);
	free(m.unlogged);
	free(m.tell);
	for (int i = 0; i < m.nloglines; i++)
		free(m.loglines[i]);
	logcmd_done(&m.lr);
	forget_key(&m);
	run_free(&m.scan);
	run_free(&m.job_run);
	rules_free(&m.rules);
	return m.exit_code;
}
