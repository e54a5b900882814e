/*
 * auditlog_sign.c - Ed25519 signatures of log lines: loading keys,
 * naming a key by the SHA-256 of its public half ("sig_key"), signing a
 * line and checking one.  A signature covers the line's bytes as they are
 * without its `,"sig":"..."` member (always the last), i.e. everything up
 * to it followed by '}'.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "auditlog_internal.h"
#include "err.h"
#include "file.h"
#include "sha256.h"

#define SIG_MEMBER ",\"sig\":\""
#define KEY_MAX (64 * 1024)

EVP_PKEY *auditlog_sign_load_key(const char *path, int private)
{
	size_t len;
	char *pem = file_slurp(AT_FDCWD, path, KEY_MAX, &len);
	EVP_PKEY *k = NULL;
	BIO *b;

	if (!pem)
		return NULL;
	b = BIO_new_mem_buf(pem, (int)len);
	if (b && !private)
		k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	if (b && !k) {
		BIO_free(b);
		b = BIO_new_mem_buf(pem, (int)len);
		k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	}
	BIO_free(b);
	OPENSSL_cleanse(pem, len);
	free(pem);
	if (!k) {
		err_set("cannot read key %s: not a PEM %s key", path, private ? "private" : "public");
		return NULL;
	}
	if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		err_set("cannot use key %s: not an Ed25519 key", path);
		return NULL;
	}
	return k;
}

EVP_PKEY *auditlog_load_pubkey(const char *path)
{
	return auditlog_sign_load_key(path, 0);
}

/* hex SHA-256 of the raw 32-byte public key: names the key in "sig_key". */
static int key_id(EVP_PKEY *k, char out[65])
{
	unsigned char raw[64];
	size_t n = sizeof(raw);

	if (EVP_PKEY_get_raw_public_key(k, raw, &n) != 1)
		return -1;
	sha256_hex(raw, n, out);
	return 0;
}

/* Sign s[0..len) (a JSON object) and return it with the sig member added, or NULL. */
static char *sign_bytes(EVP_PKEY *k, const char *s, size_t len)
{
	unsigned char sig[64];
	char b64[128], *out = NULL;
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx && len >= 2 && s[len - 1] == '}' &&
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)s, len) == 1 && siglen == 64) {
		EVP_EncodeBlock((unsigned char *)b64, sig, 64);
		if (asprintf(&out, "%.*s" SIG_MEMBER "%s\"}", (int)(len - 1), s, b64) < 0)
			out = NULL;
	}
	EVP_MD_CTX_free(ctx);
	return out;
}

int auditlog_sign_check(const char *s, size_t len, struct json_object *j,
			EVP_PKEY *const *keys, size_t n, const char **why)
{
	const char *last = NULL, *b64, *named = get_str(j, "sig_key"), *p = NULL;
	unsigned char sig[72];
	char *msg;
	size_t blen, mlen;
	int ok = 0, named_found = 0;

	json_object_object_foreach(j, k, v) {
		(void)v;
		last = k;
	}
	b64 = get_str(j, "sig");
	if (!b64) {
		if (json_object_object_get_ex(j, "sig", NULL)) {
			*why = "sig is not a string";
			return -1;
		}
		return 0;
	}
	if (!last || strcmp(last, "sig")) {
		*why = "sig is not the last member";
		return -1;
	}
	for (const char *q = s; (q = memmem(q, len - (size_t)(q - s), SIG_MEMBER,
					  sizeof(SIG_MEMBER) - 1)); q++)
		p = q;
	blen = strlen(b64);
	if (!p || blen != 88 || strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789+/=") != blen ||
	    (size_t)(p - s) + sizeof(SIG_MEMBER) - 1 + blen + 2 != len ||
	    memcmp(p + sizeof(SIG_MEMBER) - 1, b64, blen) ||
	    EVP_DecodeBlock(sig, (const unsigned char *)b64, (int)blen) != 66) {
		*why = "sig is not a base64 Ed25519 signature at the end of the line";
		return -1;
	}
	if (n == 0)
		return 2;
	mlen = (size_t)(p - s) + 1;
	msg = malloc(mlen);
	if (!msg) {
		*why = "out of memory";
		return -1;
	}
	memcpy(msg, s, mlen - 1);
	msg[mlen - 1] = '}';
	for (size_t i = 0; i < n && !ok; i++) {
		char id[65];
		EVP_MD_CTX *ctx;

		if (named && key_id(keys[i], id) == 0 && strcmp(id, named))
			continue;
		named_found = 1;
		ctx = EVP_MD_CTX_new();
		ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, keys[i]) == 1 &&
		     EVP_DigestVerify(ctx, sig, 64, (unsigned char *)msg, mlen) == 1;
		EVP_MD_CTX_free(ctx);
	}
	free(msg);
	if (!ok)
		*why = named_found ? "bad signature (the record was changed after signing)" :
			"signed with a key that is not one of the --pubkey keys (sig_key differs)";
	return ok ? 1 : -1;
}

char *auditlog_sign_line(struct json_object *o, EVP_PKEY *k)
{
	size_t len;
	const char *s;
	char id[65];

	json_object_object_del(o, "sig");
	json_object_object_del(o, "sig_key");
	if (k && key_id(k, id) == 0)
		put_str(o, "sig_key", id);
	s = to_line(o, &len);
	if (!s)
		return NULL;
	return k ? sign_bytes(k, s, len) : strdup(s);
}
