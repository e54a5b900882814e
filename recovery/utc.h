/*
 * utc.h - the only time format bootfix prints or reads: UTC, ISO-8601.
 */
#ifndef BOOTFIX_UTC_H
#define BOOTFIX_UTC_H

#include <time.h>

#define UTC_LEN 21	/* "2024-07-19T04:09:00Z" + NUL */

/* What the formatters write for a time outside the years 0-9999. */
#define UTC_OUT_OF_RANGE "out-of-range"

/*
 * Format t as "YYYY-MM-DDTHH:MM:SSZ" into buf (UTC_LEN bytes); returns buf,
 * always terminated (UTC_OUT_OF_RANGE for a year outside 0-9999).
 */
char *utc_format(time_t t, char *buf);

/* Format t as "YYYYMMDDTHHMMSSZ" (for folder names) into buf, likewise. */
char *utc_compact(time_t t, char *buf);

/*
 * Parse "YYYY-MM-DD[T ]HH:MM[:SS](Z| UTC)".  The zone is required, so a
 * rule author cannot mean local time by accident.  Returns 0 or -1.
 */
int utc_parse(const char *s, time_t *t);

#endif
