/*
 * logcmd.h - `bootfix log VERB`, the auditors' tool (logcmd.c): verify,
 * list, show, export, merge, summary, keys-used.
 */
#ifndef BOOTFIX_LOGCMD_H
#define BOOTFIX_LOGCMD_H

#define LOGCMD_USAGE "bootfix log verify|list|show|export|merge|summary|keys-used ..."

/*
 * `bootfix log ...` with argv[0] == "log".  Prints results on stdout and
 * problems on stderr; returns the exit code: 0 fine, 1 a log does not
 * verify (or show found nothing), 2 usage, 3 a file cannot be read.
 */
int logcmd_main(int argc, char **argv);

#endif
