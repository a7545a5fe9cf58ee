/* Store internals shared by import.c, bundle.c and store.c (not for the runtime). */
#ifndef HUSK_IMAGES_STORE_H
#define HUSK_IMAGES_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/cleanup.h"
#include "../common/error.h"
#include "digest.h"
#include "image.h"
#include "unpack.h"

struct img_store {
	char *path;
	int dirfd;  /* O_RDONLY|O_DIRECTORY of the store root */
	int lockfd; /* the "lock" file: imports and bundle creation shared, gc exclusive */
};

/* flock the store lock; op is LOCK_SH or LOCK_EX (| LOCK_NB).  Released by img_store_unlock
 * or when the store is closed. */
int img_store_lock(struct img_store *s, int op, struct rt_error *err);
void img_store_unlock(struct img_store *s);

struct img_record_layer {
	char digest[IMG_DIGEST_STR_LEN];
	char diff_id[IMG_DIGEST_STR_LEN];
	char *media_type;
	int64_t size;		/* blob size */
	uint64_t unpacked_size; /* bytes of the tar stream */
};

struct img_record {
	char *ref;			 /* name:tag */
	char digest[IMG_DIGEST_STR_LEN]; /* manifest */
	char config[IMG_DIGEST_STR_LEN];
	struct img_record_layer *layers;
	size_t n_layers;
};

void img_record_free(struct img_record *r);
DEFINE_CLEANUP_FUNC(struct img_record *, img_record_free)
#define cleanup_record __attribute__((cleanup(img_record_freep)))

/* "name" -> "name:latest"; refuses what cannot be a reference (and so a file name). */
int img_ref_normalize(const char *in, char **ret, struct rt_error *err);

int img_record_write(struct img_store *s, const struct img_record *r, struct rt_error *err);
/* ENOENT with "image `REF` not found" when there is no such image. */
int img_record_read(struct img_store *s, const char *ref, struct img_record **ret,
		    struct rt_error *err);
/* What a bundle needs, fast: ref, config and the layers' diff_ids (their digests, media types
 * and sizes may be left empty), from the image's layer index while it matches the record,
 * else from the record.  Errors as img_record_read. */
int img_record_read_layers(struct img_store *s, const char *ref, struct img_record **ret,
			   struct rt_error *err);

/* Blobs are written to tmp/ and renamed into blobs/sha256/ (atomic; a concurrent writer of
 * the same digest writes the same bytes).  Reading verifies the digest again. */
int img_blob_put(struct img_store *s, const char *digest, const void *data, size_t len,
		 struct rt_error *err);
int img_blob_get(struct img_store *s, const char *digest, char **ret, size_t *ret_len,
		 struct rt_error *err);

/* Make sure the layer diff_id is unpacked in the store, unpacking src when it is not: into
 * tmp/, verified, then renamed to layers/HEX.  Two processes importing the same layer
 * serialise on locks/HEX; the second finds it done.  ret_unpacked may be NULL;
 * *ret_done_now says whether this call unpacked it. */
int img_layer_ensure(struct img_store *s, const struct img_layer_src *src, const char *diff_id,
		     uint64_t *ret_unpacked, int *ret_done_now, struct rt_error *err);

/* Absolute path of a layer's tree, and the name of its short link in the store's l/ (the
 * fallback lowerdir syntax, relative to l/). */
void img_layer_root_path(struct img_store *s, const char *diff_id, char *buf, size_t len);
void img_layer_short_name(const char *diff_id, char *buf, size_t len);

/* After a refused import: remove what it stored that no record references (and any other
 * debris, as image prune does), if the store lock can be had exclusively right away; else
 * leave it for image prune.  1 when it ran, 0 when it did not.  Never fails: the caller
 * reports its own error. */
int img_store_undo_failed(struct img_store *s);

/* Collect the diff_ids referenced by image and bundle records (sorted, for bsearch). */
int img_store_layer_refs(struct img_store *s, char ***ret, size_t *ret_n, struct rt_error *err);
int img_refs_count(char **refs, size_t n, const char *diff_id);

#endif
