/*
 * fuzz_ldm.c - libFuzzer target for the LDM database of a dynamic disk
 * (ldm.c): anyone can write any bytes to a disk.  The input is the PRIVHEAD
 * sector (512 bytes) followed by the database's first bytes; the rest of
 * the 1 MiB database is zeros.  A parse that succeeds must give printable,
 * distinct names and simple-volume extents inside the data area, clear of
 * sector 0, the PRIVHEAD and the database.
 *   make fuzz-run-ldm FUZZ_SECONDS=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DB (2048 * 512)
#define DISK_SECTORS (48 * 2048)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t config[DB];
	struct ldm_group g;
	uint64_t db_start;

	if (size < 512)
		return 0;
	memset(config, 0, sizeof(config));
	memcpy(config, data + 512, size - 512 < DB ? size - 512 : DB);
	if (ldm_parse(data, 512, 6, config, DB, DISK_SECTORS, &g) < 0)
		return 0;
	db_start = 0;
	for (int i = 0; i < 8; i++)
		db_start = db_start << 8 | data[0x12B + i];
	for (size_t i = 0; i < g.n; i++) {
		const struct ldm_volume *v = &g.v[i];

		if (!memchr(v->name, '\0', sizeof(v->name)))
			abort();
		for (const char *c = v->name; *c; c++)
			if (*c < 0x20 || *c >= 0x7f)
				abort();
		for (size_t k = 0; k < i; k++)
			if (!strcmp(g.v[k].name, v->name))
				abort();
		if (!v->length)
			continue;
		if (v->kind != LDM_SIMPLE || !v->here || v->offset < g.data_start ||
		    v->length > g.data_size || v->offset - g.data_start > g.data_size - v->length)
			abort();
		if (v->offset / 512 == 0 || v->offset + v->length > (uint64_t)DISK_SECTORS * 512)
			abort();
		if (v->offset <= 6 * 512 && v->offset + v->length > 6 * 512)
			abort();
		if (v->offset < (db_start + 2048) * 512 && db_start * 512 < v->offset + v->length)
			abort();
	}
	ldm_free(&g);
	return 0;
}
