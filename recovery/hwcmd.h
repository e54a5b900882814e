/*
 * hwcmd.h - `bootfix hw [--json]` (hwcmd.c), for cli.c's verb table.
 */
#ifndef BOOTFIX_HWCMD_H
#define BOOTFIX_HWCMD_H

struct front_verb;

extern const struct front_verb hwcmd_verb;

#endif
