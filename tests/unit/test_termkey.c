/*
 * test_termkey.c - keys from the raw bytes of vt100, vt220, linux, xterm,
 * screen/tmux and rxvt terminals, as they send them (infocmp, xterm's
 * ctlseqs, the VT100/VT220 references), and what happens to everything
 * else: ignored whole, never Esc, never bytes left behind (cmocka).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "termkey.h"

#define KEYS_MAX 256

/* The keys of a stream given one byte at a time, as the menu reads it, then a pause. */
static size_t keys_bytewise(int flags, const char *s, size_t n, int *keys)
{
	struct termkey tk;
	size_t nk = 0;
	int k;

	termkey_init(&tk, flags);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(termkey_push(&tk, (unsigned char)s[i]), 0);
		while ((k = termkey_next(&tk, 0)) != TERMKEY_NONE) {
			assert_true(nk < KEYS_MAX);
			keys[nk++] = k;
		}
		assert_true(tk.len < TERMKEY_SEQ_MAX);
	}
	while ((k = termkey_next(&tk, 1)) != TERMKEY_NONE) {
		assert_true(nk < KEYS_MAX);
		keys[nk++] = k;
	}
	assert_int_equal(tk.len, 0);
	return nk;
}

/* The same stream given all at once to termkey_decode(). */
static size_t keys_whole(int flags, const char *s, size_t n, int *keys)
{
	const unsigned char *b = (const unsigned char *)s;
	struct termkey tk;
	size_t nk = 0, off = 0, used;
	int k;

	termkey_init(&tk, flags);
	while (off < n) {
		k = termkey_decode(&tk, b + off, n - off, 0, &used);
		if (k == TERMKEY_INCOMPLETE) {
			assert_int_equal(used, 0);
			k = termkey_decode(&tk, b + off, n - off, 1, &used);
		}
		assert_int_not_equal(k, TERMKEY_INCOMPLETE);
		assert_true(used >= 1 && used <= n - off);
		if (k != TERMKEY_IGNORED) {
			assert_true(nk < KEYS_MAX);
			keys[nk++] = k;
		}
		off += used;
	}
	return nk;
}

/* Both ways give exactly the keys expected (a list ended by -1). */
static void expect_keys(int flags, const char *s, size_t n, ...)
{
	int want[KEYS_MAX], got[KEYS_MAX], k;
	size_t nw = 0, ng;
	va_list ap;

	va_start(ap, n);
	while ((k = va_arg(ap, int)) != -1)
		want[nw++] = k;
	va_end(ap);
	ng = keys_bytewise(flags, s, n, got);
	assert_int_equal(ng, nw);
	assert_memory_equal(got, want, nw * sizeof(int));
	ng = keys_whole(flags, s, n, got);
	assert_int_equal(ng, nw);
	assert_memory_equal(got, want, nw * sizeof(int));
}

#define KEYS(flags, lit, ...) expect_keys(flags, lit, sizeof(lit) - 1, __VA_ARGS__, -1)

struct seq {
	const char *term;
	const char *seq;
	int key;
	int flags;
};

#define F(n) TERMKEY_F(n)
static const struct seq seqs[] = {
	/* vt100/vt102: cursor keys in both modes, PF1-PF4, the keypad in both modes */
	{ "vt100", "\033[A", TERMKEY_UP, 0 },
	{ "vt100", "\033[B", TERMKEY_DOWN, 0 },
	{ "vt100", "\033[C", TERMKEY_RIGHT, 0 },
	{ "vt100", "\033[D", TERMKEY_LEFT, 0 },
	{ "vt100", "\033OA", TERMKEY_UP, 0 },
	{ "vt100", "\033OB", TERMKEY_DOWN, 0 },
	{ "vt100", "\033OC", TERMKEY_RIGHT, 0 },
	{ "vt100", "\033OD", TERMKEY_LEFT, 0 },
	{ "vt100", "\033OP", F(1), 0 },
	{ "vt100", "\033OQ", F(2), 0 },
	{ "vt100", "\033OR", F(3), 0 },
	{ "vt100", "\033OS", F(4), 0 },
	{ "vt100", "\033Op", '0', 0 },	/* terminfo: key_c1 */
	{ "vt100", "\033Oq", '1', 0 },	/* key_a1 */
	{ "vt100", "\033Or", '2', 0 },	/* key_b2 */
	{ "vt100", "\033Os", '3', 0 },	/* key_a3 */
	{ "vt100", "\033Ot", '4', 0 },	/* key_f5: read as F5 by ncurses */
	{ "vt100", "\033Ou", '5', 0 },	/* key_f6 */
	{ "vt100", "\033Ov", '6', 0 },	/* key_f7 */
	{ "vt100", "\033Ow", '7', 0 },	/* key_f9 */
	{ "vt100", "\033Ox", '8', 0 },	/* key_f10 */
	{ "vt100", "\033Oy", '9', 0 },	/* key_f0 */
	{ "vt100", "\033Om", '-', 0 },
	{ "vt100", "\033Ol", ',', 0 },	/* key_f8 */
	{ "vt100", "\033On", '.', 0 },	/* key_c3 */
	{ "vt100", "\033OM", TERMKEY_ENTER, 0 },
	{ "vt100", "7", '7', 0 },	/* numeric keypad mode */
	{ "vt100", "-", '-', 0 },
	{ "vt100", "\r", TERMKEY_ENTER, 0 },
	{ "vt100", "\b", TERMKEY_BACKSPACE, 0 },
	{ "vt100", "\177", TERMKEY_BACKSPACE, 0 },
	{ "vt100", "\t", '\t', 0 },
	/* vt220: editing keypad, F6-F20, 7-bit and 8-bit controls */
	{ "vt220", "\033[1~", TERMKEY_HOME, 0 },	/* Find */
	{ "vt220", "\033[2~", TERMKEY_INSERT, 0 },
	{ "vt220", "\033[3~", TERMKEY_DELETE, 0 },	/* Remove */
	{ "vt220", "\033[4~", TERMKEY_END, 0 },	/* Select */
	{ "vt220", "\033[5~", TERMKEY_PGUP, 0 },
	{ "vt220", "\033[6~", TERMKEY_PGDN, 0 },
	{ "vt220", "\033[15~", F(5), 0 },
	{ "vt220", "\033[17~", F(6), 0 },
	{ "vt220", "\033[18~", F(7), 0 },
	{ "vt220", "\033[19~", F(8), 0 },
	{ "vt220", "\033[20~", F(9), 0 },
	{ "vt220", "\033[21~", F(10), 0 },
	{ "vt220", "\033[23~", F(11), 0 },
	{ "vt220", "\033[24~", F(12), 0 },
	{ "vt220", "\033[25~", F(13), 0 },
	{ "vt220", "\033[26~", F(14), 0 },
	{ "vt220", "\033[28~", F(15), 0 },	/* Help */
	{ "vt220", "\033[29~", F(16), 0 },	/* Do */
	{ "vt220", "\033[31~", F(17), 0 },
	{ "vt220", "\033[34~", F(20), 0 },
	{ "vt220", "\033OP", F(1), 0 },
	{ "vt220", "\033OS", F(4), 0 },
	{ "vt220", "\033Oy", '9', 0 },
	{ "vt220", "\033OM", TERMKEY_ENTER, 0 },
	{ "vt220 8-bit", "\233A", TERMKEY_UP, 0 },
	{ "vt220 8-bit", "\23315~", F(5), 0 },
	{ "vt220 8-bit", "\2333~", TERMKEY_DELETE, 0 },
	{ "vt220 8-bit", "\217P", F(1), 0 },
	{ "vt220 8-bit", "\217q", '1', 0 },
	{ "vt220 8-bit", "\217M", TERMKEY_ENTER, 0 },
	{ "vt220 8-bit, UTF-8 locale", "\233B", TERMKEY_DOWN, TERMKEY_UTF8 },
	{ "vt220 8-bit, UTF-8 locale", "\217t", '4', TERMKEY_UTF8 },
	/* linux console */
	{ "linux", "\033[[A", F(1), 0 },
	{ "linux", "\033[[B", F(2), 0 },
	{ "linux", "\033[[C", F(3), 0 },
	{ "linux", "\033[[D", F(4), 0 },
	{ "linux", "\033[[E", F(5), 0 },
	{ "linux", "\033[17~", F(6), 0 },
	{ "linux", "\033[21~", F(10), 0 },
	{ "linux", "\033[23~", F(11), 0 },
	{ "linux", "\033[24~", F(12), 0 },
	{ "linux", "\033[1~", TERMKEY_HOME, 0 },
	{ "linux", "\033[4~", TERMKEY_END, 0 },
	{ "linux", "\033[2~", TERMKEY_INSERT, 0 },
	{ "linux", "\033[3~", TERMKEY_DELETE, 0 },
	{ "linux", "\033[5~", TERMKEY_PGUP, 0 },
	{ "linux", "\033[6~", TERMKEY_PGDN, 0 },
	{ "linux", "\033[A", TERMKEY_UP, 0 },
	{ "linux", "\033[D", TERMKEY_LEFT, 0 },
	{ "linux", "\033\t", TERMKEY_BTAB, 0 },	/* Shift-Tab: Meta_Tab */
	{ "linux", "\033Ow", '7', 0 },	/* application keypad */
	{ "linux", "\033OM", TERMKEY_ENTER, 0 },
	{ "linux", "\r", TERMKEY_ENTER, 0 },
	{ "linux", "\177", TERMKEY_BACKSPACE, 0 },
	/* xterm (and screen, tmux) */
	{ "xterm", "\033OH", TERMKEY_HOME, 0 },
	{ "xterm", "\033OF", TERMKEY_END, 0 },
	{ "xterm", "\033[H", TERMKEY_HOME, 0 },
	{ "xterm", "\033[F", TERMKEY_END, 0 },
	{ "xterm", "\033[1;5A", TERMKEY_UP, 0 },	/* Ctrl-Up */
	{ "xterm", "\033[1;2B", TERMKEY_DOWN, 0 },	/* Shift-Down */
	{ "xterm", "\033[1;3D", TERMKEY_LEFT, 0 },	/* Alt-Left */
	{ "xterm", "\033[1;2H", TERMKEY_HOME, 0 },
	{ "xterm", "\033[1;2P", F(1), 0 },	/* Shift-F1 (terminfo: F13) */
	{ "xterm", "\033[1;5S", F(4), 0 },
	{ "xterm", "\033[15~", F(5), 0 },
	{ "xterm", "\033[15;2~", F(5), 0 },	/* Shift-F5 */
	{ "xterm", "\033[24;5~", F(12), 0 },
	{ "xterm", "\033[3;2~", TERMKEY_DELETE, 0 },
	{ "xterm", "\033[5;5~", TERMKEY_PGUP, 0 },
	{ "xterm", "\033[Z", TERMKEY_BTAB, 0 },
	{ "xterm", "\033Oj", '*', 0 },
	{ "xterm", "\033Ok", '+', 0 },
	{ "xterm", "\033Ol", ',', 0 },
	{ "xterm", "\033Om", '-', 0 },
	{ "xterm", "\033On", '.', 0 },
	{ "xterm", "\033Oo", '/', 0 },
	{ "xterm", "\033OX", '=', 0 },
	{ "xterm", "\033Ou", '5', 0 },
	{ "xterm", "\033OM", TERMKEY_ENTER, 0 },
	{ "screen", "\033[1~", TERMKEY_HOME, 0 },
	{ "tmux-256color", "\033[4~", TERMKEY_END, 0 },
	/* rxvt */
	{ "rxvt", "\033[11~", F(1), 0 },
	{ "rxvt", "\033[12~", F(2), 0 },
	{ "rxvt", "\033[13~", F(3), 0 },
	{ "rxvt", "\033[14~", F(4), 0 },
	{ "rxvt", "\033[7~", TERMKEY_HOME, 0 },
	{ "rxvt", "\033[8~", TERMKEY_END, 0 },
	{ "rxvt", "\033[5$", TERMKEY_PGUP, 0 },	/* Shift-PgUp */
	{ "rxvt", "\033[11^", F(1), 0 },	/* Ctrl-F1 */
	{ "rxvt", "\033[23@", F(11), 0 },	/* Ctrl-Shift-F11 */
	{ "rxvt", "\033[a", TERMKEY_UP, 0 },	/* Shift-Up */
	{ "rxvt", "\033Od", TERMKEY_LEFT, 0 },	/* Ctrl-Left */
};

/* Every sequence as its terminal sends it: the key, all its bytes, nothing left behind. */
static void test_terminal_sequences(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		const struct seq *t = &seqs[i];
		const unsigned char *b = (const unsigned char *)t->seq;
		size_t n = strlen(t->seq), used;
		char buf[64];
		struct termkey tk;
		int key, want[2], got[KEYS_MAX], nw = 0;

		termkey_init(&tk, t->flags);
		key = termkey_decode(&tk, b, n, 0, &used);
		if (key != t->key || used != n)
			fail_msg("%s: sequence %zu: key %#x used %zu, want %#x used %zu",
				 t->term, i, key, used, t->key, n);
		/* followed by a typed digit: the key, then the digit, nothing else */
		snprintf(buf, sizeof(buf), "%s7", t->seq);
		want[nw++] = t->key;
		want[nw++] = '7';
		assert_int_equal(keys_bytewise(t->flags, buf, n + 1, got), 2);
		assert_memory_equal(got, want, sizeof(want));
		assert_int_equal(keys_whole(t->flags, buf, n + 1, got), 2);
		assert_memory_equal(got, want, sizeof(want));
	}
}

/* Every proper prefix waits for more, then once the pause comes is Esc or nothing. */
static void test_prefixes_wait_then_decide(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		const unsigned char *b = (const unsigned char *)seqs[i].seq;
		size_t n = strlen(seqs[i].seq), used;
		struct termkey tk;
		int key;

		if (b[0] != 0x1b && b[0] != 0x9b && b[0] != 0x8f)
			continue;
		for (size_t p = 1; p < n; p++) {
			termkey_init(&tk, seqs[i].flags);
			key = termkey_decode(&tk, b, p, 0, &used);
			if (key != TERMKEY_INCOMPLETE || used != 0)
				fail_msg("%s: prefix %zu of sequence %zu: %#x used %zu",
					 seqs[i].term, p, i, key, used);
			key = termkey_decode(&tk, b, p, 1, &used);
			if (p == 1 && b[0] == 0x1b) {
				assert_int_equal(key, TERMKEY_ESC);
				assert_int_equal(used, 1);
			} else {
				assert_int_equal(key, TERMKEY_IGNORED);
				assert_int_equal(used, p);
			}
		}
	}
}

static void test_issue_15_streams(void **state)
{
	(void)state;
	/* vt220's F5 is not Esc, and its "15" moves nothing */
	KEYS(0, "\033[15~15", F(5), '1', '5');
	KEYS(TERMKEY_UTF8, "\033[15~15", F(5), '1', '5');
	/* digits from a vt100 keypad in application mode, all ten */
	KEYS(0, "\033Op\033Oq\033Or\033Os\033Ot\033Ou\033Ov\033Ow\033Ox\033Oy",
	     '0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
	/* a recovery key group typed on the keypad, with Enter from it */
	KEYS(0, "1\033Or3\033Ot5\033OM", '1', '2', '3', '4', '5', TERMKEY_ENTER);
	/* a mixed session: down, details, back, F-key digits, Enter */
	KEYS(0, "\033[Bd\033\033OP\033[21~\r\n",
	     TERMKEY_DOWN, 'd', TERMKEY_ESC, F(1), F(10), TERMKEY_ENTER);
	KEYS(0, "\033[[A\033[[E\033[17~", F(1), F(5), F(6));
}

static void test_unknown_sequences_ignored_whole(void **state)
{
	(void)state;
	KEYS(0, "\033[99~x", 'x');
	KEYS(0, "\033[16~x", 'x');
	KEYS(0, "\033[~x", 'x');
	KEYS(0, "\033[200~x", 'x');		/* bracketed paste start */
	KEYS(0, "\033[27;5;13~x", 'x');	/* modifyOtherKeys Ctrl-Enter */
	KEYS(0, "\033[?1;2cx", 'x');		/* device attributes reply */
	KEYS(0, "\033[>0;95;0cx", 'x');
	KEYS(0, "\033[12;40Rx", 'x');		/* cursor position report, not Shift-F3 */
	KEYS(0, "\033[2Ax", 'x');
	KEYS(0, "\033[<0;3;4Mx", 'x');		/* SGR mouse */
	KEYS(0, "\033[2 qx", 'x');		/* an intermediate */
	KEYS(0, "\033[1;5xy", 'y');
	KEYS(0, "\033[Ex\033[Gx\033OEx", 'x', 'x', 'x');	/* keypad 5 without Num Lock */
	KEYS(0, "\033[[Zx\033[[5x", 'x', 'x');
	KEYS(0, "\033Ozx\033O5zx\033O x", 'x', 'x', 'x');
	/* Esc then a key (Alt+a, or Esc typed just before 1); ESC [ x is a CSI */
	KEYS(0, "\033ax\0331x\033[x", TERMKEY_ESC, 'a', 'x', TERMKEY_ESC, '1', 'x');
	KEYS(0, "\0332P", TERMKEY_ESC, '2', 'P');
	KEYS(0, "\033]x", 'x');
	/* a byte that cannot be in a sequence ends it; that byte is a key */
	KEYS(0, "\033[1\033[A", TERMKEY_UP);
	KEYS(0, "\033[15\r", TERMKEY_ENTER);
	KEYS(0, "\033O\177", TERMKEY_BACKSPACE);
	KEYS(0, "\033[[\t", '\t');
	KEYS(TERMKEY_UTF8, "\033[1\303\251", 0xc3, 0xa9);
}

static void test_overlong_sequences(void **state)
{
	char s[128];
	int got[KEYS_MAX];
	size_t used;
	struct termkey tk;

	(void)state;
	/* 32 bytes with the final: still a key; 33: garbage */
	memset(s, 0, sizeof(s));
	memcpy(s, "\033[1;", 4);
	memset(s + 4, '5', 27);
	s[31] = 'A';
	assert_int_equal(strlen(s), TERMKEY_SEQ_MAX);
	expect_keys(0, s, strlen(s), TERMKEY_UP, -1);
	memset(s + 4, '5', 28);
	s[32] = 'A';
	expect_keys(0, s, strlen(s), -1);

	/* 40 parameter bytes then a final: all ignored, bytewise without buffering it */
	memcpy(s, "\033[", 2);
	memset(s + 2, '1', 40);
	memcpy(s + 42, "~x", 3);
	expect_keys(0, s, 44, 'x', -1);
	expect_keys(0, s, 42, -1);

	/* at the bound without a final: ignored, and so is the rest of it */
	termkey_init(&tk, 0);
	assert_int_equal(termkey_decode(&tk, (unsigned char *)s, TERMKEY_SEQ_MAX, 0, &used),
			 TERMKEY_IGNORED);
	assert_int_equal(used, TERMKEY_SEQ_MAX);
	assert_true(tk.skipping);
	assert_int_equal(termkey_decode(&tk, (unsigned char *)"1;2~7", 5, 0, &used),
			 TERMKEY_IGNORED);
	assert_int_equal(used, 4);
	assert_int_equal(termkey_decode(&tk, (unsigned char *)"7", 1, 0, &used), '7');

	/* cut off by a pause: what is typed after the pause counts */
	termkey_init(&tk, 0);
	for (int i = 0; i < 42; i++) {
		assert_int_equal(termkey_push(&tk, (unsigned char)s[i]), 0);
		assert_int_equal(termkey_next(&tk, 0), TERMKEY_NONE);
	}
	assert_int_equal(termkey_next(&tk, 1), TERMKEY_NONE);
	assert_false(tk.skipping);
	termkey_push(&tk, '1');
	termkey_push(&tk, '2');
	assert_int_equal(termkey_next(&tk, 0), '1');
	assert_int_equal(termkey_next(&tk, 0), '2');
	assert_int_equal(termkey_next(&tk, 0), TERMKEY_NONE);

	/* a broken overlong sequence: the byte that broke it is a key */
	memcpy(s + 42, "\rx", 3);
	assert_int_equal(keys_bytewise(0, s, 44, got), 2);
	assert_int_equal(got[0], TERMKEY_ENTER);
	assert_int_equal(got[1], 'x');
}

static void test_escape_and_alt(void **state)
{
	struct termkey tk;
	size_t used;

	(void)state;
	termkey_init(&tk, 0);
	assert_int_equal(termkey_decode(&tk, (unsigned char *)"\033", 1, 0, &used),
			 TERMKEY_INCOMPLETE);
	assert_int_equal(used, 0);
	assert_int_equal(termkey_decode(&tk, (unsigned char *)"\033", 1, 1, &used), TERMKEY_ESC);
	assert_int_equal(used, 1);
	assert_int_equal(termkey_decode(&tk, (unsigned char *)"", 0, 1, &used), TERMKEY_NONE);
	assert_int_equal(used, 0);
	KEYS(0, "\033", TERMKEY_ESC);
	KEYS(0, "\033\033", TERMKEY_ESC, TERMKEY_ESC);
	KEYS(0, "\033\033[A", TERMKEY_ESC, TERMKEY_UP);
	KEYS(0, "\033\r", TERMKEY_ESC, TERMKEY_ENTER);
	KEYS(0, "\033\1775", TERMKEY_ESC, TERMKEY_BACKSPACE, '5');
	KEYS(0, "\033x5", TERMKEY_ESC, 'x', '5');	/* Alt+x: Esc, then x */
	KEYS(0, "\033\2335~", TERMKEY_ESC, TERMKEY_PGUP);
	/* the menu's push/next: a lone Esc waits for the pause */
	termkey_init(&tk, 0);
	termkey_push(&tk, 0x1b);
	assert_int_equal(termkey_next(&tk, 0), TERMKEY_NONE);
	assert_int_equal(termkey_next(&tk, 1), TERMKEY_ESC);
	assert_int_equal(tk.len, 0);
}

static void test_enter_backspace_controls(void **state)
{
	struct termkey tk;
	size_t used;

	(void)state;
	KEYS(0, "\r", TERMKEY_ENTER);
	KEYS(0, "\n", TERMKEY_ENTER);
	KEYS(0, "\r\n", TERMKEY_ENTER);		/* one press, one Enter */
	KEYS(0, "\r\n\r\n", TERMKEY_ENTER, TERMKEY_ENTER);
	KEYS(0, "\n\n", TERMKEY_ENTER, TERMKEY_ENTER);
	KEYS(0, "\r\r", TERMKEY_ENTER, TERMKEY_ENTER);
	KEYS(0, "\rx\n", TERMKEY_ENTER, 'x', TERMKEY_ENTER);
	KEYS(0, "\n\r", TERMKEY_ENTER, TERMKEY_ENTER);
	KEYS(0, "\b\177", TERMKEY_BACKSPACE, TERMKEY_BACKSPACE);
	KEYS(0, "\t\025\f", '\t', 0x15, '\f');
	KEYS(0, "a\0b", 'a', 'b');		/* NUL is no key */
	termkey_init(&tk, 0);
	assert_int_equal(termkey_decode(&tk, (unsigned char *)"\r\n", 2, 0, &used), TERMKEY_ENTER);
	assert_int_equal(used, 2);
	/* CR and LF read apart (a slow line): still one Enter, even after a pause */
	termkey_init(&tk, 0);
	termkey_push(&tk, '\r');
	assert_int_equal(termkey_next(&tk, 0), TERMKEY_ENTER);
	assert_int_equal(termkey_next(&tk, 1), TERMKEY_NONE);
	termkey_push(&tk, '\n');
	assert_int_equal(termkey_next(&tk, 0), TERMKEY_NONE);
	assert_int_equal(tk.len, 0);
	termkey_push(&tk, '\n');
	assert_int_equal(termkey_next(&tk, 0), TERMKEY_ENTER);
}

static void test_8bit_and_utf8(void **state)
{
	struct termkey tk;

	(void)state;
	/* UTF-8: a password with ś (C5 9B) and → (E2 86 92) keeps its bytes */
	KEYS(TERMKEY_UTF8, "\305\233x", 0xc5, 0x9b, 'x');
	KEYS(TERMKEY_UTF8, "\342\206\222", 0xe2, 0x86, 0x92);
	KEYS(TERMKEY_UTF8, "\303\251\233A", 0xc3, 0xa9, TERMKEY_UP);	/* é, then a real CSI */
	KEYS(TERMKEY_UTF8, "\344\217\217q", 0xe4, 0x8f, 0x8f, 'q');	/* 䏏 */
	KEYS(TERMKEY_UTF8, "\304\033\233A", 0xc4, TERMKEY_ESC, TERMKEY_UP);	/* cut by ESC */
	KEYS(TERMKEY_UTF8, "\205\240", 0x85, 0xa0);
	/* the same character fed one byte at a time */
	termkey_init(&tk, TERMKEY_UTF8);
	termkey_push(&tk, 0xc5);
	assert_int_equal(termkey_next(&tk, 0), 0xc5);
	termkey_push(&tk, 0x9b);
	assert_int_equal(termkey_next(&tk, 0), 0x9b);
	termkey_push(&tk, 0x9b);
	assert_int_equal(termkey_next(&tk, 0), TERMKEY_NONE);
	termkey_push(&tk, 'B');
	assert_int_equal(termkey_next(&tk, 0), TERMKEY_DOWN);
	/* 8-bit: C1 CSI and SS3 always, other C1 controls no key, Latin-1 text */
	KEYS(0, "\305\233A", 0xc5, TERMKEY_UP);
	KEYS(0, "\205\220\235x\351", 'x', 0xe9);
	KEYS(0, "\233", -1);
	KEYS(0, "\2331;5A\217j", TERMKEY_UP, '*');
	KEYS(0, "\233[A", F(1));
}

/* A small deterministic generator: bytes a terminal line might carry. */
static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

static unsigned char rnd_byte(uint32_t *s)
{
	static const unsigned char common[] = "\033\033\033[[O;~1235\r\n\233\217\305A$^@";
	uint32_t r = rnd(s);

	if (r % 3)
		return common[r % (sizeof(common) - 1)];
	return (unsigned char)rnd(s);
}

/* Random bytes: every call uses bytes or asks for more; a pause decides everything. */
static void test_random_bytes_always_progress(void **state)
{
	unsigned char buf[96];
	uint32_t seed = 15;
	struct termkey tk;
	size_t used;
	int key, got1[KEYS_MAX], got2[KEYS_MAX];
	size_t nk;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = rnd(&seed) % sizeof(buf), off = 0;
		int flags = round & 1 ? TERMKEY_UTF8 : 0;

		for (size_t i = 0; i < n; i++)
			buf[i] = rnd_byte(&seed);
		termkey_init(&tk, flags);
		while (off < n) {
			key = termkey_decode(&tk, buf + off, n - off, 0, &used);
			if (key == TERMKEY_INCOMPLETE) {
				assert_int_equal(used, 0);
				assert_true(n - off < TERMKEY_SEQ_MAX);
			} else {
				assert_true(used >= 1 && used <= n - off);
			}
			key = termkey_decode(&tk, buf + off, n - off, 1, &used);
			assert_int_not_equal(key, TERMKEY_INCOMPLETE);
			assert_int_not_equal(key, TERMKEY_NONE);
			assert_true(used >= 1 && used <= n - off);
			off += used;
		}
		/* the same keys whether read at once or byte by byte */
		nk = keys_bytewise(flags, (char *)buf, n, got1);
		assert_int_equal(keys_whole(flags, (char *)buf, n, got2), nk);
		assert_memory_equal(got1, got2, nk * sizeof(int));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terminal_sequences),
		cmocka_unit_test(test_prefixes_wait_then_decide),
		cmocka_unit_test(test_issue_15_streams),
		cmocka_unit_test(test_unknown_sequences_ignored_whole),
		cmocka_unit_test(test_overlong_sequences),
		cmocka_unit_test(test_escape_and_alt),
		cmocka_unit_test(test_enter_backspace_controls),
		cmocka_unit_test(test_8bit_and_utf8),
		cmocka_unit_test(test_random_bytes_always_progress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
