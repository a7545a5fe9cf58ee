#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "../container/container.h"

static int run_state(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	struct rt_container_dir d = {.rootfd = -1, .dirfd = -1};
	struct rt_state st;
	const char *id;
	char *json;

	if (rt_cmd_one_id(argc, argv, &id, err) < 0 ||
	    rt_container_dir_open(g->root, id, &d, err) < 0)
		return -1;
	if (rt_state_read(&d, &st, err) < 0) {
		rt_container_dir_close(&d);
		return -1;
	}
	json = rt_state_to_json(&st, rt_state_status(&d, &st), 1);
	printf("%s\n", json);
	free(json);
	rt_state_clear(&st);
	rt_container_dir_close(&d);
	return 0;
}

const struct rt_command rt_cmd_state = {
    .name = "state",
    .summary = "print the OCI state of a container as JSON",
    .usage = "usage: husk state ID\n"
	     "Prints ociVersion, id, pid (0 once stopped), status (created, running, paused,\n"
	     "stopped; creating for a create that was killed: delete removes it), bundle,\n"
	     "rootfs, created, owner and annotations.\n",
    .run = run_state,
};
