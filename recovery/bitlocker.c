/*
 * bitlocker.c - BitLocker metadata, key checks and read-write mappings
 * (see bitlocker.h).
 *
 * Layout facts (volume header, FVE metadata block, entries, key datums,
 * the SHA-256 key stretch and AES-CCM key wrapping) are as documented by
 * libbde's "BitLocker Drive Encryption (BDE) format" and cryptsetup's
 * lib/bitlk; the code is our own and treats every byte as hostile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libcryptsetup.h>
#include <openssl/evp.h>

#include "bitlocker.h"
#include "disk.h"
#include "proc.h"
#include "runstate.h"
#include "err.h"
#include "file.h"
#include "live.h"

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

static const unsigned char guid_normal[16] = {
	0x3b, 0xd6, 0x67, 0x49, 0x29, 0x2e, 0xd8, 0x4a,
	0x83, 0x99, 0xf6, 0xa3, 0x39, 0xe3, 0xd0, 0x01,
};
static const unsigned char guid_eow[16] = {
	0x3b, 0x4d, 0xa8, 0x92, 0x80, 0xdd, 0x0e, 0x4d,
	0x9e, 0x4e, 0xb1, 0xe3, 0x28, 0x4e, 0xae, 0xd8,
};

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* ---- GUIDs ---- */

/* Windows stores a GUID as a little-endian u32, two u16 and 8 bytes. */
static void guid_format(const unsigned char *g, char out[BITLOCKER_GUID_LEN])
{
	snprintf(out, BITLOCKER_GUID_LEN, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 (unsigned)le32(g), le16(g + 4), le16(g + 6), g[8], g[9], g[10], g[11], g[12],
		 g[13], g[14], g[15]);
}

static int hexdigit(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int bitlocker_guid_parse(const char *s, char out[BITLOCKER_GUID_LEN])
{
	int brace;
	size_t i;

	s = skip_blanks(s);
	brace = *s == '{';
	s += brace;
	for (i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !hexdigit((unsigned char)s[i]))
			return -1;
		out[i] = (char)upper((unsigned char)s[i]);
	}
	out[36] = '\0';
	s += 36;
	if (brace && *s++ != '}')
		return -1;
	s = skip_blanks(s);
	return *s ? -1 : 0;
}

int bitlocker_guid_prefix_parse(const char *s, char out[BITLOCKER_GUID_LEN])
{
	const char *p;
	size_t i;
	int brace;

	if (bitlocker_guid_parse(s, out) == 0)
		return 0;
	p = skip_blanks(s);
	brace = *p == '{';
	p += brace;
	for (i = 0; i < BITLOCKER_GUID_SHORT; i++) {
		if (!hexdigit((unsigned char)p[i]))
			return -1;
		out[i] = (char)upper((unsigned char)p[i]);
	}
	out[i] = '\0';
	p += i;
	p += brace && *p == '}';
	p = skip_blanks(p);
	return *p ? -1 : 0;
}

int bitlocker_guid_match(const char *id, const char *query)
{
	size_t n = strlen(query);

	if (n != BITLOCKER_GUID_SHORT && n != BITLOCKER_GUID_LEN - 1)
		return 0;
	return strncmp(id, query, n) == 0 && strlen(id) == BITLOCKER_GUID_LEN - 1;
}

/* ---- strings ---- */

static size_t put_utf8(char *out, size_t outlen, size_t o, uint32_t c)
{
	unsigned char b[4];
	size_t n;

	if (c < 0x80) {
		b[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xc0 | c >> 6);
		b[1] = (unsigned char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (unsigned char)(0xe0 | c >> 12);
		b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | c >> 18);
		b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (o + n >= outlen)
		return o;
	memcpy(out + o, b, n);
	return o + n;
}

size_t bitlocker_utf16_to_utf8(const unsigned char *in, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	if (!outlen)
		return 0;
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint32_t c = le16(in + i);

		if (c >= 0xd800 && c < 0xdc00 && i + 3 < len && le16(in + i + 2) >= 0xdc00 &&
		    le16(in + i + 2) < 0xe000) {
			c = 0x10000 + ((c - 0xd800) << 10) + (le16(in + i + 2) - 0xdc00);
			i += 2;
		} else if (c >= 0xd800 && c < 0xe000) {
			c = 0xfffd;
		}
		if (c == 0)
			break;
		o = put_utf8(out, outlen, o, c);
	}
	out[o] = '\0';
	return o;
}

/* UTF-8 to UTF-16LE for password hashing; returns bytes, or -1 on bad UTF-8. */
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

/* ---- metadata ---- */

static uint32_t crc32_ieee(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return c ^ 0xffffffffu;
}

static ssize_t read_at(int fd, uint64_t off, void *buf, size_t len)
{
	return file_pread_all(fd, buf, len, (off_t)off);
}

static enum bitlocker_kind kind_of(uint16_t protection)
{
	switch (protection) {
	case 0x0000: return BITLOCKER_CLEAR_KEY;
	case 0x0100: return BITLOCKER_TPM;
	case 0x0200: return BITLOCKER_STARTUP_KEY;
	case 0x0500: return BITLOCKER_TPM_PIN;
	case 0x0800: return BITLOCKER_RECOVERY_PASSWORD;
	case 0x1000: return BITLOCKER_SMART_CARD;
	case 0x2000: return BITLOCKER_PASSWORD;
	default: return BITLOCKER_OTHER;
	}
}

const char *bitlocker_kind_name(enum bitlocker_kind k)
{
	switch (k) {
	case BITLOCKER_CLEAR_KEY: return "clear key";
	case BITLOCKER_TPM: return "TPM";
	case BITLOCKER_STARTUP_KEY: return "startup key";
	case BITLOCKER_TPM_PIN: return "TPM and PIN";
	case BITLOCKER_RECOVERY_PASSWORD: return "recovery password";
	case BITLOCKER_SMART_CARD: return "smart card";
	case BITLOCKER_PASSWORD: return "password";
	default: return "other";
	}
}

static const char *method_name(uint16_t m)
{
	switch (m) {
	case 0x8000: return "AES-CBC 128 with Elephant diffuser";
	case 0x8001: return "AES-CBC 256 with Elephant diffuser";
	case 0x8002: return "AES-CBC 128";
	case 0x8003: return "AES-CBC 256";
	case 0x8004: return "AES-XTS 128";
	case 0x8005: return "AES-XTS 256";
	default: return NULL;
	}
}

/* One VMK entry: its 28-byte header at p, then properties up to end. */
static int parse_vmk(const unsigned char *p, const unsigned char *end, struct bitlocker_protector *pr)
{
	const unsigned char *q = p + VMK_HEADER;

	memset(pr, 0, sizeof(*pr));
	guid_format(p, pr->guid);
	pr->protection = le16(p + 26);
	pr->kind = kind_of(pr->protection);
	while (end - q >= ENTRY_HEADER) {
		size_t sz = le16(q);
		uint16_t value = le16(q + 4);

		if (sz == 0)
			break;
		if (sz < ENTRY_HEADER || sz > (size_t)(end - q))
			return -1;
		if (value == VALUE_STRETCH_KEY && sz >= ENTRY_HEADER + 4 + 16) {
			memcpy(pr->salt, q + ENTRY_HEADER + 4, 16);
			pr->has_salt = 1;
		} else if (value == VALUE_AES_CCM && sz > ENTRY_HEADER + 28 && !pr->enc_len &&
			   sz - ENTRY_HEADER - 28 <= sizeof(pr->enc)) {
			memcpy(pr->nonce, q + ENTRY_HEADER, 12);
			memcpy(pr->tag, q + ENTRY_HEADER + 12, 16);
			pr->enc_len = sz - ENTRY_HEADER - 28;
			memcpy(pr->enc, q + ENTRY_HEADER + 28, pr->enc_len);
		} else if (value == VALUE_KEY && sz > ENTRY_HEADER + 4 &&
			   sz - ENTRY_HEADER - 4 <= sizeof(pr->clear) && !pr->clear_len) {
			pr->clear_len = sz - ENTRY_HEADER - 4;
			memcpy(pr->clear, q + ENTRY_HEADER + 4, pr->clear_len);
		} else if (value == VALUE_STRING && !pr->name[0]) {
			bitlocker_utf16_to_utf8(q + ENTRY_HEADER, sz - ENTRY_HEADER, pr->name,
						sizeof(pr->name));
		}
		q += sz;
	}
	return 0;
}

/* Parse the entries of one metadata copy held in buf[0..blk). */
static int parse_copy(const unsigned char *buf, size_t blk, struct bitlocker_info *bi)
{
	uint32_t msize = le32(buf + FVE_BLOCK_HEADER);
	const unsigned char *p, *end;

	if (msize < FVE_HEADER || (size_t)FVE_BLOCK_HEADER + msize > blk)
		return -1;
	bi->method = le16(buf + FVE_BLOCK_HEADER + 36);
	bi->cipher = method_name(bi->method);
	guid_format(buf + FVE_BLOCK_HEADER + 16, bi->volume_guid);
	bi->state = le16(buf + 12);
	bi->next_state = le16(buf + 14);
	bi->encrypted_size = le64(buf + 16);
	p = buf + FVE_BLOCK_HEADER + FVE_HEADER;
	end = buf + FVE_BLOCK_HEADER + msize;
	while (end - p >= ENTRY_HEADER) {
		size_t sz = le16(p);
		uint16_t type = le16(p + 2), value = le16(p + 4);

		if (sz == 0)
			break;
		if (sz < ENTRY_HEADER || sz > (size_t)(end - p))
			return -1;
		if (type == ENTRY_VMK && value == VALUE_VMK && sz >= ENTRY_HEADER + VMK_HEADER &&
		    bi->nprot < BITLOCKER_MAX_PROTECTORS) {
			if (parse_vmk(p + ENTRY_HEADER, p + sz, &bi->prot[bi->nprot]) < 0)
				return -1;
			bi->nprot++;
		} else if (type == ENTRY_FVEK && value == VALUE_AES_CCM && !bi->fvek_enc_len &&
			   sz > ENTRY_HEADER + 28 && sz - ENTRY_HEADER - 28 <= sizeof(bi->fvek_enc)) {
			memcpy(bi->fvek_nonce, p + ENTRY_HEADER, 12);
			memcpy(bi->fvek_tag, p + ENTRY_HEADER + 12, 16);
			bi->fvek_enc_len = sz - ENTRY_HEADER - 28;
			memcpy(bi->fvek_enc, p + ENTRY_HEADER + 28, bi->fvek_enc_len);
		} else if (type == ENTRY_DESCRIPTION && value == VALUE_STRING && !bi->description[0]) {
			bitlocker_utf16_to_utf8(p + ENTRY_HEADER, sz - ENTRY_HEADER, bi->description,
						sizeof(bi->description));
		}
		p += sz;
	}
	return 0;
}

/* Said apart from damaged metadata: a caller looks for BitLocker inside it then. */
static int not_bitlocker(const char *name)
{
	err_set("cannot read BitLocker metadata of %s: not a BitLocker volume", name);
	return BITLOCKER_NOT_BITLOCKER;
}

int bitlocker_read_fd(int fd, const char *name, struct bitlocker_info *bi)
{
	unsigned char hdr[512], *buf = NULL;
	const char *why = "no copy of the metadata is readable";
	off_t size;
	size_t at;

	memset(bi, 0, sizeof(*bi));
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		return err_set("cannot read BitLocker metadata of %s: %s", name, strerror(errno));
	bi->device_size = (uint64_t)size;
	if (read_at(fd, 0, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		return not_bitlocker(name);
	if (!memcmp(hdr + 3, "-FVE-FS-", 8)) {
		at = 160;
	} else if (!memcmp(hdr + 3, "MSWIN4.1", 8)) {
		at = 424;
		bi->togo = 1;
	} else {
		return not_bitlocker(name);
	}
	if (!memcmp(hdr, "\xeb\x52\x90", 3))
		return err_set("cannot read BitLocker metadata of %s: the Windows Vista format of "
			       "BitLocker is not supported", name);
	if (memcmp(hdr, "\xeb\x58\x90", 3))
		return not_bitlocker(name);
	bi->eow = !memcmp(hdr + at, guid_eow, 16);
	if (bi->togo && !bi->eow && memcmp(hdr + at, guid_normal, 16))
		return not_bitlocker(name);
	bi->sector_size = le16(hdr + 11) ? le16(hdr + 11) : 512;
	for (int i = 0; i < 3; i++)
		bi->metadata_offset[i] = le64(hdr + at + 16 + 8 * i);
	buf = malloc(FVE_AREA);
	if (!buf)
		return err_set("cannot read BitLocker metadata of %s: %s", name, strerror(ENOMEM));
	for (int i = 0; i < 3; i++) {
		uint64_t off = bi->metadata_offset[i];
		size_t blk, want;
		ssize_t got;

		if (off == 0 || off >= (uint64_t)size)
			continue;
		want = (uint64_t)size - off < FVE_AREA ? (size_t)((uint64_t)size - off) : FVE_AREA;
		got = read_at(fd, off, buf, want);
		if (got < FVE_BLOCK_HEADER + FVE_HEADER + 8 || memcmp(buf, "-FVE-FS-", 8)) {
			why = "the metadata signature is missing";
			continue;
		}
		if (le16(buf + 10) != 2) {
			why = "the metadata version is not 2";
			continue;
		}
		blk = (size_t)le16(buf + 8) << 4;
		if (blk < FVE_BLOCK_HEADER + FVE_HEADER || blk + 8 > (size_t)got) {
			why = "the metadata size is out of range";
			continue;
		}
		/* the validation block right after the metadata holds its CRC-32 */
		if (le16(buf + blk) < 8 || le16(buf + blk + 2) > 2 ||
		    crc32_ieee(buf, blk) != le32(buf + blk + 4)) {
			why = "the metadata checksum is wrong";
			continue;
		}
		if (le64(buf + 32 + 8 * i) != off) {
			why = "the metadata is not where the volume header says";
			continue;
		}
		memset(bi->prot, 0, sizeof(bi->prot));
		bi->nprot = 0;
		bi->fvek_enc_len = 0;
		bi->description[0] = '\0';
		if (parse_copy(buf, blk, bi) < 0) {
			why = "a metadata entry is damaged";
			continue;
		}
		if (!bi->cipher) {
			why = "the encryption method is unknown";
			continue;
		}
		bi->copy = i;
		explicit_bzero(buf, FVE_AREA);	/* a suspended volume's clear key was in it */
		free(buf);
		return 0;
	}
	explicit_bzero(buf, FVE_AREA);
	free(buf);
	bitlocker_info_clear(bi);
	return err_set("cannot read BitLocker metadata of %s: %s", name, why);
}

int bitlocker_read(const char *dev, struct bitlocker_info *bi)
{
	int fd = file_open(AT_FDCWD, dev, O_RDONLY, 0), rc;

	if (fd < 0) {
		memset(bi, 0, sizeof(*bi));
		return err_set("cannot read BitLocker metadata of %s: %s", dev, strerror(errno));
	}
	rc = bitlocker_read_fd(fd, dev, bi);
	close(fd);
	return rc;
}

int bitlocker_describe(const char *dev, struct bitlocker_info *out)
{
	return bitlocker_read(dev, out);
}

void bitlocker_info_clear(struct bitlocker_info *bi)
{
	explicit_bzero(bi, sizeof(*bi));
}

int bitlocker_converting(const struct bitlocker_info *bi, char *why, size_t len)
{
	const char *what;

	if (bi->state == STATE_ENCRYPTED && bi->next_state == STATE_ENCRYPTED && !bi->eow)
		return 0;
	if (!why)
		return 1;
	if (bi->eow && bi->state == STATE_ENCRYPTED && bi->next_state == STATE_ENCRYPTED) {
		snprintf(why, len, "encryption in progress (an encrypt-on-write volume: only "
			 "part of it is encrypted yet)");
		return 1;
	}
	if (bi->state == 1 && bi->next_state == 1)
		what = "BitLocker is off (decrypted) but its metadata remains";
	else if (bi->next_state == 1)
		what = "decryption in progress";
	else
		what = "encryption in progress";
	snprintf(why, len, "%s (BitLocker state %u, next %u)", what, bi->state, bi->next_state);
	return 1;
}

int bitlocker_tpm_only(const struct bitlocker_info *bi)
{
	for (size_t i = 0; i < bi->nprot; i++)
		switch (bi->prot[i].kind) {
		case BITLOCKER_CLEAR_KEY:
		case BITLOCKER_STARTUP_KEY:
		case BITLOCKER_RECOVERY_PASSWORD:
		case BITLOCKER_PASSWORD:
			return 0;
		default:
			break;
		}
	return 1;
}

/* ---- recovery passwords ---- */

enum bitlocker_rp_group bitlocker_rp_check_group(const char digits[6])
{
	long v = 0;

	for (int i = 0; i < 6; i++)
		v = v * 10 + (digits[i] - '0');
	if (v % 11)
		return BITLOCKER_GROUP_NOT11;
	if (v >= 720896)
		return BITLOCKER_GROUP_TOO_BIG;
	return BITLOCKER_GROUP_OK;
}

const char *bitlocker_rp_group_problem(enum bitlocker_rp_group g)
{
	switch (g) {
	case BITLOCKER_GROUP_NOT11: return "not divisible by 11";
	case BITLOCKER_GROUP_TOO_BIG: return "720896 or more";
	case BITLOCKER_GROUP_PARTIAL: return "fewer than 6 digits";
	case BITLOCKER_GROUP_EMPTY: return "missing";
	default: return "right";
	}
}

static void rp_fill(const char *digits, struct bitlocker_rp *rp)
{
	size_t o = 0;

	for (int g = 0; g < BITLOCKER_RP_GROUPS; g++) {
		long v = 0;

		for (int i = 0; i < 6; i++) {
			rp->text[o++] = digits[6 * g + i];
			v = v * 10 + (digits[6 * g + i] - '0');
		}
		if (g < BITLOCKER_RP_GROUPS - 1)
			rp->text[o++] = '-';
		rp->part[g] = (uint16_t)(v / 11);
	}
	rp->text[o] = '\0';
}

/* Check 48 digits group by group; 0, or -1 with err_set() and *bad. */
static int rp_check_digits(const char *digits, size_t n, int *bad)
{
	for (size_t g = 0; g < BITLOCKER_RP_GROUPS && 6 * (g + 1) <= n; g++) {
		enum bitlocker_rp_group s = bitlocker_rp_check_group(digits + 6 * g);

		if (s != BITLOCKER_GROUP_OK) {
			*bad = (int)g + 1;
			return err_set("recovery password group %zu is wrong (%s)", g + 1,
				       bitlocker_rp_group_problem(s));
		}
	}
	if (n != BITLOCKER_RP_DIGITS)
		return err_set("recovery password has %zu of %d digits", n, BITLOCKER_RP_DIGITS);
	return 0;
}

int bitlocker_rp_parse(const char *s, size_t len, struct bitlocker_rp *rp, int *bad_group)
{
	char digits[BITLOCKER_RP_DIGITS];
	size_t n = 0;
	int bad = 0, rc;

	memset(rp, 0, sizeof(*rp));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= '0' && c <= '9') {
			if (n == BITLOCKER_RP_DIGITS) {
				explicit_bzero(digits, sizeof(digits));
				if (bad_group)
					*bad_group = 0;
				return err_set("recovery password has more than %d digits",
					       BITLOCKER_RP_DIGITS);
			}
			digits[n++] = (char)c;
		} else if (c != '-' && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			explicit_bzero(digits, sizeof(digits));
			if (bad_group)
				*bad_group = n / 6 + 1 <= BITLOCKER_RP_GROUPS ? (int)(n / 6 + 1) : 0;
			return err_set("recovery password holds a character that is no digit "
				       "(in group %zu)", n / 6 + 1);
		}
	}
	rc = rp_check_digits(digits, n, &bad);
	if (rc == 0)
		rp_fill(digits, rp);
	explicit_bzero(digits, sizeof(digits));
	if (bad_group)
		*bad_group = bad;
	return rc;
}

void bitlocker_rp_clear(struct bitlocker_rp *rp)
{
	explicit_bzero(rp, sizeof(*rp));
}

int bitlocker_rp_entry_key(struct bitlocker_rp_entry *e, int ch)
{
	if (ch >= '0' && ch <= '9') {
		if (e->n >= BITLOCKER_RP_DIGITS)
			return -1;
		e->digit[e->n++] = (char)ch;
		return 1;
	}
	if (ch == BITLOCKER_RP_BACKSPACE || ch == '\b') {
		if (!e->n)
			return 0;
		e->digit[--e->n] = '\0';
		return 1;
	}
	if (ch == '-' || ch == ' ')
		return 0;
	return -1;
}

enum bitlocker_rp_group bitlocker_rp_entry_group(const struct bitlocker_rp_entry *e, unsigned g)
{
	if (g >= BITLOCKER_RP_GROUPS || e->n <= 6 * g)
		return BITLOCKER_GROUP_EMPTY;
	if (e->n < 6 * (g + 1))
		return BITLOCKER_GROUP_PARTIAL;
	return bitlocker_rp_check_group(e->digit + 6 * g);
}

int bitlocker_rp_entry_bad(const struct bitlocker_rp_entry *e)
{
	for (unsigned g = 0; g < BITLOCKER_RP_GROUPS; g++) {
		enum bitlocker_rp_group s = bitlocker_rp_entry_group(e, g);

		if (s == BITLOCKER_GROUP_NOT11 || s == BITLOCKER_GROUP_TOO_BIG)
			return (int)g + 1;
	}
	return 0;
}

int bitlocker_rp_entry_done(const struct bitlocker_rp_entry *e, struct bitlocker_rp *rp)
{
	int bad = 0;

	memset(rp, 0, sizeof(*rp));
	if (rp_check_digits(e->digit, e->n, &bad) < 0)
		return -1;
	rp_fill(e->digit, rp);
	return 0;
}

void bitlocker_rp_entry_clear(struct bitlocker_rp_entry *e)
{
	explicit_bzero(e, sizeof(*e));
}

int bitlocker_rp_fkey_digit(int n)
{
	if (n >= 1 && n <= 9)
		return '0' + n;
	if (n == 10)
		return '0';
	return -1;
}

/* ---- startup key files ---- */

int bitlocker_bek_parse(const unsigned char *buf, size_t len, const char *name,
			char guid[BITLOCKER_GUID_LEN], unsigned char key[32])
{
	const unsigned char *p, *end;
	size_t sz;

	/* a 48-byte header like the FVE metadata header, then one startup-key entry */
	if (len < FVE_HEADER + ENTRY_HEADER + 24 || le32(buf) != len || le32(buf + 4) != 1 ||
	    le32(buf + 8) != FVE_HEADER)
		return err_set("cannot read startup key %s: not a BitLocker .BEK file", name);
	guid_format(buf + 16, guid);
	p = buf + FVE_HEADER;
	sz = le16(p);
	if (le16(p + 2) != ENTRY_STARTUP_KEY || le16(p + 4) != VALUE_EXTERNAL_KEY ||
	    sz < ENTRY_HEADER + 24 || sz > len - FVE_HEADER)
		return err_set("cannot read startup key %s: no startup key entry in it", name);
	end = p + sz;
	p += ENTRY_HEADER + 24;		/* GUID and modification time */
	while (end - p >= ENTRY_HEADER) {
		size_t psz = le16(p);

		if (psz < ENTRY_HEADER || psz > (size_t)(end - p))
			break;
		if (le16(p + 4) == VALUE_KEY && psz == ENTRY_HEADER + 4 + 32) {
			memcpy(key, p + ENTRY_HEADER + 4, 32);
			return 0;
		}
		p += psz;
	}
	return err_set("cannot read startup key %s: it holds no 256-bit key", name);
}

/* ---- our own key derivation (SHA-256 stretch, AES-CCM) ---- */

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

/* A decrypted key datum: the method and the key bytes. */
struct rawkey {
	uint16_t method;
	unsigned char key[64];
	size_t len;
};

static int unwrap(const unsigned char akey[32], const unsigned char nonce[12],
		  const unsigned char tag[16], const unsigned char *enc, size_t len,
		  struct rawkey *out)
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
		  const struct bitlocker_key *k, const struct bitlocker_rp *rp, struct rawkey *fvek)
{
	unsigned char akey[32];
	struct rawkey vmk;
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

/* ---- which protectors a key may open ---- */

static enum bitlocker_kind wanted_kind(enum bitlocker_key_kind k)
{
	switch (k) {
	case BITLOCKER_KEY_RECOVERY: return BITLOCKER_RECOVERY_PASSWORD;
	case BITLOCKER_KEY_PASSWORD: return BITLOCKER_PASSWORD;
	case BITLOCKER_KEY_STARTUP: return BITLOCKER_STARTUP_KEY;
	default: return BITLOCKER_CLEAR_KEY;
	}
}

static const char *key_kind_name(enum bitlocker_key_kind k)
{
	return bitlocker_kind_name(wanted_kind(k));
}

/* Indexes of the protectors key may open, into cand[]; returns how many. */
static size_t candidates(const struct bitlocker_info *bi, const struct bitlocker_key *k,
			 size_t cand[BITLOCKER_MAX_PROTECTORS], size_t *of_kind)
{
	size_t n = 0;

	*of_kind = 0;
	for (size_t i = 0; i < bi->nprot; i++) {
		if (bi->prot[i].kind != wanted_kind(k->kind))
			continue;
		(*of_kind)++;
		if (!k->guid || bitlocker_guid_match(bi->prot[i].guid, k->guid))
			cand[n++] = i;
	}
	return n;
}

/* Try the candidates with our own derivation; index of the one that opened, or -1. */
static long own_try(const struct bitlocker_info *bi, const struct bitlocker_key *k,
		    const struct bitlocker_rp *rp, const size_t *cand, size_t n, struct rawkey *fvek)
{
	for (size_t i = 0; i < n; i++)
		if (derive(bi, &bi->prot[cand[i]], k, rp, fvek) == 0)
			return (long)cand[i];
	return -1;
}

/* ---- libcryptsetup ---- */

static char cs_msg[256];

static void cs_log(int level, const char *msg, void *usrptr)
{
	size_t n;

	(void)usrptr;
	if (level != CRYPT_LOG_ERROR || !msg)
		return;
	snprintf(cs_msg, sizeof(cs_msg), "%s", msg);
	n = strlen(cs_msg);
	while (n && (cs_msg[n - 1] == '\n' || cs_msg[n - 1] == '.'))
		cs_msg[--n] = '\0';
	if (cs_msg[0] >= 'A' && cs_msg[0] <= 'Z' && (cs_msg[1] < 'A' || cs_msg[1] > 'Z'))
		cs_msg[0] = (char)(cs_msg[0] - 'A' + 'a');
}

/*
 * Why libcryptsetup (2.6) would refuse this volume or key before trying,
 * or NULL when it can be used.
 */
static const char *cs_refuses(const struct bitlocker_info *bi, const struct bitlocker_key *k)
{
	if (k->kind == BITLOCKER_KEY_CLEAR)
		return "it cannot use a clear key";
	for (size_t i = 0; i < bi->nprot; i++)
		if (bi->prot[i].kind == BITLOCKER_CLEAR_KEY)
			return "it refuses volumes with a clear key";
	if (bitlocker_converting(bi, NULL, 0))
		return "it refuses volumes whose encryption is in progress";
	if (k->kind == BITLOCKER_KEY_PASSWORD)
		for (size_t i = 0; i < k->len; i++)
			if ((unsigned char)k->secret[i] >= 0x80)
				/* 2.6 hashes UTF-8 length * 2 bytes of the UTF-16 form */
				return "it hashes passwords with non-ASCII characters wrongly";
	return NULL;
}

/* Ask libcryptsetup; returns 0, or a negative errno (-EPERM: wrong key). */
static int cs_activate(const char *dev, const char *name, const char *secret, size_t len,
		       uint32_t flags)
{
	struct crypt_device *cd = NULL;
	int r;

	cs_msg[0] = '\0';
	crypt_set_log_callback(NULL, cs_log, NULL);
	r = crypt_init(&cd, dev);
	if (r < 0)
		return r;
	crypt_set_log_callback(cd, cs_log, NULL);
	r = crypt_load(cd, CRYPT_BITLK, NULL);
	if (r == 0)
		r = crypt_activate_by_passphrase(cd, name, CRYPT_ANY_SLOT, secret, len, flags);
	crypt_free(cd);
	return r < 0 ? r : 0;
}

/* The secret as libcryptsetup wants it. */
static void cs_secret(const struct bitlocker_key *k, const struct bitlocker_rp *rp,
		      const char **s, size_t *len)
{
	if (k->kind == BITLOCKER_KEY_RECOVERY) {
		*s = rp->text;
		*len = strlen(rp->text);
	} else {
		*s = k->secret;
		*len = k->len;
	}
}

/* ---- check and open ---- */

static void wrong(const char *dev, const struct bitlocker_info *bi, const struct bitlocker_key *k,
		  const size_t *cand, size_t n, struct bitlocker_result *res)
{
	char ids[160] = "";
	size_t o = 0;

	res->wrong_key = 1;
	for (size_t i = 0; i < n && o < sizeof(ids) - 40; i++)
		o += (size_t)snprintf(ids + o, sizeof(ids) - o, "%s%s", i ? ", " : "",
				      bi->prot[cand[i]].guid);
	err_set("cannot unlock %s: the %s is wrong (tried key ID%s %s)", dev,
		key_kind_name(k->kind), n == 1 ? "" : "s", ids);
}

/* Common start of check and open: parse the key and find the candidates. */
static int prepare(const char *dev, const struct bitlocker_info *bi, const struct bitlocker_key *k,
		   struct bitlocker_rp *rp, size_t *cand, size_t *n, size_t *of_kind,
		   struct bitlocker_result *res)
{
	memset(res, 0, sizeof(*res));
	memset(rp, 0, sizeof(*rp));
	if (k->kind == BITLOCKER_KEY_RECOVERY &&
	    bitlocker_rp_parse(k->secret, k->len, rp, &res->bad_group) < 0) {
		char why[160];

		snprintf(why, sizeof(why), "%s", err_msg());
		res->wrong_key = 1;
		return err_set("cannot unlock %s: %s", dev, why);
	}
	*n = candidates(bi, k, cand, of_kind);
	if (*n == 0) {
		res->wrong_key = 1;
		if (*of_kind && k->guid)
			return err_set("cannot unlock %s: key ID %s is not one of its %s protectors",
				       dev, k->guid, key_kind_name(k->kind));
		return err_set("cannot unlock %s: it has no %s protector", dev,
			       key_kind_name(k->kind));
	}
	return 0;
}

static void found(const struct bitlocker_info *bi, long idx, const char *verifier,
		  struct bitlocker_result *res)
{
	snprintf(res->guid, sizeof(res->guid), "%s", bi->prot[idx].guid);
	res->kind = bi->prot[idx].kind;
	res->verifier = verifier;
}

/*
 * libcryptsetup says the key is right but not which protector took it:
 * with one candidate of the kind that is clear, else find it ourselves.
 */
static void attribute(const struct bitlocker_info *bi, const struct bitlocker_key *k,
		      const struct bitlocker_rp *rp, const size_t *cand, size_t n, size_t of_kind,
		      struct bitlocker_result *res)
{
	struct rawkey fvek;
	long idx = of_kind == 1 ? (long)cand[0] : own_try(bi, k, rp, cand, n, &fvek);

	explicit_bzero(&fvek, sizeof(fvek));
	if (idx >= 0) {
		found(bi, idx, "libcryptsetup", res);
	} else {
		found(bi, (long)cand[0], "libcryptsetup", res);
		snprintf(res->note, sizeof(res->note), "the key ID could not be told apart");
	}
}

int bitlocker_check(const char *dev, const struct bitlocker_info *bi,
		    const struct bitlocker_key *k, struct bitlocker_result *res)
{
	size_t cand[BITLOCKER_MAX_PROTECTORS], n, of_kind;
	struct bitlocker_rp rp;
	struct rawkey fvek;
	const char *refuse;
	long idx;
	int rc = -1;

	if (prepare(dev, bi, k, &rp, cand, &n, &of_kind, res) < 0)
		return -1;
	refuse = cs_refuses(bi, k);
	if (!refuse) {
		const char *s;
		size_t len;
		int r;

		cs_secret(k, &rp, &s, &len);
		r = cs_activate(dev, NULL, s, len, 0);
		if (r == 0) {
			attribute(bi, k, &rp, cand, n, of_kind, res);
			bitlocker_rp_clear(&rp);
			return 0;
		}
		if (r == -EPERM) {
			wrong(dev, bi, k, cand, n, res);
			bitlocker_rp_clear(&rp);
			return -1;
		}
		snprintf(res->note, sizeof(res->note), "libcryptsetup could not check it: %.150s",
			 cs_msg[0] ? cs_msg : strerror(-r));
	} else {
		snprintf(res->note, sizeof(res->note), "not checked by libcryptsetup: %s", refuse);
	}
	idx = own_try(bi, k, &rp, cand, n, &fvek);
	if (idx >= 0) {
		found(bi, idx, "bootfix", res);
		rc = 0;
	} else {
		wrong(dev, bi, k, cand, n, res);
	}
	explicit_bzero(&fvek, sizeof(fvek));
	bitlocker_rp_clear(&rp);
	return rc;
}

/* ---- mappings ---- */

#define MAX_LIVE 16
LIVE_TABLE(live, struct bitlocker_mapping, MAX_LIVE);



/*
 * Does the kernel have device-mapper?  Not /dev/mapper/control: libdevmapper
 * makes that node itself whether the kernel has a driver behind it or not.
 */
static int dm_available(void)
{
	char line[128];
	FILE *f = fopen("/proc/misc", "re");
	int yes = 0;

	if (!f)
		return 0;
	while (!yes && fgets(line, sizeof(line), f))
		yes = strstr(line, " device-mapper\n") != NULL;
	fclose(f);
	return yes;
}

static void dm_pick_name(const struct bitlocker_info *bi, char *name, size_t len)
{
	char id[9];

	for (int i = 0; i < 8; i++)
		id[i] = (char)(bi->volume_guid[i] >= 'A' && bi->volume_guid[i] <= 'F' ?
			       bi->volume_guid[i] - 'A' + 'a' : bi->volume_guid[i]);
	id[8] = '\0';
	snprintf(name, len, "bootfix-%s", id);
	for (int k = 2; k < 100 && crypt_status(NULL, name) != CRYPT_INACTIVE &&
	     crypt_status(NULL, name) != CRYPT_INVALID; k++)
		snprintf(name, len, "bootfix-%s-%d", id, k);
}

/* The first line dislocker printed that says something, without its time stamp. */
static void dislocker_said(int fd, char *out, size_t len)
{
	char *all = file_read_text(fd, 8192), *line, *save = NULL;

	snprintf(out, len, "dislocker-fuse exited without mounting");
	/* proc_start_daemon()'s "cannot run dislocker-fuse: cause" */
	if (all && !strncmp(all, "cannot run ", 11)) {
		proc_first_line(all, NULL, out, len);
		free(all);
		return;
	}
	for (line = all ? strtok_r(all, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *tag = strstr(line, "] ");

		if (!strstr(line, "[CRITICAL]") && !strstr(line, "[ERROR]"))
			continue;
		snprintf(out, len, "%s", tag ? tag + 2 : line);
		break;
	}
	free(all);
}

/* Overwrite and empty the memfd that carried a key to dislocker. */
static void wipe_memfd(int fd)
{
	unsigned char zero[66];

	memset(zero, 0, sizeof(zero));
	if (pwrite(fd, zero, sizeof(zero), 0) < 0)
		return;
	if (ftruncate(fd, 0) < 0)
		return;
}

/* Unmount dislocker's FUSE file system and wait for it to write back and exit. */
static int dislocker_stop(struct bitlocker_mapping *m)
{
	int rc = 0;

	/* two minutes to exit once unmounted, then SIGTERM: it flushes and exits */
	if (proc_stop_daemon(m->dir, m->pid, 120000, 1) < 0)
		rc = err_set("cannot unmount dislocker from %s: %s", m->dir, strerror(errno));
	else
		m->pid = 0;
	if (rc == 0 && m->dir[0]) {
		rmdir(m->dir);
		m->dir[0] = '\0';
	}
	return rc;
}

/*
 * Serve dev decrypted with fvek through dislocker-fuse and put a loop device
 * over it.  The key reaches dislocker as a memfd (never a file on disk nor
 * an argument anyone can read in /proc) that is wiped once it is mounted.
 */
static int dislocker_open(const char *dev, const struct rawkey *fvek, struct bitlocker_mapping *m)
{
	const char *base = runstate_dir();
	unsigned char blob[66];
	char said[256], file[sizeof(m->dir) + 32];
	char *ro[] = { "dislocker-fuse", "-r", "-V", (char *)dev, "-k", "/proc/self/fd/3", "--",
		       m->dir, "-f", "-o", "ro", NULL };
	char *rw[] = { "dislocker-fuse", "-V", (char *)dev, "-k", "/proc/self/fd/3", "--", m->dir,
		       "-f", NULL };
	struct loopdev lo;
	int keyfd, outfd, ffd, status, r;
	pid_t pid;

	if (!base || strlen(base) + 16 > sizeof(m->dir))
		return err_set("cannot open %s: %s", dev, base ? "the run folder's path is too long" :
			       err_msg());
	snprintf(m->dir, sizeof(m->dir), "%s/dl.XXXXXX", base);
	if (!mkdtemp(m->dir)) {
		m->dir[0] = '\0';
		return err_set("cannot open %s: cannot make a mount point in %s: %s", dev, base,
			       strerror(errno));
	}
	keyfd = memfd_create("bootfix-fvek", MFD_CLOEXEC);
	outfd = memfd_create("dislocker", MFD_CLOEXEC);
	memset(blob, 0, sizeof(blob));
	blob[0] = (unsigned char)(fvek->method & 0xff);
	blob[1] = (unsigned char)(fvek->method >> 8);
	memcpy(blob + 2, fvek->key, fvek->len);
	if (keyfd < 0 || outfd < 0 || file_writeall(keyfd, blob, sizeof(blob)) < 0) {
		int e = errno;

		explicit_bzero(blob, sizeof(blob));
		if (keyfd >= 0)
			close(keyfd);
		if (outfd >= 0)
			close(outfd);
		rmdir(m->dir);
		m->dir[0] = '\0';
		return err_set("cannot open %s: %s", dev, strerror(e));
	}
	explicit_bzero(blob, sizeof(blob));
	/* its own process group: a Ctrl-C meant for us must not kill it under ntfs-3g */
	pid = proc_start_daemon(m->readonly ? ro : rw, outfd, keyfd);
	if (pid < 0) {
		int e = errno;

		close(keyfd);
		close(outfd);
		rmdir(m->dir);
		m->dir[0] = '\0';
		return err_set("cannot open %s: cannot start dislocker-fuse: %s", dev, strerror(e));
	}
	m->pid = pid;
	r = proc_wait_mount(m->dir, pid, 60000, &status);
	if (r < 0) {
		if (r == PROC_TIMED_OUT)
			snprintf(said, sizeof(said), "it did not mount within 60 seconds");
		else
			dislocker_said(outfd, said, sizeof(said));
		m->pid = 0;
		wipe_memfd(keyfd);
		close(keyfd);
		close(outfd);
		rmdir(m->dir);
		m->dir[0] = '\0';
		return err_set("cannot open %s with dislocker: %s", dev, said);
	}
	/* dislocker has read the key: wipe it from the memfd before closing */
	wipe_memfd(keyfd);
	close(keyfd);
	close(outfd);
	/* a loop device over its file: no partition scan, this is a volume */
	snprintf(file, sizeof(file), "%s/dislocker-file", m->dir);
	ffd = file_open(AT_FDCWD, file, m->readonly ? O_RDONLY : O_RDWR, 0);
	if (ffd < 0) {
		err_set("cannot open %s: %s", file, strerror(errno));
	} else {
		if (disk_loop_attach(ffd, file, m->device, m->readonly, 0, &lo) == 0) {
			m->loopfd = lo.fd;
			snprintf(m->path, sizeof(m->path), "%s", lo.path);
		}
		close(ffd);
	}
	if (m->loopfd < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err_msg());
		dislocker_stop(m);
		return err_set("cannot open %s: %s", dev, why);
	}
	m->via = BITLOCKER_VIA_DISLOCKER;
	return 0;
}

static int dislocker_installed(void)
{
	const char *path = getenv("PATH");
	char buf[4096], *dir, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char p[4200];

		snprintf(p, sizeof(p), "%s/dislocker-fuse", dir);
		if (access(p, X_OK) == 0)
			return 1;
	}
	return 0;
}

int bitlocker_open(const char *dev, const struct bitlocker_info *bi,
		   const struct bitlocker_key *k, int readonly, struct bitlocker_mapping *m,
		   struct bitlocker_result *res)
{
	size_t cand[BITLOCKER_MAX_PROTECTORS], n, of_kind;
	struct bitlocker_rp rp;
	struct rawkey fvek;
	char why[200], csnote[200] = "";
	const char *refuse;
	long idx;
	int rc;

	memset(m, 0, sizeof(*m));
	m->loopfd = -1;
	m->readonly = readonly;
	snprintf(m->device, sizeof(m->device), "%s", dev);
	if (bitlocker_converting(bi, why, sizeof(why))) {
		memset(res, 0, sizeof(*res));
		return err_set("cannot unlock %s: %s; nothing was changed: start Windows (or its "
			       "recovery environment) and let BitLocker finish, then try again",
			       dev, why);
	}
	if (prepare(dev, bi, k, &rp, cand, &n, &of_kind, res) < 0)
		return -1;
	refuse = cs_refuses(bi, k);
	if (!refuse && dm_available()) {
		const char *s;
		size_t len;
		int r;

		dm_pick_name(bi, m->dm_name, sizeof(m->dm_name));
		cs_secret(k, &rp, &s, &len);
		r = cs_activate(dev, m->dm_name, s, len, readonly ? CRYPT_ACTIVATE_READONLY : 0);
		if (r == 0) {
			snprintf(m->path, sizeof(m->path), "/dev/mapper/%s", m->dm_name);
			m->via = BITLOCKER_VIA_DM;
			live_track(&live, m, 1);
			attribute(bi, k, &rp, cand, n, of_kind, res);
			bitlocker_rp_clear(&rp);
			return 0;
		}
		m->dm_name[0] = '\0';
		if (r == -EPERM) {
			wrong(dev, bi, k, cand, n, res);
			bitlocker_rp_clear(&rp);
			return -1;
		}
		snprintf(csnote, sizeof(csnote), "%.150s", cs_msg[0] ? cs_msg : strerror(-r));
	} else {
		snprintf(csnote, sizeof(csnote), "%s", refuse ? refuse : "device-mapper is not available");
	}
	idx = own_try(bi, k, &rp, cand, n, &fvek);
	bitlocker_rp_clear(&rp);
	if (idx < 0) {
		wrong(dev, bi, k, cand, n, res);
		return -1;
	}
	found(bi, idx, "bootfix", res);
	snprintf(res->note, sizeof(res->note), "libcryptsetup could not map it (%s): mapped "
		 "through dislocker", csnote);
	if (!dislocker_installed()) {
		explicit_bzero(&fvek, sizeof(fvek));
		return err_set("cannot unlock %s: the key is right but libcryptsetup could not map "
			       "it (%s) and dislocker-fuse is not installed (apt-get install "
			       "dislocker)", dev, csnote);
	}
	rc = dislocker_open(dev, &fvek, m);
	explicit_bzero(&fvek, sizeof(fvek));
	if (rc < 0)
		return -1;
	live_track(&live, m, 1);
	return 0;
}

int bitlocker_close(struct bitlocker_mapping *m)
{
	int rc = 0;

	if (m->via == BITLOCKER_VIA_DM && m->dm_name[0]) {
		struct crypt_device *cd = NULL;
		int r = -ENODEV;

		for (int tries = 0; tries < 50; tries++) {
			r = crypt_init_by_name(&cd, m->dm_name);
			if (r == 0) {
				r = crypt_deactivate(cd, m->dm_name);
				crypt_free(cd);
				cd = NULL;
			}
			if (r != -EBUSY)
				break;
			proc_sleep_ms(100);
		}
		if (r < 0 && r != -ENODEV)
			return err_set("cannot close %s: %s", m->path, strerror(-r));
		m->dm_name[0] = '\0';
	} else if (m->via == BITLOCKER_VIA_DISLOCKER) {
		disk_loop_detach(&m->loopfd);
		rc = dislocker_stop(m);
		if (rc < 0)
			return -1;
	}
	m->via = BITLOCKER_VIA_NONE;
	m->path[0] = '\0';
	live_track(&live, m, 0);
	sync();
	return rc;
}

void bitlocker_no_core_dumps(void)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void bitlocker_adopt(struct bitlocker_mapping *m)
{
	live_adopt(&live, m);
}

void bitlocker_close_all(void)
{
	for (size_t i = 0; i < live.n; i++)
		if (live.slot[i])
			bitlocker_close(live.slot[i]);
}
