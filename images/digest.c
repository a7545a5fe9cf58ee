#define _GNU_SOURCE
#include "digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct img_hasher {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
};

int img_hasher_new(struct img_hasher **ret, struct rt_error *err)
{
	struct img_hasher *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return rt_error_set(err, ENOMEM, "sha256 context");
	h->md = EVP_sha256();
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1) {
		img_hasher_free(h);
		return rt_error_set(err, ENOMEM, "sha256 context");
	}
	*ret = h;
	return 0;
}

void img_hasher_update(struct img_hasher *h, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(h->ctx, data, len);
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
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	to_hex(md, n, buf);
	EVP_DigestInit_ex(h->ctx, h->md, NULL);
}

void img_hasher_free(struct img_hasher *h)
{
	int saved = errno;

	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
	errno = saved;
}

void img_digest_buf(const void *data, size_t len, char buf[IMG_DIGEST_STR_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	to_hex(md, n, buf);
}

int img_digest_validate(const char *s, const char *what, struct rt_error *err)
{
	if (s == NULL)
		return rt_error_set(err, EINVAL, "%s: missing digest", what);
	if (strncmp(s, "sha256:", 7) != 0)
		return rt_error_set(err, ENOTSUP, "%s: unsupported digest `%.80s` (only sha256)", what,
				    s);
	if (strlen(s + 7) != IMG_DIGEST_HEX_LEN)
		return rt_error_set(err, EINVAL, "%s: malformed digest `%.80s`", what, s);
	for (const char *p = s + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return rt_error_set(err, EINVAL, "%s: malformed digest `%.80s`", what, s);
	return 0;
}
