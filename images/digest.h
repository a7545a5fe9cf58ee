/* sha256 digests: streaming hashing with OpenSSL EVP and the "sha256:<64 hex>" form used in
 * OCI descriptors.  Every blob husk stores or unpacks goes through an img_hasher while it is
 * read, so content is verified in the same pass that consumes it. */
#ifndef HUSK_IMAGES_DIGEST_H
#define HUSK_IMAGES_DIGEST_H

#include <stddef.h>

#include "../common/cleanup.h"
#include "../common/error.h"

#define IMG_DIGEST_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define IMG_DIGEST_STR_LEN (7 + IMG_DIGEST_HEX_LEN + 1)

struct img_hasher; /* wraps an EVP_MD_CTX; the type stays out of the header */

int img_hasher_new(struct img_hasher **ret, struct rt_error *err);
void img_hasher_update(struct img_hasher *h, const void *data, size_t len);
/* Finish into "sha256:<hex>" (buf of IMG_DIGEST_STR_LEN); the hasher can be reused after. */
void img_hasher_final(struct img_hasher *h, char buf[IMG_DIGEST_STR_LEN]);
void img_hasher_free(struct img_hasher *h);

DEFINE_CLEANUP_FUNC(struct img_hasher *, img_hasher_free)
#define cleanup_hasher __attribute__((cleanup(img_hasher_freep)))

/* One-shot digest of a buffer. */
void img_digest_buf(const void *data, size_t len, char buf[IMG_DIGEST_STR_LEN]);

/* Check that s is "sha256:" followed by exactly 64 lowercase hex digits.  Digests become file
 * names in the store and in image layouts, so anything else (another algorithm, "../", a
 * short value) is refused here, before it reaches a path.  what names the field for err. */
int img_digest_validate(const char *s, const char *what, struct rt_error *err);

/* The hex part of a validated digest. */
static inline const char *img_digest_hex(const char *digest)
{
	return digest + 7;
}

#endif
