/*
 * bitlocker_internal.h - what the bitlocker_*.c files share and nobody else
 * uses: the layout of the FVE metadata, little-endian reads, and the calls
 * one part makes into another.  The API is bitlocker.h.
 *
 *   bitlocker_guid.c       GUIDs: the key IDs
 *   bitlocker_meta.c       reading the FVE metadata: protectors, state
 *   bitlocker_rp.c         recovery passwords, and typing one
 *   bitlocker_bek.c        startup key (.BEK) files
 *   bitlocker_derive.c     bootfix's own key derivation (SHA-256, AES-CCM)
 *   bitlocker_unlock.c     checking a key, mapping with libcryptsetup, closing
 *   bitlocker_dislocker.c  mapping through dislocker-fuse where dm-crypt cannot
 *
 * Layout facts (volume header, FVE metadata block, entries, key datums,
 * the SHA-256 key stretch and AES-CCM key wrapping) are as documented by
 * libbde's "BitLocker Drive Encryption (BDE) format" and cryptsetup's
 * lib/bitlk; the code is our own and treats every byte as hostile.
 */
#ifndef BOOTFIX_BITLOCKER_INTERNAL_H
#define BOOTFIX_BITLOCKER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bitlocker.h"

#define FVE_AREA 65536			/* each metadata copy sits in 64 KiB */
#define FVE_BLOCK_HEADER 64
#define FVE_HEADER 48
#define ENTRY_HEADER 8
#define VMK_HEADER 28
#define KEY_DATUM_HEADER 12		/* datum header 8 + encryption method 4 */
#define STRETCH_ROUNDS 0x100000
#define STATE_ENCRYPTED 4

enum {
	ENTRY_PROPERTY = 0x0000, ENTRY_VMK = 0x0002, ENTRY_FVEK = 0x0003,
	ENTRY_STARTUP_KEY = 0x0006, ENTRY_DESCRIPTION = 0x0007,
};
enum {
	VALUE_KEY = 0x0001, VALUE_STRING = 0x0002, VALUE_STRETCH_KEY = 0x0003,
	VALUE_AES_CCM = 0x0005, VALUE_VMK = 0x0008, VALUE_EXTERNAL_KEY = 0x0009,
};


static inline uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* ---- bitlocker_guid.c ---- */

/* Windows stores a GUID as a little-endian u32, two u16 and 8 bytes: g[0..16) as text. */
void bitlocker_guid_format(const unsigned char *g, char out[BITLOCKER_GUID_LEN]);

/* ---- bitlocker_derive.c ---- */

/* A decrypted key datum: the method and the key bytes (scrub it). */
struct bitlocker_rawkey {
	uint16_t method;
	unsigned char key[64];
	size_t len;
};

/*
 * Try key k (rp: the parsed recovery password, for BITLOCKER_KEY_RECOVERY)
 * on the protectors bi->prot[cand[0..n)] with our own derivation.  Returns
 * the index of the one that opened, with the FVEK in *fvek, or -1.
 */
long bitlocker_derive_try(const struct bitlocker_info *bi, const struct bitlocker_key *k,
			  const struct bitlocker_rp *rp, const size_t *cand, size_t n,
			  struct bitlocker_rawkey *fvek);

/* ---- bitlocker_dislocker.c ---- */

/*
 * Serve dev decrypted with fvek through dislocker-fuse (mount point in the
 * run folder, read-only when m->readonly) and put a loop device over it:
 * m->path, m->pid, m->dir, m->loopfd.  0, or -1 with err_set(), nothing
 * left running.
 */
int bitlocker_dislocker_open(const char *dev, const struct bitlocker_rawkey *fvek,
			     struct bitlocker_mapping *m);

/* Unmount m's dislocker and wait for it to write back and exit; 0 or -1 with err_set(). */
int bitlocker_dislocker_stop(struct bitlocker_mapping *m);

/* 1 when dislocker-fuse is on PATH. */
int bitlocker_dislocker_installed(void);

#endif
