/*
 * bitlocker_derive.c - bootfix's own key derivation, used where
 * libcryptsetup cannot check or map a volume: a recovery password or
 * password stretched with SHA-256 (2^20 rounds), a startup or clear key
 * taken as it is, then the volume master key and the full volume
 * encryption key unwrapped with AES-CCM through OpenSSL.  Every buffer that
 * held a key is scrubbed.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bitlocker_internal.h"

static const EVP_MD *sha256(void)
{
	static EVP_MD *md;

	if (!md)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	return md;
}

static int sha256_once(const void *in, size_t len, unsigned char out[32])
{
	unsigned int n = 0;

	return EVP_Digest(in, len, out, &n, sha256(), NULL) == 1 && n == 32 ? 0 : -1;
}

/* BitLocker's key stretch: 2^20 rounds of SHA-256 over (last, initial, salt, count). */
static int stretch(const unsigned char initial[32], const unsigned char salt[16],
		   unsigned char out[32])
{
	unsigned char s[88];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	const EVP_MD *md = sha256();
	unsigned int n;
	int ok = c && md;

	memset(s, 0, sizeof(s));
	memcpy(s + 32, initial, 32);
	memcpy(s + 64, salt, 16);
	for (uint32_t i = 0; ok && i < STRETCH_ROUNDS; i++) {
		s[80] = (unsigned char)i;
		s[81] = (unsigned char)(i >> 8);
		s[82] = (unsigned char)(i >> 16);
		s[83] = (unsigned char)(i >> 24);
		ok = EVP_DigestInit_ex2(c, md, NULL) == 1 && EVP_DigestUpdate(c, s, sizeof(s)) == 1 &&
		     EVP_DigestFinal_ex(c, s, &n) == 1;
	}
	if (ok)
		memcpy(out, s, 32);
	explicit_bzero(s, sizeof(s));
	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

/* AES-256-CCM decryption; -1 when the tag does not match (a wrong key). */
static int ccm_decrypt(const unsigned char key[32], const unsigned char nonce[12],
		       const unsigned char tag[16], const unsigned char *in, size_t len,
		       unsigned char *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_ccm(), NULL, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag) == 1 &&
	     EVP_DecryptInit_ex(c, NULL, NULL, key, nonce) == 1 &&
	     EVP_DecryptUpdate(c, NULL, &n, NULL, (int)len) == 1 &&
	     EVP_DecryptUpdate(c, out, &n, in, (int)len) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		explicit_bzero(out, len);
	return ok ? 0 : -1;
}

static int unwrap(const unsigned char akey[32], const unsigned char nonce[12],
		  const unsigned char tag[16], const unsigned char *enc, size_t len,
		  struct bitlocker_rawkey *out)
{
	unsigned char plain[128];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len <= KEY_DATUM_HEADER || len > sizeof(plain))
		return -1;
	if (ccm_decrypt(akey, nonce, tag, enc, len, plain) == 0 && le16(plain) == len &&
	    le16(plain + 4) == VALUE_KEY && len - KEY_DATUM_HEADER <= sizeof(out->key)) {
		out->method = le16(plain + 8);
		out->len = len - KEY_DATUM_HEADER;
		memcpy(out->key, plain + KEY_DATUM_HEADER, out->len);
		rc = 0;
	}
	explicit_bzero(plain, sizeof(plain));
	return rc;
}

/* UTF-8 to UTF-16LE for password hashing; returns bytes, or -1 on bad UTF-8 or no room. */
static long utf8_to_utf16(const unsigned char *s, size_t len, unsigned char *out, size_t outlen)
{
	size_t o = 0, i = 0;

	while (i < len) {
		uint32_t c = s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
			   (c & 0xf8) == 0xf0 ? 4 : 0;

		if (!n || i + n > len)
			return -1;
		if (n > 1) {
			c &= 0x3f >> (n - 1);
			for (size_t k = 1; k < n; k++) {
				if ((s[i + k] & 0xc0) != 0x80)
					return -1;
				c = c << 6 | (s[i + k] & 0x3f);
			}
			if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
			    c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
				return -1;
		}
		i += n;
		if (c >= 0x10000) {
			uint32_t v = c - 0x10000;

			if (o + 4 > outlen)
				return -1;
			out[o++] = (unsigned char)((0xd800 + (v >> 10)) & 0xff);
			out[o++] = (unsigned char)((0xd800 + (v >> 10)) >> 8);
			out[o++] = (unsigned char)((0xdc00 + (v & 0x3ff)) & 0xff);
			out[o++] = (unsigned char)((0xdc00 + (v & 0x3ff)) >> 8);
		} else {
			if (o + 2 > outlen)
				return -1;
			out[o++] = (unsigned char)(c & 0xff);
			out[o++] = (unsigned char)(c >> 8);
		}
	}
	return (long)o;
}

/* The AES key that opens protector p's VMK, from key; 0, or -1 (no match). */
static int protector_key(const struct bitlocker_protector *p, const struct bitlocker_key *k,
			 const struct bitlocker_rp *rp, unsigned char akey[32])
{
	unsigned char initial[32], *u16 = NULL, bek[32];
	char bguid[BITLOCKER_GUID_LEN];
	long n;
	int rc = -1;

	switch (k->kind) {
	case BITLOCKER_KEY_RECOVERY:
		if (!p->has_salt)
			return -1;
		{
			unsigned char parts[16];

			for (int g = 0; g < BITLOCKER_RP_GROUPS; g++) {
				parts[2 * g] = (unsigned char)(rp->part[g] & 0xff);
				parts[2 * g + 1] = (unsigned char)(rp->part[g] >> 8);
			}
			rc = sha256_once(parts, sizeof(parts), initial);
			explicit_bzero(parts, sizeof(parts));
		}
		if (rc == 0)
			rc = stretch(initial, p->salt, akey);
		break;
	case BITLOCKER_KEY_PASSWORD:
		if (!p->has_salt || k->len > 1024)
			return -1;
		u16 = malloc(4 * k->len + 4);
		if (!u16)
			return -1;
		n = utf8_to_utf16((const unsigned char *)k->secret, k->len, u16, 4 * k->len + 4);
		if (n >= 0 && sha256_once(u16, (size_t)n, initial) == 0 &&
		    sha256_once(initial, 32, initial) == 0)
			rc = stretch(initial, p->salt, akey);
		explicit_bzero(u16, 4 * k->len + 4);
		free(u16);
		break;
	case BITLOCKER_KEY_STARTUP:
		if (bitlocker_bek_parse((const unsigned char *)k->secret, k->len, "key", bguid, bek) < 0)
			return -1;
		if (!strcmp(bguid, p->guid)) {
			memcpy(akey, bek, 32);
			rc = 0;
		}
		explicit_bzero(bek, sizeof(bek));
		break;
	case BITLOCKER_KEY_CLEAR:
		if (p->clear_len == 32) {
			memcpy(akey, p->clear, 32);
			rc = 0;
		}
		break;
	}
	explicit_bzero(initial, sizeof(initial));
	return rc;
}

/* Open p's VMK with key and the FVEK with the VMK; 0 with *fvek, or -1. */
static int derive(const struct bitlocker_info *bi, const struct bitlocker_protector *p,
		  const struct bitlocker_key *k, const struct bitlocker_rp *rp, struct bitlocker_rawkey *fvek)
{
	unsigned char akey[32];
	struct bitlocker_rawkey vmk;
	int rc = -1;

	if (!p->enc_len || !bi->fvek_enc_len || protector_key(p, k, rp, akey) < 0)
		return -1;
	if (unwrap(akey, p->nonce, p->tag, p->enc, p->enc_len, &vmk) == 0 && vmk.len == 32)
		rc = unwrap(vmk.key, bi->fvek_nonce, bi->fvek_tag, bi->fvek_enc, bi->fvek_enc_len,
			    fvek);
	explicit_bzero(akey, sizeof(akey));
	explicit_bzero(&vmk, sizeof(vmk));
	return rc;
}

long bitlocker_derive_try(const struct bitlocker_info *bi, const struct bitlocker_key *k,
		    const struct bitlocker_rp *rp, const size_t *cand, size_t n, struct bitlocker_rawkey *fvek)
{
	for (size_t i = 0; i < n; i++)
		if (derive(bi, &bi->prot[cand[i]], k, rp, fvek) == 0)
			return (long)cand[i];
	return -1;
}
