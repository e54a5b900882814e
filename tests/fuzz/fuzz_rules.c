/*
 * fuzz_rules.c - libFuzzer target for the rules parser: rule files come
 * from whoever prepared the stick, so the parser must survive anything.
 *   make fuzz-run FUZZ_SECONDS=60
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset rs = { 0 };
	struct file_digest d;
	enum verdict v;

	rules_parse(&rs, "fuzz.rules", (const char *)data, size, ignore, NULL);
	memset(&d, 0, sizeof(d));
	d.size = (off_t)size;
	for (size_t i = 0; i < rs.n; i++)
		rules_judge(&rs, rs.rules[i].directory, "C-00000291-00000000-00000032.sys",
			    1721362140, &d, &v);
	rules_free(&rs);
	return 0;
}
