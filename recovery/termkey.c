/*
 * termkey.c - keys from the raw bytes a terminal sends (see termkey.h).
 *
 * Sources for the sequences: infocmp of vt100, vt220, linux, xterm, screen,
 * tmux-256color and rxvt; xterm's ctlseqs ("PC-Style Function Keys", "VT220-
 * Style Function Keys", "VT100 Keypad"); the VT100 and VT220 programmer
 * references (keypad application mode: ESC O p..y for 0-9).
 */
#include <string.h>

#include "termkey.h"

#define ESC	0x1b
#define C1_SS3	0x8f
#define C1_CSI	0x9b

/* What an overlong sequence is (struct termkey's skipping): 0 is none. */
enum seq_kind { SEQ_CSI = 1, SEQ_SS3 };

/* 1 when b may be inside a sequence of this kind, before its final byte. */
static int seq_middle(enum seq_kind kind, unsigned char b)
{
	if (kind == SEQ_CSI)
		return b >= 0x20 && b <= 0x3f && b != '$';
	return b >= 0x30 && b <= 0x3f;
}

/* The first parameter of a CSI: -1 when absent, capped at 1000. */
static int first_param(const unsigned char *p, size_t n)
{
	int v = -1;

	for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		v = (v < 0 ? 0 : v) * 10 + (p[i] - '0');
		if (v > 1000)
			v = 1000;
	}
	return v;
}

/* Keys whose CSI ends in '~' (rxvt: '$', '^', '@'), by the first parameter. */
static int tilde_key(int num)
{
	switch (num) {
	case 1: case 7:
		return TERMKEY_HOME;
	case 2:
		return TERMKEY_INSERT;
	case 3:
		return TERMKEY_DELETE;
	case 4: case 8:
		return TERMKEY_END;
	case 5:
		return TERMKEY_PGUP;
	case 6:
		return TERMKEY_PGDN;
	}
	if (num >= 11 && num <= 15)	/* vt220 emulators, rxvt: F1-F5 */
		return TERMKEY_F(num - 10);
	if (num >= 17 && num <= 21)
		return TERMKEY_F(num - 11);
	if (num >= 23 && num <= 26)
		return TERMKEY_F(num - 12);
	if (num >= 28 && num <= 29)	/* vt220 Help, Do */
		return TERMKEY_F(num - 13);
	if (num >= 31 && num <= 34)
		return TERMKEY_F(num - 14);
	return TERMKEY_IGNORED;
}

/* Keys that both CSI and SS3 end with a letter (rxvt: lower case = Shift/Ctrl). */
static int letter_key(unsigned char f)
{
	switch (f) {
	case 'A': case 'a':
		return TERMKEY_UP;
	case 'B': case 'b':
		return TERMKEY_DOWN;
	case 'C': case 'c':
		return TERMKEY_RIGHT;
	case 'D': case 'd':
		return TERMKEY_LEFT;
	case 'H':
		return TERMKEY_HOME;
	case 'F':
		return TERMKEY_END;
	case 'P': case 'Q': case 'R': case 'S':
		return TERMKEY_F(f - 'P' + 1);
	}
	return TERMKEY_IGNORED;
}

static int csi_key(const unsigned char *params, size_t np, unsigned char f)
{
	int num;

	/*
	 * Keys carry digits, ';' and ':' only; an intermediate (0x20-0x2f) or
	 * a private marker (< = > ?) is a reply to a query or garbage.
	 */
	for (size_t i = 0; i < np; i++)
		if (params[i] < '0' || params[i] >= '<')
			return TERMKEY_IGNORED;
	num = first_param(params, np);
	if (f == '~' || f == '$' || f == '^' || f == '@')
		return tilde_key(num);
	/*
	 * A letter key carries no number or 1 (ESC [1;5A is Ctrl-Up); any
	 * other number is something else: ESC [12;40R is a cursor report,
	 * not Shift-F3.
	 */
	if (num > 1)
		return TERMKEY_IGNORED;
	if (f == 'Z')
		return TERMKEY_BTAB;
	return letter_key(f);
}

/* The keypad in application mode, and the SS3 forms of cursor and PF keys. */
static int ss3_key(unsigned char f)
{
	static const char keypad[] = "*+,-./0123456789";	/* ESC O j .. ESC O y */

	if (f >= 'j' && f <= 'y')
		return (unsigned char)keypad[f - 'j'];
	switch (f) {
	case 'M':
		return TERMKEY_ENTER;
	case 'X':
		return '=';
	case 'I':
		return '\t';
	}
	return letter_key(f);
}

/*
 * A CSI or SS3 whose introducer takes buf[0..start); buf[start..n) is what
 * follows.  Sets *used and returns the key, TERMKEY_IGNORED or
 * TERMKEY_INCOMPLETE.
 */
static int sequence(struct termkey *tk, enum seq_kind kind, const unsigned char *buf,
		    size_t n, size_t start, int final, size_t *used)
{
	size_t i = start;

	/* linux console: ESC [ [ A..E are F1-F5 */
	if (kind == SEQ_CSI && i < n && buf[i] == '[') {
		if (i + 1 == n) {
			*used = final ? n : 0;
			return final ? TERMKEY_IGNORED : TERMKEY_INCOMPLETE;
		}
		if (buf[i + 1] < 0x20 || buf[i + 1] > 0x7e) {
			*used = i + 1;
			return TERMKEY_IGNORED;
		}
		*used = i + 2;
		if (buf[i + 1] >= 'A' && buf[i + 1] <= 'E')
			return TERMKEY_F(buf[i + 1] - 'A' + 1);
		return TERMKEY_IGNORED;
	}
	/*
	 * Parameters and intermediates, in any order (only a known key's
	 * order is decoded, but a garbled one is still ignored whole).  rxvt
	 * ends Shift+key with '$', an intermediate byte: it is taken as final.
	 */
	while (i < n && seq_middle(kind, buf[i]))
		i++;
	if (i == n) {
		/* no final byte yet */
		if (n >= TERMKEY_SEQ_MAX) {
			tk->skipping = final ? 0 : (int)kind;
			*used = n;
			return TERMKEY_IGNORED;
		}
		*used = final ? n : 0;
		return final ? TERMKEY_IGNORED : TERMKEY_INCOMPLETE;
	}
	if (buf[i] < 0x20 || buf[i] > 0x7e) {
		/* a byte that cannot be in a sequence: the sequence is broken */
		*used = i;
		return TERMKEY_IGNORED;
	}
	*used = i + 1;
	if (i + 1 > TERMKEY_SEQ_MAX)
		return TERMKEY_IGNORED;
	if (kind == SEQ_CSI)
		return csi_key(buf + start, i - start, buf[i]);
	return ss3_key(buf[i]);
}

/* Drops the rest of an overlong sequence; returns the bytes dropped. */
static size_t skip(struct termkey *tk, const unsigned char *buf, size_t n, int final)
{
	size_t i = 0;

	while (i < n && seq_middle(tk->skipping, buf[i]))
		i++;
	if (i < n) {
		if (buf[i] >= 0x20 && buf[i] <= 0x7e)
			i++;	/* its final byte */
		tk->skipping = 0;
	} else if (final) {
		tk->skipping = 0;	/* a pause: what comes next is typed */
	}
	return i;
}

/* 1 when b, first in the buffer, introduces an 8-bit CSI or SS3. */
static int c1_introducer(const struct termkey *tk, unsigned char b)
{
	if (b != C1_CSI && b != C1_SS3)
		return 0;
	return !(tk->flags & TERMKEY_UTF8) || tk->utf8_left == 0;
}

/* Follows UTF-8 text byte b: how many continuation bytes are still due. */
static void utf8_track(struct termkey *tk, unsigned char b)
{
	if (b >= 0x80 && b < 0xc0)
		tk->utf8_left = tk->utf8_left > 0 ? tk->utf8_left - 1 : 0;
	else if (b >= 0xc2 && b <= 0xdf)
		tk->utf8_left = 1;
	else if (b >= 0xe0 && b <= 0xef)
		tk->utf8_left = 2;
	else if (b >= 0xf0 && b <= 0xf4)
		tk->utf8_left = 3;
	else
		tk->utf8_left = 0;
}

static int decode(struct termkey *tk, const unsigned char *buf, size_t n, int final,
		  size_t *used)
{
	unsigned char b = buf[0];

	*used = 1;
	if (b == ESC) {
		if (n == 1) {
			*used = final;
			return final ? TERMKEY_ESC : TERMKEY_INCOMPLETE;
		}
		if (buf[1] == '[')
			return sequence(tk, SEQ_CSI, buf, n, 2, final, used);
		if (buf[1] == 'O')
			return sequence(tk, SEQ_SS3, buf, n, 2, final, used);
		if (buf[1] == '\t') {	/* linux console: Shift-Tab */
			*used = 2;
			return TERMKEY_BTAB;
		}
		if (buf[1] && strchr("]PX^_", buf[1])) {
			/* a string's start (OSC, DCS, SOS, PM, APC): no key */
			*used = 2;
			return TERMKEY_IGNORED;
		}
		/* ESC ESC, ESC then Enter, ESC then a letter or digit (Esc typed
		   just before a key, or Alt+key): Esc, then the next key; never a
		   key lost */
		return TERMKEY_ESC;
	}
	if (c1_introducer(tk, b))
		return sequence(tk, b == C1_CSI ? SEQ_CSI : SEQ_SS3, buf, n, 1, final, used);
	if (b >= 0x80) {
		/* UTF-8 text; without UTF-8, C1 controls are no key */
		if (!(tk->flags & TERMKEY_UTF8) && b < 0xa0)
			return TERMKEY_IGNORED;
		return b;
	}
	switch (b) {
	case 0:
		return TERMKEY_IGNORED;
	case '\r':
		if (n > 1 && buf[1] == '\n')
			*used = 2;
		return TERMKEY_ENTER;
	case '\n':
		return tk->after_cr ? TERMKEY_IGNORED : TERMKEY_ENTER;
	case 0x7f:
	case '\b':
		return TERMKEY_BACKSPACE;
	}
	return b;
}

void termkey_init(struct termkey *tk, int flags)
{
	memset(tk, 0, sizeof(*tk));
	tk->flags = flags;
}

int termkey_decode(struct termkey *tk, const unsigned char *buf, size_t n, int final,
		   size_t *used)
{
	int key, text8;

	*used = 0;
	if (tk->skipping) {
		*used = skip(tk, buf, n, final);
		if (*used) {
			tk->after_cr = 0;
			return TERMKEY_IGNORED;
		}
	}
	if (n == 0)
		return TERMKEY_NONE;
	text8 = buf[0] >= 0x80 && !c1_introducer(tk, buf[0]);
	key = decode(tk, buf, n, final, used);
	if (*used == 0)
		return key;
	/* the state follows the bytes used, and only them */
	tk->after_cr = buf[*used - 1] == '\r';
	if (text8)
		utf8_track(tk, buf[0]);
	else
		tk->utf8_left = 0;
	return key;
}

int termkey_push(struct termkey *tk, unsigned char byte)
{
	if (tk->len >= sizeof(tk->buf))
		return -1;
	tk->buf[tk->len++] = byte;
	return 0;
}

int termkey_next(struct termkey *tk, int final)
{
	size_t used;
	int key;

	for (;;) {
		key = termkey_decode(tk, tk->buf, tk->len, final, &used);
		if (key == TERMKEY_NONE || key == TERMKEY_INCOMPLETE)
			return TERMKEY_NONE;
		memmove(tk->buf, tk->buf + used, tk->len - used);
		tk->len -= used;
		if (key != TERMKEY_IGNORED)
			return key;
	}
}
