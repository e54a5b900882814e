/*
 * finding.c - small helpers for struct finding (see finding.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finding.h"

void finding_free(struct finding *f)
{
	free(f->path);
	free(f->rule);
	free(f->result);
	free(f->moved_to);
	free(f->why);
	memset(f, 0, sizeof(*f));
}

void finding_result(struct finding *f, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(f->result);
	f->result = s;
}
