/* A container joining a pod: its spec gets the pod's namespaces and /etc files. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "pod.h"

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
