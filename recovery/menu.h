/*
 * menu.h - the ncurses menu front (menu.c).
 */
#ifndef BOOTFIX_MENU_H
#define BOOTFIX_MENU_H

struct front_verb;

/*
 * `bootfix menu`, for cli.c's verb table (and bootfix alone on a
 * terminal, and auto when a key is pressed): run the menu on the terminal
 * until the user quits.  Exits 0, or one of FRONT_EXIT_POWEROFF, _REBOOT,
 * _SHELL chosen on the power screen (front.h), 2 usage, 3 could not run.
 * Needs a terminal and root.
 */
extern const struct front_verb menu_verb;

#endif
