/*
 * csv.c - reading CSV as spreadsheets and consoles export it (see csv.h):
 * lenient about form (encodings, delimiters, lines before the header),
 * exact about quoting, careful with what it held.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "text.h"

/*
 * The file as NUL-terminated UTF-8 (caller scrubs and frees): a UTF-8 BOM
 * is dropped, UTF-16 (BOM, or ASCII text with every other byte zero)
 * converted.
 */
static char *to_utf8(const char *data, size_t len, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)data;
	unsigned char *swapped = NULL;
	char *out;
	int utf16 = 0;

	if (len >= 2 && u[0] == 0xff && u[1] == 0xfe) {
		utf16 = 1;
		u += 2;
		len -= 2;
	} else if (len >= 2 && u[0] == 0xfe && u[1] == 0xff) {
		swapped = malloc(len);
		if (!swapped)
			return NULL;
		for (size_t i = 2; i + 1 < len; i += 2) {
			swapped[i - 2] = u[i + 1];
			swapped[i - 1] = u[i];
		}
		utf16 = 1;
		u = swapped;
		len -= 2;
	} else if (len >= 4 && u[0] && !u[1] && u[2] && !u[3]) {
		utf16 = 1;
	} else if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
		u += 3;
		len -= 3;
	}
	if (!utf16) {
		out = malloc(len + 1);
		if (out) {
			memcpy(out, u, len);
			out[len] = '\0';
			*outlen = len;
		}
		return out;
	}
	out = malloc(len / 2 * 3 + 1);
	if (out)
		*outlen = text_utf16_to_utf8(u, len & ~(size_t)1, out, len / 2 * 3 + 1);
	if (swapped) {
		explicit_bzero(swapped, len + 2);
		free(swapped);
	}
	return out;
}

static int put(struct csv *c, size_t *o, char ch)
{
	if (*o + 1 >= c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		char *b = malloc(cap);

		if (!b)
			return -1;
		if (c->buf) {
			memcpy(b, c->buf, *o);
			explicit_bzero(c->buf, c->cap);
			free(c->buf);
		}
		c->buf = b;
		c->cap = cap;
	}
	c->buf[(*o)++] = ch;
	return 0;
}

int csv_row(struct csv *c)
{
	size_t o = 0;
	int quoted = 0, at_start = 1;

	c->nf = 0;
	c->line = c->next_line;
	if (c->p >= c->end)
		return 0;
	c->off[c->nf++] = 0;
	while (c->p < c->end) {
		char ch = *c->p++;

		if (quoted) {
			if (ch == '"' && c->p < c->end && *c->p == '"') {
				c->p++;
				if (put(c, &o, '"') < 0)
					return -1;
			} else if (ch == '"') {
				quoted = 0;
			} else {
				if (ch == '\n')
					c->next_line++;
				if (put(c, &o, ch) < 0)
					return -1;
			}
			continue;
		}
		if (ch == '"' && at_start) {
			quoted = 1;
			at_start = 0;
		} else if (ch == c->delim) {
			if (put(c, &o, '\0') < 0)
				return -1;
			if (c->nf < CSV_MAX_FIELDS)
				c->off[c->nf++] = o;
			at_start = 1;
		} else if (ch == '\n' || ch == '\r') {
			if (ch == '\r' && c->p < c->end && *c->p == '\n')
				c->p++;
			c->next_line++;
			break;
		} else {
			if (put(c, &o, ch) < 0)
				return -1;
			if (ch != ' ' && ch != '\t')
				at_start = 0;
		}
	}
	if (put(c, &o, '\0') < 0)
		return -1;
	/* fields beyond CSV_MAX_FIELDS were joined into the last one: never mind */
	return 1;
}

char *csv_field(struct csv *c, size_t i)
{
	if (i < c->nf)
		return c->buf + c->off[i];
	c->empty[0] = '\0';
	return c->empty;
}

int csv_blank(const struct csv *c)
{
	for (size_t i = 0; i < c->nf; i++)
		if (c->buf[c->off[i] + strspn(c->buf + c->off[i], " \t")])
			return 0;
	return 1;
}

/* The delimiter of the header line starting at p: the most frequent of , ; tab. */
static char guess_delim(const char *p, const char *end)
{
	int n[3] = { 0, 0, 0 }, quoted = 0;

	for (; p < end && (quoted || (*p != '\n' && *p != '\r')); p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == ',')
			n[0]++;
		else if (!quoted && *p == ';')
			n[1]++;
		else if (!quoted && *p == '\t')
			n[2]++;
	}
	if (n[1] > n[0] && n[1] >= n[2])
		return ';';
	if (n[2] > n[0])
		return '\t';
	return ',';
}

/* Skip the line at c->p, its line break included. */
static void skip_line(struct csv *c)
{
	c->p += strcspn(c->p, "\n");
	c->p += c->p < c->end;
	c->next_line++;
}

int csv_open(struct csv *c, const char *data, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->text = to_utf8(data, len, &c->tlen);
	if (!c->text) {
		errno = ENOMEM;
		return -1;
	}
	c->p = c->text;
	c->end = c->text + c->tlen;
	c->next_line = 1;
	/* Excel's "sep=;" line, and Windows PowerShell's "#TYPE ..." line */
	if (c->end - c->p >= 5 && !strncasecmp(c->p, "sep=", 4)) {
		c->delim = c->p[4];
		skip_line(c);
	}
	while (c->p < c->end && (*c->p == '#' || *c->p == '\n' || *c->p == '\r'))
		skip_line(c);
	if (!c->delim)
		c->delim = guess_delim(c->p, c->end);
	return 0;
}

void csv_close(struct csv *c)
{
	if (c->text) {
		explicit_bzero(c->text, c->tlen);
		free(c->text);
	}
	if (c->buf) {
		explicit_bzero(c->buf, c->cap);
		free(c->buf);
	}
	memset(c, 0, sizeof(*c));
}
