#define _GNU_SOURCE
#include "container_ext.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../../common/cleanup.h"
#include "../../images/image.h"
#include "../pod/pod.h"

static int add_bind(struct rt_spec *spec, const char *src, const char *dst, struct rt_error *err)
{
	struct rt_mount *m = realloc(spec->mounts, (spec->n_mounts + 1) * sizeof(*m));

	if (m == NULL)
		return rt_error_set(err, ENOMEM, "pod mounts");
	spec->mounts = m;
	m = &spec->mounts[spec->n_mounts];
	memset(m, 0, sizeof(*m));
	m->destination = strdup(dst);
	m->source = strdup(src);
	m->type = strdup("bind");
	m->kind = RT_MOUNT_BIND;
	m->flags = MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	spec->n_mounts++;
	if (m->destination == NULL || m->source == NULL || m->type == NULL)
		return rt_error_set(err, ENOMEM, "pod mounts");
	return 0;
}

static int join_ns(struct rt_spec *spec, enum rt_ns_type t, const char *path, struct rt_error *err)
{
	struct rt_namespace *ns = &spec->linux_cfg.ns[t];

	free(ns->path);
	ns->present = 1;
	ns->path = strdup(path);
	return ns->path ? 0 : rt_error_set(err, ENOMEM, "pod namespaces");
}

int rt_pod_apply(const struct rt_globals *g, const char *pod, struct rt_spec *spec,
		 struct rt_error *err)
{
	struct rt_pod_join j = {0};
	int r = -1;

	if (rt_pod_join_info(g->root, pod, &j, err) < 0)
		return rt_error_wrap(err, "--pod `%s`", pod);
	if (join_ns(spec, RT_NS_NET, j.netns, err) < 0 ||
	    join_ns(spec, RT_NS_IPC, j.ipcns, err) < 0 ||
	    join_ns(spec, RT_NS_UTS, j.utsns, err) < 0)
		goto out;
	free(spec->hostname);
	spec->hostname = NULL;
	free(spec->domainname);
	spec->domainname = NULL;
	if (add_bind(spec, j.hosts, "/etc/hosts", err) < 0 ||
	    add_bind(spec, j.hostname, "/etc/hostname", err) < 0 ||
	    add_bind(spec, j.resolv_conf, "/etc/resolv.conf", err) < 0)
		goto out;
	r = 0;
out:
	rt_pod_join_clear(&j);
	return r;
}

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
