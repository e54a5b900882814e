/*
 * fuzz_termkey.c - libFuzzer target for the terminal key decoder: whatever
 * a serial line delivers (noise, a terminal's reply, a wrong baud rate),
 * every call must use bytes or ask for more, never loop, and give the same
 * keys whether the bytes come at once or one by one.  The first byte picks
 * UTF-8 or 8-bit.
 *   make fuzz-run-termkey FUZZ_SECONDS=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "termkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A key termkey_decode() or termkey_next() may give the caller. */
static void check_key(int key, int flags)
{
	if (key >= TERMKEY_ENTER && key <= TERMKEY_BTAB)
		return;
	if (key >= TERMKEY_F(1) && key <= TERMKEY_F(20))
		return;
	if (key < 1 || key > 0xff)
		abort();
	/* these bytes are always named keys, never given as themselves */
	if (key == 0x1b || key == '\r' || key == '\n' || key == 0x7f || key == '\b')
		abort();
	if (!(flags & TERMKEY_UTF8) && key >= 0x80 && key < 0xa0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct termkey a, b;
	int *ka, *kb, k;
	size_t na = 0, nb = 0, off = 0, used;
	int flags;

	if (size < 1)
		return 0;
	flags = data[0] & 1 ? TERMKEY_UTF8 : 0;
	data++;
	size--;
	ka = malloc((size + 1) * sizeof(*ka));
	kb = malloc((size + 1) * sizeof(*kb));
	if (!ka || !kb)
		abort();

	/* all at once, as a caller that reads a whole buffer */
	termkey_init(&a, flags);
	while (off < size) {
		k = termkey_decode(&a, data + off, size - off, 0, &used);
		if (k == TERMKEY_INCOMPLETE) {
			if (used != 0 || size - off >= TERMKEY_SEQ_MAX)
				abort();
			k = termkey_decode(&a, data + off, size - off, 1, &used);
			if (k == TERMKEY_INCOMPLETE)
				abort();
		}
		if (k == TERMKEY_NONE || used == 0 || used > size - off)
			abort();
		if (k != TERMKEY_IGNORED) {
			check_key(k, flags);
			ka[na++] = k;
		}
		off += used;
	}
	if (termkey_decode(&a, data + off, 0, 1, &used) != TERMKEY_NONE || used || a.skipping)
		abort();

	/* one byte at a time, as the menu reads them */
	termkey_init(&b, flags);
	for (size_t i = 0; i < size; i++) {
		if (termkey_push(&b, data[i]) < 0)
			abort();
		while ((k = termkey_next(&b, 0)) != TERMKEY_NONE) {
			check_key(k, flags);
			if (nb == size)
				abort();
			kb[nb++] = k;
		}
		if (b.len >= TERMKEY_SEQ_MAX)
			abort();
	}
	while ((k = termkey_next(&b, 1)) != TERMKEY_NONE) {
		check_key(k, flags);
		if (nb == size)
			abort();
		kb[nb++] = k;
	}
	if (b.len || b.skipping)
		abort();
	if (na != nb || memcmp(ka, kb, na * sizeof(*ka)))
		abort();
	free(ka);
	free(kb);
	return 0;
}
