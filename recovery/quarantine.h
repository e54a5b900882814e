/*
 * quarantine.h - move faulty files aside, restorably, never delete them.
 *
 * On the volume:  \bootfix-quarantine\<UTC time>\<original path>
 *                 \bootfix-quarantine\<UTC time>\manifest.txt
 * and, with a data folder, a copy in DATA/quarantine/<machine>/<UTC time>/.
 * The manifest holds each file's original path, size, SHA-256, times and
 * NTFS attributes as '#' lines, followed by "SHA256 (path) = hex" lines:
 * `cd` into the folder and `sha256sum -c manifest.txt` checks it.
 */
#ifndef BOOTFIX_QUARANTINE_H
#define BOOTFIX_QUARANTINE_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "finding.h"

#define QUARANTINE_DIR "bootfix-quarantine"
#define QUARANTINE_MANIFEST "manifest.txt"
#define QUARANTINE_STICK_RESERVE (4 << 20)	/* free bytes the copies leave for the log */
/* What a manifest may ask of restore: entries beyond these are refused, and
   a restore reads at most QUARANTINE_READ_BUDGET bytes to check copies (a
   crafted manifest must not keep a machine busy for days) */
#define QUARANTINE_MAX_FILE ((off_t)1 << 30)
#define QUARANTINE_MAX_ENTRIES 10000
#define QUARANTINE_READ_BUDGET ((off_t)8 << 30)

struct quarantine_opts {
	const char *data_dir;		/* NULL: no copy on the stick */
	const char *machine;		/* folder name under DATA/quarantine */
	const char *device;		/* for the manifest */
	const char *who;		/* front or function that asked */
	const char *operator_name;
	const char *site;
	volatile sig_atomic_t *stop;	/* set by a signal: stop between files */
	char **stick_manifest;		/* out (may be NULL): the stick copy's manifest,
					   below data_dir (caller frees) */
};

/*
 * Move every finding of f[0..n) into a new quarantine folder on the volume
 * whose root is open as rootfd.  Write-ahead: the manifest's header is
 * synced first; then for each file its entry ('#' lines) is appended and
 * synced, the file renamed (never over anything), and its "SHA256 (...)"
 * line appended and synced; a final "# end:" line closes the manifest.  So
 * after a crash at any point the SHA256 lines name exactly the files that
 * moved, but for at most the one being moved (restore looks for it).  A
 * file is moved only while it is the one judged (same inode, size and
 * times, else hashed again); a file whose name the manifest cannot hold
 * (file_check_relpath()) is left alone with its reason, the others move.
 * Then, with o->data_dir, each moved file is copied to the stick (hashed
 * as it is copied; skipped with a note when it would leave less than
 * QUARANTINE_STICK_RESERVE free) with a manifest of the copies.  Each
 * finding gets action, result, done and moved_to.  *folder receives the
 * Windows path of the new folder (caller frees).  Returns the number of
 * files not quarantined, or -1 with err_set() when nothing could be started
 * (no file was touched).
 */
int quarantine_move(int rootfd, struct finding *f, size_t n, const struct quarantine_opts *o,
		    char **folder);

/*
 * Put back every file listed in every manifest under \bootfix-quarantine
 * of the volume at rootfd, bit-exact and with its recorded times.  An
 * existing file is never overwritten; a file already back in place counts
 * as done, so running twice is safe.  *out receives one finding per file
 * (caller frees each with finding_free() and the array with free()).
 * Returns the number of files not restored, or -1 with err_set().
 */
int quarantine_restore(int rootfd, const struct quarantine_opts *o, struct finding **out,
		       size_t *n);

/*
 * Read the manifest text[0..len) (which need not end in NUL) and append one
 * finding per "# file" entry to *out (n counts them; caller frees each with
 * finding_free()).  An entry whose path file_check_relpath() refuses, or
 * with a NUL byte, a bad size or SHA-256, gets result "refused: the
 * manifest entry ..." and is never restored.  Returns 0, or -1 when out of
 * memory.
 */
int quarantine_parse_manifest(const char *text, size_t len, struct finding **out, size_t *n);

/*
 * A record no log server took is kept beside the manifest of the fix's
 * quarantine folder, \bootfix-quarantine\<UTC time>\record-unsent.jsonl
 * (the record's line and '\n'), until a later run sends it on and renames
 * it record-sent.jsonl (never deleted; docs/log.md, "Log servers").
 * folder is a Windows path as quarantine_move() gives it:
 * "\bootfix-quarantine\20240719T080917Z".
 */
#define QUARANTINE_UNSENT "record-unsent.jsonl"
#define QUARANTINE_SENT "record-sent.jsonl"
#define QUARANTINE_RECORD_MAX (1 << 20)	/* bytes of a kept record read back */
#define QUARANTINE_UNSENT_MAX 64	/* kept records one run reads from a volume */

/*
 * Write line[0..len) and '\n' to a new folder\record-unsent.jsonl (O_EXCL,
 * no link followed) on the volume at rootfd; file and folder synced.
 * *where gets the file's Windows path (caller frees).  Returns 0, or -1
 * with err_set().
 */
int quarantine_keep_record(int rootfd, const char *folder, const char *line, size_t len,
			   char **where);

/*
 * The quarantine folders of the volume at rootfd that hold a kept record
 * (record-unsent.jsonl), oldest first, at most QUARANTINE_UNSENT_MAX:
 * *folders gets their Windows paths (caller frees each and the array).
 * Returns how many, 0 when there is no \bootfix-quarantine, or -1 with
 * err_set().
 */
int quarantine_unsent(int rootfd, char ***folders);

/*
 * Read folder's record-unsent.jsonl: a regular file of one line (a JSON
 * object, no control character) and its '\n', at most
 * QUARANTINE_RECORD_MAX bytes, a bootfix record that names folder as a
 * volume's quarantine (the record of the fix that made the folder).  Returns the line without its '\n' (caller
 * frees; *len its length), or NULL with err_set() saying why it is not one
 * to send (the volume is hostile: a file planted there is refused).
 */
char *quarantine_unsent_read(int rootfd, const char *folder, size_t *len);

/*
 * Mark folder's kept record as sent: rename record-unsent.jsonl to
 * record-sent.jsonl (record-sent-2.jsonl ... when taken; never over a
 * file), folder synced.  Returns 0, or -1 with err_set().
 */
int quarantine_unsent_mark(int rootfd, const char *folder);

/*
 * Read the NTFS times and attributes of the file open as fd through
 * ntfs-3g's extended attributes into f (has_times / has_attrib say what
 * worked).
 */
void quarantine_read_ntfs_meta(int fd, struct finding *f);

#endif
