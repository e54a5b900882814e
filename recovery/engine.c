/*
 * engine.c - scan, fix and restore over every volume of a target
 * (see engine.h).
 *
 * Each NTFS volume is first mounted read-only to look; only when there is
 * something to do, and nothing forbids it, is it mounted read-write, and
 * only for as long as the moves take.  Every mount is undone and every
 * loop device detached before engine_run() returns, whatever happened.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <unistd.h>

#include "disk.h"
#include "engine.h"
#include "err.h"
#include "fault.h"
#include "file.h"
#include "identity.h"
#include "keys.h"
#include "ldm.h"
#include "machine.h"
#include "ntfs.h"
#include "quarantine.h"
#include "raid.h"
#include "runstate.h"
#include "winpath.h"

const char *outcome_name(enum volume_outcome o)
{
	switch (o) {
	case OUTCOME_FIXED:
		return "fixed";
	case OUTCOME_REFUSED:
		return "refused";
	case OUTCOME_FAILED:
		return "failed";
	case OUTCOME_LEFT:
		return "left";
	default:
		return "nothing-to-fix";
	}
}

const char *problem_name(enum volume_problem p)
{
	switch (p) {
	case PROBLEM_HIBERNATED:
		return "hibernated";
	case PROBLEM_FAST_RESTART:
		return "fast-restart";
	default:
		return "none";
	}
}

static void say(const struct engine_output *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const struct engine_output *out, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!out || !out->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out->progress(out->ctx, buf);
}

static void warn(const struct engine_output *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn(const struct engine_output *out, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!out || (!out->warning && !out->progress))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (out->warning)
		out->warning(out->ctx, buf);
	else
		out->progress(out->ctx, buf);
}

static void set_reason(struct volume *v, enum volume_outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_reason(struct volume *v, enum volume_outcome o, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(v->reason);
	v->reason = s;
	v->outcome = o;
}

/* Add one line to what the volume's identity_note says ("; "-separated). */
static void add_note(struct volume *v, const char *note)
{
	char *s;

	if (!v->identity_note) {
		v->identity_note = strdup(note);
		return;
	}
	if (asprintf(&s, "%s; %s", v->identity_note, note) < 0)
		return;
	free(v->identity_note);
	v->identity_note = s;
}

/* What stands between the volume and a fix, from the look: hibernation first. */
static void set_problem(struct volume *v)
{
	v->problem = v->hibernated ? PROBLEM_HIBERNATED :
		     v->fast_restart ? PROBLEM_FAST_RESTART : PROBLEM_NONE;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct finding *)a)->path, ((const struct finding *)b)->path);
}

static void free_findings(struct volume *v)
{
	for (size_t i = 0; i < v->nfindings; i++)
		finding_free(&v->findings[i]);
	free(v->findings);
	v->findings = NULL;
	v->nfindings = 0;
}

static int add_finding(struct volume *v, struct finding *f)
{
	struct finding *grown = realloc(v->findings, (v->nfindings + 1) * sizeof(*grown));

	if (!grown) {
		finding_free(f);
		return -1;
	}
	v->findings = grown;
	v->findings[v->nfindings++] = *f;
	return 0;
}

/*
 * A file (or a folder on a rule's path) the rules cannot judge: verdict
 * unknown, with why, so that nothing is called clean that was not looked at.
 * No rule is named: none was applied.
 */
static int add_unknown(struct volume *v, const char *path, const struct stat *lst,
		       const char *why)
{
	struct finding f;

	memset(&f, 0, sizeof(f));
	f.verdict = VERDICT_UNKNOWN;
	if (lst && S_ISREG(lst->st_mode))
		f.d.size = lst->st_size;
	if (lst)
		f.mtime = lst->st_mtim;	/* shown, not trusted: the file was not read */
	f.action = "none";
	f.path = strdup(path);
	f.why = strdup(why);
	return add_finding(v, &f);
}

/*
 * The judgement of the same file on the read-only look, when its identity
 * (inode, size, modification and change time) is unchanged: the read-write
 * pass then reads nothing again.  seen[0..nseen) is sorted by path.
 */
static const struct finding *judged_before(const struct finding *seen, size_t nseen,
					   const char *path, const struct stat *st)
{
	size_t lo = 0, hi = nseen;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(seen[mid].path, path);

		if (c == 0) {
			const struct finding *f = &seen[mid];

			return f->ino && f->ino == st->st_ino && f->d.size == st->st_size &&
			       f->d.sha256[0] && f->mtime.tv_sec == st->st_mtim.tv_sec &&
			       f->mtime.tv_nsec == st->st_mtim.tv_nsec &&
			       f->ctime.tv_sec == st->st_ctim.tv_sec &&
			       f->ctime.tv_nsec == st->st_ctim.tv_nsec ? f : NULL;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * The reason given for a file no rule decides: its date, the one fact a
 * person needs to tell an older channel file from a newer one.  Caller
 * frees; NULL when out of memory.
 */
static char *undecided_why(time_t mtime)
{
	struct tm tm;
	char *s;

	if (!gmtime_r(&mtime, &tm))
		return strdup("no rule decides this file (its date is out of range)");
	if (asprintf(&s, "no rule decides a file dated %04lld-%02d-%02d",
		     (long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) < 0)
		return NULL;
	return s;
}

/* Judge one directory entry of dfd (the rule directory dir, stored as real). */
/* What one look at a volume reads at most: many files each just under a
   rule's max-size must not keep a machine busy for hours. */
#define ENGINE_READ_BUDGET ((off_t)4 << 30)

static int judge_entry(int dfd, const struct ruleset *rs, const char *dir, const char *real,
		       const char *name, struct volume *v, const struct finding *seen,
		       size_t nseen, off_t *budget)
{
	const struct finding *before;
	struct finding f;
	struct stat lst, st;
	const struct rule *r;
	char *path, why[600];
	off_t max;
	int fd;

	if (asprintf(&path, "%s%s%s", real, *real ? "\\" : "", name) < 0)
		return -1;
	if (fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0) {
		free(path);
		return 0;		/* gone since the listing */
	}
	if (S_ISLNK(lst.st_mode)) {
		struct winpath_link l;

		if (winpath_read_link(dfd, name, &l) == 0 && l.target)
			snprintf(why, sizeof(why), "it is a %s to %s: Windows would load what it "
				 "points to; not judged", l.tag == 0xA0000003u ? "junction" :
				 "symbolic link", l.target);
		else
			snprintf(why, sizeof(why), "it is a link or reparse point: not judged");
		free(l.target);
		add_unknown(v, path, &lst, why);
		free(path);
		return 0;
	}
	if (!S_ISREG(lst.st_mode)) {
		free(path);
		return 0;		/* a folder or device by that name: nothing Windows loads */
	}
	max = rules_max_size(rs, dir, name);
	if (lst.st_size > max) {
		snprintf(why, sizeof(why), "%lld bytes, larger than the rules' max-size of %lld: "
			 "not read", (long long)lst.st_size, (long long)max);
		add_unknown(v, path, &lst, why);
		free(path);
		return 0;
	}
	memset(&f, 0, sizeof(f));
	fd = file_open(dfd, name, O_RDONLY | O_NONBLOCK, 0);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_ino == lst.st_ino && S_ISREG(st.st_mode) &&
	    (before = judged_before(seen, nseen, path, &st))) {
		/* read once: the read-only look already hashed this very file */
		f.d = before->d;
		f.d.read = 0;
		f.has_times = before->has_times;
		memcpy(f.ntfs_times, before->ntfs_times, sizeof(f.ntfs_times));
		f.attrib = before->attrib;
		f.has_attrib = before->has_attrib;
		goto judged;
	}
	if (fd >= 0 && fstat(fd, &st) == 0) {
		if (st.st_size > *budget) {
			snprintf(why, sizeof(why), "not read: this look at the volume already read "
				 "%lld GiB (many large files: a crafted volume?)",
				 (long long)(ENGINE_READ_BUDGET >> 30));
			close(fd);
			add_unknown(v, path, &lst, why);
			free(path);
			return 0;
		}
		*budget -= st.st_size;
	}
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_ino != lst.st_ino || !S_ISREG(st.st_mode) ||
	    st.st_size > max || file_hash(fd, &f.d) < 0) {
		snprintf(why, sizeof(why), "cannot read it: %s",
			 fd < 0 || errno ? strerror(errno ? errno : EIO) : "it changed while read");
		if (fd >= 0)
			close(fd);
		add_unknown(v, path, &lst, why);
		free(path);
		return 0;
	}
	quarantine_read_ntfs_meta(fd, &f);
judged:
	f.mtime = st.st_mtim;
	f.ctime = st.st_ctim;
	f.dev = st.st_dev;
	f.ino = st.st_ino;
	close(fd);
	r = rules_judge(rs, dir, name, st.st_mtim.tv_sec, &f.d, &f.verdict);
	if (r) {
		f.rule = strdup(r->id);
		f.unattended = r->unattended;
	} else {
		/* covered (the caller asked rules_wants()) but decided by none:
		   said as it is, never pinned on a rule that did not match */
		f.undecided = 1;
		f.why = undecided_why(st.st_mtim.tv_sec);
	}
	f.action = "none";
	f.path = path;
	return add_finding(v, &f);
}

/*
 * Apply the rules to the volume whose root is rootfd; fills v->findings.
 * Each rule directory is reached as Windows would reach it (junctions and
 * links on the way followed within the volume); one that leads off the
 * volume or cannot be followed gives an unknown finding, never "clean".
 */
static int evaluate(int rootfd, const struct ruleset *rs, struct volume *v)
{
	size_t nd, nseen = v->nfindings;
	off_t budget = ENGINE_READ_BUDGET;
	const char **dirs = rules_directories(rs, &nd);
	struct finding *seen = v->findings;	/* the read-only look's, sorted by path */

	v->findings = NULL;
	v->nfindings = 0;
	for (size_t i = 0; dirs && i < nd; i++) {
		char *real = NULL, why[600];
		int dfd = winpath_resolve_dir(rootfd, dirs[i], v->drive, &real, why, sizeof(why));
		DIR *d;
		struct dirent *e;

		if (dfd < 0) {
			if (errno != ENOENT)
				add_unknown(v, dirs[i], NULL, why);
			continue;
		}
		d = fdopendir(dup(dfd));
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, "..")))
				continue;
			if (!rules_wants(rs, dirs[i], e->d_name))
				continue;
			if (judge_entry(dfd, rs, dirs[i], real, e->d_name, v, seen, nseen,
					&budget) < 0)
				break;
		}
		if (d)
			closedir(d);
		close(dfd);
		free(real);
	}
	free(dirs);
	for (size_t i = 0; i < nseen; i++)
		finding_free(&seen[i]);
	free(seen);
	if (v->nfindings)
		qsort(v->findings, v->nfindings, sizeof(*v->findings), by_path);
	return 0;
}

/* Look at a mounted volume: Windows?, identity, hibernation, findings. */
static void inspect(int rootfd, const struct engine_opts *o, struct volume *v)
{
	int fd = winpath_openfile(rootfd, "Windows\\System32\\config\\SYSTEM", O_RDONLY, NULL);
	char *q;

	fault_point("looked");
	v->windows = fd >= 0;
	if (fd >= 0)
		close(fd);
	v->hibernated = ntfs_hibernated(rootfd);
	q = winpath_lookup(rootfd, QUARANTINE_DIR);
	v->has_quarantine = q != NULL;
	free(q);
	if (v->has_quarantine) {
		char **kept = NULL;
		int n = quarantine_unsent(rootfd, &kept);

		v->kept = n > 0 ? n : 0;
		for (int i = 0; i < n; i++)
			free(kept[i]);
		free(kept);
	}
	if (!v->windows)
		return;
	{
		struct windows_info wi;

		identity_windows(rootfd, &wi);
		v->computer_name = wi.computer_name;
		v->product_name = wi.product_name;
		v->build = wi.build;
		v->display_version = wi.display_version;
		v->identity_note = wi.note;
		/* "C:\Windows": the letter links on this volume use for it */
		if (wi.system_root && wi.system_root[0] && wi.system_root[1] == ':')
			v->drive = wi.system_root[0];
		free(wi.system_root);
	}
	evaluate(rootfd, o->rules, v);
}

/* Which findings this run should act on. */
static int wanted(const struct engine_opts *o, const struct finding *f)
{
	return f->verdict == VERDICT_FAULTY && (!o->unattended_only || f->unattended);
}

/* Mark every wanted finding as left in place with the volume's reason. */
static void leave_all(const struct engine_opts *o, struct volume *v, const char *why)
{
	for (size_t i = 0; i < v->nfindings; i++)
		if (wanted(o, &v->findings[i])) {
			v->findings[i].action = "quarantine";
			finding_result(&v->findings[i], "left in place: %s", why);
		}
}

/*
 * Windows is hibernated on the volume at where and the operator did not
 * accept losing the session: refuse, naming the option that would.
 */
static void refuse_hibernated(const struct engine_opts *o, struct volume *v, const char *where)
{
	set_reason(v, OUTCOME_REFUSED, "refusing to change %s: Windows is hibernated on it; "
		   "fixing would lose the hibernated session (--discard-hibernation "
		   "accepts that)", where);
	leave_all(o, v, "Windows is hibernated on this volume");
}

static void quarantine_volume(int rootfd, const struct engine_opts *o, struct volume *v,
			      const char *device)
{
	struct quarantine_opts qo = {
		.data_dir = o->no_stick ? NULL : o->data_dir, .device = device, .who = o->mode,
		.operator_name = o->operator_name, .site = o->site, .stop = o->stop,
		.stick_manifest = &v->stick_manifest,
	};
	struct finding *act = NULL;
	size_t nact = 0, k = 0;
	char *machine = identity_folder_name(v->computer_name);
	int failed;

	qo.machine = machine;
	for (size_t i = 0; i < v->nfindings; i++)
		nact += wanted(o, &v->findings[i]);
	act = calloc(nact ? nact : 1, sizeof(*act));
	for (size_t i = 0; act && i < v->nfindings; i++)
		if (wanted(o, &v->findings[i]))
			act[k++] = v->findings[i];	/* shallow: results copied back below */
	if (!act) {
		set_reason(v, OUTCOME_FAILED, "cannot quarantine: out of memory");
		free(machine);
		return;
	}
	failed = quarantine_move(rootfd, act, nact, &qo, &v->quarantine);
	k = 0;
	for (size_t i = 0; i < v->nfindings; i++)
		if (wanted(o, &v->findings[i]))
			v->findings[i] = act[k++];
	if (failed < 0) {
		set_reason(v, OUTCOME_FAILED, "%s", err_msg());
		leave_all(o, v, err_msg());
	} else if (failed > 0) {
		set_reason(v, OUTCOME_FAILED, "%d of %zu faulty files could not be quarantined",
			   failed, nact);
	} else {
		set_reason(v, OUTCOME_FIXED, "%zu faulty file%s quarantined in %s", nact,
			   nact == 1 ? "" : "s", v->quarantine ? v->quarantine : "?");
	}
	free(act);
	free(machine);
}

static void restore_volume(int rootfd, const struct engine_opts *o, struct volume *v)
{
	struct quarantine_opts qo = { .stop = o->stop };
	struct finding *f = NULL;
	size_t n = 0;
	int failed = quarantine_restore(rootfd, &qo, &f, &n);

	free_findings(v);
	v->findings = f;
	v->nfindings = n;
	if (failed < 0)
		set_reason(v, OUTCOME_FAILED, "%s", err_msg());
	else if (failed > 0)
		set_reason(v, OUTCOME_FAILED, "%d of %zu quarantined files not restored", failed, n);
	else if (n)
		set_reason(v, OUTCOME_FIXED, "%zu file%s restored or already in place", n,
			   n == 1 ? "" : "s");
	else
		set_reason(v, OUTCOME_NONE, "nothing in quarantine");
}

static size_t count_wanted(const struct engine_opts *o, const struct volume *v)
{
	size_t n = 0;

	for (size_t i = 0; i < v->nfindings; i++)
		n += wanted(o, &v->findings[i]);
	return n;
}

/* After the read-only look: does this verb need to write to the volume? */
static int needs_write(const struct engine_opts *o, const struct volume *v)
{
	if (o->verb == ENGINE_FIX)
		return count_wanted(o, v) > 0;
	if (o->verb == ENGINE_RESTORE)
		return v->has_quarantine;
	return 0;
}

static void dry_run(const struct engine_opts *o, struct volume *v)
{
	for (size_t i = 0; i < v->nfindings; i++)
		if (wanted(o, &v->findings[i])) {
			v->findings[i].action = "quarantine";
			finding_result(&v->findings[i], "dry run: would be quarantined");
		}
	set_reason(v, OUTCOME_NONE, "dry run: nothing changed");
}

/* The run in progress, for the begun callback (one engine_run at a time). */
static struct run *current;
static const struct engine_output *current_out;
static int begun_said;

static void act(int rootfd, const struct engine_opts *o, struct volume *v, const char *device)
{
	if (!begun_said && current && current_out && current_out->begun) {
		current_out->begun(current_out->ctx, current);
		fault_point("begun");
	}
	begun_said = 1;
	if (o->verb == ENGINE_FIX)
		quarantine_volume(rootfd, o, v, device);
	else
		restore_volume(rootfd, o, v);
}

/*
 * Unattended, a file whose verdict is unknown needs a person before anything
 * on its volume is moved: the whole volume is left untouched and reported
 * as refused, naming first a file that was not judged at all (a link off
 * the volume, unreadable...), as that one may hide what Windows loads.
 * Files no rule decides on a volume with nothing faulty refuse nothing:
 * there is nothing to move, and settle() names them to be checked.
 * Returns 1 when refused.
 */
static int undecided(const struct engine_opts *o, struct volume *v)
{
	const struct finding *first = NULL;
	size_t n = 0, check = 0, faulty = 0;

	if (!o->unattended_only || o->verb != ENGINE_FIX)
		return 0;
	for (size_t i = 0; i < v->nfindings; i++) {
		const struct finding *f = &v->findings[i];

		faulty += f->verdict == VERDICT_FAULTY;
		if (f->verdict != VERDICT_UNKNOWN)
			continue;
		n++;
		check += f->undecided;
		if (!first || (first->undecided && !f->undecided))
			first = f;
	}
	if (!n || (check == n && !faulty))
		return 0;
	set_reason(v, OUTCOME_REFUSED, "%zu file%s need%s a decision (verdict unknown: %s%s%s); "
		   "volume left untouched", n, n == 1 ? "" : "s", n == 1 ? "s" : "", first->path,
		   first->why ? ": " : "", first->why ? first->why : "");
	leave_all(o, v, "another file on this volume needs a decision");
	return 1;
}

/* The unknown findings of v: how many, and the first (NULL when none). */
static const struct finding *first_unknown(const struct volume *v, size_t *n)
{
	const struct finding *first = NULL;

	*n = 0;
	for (size_t i = 0; i < v->nfindings; i++)
		if (v->findings[i].verdict == VERDICT_UNKNOWN) {
			if (!first)
				first = &v->findings[i];
			(*n)++;
		}
	return first;
}

/* Fill in the outcome of a volume that needed nothing. */
static void settle(const struct engine_opts *o, struct volume *v)
{
	size_t faulty = run_count_faulty(&(struct run){ .v = v, .n = 1 }, NULL);

	if (v->reason)
		return;
	if (o->verb == ENGINE_RESTORE)
		set_reason(v, OUTCOME_NONE, "nothing in quarantine");
	else if (!v->windows)
		set_reason(v, OUTCOME_NONE, "no Windows on this volume");
	else if (o->verb == ENGINE_FIX && faulty)
		set_reason(v, OUTCOME_REFUSED, "faulty files not marked safe for unattended use");
	else {
		size_t n;
		const struct finding *f = first_unknown(v, &n);
		char what[64];

		/* a scan says what it found; nothing faulty is not "clean" while a
		   file waits for a person */
		if (faulty)
			snprintf(what, sizeof(what), "%zu faulty file%s found", faulty,
				 faulty == 1 ? "" : "s");
		else
			snprintf(what, sizeof(what), "no faulty files");
		if (f)
			set_reason(v, OUTCOME_NONE, "%s; %zu file%s to check%s: %s%s%s", what,
				   n, n == 1 ? "" : "s", n == 1 ? "" : ", the first", f->path,
				   f->why ? ": " : "", f->why ? f->why : "");
		else
			set_reason(v, OUTCOME_NONE, "%s", what);
	}
	if (o->verb == ENGINE_FIX && v->outcome == OUTCOME_REFUSED)
		leave_all(&(struct engine_opts){ .unattended_only = 0 }, v,
			  "the rule is not marked unattended = yes");
}

/* The keys of DATA/keys/, read once per run when a BitLocker volume shows up. */
static struct keyring run_keys;
static int run_keys_read;

/* A key file's problem, or a key that did not fit: a warning (err_warn_fn). */
static void key_problem(void *ctx, const char *msg)
{
	warn(ctx, "%s", msg);
}

/* What was undone of a killed bootfix's mounts: progress (err_warn_fn). */
static void recovered(void *ctx, const char *msg)
{
	say(ctx, "%s", msg);
}

static const struct keyring *stick_keys(const struct engine_opts *o,
					const struct engine_output *out)
{
	char dir[4096];

	if (!o->data_dir)
		return NULL;
	if (!run_keys_read) {
		run_keys_read = 1;
		snprintf(dir, sizeof(dir), "%s/keys", o->data_dir);
		if (keys_load_dir(&run_keys, dir, key_problem, (void *)out) < 0)
			warn(out, "%s", err_msg());
	}
	return &run_keys;
}

static void do_volume(const struct engine_opts *o, const struct engine_output *out,
		      const struct blockdev *b, struct volume *v);

/* ---- RAID volumes assembled read-only (raid.h) ---- */

/* The RAID volume this volume's work made writable: settled once it is done. */
static char raid_switched[32];
/* its member disks then ("sda sdb"): one failing during the fix is told */
static char raid_had[256];

/*
 * Before the first write to a volume on a RAID volume: make that writable.
 * -1 with err_set() when it cannot be, or must not be (a member missing).
 */
static int raid_begin(const struct engine_output *out, const struct blockdev *b)
{
	int rc;

	if (!b->raid || !strcmp(raid_switched, b->disk))
		return 0;
	if (!b->raid_missing)
		say(out, "making %s (%s) writable for the fix", b->disk, b->raid);
	/* the disks working before the switch: mdmon's first metadata write may fail one */
	raid_members(NULL, b->disk, raid_had, sizeof(raid_had));
	rc = raid_writable(b->disk);
	if (rc == 1)
		snprintf(raid_switched, sizeof(raid_switched), "%s", b->disk);
	return rc < 0 ? -1 : 0;
}

/* Once a volume is done: the RAID volume it made writable clean and read-only again. */
static void raid_end(const struct engine_output *out, struct volume *v)
{
	char note[600], lost[256], *model, *serial;

	if (!raid_switched[0])
		return;
	say(out, "waiting for %s to be clean, then making it read-only again", raid_switched);
	if (raid_settle(raid_switched) < 0) {
		snprintf(note, sizeof(note), "%s not settled: %s (Windows' RAID driver may check "
			 "the whole volume once)", raid_switched, err_msg());
		warn(out, "%s", note);
		add_note(v, note);
	}
	/* a member that failed writes (or was pulled out) during the fix: md
	   went on with the others, the technician must know which disk to replace */
	if (raid_lost(NULL, raid_switched, raid_had, lost, sizeof(lost)) > 0) {
		int one = !strchr(lost, ' ');

		disk_ids(one ? lost : NULL, &model, &serial);
		snprintf(note, sizeof(note), "%s: disk%s %s%s%s%s failed during the fix (write "
			 "errors, or pulled out); the fix went to the other disks of %s: replace "
			 "%s, then Windows' RAID driver rebuilds the volume", raid_switched,
			 one ? "" : "s", lost, serial ? " (serial " : "", serial ? serial : "",
			 serial ? ")" : "", v->raid ? v->raid : "the volume", one ? "it" : "them");
		warn(out, "%s", note);
		add_note(v, note);
		free(model);
		free(serial);
	}
	raid_switched[0] = '\0';
}

/* ---- records kept on the volumes for the log servers ---- */

/* engine_keep_record(): the record it keeps and the run whose folders take it. */
static const char *keep_line;
static size_t keep_len;
static const struct run *keep_of;

/* The volume of keep_of called key that has a quarantine folder, or NULL. */
static const struct volume *keep_for(const char *key)
{
	for (size_t i = 0; keep_of && i < keep_of->n; i++)
		if (keep_of->v[i].quarantine && keep_of->v[i].key && !strcmp(keep_of->v[i].key, key))
			return &keep_of->v[i];
	return NULL;
}

/* Keep the record in the folder this volume's fix made (mounted at rootfd, writable). */
static void keep_here(int rootfd, struct volume *v)
{
	const struct volume *was = keep_for(v->key);

	if (!was)
		set_reason(v, OUTCOME_FAILED, "no quarantine folder on it");
	else if (quarantine_keep_record(rootfd, was->quarantine, keep_line, keep_len,
					&v->quarantine) < 0)
		set_reason(v, OUTCOME_FAILED, "%s", err_msg());
	else
		set_reason(v, OUTCOME_FIXED, "record kept in %s", v->quarantine);
}

/* Whether this run sends on the records kept on v: a fix or restore that writes
   (or a scan told to, for a decision it records). */
static int sends_kept(const struct engine_opts *o, const struct volume *v)
{
	return v->kept > 0 && o->send && o->send->n && !o->dry_run && !keep_line &&
	       (o->verb == ENGINE_FIX || o->verb == ENGINE_RESTORE || o->send_on_scan) &&
	       !(o->stop && *o->stop);
}

/*
 * Send the records kept on the volume at rootfd (mounted read-write) to
 * every log server, oldest first; one that every server took is marked
 * sent.  A server that fails is not tried again for the next records of
 * this volume: each would wait through the same tries.
 */
static void send_kept(int rootfd, const struct engine_opts *o, const struct engine_output *out,
		      struct volume *v)
{
	char **folders = NULL;
	int n = quarantine_unsent(rootfd, &folders), down[LOGSEND_DEST_MAX] = { 0 };

	if (n < 0) {
		warn(out, "%s", err_msg());
		return;
	}
	v->kept = n;
	for (int i = 0; i < n; i++) {
		size_t len;
		char *line = quarantine_unsent_read(rootfd, folders[i], &len);
		int all = 1;

		if (!line) {
			/* not a record bootfix kept: said, never sent, not waited for */
			warn(out, "%s", err_msg());
			v->kept--;
			continue;
		}
		for (size_t k = 0; k < o->send->n; k++) {
			const struct logsend_dest *d = &o->send->dest[k];

			if (down[k]) {
				all = 0;
				warn(out, "not logged to %s: it could not be reached for the record "
				     "before; record kept in %s\\" QUARANTINE_UNSENT, d->url, folders[i]);
				continue;
			}
			say(out, "sending the record kept in %s to %s", folders[i], d->url);
			if (logsend_one(o->send, d, v->computer_name, line, len) < 0) {
				warn(out, "not logged to %s: %s; record kept in %s\\" QUARANTINE_UNSENT,
				     d->url, err_msg(), folders[i]);
				down[k] = 1;
				all = 0;
			}
		}
		free(line);
		if (!all)
			continue;
		if (quarantine_unsent_mark(rootfd, folders[i]) < 0) {
			warn(out, "%s: it was sent, and the next run sends it again", err_msg());
			continue;
		}
		v->kept--;
		v->sent_on++;
		say(out, "sent the record kept in %s to every log server; marked %s", folders[i],
		    QUARANTINE_SENT);
	}
	for (int i = 0; i < n; i++)
		free(folders[i]);
	free(folders);
}

/*
 * Nothing needed writing on the volume, but records kept on it wait for the
 * log servers: a read-write mount of its own to send and mark them.  Never
 * on a volume hibernated or with fast restart state: only a fix may accept
 * losing that.
 */
static void send_alone(const struct engine_opts *o, const struct engine_output *out,
		       const struct blockdev *b, struct volume *v)
{
	struct ntfs_policy keep_safe = { 0 };
	struct ntfs_steps steps = { 0 };
	struct ntfs_mount m;
	enum ntfs_problem p;

	if (!sends_kept(o, v))
		return;
	if (v->hibernated || v->fast_restart || v->problem != PROBLEM_NONE) {
		warn(out, "%d record%s kept on %s for the log servers not sent: Windows is "
		     "hibernated or has fast restart state on it", v->kept, v->kept == 1 ? "" : "s",
		     b->path);
		return;
	}
	say(out, "mounting %s read-write to send the records kept on it", b->path);
	if (raid_begin(out, b) < 0 || ntfs_mount_rw(b->path, &keep_safe, &m, &p, &steps) < 0) {
		warn(out, "%d record%s kept on %s for the log servers not sent: %s", v->kept,
		     v->kept == 1 ? "" : "s", b->path, err_msg());
		return;
	}
	send_kept(m.rootfd, o, out, v);
	if (ntfs_umount(&m) < 0) {
		set_reason(v, OUTCOME_FAILED, "%s", err_msg());
		ntfs_adopt(&m);
	}
}

/* engine_keep_record() on one volume: mounted read-write again to keep the record. */
static void keep_volume(const struct engine_opts *o, const struct engine_output *out,
			const struct blockdev *b, struct volume *v)
{
	struct ntfs_mount m;
	enum ntfs_problem p;

	say(out, "mounting %s read-write to keep the record", b->path);
	if (raid_begin(out, b) < 0 || ntfs_mount_rw(b->path, &o->policy, &m, &p, &v->steps) < 0) {
		set_reason(v, OUTCOME_FAILED, "%s", err_msg());
		return;
	}
	keep_here(m.rootfd, v);
	if (ntfs_umount(&m) < 0) {
		set_reason(v, OUTCOME_FAILED, "%s", err_msg());
		ntfs_adopt(&m);
	}
}

/*
 * A BitLocker volume: read its key IDs; unlock it with a key from the stick,
 * its clear key or the typed one (read-only for a scan or a dry run); then
 * the NTFS inside goes the normal way; the mapping is closed again.  Without
 * a key the volume stays locked and is reported with the key ID to look up.
 */
static void do_bitlocker(const struct engine_opts *o, const struct engine_output *out,
			 const struct blockdev *b, struct volume *v)
{
	enum volume_outcome no = o->verb == ENGINE_SCAN ? OUTCOME_NONE : OUTCOME_REFUSED;
	struct bitlocker_info bi;
	struct bitlocker_mapping m;
	struct bitlocker_result res;
	struct keys_source src;
	struct keys_unlock_opts ko = { 0 };
	struct blockdev inner = *b;
	char ids[4 * BITLOCKER_GUID_LEN + 8] = "", why[200], name[400];

	v->bitlocker = 1;
	v->locked = 1;
	say(out, "reading the BitLocker metadata of %s", b->path);
	if (bitlocker_describe(b->path, &bi) < 0) {
		set_reason(v, no, "BitLocker locked: %s", err_msg());
		return;
	}
	/* "DESKTOP-NPM7RCA H: 7/4/2019": names the computer of a locked volume
	   for a person, carried as Windows wrote it (never as computer_name:
	   nothing was read from the install itself) */
	if (bi.description[0])
		v->bitlocker_description = strdup(bi.description);
	v->key_ids = bitlocker_recovery_ids(&bi, " ", 0, ids, sizeof(ids)) ? strdup(ids) : NULL;
	if (bi.togo) {
		/* a USB drive with BitLocker To Go: FAT or exFAT inside, never Windows */
		set_reason(v, OUTCOME_NONE, "BitLocker To Go drive: no Windows");
		goto out;
	}
	if (bitlocker_converting(&bi, why, sizeof(why))) {
		set_reason(v, no, "BitLocker %s: not touched (let Windows finish, or unlock it "
			   "there)", why);
		goto out;
	}
	ko.kr = stick_keys(o, out);
	if (o->typed_key && (!o->only_key_for || !strcmp(o->only_key_for, v->key)))
		ko.typed = o->typed_key;
	ko.readonly = o->verb == ENGINE_SCAN || o->dry_run;
	/* a RAID volume missing a member is only read: the NTFS inside says why */
	if (!ko.readonly && b->raid_missing)
		ko.readonly = 1;
	else if (!ko.readonly && raid_begin(out, b) < 0) {
		set_reason(v, OUTCOME_FAILED, "%s", err_msg());
		goto out;
	}
	ko.tried = key_problem;
	ko.ctx = (void *)out;
	say(out, "unlocking %s", b->path);
	memset(&m, 0, sizeof(m));
	m.loopfd = -1;
	if (keys_unlock(b->path, &bi, &ko, &m, &res, &src) < 0) {
		if (bitlocker_tpm_only(&bi))
			set_reason(v, no, "BitLocker locked: this volume opens with the TPM only; "
				   "bootfix needs its recovery password, which Windows does not have "
				   "for it: not touched");
		else if (res.wrong_key && v->key_ids)
			set_reason(v, no, "BitLocker locked: no key for key ID %.8s (%s) on the stick%s",
				   v->key_ids, v->key_ids, ko.typed ? " and the typed one does not fit" :
				   "; type its recovery password");
		else
			set_reason(v, no, "BitLocker locked: %s", err_msg());
		goto out;
	}
	v->locked = 0;
	v->unlocked_by = strdup(src.key_id);
	v->key_source = strdup(keys_source_name(&src, name, sizeof(name)));
	v->key_kind = keys_source_kind_name(src.kind);
	v->unlock_via = m.via == BITLOCKER_VIA_DM ? "dm-crypt" : "dislocker";
	say(out, "unlocked %s with key ID %.8s from %s", b->path, src.key_id, name);
	inner.path = m.path;
	inner.fstype = "ntfs";
	do_volume(o, out, &inner, v);
	if (bitlocker_close(&m) < 0) {
		if (v->outcome != OUTCOME_FAILED)
			set_reason(v, OUTCOME_FAILED, "%s", err_msg());
		bitlocker_adopt(&m);	/* closed again at the end of the run */
	}
out:
	bitlocker_info_clear(&bi);
}

static void do_volume(const struct engine_opts *o, const struct engine_output *out,
		      const struct blockdev *b, struct volume *v)
{
	struct ntfs_mount m;
	enum ntfs_problem p;
	char busy[1400], *fr_unknown = NULL;
	int fr;

	if (disk_busy(b->path, busy, sizeof(busy))) {
		/* another mount or writer on it: two writers destroy a volume */
		set_reason(v, OUTCOME_FAILED, "refusing to touch %s: %s", b->path, busy);
		leave_all(o, v, "the volume is in use by another program");
		return;
	}
	if (b->fstype && !strcmp(b->fstype, "BitLocker")) {
		do_bitlocker(o, out, b, v);
		return;
	}
	if (keep_line) {
		keep_volume(o, out, b, v);
		return;
	}
	/* before any mount: ntfs-3g read-only says nothing of fast restart */
	say(out, "reading the journal state of %s (ntfsrecover -n)", b->path);
	fr = ntfs_fast_restart(b->path);
	v->fast_restart = fr == 1;
	if (fr < 0)
		fr_unknown = strdup(err_msg());
	say(out, "mounting %s read-only", b->path);
	if (ntfs_mount_ro(b->path, &m, &p) < 0) {
		set_reason(v, OUTCOME_FAILED, "%s", err_msg());
		if (fr_unknown)
			add_note(v, fr_unknown);
		free(fr_unknown);
		set_problem(v);
		return;
	}
	say(out, "looking at %s", b->path);
	inspect(m.rootfd, o, v);
	if (fr_unknown)
		add_note(v, fr_unknown);	/* after inspect(), which sets the note */
	free(fr_unknown);
	set_problem(v);
	if (ntfs_umount(&m) < 0) {
		set_reason(v, OUTCOME_FAILED, "%s", err_msg());
		ntfs_adopt(&m);		/* tried again at the end of the run */
		return;
	}
	if (undecided(o, v)) {
		send_alone(o, out, b, v);
		return;
	}
	if (o->verb == ENGINE_SCAN || !needs_write(o, v)) {
		settle(o, v);
		send_alone(o, out, b, v);
		return;
	}
	if (o->dry_run) {
		dry_run(o, v);
		return;
	}
	if (o->stop && *o->stop) {
		leave_all(o, v, "interrupted");
		set_reason(v, OUTCOME_FAILED, "interrupted before %s was changed", b->path);
		return;
	}
	if (v->hibernated && !o->policy.discard_hibernation) {
		/* decided here, before ntfs-3g is even asked: the volume stays untouched */
		refuse_hibernated(o, v, b->path);
		return;
	}
	if (raid_begin(out, b) < 0) {
		set_reason(v, b->raid_missing ? OUTCOME_REFUSED : OUTCOME_FAILED, "%s", err_msg());
		leave_all(o, v, err_msg());
		return;
	}
	say(out, "mounting %s read-write", b->path);
	if (ntfs_mount_rw(b->path, &o->policy, &m, &p, &v->steps) < 0) {
		/* ntfs-3g saw what the look did not: the fronts branch on problem */
		if (p == NTFS_HIBERNATED) {
			v->problem = PROBLEM_HIBERNATED;
		} else if (p == NTFS_FAST_RESTART) {
			v->fast_restart = 1;
			v->problem = PROBLEM_FAST_RESTART;
		}
		set_reason(v, p == NTFS_HIBERNATED || p == NTFS_FAST_RESTART || p == NTFS_UNCLEAN
			   ? OUTCOME_REFUSED : OUTCOME_FAILED, "%s", err_msg());
		leave_all(o, v, err_msg());
		return;
	}
	if (v->steps.replayed_journal)
		say(out, "replayed the journal of %s with ntfsrecover", b->path);
	/* look again on the writable mount: act on what is there now */
	if (o->verb == ENGINE_FIX)
		evaluate(m.rootfd, o->rules, v);
	say(out, o->verb == ENGINE_FIX ? "quarantining on %s" : "restoring on %s", b->path);
	act(m.rootfd, o, v, b->path);
	if (sends_kept(o, v))
		send_kept(m.rootfd, o, out, v);
	if (ntfs_umount(&m) < 0) {
		set_reason(v, OUTCOME_FAILED, "%s", err_msg());
		ntfs_adopt(&m);
		return;
	}
}

/* --root: a volume someone else mounted. */
static void do_root(const struct engine_opts *o, const struct engine_output *out, struct volume *v)
{
	struct statvfs sv;
	int rootfd = file_open(AT_FDCWD, o->root, O_RDONLY | O_DIRECTORY, 0);

	if (rootfd < 0) {
		set_reason(v, OUTCOME_FAILED, "cannot open %s: %s", o->root, strerror(errno));
		return;
	}
	if (keep_line) {
		if (fstatvfs(rootfd, &sv) == 0 && (sv.f_flag & ST_RDONLY))
			set_reason(v, OUTCOME_FAILED, "%s is mounted read-only", o->root);
		else
			keep_here(rootfd, v);
		close(rootfd);
		return;
	}
	say(out, "looking at %s", o->root);
	inspect(rootfd, o, v);
	set_problem(v);		/* fast restart: no device here to ask ntfsrecover */
	if (undecided(o, v)) {
		/* left untouched */
	} else if (o->verb == ENGINE_SCAN || !needs_write(o, v)) {
		settle(o, v);
	} else if (o->dry_run) {
		dry_run(o, v);
	} else if (o->stop && *o->stop) {
		/* as on a device: nothing begun, nothing made on the volume */
		leave_all(o, v, "interrupted");
		set_reason(v, OUTCOME_FAILED, "interrupted before %s was changed", o->root);
	} else if (fstatvfs(rootfd, &sv) == 0 && (sv.f_flag & ST_RDONLY)) {
		set_reason(v, OUTCOME_FAILED, "cannot change %s: it is mounted read-only", o->root);
		leave_all(o, v, "the volume is mounted read-only");
	} else if (v->hibernated && !o->policy.discard_hibernation) {
		refuse_hibernated(o, v, o->root);
	} else {
		if (v->hibernated) {
			char *h = winpath_lookup(rootfd, "hiberfil.sys");

			if (h && unlinkat(rootfd, h, 0) == 0)
				v->steps.discarded_hibernation = 1;
			free(h);
		}
		act(rootfd, o, v, o->root);
	}
	if (sends_kept(o, v) && !v->hibernated && fstatvfs(rootfd, &sv) == 0 &&
	    !(sv.f_flag & ST_RDONLY))
		send_kept(rootfd, o, out, v);
	close(rootfd);
}

static struct volume *new_volume(struct run *r)
{
	struct volume *grown = realloc(r->v, (r->n + 1) * sizeof(*grown));

	if (!grown)
		return NULL;
	r->v = grown;
	memset(&grown[r->n], 0, sizeof(grown[r->n]));
	return &grown[r->n++];
}

/* ---- Windows dynamic disks (ldm.h) ---- */

/*
 * The dynamic disks of this run whose LDM database was read: what it said
 * (ok, or why not) and how many rows their volumes made.
 */
static struct dynamic {
	char disk[32];
	int ok;
	size_t rows;
	uint64_t data_start, data_end;	/* bytes: the data area the volumes lie in */
	char why[400];
} dynamic_seen[16];
static size_t dynamic_n;

static struct dynamic *dynamic_of(const char *disk)
{
	for (size_t i = 0; i < dynamic_n; i++)
		if (!strcmp(dynamic_seen[i].disk, disk))
			return &dynamic_seen[i];
	return NULL;
}

/* Why the dynamic disk's volumes are not examined, or NULL. */
static const char *dynamic_why(const char *disk)
{
	const struct dynamic *d = dynamic_of(disk);

	return d && d->why[0] ? d->why : NULL;
}

/* Whether the dynamic disk's LDM volumes made rows of their own. */
static int dynamic_rows(const char *disk)
{
	const struct dynamic *d = dynamic_of(disk);

	return d && d->ok && d->rows > 0;
}


/* A row for volume lv of the dynamic disk of b. */
static struct volume *dynamic_row(struct run *r, const struct blockdev *b, const char *key,
				  const struct ldm_volume *lv)
{
	char dev[300];
	struct volume *v = new_volume(r);

	if (!v)
		return NULL;
	snprintf(dev, sizeof(dev), "/dev/%s (dynamic volume %s)", b->disk, lv->name);
	v->key = strdup(key);
	v->device = strdup(dev);
	v->disk = strdup(b->disk);
	disk_ids(b->disk, &v->disk_model, &v->disk_serial);
	v->size = lv->size;
	v->ldm_volume = strdup(lv->name);
	v->ldm_kind = ldm_kind_name(lv->kind);
	v->ldm_offset = lv->offset;
	return v;
}

/*
 * A simple volume of a dynamic disk: examined and fixed like any volume,
 * through a loop device over its extent alone (read-only unless the run
 * writes), detached again when it is done.  Nothing outside the extent can
 * be read or written through it.
 */
static void dynamic_simple(const struct engine_opts *o, const struct engine_output *out,
			   const struct blockdev *b, size_t nb, const struct blockdev *all,
			   const struct ldm_volume *lv, int may_write, struct volume *v)
{
	char whole[300], name[400], backing[64], busy[1400];
	struct loopdev lo;
	struct blockdev *inner = NULL;
	struct stat st;
	size_t ni = 0;
	int fd;

	snprintf(whole, sizeof(whole), "/dev/%s", b->disk);
	/* another writer of the disk or of a partition the kernel made over it */
	for (size_t i = 0; i < nb; i++)
		if (!strcmp(all[i].disk, b->disk) && disk_busy(all[i].path, busy, sizeof(busy))) {
			set_reason(v, OUTCOME_FAILED, "refusing to touch %s: %s", v->device, busy);
			return;
		}
	if (disk_busy(whole, busy, sizeof(busy))) {
		set_reason(v, OUTCOME_FAILED, "refusing to touch %s: %s", v->device, busy);
		return;
	}
	fd = file_open(AT_FDCWD, whole, may_write ? O_RDWR : O_RDONLY, 0);
	if (fd < 0 || fstat(fd, &st) < 0) {
		set_reason(v, OUTCOME_FAILED, "cannot open %s: %s", whole, err_cause(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	say(out, "attaching dynamic volume %s of %s (%llu bytes from byte %llu)", lv->name, whole,
	    (unsigned long long)lv->length, (unsigned long long)lv->offset);
	snprintf(name, sizeof(name), "%s:%s", whole, lv->name);
	if (disk_loop_extent(fd, whole, name, !may_write, lv->offset, lv->length, &lo) < 0) {
		close(fd);
		set_reason(v, OUTCOME_FAILED, "%s", err_msg());
		return;
	}
	close(fd);
	snprintf(backing, sizeof(backing), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	runstate_add("loop", 0, lo.path, backing);
	if (disk_volumes(lo.path, &inner, &ni) < 0 || ni != 1) {
		set_reason(v, OUTCOME_FAILED, "cannot read %s: %s", v->device,
			   ni != 1 ? "no volume on its loop device" : err_msg());
	} else if (inner[0].member != DISK_MEMBER_NONE) {
		/* RAID metadata or a dynamic disk's table inside a volume: not Windows' C: */
		set_reason(v, OUTCOME_FAILED, "not examining %s: it holds RAID or dynamic disk "
			   "metadata itself", v->device);
	} else if (!inner[0].fstype || (strcmp(inner[0].fstype, "ntfs") &&
					strcmp(inner[0].fstype, "BitLocker"))) {
		set_reason(v, OUTCOME_NONE, "no NTFS or BitLocker volume");
	} else {
		v->fstype = strdup(inner[0].fstype);
		v->label = inner[0].label ? strdup(inner[0].label) : NULL;
		v->uuid = inner[0].uuid ? strdup(inner[0].uuid) : NULL;
		/* the row keeps the disk's name; the work goes through the loop device */
		free(inner[0].disk);
		inner[0].disk = strdup(b->disk);
		do_volume(o, out, &inner[0], v);
	}
	disk_free(inner, ni);
	disk_loop_detach(&lo.fd);	/* an adopted mount keeps it until it is undone */
	runstate_drop("loop", lo.path);
}

/*
 * The volumes of the dynamic disk of all[i], read once per run from its LDM
 * database: a row for each volume with a piece on this disk, a simple one
 * examined (dynamic_simple()), any other refused with its kind.  Returns 1
 * when all[i] (a partition the kernel or libblkid made over the LDM data
 * area) is one of those volumes already, 0 when it goes the old way (a
 * refusal saying why the database could not be used), -1 out of memory.
 */
static int dynamic_disk(const struct engine_opts *o, const struct engine_output *out,
			const struct blockdev *all, size_t nb, size_t i, int image,
			const char *target, int may_write, struct run *r)
{
	enum volume_outcome no = o->verb == ENGINE_SCAN ? OUTCOME_NONE : OUTCOME_REFUSED;
	const struct blockdev *b = &all[i];
	struct dynamic *d = dynamic_of(b->disk);
	struct ldm_group g;
	char whole[300];
	uint64_t s, e;

	if (!d) {
		if (dynamic_n == sizeof(dynamic_seen) / sizeof(dynamic_seen[0]))
			return 0;	/* refused the old way, without the cause */
		d = &dynamic_seen[dynamic_n++];
		memset(d, 0, sizeof(*d));
		snprintf(d->disk, sizeof(d->disk), "%s", b->disk);
		snprintf(whole, sizeof(whole), "/dev/%s", b->disk);
		if (disk_is_partition(target)) {
			snprintf(d->why, sizeof(d->why), "name the whole disk (%s) to have its "
				 "volumes examined", whole);
			return 0;
		}
		say(out, "reading the LDM database of dynamic disk %s", whole);
		if (ldm_read(whole, &g) < 0) {
			snprintf(d->why, sizeof(d->why), "%s", err_msg());
			return 0;
		}
		d->ok = 1;
		if (g.n == 0)
			snprintf(d->why, sizeof(d->why), "its LDM database lists no volume");
		for (size_t k = 0; k < g.n; k++) {
			const struct ldm_volume *lv = &g.v[k];
			char key[300];
			struct volume *v;

			if (!lv->here)
				continue;	/* all on other disks of its group */
			if (image)
				snprintf(key, sizeof(key), "ldm:%s", lv->name);
			else
				snprintf(key, sizeof(key), "/dev/%s (dynamic volume %s)", b->disk,
					 lv->name);
			if ((o->only && strcmp(o->only, key)) || (keep_line && !keep_for(key)))
				continue;
			if (!(v = dynamic_row(r, b, key, lv))) {
				ldm_free(&g);
				return err_set("cannot run: out of memory");
			}
			d->rows++;
			if (o->stop && *o->stop) {
				set_reason(v, OUTCOME_FAILED, "interrupted before %s was examined",
					   v->device);
			} else if (lv->kind == LDM_SIMPLE && lv->length) {
				dynamic_simple(o, out, b, nb, all, lv, may_write, v);
			} else {
				v->member = "dynamic";
				set_reason(v, no, "%s: dynamic disk: %s volume: not supported",
					   b->disk, ldm_kind_name(lv->kind));
			}
			if (out && out->volume_done)
				out->volume_done(out->ctx, v);
		}
		if (g.n && !d->rows && !o->only)
			snprintf(d->why, sizeof(d->why), "its LDM database lists no volume on it");
		/* the data area (disk_volumes() does not carry it: sysfs does) */
		d->data_start = g.data_start;
		d->data_end = g.data_start + g.data_size;
		ldm_free(&g);
	}
	if (!d->ok || b->partno == 0)
		return d->ok;
	/* a partition over the data area is one of the volumes; one outside it
	   (an EFI system or recovery partition of a GPT disk) is refused */
	return !disk_part_extent(b->name, &s, &e) || (s < d->data_end && d->data_start < e);
}

/* Forget the dynamic disks of the run that ended. */
static void dynamic_end(void)
{
	dynamic_n = 0;
}

/*
 * A volume on a disk that is one member of a RAID volume, or a dynamic
 * disk: a fix through one disk would change one mirror behind the back of
 * Intel's driver, or a piece of a volume Windows' LDM describes.  Nothing
 * is mounted, not even read-only.
 */
static void member_volume(const struct engine_opts *o, struct volume *v, enum disk_member m,
			  const char *disk)
{
	enum volume_outcome no = o->verb == ENGINE_SCAN ? OUTCOME_NONE : OUTCOME_REFUSED;

	switch (m) {
	case DISK_MEMBER_IMSM:
		v->member = "imsm";
		set_reason(v, no, "%s: member of an Intel RAID volume (IMSM): not fixed through one "
			   "disk", disk);
		break;
	case DISK_MEMBER_DDF:
		v->member = "ddf";
		set_reason(v, no, "%s: member of a RAID volume (DDF): not fixed through one disk",
			   disk);
		break;
	case DISK_MEMBER_DYNAMIC:
		v->member = "dynamic";
		set_reason(v, no, "%s: dynamic disk: not supported%s%s", disk,
			   dynamic_why(disk) ? ": " : "", dynamic_why(disk) ? dynamic_why(disk) : "");
		break;
	case DISK_MEMBER_NONE:
		break;
	}
}

/* A row for each member disk of b none of whose volumes made one: nothing is found silently. */
static int member_disks(const struct engine_opts *o, const struct engine_output *out,
			const struct blockdev *b, size_t nb, int image, struct run *r)
{
	for (size_t i = 0; i < nb; i++) {
		char key[300], dev[300];
		struct diskinfo di;
		struct volume *v;
		int seen = 0;

		if (b[i].member == DISK_MEMBER_NONE || (i > 0 && !strcmp(b[i - 1].disk, b[i].disk)))
			continue;
		for (size_t k = 0; !seen && k < r->n; k++)
			seen = r->v[k].disk && !strcmp(r->v[k].disk, b[i].disk);
		snprintf(dev, sizeof(dev), "/dev/%s", b[i].disk);
		snprintf(key, sizeof(key), "%s", image ? "p0" : dev);
		if (seen || (o->only && strcmp(o->only, key)) || keep_line || dynamic_rows(b[i].disk))
			continue;
		v = new_volume(r);
		if (!v)
			return err_set("cannot run: out of memory");
		v->key = strdup(key);
		v->device = strdup(dev);
		v->disk = strdup(b[i].disk);
		disk_ids(b[i].disk, &v->disk_model, &v->disk_serial);
		disk_info(b[i].disk, &di);
		v->size = di.size;
		diskinfo_free(&di);
		member_volume(o, v, b[i].member, b[i].disk);
		if (out && out->volume_done)
			out->volume_done(out->ctx, v);
	}
	return 0;
}

static long ms_since(const struct timeval *t0)
{
	struct timeval t1;

	gettimeofday(&t1, NULL);
	return (t1.tv_sec - t0->tv_sec) * 1000L + (t1.tv_usec - t0->tv_usec) / 1000;
}

/*
 * One bootfix at a time on this machine's disks: the stick runs a menu on
 * the screen and one on the serial console, and two mounts of one volume,
 * or two fixes of it, must never overlap.  The second waits, and says so.
 * Where the lock file cannot be made (not root, no /run) there is nothing
 * to share it with: go on.
 */
static int take_lock(const struct engine_opts *o, const struct engine_output *out)
{
	const char *dir = runstate_dir();
	char path[4200];
	int fd;

	if (!dir)
		return -1;
	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	say(out, "waiting: another bootfix (on the other console?) is working on the disks");
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			warn(out, "cannot wait for the other bootfix (%s): going on", strerror(errno));
			break;
		}
		if (o->stop && *o->stop) {
			close(fd);
			return -2;
		}
	}
	return fd;
}

/* The run itself, once engine_run() holds the disks lock (take_lock(); none for --root). */
static int run_holding_lock(const struct engine_opts *o, const struct engine_output *out,
			    struct run *r);

int engine_run(const struct engine_opts *o, const struct engine_output *out, struct run *r)
{
	int fd = o->root ? -1 : take_lock(o, out), rc, e;

	if (fd == -2) {
		memset(r, 0, sizeof(*r));
		return err_set("interrupted while waiting for the other bootfix: nothing was done");
	}
	/* holding the lock: what a killed bootfix left is undone before anything */
	if (!o->root && runstate_recover(recovered, (void *)out) < 0) {
		e = errno;
		memset(r, 0, sizeof(*r));
		r->target = strdup(o->device ? o->device : "all disks");
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	rc = run_holding_lock(o, out, r);
	e = errno;
	current = NULL;
	current_out = NULL;
	if (fd >= 0)
		close(fd);
	errno = e;
	return rc;
}

static void new_run_id(char id[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		struct timeval tv;

		gettimeofday(&tv, NULL);
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)((tv.tv_usec >> (i % 3 * 7)) ^ (getpid() >> (i % 2 * 8)) ^ i);
	}
	for (size_t i = 0; i < sizeof(b); i++) {
		id[2 * i] = hex[b[i] >> 4];
		id[2 * i + 1] = hex[b[i] & 15];
	}
	id[32] = '\0';
}

static int run_holding_lock(const struct engine_opts *o, const struct engine_output *out,
			    struct run *r)
{
	struct loopdev lo = { .fd = -1 };
	struct blockdev *b = NULL;
	struct timeval t0;
	size_t nb = 0;
	const char *path = NULL;
	int rc = 0, writes = o->verb != ENGINE_SCAN && !o->dry_run;
	/* a scan that sends on kept records may write, if the image lets it */
	int may_write = writes || (o->send_on_scan && o->send && o->send->n);

	memset(r, 0, sizeof(*r));
	gettimeofday(&t0, NULL);
	r->started = t0.tv_sec;
	new_run_id(r->id);
	current = r;
	current_out = out;
	begun_said = 0;
	r->target = strdup(o->root ? o->root : o->device ? o->device : "all disks");
	r->machine_serial = machine_serial(NULL);
	hw_read(&r->hw, NULL, NULL);	/* out of memory: what was read */
	if (o->root) {
		struct volume *v = new_volume(r);

		if (!v)
			return err_set("cannot run: out of memory");
		v->key = strdup(o->root);
		v->device = strdup(o->root);
		do_root(o, out, v);
		if (out && out->volume_done)
			out->volume_done(out->ctx, v);
		r->duration_ms = ms_since(&t0);
		return 0;
	}
	if (o->device) {
		int blk = disk_is_blockdev(o->device);

		if (blk < 0)
			return -1;
		if (blk == 0) {
			struct stat st;

			if (writes && stat(o->device, &st) == 0 && !(st.st_mode & 0222))
				return err_set("cannot change %s: the image file is read-only "
					       "(no write permission)", o->device);
			if (!writes && may_write && access(o->device, W_OK) != 0)
				may_write = 0;
			say(out, "attaching %s", o->device);
			if (disk_attach(o->device, !may_write, &lo) < 0)
				return -1;
			path = lo.path;
		} else {
			path = o->device;
		}
	}
	if (disk_volumes(path, &b, &nb) < 0) {
		disk_detach(&lo);
		return -1;
	}
	for (size_t i = 0; i < nb; i++) {
		struct volume *v;

		char key[64];

		if (b[i].member == DISK_MEMBER_DYNAMIC) {
			int in = dynamic_disk(o, out, b, nb, i, lo.fd >= 0, path, may_write, r);

			if (in < 0) {
				rc = -1;
				break;
			}
			if (in)
				continue;
		}
		if (!b[i].fstype || (strcmp(b[i].fstype, "ntfs") && strcmp(b[i].fstype, "BitLocker")))
			continue;
		if (lo.fd >= 0)
			snprintf(key, sizeof(key), "p%d", b[i].partno);
		else
			snprintf(key, sizeof(key), "%s", b[i].path);
		if ((o->only && strcmp(o->only, key)) || (keep_line && !keep_for(key)))
			continue;
		v = new_volume(r);
		if (!v) {
			rc = err_set("cannot run: out of memory");
			break;
		}
		v->key = strdup(key);
		v->device = strdup(b[i].path);
		v->disk = strdup(b[i].disk);
		disk_ids(b[i].disk, &v->disk_model, &v->disk_serial);
		v->raid = b[i].raid ? strdup(b[i].raid) : NULL;
		v->raid_missing = b[i].raid_missing;
		v->fstype = strdup(b[i].fstype);
		v->label = b[i].label ? strdup(b[i].label) : NULL;
		v->uuid = b[i].uuid ? strdup(b[i].uuid) : NULL;
		v->size = b[i].size;
		if (o->stop && *o->stop) {
			set_reason(v, OUTCOME_FAILED, "interrupted before %s was examined", v->device);
			continue;
		}
		if (b[i].member != DISK_MEMBER_NONE)
			member_volume(o, v, b[i].member, b[i].disk);
		else
			do_volume(o, out, &b[i], v);
		raid_end(out, v);
		if (v->raid_missing && v->windows && o->verb == ENGINE_SCAN)
			add_note(v, "its RAID volume is missing a disk: it is only read, never fixed");
		if (out && out->volume_done)
			out->volume_done(out->ctx, v);
	}
	if (!rc && !(o->stop && *o->stop))
		rc = member_disks(o, out, b, nb, lo.fd >= 0, r);
	disk_free(b, nb);
	dynamic_end();
	ntfs_umount_all();
	bitlocker_close_all();
	keys_free(&run_keys);
	run_keys_read = 0;
	disk_detach(&lo);
	r->duration_ms = ms_since(&t0);
	return rc;
}

int engine_keep_record(const struct engine_opts *o, const struct engine_output *out,
		       const struct run *r, const char *line, size_t len, struct run *kr)
{
	struct engine_opts ko = *o;
	int any = 0, rc;

	memset(kr, 0, sizeof(*kr));
	for (size_t i = 0; i < r->n; i++)
		any |= r->v[i].quarantine != NULL;
	if (!any)
		return 0;
	ko.verb = ENGINE_FIX;
	ko.dry_run = 0;
	ko.send = NULL;
	keep_line = line;
	keep_len = len;
	keep_of = r;
	rc = engine_run(&ko, out, kr);
	keep_line = NULL;
	keep_of = NULL;
	return rc;
}

size_t run_count_faulty(const struct run *r, size_t *left)
{
	size_t n = 0, l = 0;

	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; k < r->v[i].nfindings; k++)
			if (r->v[i].findings[k].verdict == VERDICT_FAULTY) {
				n++;
				l += !r->v[i].findings[k].done;
			}
	if (left)
		*left = l;
	return n;
}

void run_free(struct run *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct volume *v = &r->v[i];

		free(v->key);
		free(v->device);
		free(v->disk);
		free(v->disk_model);
		free(v->raid);
		free(v->disk_serial);
		free(v->ldm_volume);
		free(v->bitlocker_description);
		free(v->fstype);
		free(v->label);
		free(v->uuid);
		free(v->computer_name);
		free(v->product_name);
		free(v->build);
		free(v->display_version);
		free(v->identity_note);
		free(v->key_ids);
		free(v->unlocked_by);
		free(v->key_source);
		free_findings(v);
		free(v->quarantine);
		free(v->stick_manifest);
		free(v->reason);
	}
	free(r->v);
	free(r->target);
	free(r->machine_serial);
	hw_free(&r->hw);
	memset(r, 0, sizeof(*r));
}
