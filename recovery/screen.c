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
	/* the last column stays blank: a line written to its end may be taken
	   as wrapping into the next one (a terminal's auto-margin, tmux -J) */
	int room = COLS - 1 - getcurx(stdscr), chars = 0, rc;

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

/* Characters (not bytes) in s[0..n). */
static int chars_in(const char *s, size_t n)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Bytes of the first `chars` characters of s. */
static size_t bytes_of(const char *s, int chars)
{
	size_t i = 0;

	while (s[i] && chars-- > 0) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
	}
	return i;
}

/*
 * Where to break the line that starts at s, at most width characters:
 * after the last space that fits, else after the last '\' or '/' (a path),
 * else at width (a hash or a word longer than a line: the only cut inside
 * a word).  Returns the bytes of the line; *skip the spaces after it.
 */
static size_t line_break(const char *s, int width, size_t *skip)
{
	size_t fit = bytes_of(s, width), cut = 0;

	*skip = 0;
	if (!s[fit] || s[fit] == ' ') {
		cut = fit;
	} else {
		for (size_t i = fit; i > 0 && !cut; i--)
			if (s[i - 1] == ' ')
				cut = i - 1;
		if (!cut)
			for (size_t i = fit; i > 0 && !cut; i--)
				if (s[i - 1] == '\\' || s[i - 1] == '/')
					cut = i;
		if (!cut)
			cut = fit;
	}
	while (s[cut + *skip] == ' ')
		(*skip)++;
	return cut;
}

int screen_wrap(int y, int x, int width, int maxlines, const char *fmt, ...)
{
	char *raw = NULL, *safe, *s;
	size_t len;
	int lines = 0;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&raw, fmt, ap) < 0)
		raw = NULL;
	va_end(ap);
	if (!raw)
		return 0;
	len = strlen(raw) * 6 + 1;
	safe = malloc(len);
	if (!safe) {
		free(raw);
		return 0;
	}
	text_safe_buf(raw, safe, len);	/* escaped first: widths are what is drawn */
	free(raw);
	if (width > COLS - 1 - x)
		width = COLS - 1 - x;
	for (s = safe; *s && lines < maxlines && width > 0; lines++) {
		size_t skip, n = line_break(s, width, &skip);
		int last = lines + 1 == maxlines && s[n + skip];

		if (move(y + lines, x) == ERR)
			break;
		if (last && width > 3) {
			/* more than fits: say so rather than cut silently */
			n = bytes_of(s, width - 3 < chars_in(s, n) ? width - 3 : chars_in(s, n));
			addnstr(s, (int)n);
			addstr("...");
		} else {
			addnstr(s, (int)n);
		}
		s += n + skip;
	}
	free(safe);
	return lines;
}
