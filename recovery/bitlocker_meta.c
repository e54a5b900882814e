/*
 * bitlocker_meta.c - reading a BitLocker volume's FVE metadata: which of
 * the three copies is intact, the key protectors with their GUIDs (the key
 * IDs), the encrypted keys, the description, and whether BitLocker is still
 * converting the volume.  Every offset and length read is checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitlocker_internal.h"
#include "err.h"
#include "file.h"
#include "text.h"

static const unsigned char guid_normal[16] = {
	0x3b, 0xd6, 0x67, 0x49, 0x29, 0x2e, 0xd8, 0x4a,
	0x83, 0x99, 0xf6, 0xa3, 0x39, 0xe3, 0xd0, 0x01,
};
static const unsigned char guid_eow[16] = {
	0x3b, 0x4d, 0xa8, 0x92, 0x80, 0xdd, 0x0e, 0x4d,
	0x9e, 0x4e, 0xb1, 0xe3, 0x28, 0x4e, 0xae, 0xd8,
};

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
	bitlocker_guid_format(p, pr->guid);
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
			text_utf16_to_utf8(q + ENTRY_HEADER, sz - ENTRY_HEADER, pr->name,
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
	bitlocker_guid_format(buf + FVE_BLOCK_HEADER + 16, bi->volume_guid);
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
			text_utf16_to_utf8(p + ENTRY_HEADER, sz - ENTRY_HEADER, bi->description,
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

size_t bitlocker_recovery_ids(const struct bitlocker_info *bi, const char *sep, int with_short,
			      char *buf, size_t len)
{
	size_t o = 0, n = 0;

	if (!len)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; i < bi->nprot; i++) {
		const char *id = bi->prot[i].guid;
		char one[2 * BITLOCKER_GUID_LEN + 16];
		int k;

		if (bi->prot[i].kind != BITLOCKER_RECOVERY_PASSWORD)
			continue;
		k = snprintf(one, sizeof(one), "%s%s%s%.8s%s", n ? sep : "", id,
			     with_short ? " (" : "", with_short ? id : "", with_short ? ")" : "");
		if (k < 0 || (size_t)k >= sizeof(one) || o + (size_t)k >= len)
			continue;
		memcpy(buf + o, one, (size_t)k + 1);
		o += (size_t)k;
		n++;
	}
	return n;
}
