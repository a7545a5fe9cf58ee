/* Bundle config from an image config: exposed for unit tests (bundle.c). */
#ifndef HUSK_IMAGES_BUNDLE_H
#define HUSK_IMAGES_BUNDLE_H

#include <stddef.h>
#include <sys/types.h>

#include "../common/error.h"

struct img_user {
	uid_t uid;
	gid_t gid;
	gid_t *additional; /* heap */
	size_t n_additional;
};

/* Resolve an image's User ("", "name", "uid", "name:group", "uid:gid") through etc/passwd
 * and etc/group of the tree rootfd (opened confined to it: the image controls the files). */
int img_user_resolve(int rootfd, const char *user, struct img_user *ret, struct rt_error *err);

/* config.json text for a bundle: base (husk spec's defaults) edited with the image config
 * (JSON text): process args (Entrypoint + Cmd, or Entrypoint + args when given), env, cwd,
 * user (resolved in rootfd), root "rootfs" writable, labels and exposed ports as
 * annotations.  entrypoint, when not NULL, replaces the image's Entrypoint as docker's
 * --entrypoint does: "" clears it, and the image's Cmd is dropped (args, if any, follow). */
int img_bundle_config(const char *base, const char *image_config, size_t config_len,
		      const char *entrypoint, char *const *args, int rootfd, const char *ref,
		      char **ret_json, struct rt_error *err);

#endif
