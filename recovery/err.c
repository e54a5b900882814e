/*
 * err.c - keeps the last error message of the engine, one per thread,
 * and makes causes from lower layers read like our messages (see err.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

#define ERR_MAX 1024

static _Thread_local char msg[ERR_MAX];

int err_set(const char *fmt, ...)
{
	char fresh[ERR_MAX];
	va_list ap;

	/* format aside first: an argument may be err_msg() itself */
	va_start(ap, fmt);
	vsnprintf(fresh, sizeof(fresh), fmt, ap);
	va_end(ap);
	memcpy(msg, fresh, sizeof(msg));
	return -1;
}

int err_wrap(const char *fmt, ...)
{
	char fresh[ERR_MAX], cause[ERR_MAX];
	va_list ap;
	int n;

	snprintf(cause, sizeof(cause), "%s", err_msg());
	va_start(ap, fmt);
	n = vsnprintf(fresh, sizeof(fresh), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n + 2 < sizeof(fresh)) {
		size_t room = sizeof(fresh) - (size_t)n - 3, len = strlen(cause);

		if (len > room)
			len = room;
		memcpy(fresh + n, ": ", 2);
		memcpy(fresh + n + 2, cause, len);
		fresh[(size_t)n + 2 + len] = '\0';
	}
	memcpy(msg, fresh, sizeof(msg));
	return -1;
}

const char *err_msg(void)
{
	return msg[0] ? msg : "unknown error";
}

void err_clear(void)
{
	msg[0] = '\0';
}

char *err_lower_first(char *s)
{
	if (s && s[0] >= 'A' && s[0] <= 'Z' && ((s[1] >= 'a' && s[1] <= 'z') || s[1] == ' '))
		s[0] = (char)(s[0] - 'A' + 'a');
	return s;
}

const char *err_cause(int e)
{
	static _Thread_local char buf[4][128];
	static _Thread_local unsigned k;
	char *b = buf[k++ % 4];

	snprintf(b, sizeof(buf[0]), "%s", strerror(e));
	return err_lower_first(b);
}
