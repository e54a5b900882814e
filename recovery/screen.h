/*
 * screen.h - drawing text from a volume on the curses screen (menu and
 * unattended mode), escaped as text.h says.
 *
 * menu.c and auto.c define mvprintw and printw to these, so every line they
 * draw is formatted, escaped as one, and cut to the screen's width on a
 * character boundary: a name with ESC, CR or a bidi override cannot move
 * the cursor, restyle the screen or hide what follows it.
 */
#ifndef BOOTFIX_SCREEN_H
#define BOOTFIX_SCREEN_H

/* mvprintw(), escaped; returns what mvaddnstr() returns. */
int screen_mvprintw(int y, int x, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* printw() at the cursor, escaped. */
int screen_printw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Draw the formatted text, escaped, from (y, x) in lines of at most width
 * columns (and the screen's), at most maxlines: broken at spaces, a path at
 * '\\' or '/', a word longer than a line (a hash) only where it must; text
 * past the last line ends in "...".  Returns the lines drawn.
 */
int screen_wrap(int y, int x, int width, int maxlines, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * s escaped, cut to width columns (display columns: a CJK character takes
 * two) with a final '~' when cut, and padded with spaces to width: a table
 * cell.  Into buf; returns buf.
 */
const char *screen_cell(const char *s, int width, char *buf, size_t len);

/*
 * setlocale() from the environment for a curses front; on a terminal known
 * to show UTF-8 (linux, xterm, screen, tmux, rxvt) UTF-8 even when no LANG
 * says so, as on the stick.
 */
void screen_locale(void);

#endif
