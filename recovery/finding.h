/*
 * finding.h - one file a rule looked at, and what was done with it.
 */
#ifndef BOOTFIX_FINDING_H
#define BOOTFIX_FINDING_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "file.h"
#include "rules.h"

struct finding {
	char *path;		/* Windows path from the volume root, '\', as stored */
	char *rule;		/* id of the rule that decided the verdict; NULL when
				   none did (verdict unknown: why says why) */
	enum verdict verdict;
	int undecided;		/* unknown because no rule decides: the file was read,
				   rules cover its name, none of their conditions hold
				   (0 for a file not read at all, or a rule's own
				   verdict = unknown) */
	int unattended;		/* the rule allows acting without a person */
	struct file_digest d;	/* size, sha256, content facts */
	struct timespec mtime;
	/* the file's identity when it was judged: a move goes ahead only when
	   it is still the same (ino 0: unknown, the file is hashed again) */
	dev_t dev;
	ino_t ino;
	struct timespec ctime;
	char *why;		/* why this verdict, when the rule alone does not say
				   (unknown: a link out of the volume, too large...) */
	unsigned char ntfs_times[32];	/* system.ntfs_times: create, write, access, change */
	int has_times;
	uint32_t attrib;	/* NTFS file attributes (system.ntfs_attrib_be) */
	int has_attrib;
	/* filled by fix and restore */
	const char *action;	/* "quarantine", "restore", "none" (static strings) */
	char *result;		/* what happened, one line */
	int done;		/* the action succeeded (or was not needed) */
	char *moved_to;		/* Windows path of the quarantined file */
	int confirmed;		/* read from a manifest: its SHA256 line is there */
};

/* Free what f owns (not f itself). */
void finding_free(struct finding *f);

/* Replace f->result with a formatted message. */
void finding_result(struct finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
