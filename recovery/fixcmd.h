/*
 * fixcmd.h - `bootfix scan`, `bootfix fix`, `bootfix restore` (fixcmd.c):
 * the engine's verbs on the command line, for cli.c's verb table.
 */
#ifndef BOOTFIX_FIXCMD_H
#define BOOTFIX_FIXCMD_H

struct front_verb;

extern const struct front_verb fixcmd_scan_verb;
extern const struct front_verb fixcmd_fix_verb;
extern const struct front_verb fixcmd_restore_verb;

#endif
