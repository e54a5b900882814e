/*
 * termkey.h - keys from the raw bytes a terminal sends.
 *
 * The menu turns ncurses' own key decoding off (keypad(stdscr, FALSE)) and
 * gives every byte it reads to this decoder, because on a serial line the
 * terminfo entry cannot be trusted: vt100's maps the keypad's application
 * codes ESC O t..x to F5..F10, and a sequence an entry does not list
 * (vt220's F5, ESC [15~) is read as Esc followed by the keys "15~".
 *
 * Sequences are decoded from their grammar (ECMA-48, xterm's ctlseqs), not
 * from a list per terminal, so vt100, vt220, linux, xterm, screen, tmux and
 * rxvt all work whatever TERM says:
 *	CSI	ESC [ (or the byte 0x9b)  params 0x30-0x3f  intermediates 0x20-0x2f
 *		final 0x40-0x7e; linux's F1-F5 are ESC [ [ A..E; rxvt's
 *		Shift+key ends in '$', which is taken as a final
 *	SS3	ESC O (or the byte 0x8f)  params 0x30-0x3f  one final 0x20-0x7e
 * Modifiers are dropped (Ctrl-Up is Up, Shift-F5 is F5).  A sequence that
 * is not a known key (a reply to a query, a mouse report) is
 * ignored whole: never taken as Esc, never leaving bytes behind.  A byte
 * that cannot be inside a sequence (a control, ESC, DEL, >= 0x80) ends it:
 * the broken sequence is ignored and the byte decoded on its own.
 *
 * Nothing here does I/O, allocates or keeps global state; the state
 * between calls is in struct termkey.
 */
#ifndef BOOTFIX_TERMKEY_H
#define BOOTFIX_TERMKEY_H

#include <stddef.h>

/*
 * What termkey_decode() and termkey_next() return.  1-255 are the byte
 * itself: a digit, a letter, a byte of a UTF-8 character, Tab ('\t'),
 * Ctrl-U (0x15) and the other controls not named below.  NUL, and C1
 * controls other than CSI and SS3 when the terminal is not UTF-8, are
 * ignored.  The keypad gives its characters straight away: '0'-'9', '*',
 * '+', ',', '-', '.', '/', '=', and its Enter is TERMKEY_ENTER, in numeric
 * and in application mode alike.
 */
enum {
	TERMKEY_NONE = 0,		/* termkey_next(): no key (yet) */
	TERMKEY_INCOMPLETE = 0x100,	/* termkey_decode(): a prefix, wait for more */
	TERMKEY_IGNORED,		/* termkey_decode(): bytes used, no key */
	TERMKEY_ENTER,			/* CR, LF, CR LF, keypad Enter */
	TERMKEY_ESC,			/* a lone ESC */
	TERMKEY_BACKSPACE,		/* DEL (0x7f) and BS (0x08) */
	TERMKEY_UP,
	TERMKEY_DOWN,
	TERMKEY_LEFT,
	TERMKEY_RIGHT,
	TERMKEY_HOME,			/* and vt220's Find */
	TERMKEY_END,			/* and vt220's Select */
	TERMKEY_PGUP,
	TERMKEY_PGDN,
	TERMKEY_INSERT,
	TERMKEY_DELETE,			/* the Delete (vt220: Remove) key, ESC [3~ */
	TERMKEY_BTAB,			/* Shift-Tab */
	TERMKEY_F0 = 0x140
};

/* Function key n, 1 to 20 (vt220's Help and Do are F15 and F16). */
#define TERMKEY_F(n)		(TERMKEY_F0 + (n))

/* The longest sequence, final byte included; a longer one is garbage. */
#define TERMKEY_SEQ_MAX		32

/*
 * How long a caller should wait, after the last byte, before it calls with
 * final set: the rest of a sequence follows within a few milliseconds at
 * 9600 baud, but a USB serial adapter or a BMC's serial-over-LAN may hold
 * bytes back for 100 ms and more; a lone Esc waiting 200 ms is not felt.
 */
#define TERMKEY_WAIT_MS		200

/*
 * For termkey_init(): the terminal sends UTF-8 (nl_langinfo(CODESET) says
 * so).  Then bytes 0x80-0xff are text, given to the caller one by one, and
 * 0x9b and 0x8f are CSI and SS3 only where they cannot be part of a
 * character (not after a lead byte that still waits for them): "ś" is
 * C5 9B.  Without it the terminal is taken as 8-bit (vt220 with 8-bit
 * controls, ISO 8859): 0x9b and 0x8f are always CSI and SS3, other bytes
 * 0x80-0x9f are ignored and 0xa0-0xff are text.
 */
#define TERMKEY_UTF8		1

struct termkey {
	int flags;		/* TERMKEY_UTF8 or 0 */
	int skipping;		/* inside an overlong sequence (its kind): drop bytes up to its final */
	int after_cr;		/* the last byte was CR: an LF right after it is the same Enter */
	int utf8_left;		/* continuation bytes the last UTF-8 lead byte still waits for */
	size_t len;		/* bytes held in buf (termkey_push/termkey_next) */
	unsigned char buf[2 * TERMKEY_SEQ_MAX];
};

/* Starts tk empty; flags is TERMKEY_UTF8 or 0. */
void termkey_init(struct termkey *tk, int flags);

/*
 * Decodes the first key in buf[0..n).  Returns the key and sets *used to
 * the bytes it took, or:
 *   TERMKEY_INCOMPLETE, *used = 0: buf is a prefix of a sequence (a lone
 *	ESC, ESC [ 1 5, a lone CR never); call again with more bytes, or with
 *	final set once TERMKEY_WAIT_MS passed without one.  Only returned when
 *	final is 0 and n < TERMKEY_SEQ_MAX.
 *   TERMKEY_IGNORED, *used > 0: bytes that are no key (an unknown or broken
 *	sequence, whole; ESC and a string introducer ] P X ^ _; an LF right
 *	after a CR).  ESC then a printable key is Esc, then that key.
 *   TERMKEY_NONE, *used = 0: n is 0.
 * final: no more bytes are coming soon, so a prefix is decided: a lone ESC
 * is TERMKEY_ESC, any other prefix is ignored whole.  With n > 0 the result
 * is never TERMKEY_INCOMPLETE with final set, and *used is then 1..n.
 * CR LF is one Enter, even when the LF comes in a later call.  A sequence
 * that reaches TERMKEY_SEQ_MAX bytes without its final is ignored, and so
 * are its further bytes in later calls, up to its final byte, a byte that
 * cannot be in a sequence, or a call with final set.
 * tk's state changes only with the bytes used; buf is not kept.
 */
int termkey_decode(struct termkey *tk, const unsigned char *buf, size_t n, int final,
		   size_t *used);

/*
 * The same, with tk holding the bytes: termkey_push() appends one byte as
 * read (returns 0, or -1 when tk->buf is full: cannot happen to a caller
 * that calls termkey_next() until TERMKEY_NONE after each push).
 * termkey_next() returns the next key and drops its bytes; TERMKEY_NONE when
 * there is none yet (held bytes are a prefix: call again with final set
 * after TERMKEY_WAIT_MS without a byte).  Never returns INCOMPLETE or
 * IGNORED; after it returns TERMKEY_NONE fewer than TERMKEY_SEQ_MAX bytes
 * are held, none when final was set.
 */
int termkey_push(struct termkey *tk, unsigned char byte);
int termkey_next(struct termkey *tk, int final);

#endif
