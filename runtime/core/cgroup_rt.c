#define _GNU_SOURCE
#include "cgroup_rt.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/log.h"

static void warn_skipped(const struct cg_hierarchy *h, unsigned skipped)
{
	for (int c = 0; c < CG_N_CONTROLLERS; c++)
		if (skipped & CG_BIT(c))
			rt_warn("cgroup controller `%s` is not available (cgroup layout %s): its "
				"limits are not applied (--skip-unavailable-limits)",
				h->layout == CG_LAYOUT_UNIFIED ? cg_controller_name(c)
							       : cg_controller_v1_name(c),
				cg_layout_name(h->layout));
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

/* The host's hierarchies; --debug says which layout was found. */
static int open_hierarchy(struct cg_hierarchy **ret, struct rt_error *err)
{
	if (cg_hierarchy_open(NULL, ret, err) < 0)
		return -1;
	rt_debug("cgroup layout %s (%s)", cg_layout_name((*ret)->layout),
		 (*ret)->layout == CG_LAYOUT_UNIFIED ? "cgroup v2"
		 : (*ret)->layout == CG_LAYOUT_HYBRID
		     ? "v1 controllers, cgroup2 at /sys/fs/cgroup/unified"
		     : "v1 controllers only");
	return 0;
}

int rt_cgroup_plan(const struct rt_globals *g, const struct rt_spec *spec, const char *id,
		   struct rt_cgroup *ret, struct rt_error *err)
{
	const struct rt_linux *lx = &spec->linux_cfg;
	cleanup_free char *own = NULL;
	int pflags = 0;

	memset(ret, 0, sizeof(*ret));
	if (g->cgroup_manager == RT_CGROUP_MANAGER_DISABLED)
		return 0;
	if (open_hierarchy(&ret->h, err) < 0) {
		if (lx->resources == NULL) {
			/* nothing to enforce: run in the caller's cgroup rather than fail */
			rt_debug("no cgroup for `%s`: %s", id, err->msg);
			rt_error_release(err);
			return 0;
		}
		return rt_error_wrap(err, "linux.resources");
	}
	/* a legacy host has no cgroup2 line: relative paths are then taken from the root */
	if (cg_own_cgroup(&own, err) < 0) {
		if (ret->h->layout != CG_LAYOUT_LEGACY)
			goto fail;
		rt_error_release(err);
	}
	if (g->cgroup_manager == RT_CGROUP_MANAGER_SYSTEMD) {
		pflags |= CG_PATH_SYSTEMD;
		rt_log(RT_LOG_INFO, "no systemd manager: cgroupsPath `%s` mapped to cgroupfs",
		       lx->cgroups_path ? lx->cgroups_path : "");
	}
	if (cg_path_resolve(lx->cgroups_path, id, own, pflags, &ret->path, err) < 0) {
		rt_error_wrap(err, "config.json: linux.cgroupsPath");
		goto fail;
	}
	if (g->skip_unavailable_limits)
		ret->create_flags |= CG_SKIP_UNAVAILABLE;
	/* v2: the program is attached before the container's program runs, by the caller
	 * (rt_cgroup_devices_*); v1: cg_create writes the device lists; a rootless container in
	 * its own user namespace gets neither */
	int rootless_userns = lx->ns[RT_NS_USER].present && getuid() != 0;
	if (ret->h->layout == CG_LAYOUT_UNIFIED || rootless_userns)
		ret->create_flags |= CG_NO_DEVICE_PROGRAM;
	if (ret->h->layout == CG_LAYOUT_UNIFIED && !rootless_userns &&
	    cg_devices_build(lx->resources ? lx->resources->devices : NULL,
			     lx->resources ? lx->resources->n_devices : 0, 1, &ret->dev_insns,
			     &ret->dev_n, err) < 0)
		goto fail;
	drop_default_shares(ret->h, lx->resources);
	return 0;
fail:
	rt_cgroup_close(ret);
	return -1;
}

int rt_cgroup_make(const struct rt_spec *spec, struct rt_cgroup *c, struct rt_error *err)
{
	if (c->path == NULL)
		return 0;
	if (cg_create(c->h, c->path, spec->linux_cfg.resources, c->create_flags, &c->cg, err) < 0)
		return -1;
	warn_skipped(c->h, c->cg->skipped);
	return 0;
}

int rt_cgroup_open(const struct rt_state *st, struct rt_cgroup *ret, struct rt_error *err)
{
	memset(ret, 0, sizeof(*ret));
	if (st->cgroup_path == NULL)
		return rt_error_set(err, ENOENT, "container `%s` has no cgroup", st->id);
	if (open_hierarchy(&ret->h, err) < 0 ||
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
	free(c->dev_insns);
	free(c->path);
	c->cg = NULL;
	c->h = NULL;
	c->dev_insns = NULL;
	c->path = NULL;
}

int rt_cgroup_devices_attach(struct rt_cgroup *c, struct rt_error *err)
{
	if (c->cg == NULL || c->dev_insns == NULL)
		return 0;
	if (cg_devices_attach_program(c->cg->fd, c->dev_insns, c->dev_n, 0, err) < 0)
		return rt_error_wrap(err, "cgroup `%s`", c->cg->path);
	return 0;
}

/* BPF_PROG_LOAD (the verifier and the JIT) and the attach cost 0.5-0.7 ms here: in a thread
 * they overlap with the init's namespaces, mounts and pivot_root instead of preceding them. */
static void *devices_job_run(void *p)
{
	struct rt_devices_job *job = p;
	uint64_t v =
	    cg_devices_attach_program(job->cgfd, job->insns, job->n, 0, &job->err) < 0 ? 2 : 1;

	/* an eventfd write of 8 bytes cannot fail short of a bug: the init would then wait
	 * forever, so make that an error the parent sees too */
	if (write(job->done_fd, &v, sizeof(v)) != sizeof(v) && !rt_error_is_set(&job->err))
		rt_error_set(&job->err, errno, "report the device program");
	return NULL;
}

int rt_cgroup_devices_start(struct rt_cgroup *c, struct rt_devices_job *job, struct rt_error *err)
{
	int r;

	memset(job, 0, sizeof(*job));
	job->done_fd = -1;
	if (c->cg == NULL || c->dev_insns == NULL)
		return 0;
	job->cgfd = c->cg->fd;
	job->insns = c->dev_insns;
	job->n = c->dev_n;
	job->done_fd = eventfd(0, EFD_CLOEXEC);
	if (job->done_fd < 0)
		return rt_error_set(err, errno, "eventfd");
	r = pthread_create(&job->thread, NULL, devices_job_run, job);
	if (r != 0) {
		close(job->done_fd);
		job->done_fd = -1;
		return rt_error_set(err, r, "start a thread for the device program");
	}
	job->running = 1;
	return 0;
}

int rt_cgroup_devices_finish(struct rt_devices_job *job, struct rt_error *err)
{
	int failed;

	if (!job->running)
		return 0;
	pthread_join(job->thread, NULL);
	job->running = 0;
	close(job->done_fd);
	job->done_fd = -1;
	failed = rt_error_is_set(&job->err);
	if (failed) {
		rt_error_set_raw(err, job->err.errnum, job->err.msg);
		rt_error_release(&job->err);
		return -1;
	}
	return 0;
}

int rt_cgroup_devices_wait(int done_fd, struct rt_error *err)
{
	uint64_t v = 0;
	ssize_t n;

	if (done_fd < 0)
		return 0;
	do
		n = read(done_fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	if (n != sizeof(v))
		return rt_error_set(err, n < 0 ? errno : EIO, "wait for the device program");
	if (v != 1)
		return rt_error_set(err, 0, "the device program could not be attached");
	return 0;
}

int rt_cgroup_remove(const struct rt_state *st, struct rt_error *err)
{
	struct cg_hierarchy *h = NULL;
	int r;

	if (st->cgroup_path == NULL)
		return 0;
	if (open_hierarchy(&h, err) < 0)
		return -1;
	r = st->cgroup_made ? cg_remove_path(h, st->cgroup_path, err)
			    : cg_remove_if_empty(h, st->cgroup_path, err);
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
