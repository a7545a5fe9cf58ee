#define _GNU_SOURCE
#include "commands.h"
#include "../container/container.h"

static int run_run(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	struct rt_create_opts o;
	int code;

	if (rt_cmd_parse_create(argc, argv, 1, &o, err) < 0)
		return -1;
	if (rt_container_create(g, &o, &code, err) < 0)
		return -1;
	return code;
}

const struct rt_command rt_cmd_run = {
    .name = "run",
    .summary = "create and start a container; wait for it unless --detach",
    .usage =
	"usage: husk run [options] ID [-- CMD ARGS...]\n"
	"  -b, --bundle DIR        bundle directory (default: the current directory)\n"
	"  -d, --detach            return once the process runs\n"
	"  --pid-file FILE         write the container process's pid (digits only)\n"
	"  --console-socket SOCK   send the pty master there (process.terminal)\n"
	"  --preserve-fds N        pass fds 3 .. 3+N-1 to the container\n"
	"  --no-pivot              MS_MOVE + chroot instead of pivot_root\n"
	"  --no-new-keyring        keep the caller's session keyring\n"
	"  --keep                  keep the stopped container's state (foreground run)\n"
	"  --pod NAME              join the pod's network, IPC and UTS namespaces\n"
	"  --image REF [-- CMD..]  run from an imported image (overlay bundle under --root)\n"
	"  --entrypoint CMD        with --image: replaces the image's Entrypoint (\"\": none)\n"
	"                          and drops its Cmd, as docker does\n"
	"The exit code is the container process's, or 128+N when signal N killed it.\n",
    .run = run_run,
};
