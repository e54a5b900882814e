/*
 * menu_work.c - the menu's worker thread and this machine's state: the
 * engine runs off the UI thread (only the main thread calls curses); the
 * record of each job is written before its result shows; what was fixed
 * here, whether the machine is done, and the stick released so it can be
 * pulled (and reclaimed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <curses.h>

#include "err.h"
#include "menu_internal.h"
#include "proc.h"
#include "text.h"

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
		record_begun(&m->f.rec, working, r);
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
	/* a warning shows where progress does: the screen has no other line for it */
	struct engine_output out = { .progress = on_progress, .warning = on_progress,
				     .volume_done = on_volume, .begun = on_begun, .ctx = m };
	struct engine_opts o;
	struct run r;
	int rc;

	o = m->f.eo;		/* target, data folder, operator, site, rules, stop */
	o.verb = m->job == JOB_FIX ? ENGINE_FIX : m->job == JOB_RESTORE ? ENGINE_RESTORE :
		 ENGINE_SCAN;
	o.mode = "menu";
	o.policy = m->policy;
	/* a decision written to the log sends on the records kept on the volume too */
	o.send_on_scan = m->job == JOB_LEAVE;
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
		logged = record_write(&m->f.rec, &o, &r, &m->f.rules,
				      rc < 0 ? (why ? why : "cannot run") : NULL, note, sizeof(note),
				      &rec);
		if (rc < 0)
			err_set("%s", why ? why : "cannot run");
		free(why);
		pthread_mutex_lock(&m->lock);
		m->job_logged = logged < 0 ? -1 : logged;
		for (char *p = note; (p = strchr(p, '\n'));)
			*p = ' ';	/* one text, wrapped on the screen */
		snprintf(m->log_note, sizeof(m->log_note), "%s", note);
		if (m->f.rec.not_logged) {
			char *say = NULL;

			/* where the record is kept, whole, on the serial line too */
			if (asprintf(&say, "%sbootfix: %s\n", m->tell ? m->tell : "",
				     text_safe(note)) >= 0) {
				free(m->tell);
				m->tell = say;
			}
		}
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
void menu_forget_key(struct menu *m)
{
	bitlocker_rp_entry_clear(&m->entry);
	bitlocker_rp_clear(&m->typed_rp);
	explicit_bzero(m->password, sizeof(m->password));
	m->pwlen = 0;
	memset(&m->typed, 0, sizeof(m->typed));
	m->typed_for[0] = '\0';
}

/* Scrub the key handed to the engine, keeping what is on the key screen. */
void menu_forget_typed(struct menu *m)
{
	bitlocker_rp_clear(&m->typed_rp);
	memset(&m->typed, 0, sizeof(m->typed));
	m->typed_for[0] = '\0';
}

void menu_start(struct menu *m, enum job job)
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
		menu_forget_key(m);
		snprintf(m->job_err, sizeof(m->job_err), "cannot start the scan: %s", strerror(errno));
		m->screen = SCR_OVERVIEW;
	}
}


/* ---- this machine: done, and the stick ---- */

/* "/dev/nvme0n1p3" as "nvme0n1p3": the list's column is narrow. */
const char *menu_short_dev(const char *dev)
{
	return dev && !strncmp(dev, "/dev/", 5) ? dev + 5 : dev ? dev : "?";
}

int menu_fixed_here(const struct menu *m, const struct volume *v)
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


/* Another install of this machine still has a faulty file to deal with. */
int menu_others_to_fix(const struct menu *m, const char *except)
{
	for (size_t i = 0; i < m->scan.n; i++) {
		const struct volume *v = &m->scan.v[i];

		if (except && !strcmp(v->key, except))
			continue;
		if (!v->locked && !menu_fixed_here(m, v) && menu_count_verdict(v, VERDICT_FAULTY))
			return 1;
	}
	return 0;
}

/* The last job finished this machine: fixed, restored or left on purpose, nothing else to do. */
int menu_machine_done(const struct menu *m)
{
	const struct volume *v = m->job_run.n ? &m->job_run.v[0] : NULL;

	if (!v || m->job_logged < 0)
		return 0;	/* a record not written is not done: the stick stays */
	if (!((m->job == JOB_FIX || m->job == JOB_RESTORE) && v->outcome == OUTCOME_FIXED) &&
	    !(m->job == JOB_LEAVE && (v->outcome == OUTCOME_LEFT || v->outcome == OUTCOME_NONE)))
		return 0;
	return !menu_others_to_fix(m, v->key);
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
	char *real = realpath(dir, NULL);
	struct proc_mount pm;
	int found = 0;
	FILE *f = real ? proc_mountinfo_open() : NULL;

	*flags = 0;
	/* the last mount on that point wins: it is the one seen there */
	while (f && proc_mountinfo_next(f, &pm)) {
		unoctal(pm.point);	/* a space is "\040" there */
		if (strcmp(pm.point, real))
			continue;
		found = !strcmp(pm.root, "/");
		*flags = 0;
		for (char *o = strtok(pm.options, ","); o; o = strtok(NULL, ","))
			for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
				if (!strcmp(o, known[k].opt))
					*flags |= known[k].flag;
	}
	if (f)
		fclose(f);
	free(real);
	return found;
}

/*
 * The machine is done: flush the records and make the stick's data
 * partition read-only (its file system clean: FAT's dirty bit cleared), so
 * the stick can be pulled from now on.  A data folder that is not a mount
 * of its own, or the site settings of a network boot (no stick), is only
 * synced.  m->released: 1 safe, 2 safe and made
 * read-only by us (menu_reclaim_stick() undoes it), 0 not safe (release_note).
 */
void menu_release_stick(struct menu *m)
{
	unsigned long flags;

	m->released = 0;
	m->release_note[0] = '\0';
	sync();
	/* a network boot's data folder is the site's settings, read-only, no
	   stick to pull: nothing to remount */
	if (!m->f.eo.data_dir || m->f.eo.no_stick || !mount_root(m->f.eo.data_dir, &flags) ||
	    (flags & MS_RDONLY)) {
		m->released = 1;
		return;
	}
	if (mount(NULL, m->f.eo.data_dir, NULL, MS_REMOUNT | MS_RDONLY | flags, NULL) < 0) {
		snprintf(m->release_note, sizeof(m->release_note), "cannot make the stick (%s) "
			 "read-only: %s", m->f.eo.data_dir, strerror(errno));
		return;
	}
	sync();
	m->released = 2;
}

/* Back to work on this machine (or the next): the data partition writable again. */
void menu_reclaim_stick(struct menu *m)
{
	unsigned long flags;

	m->release_note[0] = '\0';
	if (m->released == 2 && mount_root(m->f.eo.data_dir, &flags) &&
	    mount(NULL, m->f.eo.data_dir, NULL, MS_REMOUNT | (flags & ~MS_RDONLY), NULL) < 0)
		snprintf(m->release_note, sizeof(m->release_note), "the stick (%s) cannot be "
			 "written again: %s; records will not be saved", m->f.eo.data_dir,
			 strerror(errno));
	m->released = 0;
}

/* Called on every loop: when the worker finished, move to the next screen. */
int menu_reap(struct menu *m)
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
					 "%s. Correct it and press Enter.", menu_short_dev(v->device));
			else
				snprintf(m->key_msg, sizeof(m->key_msg), "This key does not open %s. "
					 "Check each group against the list for key ID %.8s, correct "
					 "it, then press Enter.", menu_short_dev(v->device),
					 v->key_ids ? v->key_ids : "?");
			menu_forget_typed(m);
			m->screen = SCR_KEY;
		} else if (!v) {
			menu_forget_key(m);
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
		if (v && m->job == JOB_FIX && v->outcome == OUTCOME_FIXED && !menu_fixed_here(m, v) &&
		    m->nfixed < (int)(sizeof(m->fixed) / sizeof(m->fixed[0])))
			volume_id(v, m->fixed[m->nfixed++], sizeof(m->fixed[0]));
		if (v && m->job == JOB_RESTORE && v->outcome == OUTCOME_FIXED)
			fixed_forget(m, v);
		if (menu_machine_done(m))
			menu_release_stick(m);
		/* the typed key has done its job: not kept (a refusal keeps it for the
		   override the result screen offers) */
		if (!m->job_run.n || m->job_run.v[0].outcome != OUTCOME_REFUSED)
			menu_forget_key(m);
	}
	return 1;
}

size_t menu_wanted(const struct volume *v)
{
	return menu_count_verdict(v, VERDICT_FAULTY);
}

size_t menu_count_verdict(const struct volume *v, enum verdict what)
{
	size_t n = 0;

	for (size_t i = 0; i < v->nfindings; i++)
		n += v->findings[i].verdict == what;
	return n;
}
