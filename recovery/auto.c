/*
 * auto.c - the unattended front for kiosks and fleets: `bootfix auto`.
 *
 * Boot, scan every disk, quarantine only what rules mark safe for
 * unattended use, write the audit record, show the result so that it can be
 * read from two metres, then power off, reboot or wait as configured.  It
 * never asks a question: whatever would need a decision is left untouched
 * and reported as not fixed; a file no rule decides on a machine with
 * nothing faulty is reported as one to check, not as a failure.  A key pressed during the countdown opens the
 * menu instead.  Like the menu, it is a front: the engine does the work.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kd.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "auto.h"
#include "config.h"
#include "engine.h"
#include "err.h"
#include "front.h"
#include "hw.h"
#include "identity.h"
#include "menu.h"
#include "record.h"
#include "screen.h"
#include "text.h"
#include "utc.h"
#include "version.h"

/* every line drawn may carry names from the volume: escaped (screen.h) */
#define mvprintw screen_mvprintw
#define printw screen_printw

/* NOT LOGGED: the record did not reach every log server (kept on the volume or shown) */
enum verdict_screen { AUTO_FIXED, AUTO_NOTHING, AUTO_NOT_FIXED, AUTO_CHECK, AUTO_NOT_LOGGED };

/* A 5x5 block font for the few words the result screen shows. */
static const char *glyph(char c)
{
	switch (c) {
	case 'F': return "#####" "#    " "#### " "#    " "#    ";
	case 'I': return " ### " "  #  " "  #  " "  #  " " ### ";
	case 'X': return "#   #" " # # " "  #  " " # # " "#   #";
	case 'E': return "#####" "#    " "#### " "#    " "#####";
	case 'D': return "#### " "#   #" "#   #" "#   #" "#### ";
	case 'N': return "#   #" "##  #" "# # #" "#  ##" "#   #";
	case 'O': return " ### " "#   #" "#   #" "#   #" " ### ";
	case 'T': return "#####" "  #  " "  #  " "  #  " "  #  ";
	case 'H': return "#   #" "#   #" "#####" "#   #" "#   #";
	case 'G': return " ####" "#    " "# ###" "#   #" " ####";
	case 'C': return " ####" "#    " "#    " "#    " " ####";
	case 'K': return "#   #" "#  # " "###  " "#  # " "#   #";
	case 'L': return "#    " "#    " "#    " "#    " "#####";
	default: return "     " "     " "     " "     " "     ";
	}
}

static void big(int y, const char *word, int fill)
{
	int w = (int)strlen(word) * 6 - 1, x0 = (COLS - w) / 2;

	for (int row = 0; row < 5; row++)
		for (size_t i = 0; word[i]; i++)
			for (int col = 0; col < 5; col++)
				if (glyph(word[i])[row * 5 + col] == '#')
					mvaddch(y + row, x0 + (int)i * 6 + col, (chtype)' ' | A_REVERSE | fill);
}

/* Pass: one long tone; fail: three short ones (for screens hard to see). */
static void beep_pattern(int ok)
{
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	int n = ok ? 1 : 3;

	for (int i = 0; i < n; i++) {
		struct timespec ts = { 0, ok ? 800000000L : 200000000L };

		/* KDMKTONE: high word duration in ms, low word the PIT divisor (880 Hz) */
		if (fd < 0 || ioctl(fd, KDMKTONE, ((ok ? 800 : 200) << 16) | (1193180 / 880)) < 0)
			beep();
		nanosleep(&ts, NULL);
		ts.tv_nsec = 150000000L;
		nanosleep(&ts, NULL);
	}
	if (fd >= 0)
		close(fd);
}

/*
 * Decide the one word for the whole machine.  NOT FIXED whenever a volume
 * was refused or failed or a faulty file stayed; else CHECK when files no
 * rule decides remain (unattended mode moves nothing on their volume only
 * when nothing there is faulty: see the engine), naming the first.
 */
static enum verdict_screen judge(const struct run *r, char *why, size_t len)
{
	const struct finding *check = NULL;
	const struct volume *check_on = NULL;
	size_t left, ncheck = 0;
	int fixed = 0;

	why[0] = '\0';
	run_count_faulty(r, &left);
	for (size_t i = 0; i < r->n; i++) {
		const struct volume *v = &r->v[i];

		if (v->outcome == OUTCOME_FIXED)
			fixed = 1;
		if ((v->outcome == OUTCOME_REFUSED || v->outcome == OUTCOME_FAILED) && !why[0])
			snprintf(why, len, "%s: %s", v->device, v->reason ? v->reason : "not fixed");
		for (size_t k = 0; k < v->nfindings; k++)
			if (v->findings[k].verdict == VERDICT_UNKNOWN && v->findings[k].undecided &&
			    !ncheck++) {
				check = &v->findings[k];
				check_on = v;
			}
	}
	if (why[0] || left)
		return AUTO_NOT_FIXED;
	if (check) {
		char when[UTC_LEN];

		snprintf(why, len, "%zu file%s no rule decides (%s: %s, modified %s)%s", ncheck,
			 ncheck == 1 ? "" : "s", check_on->device, check->path,
			 utc_format(check->mtime.tv_sec, when),
			 fixed ? "; the faulty files were quarantined" : "");
		return AUTO_CHECK;
	}
	return fixed ? AUTO_FIXED : AUTO_NOTHING;
}

static const char *computer(const struct run *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].computer_name)
			return r->v[i].computer_name;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].windows)
			return "(unnamed)";
	return "(no Windows found)";
}

/* One line for the serial console, for whoever watches a fleet run. */
static void announce(enum verdict_screen s, const struct run *r, const char *serial,
		     const char *why, const char *log_note)
{
	const char *path = getenv("BOOTFIX_READY");
	static const char *const word[] = { "fixed", "nothing-to-fix", "not-fixed", "check",
					    "not-logged" };
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "bootfix: auto %s computer=%s serial=%s%s%s; log %s", word[s],
		text_safe(computer(r)), text_safe(serial ? serial : "-"), why[0] ? " reason=" : "",
		text_safe(why), text_safe(log_note));
	for (size_t i = 0; i < r->hw.ncontrollers; i++)
		if (hw_bare(&r->hw.controllers[i]))
			fprintf(f, "; disk controller without a driver: %04x:%04x",
				r->hw.controllers[i].vendor, r->hw.controllers[i].device);
	fputc('\n', f);
	fclose(f);
}

/*
 * Draw text after label from row y on, wrapped at spaces or backslashes
 * (a Windows path breaks between its folders), on at most rows rows; the
 * last row is cut.  Returns the row after the text.
 */
static int wrap(int y, const char *label, const char *text, int rows)
{
	int w = COLS - 3 - (int)strlen(label);

	if (w < 8)
		w = 8;		/* a screen that narrow cuts every line anyway */
	for (int row = 0; *text && row < (rows > 0 ? rows : 1); row++) {
		int n = (int)strlen(text);

		if (n > w && row + 1 < rows) {
			n = w;
			while (n > w / 2 && text[n - 1] != ' ' && text[n - 1] != '\\')
				n--;
			if (text[n - 1] != ' ' && text[n - 1] != '\\')
				/* no place to break: whole characters only */
				for (n = w; n > 1 && ((unsigned char)text[n] & 0xc0) == 0x80; n--)
					;
		}
		mvprintw(y++, 2, "%*s%.*s", (int)strlen(label), row ? "" : label, n, text);
		text += n;
		while (*text == ' ')
			text++;
	}
	return y;
}

static void draw_result(enum verdict_screen s, const struct run *r, const char *serial,
			const char *why, const char *log_note, const char *tail)
{
	int pair = s == AUTO_FIXED ? 1 : s == AUTO_NOTHING || s == AUTO_CHECK ||
		   s == AUTO_NOT_LOGGED ? 2 : 3, fill, y;

	fill = has_colors() ? COLOR_PAIR(pair) : 0;
	bkgd((chtype)' ' | (has_colors() ? COLOR_PAIR(pair + 3) : 0));
	erase();
	if (s == AUTO_NOTHING) {
		big(2, "NOTHING", fill);
		big(8, "TO FIX", fill);
		y = 14;
	} else {
		big(3, s == AUTO_FIXED ? "FIXED" : s == AUTO_CHECK ? "CHECK" : s == AUTO_NOT_LOGGED ?
		    "NOT LOGGED" : "NOT FIXED", fill);
		y = 10;
	}
	attron(A_BOLD);
	mvprintw(y++, 2, "Computer: %s", computer(r));
	mvprintw(y++, 2, "Serial:   %s", serial ? serial : "-");
	attroff(A_BOLD);
	if (why[0])
		y = wrap(y, "Why:      ", why, LINES - 2 - y);
	/* a record a log server did not take says where it is kept: all of it */
	y = wrap(y, "Log:      ", log_note, LINES - 2 - y);
	/* a disk hanging off a controller without a driver was not looked at */
	for (size_t i = 0; i < r->hw.ncontrollers && y < LINES - 2; i++) {
		char buf[256];

		/* names are printable ASCII already (hw.c) */
		if (hw_bare(&r->hw.controllers[i]))
			mvprintw(y++, 2, "disk controller without a driver: %.*s", COLS - 38,
				 hw_controller_text(&r->hw.controllers[i], buf, sizeof(buf)));
	}
	mvprintw(LINES - 1, 2, "%.*s", COLS - 4, tail);
	refresh();
}

static void colours(void)
{
	if (!has_colors())
		return;
	start_color();
	/* 1-3: the big word; 4-6: the page around it */
	init_pair(1, COLOR_WHITE, COLOR_GREEN);
	init_pair(2, COLOR_BLACK, COLOR_YELLOW);
	init_pair(3, COLOR_WHITE, COLOR_RED);
	init_pair(4, COLOR_BLACK, COLOR_GREEN);
	init_pair(5, COLOR_BLACK, COLOR_YELLOW);
	init_pair(6, COLOR_WHITE, COLOR_RED);
}

static void begun(void *ctx, const struct run *r)
{
	struct front *f = ctx;

	record_begun(&f->rec, &f->eo, r);
}

static void progress(void *ctx, const char *what)
{
	(void)ctx;
	if (stdscr) {
		move(4, 2);
		clrtoeol();
		mvprintw(4, 2, "%.*s", COLS - 4, what);
		refresh();
	}
}

/* On the screen like progress; without one, on stderr (the serial line, a log). */
static void warning(void *ctx, const char *msg)
{
	if (stdscr)
		progress(ctx, msg);
	else
		fprintf(stderr, "bootfix: warning: %s\n", text_safe(msg));
}

/*
 * A record the site's log servers lack: this run's (record_write() said so)
 * or ones kept on a volume that are still unsent after this run tried
 * (*kept counts those).
 */
static int not_logged(const struct front *f, const struct run *r, int *kept)
{
	*kept = 0;
	for (size_t i = 0; f->eo.send && i < r->n; i++)
		*kept += r->v[i].kept;
	return f->rec.not_logged || *kept;
}

/* Hand over to the menu with the same target and data folder. */
static int to_menu(const struct engine_opts *o)
{
	char *argv[6] = { "menu", NULL };
	int argc = 1;

	if (o->data_dir) {
		argv[argc++] = "--data";
		argv[argc++] = (char *)o->data_dir;
	}
	if (o->device) {
		argv[argc++] = "--device";
		argv[argc++] = (char *)o->device;
	}
	argv[argc] = NULL;
	return front_verb_run(&menu_verb, argc, argv);
}

static const struct option opts[] = {
	{ "device", required_argument, NULL, 'd' },
	{ "data", required_argument, NULL, 'D' },
	{ "after", required_argument, NULL, 'a' },
	{ "countdown", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int exec(const struct front_verb *self, struct front_args *a)
{
	struct front f;
	struct engine_output out = { .progress = progress, .warning = warning, .begun = begun,
				     .ctx = &f };
	struct engine_opts *o = &f.eo;
	struct run r;
	char why[512], note[2048] = "", tail[160], *serial, *unlogged = NULL;
	const char *after_opt = front_arg(a, 'a'), *countdown_opt = front_arg(a, 'c');
	enum verdict_screen verdict;
	enum config_after after = CONFIG_AFTER_POWEROFF;
	int countdown = -1, code = FRONT_EXIT_OK, kept;

	memset(&f, 0, sizeof(f));
	o->device = front_arg(a, 'd');
	o->data_dir = front_arg(a, 'D');
	if (countdown_opt) {
		countdown = atoi(countdown_opt);
		if (countdown < 0 || countdown > CONFIG_COUNTDOWN_MAX)
			return front_usage(self);
	}
	if (after_opt) {
		if (!strcmp(after_opt, "poweroff"))
			after = CONFIG_AFTER_POWEROFF;
		else if (!strcmp(after_opt, "reboot"))
			after = CONFIG_AFTER_REBOOT;
		else if (!strcmp(after_opt, "wait"))
			after = CONFIG_AFTER_WAIT;
		else
			return front_usage(self);
	}
	if (geteuid() != 0)
		return front_error("cannot run unattended: must be run as root");
	if ((code = front_begin(&f, FRONT_DATA_ENV)) != FRONT_EXIT_OK) {
		front_end(&f);
		return code;
	}
	if (f.rec.conf.nproblems || f.rec.unreadable[0]) {
		/* a stick configured wrongly does nothing unattended: safe is the menu */
		if (f.rec.unreadable[0])
			fprintf(stderr, "bootfix: %s\n", text_safe(f.rec.unreadable));
		for (size_t i = 0; i < f.rec.conf.nproblems; i++)
			fprintf(stderr, "bootfix: %s\n", text_safe(f.rec.conf.problems[i]));
		fprintf(stderr, "bootfix: bootfix.conf has problems: starting the menu instead "
			"of the unattended mode\n");
		front_end(&f);
		if (isatty(0))
			sleep(5);	/* time to read it before the menu covers it */
		return to_menu(o);
	}
	if (!after_opt && f.rec.conf.after)
		after = f.rec.conf.after;
	if (countdown < 0)
		countdown = f.rec.conf.countdown >= 0 ? f.rec.conf.countdown : 30;
	o->verb = ENGINE_FIX;
	o->unattended_only = 1;
	o->mode = "auto";
	screen_locale();
	if (isatty(1) && initscr()) {
		cbreak();
		noecho();
		curs_set(0);
		colours();
		mvprintw(2, 2, "bootfix %s unattended: fixing every disk, no key needed",
			 BOOTFIX_VERSION);
		refresh();
	}
	if (engine_run(o, &out, &r) < 0) {
		char *err = strdup(err_msg());

		if (stdscr)
			endwin();
		code = front_error("%s", err ? err : err_msg());
		/* the machine gets its record even when its disks could not be examined */
		front_record(&f, &r, err ? err : "cannot run");
		free(err);
		run_free(&r);
		front_end(&f);
		return code;
	}
	record_write(&f.rec, o, &r, &f.rules, NULL, note, sizeof(note), &unlogged);
	for (char *p = note; (p = strchr(p, '\n'));)
		*p = ' ';
	if (unlogged) {
		/* the record must not be lost: onto the serial line, and no power-off
		   until someone has seen the screen */
		const char *ready = getenv("BOOTFIX_READY");
		FILE *line = ready && *ready ? fopen(ready, "we") : NULL;

		if (line) {
			fprintf(line, "bootfix: audit record not written; here it is:\n%s\n",
				text_safe(unlogged));
			fclose(line);
		}
		after = CONFIG_AFTER_WAIT;
	}
	verdict = judge(&r, why, sizeof(why));
	if (not_logged(&f, &r, &kept)) {
		/* fixed or not, a record the site's log server lacks needs a person:
		   the screen stays until someone has read where it is kept */
		if (verdict != AUTO_NOT_FIXED) {
			char older[128] = "";

			if (kept)
				snprintf(older, sizeof(older), "%d older record%s kept on the "
					 "volume still not sent", kept, kept == 1 ? "" : "s");
			snprintf(why, sizeof(why), "%s%s%s%s", f.rec.not_logged ? "the record did "
				 "not reach every log server (see Log)" : "", f.rec.not_logged &&
				 kept ? "; " : "", older, verdict == AUTO_FIXED ? "; the faulty "
				 "files were quarantined" : verdict == AUTO_CHECK ? "; files no rule "
				 "decides are left to check" : "");
			verdict = AUTO_NOT_LOGGED;
		}
		after = CONFIG_AFTER_WAIT;
	}
	serial = identity_dmi("product_serial");
	announce(verdict, &r, serial, why, note);
	if (!stdscr) {
		if (note[0])
			fprintf(stderr, "bootfix: %s\n", text_safe(note));
		printf("%s: %s\n", verdict == AUTO_FIXED ? "FIXED" : verdict == AUTO_NOTHING ?
		       "NOTHING TO FIX" : verdict == AUTO_CHECK ? "CHECK" : verdict ==
		       AUTO_NOT_LOGGED ? "NOT LOGGED" : "NOT FIXED",
		       text_safe(why[0] ? why : computer(&r)));
		code = verdict == AUTO_NOT_FIXED ? FRONT_EXIT_NOT_DONE : verdict == AUTO_CHECK ?
		       FRONT_EXIT_CHECK : verdict == AUTO_NOT_LOGGED ? FRONT_EXIT_NOT_LOGGED :
		       FRONT_EXIT_OK;
		goto out;
	}
	/* CHECK wants a person as much as NOT FIXED does */
	beep_pattern(verdict == AUTO_FIXED || verdict == AUTO_NOTHING);
	timeout(1000);
	for (int left = countdown;; left--) {
		if (after == CONFIG_AFTER_WAIT)
			snprintf(tail, sizeof(tail), "Press any key for the menu.");
		else
			snprintf(tail, sizeof(tail), "%s in %d s. Press any key for the menu.",
				 after == CONFIG_AFTER_REBOOT ? "Rebooting" : "Powering off", left);
		draw_result(verdict, &r, serial, why, note, tail);
		if (after != CONFIG_AFTER_WAIT && left <= 0) {
			code = after == CONFIG_AFTER_REBOOT ? FRONT_EXIT_REBOOT : FRONT_EXIT_POWEROFF;
			break;
		}
		if (getch() != ERR || front_stop) {
			endwin();
			code = front_stop ? FRONT_EXIT_OK : to_menu(o);
			goto out;
		}
	}
	endwin();
out:
	if (unlogged)	/* not lost: on the console and the serial line */
		fprintf(stderr, "bootfix: this audit record could not be written; keep it:\n%s\n",
			text_safe(unlogged));
	free(unlogged);
	free(serial);
	run_free(&r);
	front_end(&f);
	return code;
}

const struct front_verb auto_verb = {
	.name = "auto",
	.usage = "bootfix auto [--device FILE|DEV] [--data DIR] [--after poweroff|reboot|wait] "
		 "[--countdown SECONDS]",
	.shortopts = "d:D:h", .longopts = opts, .lower = 0, .upper = 0, .flags = FRONT_MOUNTS,
	.exec = exec,
};
