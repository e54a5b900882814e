/*
 * auto.h - the unattended front (auto.c).
 */
#ifndef BOOTFIX_AUTO_H
#define BOOTFIX_AUTO_H

struct front_verb;

/*
 * `bootfix auto`, for cli.c's verb table: fix every disk without asking,
 * write the audit record, show the result and count down.  Exits
 * FRONT_EXIT_POWEROFF or FRONT_EXIT_REBOOT for init to act on, the menu's
 * code when a key was pressed, 0 after "wait"; without a terminal prints
 * one line and exits 0 (fixed or nothing to fix), 1 (not fixed) or
 * FRONT_EXIT_CHECK (a file to check); 2 usage, 3 could not run.
 */
extern const struct front_verb auto_verb;

#endif
