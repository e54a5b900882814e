/*
 * bitlocker_text.c - the text in BitLocker's formats: GUIDs, as the key
 * IDs Windows' recovery screen and the AD / Entra / Intune / MBAM consoles
 * show, parsed however a person or an export writes them; and UTF-16
 * strings (names and descriptions in the metadata, CSV exports saved by
 * PowerShell, passwords to hash).
 */
#include <stdio.h>
#include <string.h>

#include "bitlocker_internal.h"

/* ---- GUIDs (key IDs) ---- */

void bitlocker_guid_format(const unsigned char *g, char out[BITLOCKER_GUID_LEN])
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

long bitlocker_utf8_to_utf16(const unsigned char *s, size_t len, unsigned char *out,
			     size_t outlen)
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
