/*
 * fuzz_keys.c - libFuzzer target for what bootfix reads from others' hands:
 * key exports (CSV in any encoding), startup key files (.BEK) and the FVE
 * metadata of a BitLocker volume.  The first byte picks the reader.
 *   make fuzz-run-keys FUZZ_SECONDS=60
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bitlocker.h"
#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyring kr = { 0 };
	struct bitlocker_info bi;
	const struct keyring_entry *hit[4];
	char guid[BITLOCKER_GUID_LEN];
	unsigned char key[32];
	int fd;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		keys_parse_csv(&kr, "fuzz.csv", (const char *)data + 1, size - 1, ignore, NULL);
		for (size_t i = 0; i < kr.n; i++) {
			keys_find(&kr, kr.e[i].id, hit, 4);
			keys_lookup(&kr, kr.e[i].id);
		}
		keys_free(&kr);
		break;
	case 1:
		keys_add_bek(&kr, "fuzz.BEK", data + 1, size - 1);
		bitlocker_bek_parse(data + 1, size - 1, "fuzz.BEK", guid, key);
		keys_free(&kr);
		break;
	default:
		fd = memfd_create("fuzz-volume", 0);
		if (fd < 0)
			return 0;
		if (write(fd, data + 1, size - 1) == (ssize_t)(size - 1) &&
		    bitlocker_read_fd(fd, "fuzz", &bi) == 0) {
			char why[200];

			bitlocker_converting(&bi, why, sizeof(why));
			bitlocker_tpm_only(&bi);
			bitlocker_info_clear(&bi);
		}
		close(fd);
		break;
	}
	return 0;
}
