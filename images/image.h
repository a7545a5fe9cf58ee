/* The image store, as the commands and the container lifecycle see it.  A store is a
 * directory (default /var/lib/husk, `--store DIR`) holding:
 *   blobs/sha256/HEX         manifests and configs, content-addressed
 *   layers/HEX/root          each layer unpacked once, by diff_id (layers/HEX/layer.json: sizes)
 *   l/SHORT -> ../layers/HEX/root   short names for the overlay lowerdir fallback
 *   images/NAME%3ATAG.json   image records: manifest and config digests, layers
 *   bundles/ID/              upper and work dirs of one bundle + bundle.json (its layers)
 *   tmp/, locks/, lock       work areas and the store lock (flock: imports shared, gc exclusive)
 * Reference counts of layers are counted from the image and bundle records under the lock, so
 * they cannot drift from what the records say after a crash. */
#ifndef HUSK_IMAGES_IMAGE_H
#define HUSK_IMAGES_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/cleanup.h"
#include "../common/error.h"

struct img_store;

/* Open (creating it 0700 when missing) the store at path. */
int img_store_open(const char *path, struct img_store **ret, struct rt_error *err);
void img_store_close(struct img_store *s);
DEFINE_CLEANUP_FUNC(struct img_store *, img_store_close)
#define cleanup_store __attribute__((cleanup(img_store_closep)))

/* Import SOURCE ("oci:DIR[:TAG]", "oci-archive:FILE[:TAG]", "docker-archive:FILE") as name
 * (NAME[:TAG], NULL: derived from the source).  platform "os/arch[/variant]" or NULL for
 * linux/amd64.  Returns the image's manifest digest in ret_digest (heap) and the reference it
 * was stored as in ret_ref (heap, may be NULL). */
int img_import(struct img_store *s, const char *source, const char *name, const char *platform,
	       char **ret_digest, char **ret_ref, struct rt_error *err);

struct img_summary {
	char *ref;     /* "name:tag" */
	char *digest;  /* manifest digest */
	char *config;  /* config digest (the image id) */
	uint64_t size; /* unpacked size of all layers */
	size_t n_layers;
};
void img_summaries_free(struct img_summary *v, size_t n);

int img_list(struct img_store *s, struct img_summary **ret, size_t *ret_n, struct rt_error *err);

/* JSON text (heap): {"ref","digest","config": <image config>, "layers":[{digest, diff_id,
 * size, unpacked_size, refs}]}. */
int img_inspect(struct img_store *s, const char *ref, char **ret_json, struct rt_error *err);

/* Remove the image record and every layer and blob no other image or bundle uses. */
int img_remove(struct img_store *s, const char *ref, struct rt_error *err);

struct img_prune_stats {
	unsigned layers, blobs, tmp;
	uint64_t bytes;
};
/* Remove unreferenced layers and blobs and what crashed imports left in tmp/. */
int img_prune(struct img_store *s, struct img_prune_stats *ret, struct rt_error *err);

/* --- bundles: a config.json and an overlay rootfs made from an image --- */

struct img_bundle_opts {
	const char *ref;	 /* NAME[:TAG] */
	const char *dir;	 /* bundle directory (created if missing) */
	const char *base_config; /* config.json text to start from (rt_spec_default_json) */
	char *const *args;	 /* NULL-terminated command replacing the image's Cmd, or NULL */
	const char *entrypoint;	 /* replaces the image's Entrypoint ("": none), or NULL */
};

/* Write dir/config.json from the image config over base_config and mount the overlay at
 * dir/rootfs (lowerdirs: the image's layers; upper and work private to this bundle, under the
 * store).  The bundle holds references on its layers until img_bundle_delete.  On failure
 * nothing is left mounted or recorded. */
int img_bundle_create(struct img_store *s, const struct img_bundle_opts *opts,
		      struct rt_error *err);

/* Unmount dir/rootfs, remove the private upper layer, dir/config.json and the bundle's record.
 * A bundle that is not there (already deleted) is not an error. */
int img_bundle_delete(struct img_store *s, const char *dir, struct rt_error *err);

#endif
