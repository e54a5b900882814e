/*
 * unlockcmd.h - the `bootfix unlock` verb (unlockcmd.c).
 */
#ifndef BOOTFIX_UNLOCKCMD_H
#define BOOTFIX_UNLOCKCMD_H

struct front_verb;

/*
 * Unlock the BitLocker volumes of a device or image: print their key IDs,
 * try the key sources in order (keys.h), and either only verify the key
 * (--check, works without device-mapper) or map the volume read-write and
 * hold the mapping until stdin ends or a signal arrives, then close it.
 * Exits 0 unlocked or verified, 1 no key fits or a key is wrong, 2 usage,
 * 3 could not run.  For cli.c's verb table.
 */
extern const struct front_verb unlockcmd_verb;

#endif
