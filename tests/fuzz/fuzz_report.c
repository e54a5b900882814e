/*
 * fuzz_report.c - libFuzzer target for the auditors' HTML report: records
 * come from sticks anyone could have edited, so whatever a record holds,
 * counting it must not crash and the page must stay inert: no markup of
 * the record's own, no record text in an attribute.
 *   make fuzz-run-report FUZZ_SECONDS=60
 * The input is log lines, one record per line; the whole input is also
 * escaped as one text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "logreport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort (a finding) when an attribute holds anything bootfix does not write there. */
static void check_page(const char *html)
{
	for (const char *p = html; (p = strstr(p, "=\"")); p++) {
		const char *end = strchr(p + 2, '"');

		if (!end)
			abort();
		for (const char *c = p + 2; c < end; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				    " #:;.,-_'()%/=", *c))
				abort();
		p = end;
	}
	/* every tag is one bootfix writes: record text never makes markup */
	for (const char *p = html; (p = strchr(p, '<')); p++) {
		static const char *const ours[] = {
			"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2",
			"h3", "p", "span", "section", "div", "table", "thead", "tbody", "tr", "th",
			"td", "bdi", "code", "ul", "li", "svg", "desc", "line", "text", "rect",
			"footer", "br", "colgroup", "col",
		};
		const char *name = p + 1 + (p[1] == '/');
		size_t n = strspn(name, "!abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
		int known = 0;

		for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
			known |= strlen(ours[i]) == n && !strncmp(ours[i], name, n);
		if (!known)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *nl, *out = NULL;
	struct logreport *r = logreport_new();
	size_t outlen = 0;
	FILE *f;

	if (!text || !r) {
		free(text);
		logreport_free(r);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	f = open_memstream(&out, &outlen);
	logreport_html_text(f, text, 1000);
	fclose(f);
	if (strpbrk(out, "<>\"'"))
		abort();
	free(out);
	logreport_source(r, &(struct logreport_source_info){ .name = text, .intact = 0,
							     .why = text });
	for (line = text; line; line = nl) {
		struct json_object *rec;

		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		rec = json_tokener_parse(line);
		if (rec && json_object_is_type(rec, json_type_object))
			logreport_record(r, rec, "fuzz.jsonl");
		json_object_put(rec);
	}
	out = NULL;
	f = open_memstream(&out, &outlen);
	logreport_write(r, f, 1721376000);
	fclose(f);
	check_page(out);
	free(out);
	logreport_free(r);
	free(text);
	return 0;
}
