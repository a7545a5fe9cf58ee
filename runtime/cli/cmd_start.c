#define _GNU_SOURCE
#include <getopt.h>

#include "commands.h"
#include "../container/container.h"

int rt_cmd_one_id(int argc, char **argv, const char **ret_id, struct rt_error *err)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};

	int c = rt_getopt(argc, argv, "", none);

	if (c != -1)
		return rt_cmd_bad_option(argv[0], c, argv, err);
	if (optind != argc - 1)
		return rt_error_set(err, 0, "%s: expects exactly one container id", argv[0]);
	*ret_id = argv[optind];
	return 0;
}

static int run_start(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	const char *id;

	if (rt_cmd_one_id(argc, argv, &id, err) < 0 || rt_container_start(g, id, err) < 0)
		return -1;
	return 0;
}

const struct rt_command rt_cmd_start = {
    .name = "start",
    .summary = "start the process of a created container",
    .usage = "usage: husk start ID\n"
	     "Releases the created container's process into the user's program and runs the\n"
	     "poststart hooks.  Only a container in status `created` can be started.\n",
    .run = run_start,
};
