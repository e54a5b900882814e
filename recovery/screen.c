/*
 * screen.c - escaped drawing for the curses fronts (see screen.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <langinfo.h>
#include <locale.h>
#include <wchar.h>

#include <curses.h>

#include "screen.h"
#include "text.h"

/*
 * The columns the character at s takes (wcwidth: 2 for CJK, 0 for a
 * combining mark), and in *len its bytes.  A byte that is no character in
 * this locale takes one column (it is shown escaped).
 */
static int char_cols(const char *s, size_t *len)
{
	mbstate_t st;
	wchar_t wc;
	size_t n;
	int w;

	memset(&st, 0, sizeof(st));
	n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*len = 1;
		return 1;
	}
	*len = n;
	w = wcwidth(wc);
	return w < 0 ? 1 : w;
}

/* Bytes of the longest start of s that fits in cols columns; *used the columns. */
static size_t bytes_in_cols(const char *s, int cols, int *used)
{
	size_t i = 0, len;
	int c = 0;

	while (s[i]) {
		int w = char_cols(s + i, &len);

		if (c + w > cols)
			break;
		c += w;
		i += len;
	}
	if (used)
		*used = c;
	return i;
}

/* Columns of s[0..n). */
static int cols_in(const char *s, size_t n)
{
	size_t i = 0, len;
	int c = 0;

	while (i < n && s[i]) {
		c += char_cols(s + i, &len);
		i += len;
	}
	return c;
}

/*
 * Without a UTF-8 locale (a vt100 on the serial line) a byte >= 0x80 is no
 * character the terminal shows in one column: '?' instead, in place.
 */
static void ascii_only(char *s)
{
	if (!strcmp(nl_langinfo(CODESET), "UTF-8"))
		return;
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			*s = '?';
}

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
		ascii_only(safe);
	}
	/* count columns, not bytes: cut where the screen ends, never inside a
	   character (a wide one that does not fit is left out) */
	bytes = bytes_in_cols(safe, room, &chars);
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


/*
 * Where to break the line that starts at s, at most width characters:
 * after the last space that fits, else after the last '\' or '/' (a path),
 * else at width (a hash or a word longer than a line: the only cut inside
 * a word).  Returns the bytes of the line; *skip the spaces after it.
 */
static size_t line_break(const char *s, int width, size_t *skip)
{
	size_t fit = bytes_in_cols(s, width, NULL), cut = 0;

	*skip = 0;
	if (!s[fit] || s[fit] == ' ') {
		cut = fit;
	} else {
		for (size_t i = fit; i > 0 && !cut; i--)
			if (s[i - 1] == ' ')
				cut = i - 1;
		if (cut) {
			/* a word that will not fit a line anyway (a path) is not
			   moved to the next line: it is broken where it must */
			size_t w = cut + 1, e = w;

			while (s[e] && s[e] != ' ')
				e++;
			if (cols_in(s + w, e - w) > width)
				cut = 0;
		}
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
	ascii_only(safe);
	if (width > COLS - 1 - x)
		width = COLS - 1 - x;
	for (s = safe; *s && lines < maxlines && width > 0; lines++) {
		size_t skip, n = line_break(s, width, &skip);
		int last = lines + 1 == maxlines && s[n + skip];

		if (move(y + lines, x) == ERR)
			break;
		if (last && width > 3) {
			/* more than fits: say so rather than cut silently */
			if (cols_in(s, n) > width - 3)
				n = bytes_in_cols(s, width - 3, NULL);
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

const char *screen_cell(const char *s, int width, char *buf, size_t len)
{
	char safe[1024];
	size_t n;
	int cols;

	if (len < 2 || width < 1) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	text_safe_buf(s ? s : "", safe, sizeof(safe));
	ascii_only(safe);
	n = bytes_in_cols(safe, width, &cols);
	if (safe[n]) {
		/* cut: one column less, and the mark */
		n = bytes_in_cols(safe, width - 1, &cols);
		if (n + 2 > len)
			n = len - 2;
		memcpy(buf, safe, n);
		buf[n++] = '~';
		cols++;
	} else {
		if (n + 1 > len)
			n = len - 1;
		memcpy(buf, safe, n);
	}
	while (cols < width && n + 1 < len) {
		buf[n++] = ' ';
		cols++;
	}
	buf[n] = '\0';
	return buf;
}

void screen_locale(void)
{
	const char *t = getenv("TERM") ? getenv("TERM") : "";

	setlocale(LC_ALL, "");
	/* the stick's init sets no LANG: names like MÜLLER-PC or Büro need
	   UTF-8 on the terminals that have it; elsewhere (vt100, vt220) other
	   bytes are drawn as '?' */
	if (strcmp(nl_langinfo(CODESET), "UTF-8") &&
	    (!strncmp(t, "linux", 5) || !strncmp(t, "xterm", 5) || !strncmp(t, "screen", 6) ||
	     !strncmp(t, "tmux", 4) || !strncmp(t, "rxvt", 4)))
		setlocale(LC_CTYPE, "C.UTF-8");
}
