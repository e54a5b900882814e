/*
 * bitlocker.h - BitLocker volumes: key protectors, key checks, unlocking.
 *
 * The FVE metadata of a volume is parsed here (it is hostile input: every
 * offset and length is checked against what was read) to list the key
 * protectors with their GUIDs; the recovery-password protector's GUID is
 * the "Key ID" that Windows' recovery screen and the AD / Entra / Intune /
 * MBAM consoles show.  A key is verified with libcryptsetup where it can
 * handle the volume; where it cannot (a clear key, a password Debian 12's
 * libcryptsetup 2.6 hashes wrongly, a volume whose encryption is still in
 * progress) bootfix derives the keys itself (the same SHA-256 stretch and
 * AES-CCM that Windows uses, through OpenSSL).  A read-write mapping is
 * made with libcryptsetup (dm-crypt); where that cannot be done (no
 * device-mapper, a volume libcryptsetup refuses) dislocker-fuse serves the
 * decrypted volume and a loop device is put over it.
 *
 * Keys are never written anywhere and never kept: every buffer that held
 * one is cleared with explicit_bzero() before it is freed or reused.
 *
 * The code is bitlocker_*.c, one part each: bitlocker_internal.h lists them.
 */
#ifndef BOOTFIX_BITLOCKER_H
#define BOOTFIX_BITLOCKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C" plus the NUL */
#define BITLOCKER_GUID_LEN 37
/* the first 8 characters, as older recovery screens show the key ID */
#define BITLOCKER_GUID_SHORT 8
#define BITLOCKER_MAX_PROTECTORS 32
/* 48 digits in 8 groups of 6 */
#define BITLOCKER_RP_DIGITS 48
#define BITLOCKER_RP_GROUPS 8
/* the normalised text "NNNNNN-NNNNNN-...-NNNNNN" plus the NUL */
#define BITLOCKER_RP_TEXT 56

/* How a key protector protects the volume master key. */
enum bitlocker_kind {
	BITLOCKER_CLEAR_KEY,		/* BitLocker suspended: no key needed */
	BITLOCKER_TPM,
	BITLOCKER_STARTUP_KEY,		/* a .BEK file on a USB stick */
	BITLOCKER_TPM_PIN,
	BITLOCKER_RECOVERY_PASSWORD,	/* 48 digits; its GUID is the key ID */
	BITLOCKER_SMART_CARD,
	BITLOCKER_PASSWORD,
	BITLOCKER_OTHER,		/* a protection bootfix does not know */
};

struct bitlocker_protector {
	char guid[BITLOCKER_GUID_LEN];	/* upper case, no braces */
	enum bitlocker_kind kind;
	uint16_t protection;		/* the raw value from the metadata */
	char name[64];			/* friendly name (UTF-8), often empty */
	/* for bitlocker_derive.c: what the metadata holds to open the VMK */
	unsigned char salt[16];
	int has_salt;
	unsigned char nonce[12], tag[16], enc[64];
	size_t enc_len;			/* 0: no encrypted VMK found */
	unsigned char clear[32];	/* the clear key itself (scrubbed by _clear) */
	size_t clear_len;
};

/* What bitlocker_read() learns from a volume's FVE metadata. */
struct bitlocker_info {
	int togo;			/* BitLocker To Go (FAT-looking header) */
	int eow;			/* the header's GUID says encrypt-on-write */
	unsigned sector_size;
	char volume_guid[BITLOCKER_GUID_LEN];
	char description[128];		/* as Windows wrote it: "DESKTOP-X C: 19/07/2024" */
	uint16_t method;		/* 0x8000..0x8005 */
	const char *cipher;		/* "AES-XTS 128", static */
	uint16_t state, next_state;	/* 4 = encrypted; anything else: converting */
	uint64_t device_size, encrypted_size;
	int copy;			/* which of the three metadata copies was used (0-2) */
	uint64_t metadata_offset[3];
	struct bitlocker_protector prot[BITLOCKER_MAX_PROTECTORS];
	size_t nprot;
	/* for bitlocker_derive.c: the encrypted full volume encryption key */
	unsigned char fvek_nonce[12], fvek_tag[16], fvek_enc[128];
	size_t fvek_enc_len;
};

/* bitlocker_read()'s answer when dev holds no BitLocker volume at all. */
#define BITLOCKER_NOT_BITLOCKER (-2)

/*
 * Read and check the BitLocker metadata of dev (a partition, a disk or an
 * image file holding just the volume) into *bi.  The three metadata copies
 * are tried in order and the first whose CRC-32 is right is used.  Returns
 * 0; BITLOCKER_NOT_BITLOCKER with err_set() when dev does not begin with a
 * BitLocker volume header (a disk with partitions, another file system); or
 * -1 with err_set() naming dev and the cause (cannot be read, Windows Vista
 * format, damaged metadata, ...).  Call bitlocker_info_clear() after.
 */
int bitlocker_read(const char *dev, struct bitlocker_info *bi);

/*
 * The scan's hook: like bitlocker_read() (the key IDs are in out->prot[]
 * with their kinds).  Touches nothing; needs read access to dev only.
 */
int bitlocker_describe(const char *dev, struct bitlocker_info *out);

/* Same as bitlocker_read() on an open file descriptor (the fuzzer's entry). */
int bitlocker_read_fd(int fd, const char *name, struct bitlocker_info *bi);

/* Scrub *bi (it may hold a clear key). */
void bitlocker_info_clear(struct bitlocker_info *bi);

/* "recovery password", "password", "startup key", "TPM", ... (static). */
const char *bitlocker_kind_name(enum bitlocker_kind k);

/*
 * 1 when BitLocker is still converting the volume (encryption or decryption
 * in progress or paused, or encrypt-on-write), else 0.  When why is not
 * NULL it receives one line saying so ("encryption in progress, 37%
 * encrypted").
 */
int bitlocker_converting(const struct bitlocker_info *bi, char *why, size_t len);

/*
 * The key IDs of the volume's recovery-password protectors, the ones a
 * person looks up in AD / Entra / Intune / MBAM, into buf (len bytes,
 * always NUL-terminated) in metadata order, separated by sep, each followed
 * by " (XXXXXXXX)", its first 8 characters, when with_short is set.  Only
 * whole IDs are written: those that do not fit are left out.  Returns how
 * many were written.
 */
size_t bitlocker_recovery_ids(const struct bitlocker_info *bi, const char *sep, int with_short,
			      char *buf, size_t len);

/*
 * 1 when the volume can only be opened with a TPM (or a smart card) that
 * bootfix cannot use: no recovery password, password, startup key or clear
 * key protector.
 */
int bitlocker_tpm_only(const struct bitlocker_info *bi);

/* ---- GUIDs (key IDs) ---- */

/*
 * Parse a GUID as the consoles write it: with or without braces, any case,
 * surrounding blanks ignored.  out receives it upper case without braces.
 * Returns 0, or -1 when s is no GUID (no err_set(): callers decide).
 */
int bitlocker_guid_parse(const char *s, char out[BITLOCKER_GUID_LEN]);

/*
 * Parse a key-ID prefix: 8 hexadecimal digits (a leading brace allowed), or
 * a whole GUID.  out receives the upper-case form.  0 or -1.
 */
int bitlocker_guid_prefix_parse(const char *s, char out[BITLOCKER_GUID_LEN]);

/*
 * 1 when id (a canonical GUID) matches query (a canonical GUID, or an 8
 * character prefix from bitlocker_guid_prefix_parse()), else 0.
 */
int bitlocker_guid_match(const char *id, const char *query);

/* ---- recovery passwords ---- */

/* A recovery password in the two forms the unlockers need. */
struct bitlocker_rp {
	char text[BITLOCKER_RP_TEXT];		/* "NNNNNN-...-NNNNNN" */
	uint16_t part[BITLOCKER_RP_GROUPS];	/* each group divided by 11 */
};

enum bitlocker_rp_group {
	BITLOCKER_GROUP_EMPTY,
	BITLOCKER_GROUP_PARTIAL,	/* fewer than 6 digits yet */
	BITLOCKER_GROUP_OK,
	BITLOCKER_GROUP_NOT11,		/* not divisible by 11 */
	BITLOCKER_GROUP_TOO_BIG,	/* 720896 or more */
};

/* Check one group of 6 digits (no NUL needed): OK, NOT11 or TOO_BIG. */
enum bitlocker_rp_group bitlocker_rp_check_group(const char digits[6]);

/* "not divisible by 11", "720896 or more", ... (static). */
const char *bitlocker_rp_group_problem(enum bitlocker_rp_group g);

/*
 * Parse a recovery password: 48 digits, dashes and blanks optional
 * anywhere.  Returns 0 with *rp filled, or -1 with err_set() saying what is
 * wrong without repeating the key ("recovery password group 4 is wrong (not
 * divisible by 11)", "recovery password has 47 of 48 digits"); *bad_group
 * (may be NULL) receives the first wrong group (1-8) or 0.  The caller
 * scrubs *rp with bitlocker_rp_clear().
 */
int bitlocker_rp_parse(const char *s, size_t len, struct bitlocker_rp *rp, int *bad_group);

void bitlocker_rp_clear(struct bitlocker_rp *rp);

/*
 * Typing a recovery password, checked as it is typed: the fronts feed keys
 * and draw bitlocker_rp_entry_group() of each group.  Digits from the top
 * row, the keypad, a barcode scanner acting as a keyboard, or F1-F10 (as
 * BitLocker's own pre-boot screen allows, whatever the keyboard layout)
 * all arrive as the digit characters; the front maps F1..F10 with
 * bitlocker_rp_fkey_digit().
 */
struct bitlocker_rp_entry {
	char digit[BITLOCKER_RP_DIGITS];
	unsigned n;
};

#define BITLOCKER_RP_BACKSPACE 0x7f

/*
 * Feed one key: a digit is appended, BITLOCKER_RP_BACKSPACE (or '\b')
 * removes the last digit, '-' and ' ' are ignored.  Returns 1 when the
 * entry changed, 0 when the key was ignored, -1 when refused (a 49th digit,
 * or a key that is no digit).
 */
int bitlocker_rp_entry_key(struct bitlocker_rp_entry *e, int ch);

/* The state of group g (0-7). */
enum bitlocker_rp_group bitlocker_rp_entry_group(const struct bitlocker_rp_entry *e, unsigned g);

/* The first wrong group (1-8), or 0 when none is wrong so far. */
int bitlocker_rp_entry_bad(const struct bitlocker_rp_entry *e);

/*
 * When all 48 digits are in and every group is right: fill *rp and return
 * 0; else -1 with err_set() as bitlocker_rp_parse().
 */
int bitlocker_rp_entry_done(const struct bitlocker_rp_entry *e, struct bitlocker_rp *rp);

void bitlocker_rp_entry_clear(struct bitlocker_rp_entry *e);

/* F1..F9 -> '1'..'9', F10 -> '0' (n is the F-key number); -1 otherwise. */
int bitlocker_rp_fkey_digit(int n);

/* ---- checking a key, unlocking ---- */

enum bitlocker_key_kind {
	BITLOCKER_KEY_RECOVERY,		/* secret: the recovery password, any form */
	BITLOCKER_KEY_PASSWORD,		/* secret: the password, UTF-8 */
	BITLOCKER_KEY_STARTUP,		/* secret: a whole .BEK file */
	BITLOCKER_KEY_CLEAR,		/* no secret: the volume's own clear key */
};

/* A key to try; the caller owns (and scrubs) the secret. */
struct bitlocker_key {
	enum bitlocker_key_kind kind;
	const char *secret;
	size_t len;
	const char *guid;	/* try only this protector (canonical GUID or 8-char
				   prefix), or NULL for every protector of the kind */
};

/* What a check or an unlock found out; never holds key material. */
struct bitlocker_result {
	char guid[BITLOCKER_GUID_LEN];	/* the protector that opened the volume */
	enum bitlocker_kind kind;
	int wrong_key;			/* on failure: 1 when the key is wrong or fits no
					   protector (a user's problem), 0 when it could
					   not be tried */
	int bad_group;			/* a malformed recovery password: group 1-8 */
	const char *verifier;		/* "libcryptsetup" or "bootfix" (static) */
	char note[200];			/* e.g. why libcryptsetup was not used */
};

/*
 * Verify that key opens dev without mapping anything (works without
 * device-mapper).  A recovery password's groups are checked before any slow
 * key derivation.  Returns 0 with *res filled, or -1 with err_set()
 * ("cannot unlock DEV: ...") and res->wrong_key / res->bad_group set.
 */
int bitlocker_check(const char *dev, const struct bitlocker_info *bi,
		    const struct bitlocker_key *key, struct bitlocker_result *res);

enum bitlocker_via { BITLOCKER_VIA_NONE, BITLOCKER_VIA_DM, BITLOCKER_VIA_DISLOCKER };

/* A read-write mapping of an unlocked volume. */
struct bitlocker_mapping {
	char path[64];		/* the decrypted volume: /dev/mapper/bootfix-... or /dev/loopN */
	enum bitlocker_via via;
	int readonly;
	char device[256];	/* the BitLocker volume it maps */
	/* for bitlocker_unlock.c and bitlocker_dislocker.c */
	char dm_name[48];
	char dir[256];		/* dislocker-fuse mount point, in the run folder */
	pid_t pid;		/* dislocker-fuse, kept in the foreground */
	int loopfd;
};

/*
 * Unlock dev with key and map it read-write (read-only when readonly is
 * set: for a scan).  A volume whose conversion is in progress is refused
 * before anything is tried.  Returns 0 with *m and *res filled (close with
 * bitlocker_close()), or -1 with err_set() and res->wrong_key set as for
 * bitlocker_check(); nothing stays mapped.
 */
int bitlocker_open(const char *dev, const struct bitlocker_info *bi,
		   const struct bitlocker_key *key, int readonly, struct bitlocker_mapping *m,
		   struct bitlocker_result *res);

/*
 * Remove the mapping (wait for dislocker to write back and exit).  Safe to
 * call twice.  Returns 0 or -1 with err_set().
 */
int bitlocker_close(struct bitlocker_mapping *m);

/*
 * m could not be closed and its storage is about to go (a local): keep a
 * copy for bitlocker_close_all() to try again.
 */
void bitlocker_adopt(struct bitlocker_mapping *m);

/* Close every mapping this process still holds (exit and signal paths). */
void bitlocker_close_all(void);

/*
 * Keep keys out of core dumps (no core file, not dumpable, not traceable):
 * every front calls this before it reads or looks up a key.
 */
void bitlocker_no_core_dumps(void);

/* ---- startup key files, also read by keys.c ---- */

/*
 * Parse a startup key (.BEK) file: check its header and return the GUID of
 * the protector it opens and its 32-byte key.  Returns 0, or -1 with
 * err_set() naming name.  The caller scrubs key.
 */
int bitlocker_bek_parse(const unsigned char *buf, size_t len, const char *name,
			char guid[BITLOCKER_GUID_LEN], unsigned char key[32]);

#endif
