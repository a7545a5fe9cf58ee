/* A container's cgroup: where it lives (from cgroupsPath and --cgroup-manager), made at create
 * time, found again from the state by later commands. */
#ifndef HUSK_RUNTIME_CGROUP_RT_H
#define HUSK_RUNTIME_CGROUP_RT_H

#include <pthread.h>

#include "../../cgroups/cgroup.h"
#include "../../common/error.h"
#include "../context.h"
#include "../spec/spec.h"
#include "state.h"

struct rt_cgroup {
	struct cg_hierarchy *h;
	char *path; /* relative to the hierarchy's root (rt_cgroup_plan), NULL for none */
	int create_flags;
	struct cg_cgroup *cg;
	void *dev_insns; /* the device program to attach (rt_cgroup_devices_*), NULL for none */
	size_t dev_n;
};

/* The device program loaded and attached by a helper thread while the container's init sets
 * up its namespaces and root (rt_cgroup_devices_start); done_fd tells the init the outcome. */
struct rt_devices_job {
	pthread_t thread;
	int running;
	int cgfd;
	const void *insns;
	size_t n;
	int done_fd; /* eventfd: 1 when attached, 2 when it failed; -1 when there is no job */
	struct rt_error err;
};

/* Where the container's cgroup goes (ret->path) and its device program, without making
 * anything: the caller records the path before rt_cgroup_make creates the cgroup, so that a
 * crash in between leaves a cgroup that `delete` can find.  With --cgroup-manager=disabled, or
 * on a host without a cgroup2 hierarchy and no limits asked, ret->path stays NULL and the
 * container runs in the caller's cgroup.  The device program is built, not attached: that is
 * rt_cgroup_devices_attach or rt_cgroup_devices_start, before the container's program runs. */
int rt_cgroup_plan(const struct rt_globals *g, const struct rt_spec *spec, const char *id,
		   struct rt_cgroup *ret, struct rt_error *err);
/* Create the planned cgroup (ret->cg) with the spec's limits; nothing when none is planned. */
int rt_cgroup_make(const struct rt_spec *spec, struct rt_cgroup *c, struct rt_error *err);
/* Load and attach the device program now (no-op when there is none). */
int rt_cgroup_devices_attach(struct rt_cgroup *c, struct rt_error *err);
/* Load and attach it in a helper thread; job->done_fd (close-on-exec) is for the init, which
 * must not exec before it reads 1 from it (rt_cgroup_devices_wait).  With no program, no
 * thread and done_fd -1.  rt_cgroup_devices_finish joins the thread and reports its outcome;
 * call it on every path once started. */
int rt_cgroup_devices_start(struct rt_cgroup *c, struct rt_devices_job *job, struct rt_error *err);
int rt_cgroup_devices_finish(struct rt_devices_job *job, struct rt_error *err);
/* In the init: wait for the helper's outcome on done_fd. */
int rt_cgroup_devices_wait(int done_fd, struct rt_error *err);
/* Open the cgroup recorded in st (ENOENT when the container has none). */
int rt_cgroup_open(const struct rt_state *st, struct rt_cgroup *ret, struct rt_error *err);
void rt_cgroup_close(struct rt_cgroup *c);
/* Kill what is left and remove the cgroup recorded in st; a missing one is fine.  A cgroup a
 * killed create recorded before it made it (st->cgroup_made 0) is only rmdir'ed if empty. */
int rt_cgroup_remove(const struct rt_state *st, struct rt_error *err);
/* The cgroup's statistics as runc's events JSON ({"type":"stats","id":ID,"data":...}, Go's
 * encoding/json byte for byte), one line ending in "\n"; *ret_json is heap (cgroup_stats.c). */
int rt_cgroup_stats_json(struct cg_cgroup *cg, const char *id, char **ret_json,
			 struct rt_error *err);
/* 1 when the container's cgroup is frozen (status "paused"), else 0. */
int rt_cgroup_paused(const struct rt_state *st);

#endif
