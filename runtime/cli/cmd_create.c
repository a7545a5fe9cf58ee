#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "../container/container.h"

enum {
	O_BUNDLE = 'b',
	O_PIDFILE = 256,
	O_CONSOLE,
	O_PRESERVE,
	O_NOPIVOT,
	O_NOKEYRING,
	O_DETACH = 'd',
	O_NOSUBREAPER,
	O_KEEP,
	O_POD,
	O_IMAGE,
	O_ENTRYPOINT
};

int rt_cmd_parse_create(int argc, char **argv, int is_run, struct rt_create_opts *o,
			struct rt_error *err)
{
	static const struct option opts[] = {
	    {"bundle", required_argument, NULL, O_BUNDLE},
	    {"pid-file", required_argument, NULL, O_PIDFILE},
	    {"console-socket", required_argument, NULL, O_CONSOLE},
	    {"preserve-fds", required_argument, NULL, O_PRESERVE},
	    {"no-pivot", no_argument, NULL, O_NOPIVOT},
	    {"no-new-keyring", no_argument, NULL, O_NOKEYRING},
	    {"no-subreaper", no_argument, NULL, O_NOSUBREAPER},
	    {"detach", no_argument, NULL, O_DETACH},
	    {"keep", no_argument, NULL, O_KEEP},
	    {"pod", required_argument, NULL, O_POD},
	    {"image", required_argument, NULL, O_IMAGE},
	    {"entrypoint", required_argument, NULL, O_ENTRYPOINT},
	    {NULL, 0, NULL, 0},
	};
	unsigned long long n;
	int c;

	memset(o, 0, sizeof(*o));
	o->run = is_run;
	while ((c = rt_getopt(argc, argv, is_run ? "b:d" : "b:", opts)) != -1) {
		switch (c) {
		case O_BUNDLE: o->bundle = optarg; break;
		case O_PIDFILE: o->pid_file = optarg; break;
		case O_CONSOLE: o->console_socket = optarg; break;
		case O_PRESERVE:
			if (rt_parse_uint("--preserve-fds", optarg, 1000000, &n, err) < 0)
				return -1;
			o->preserve_fds = (int)n;
			break;
		case O_NOPIVOT: o->no_pivot = 1; break;
		case O_NOKEYRING: o->no_new_keyring = 1; break;
		case O_NOSUBREAPER: break; /* husk never becomes a subreaper for create */
		case O_DETACH:
			if (!is_run)
				return rt_cmd_bad_option("create", c, argv, err);
			o->detach = 1;
			break;
		case O_KEEP: o->keep = 1; break;
		case O_POD: o->pod = optarg; break;
		case O_IMAGE: o->image = optarg; break;
		case O_ENTRYPOINT: o->entrypoint = optarg; break;
		default: return rt_cmd_bad_option(argv[0], c, argv, err);
		}
	}
	if (optind >= argc)
		return rt_error_set(err, 0, "%s: expects a container id (see husk %s --help)",
				    argv[0], argv[0]);
	o->id = argv[optind];
	if (optind + 1 < argc) {
		if (!o->image)
			return rt_error_set(err, 0,
					    "%s: expects exactly one container id (a command after "
					    "`--` needs --image)",
					    argv[0]);
		o->image_args = &argv[optind + 1];
	}
	if (o->image && o->bundle)
		return rt_error_set(err, 0, "%s: --image and --bundle exclude each other", argv[0]);
	/* a bundle's config.json has no Entrypoint to replace: its process.args is the command */
	if (o->entrypoint && !o->image)
		return rt_error_set(err, 0, "%s: --entrypoint needs --image", argv[0]);
	return 0;
}

static int run_create(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	struct rt_create_opts o;
	int code;

	if (rt_cmd_parse_create(argc, argv, 0, &o, err) < 0)
		return -1;
	if (rt_container_create(g, &o, &code, err) < 0)
		return -1;
	return 0;
}

const struct rt_command rt_cmd_create = {
    .name = "create",
    .summary = "create a container from a bundle; its process waits for `start`",
    .usage =
	"usage: husk create [options] ID [-- CMD ARGS...]\n"
	"  -b, --bundle DIR        bundle directory (default: the current directory)\n"
	"  --pid-file FILE         write the container process's pid (digits only)\n"
	"  --console-socket SOCK   send the pty master there (process.terminal)\n"
	"  --preserve-fds N        pass fds 3 .. 3+N-1 to the container\n"
	"  --no-pivot              MS_MOVE + chroot instead of pivot_root (ramdisk roots)\n"
	"  --no-new-keyring        keep the caller's session keyring\n"
	"  --pod NAME              join the pod's network, IPC and UTS namespaces\n"
	"  --image REF [-- CMD..]  run from an imported image (overlay bundle under --root)\n"
	"  --entrypoint CMD        with --image: replaces the image's Entrypoint (\"\": none)\n"
	"                          and drops its Cmd, as docker does\n",
    .run = run_create,
};
