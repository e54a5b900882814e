/*
 * test_csv.c - the CSV reader key exports go through (recovery/csv.c):
 * quoting, delimiters, what comes before the header, encodings (cmocka).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"

static void test_quoting(void **state)
{
	const char *text = "Name,Value,Note\r\n"
			   "\"a, b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
			   "plain,  spaced  ,\n"
			   "last,no newline";
	struct csv c;

	(void)state;
	assert_int_equal(csv_open(&c, text, strlen(text)), 0);
	assert_int_equal(c.delim, ',');
	assert_int_equal(csv_row(&c), 1);
	assert_int_equal(c.nf, 3);
	assert_int_equal(c.line, 1);
	assert_string_equal(csv_field(&c, 2), "Note");
	assert_int_equal(csv_row(&c), 1);
	assert_int_equal(c.line, 2);
	assert_string_equal(csv_field(&c, 0), "a, b");
	assert_string_equal(csv_field(&c, 1), "say \"hi\"");
	assert_string_equal(csv_field(&c, 2), "two\nlines");
	/* a line break inside quotes counts: the next row starts on line 4 */
	assert_int_equal(csv_row(&c), 1);
	assert_int_equal(c.line, 4);
	assert_string_equal(csv_field(&c, 1), "  spaced  ");
	assert_string_equal(csv_field(&c, 2), "");
	assert_int_equal(csv_row(&c), 1);
	assert_int_equal(c.line, 5);
	assert_string_equal(csv_field(&c, 1), "no newline");
	/* a field the row does not have reads as "", and may be trimmed in place */
	assert_string_equal(csv_field(&c, 7), "");
	csv_field(&c, 7)[0] = '\0';
	assert_int_equal(csv_row(&c), 0);
	csv_close(&c);
	assert_null(c.text);
	assert_null(c.buf);
}

static void test_before_the_header(void **state)
{
	const char *excel = "sep=;\nKeyId;Key\n1;2\n";
	const char *ps = "#TYPE Selected.Microsoft.ActiveDirectory.Management.ADObject\n\n"
			 "\"Name\"\t\"Key\"\n\"x,y\"\t\"z;w\"\n";
	const char *blank = "a,b\n\n , \n1,2\n";
	struct csv c;

	(void)state;
	assert_int_equal(csv_open(&c, excel, strlen(excel)), 0);
	assert_int_equal(c.delim, ';');
	assert_int_equal(csv_row(&c), 1);
	assert_int_equal(c.line, 2);
	assert_string_equal(csv_field(&c, 1), "Key");
	csv_close(&c);
	/* PowerShell's #TYPE line; a tab beats the commas and semicolons inside quotes */
	assert_int_equal(csv_open(&c, ps, strlen(ps)), 0);
	assert_int_equal(c.delim, '\t');
	assert_int_equal(csv_row(&c), 1);
	assert_int_equal(c.line, 3);
	assert_int_equal(csv_row(&c), 1);
	assert_string_equal(csv_field(&c, 0), "x,y");
	assert_string_equal(csv_field(&c, 1), "z;w");
	csv_close(&c);
	/* empty and blank rows are rows; csv_blank() tells them */
	assert_int_equal(csv_open(&c, blank, strlen(blank)), 0);
	assert_int_equal(csv_row(&c), 1);
	assert_false(csv_blank(&c));
	assert_int_equal(csv_row(&c), 1);
	assert_true(csv_blank(&c));
	assert_int_equal(csv_row(&c), 1);
	assert_true(csv_blank(&c));
	assert_int_equal(csv_row(&c), 1);
	assert_int_equal(c.line, 4);
	assert_string_equal(csv_field(&c, 1), "2");
	csv_close(&c);
}

/* "Id,Kéy\n1,2\n" in UTF-16, little or big endian, with or without a BOM */
static size_t utf16(unsigned char *out, int bom, int big)
{
	static const unsigned short text[] = { 'I', 'd', ',', 'K', 0xe9, 'y', '\n', '1', ',',
					       '2', '\n' };
	size_t n = 0;

	if (bom) {
		out[n++] = big ? 0xfe : 0xff;
		out[n++] = big ? 0xff : 0xfe;
	}
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		out[n++] = (unsigned char)(big ? text[i] >> 8 : text[i] & 0xff);
		out[n++] = (unsigned char)(big ? text[i] & 0xff : text[i] >> 8);
	}
	return n;
}

static void test_encodings(void **state)
{
	unsigned char buf[64];
	const char *bom8 = "\xef\xbb\xbfId,K\xc3\xa9y\n1,2\n";
	struct csv c;
	size_t n;

	(void)state;
	for (int form = 0; form < 4; form++) {
		if (form < 3)
			n = utf16(buf, form != 2, form == 1);
		else
			memcpy(buf, bom8, n = strlen(bom8));
		assert_int_equal(csv_open(&c, (const char *)buf, n), 0);
		assert_int_equal(csv_row(&c), 1);
		assert_string_equal(csv_field(&c, 0), "Id");
		assert_string_equal(csv_field(&c, 1), "K\xc3\xa9y");
		assert_int_equal(csv_row(&c), 1);
		assert_string_equal(csv_field(&c, 1), "2");
		assert_int_equal(csv_row(&c), 0);
		csv_close(&c);
	}
}

static void test_hostile(void **state)
{
	size_t n = 3 * CSV_MAX_FIELDS + 16;
	char *wide = malloc(n);
	const char *open_quote = "a,\"never closed\nb,c\n";
	struct csv c;
	size_t o = 0;

	(void)state;
	assert_non_null(wide);
	/* more fields than the reader keeps apart: the rest joins the last one */
	for (int i = 0; i < CSV_MAX_FIELDS + 4; i++)
		o += (size_t)snprintf(wide + o, n - o, "%s%d", i ? "," : "", i % 10);
	assert_int_equal(csv_open(&c, wide, o), 0);
	assert_int_equal(csv_row(&c), 1);
	assert_int_equal(c.nf, CSV_MAX_FIELDS);
	assert_string_equal(csv_field(&c, 0), "0");
	csv_close(&c);
	free(wide);
	/* a quote never closed swallows the rest: one row, no overrun */
	assert_int_equal(csv_open(&c, open_quote, strlen(open_quote)), 0);
	assert_int_equal(csv_row(&c), 1);
	assert_string_equal(csv_field(&c, 1), "never closed\nb,c\n");
	assert_int_equal(csv_row(&c), 0);
	csv_close(&c);
	/* NUL bytes and nothing at all */
	assert_int_equal(csv_open(&c, "a\0b,c\n", 6), 0);
	assert_int_equal(csv_row(&c), 1);
	csv_close(&c);
	assert_int_equal(csv_open(&c, "", 0), 0);
	assert_int_equal(csv_row(&c), 0);
	csv_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_before_the_header),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
