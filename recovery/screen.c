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
	{
		/* a "%.*s" in the caller's format may have cut the last character
		   short: drop its bytes rather than show them as \xNN */
		size_t n = strlen(s), k = n;

		while (k > 0 && n - k < 3 && ((unsigned char)s[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > 0 && (unsigned char)s[k - 1] >= 0xc0) {
			size_t need = (unsigned char)s[k - 1] >= 0xf0 ? 4 :
				      (unsigned char)s[k - 1] >= 0xe0 ? 3 : 2;

			if (n - (k - 1) < need)
				n = k - 1;
		}
		char *cut = strndup(s, n);

		text_safe_buf(cut ? cut : s, safe, len);
		free(cut);
	}
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
