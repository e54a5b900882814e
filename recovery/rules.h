/*
 * rules.h - faulty-file rules kept as data (see docs/rules.md).
 *
 * A rule names a directory (Windows path from the volume root), a file-name
 * glob and conditions; the first rule in load order whose conditions all
 * hold gives a file its verdict.  A file whose directory and name match
 * some rule but whose conditions match none is "unknown": reported, never
 * touched.
 */
#ifndef BOOTFIX_RULES_H
#define BOOTFIX_RULES_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"
#include "file.h"

enum verdict { VERDICT_UNKNOWN, VERDICT_GOOD, VERDICT_FAULTY };

/* A rule's max-size when it names none: far above any channel file (those
   are kilobytes), far below what a hostile sparse file can claim. */
#define RULES_MAX_SIZE ((off_t)256 << 20)

struct rule {
	char *id;
	char *title;
	char *reference;
	char *directory;	/* backslashes, no leading '\' */
	char *name;		/* glob, matched case-insensitively */
	int has_from, has_before;
	time_t from;		/* modified at or after (inclusive) */
	time_t before;		/* modified strictly before */
	off_t *sizes;
	size_t nsizes;
	char (*sha256)[65];
	size_t nsha256;
	off_t max_size;		/* larger files are not read: unknown (0: RULES_MAX_SIZE) */
	int content;		/* 0 any, 1 all zero bytes, -1 not all zero */
	unsigned char header[FILE_HEAD_MAX];
	size_t headerlen;
	enum verdict verdict;
	int unattended;		/* safe to act on without a person */
	const char *file;	/* rule file it came from (owned by the ruleset) */
	int line;		/* line of its [id] header */
};

struct rulefile {
	char *path;
	char *id;		/* file name without ".rules" */
	char sha256[65];	/* of the file's bytes, for the audit record */
};

struct ruleset {
	struct rule *rules;
	size_t n;
	struct rulefile *files;
	size_t nfiles;
};

/*
 * Parse the rule file at path and append its rules to rs.  Returns the
 * number of problems found (0 = loaded), or -1 when the file cannot be read.
 * Rules of a file with problems are not added.  fn is called once per
 * problem with "file:line: what is wrong"; with no fn, loading stops at the
 * first problem and err_set() holds it.
 */
int rules_load_file(struct ruleset *rs, const char *path, err_warn_fn fn, void *ctx);

/*
 * Parse text (len bytes, from a file called name) into rs; as above.
 * Used by rules_load_file() and the fuzzer.
 */
int rules_parse(struct ruleset *rs, const char *name, const char *text, size_t len,
		err_warn_fn fn, void *ctx);

/*
 * Load every "*.rules" file of dir in name order.  A missing dir is not an
 * error when optional is set.  Returns 0; -1 with err_set() when a file
 * cannot be read; -2 with err_set() ("file:line: ...") when one is malformed.
 */
int rules_load_dir(struct ruleset *rs, const char *dir, int optional);

/* Free everything rs owns and zero it. */
void rules_free(struct ruleset *rs);

/* "faulty", "good" or "unknown". */
const char *verdict_name(enum verdict v);

/*
 * The distinct directories the rules look into, case-insensitively; the
 * returned array of pointers into rs is the caller's to free (not the strings).
 */
const char **rules_directories(const struct ruleset *rs, size_t *n);

/*
 * The largest max-size of the rules covering name in dir (0 when none do):
 * a larger file is not read at all, and its verdict is unknown.
 */
off_t rules_max_size(const struct ruleset *rs, const char *dir, const char *name);

/* 1 when some rule of directory dir has a glob matching name. */
int rules_wants(const struct ruleset *rs, const char *dir, const char *name);

/*
 * Judge a file named name in directory dir, last modified mtime, read into d.
 * Returns the deciding rule (the first covering it whose conditions all
 * hold) with its verdict in *v; NULL with VERDICT_UNKNOWN when no rule
 * decides, whether rules cover the file (see rules_wants()) or not.  A rule
 * whose conditions did not hold is never returned: it decided nothing.
 */
const struct rule *rules_judge(const struct ruleset *rs, const char *dir, const char *name,
			       time_t mtime, const struct file_digest *d, enum verdict *v);

#endif
