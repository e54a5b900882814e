/*
 * fuzz_manifest.c - libFuzzer target for the quarantine manifest reader:
 * a manifest lies on the Windows volume, where anyone with the disk (or
 * malware) can craft one; restore trusts nothing in it.  Every entry read
 * is either refused or a path file_check_relpath() accepts.
 *   make fuzz-run-manifest FUZZ_SECONDS=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "finding.h"
#include "quarantine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct finding *f = NULL;
	size_t n = 0;

	if (quarantine_parse_manifest((const char *)data, size, &f, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			/* the promise restore stands on: a usable entry is a plain path */
			if (!f[i].result && (!f[i].path || file_check_relpath(f[i].path, '\\') ||
					     strlen(f[i].d.sha256) != 64 || f[i].d.size < 0))
				abort();
		}
	}
	for (size_t i = 0; i < n; i++)
		finding_free(&f[i]);
	free(f);
	return 0;
}
