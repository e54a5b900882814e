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

#include "finding.h"

#define QUARANTINE_DIR "bootfix-quarantine"
#define QUARANTINE_MANIFEST "manifest.txt"

struct quarantine_opts {
	const char *data_dir;		/* NULL: no copy on the stick */
	const char *machine;		/* folder name under DATA/quarantine */
	const char *device;		/* for the manifest */
	const char *who;		/* front or function that asked */
	const char *operator_name;
	const char *site;
	volatile sig_atomic_t *stop;	/* set by a signal: stop between files */
};

/*
 * Move every finding of f[0..n) into a new quarantine folder on the volume
 * whose root is open as rootfd, after writing the manifest.  Each file is
 * hashed again before the move (it must still match the finding) and after
 * it; each finding gets action, result, done and moved_to.  *folder
 * receives the Windows path of the new folder (caller frees).  Returns the
 * number of files not quarantined, or -1 with err_set() when nothing could
 * be started (no file was touched).
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
 * Read the NTFS times and attributes of the file open as fd through
 * ntfs-3g's extended attributes into f (has_times / has_attrib say what
 * worked).
 */
void quarantine_read_ntfs_meta(int fd, struct finding *f);

#endif
