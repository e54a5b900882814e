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

#endif
