/*
 * logcmd.h - `bootfix log VERB`, the auditors' tool (logcmd.c): verify,
 * list, show, export, merge, summary, keys-used.
 */
#ifndef BOOTFIX_LOGCMD_H
#define BOOTFIX_LOGCMD_H

struct front_verb;

/*
 * `bootfix log ...`, for cli.c's verb table.  Prints results on stdout and
 * problems on stderr; exits 0 fine, 1 a log does not verify (or show found
 * nothing), 2 usage, 3 a file cannot be read.
 */
extern const struct front_verb logcmd_verb;

#endif
