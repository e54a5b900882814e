/*
 * utc.c - UTC time formatting and parsing (see utc.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "utc.h"

/*
 * A time from a volume is hostile: NTFS holds years up to 30828, whose
 * five digits do not fit, and strftime() then leaves buf unterminated.
 */
static char *format(time_t t, int compact, char *buf)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999 ||
	    !(compact ? strftime(buf, UTC_LEN, "%Y%m%dT%H%M%SZ", &tm) :
	      strftime(buf, UTC_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm)))
		snprintf(buf, UTC_LEN, "%s", UTC_OUT_OF_RANGE);
	return buf;
}

char *utc_format(time_t t, char *buf)
{
	return format(t, 0, buf);
}

char *utc_compact(time_t t, char *buf)
{
	return format(t, 1, buf);
}

int utc_parse(const char *s, time_t *t)
{
	struct tm tm;
	int y, mo, d, h, mi, sec = 0, n = 0;
	const char *rest;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	if (s[10] != 'T' && s[10] != ' ')
		return -1;
	rest = s + 11;
	if (sscanf(rest, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
		return -1;
	rest += 5;
	if (*rest == ':') {
		if (sscanf(rest + 1, "%2d%n", &sec, &n) != 1 || n != 2)
			return -1;
		rest += 3;
	}
	if (strcmp(rest, "Z") != 0 && strcasecmp(rest, " UTC") != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1601)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = timegm(&tm);
	/* timegm normalises 2024-02-31 silently: reject dates that moved */
	{
		struct tm back;

		gmtime_r(t, &back);
		if (back.tm_mday != d || back.tm_mon != mo - 1)
			return -1;
	}
	return 0;
}
