/*
 * keys.h - where BitLocker keys come from, tried in this order:
 *   1. CSV exports in DATA/keys/ from Active Directory (PowerShell), Entra
 *      ID / Intune, MBAM / ConfigMgr and the like, matched by key ID;
 *   2. startup key files (*.BEK) in DATA/keys/;
 *   3. the volume's own clear key (BitLocker suspended);
 *   4. a key the technician typed.
 *
 * CSV columns are recognised by their header names, case- and
 * punctuation-insensitively ("KeyId", "Key ID", "RecoveryKeyId",
 * "BitLocker Key Id", "msFVE-RecoveryGuid", ... and "RecoveryPassword",
 * "Recovery Key", "Key", "msFVE-RecoveryPassword", ...).  Files may be
 * UTF-8 with or without BOM or UTF-16 with BOM (Windows PowerShell's
 * default), comma-, semicolon- or tab-separated, quoted as RFC 4180 says.
 * Key IDs may carry braces and any case; an export that holds only the
 * first 8 characters of a key ID still matches.
 *
 * What a caller learns about a key is struct key_source: the key ID and
 * where the key came from, never the key.  Every buffer that held a key is
 * scrubbed with explicit_bzero() before it is freed.
 */
#ifndef BOOTFIX_KEYS_H
#define BOOTFIX_KEYS_H

#include <stddef.h>

#include "bitlocker.h"
#include "err.h"

/* Largest key export read (a fleet of 100 000 laptops in UTF-16 fits). */
#define KEYS_FILE_MAX (64u << 20)

/* One recovery password from an export. */
struct keyring_entry {
	char id[BITLOCKER_GUID_LEN];	/* canonical GUID, or its first 8 characters */
	struct bitlocker_rp rp;		/* the secret */
	const char *file;		/* export file name (owned by the keyring) */
	unsigned line;			/* line of the row in that file */
	char computer[64];		/* computer / device name from the row, or "" */
};

/* One startup key file. */
struct keyring_bek {
	char guid[BITLOCKER_GUID_LEN];	/* the startup-key protector it opens */
	const char *file;
	unsigned char *data;		/* the whole file (the secret) */
	size_t len;
};

struct keyring {
	struct keyring_entry *e;
	size_t n, cap;
	struct keyring_bek *bek;
	size_t nbek;
	char **names;			/* file names the entries point to */
	size_t nnames;
	size_t files;			/* key files read */
	size_t skipped;			/* rows without a usable key ID or key */
};

/*
 * Add the recovery passwords of one CSV export held in data[0..len) (any
 * of the encodings above) to *kr; name is used in messages and sources.
 * Rows without a usable key ID or key are skipped and reported through
 * problem (may be NULL).  Returns the number of keys added, or -1 with
 * err_set() when the file has no key-ID or no key column (not an export).
 * The caller scrubs data.
 */
int keys_parse_csv(struct keyring *kr, const char *name, const char *data, size_t len,
		   err_warn_fn problem, void *ctx);

/* Add one .BEK file held in memory; 0, or -1 with err_set(). */
int keys_add_bek(struct keyring *kr, const char *name, const unsigned char *data, size_t len);

/*
 * Read every *.csv and *.bek (any case) in dir, in name order, without
 * following links.  A missing dir is no error (nothing is loaded); a file
 * that cannot be read or is no export is reported through problem and
 * skipped.  Returns 0, or -1 with err_set() when dir cannot be listed.
 */
int keys_load_dir(struct keyring *kr, const char *dir, err_warn_fn problem, void *ctx);

/*
 * The recovery passwords for key ID id (a canonical GUID): rows whose ID is
 * the same GUID or its 8-character prefix.  Up to max pointers into kr go
 * to out; returns how many there are.
 */
size_t keys_find(const struct keyring *kr, const char *id, const struct keyring_entry **out,
		 size_t max);

/*
 * Look up what a person typed: a whole key ID or a unique 8-character
 * prefix (braces, case and blanks do not matter).  Returns the entry, or
 * NULL with err_set() ("no key with key ID ...", "... is ambiguous: 3 keys
 * start with it").
 */
const struct keyring_entry *keys_lookup(const struct keyring *kr, const char *query);

/* Scrub and free everything; *kr is empty afterwards. */
void keys_free(struct keyring *kr);

/* ---- trying the sources ---- */

enum key_source_kind { KEY_SOURCE_CSV, KEY_SOURCE_BEK, KEY_SOURCE_CLEAR, KEY_SOURCE_TYPED };

/* Which source unlocked a volume: what screens and the audit record get. */
struct key_source {
	enum key_source_kind kind;
	enum bitlocker_kind protector;		/* the kind of protector it opened */
	char key_id[BITLOCKER_GUID_LEN];	/* the protector (key ID) it opened */
	char file[256];				/* CSV or BEK file name, or "" */
	unsigned line;				/* CSV line, or 0 */
	char computer[64];			/* from the CSV row, or "" */
};

/* "CSV file ad.csv line 3", "BEK file X.BEK", "clear key", "typed" into buf. */
const char *key_source_name(const struct key_source *s, char *buf, size_t len);

/* The short word for the audit record: "csv", "bek", "clear-key", "typed" (static). */
const char *key_source_kind_name(enum key_source_kind k);

struct keys_unlock_opts {
	const struct keyring *kr;		/* exports and BEK files, or NULL */
	const struct bitlocker_key *typed;	/* the technician's key, or NULL */
	int check;				/* verify only, map nothing */
	int typed_only;				/* try o->typed alone: checking that key */
	int readonly;				/* map read-only (a scan) */
	err_warn_fn tried;			/* told of each key that failed (may be NULL) */
	void *ctx;
};

/*
 * Try the sources in order on the BitLocker volume dev (metadata bi) until
 * one opens it: verify only (o->check), or map it read-write into *m (close
 * with bitlocker_close()).  Returns 0 with *src and *res filled, or -1 with
 * err_set() saying what is needed and res->wrong_key set when no key fits
 * (1) rather than the volume could not be unlocked at all (0: encryption
 * in progress, dislocker missing, ...).
 */
int keys_unlock(const char *dev, const struct bitlocker_info *bi, const struct keys_unlock_opts *o,
		struct bitlocker_mapping *m, struct bitlocker_result *res, struct key_source *src);

#endif
