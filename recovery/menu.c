/*
 * menu.c - the ncurses menu for technicians: `bootfix` on a terminal, or
 * `bootfix menu`.  This file: the main loop, the keys and the verb;
 * menu_work.c runs the engine on a worker thread and knows this machine
 * and the stick; menu_draw.c draws every screen (menu_internal.h).
 *
 * A front over the same engine as the CLI: it never mounts or opens a disk
 * itself; only the main thread calls curses.  As in htop, key handlers
 * change the state and ask for a redraw; menu_draw() is the one place that
 * draws.
 *
 * Fixing a plain machine takes two keys from the first screen: the first
 * faulty install is preselected, Enter asks, Enter confirms; one more key
 * restarts.  Every choice that could lose data (a hibernated session, fast
 * restart changes, a restore) defaults to the safe answer.  Nothing needs
 * F-keys; lines are plain ASCII so vt100 serial consoles draw them.
 */
#include <fcntl.h>
#include <langinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <curses.h>

#include "bitlocker.h"
#include "err.h"
#include "file.h"
#include "front.h"
#include "menu.h"
#include "menu_internal.h"
#include "screen.h"
#include "termkey.h"

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
		menu_forget_key(m);
		m->pwmode = 0;
		m->key_msg[0] = '\0';
		m->screen = SCR_KEY;
		return;
	}
	if (!v->windows || v->locked || v->member || v->raid_missing ||
	    v->outcome == OUTCOME_FAILED)
		return;
	memset(&m->policy, 0, sizeof(m->policy));
	run_free(&m->job_run);	/* the decision screen is about the list's volume */
	m->button = 0;
	if ((v->hibernated || v->problem == PROBLEM_HIBERNATED) && menu_wanted(v)) {
		m->override = 1;
		m->screen = SCR_OVERRIDE;
	} else if (v->problem == PROBLEM_FAST_RESTART && menu_wanted(v)) {
		m->override = 2;
		m->screen = SCR_OVERRIDE;
	} else {
		/* "record as checked" on a volume just fixed or with a quarantine is
		   most likely a key pressed once too often: Cancel first */
		if (!menu_wanted(v) && (v->has_quarantine || menu_fixed_here(m, v)))
			m->button = 1;
		m->screen = SCR_CONFIRM;
	}
}

/* After a machine is done, or to go back to its list: the stick writable, a new look. */
static void again(struct menu *m, int next_machine)
{
	menu_reclaim_stick(m);
	if (next_machine)
		m->nfixed = 0;
	menu_start(m, JOB_SCAN);
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
		menu_start(m, JOB_SCAN);
	else if (ch == 'l') {
		m->back = SCR_OVERVIEW;
		m->screen = SCR_LOG;
		menu_read_log(m);
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
		menu_forget_key(m);
		m->screen = SCR_OVERVIEW;
		return 1;
	}
	if (ch == '\t') {
		menu_forget_key(m);
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
		menu_start(m, JOB_SCAN);
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
		} else if (menu_wanted(&m->scan.v[m->sel])) {
			menu_start(m, JOB_FIX);
		} else {
			/* nothing faulty: the machine is recorded as checked, or as left
			   with files no rule decides; nothing is changed */
			size_t n = menu_count_verdict(&m->scan.v[m->sel], VERDICT_UNKNOWN);

			m->leave_outcome = n ? OUTCOME_LEFT : OUTCOME_NONE;
			m->leave_problem = PROBLEM_NONE;
			snprintf(m->leave_buf, sizeof(m->leave_buf), n ?
				 "left to check: no rule decides %zu file%s on it" :
				 "checked: nothing to fix", n, n == 1 ? "" : "s");
			m->leave_why = m->leave_buf;
			menu_start(m, JOB_LEAVE);
		}
		return 1;
	case SCR_RESTORE_ASK:
		if (!key_buttons(m, ch, &which))
			return 1;
		if (which == 1)
			menu_start(m, JOB_RESTORE);
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
			menu_start(m, JOB_LEAVE);
			return 1;
		}
		if (m->override == 1)
			m->policy.discard_hibernation = 1;
		else
			m->policy.kill_fast_restart = 1;
		menu_start(m, JOB_FIX);
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
			if (menu_machine_done(m) && is_enter(ch) && !m->released) {
				menu_release_stick(m);	/* try again: never restart on a held stick */
				return 1;
			}
			if (menu_machine_done(m) && is_enter(ch) && m->under_init) {
				/* the stick was released when this screen came up */
				m->exit_code = FRONT_EXIT_REBOOT;
				m->quit = 1;
				return 1;
			}
			again(m, menu_machine_done(m) && is_enter(ch));
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
			m->exit_code = FRONT_EXIT_POWEROFF + (ch - '1');
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

static const struct option opts[] = {
	{ "device", required_argument, NULL, 'd' },
	{ "data", required_argument, NULL, 'D' },
	{ "operator", required_argument, NULL, 'o' },
	{ "site", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int exec(const struct front_verb *self, struct front_args *a)
{
	struct menu m;
	int ch, rc;

	(void)self;
	memset(&m, 0, sizeof(m));
	m.f.eo.device = front_arg(a, 'd');
	m.f.eo.data_dir = front_arg(a, 'D');
	m.f.eo.operator_name = front_arg(a, 'o');
	m.f.eo.site = front_arg(a, 's');
	if (!isatty(0) || !isatty(1))
		return front_error("cannot start the menu: not a terminal (use bootfix scan / fix)");
	if (geteuid() != 0)
		return front_error("cannot start the menu: must be run as root");
	if ((rc = front_begin(&m.f, FRONT_DATA_ENV)) != FRONT_EXIT_OK) {
		front_end(&m.f);
		return rc;
	}
	pthread_mutex_init(&m.lock, NULL);
	m.under_init = getenv("BOOTFIX_INIT") != NULL;
	bitlocker_no_core_dumps();	/* keys may be typed */
	/* Ctrl-C too (front_begin()): the running job winds down, then the menu ends */
	screen_locale();
	if (!initscr()) {
		front_end(&m.f);
		return front_error("cannot start the menu: unknown terminal type '%s'",
				   getenv("TERM") ? getenv("TERM") : "");
	}
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
	menu_start(&m, JOB_SCAN);
	menu_draw(&m);
	while (!m.quit) {
		int redraw = menu_reap(&m);

		if (front_stop && !m.busy)
			break;
		ch = read_key(&m);
		if (ch)
			redraw |= handle_key(&m, ch);
		if (redraw || m.busy)
			menu_draw(&m);
		tell(&m);	/* after the screen it concerns is drawn */
	}
	if (m.busy)
		pthread_join(m.worker, NULL);
	if (m.exit_code != FRONT_EXIT_POWEROFF && m.exit_code != FRONT_EXIT_REBOOT)
		menu_reclaim_stick(&m);	/* the stick stays in use after the menu */
	endwin();
	tell(&m);	/* a record the last job could not write, not said yet */
	if (m.unlogged)
		fputs(m.unlogged, stderr);
	free(m.unlogged);
	free(m.tell);
	for (int i = 0; i < m.nloglines; i++)
		free(m.loglines[i]);
	menu_forget_key(&m);
	run_free(&m.scan);
	run_free(&m.job_run);
	front_end(&m.f);
	return m.exit_code;
}

const struct front_verb menu_verb = {
	.name = "menu",
	.usage = "bootfix menu [--device FILE|DEV] [--data DIR] [--operator NAME] [--site NAME]",
	.shortopts = "d:D:h", .longopts = opts, .lower = 0, .upper = 0, .flags = FRONT_MOUNTS,
	.exec = exec,
};
