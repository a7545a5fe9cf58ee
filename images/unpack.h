/* Layer unpacking: one pass over a (gzip, zstd or plain) layer tar that hashes the compressed
 * bytes (the blob digest) and the tar stream (the diff_id) while it writes the files, converts
 * whiteouts to overlayfs's form and refuses any member that would land outside the layer. */
#ifndef HUSK_IMAGES_UNPACK_H
#define HUSK_IMAGES_UNPACK_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/error.h"
#include "digest.h"

enum img_compression {
	IMG_COMPRESSION_AUTO, /* docker-archive: whatever the bytes say */
	IMG_COMPRESSION_NONE,
	IMG_COMPRESSION_GZIP,
	IMG_COMPRESSION_ZSTD,
};

/* Where a layer's bytes are: a range of an open file (an image layout blob, or a member of an
 * uncompressed oci-archive / docker-archive read in place). */
struct img_layer_src {
	int fd;
	off_t offset;
	int64_t size;	  /* bytes from offset; -1: to end of file */
	const char *name; /* for messages: "layer sha256:..." */
	enum img_compression compression;
	const char *digest;  /* expected blob digest or NULL (not checked) */
	const char *diff_id; /* expected diff_id or NULL (not checked) */
	/* NULL, or set by another worker whose layer failed: stop at the next member with
	 * ECANCELED (the caller then removes what was unpacked) */
	const atomic_int *cancel;
};

struct img_unpack_stats {
	char digest[IMG_DIGEST_STR_LEN];  /* of the bytes read */
	char diff_id[IMG_DIGEST_STR_LEN]; /* of the uncompressed tar */
	uint64_t compressed_size;
	uint64_t uncompressed_size;
	uint64_t entries;
};

/* Unpack src into the directory dirfd (normally an empty temporary directory; the caller
 * renames it into the store only when this returns 0).  Expected digests that do not match
 * fail with EBADMSG after the whole stream was read; a hostile member fails with EPERM and a
 * message naming it.  ret_stats may be NULL. */
int img_unpack_layer(const struct img_layer_src *src, int dirfd, struct img_unpack_stats *ret_stats,
		     struct rt_error *err);

/* Member-name rules, exposed for unit tests.  Normalises name in place ("./a//b/" -> "a/b",
 * the layer root -> "") and refuses absolute names and ".." components. */
int img_member_name_normalize(char *name, struct rt_error *err);

enum img_whiteout_kind {
	IMG_WHITEOUT_NONE,   /* an ordinary member */
	IMG_WHITEOUT_FILE,   /* ".wh.NAME": *ret_target = "NAME" */
	IMG_WHITEOUT_OPAQUE, /* ".wh..wh..opq": the parent directory is opaque */
	IMG_WHITEOUT_META,   /* other ".wh..wh.*" (aufs bookkeeping): skipped */
};

/* Classify a normalised member name.  A whiteout whose target is empty, "." or ".." (as in
 * "sub/.wh..", which umoci takes as a whiteout of "sub/..") fails with EPERM. */
int img_whiteout_classify(const char *name, enum img_whiteout_kind *ret_kind,
			  const char **ret_target, struct rt_error *err);

#endif
