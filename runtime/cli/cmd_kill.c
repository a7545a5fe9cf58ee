#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <string.h>

#include "commands.h"
#include "../container/container.h"
#include "../core/signals.h"

static int run_kill(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
	int all = 0, sig = SIGTERM, c;

	while ((c = rt_getopt(argc, argv, "a", opts)) != -1) {
		if (c != 'a')
			return rt_cmd_bad_option("kill", c, argv, err);
		all = 1;
	}
	if (optind != argc - 1 && optind != argc - 2)
		return rt_error_set(err, 0, "kill: expects a container id and an optional signal");
	/* signal 0 is kill(2)'s probe: exit 0 while the init lives, "container not running"
	 * once it has gone, as runc answers it */
	if (optind == argc - 2 && strcmp(argv[optind + 1], "0") == 0)
		sig = 0;
	else if (optind == argc - 2 && rt_signal_parse(argv[optind + 1], &sig, err) < 0)
		return -1;
	if (rt_container_kill(g, argv[optind], sig, all, err) < 0)
		return -1;
	return 0;
}

const struct rt_command rt_cmd_kill = {
    .name = "kill",
    .summary = "send a signal to a container's process",
    .usage = "usage: husk kill [--all|-a] ID [SIGNAL]\n"
	     "SIGNAL is a name with or without SIG (TERM, SIGKILL) or a number; default SIGTERM.\n"
	     "Signal 0 only checks that the container's process is alive.\n"
	     "  -a, --all    signal every process of the container\n",
    .run = run_kill,
};
