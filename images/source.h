/* Image sources in skopeo's transport syntax, read in place: an OCI image layout directory,
 * or an uncompressed oci-archive / docker-archive tarball whose members are located once (a
 * header walk) and then read as byte ranges of the archive file: no temporary copy. */
#ifndef HUSK_IMAGES_SOURCE_H
#define HUSK_IMAGES_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/cleanup.h"
#include "../common/error.h"

enum img_source_kind { IMG_SOURCE_OCI_DIR, IMG_SOURCE_OCI_ARCHIVE, IMG_SOURCE_DOCKER_ARCHIVE };

struct img_source;

/* A member of the source: a byte range of fd (owned by the source, valid until it is freed). */
struct img_member {
	int fd;
	off_t offset;
	int64_t size;
};

/* Parse "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]" or "docker-archive:FILE" and open it. */
int img_source_open(const char *spec, struct img_source **ret, struct rt_error *err);
void img_source_free(struct img_source *src);
DEFINE_CLEANUP_FUNC(struct img_source *, img_source_free)
#define cleanup_source __attribute__((cleanup(img_source_freep)))

enum img_source_kind img_source_kind(const struct img_source *src);
const char *img_source_tag(const struct img_source *src);  /* NULL when not given */
const char *img_source_path(const struct img_source *src); /* DIR or FILE, for messages */

/* Locate member path ("index.json", "blobs/sha256/HEX", "abc/layer.tar").  In archives,
 * symlink members (docker save links repeated layers) are followed inside the archive. */
int img_source_member(struct img_source *src, const char *path, struct img_member *ret,
		      struct rt_error *err);

/* Read a small member (JSON) into a NUL-terminated heap buffer; more than max bytes fails. */
int img_source_read(struct img_source *src, const char *path, size_t max, char **ret_buf,
		    size_t *ret_len, struct rt_error *err);

/* Split "NAME:TAG" at the tag colon of a transport path; exposed for unit tests. */
int img_source_split(const char *spec, enum img_source_kind *ret_kind, char **ret_path,
		     char **ret_tag, struct rt_error *err);

#endif
