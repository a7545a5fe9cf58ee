#define _GNU_SOURCE
#include "cgroup_rt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "../common/log.h"

static const char *const controller_names[] = {"cpuset",  "cpu",  "io",	  "memory",
					       "hugetlb", "pids", "rdma", "misc"};

static void warn_skipped(unsigned skipped)
{
	for (size_t i = 0; i < ARRAY_SIZE(controller_names); i++) {
		int c = cg_controller_from_name(controller_names[i], strlen(controller_names[i]));
		if (c >= 0 && (skipped & CG_BIT(c)))
			rt_warn("cgroup controller `%s` is not available in the cgroup v2 "
				"hierarchy: its "
				"limits are not applied (--skip-unavailable-limits)",
				controller_names[i]);
	}
}

/* containerd's ctr always asks for cpu.shares 1024, the v1 default.  Where the cgroup v2
 * hierarchy has no cpu controller (hybrid hosts keep it in v1) that request alone must not fail
 * the container: a default asks for nothing.  With the controller present it is written as
 * runc does (weight 39). */
static void drop_default_shares(const struct cg_hierarchy *h, struct cg_limits *l)
{
	int cpu = cg_controller_from_name("cpu", 3);

	if (l && l->has_cpu_shares && l->cpu_shares == 1024 && cpu >= 0 &&
	    !(h->controllers & CG_BIT(cpu)))
		l->has_cpu_shares = 0;
}

int rt_cgroup_create(const struct rt_globals *g, const struct rt_spec *spec, const char *id,
		     struct rt_cgroup *ret, struct rt_error *err)
{
	const struct rt_linux *lx = &spec->linux_cfg;
	cleanup_free char *own = NULL, *rel = NULL;
	int flags = 0, pflags = 0;

	memset(ret, 0, sizeof(*ret));
	if (g->cgroup_manager == RT_CGROUP_MANAGER_DISABLED)
		return 0;
	if (cg_hierarchy_open(NULL, &ret->h, err) < 0) {
		if (lx->resources == NULL) {
			/* nothing to enforce: run in the caller's cgroup rather than fail */
			rt_debug("no cgroup for `%s`: %s", id, err->msg);
			rt_error_release(err);
			return 0;
		}
		return rt_error_wrap(err, "linux.resources");
	}
	if (cg_own_cgroup(&own, err) < 0)
		goto fail;
	if (g->cgroup_manager == RT_CGROUP_MANAGER_SYSTEMD) {
		pflags |= CG_PATH_SYSTEMD;
		rt_log(RT_LOG_INFO, "no systemd manager: cgroupsPath `%s` mapped to cgroupfs",
		       lx->cgroups_path ? lx->cgroups_path : "");
	}
	if (cg_path_resolve(lx->cgroups_path, id, own, pflags, &rel, err) < 0) {
		rt_error_wrap(err, "config.json: linux.cgroupsPath");
		goto fail;
	}
	if (g->skip_unavailable_limits)
		flags |= CG_SKIP_UNAVAILABLE;
	if (lx->ns[RT_NS_USER].present && getuid() != 0)
		flags |= CG_NO_DEVICE_PROGRAM;
	drop_default_shares(ret->h, lx->resources);
	if (cg_create(ret->h, rel, lx->resources, flags, &ret->cg, err) < 0)
		goto fail;
	warn_skipped(ret->cg->skipped);
	return 0;
fail:
	rt_cgroup_close(ret);
	return -1;
}

int rt_cgroup_open(const struct rt_state *st, struct rt_cgroup *ret, struct rt_error *err)
{
	memset(ret, 0, sizeof(*ret));
	if (st->cgroup_path == NULL)
		return rt_error_set(err, ENOENT, "container `%s` has no cgroup", st->id);
	if (cg_hierarchy_open(NULL, &ret->h, err) < 0 ||
	    cg_open(ret->h, st->cgroup_path, &ret->cg, err) < 0) {
		rt_cgroup_close(ret);
		return rt_error_wrap(err, "cgroup of `%s`", st->id);
	}
	return 0;
}

void rt_cgroup_close(struct rt_cgroup *c)
{
	cg_cgroup_free(c->cg);
	cg_hierarchy_free(c->h);
	c->cg = NULL;
	c->h = NULL;
}

int rt_cgroup_remove(const struct rt_state *st, struct rt_error *err)
{
	struct cg_hierarchy *h = NULL;
	int r;

	if (st->cgroup_path == NULL)
		return 0;
	if (cg_hierarchy_open(NULL, &h, err) < 0)
		return -1;
	r = cg_remove_path(h, st->cgroup_path, err);
	cg_hierarchy_free(h);
	return r;
}

int rt_cgroup_paused(const struct rt_state *st)
{
	struct rt_cgroup c;
	struct rt_error err = RT_ERROR_INIT;
	int frozen = 0;

	if (st->cgroup_path == NULL || rt_cgroup_open(st, &c, &err) < 0) {
		rt_error_release(&err);
		return 0;
	}
	if (cg_is_frozen(c.cg, &frozen, &err) < 0) {
		rt_error_release(&err);
		frozen = 0;
	}
	rt_cgroup_close(&c);
	return frozen;
}
