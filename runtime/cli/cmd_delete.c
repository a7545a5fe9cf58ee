#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>

#include "commands.h"
#include "../container/container.h"

static int run_delete(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
	int force = 0, c;

	while ((c = rt_getopt(argc, argv, "f", opts)) != -1) {
		if (c != 'f')
			return rt_cmd_bad_option("delete", c, argv, err);
		force = 1;
	}
	if (optind != argc - 1)
		return rt_error_set(err, 0, "delete: expects exactly one container id");
	if (rt_container_delete(g, argv[optind], force, err) < 0) {
		/* containerd deletes with --force after a successful delete: that must succeed */
		if (force && err->errnum == ENOENT) {
			rt_error_release(err);
			return 0;
		}
		return -1;
	}
	return 0;
}

const struct rt_command rt_cmd_delete = {
    .name = "delete",
    .summary = "delete a stopped (or created) container",
    .usage = "usage: husk delete [--force|-f] ID\n"
	     "Runs the poststop hooks and removes everything the container holds.  A running\n"
	     "container needs --force, which kills it first.  --force of a container that does\n"
	     "not exist succeeds (as runc).\n",
    .run = run_delete,
};
