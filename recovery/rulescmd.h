/*
 * rulescmd.h - `bootfix rules check FILE...` (rulescmd.c), for cli.c's
 * verb table.
 */
#ifndef BOOTFIX_RULESCMD_H
#define BOOTFIX_RULESCMD_H

struct front_verb;

extern const struct front_verb rulescmd_verb;

#endif
