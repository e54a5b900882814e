/*
 * csv.h - reading CSV as spreadsheets and consoles export it.
 *
 * Quoting as RFC 4180 says (a quoted field may hold the delimiter, quotes
 * written "" and line breaks); the delimiter, comma, semicolon or tab, is
 * the most frequent one in the header line unless Excel's "sep=X" line
 * names it; comment lines before the header ('#': Windows PowerShell's
 * "#TYPE ...") and blank lines are skipped.  The bytes may be UTF-8 with
 * or without BOM, or UTF-16 with a BOM (either order) or without one when
 * the text is ASCII with every other byte zero; the reader sees UTF-8.
 *
 * A CSV file may hold secrets (a key export): every buffer the reader
 * used is scrubbed with explicit_bzero() before it is freed.
 */
#ifndef BOOTFIX_CSV_H
#define BOOTFIX_CSV_H

#include <stddef.h>

/* Fields beyond this many are joined into the last one. */
#define CSV_MAX_FIELDS 256

/* A CSV text being read; the members are the reader's. */
struct csv {
	char *text;			/* the whole text as UTF-8 */
	size_t tlen;
	const char *p, *end;		/* what is left to read */
	char delim;
	char *buf;			/* the fields of the current row, NUL-separated */
	size_t cap;
	size_t off[CSV_MAX_FIELDS];
	size_t nf;			/* fields in the current row */
	unsigned line;			/* the line the current row starts on (1-based) */
	unsigned next_line;
	char empty[1];			/* what an absent field reads as */
};

/*
 * Start reading data[0..len) (copied, converted to UTF-8): skip what comes
 * before the header line and find the delimiter.  Returns 0, or -1 when
 * out of memory (errno ENOMEM; nothing to close).
 */
int csv_open(struct csv *c, const char *data, size_t len);

/*
 * Read the next row, the header line first.  Returns 1 with c->nf fields
 * (at least 1) and c->line set, 0 at the end, -1 when out of memory.
 */
int csv_row(struct csv *c);

/*
 * Field i of the current row, unquoted and NUL-terminated; "" when the row
 * has fewer fields.  The caller may change the string in place (trim it);
 * it is valid until the next csv_row().
 */
char *csv_field(struct csv *c, size_t i);

/* 1 when every field of the current row is empty or blanks (an empty line). */
int csv_blank(const struct csv *c);

/* Scrub and free what the reader holds; *c is empty afterwards. */
void csv_close(struct csv *c);

#endif
