/*
 * fuzz_log.c - libFuzzer target for the audit log reader: logs come back
 * from sticks anyone could have edited, and auditors run bootfix log on
 * them, so parsing, verifying and reading records must survive anything.
 *   make fuzz-run-log FUZZ_SECONDS=60
 * The input is a log; when it holds a form feed, what follows is its head file.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auditlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *ff = memchr(buf, '\f', size);
	size_t len = ff ? (size_t)(ff - buf) : size;
	struct auditlog log;
	size_t n;

	if (auditlog_parse(&log, "fuzz.jsonl", buf, len, ff ? ff + 1 : NULL,
			   ff ? size - len - 1 : 0) == 0) {
		auditlog_verify(&log, NULL, 0, ignore, NULL, &n);
		for (size_t i = 0; i < log.n; i++)
			if (log.lines[i].rec) {
				struct auditlog_row row;

				auditlog_row(log.lines[i].rec, &row);
				auditlog_row_free(&row);
			}
	}
	auditlog_free(&log);
	return 0;
}
