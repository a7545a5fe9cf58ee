/* A container's cgroup: where it lives (from cgroupsPath and --cgroup-manager), made at create
 * time, found again from the state by later commands. */
#ifndef HUSK_RUNTIME_CGROUP_RT_H
#define HUSK_RUNTIME_CGROUP_RT_H

#include "../cgroups/cgroup.h"
#include "../common/error.h"
#include "cli.h"
#include "spec.h"
#include "state.h"

struct rt_cgroup {
	struct cg_hierarchy *h;
	struct cg_cgroup *cg;
};

/* Create the container's cgroup with the spec's limits.  With --cgroup-manager=disabled, or
 * on a host without a cgroup2 hierarchy and no limits asked, *ret stays empty (cg NULL) and
 * the container runs in the caller's cgroup. */
int rt_cgroup_create(const struct rt_globals *g, const struct rt_spec *spec, const char *id,
		     struct rt_cgroup *ret, struct rt_error *err);
/* Open the cgroup recorded in st (ENOENT when the container has none). */
int rt_cgroup_open(const struct rt_state *st, struct rt_cgroup *ret, struct rt_error *err);
void rt_cgroup_close(struct rt_cgroup *c);
/* Kill what is left and remove the cgroup recorded in st; a missing one is fine. */
int rt_cgroup_remove(const struct rt_state *st, struct rt_error *err);
/* 1 when the container's cgroup is frozen (status "paused"), else 0. */
int rt_cgroup_paused(const struct rt_state *st);

/* For pause, resume, update, events, ps: open and lock the container, read its state and
 * status, and open its cgroup; `what` names the command in errors (cmd_pause.c). */
int rt_cmd_cgroup_open(struct rt_globals *g, const char *id, const char *what,
		       struct rt_container_dir *d, struct rt_state *st, enum rt_status *ret_status,
		       struct rt_cgroup *cg, struct rt_error *err);

#endif
