/* What `create|run --pod` and `--image` add to a container, and take away at delete. */
#ifndef HUSK_RUNTIME_CONTAINER_EXT_H
#define HUSK_RUNTIME_CONTAINER_EXT_H

#include "../../common/error.h"
#include "../context.h"
#include "../spec/spec.h"
#include "../core/state.h"

/* Make the container join the pod's net, ipc and uts namespaces and see the pod's /etc/hosts,
 * /etc/hostname and /etc/resolv.conf; the bundle's config.json on disk is not touched.  The
 * pod's hostname wins over the spec's (the uts namespace is the pod's). */
int rt_pod_apply(const struct rt_globals *g, const char *pod, struct rt_spec *spec,
		 struct rt_error *err);

/* Make an overlay bundle of image at dir (config.json from the image, husk spec's defaults
 * for the rest); args (NULL-terminated, may be NULL) replace the image's Cmd; entrypoint (may
 * be NULL) the image's Entrypoint, as docker's --entrypoint. */
int rt_image_bundle_make(const struct rt_globals *g, const char *image, const char *entrypoint,
			 char *const *args, const char *dir, struct rt_error *err);
/* Unmount and remove such a bundle; missing is fine. */
int rt_image_bundle_remove(const struct rt_globals *g, const char *dir, struct rt_error *err);

#endif
