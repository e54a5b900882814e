/*
 * reportcmd.h - `bootfix log report`, the auditors' HTML page (reportcmd.c
 * reads the logs; logreport.c makes the page).
 */
#ifndef BOOTFIX_REPORTCMD_H
#define BOOTFIX_REPORTCMD_H

struct front_verb;

/*
 * `bootfix log report [--pubkey FILE]... [--force] -o OUT FILE...`, for
 * logcmd.c's table.  Exits 0 when the page is written and every log
 * verifies, 1 when it is written but a log does not verify, 2 usage, 3 a
 * log cannot be read or the page cannot be written.
 */
extern const struct front_verb reportcmd_verb;

#endif
