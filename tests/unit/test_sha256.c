/* test_sha256.c - SHA-256 sums as the hex text bootfix writes (recovery/sha256.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "sha256.h"

static void test_known_sums(void **state)
{
	char out[SHA256_HEX_LEN];

	(void)state;
	/* FIPS 180-2's examples, and the empty file as sha256sum prints it */
	sha256_hex("abc", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("", 0, out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* bytes, not a C string: a NUL inside counts */
	sha256_hex("a\0b", 3, out);
	assert_int_equal(strlen(out), 64);
	assert_string_not_equal(out, "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb");
}

static void test_digest_to_hex(void **state)
{
	unsigned char md[32];
	unsigned int n = 0;
	char out[SHA256_HEX_LEN], want[SHA256_HEX_LEN];

	(void)state;
	assert_true(EVP_Digest("abc", 3, md, &n, EVP_sha256(), NULL));
	sha256_hex_digest(md, out);
	sha256_hex("abc", 3, want);
	assert_string_equal(out, want);
	/* every byte value maps to two lower-case digits */
	for (int i = 0; i < 32; i++)
		md[i] = (unsigned char)(i * 8 + 7);
	md[0] = 0x00;
	md[31] = 0xff;
	sha256_hex_digest(md, out);
	assert_memory_equal(out, "000f171f", 8);
	assert_string_equal(out + 62, "ff");
	assert_int_equal(strspn(out, "0123456789abcdef"), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_sums),
		cmocka_unit_test(test_digest_to_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
