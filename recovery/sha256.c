/*
 * sha256.c - SHA-256 sums as hex text (see sha256.h); the one place the
 * bytes of a digest become the digits a person or sha256sum compares.
 */
#include <string.h>

#include <openssl/evp.h>

#include "sha256.h"

void sha256_hex_digest(const unsigned char md[32], char out[SHA256_HEX_LEN])
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void sha256_hex(const void *buf, size_t len, char out[SHA256_HEX_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) || n != 32) {
		memset(out, '?', 64);
		out[64] = '\0';
		return;
	}
	sha256_hex_digest(md, out);
}
