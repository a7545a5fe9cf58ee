#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "cgroup_rt.h"
#include "commands.h"
#include "container.h"

/* For the cgroup commands (pause, resume, update, events, ps): lock the container's dir, read
 * its state and status, and open its cgroup.  On success the caller owns d (locked), st and
 * cg; on failure everything is released.  what names the command for the error of a
 * container that has no cgroup. */
int rt_cmd_cgroup_open(struct rt_globals *g, const char *id, const char *what,
		       struct rt_container_dir *d, struct rt_state *st, enum rt_status *ret_status,
		       struct rt_cgroup *cg, struct rt_error *err)
{
	memset(cg, 0, sizeof(*cg));
	memset(st, 0, sizeof(*st));
	if (rt_container_dir_open(g->root, id, d, err) < 0)
		return -1;
	if (rt_state_read(d, st, err) < 0)
		goto fail;
	*ret_status = rt_state_status(d, st);
	if (st->cgroup_path == NULL) {
		rt_error_set(
		    err, 0,
		    "%s: container `%s` has no cgroup (created with --cgroup-manager=disabled "
		    "or on a host without cgroups)",
		    what, id);
		goto fail;
	}
	if (rt_cgroup_open(st, cg, err) < 0) {
		/* a stopped container whose cgroup went with its last process: say so plainly */
		if (err->errnum == ENOENT && *ret_status == RT_STATUS_STOPPED) {
			rt_error_release(err);
			rt_error_set(err, 0, "container not running");
		}
		goto fail;
	}
	return 0;
fail:
	rt_state_clear(st);
	rt_container_dir_close(d);
	return -1;
}

static int freeze(struct rt_globals *g, int argc, char **argv, int frozen, struct rt_error *err)
{
	struct rt_container_dir d = {.rootfd = -1, .dirfd = -1};
	struct rt_state st;
	struct rt_cgroup cg;
	enum rt_status status;
	const char *id;
	int rc = -1;

	if (rt_cmd_one_id(argc, argv, &id, err) < 0 ||
	    rt_cmd_cgroup_open(g, id, argv[0], &d, &st, &status, &cg, err) < 0)
		return -1;
	/* runc's rules and wording: pause a created or running container, resume a paused one */
	if (frozen && status != RT_STATUS_RUNNING && status != RT_STATUS_CREATED)
		rt_error_set(err, 0, "container not running");
	else if (!frozen && status != RT_STATUS_PAUSED)
		rt_error_set(err, 0, "container not paused");
	else if (cg_freeze(cg.cg, frozen, err) < 0)
		rt_error_wrap(err, "%s `%s`", argv[0], id);
	else
		rc = 0;
	rt_cgroup_close(&cg);
	rt_state_clear(&st);
	rt_container_dir_close(&d);
	return rc;
}

static int run_pause(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	return freeze(g, argc, argv, 1, err);
}

static int run_resume(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	return freeze(g, argc, argv, 0, err);
}

const struct rt_command rt_cmd_pause = {
    .name = "pause",
    .summary = "suspend every process of a container",
    .usage = "usage: husk pause ID\n"
	     "Freezes the container's cgroup (cgroup.freeze, or freezer.state on a cgroup v1\n"
	     "host) and waits until the kernel reports it frozen; `state` then says \"paused\".\n"
	     "The container must be created or running.\n",
    .run = run_pause,
};

const struct rt_command rt_cmd_resume = {
    .name = "resume",
    .summary = "resume a paused container",
    .usage = "usage: husk resume ID\n"
	     "Thaws the container's cgroup and waits until the kernel reports it thawed.\n",
    .run = run_resume,
};
