/*
 * bitlocker_bek.c - startup key files (*.BEK): the file Windows saves to a
 * USB stick for a startup-key protector, holding that protector's GUID and
 * its 256-bit key.
 */
#include <string.h>

#include "bitlocker_internal.h"
#include "err.h"

int bitlocker_bek_parse(const unsigned char *buf, size_t len, const char *name,
			char guid[BITLOCKER_GUID_LEN], unsigned char key[32])
{
	const unsigned char *p, *end;
	size_t sz;

	/* a 48-byte header like the FVE metadata header, then one startup-key entry */
	if (len < FVE_HEADER + ENTRY_HEADER + 24 || le32(buf) != len || le32(buf + 4) != 1 ||
	    le32(buf + 8) != FVE_HEADER)
		return err_set("cannot read startup key %s: not a BitLocker .BEK file", name);
	bitlocker_guid_format(buf + 16, guid);
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
