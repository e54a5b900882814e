/*
 * menu_draw.c - every screen of the menu, and what a volume is in words.
 * Key handlers (menu.c) change the state and ask for a redraw; menu_draw()
 * is the one place that draws.  Every line may carry names from a volume:
 * drawn through screen.c, escaped and cut by display columns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "hw.h"
#include "menu_internal.h"
#include "screen.h"
#include "text.h"
#include "utc.h"
#include "version.h"

/* every line drawn may carry names from the volume: escaped (screen.h) */
#define mvprintw screen_mvprintw
#define printw screen_printw

/* ---- what a volume is, in words ---- */


/*
 * One phrase and a colour for the overview.  The colour has a marker that
 * reads on a monochrome terminal too: '!' something to fix or that failed,
 * '?' a decision or a key is needed, ' ' nothing to do.
 */
static const char *state_words(const struct menu *m, const struct volume *v, char *buf,
			       size_t len, int *colour)
{
	size_t faulty = menu_count_verdict(v, VERDICT_FAULTY);
	size_t check = menu_count_verdict(v, VERDICT_UNKNOWN);
	int hib = v->problem == PROBLEM_HIBERNATED || v->hibernated;

	*colour = C_GOOD;
	if (v->locked) {
		if (menu_fixed_here(m, v))
			return "fixed (locked again)";
		*colour = C_WARN;
		if (!v->key_ids)
			return "BitLocker locked";
		snprintf(buf, len, "BitLocker locked %.8s", v->key_ids);
		return buf;
	}
	if (v->raid_missing && v->windows) {
		*colour = C_WARN;
		return "RAID disk missing: read only";
	}
	if (v->member) {
		/* short for the list: details and the result say it whole */
		*colour = C_WARN;
		if (!strcmp(v->member, "dynamic") && v->ldm_kind) {
			snprintf(buf, len, "dynamic %s: not supported", v->ldm_kind);
			return buf;
		}
		return !strcmp(v->member, "dynamic") ? "dynamic disk: not supported" :
		       !strcmp(v->member, "imsm") ? "Intel RAID member: not fixed" :
		       "RAID member: not fixed";
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
	if (menu_fixed_here(m, v))
		return "fixed";
	if (hib)
		return "clean (hibernated)";
	return v->has_quarantine ? "clean (has quarantine)" : "clean";
}

static char marker(int colour)
{
	return colour == C_BAD ? '!' : colour == C_WARN ? '?' : ' ';
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
	mvprintw(8, 2, "%s", m->f.eo.no_stick ? "Do not power off." :
		 "Do not remove the stick or power off.");
	footer("Please wait");
}

/* A storage controller without a driver: the disks behind it were not seen. */
static int bare_controllers(struct menu *m, int y)
{
	char buf[256];

	for (size_t i = 0; i < m->scan.hw.ncontrollers && y < LINES - 4; i++) {
		if (!hw_bare(&m->scan.hw.controllers[i]))
			continue;
		paint_on(m, C_WARN, A_BOLD);
		mvprintw(y++, 2, "disk controller without a driver: %.*s", COLS - 38,
			 hw_controller_text(&m->scan.hw.controllers[i], buf, sizeof(buf)));
		paint_off(m, C_WARN, A_BOLD);
	}
	return y;
}

/* Each RAID volume the volumes are on, once: "md126: Intel RAID 1 (2 disks)". */
static int raid_volumes(struct menu *m, int y)
{
	for (size_t i = 0; i < m->scan.n && y < LINES - 4; i++) {
		const struct volume *v = &m->scan.v[i];
		size_t k = 0;

		while (k < i && !(m->scan.v[k].raid && !strcmp(m->scan.v[k].disk, v->disk)))
			k++;
		if (!v->raid || k < i)
			continue;
		paint_on(m, v->raid_missing ? C_WARN : C_GOOD, v->raid_missing ? A_BOLD : 0);
		mvprintw(y++, 2, "%.*s: %.*s%s", 16, v->disk, COLS - 24, v->raid,
			 v->raid_missing ? ": only read, not fixed" : "");
		paint_off(m, v->raid_missing ? C_WARN : C_GOOD, v->raid_missing ? A_BOLD : 0);
	}
	return y;
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
	if (m->f.rec.unreadable[0] || m->f.rec.conf.nproblems) {
		/* what the person who prepared the stick got wrong, said once, in colour */
		paint_on(m, C_WARN, A_BOLD);
		y += screen_wrap(y, 2, COLS - 4, 2, "%s", m->f.rec.unreadable[0] ?
				 m->f.rec.unreadable : m->f.rec.conf.problems[0]);
		paint_off(m, C_WARN, A_BOLD);
	}
	y = bare_controllers(m, y);
	y = raid_volumes(m, y);
	if (m->scan.n == 0)
		mvprintw(y, 2, "No NTFS or BitLocker volume found. Press s to scan again.");
	if ((int)m->sel - m->top >= rows)
		m->top = (int)m->sel - rows + 1;
	if ((int)m->sel < m->top)
		m->top = (int)m->sel;
	for (size_t i = (size_t)m->top; i < m->scan.n && y < LINES - 3; i++, y++) {
		const struct volume *v = &m->scan.v[i];
		char size[32], buf[256], buf2[256], ver[256], disk[256], c1[128], c2[128], c3[128];
		char dev[96];
		int colour;
		const char *words = state_words(m, v, buf, sizeof(buf), &colour);

		/* a dynamic disk's volume: "sda:Volume1" fits where its device does not
		   (in an image file's loop device, its name alone) */
		if (v->ldm_volume && v->disk && strncmp(v->disk, "loop", 4))
			snprintf(dev, sizeof(dev), "%s:%s", v->disk, v->ldm_volume);
		else if (v->ldm_volume)
			snprintf(dev, sizeof(dev), "%s", v->ldm_volume);
		else
			snprintf(dev, sizeof(dev), "%s", menu_short_dev(v->device));
		text_size(v->size, size, sizeof(size));
		if (i == m->sel)
			attron(A_REVERSE);
		mvprintw(y, 0, OV_FMT, i == m->sel ? '>' : ' ', marker(colour), i + 1,
			 screen_cell(dev, 12, c1, sizeof(c1)), size,
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

/*
 * The end of the details: this machine's storage and USB controllers with
 * their drivers, its disks and its keyboards (hw.c, read when the scan
 * began), scrolled with the rest.  Every name is printable ASCII (hw.c).
 */
static void hardware(struct menu *m, int *y, int *line)
{
	const struct hw *h = &m->scan.hw;
	char buf[256], size[32];

#define HW_LINE(...) do { \
		if ((*line)++ >= m->top && *y < LINES - 3) \
			mvprintw((*y)++, 1, __VA_ARGS__); \
	} while (0)
	HW_LINE("%s", "");
	HW_LINE("This machine: %zu controller%s, %zu disk%s, %zu keyboard%s", h->ncontrollers,
		h->ncontrollers == 1 ? "" : "s", h->ndisks, h->ndisks == 1 ? "" : "s",
		h->nkeyboards, h->nkeyboards == 1 ? "" : "s");
	for (size_t i = 0; i < h->ncontrollers; i++) {
		const struct hw_controller *c = &h->controllers[i];

		HW_LINE(" %-12s %-12s %.*s", c->slot, c->driver ? c->driver : "NO DRIVER", COLS - 30,
			hw_controller_text(c, buf, sizeof(buf)));
	}
	for (size_t i = 0; i < h->ndisks; i++) {
		const struct hw_disk *k = &h->disks[i];

		HW_LINE(" %-8s %-6s %9s  %.*s%s%.*s", k->name, k->bus,
			text_size(k->size, size, sizeof(size)), COLS / 3, k->model ? k->model : "",
			k->serial ? "  serial " : "", COLS / 3, k->serial ? k->serial : "");
	}
	for (size_t i = 0; i < h->nkeyboards; i++)
		HW_LINE(" keyboard %-9s %.*s", h->keyboards[i].bus, COLS - 22,
			h->keyboards[i].name ? h->keyboards[i].name : "");
#undef HW_LINE
}

static void draw_details(struct menu *m)
{
	const struct volume *v = &m->scan.v[m->sel];
	int y = 2, line = 0;
	char size[32], ver[256], disk[256];

	title(m, "details");
	text_size(v->size, size, sizeof(size));
	mvprintw(y++, 1, "%s  %s  %s%s%s%s", v->device, v->fstype ? v->fstype : "", size,
		 v->label ? "  label \"" : "", v->label ? v->label : "", v->label ? "\"" : "");
	if (v->disk_model || v->disk_serial)
		mvprintw(y++, 1, "Disk: %s", disk_words(v, disk, sizeof(disk)));
	if (v->raid)
		mvprintw(y++, 1, "RAID: %s, %s%s", v->disk, v->raid, v->raid_missing ?
			 ": a disk is missing, so it is only read, never fixed" : "");
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
	if (v->member && v->reason)
		y += screen_wrap(y, 1, COLS - 2, 2, "%s", v->reason);
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
		mvprintw(y++, 1, v->windows ? "No file that a rule covers." : v->member ?
			 "Not examined: bootfix does not read this disk alone." : v->locked ?
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
	hardware(m, &y, &line);
	footer("Up/Down scroll  Enter fix  Esc back");
}

/* "DESKTOP-2KGM189 (loop0p1)" for sentences about the chosen volume. */
static const char *volume_words(const struct volume *v, char *buf, size_t len)
{
	if (v->computer_name)
		snprintf(buf, len, "%s (%s)", v->computer_name, menu_short_dev(v->device));
	else
		snprintf(buf, len, "%s", menu_short_dev(v->device));
	return buf;
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
	if (!menu_wanted(v)) {
		size_t n = menu_count_verdict(v, VERDICT_UNKNOWN);
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
	if (!menu_machine_done(m))
		return menu_others_to_fix(m, v->key) ?
		       "Another install on this machine needs fixing: Enter = back to the list." :
		       "Enter = back to the list";
	if (!m->released) {
		*colour = C_BAD;
		return "Do not remove the stick yet (see above). Enter = try again.";
	}
	if (m->f.eo.no_stick)	/* a network boot: no stick to pull */
		return m->under_init ? "Press Enter to restart into Windows." :
		       "Done. Restart this machine into Windows. Enter = next machine.";
	return m->under_init ? "Remove the stick, then press Enter to restart into Windows." :
	       "Done. Restart this machine without the stick. Enter = next machine.";
}

static void draw_result(struct menu *m)
{
	const struct volume *v = m->job_run.n ? &m->job_run.v[0] : NULL;
	int y = 4, colour, ncolour, bottom = LINES - 6;
	const char *big, *next, *ready, *shown;
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
	/* a record a log server did not take says where it is kept: a third row */
	if (m->log_note[0] && strlen(m->log_note) + 5 > 2 * (size_t)(COLS - 2))
		screen_wrap(bottom - 1, 1, COLS - 2, 3, "Log: %s", m->log_note);
	else if (m->log_note[0])
		screen_wrap(bottom, 1, COLS - 2, 2, "Log: %s", m->log_note);
	next = next_step(m, v, &ncolour);
	/* where a record not kept is instead (menu.c's tell(), and stderr at the end) */
	ready = getenv("BOOTFIX_READY");
	shown = ready && *ready ? "copy on the serial line" : "shown when the menu ends";
	if (m->job_logged < 0) {
		paint_on(m, C_BAD, A_BOLD);
		screen_wrap(LINES - 4, 1, COLS - 2, 1, "! The record was NOT saved: %s (%s).",
			    m->f.eo.no_stick ? "do not restart yet" : "keep the stick in", shown);
		paint_off(m, C_BAD, A_BOLD);
	} else if (menu_machine_done(m) && !m->released && m->release_note[0])
		screen_wrap(LINES - 4, 1, COLS - 2, 1, "%s", m->release_note);
	else if (menu_machine_done(m) && m->under_init && m->f.eo.no_stick && m->job_logged)
		screen_wrap(LINES - 4, 1, COLS - 2, 1, "Network boot, no log server: the record is "
			    "not kept (%s).", shown);
	else if (menu_machine_done(m) && m->under_init && m->f.eo.no_stick)
		mvprintw(LINES - 4, 1, "Network boot: the Log line says where the record went.");
	else if (menu_machine_done(m) && m->under_init)
		mvprintw(LINES - 4, 1, "The records are saved and the stick is released: you can pull "
			 "it now.");
	paint_on(m, ncolour, A_BOLD);
	screen_wrap(LINES - 3, 1, COLS - 2, 1, "%s", next);
	paint_off(m, ncolour, A_BOLD);
	if (menu_machine_done(m) && !m->released)
		footer("Enter = try again  Esc = back to the list");
	else if (menu_machine_done(m))
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
	mvprintw(4, 2, "%s", m->f.eo.no_stick ? "2  Reboot" :
		 "2  Reboot (remove the stick first to start Windows)");
	mvprintw(5, 2, "3  Rescue shell");
	footer("1-3 = choose  Esc = back");
}

void menu_read_log(struct menu *m)
{
	for (int i = 0; i < m->nloglines; i++)
		free(m->loglines[i]);
	m->nloglines = record_tail(&m->f.rec, m->f.eo.data_dir, m->loglines, 64, m->logstatus,
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
	mvprintw(y++, 1, "%-*s  %-*s  %-*s  %-*s  %s", RECORD_TAIL_TIME, "Time (UTC)",
		 RECORD_TAIL_COMPUTER, "Computer", RECORD_TAIL_SERIAL, "Serial", RECORD_TAIL_ACTION,
		 "Action", "Outcome");
	/* the newest records that fit */
	n = m->nloglines - (LINES - 3 - y);
	for (int i = n > 0 ? n : 0; i < m->nloglines && y < LINES - 3; i++)
		mvprintw(y++, 1, "%.*s", COLS - 2, m->loglines[i]);
	footer("Esc = back");
}

void menu_draw(struct menu *m)
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
