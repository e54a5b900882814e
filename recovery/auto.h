/*
 * auto.h - the unattended front (auto.c).
 */
#ifndef BOOTFIX_AUTO_H
#define BOOTFIX_AUTO_H

#define AUTO_USAGE "bootfix auto [--device FILE|DEV] [--data DIR] " \
		   "[--after poweroff|reboot|wait] [--countdown SECONDS]"

/* Without a terminal: nothing left faulty, but files no rule decides. */
#define AUTO_EXIT_CHECK 4

/*
 * Fix every disk without asking, write the audit record, show the result
 * and count down.  Returns MENU_EXIT_POWEROFF or MENU_EXIT_REBOOT for init
 * to act on, the menu's code when a key was pressed, 0 after "wait"; without
 * a terminal prints one line and returns 0 (fixed or nothing to fix), 1
 * (not fixed) or AUTO_EXIT_CHECK (a file to check); 2 usage, 3 could not run.
 */
int auto_main(int argc, char **argv);

#endif
