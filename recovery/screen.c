/*
 * screen.c - escaped drawing for the curses fronts (see screen.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "screen.h"
#include "text.h"

/* Draw s at the cursor, at most the columns left on this line. */
static int draw(const char *s)
{
	char *safe;
	size_t len = strlen(s) * 6 + 1, bytes = 0;
	int room = COLS - getcurx(stdscr), chars = 0, rc;

	if (room <= 0)
		return ERR;
	safe = malloc(len);
	if (!safe)
		return ERR;
	text_safe_buf(s, safe, len);
	/* count characters, not bytes: cut where the screen ends */
	while (safe[bytes] && chars < room) {
		bytes++;
		while ((safe[bytes] & 0xc0) == 0x80)
			bytes++;
		chars++;
	}
	rc = addnstr(safe, (int)bytes);
	free(safe);
	return rc;
}

static int vdraw(const char *fmt, va_list ap)
{
	char *s = NULL;
	int rc;

	if (vasprintf(&s, fmt, ap) < 0)
		return ERR;
	rc = draw(s);
	free(s);
	return rc;
}

int screen_mvprintw(int y, int x, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (move(y, x) == ERR)
		return ERR;
	va_start(ap, fmt);
	rc = vdraw(fmt, ap);
	va_end(ap);
	return rc;
}

int screen_printw(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vdraw(fmt, ap);
	va_end(ap);
	return rc;
}
