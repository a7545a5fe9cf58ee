#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/cleanup.h"
#include "commands.h"
#include "../container/exec.h"

enum { O_CONSOLE = 256, O_PIDFILE, O_CWD, O_NNP, O_PRESERVE, O_IGNORE_PAUSED, O_LABEL, O_APPARMOR };

/* --user UID[:GID], numeric as runc takes it from the command line (names would have to be
 * looked up in the container's /etc/passwd, which podman and containerd do themselves). */
static int parse_user(const char *v, struct rt_exec_opts *o, struct rt_error *err)
{
	cleanup_free char *copy = strdup(v);
	unsigned long long n;
	char *colon;

	if (copy == NULL)
		return rt_error_set(err, ENOMEM, "--user");
	colon = strchr(copy, ':');
	if (colon)
		*colon = '\0';
	if (rt_parse_uint("--user", copy, UINT32_MAX - 1, &n, err) < 0)
		return rt_error_wrap(err, "expected UID[:GID] with numeric ids");
	o->has_user = 1;
	o->uid = (uid_t)n;
	if (colon) {
		if (rt_parse_uint("--user", colon + 1, UINT32_MAX - 1, &n, err) < 0)
			return rt_error_wrap(err, "expected UID[:GID] with numeric ids");
		o->has_gid = 1;
		o->gid = (gid_t)n;
	}
	return 0;
}

static int run_exec(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {
	    {"process", required_argument, NULL, 'p'},
	    {"tty", no_argument, NULL, 't'},
	    {"console-socket", required_argument, NULL, O_CONSOLE},
	    {"detach", no_argument, NULL, 'd'},
	    {"pid-file", required_argument, NULL, O_PIDFILE},
	    {"cwd", required_argument, NULL, O_CWD},
	    {"env", required_argument, NULL, 'e'},
	    {"user", required_argument, NULL, 'u'},
	    {"additional-gids", required_argument, NULL, 'g'},
	    {"cap", required_argument, NULL, 'c'},
	    {"no-new-privs", no_argument, NULL, O_NNP},
	    {"preserve-fds", required_argument, NULL, O_PRESERVE},
	    {"ignore-paused", no_argument, NULL, O_IGNORE_PAUSED},
	    {"process-label", required_argument, NULL, O_LABEL},
	    {"apparmor", required_argument, NULL, O_APPARMOR},
	    {NULL, 0, NULL, 0},
	};
	struct rt_exec_opts o = {0};
	/* each list holds at most argc entries; argv outlives them all */
	cleanup_free char **env = calloc((size_t)argc + 1, sizeof(char *));
	cleanup_free char **caps = calloc((size_t)argc + 1, sizeof(char *));
	cleanup_free gid_t *gids = calloc((size_t)argc + 1, sizeof(gid_t));
	size_t n_env = 0, n_caps = 0;
	unsigned long long n;
	int c, code;

	if (env == NULL || caps == NULL || gids == NULL)
		return rt_error_set(err, ENOMEM, "exec: parse options");
	/* '+': options end at the id; what follows is the command and its own options */
	while ((c = rt_getopt(argc, argv, "+p:tde:u:g:c:", opts)) != -1) {
		switch (c) {
		case 'p': o.process_file = optarg; break;
		case 't': o.tty = 1; break;
		case O_CONSOLE: o.console_socket = optarg; break;
		case 'd': o.detach = 1; break;
		case O_PIDFILE: o.pid_file = optarg; break;
		case O_CWD: o.cwd = optarg; break;
		case 'e': env[n_env++] = optarg; break;
		case 'u':
			if (parse_user(optarg, &o, err) < 0)
				return -1;
			break;
		case 'g':
			if (rt_parse_uint("--additional-gids", optarg, UINT32_MAX - 1, &n, err) < 0)
				return -1;
			gids[o.n_additional_gids++] = (gid_t)n;
			break;
		case 'c': caps[n_caps++] = optarg; break;
		case O_NNP: o.no_new_privs = 1; break;
		case O_PRESERVE:
			if (rt_parse_uint("--preserve-fds", optarg, 1000000, &n, err) < 0)
				return -1;
			o.preserve_fds = (int)n;
			break;
		case O_IGNORE_PAUSED: o.ignore_paused = 1; break;
		case O_LABEL: o.process_label = optarg; break;
		case O_APPARMOR: o.apparmor = optarg; break;
		default: return rt_cmd_bad_option("exec", c, argv, err);
		}
	}
	if (optind >= argc)
		return rt_error_set(err, 0, "exec: expects a container id (see husk exec --help)");
	o.id = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (o.process_file && optind < argc)
		return rt_error_set(err, 0,
				    "exec: give either --process FILE or a command, not both");
	o.args = optind < argc ? argv + optind : NULL;
	o.env = env;
	o.caps = caps;
	o.additional_gids = gids;
	if (rt_exec(g, &o, &code, err) < 0)
		return -1;
	return code;
}

const struct rt_command rt_cmd_exec = {
    .name = "exec",
    .summary = "run a new process in a running container",
    .usage =
	"usage: husk exec [options] ID [--] CMD [ARGS...]\n"
	"       husk exec [options] --process FILE ID\n"
	"The process joins every namespace and the cgroup of the container; by default it is\n"
	"the container's config.json process (user, capabilities, rlimits, env, cwd) running\n"
	"CMD, with the changes below; with --process, FILE is the whole process spec (what it\n"
	"leaves out, capabilities and rlimits, comes from the container's config).\n"
	"  -p, --process FILE        process spec (JSON, as config.json's process)\n"
	"  -t, --tty                 allocate a pty in the container (needs --console-socket)\n"
	"  --console-socket SOCK     send the pty master there (SCM_RIGHTS)\n"
	"  -d, --detach              return once the process runs (it stays our caller's to reap)\n"
	"  --pid-file FILE           write the process's pid (digits only)\n"
	"  --cwd DIR                 working directory in the container\n"
	"  -e, --env KEY=VALUE       set an environment variable (repeatable)\n"
	"  -u, --user UID[:GID]      numeric user and group\n"
	"  -g, --additional-gids GID supplementary group (repeatable)\n"
	"  -c, --cap CAP_NAME        add a capability to the bounding, effective and permitted\n"
	"                            sets (never inheritable; repeatable)\n"
	"  --no-new-privs            set no_new_privs\n"
	"  --preserve-fds N          pass fds 3 .. 3+N-1 to the process\n"
	"  --ignore-paused           exec even into a paused container (it runs once resumed)\n"
	"  --process-label LABEL     SELinux label (ignored where SELinux is off)\n"
	"  --apparmor PROFILE        AppArmor profile\n"
	"The exit code of a foreground exec is the process's, or 128+N when signal N killed it.\n",
    .run = run_exec,
};
