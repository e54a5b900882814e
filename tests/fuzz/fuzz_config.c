/*
 * fuzz_config.c - libFuzzer target for the bootfix.conf reader: the file
 * is on a stick that passes many hands; a bad one must give problems (each
 * one line), never a crash.
 *   make fuzz-run-config FUZZ_SECONDS=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	size_t n;

	config_init(&c);
	n = config_parse(&c, "bootfix.conf", (const char *)data, size);
	if (n > c.nproblems)
		abort();
	for (size_t i = 0; i < c.nproblems; i++)
		if (!c.problems[i] || strchr(c.problems[i], '\n'))
			abort();	/* a problem is one line */
	config_free(&c);
	return 0;
}
