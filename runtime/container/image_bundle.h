/* The bundle of `create|run --image`: made from the image store, removed at delete. */
#ifndef HUSK_RUNTIME_IMAGE_BUNDLE_H
#define HUSK_RUNTIME_IMAGE_BUNDLE_H

#include "../../common/error.h"
#include "../context.h"

/* Make an overlay bundle of image at dir (config.json from the image, husk spec's defaults
 * for the rest); args (NULL-terminated, may be NULL) replace the image's Cmd; entrypoint (may
 * be NULL) the image's Entrypoint, as docker's --entrypoint. */
int rt_image_bundle_make(const struct rt_globals *g, const char *image, const char *entrypoint,
			 char *const *args, const char *dir, struct rt_error *err);
/* Unmount and remove such a bundle; missing is fine. */
int rt_image_bundle_remove(const struct rt_globals *g, const char *dir, struct rt_error *err);

#endif
