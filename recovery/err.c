/*
 * err.c - keeps the last error message of the engine (see err.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

static char msg[1024];

int err_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
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
