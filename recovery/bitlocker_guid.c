/*
 * bitlocker_guid.c - GUIDs, the key IDs Windows' recovery screen and the
 * AD / Entra / Intune / MBAM consoles show: written as Windows stores
 * them, parsed however a person or an export writes them (braces, any
 * case, only the first 8 characters), and matched.
 */
#include <stdio.h>
#include <string.h>

#include "bitlocker_internal.h"

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
