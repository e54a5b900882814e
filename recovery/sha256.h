/*
 * sha256.h - SHA-256 written as bootfix writes it everywhere: 64 lower-case
 * hex digits (quarantine manifests, rule file sums, the audit log chain),
 * the form `sha256sum -c` reads.
 */
#ifndef BOOTFIX_SHA256_H
#define BOOTFIX_SHA256_H

#include <stddef.h>

/* 64 hex digits and a NUL, as out[] must hold them. */
#define SHA256_HEX_LEN 65

/*
 * The SHA-256 of buf[0..len) into out.  Never fails: when OpenSSL cannot
 * hash (out of memory), out is 64 '?', which matches no sum.
 */
void sha256_hex(const void *buf, size_t len, char out[SHA256_HEX_LEN]);

/* A digest already computed (32 bytes, e.g. by EVP_DigestFinal_ex) into out. */
void sha256_hex_digest(const unsigned char md[32], char out[SHA256_HEX_LEN]);

#endif
