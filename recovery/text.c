/*
 * text.c - escaping hostile text for people, and UTF-16 from a volume or
 * a key export made UTF-8 (see text.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

size_t text_utf8_char(const unsigned char *p, uint32_t *cp)
{
	size_t n;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c < 0xe000))
		return 0;
	*cp = c;
	return n;
}

static int hidden(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

char *text_safe_buf(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "(null)");
	size_t o = 0;

	if (!len)
		return buf;
	while (*p) {
		char piece[16];
		size_t plen;
		uint32_t cp;
		size_t n = text_utf8_char(p, &cp);

		if (n == 0 || (n == 1 && (cp < 0x20 || cp == 0x7f))) {
			plen = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", p[0]);
			n = 1;
		} else if (hidden(cp)) {
			plen = (size_t)snprintf(piece, sizeof(piece), "\\u%04x", (unsigned)cp);
		} else {
			memcpy(piece, p, n);
			plen = n;
		}
		if (o + plen >= len)
			break;
		memcpy(buf + o, piece, plen);
		o += plen;
		p += n;
	}
	buf[o] = '\0';
	return buf;
}

const char *text_safe(const char *s)
{
	static _Thread_local char *slot[16];
	static _Thread_local size_t next;
	size_t len = (s ? strlen(s) : 6) * 6 + 1;
	char *buf = malloc(len);

	if (!buf)
		return "(out of memory)";
	free(slot[next]);
	slot[next] = buf;
	next = (next + 1) % 16;
	return text_safe_buf(s, buf, len);
}

int text_needs_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (p && *p) {
		uint32_t cp;
		size_t n = text_utf8_char(p, &cp);

		if (n == 0 || (n == 1 && (cp < 0x20 || cp == 0x7f)) || hidden(cp))
			return 1;
		p += n;
	}
	return 0;
}

char *text_printable(const char *s, size_t max)
{
	size_t n = 0;
	char *out;

	if (!s || !max)
		return NULL;
	out = malloc(max + 1);
	if (!out)
		return NULL;
	for (; *s && n < max; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c > 0x7e)
			continue;
		if (c == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = (char)c;
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	if (!n) {
		free(out);
		return NULL;
	}
	return out;
}

char *text_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

/* ---- UTF-16 ---- */

/* A little-endian UTF-16 unit. */
static uint32_t rd16(const unsigned char *p)
{
	return (uint32_t)(p[0] | p[1] << 8);
}

static size_t put_utf8(char *out, size_t outlen, size_t o, uint32_t c)
{
	unsigned char b[4];
	size_t n;

	if (c < 0x80) {
		b[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xc0 | c >> 6);
		b[1] = (unsigned char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (unsigned char)(0xe0 | c >> 12);
		b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | c >> 18);
		b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (o + n >= outlen)
		return o;
	memcpy(out + o, b, n);
	return o + n;
}

size_t text_utf16_to_utf8(const unsigned char *in, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	if (!outlen)
		return 0;
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint32_t c = rd16(in + i);

		if (c >= 0xd800 && c < 0xdc00 && i + 3 < len && rd16(in + i + 2) >= 0xdc00 &&
		    rd16(in + i + 2) < 0xe000) {
			c = 0x10000 + ((c - 0xd800) << 10) + (rd16(in + i + 2) - 0xdc00);
			i += 2;
		} else if (c >= 0xd800 && c < 0xe000) {
			c = 0xfffd;
		}
		if (c == 0)
			break;
		o = put_utf8(out, outlen, o, c);
	}
	out[o] = '\0';
	return o;
}
