#define _GNU_SOURCE
#include "digest.h"

/* The one-shot SHA256_* functions are deprecated in OpenSSL 3 in favour of EVP, but EVP links
 * the whole provider machinery: husk links libcrypto statically (no loader cost at every
 * container start), and SHA256_* pulls in 35 KB where EVP pulls in 3.8 MB, with the same
 * SHA-NI/AVX2 code. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct img_hasher {
	SHA256_CTX ctx;
};

int img_hasher_new(struct img_hasher **ret, struct rt_error *err)
{
	struct img_hasher *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return rt_error_set(err, ENOMEM, "sha256 context");
	SHA256_Init(&h->ctx);
	*ret = h;
	return 0;
}

void img_hasher_update(struct img_hasher *h, const void *data, size_t len)
{
	if (len)
		SHA256_Update(&h->ctx, data, len);
}

static void to_hex(const unsigned char *md, unsigned n, char buf[IMG_DIGEST_STR_LEN])
{
	static const char hex[] = "0123456789abcdef";

	memcpy(buf, "sha256:", 7);
	for (unsigned i = 0; i < n && i < 32; i++) {
		buf[7 + 2 * i] = hex[md[i] >> 4];
		buf[7 + 2 * i + 1] = hex[md[i] & 15];
	}
	buf[IMG_DIGEST_STR_LEN - 1] = '\0';
}

void img_hasher_final(struct img_hasher *h, char buf[IMG_DIGEST_STR_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256_Final(md, &h->ctx);
	to_hex(md, SHA256_DIGEST_LENGTH, buf);
	SHA256_Init(&h->ctx);
}

void img_hasher_free(struct img_hasher *h)
{
	int saved = errno;

	if (h == NULL)
		return;
	free(h);
	errno = saved;
}

void img_digest_buf(const void *data, size_t len, char buf[IMG_DIGEST_STR_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256_CTX ctx;

	/* not SHA256(): in OpenSSL 3 the one-shot goes through EVP and its providers */
	SHA256_Init(&ctx);
	SHA256_Update(&ctx, data, len);
	SHA256_Final(md, &ctx);
	to_hex(md, SHA256_DIGEST_LENGTH, buf);
}

int img_digest_validate(const char *s, const char *what, struct rt_error *err)
{
	if (s == NULL)
		return rt_error_set(err, EINVAL, "%s: missing digest", what);
	if (strncmp(s, "sha256:", 7) != 0)
		return rt_error_set(err, ENOTSUP, "%s: unsupported digest `%.80s` (only sha256)",
				    what, s);
	if (strlen(s + 7) != IMG_DIGEST_HEX_LEN)
		return rt_error_set(err, EINVAL, "%s: malformed digest `%.80s`", what, s);
	for (const char *p = s + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return rt_error_set(err, EINVAL, "%s: malformed digest `%.80s`", what, s);
	return 0;
}
