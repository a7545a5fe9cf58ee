#define _GNU_SOURCE
#include "image_bundle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/cleanup.h"
#include "../../images/image.h"
#include "../spec/spec.h"

int rt_image_bundle_make(const struct rt_globals *g, const char *image, const char *entrypoint,
			 char *const *args, const char *dir, struct rt_error *err)
{
	cleanup_store struct img_store *s = NULL;
	cleanup_free char *base = rt_spec_default_json(0, 0, 0);
	struct img_bundle_opts o = {
	    .ref = image, .dir = dir, .base_config = base, .args = args, .entrypoint = entrypoint};

	if (base == NULL)
		return rt_error_set(err, ENOMEM, "default config");
	if (img_store_open(g->store, &s, err) < 0)
		return rt_error_wrap(err, "--image `%s`", image);
	if (img_bundle_create(s, &o, err) < 0)
		return rt_error_wrap(err, "--image `%s`", image);
	return 0;
}

int rt_image_bundle_remove(const struct rt_globals *g, const char *dir, struct rt_error *err)
{
	cleanup_store struct img_store *s = NULL;

	if (img_store_open(g->store, &s, err) < 0)
		return -1;
	return img_bundle_delete(s, dir, err);
}
