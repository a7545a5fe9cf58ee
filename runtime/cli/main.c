#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/jsonutil.h"
#include "../../common/log.h"
#include "cli.h"
#include "commands.h"

static const struct rt_command *const commands[] = {
    &rt_cmd_create,  &rt_cmd_start,  &rt_cmd_run,    &rt_cmd_state,    &rt_cmd_kill,
    &rt_cmd_delete,  &rt_cmd_list,   &rt_cmd_spec,   &rt_cmd_features, &rt_cmd_pod,
    &rt_cmd_network, &rt_cmd_image,  &rt_cmd_bundle, &rt_cmd_exec,     &rt_cmd_pause,
    &rt_cmd_resume,  &rt_cmd_update, &rt_cmd_events, &rt_cmd_ps,
};

static const char global_usage[] =
    "usage: husk [global options] COMMAND [options] [arguments]\n"
    "\n"
    "husk is a small, fast OCI container runtime with runc's command line.\n"
    "\n"
    "global options:\n"
    "  --root DIR             state directory (default /run/husk)\n"
    "  --store DIR            image store (default /var/lib/husk)\n"
    "  --log FILE             append log records to FILE\n"
    "  --log-format text|json format of the log records (json: runc's "
    "{\"level\",\"msg\",\"time\"})\n"
    "  --debug                log debug records too\n"
    "  --systemd-cgroup       cgroupsPath is in systemd's slice:prefix:name form\n"
    "  --cgroup-manager cgroupfs|systemd|disabled\n"
    "  --skip-unavailable-limits\n"
    "                         skip (with a warning) a limit whose controller the host lacks\n"
    "  --version, -v          print the version\n"
    "  --help, -h             print this help\n"
    "\n"
    "commands:\n";

static void print_usage(FILE *f)
{
	fputs(global_usage, f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("  help       print the help of a command: husk help COMMAND\n", f);
}

static const struct rt_command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* what rt_getopt's last '?' was: an option given without its value, a value given to an
 * option that takes none ("--all=3"), or else an unknown option */
static enum { OPT_UNKNOWN, OPT_NO_VALUE, OPT_NEEDS_NO_VALUE } getopt_fault;

int rt_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	int c;

	/* go-runc passes long options with one dash ("-no-subreaper"): rewrite them in place */
	if (optind < argc) {
		char *a = argv[optind];
		if (a[0] == '-' && a[1] != '-' && a[1] != '\0' && a[2] != '\0' && a[2] != '=') {
			size_t len = strcspn(a + 1, "=");
			for (const struct option *o = longopts; o && o->name; o++) {
				if (strlen(o->name) == len && strncmp(o->name, a + 1, len) == 0) {
					/* lives until exit, like argv itself; one per rewritten
					 * option */
					char *copy = NULL;
					if (asprintf(&copy, "-%s", a) > 0)
						argv[optind] = copy;
					break;
				}
			}
		}
	}
	/* getopt's own message would be a second line: rt_cmd_bad_option words the one */
	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	getopt_fault = OPT_UNKNOWN;
	if (c == '?' && optopt != 0) {
		/* optopt is set for a long option only when its value is wrong (missing, or
		 * given to one that takes none); for a short one in both cases, so look it up:
		 * "x:" takes a value */
		const char *a = argv[optind - 1], *s = strchr(shortopts, optopt);
		if (strncmp(a, "--", 2) == 0)
			getopt_fault = strchr(a, '=') ? OPT_NEEDS_NO_VALUE : OPT_NO_VALUE;
		else if (s != NULL && s[1] == ':')
			getopt_fault = OPT_NO_VALUE;
	}
	return c;
}

int rt_cmd_bad_option(const char *what, int c, char **argv, struct rt_error *err)
{
	const char *arg = argv[optind - 1];
	int cmd_len = (int)strcspn(what, " "), opt_len;
	char shortopt[3] = {'-', (char)optopt, '\0'};

	/* a short option may sit in a cluster ("-xZ"): name the letter itself */
	if (c == '?' && optopt != 0 && strncmp(arg, "--", 2) != 0)
		arg = shortopt;
	opt_len = (int)strcspn(arg, "=");
	if (c == '?' && getopt_fault == OPT_NO_VALUE)
		return rt_error_set(err, 0,
				    "%s: option `%.*s` needs a value (see husk %.*s --help)", what,
				    opt_len, arg, cmd_len, what);
	if (c == '?' && getopt_fault == OPT_NEEDS_NO_VALUE)
		return rt_error_set(err, 0,
				    "%s: option `%.*s` takes no value (see husk %.*s --help)", what,
				    opt_len, arg, cmd_len, what);
	return rt_error_set(err, 0, "%s: unknown option `%.*s` (see husk %.*s --help)", what,
			    opt_len, arg, cmd_len, what);
}

int rt_parse_uint(const char *opt, const char *value, unsigned long long max,
		  unsigned long long *ret, struct rt_error *err)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (value == NULL || *value == '\0' || *value == '-')
		return rt_error_set(err, 0, "%s: `%s` is not a non-negative integer", opt,
				    value ? value : "");
	v = strtoull(value, &end, 10);
	if (errno || *end || v > max)
		return rt_error_set(err, 0, "%s: `%s` is not an integer in 0..%llu", opt, value,
				    max);
	*ret = v;
	return 0;
}

static void print_error(const struct rt_error *err)
{
	fprintf(stderr, "husk: %s\n", err->msg ? err->msg : "unknown error");
	rt_log_record(RT_LOG_ERROR, err->msg ? err->msg : "unknown error");
}

enum {
	OPT_ROOT = 256,
	OPT_LOG,
	OPT_LOG_FORMAT,
	OPT_DEBUG,
	OPT_SYSTEMD,
	OPT_STORE,
	OPT_CGMGR,
	OPT_SKIP
};

static int parse_globals(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, OPT_ROOT},
	    {"log", required_argument, NULL, OPT_LOG},
	    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	    {"debug", no_argument, NULL, OPT_DEBUG},
	    {"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD},
	    {"cgroup-manager", required_argument, NULL, OPT_CGMGR},
	    {"skip-unavailable-limits", no_argument, NULL, OPT_SKIP},
	    {"store", required_argument, NULL, OPT_STORE},
	    {"version", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	/* '+': stop at the command name; its options are the command's.  ':' and opterr = 0:
	 * getopt prints nothing, so a bad option gets the one error line that names it */
	opterr = 0;
	while ((c = rt_getopt(argc, argv, "+:vh", opts)) != -1) {
		switch (c) {
		case OPT_ROOT: g->root = optarg; break;
		case OPT_LOG: g->log = optarg; break;
		case OPT_LOG_FORMAT:
			if (strcmp(optarg, "json") == 0)
				g->log_json = 1;
			else if (strcmp(optarg, "text") != 0)
				return rt_error_set(
				    err, 0, "--log-format: `%s` is not text or json", optarg);
			break;
		case OPT_DEBUG: g->debug = 1; break;
		case OPT_SYSTEMD: g->cgroup_manager = RT_CGROUP_MANAGER_SYSTEMD; break;
		case OPT_CGMGR:
			if (strcmp(optarg, "cgroupfs") == 0)
				g->cgroup_manager = RT_CGROUP_MANAGER_CGROUPFS;
			else if (strcmp(optarg, "systemd") == 0)
				g->cgroup_manager = RT_CGROUP_MANAGER_SYSTEMD;
			else if (strcmp(optarg, "disabled") == 0)
				g->cgroup_manager = RT_CGROUP_MANAGER_DISABLED;
			else
				return rt_error_set(
				    err, 0,
				    "--cgroup-manager: `%s` is not cgroupfs, systemd or disabled",
				    optarg);
			break;
		case OPT_SKIP: g->skip_unavailable_limits = 1; break;
		case OPT_STORE: g->store = optarg; break;
		case 'v': {
			/* runc's shape: containerd and podman log these lines */
			const struct scmp_version *v = seccomp_version();
			printf("husk version %s\ncommit: %s\nspec: 1.2.0\nlibseccomp: %u.%u.%u\n",
			       HUSK_VERSION, HUSK_COMMIT, v->major, v->minor, v->micro);
			exit(0);
		}
		case 'h': print_usage(stdout); exit(0);
		case ':':
			return rt_error_set(err, 0, "global option `%s` needs a value",
					    argv[optind - 1]);
		default:
			return rt_error_set(err, 0, "unknown global option `%s` (see husk --help)",
					    argv[optind - 1]);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rt_globals g = {.root = "/run/husk", .store = "/var/lib/husk", .argv0 = argv[0]};
	struct rt_error err = RT_ERROR_INIT;
	const struct rt_command *cmd;
	int log_fd = -1;
	int rc;

	rt_json_seed();
	/* podman calls us without PATH; hooks and lookups must not depend on it */
	if (getenv("PATH") == NULL)
		setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	rc = parse_globals(&g, argc, argv, &err);
	if (rc < 0) {
		print_error(&err);
		rt_error_release(&err);
		return 1;
	}
	if (g.log) {
		log_fd = open(g.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (log_fd < 0) {
			rt_error_set(&err, errno, "open log file `%s`", g.log);
			print_error(&err);
			rt_error_release(&err);
			return 1;
		}
	}
	rt_log_init(log_fd, g.log_json ? RT_LOG_JSON : RT_LOG_TEXT, g.debug);
	if (optind >= argc) {
		print_usage(stderr);
		return 1;
	}
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 < argc && (cmd = find_command(argv[optind + 1])) != NULL) {
			fputs(cmd->usage, stdout);
			return 0;
		}
		print_usage(stdout);
		return optind + 1 < argc ? 1 : 0;
	}
	cmd = find_command(argv[optind]);
	if (cmd == NULL) {
		rt_error_set(&err, 0, "unknown command `%s` (see husk --help)", argv[optind]);
		print_error(&err);
		rt_error_release(&err);
		return 1;
	}
	/* --help among the command's leading options only: `exec ID ls -h` is the program's */
	for (int i = optind + 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(cmd->usage, stdout);
			return 0;
		}
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* 0 makes glibc getopt re-initialise for the command's own options */
	rc = cmd->run(&g, argc, argv, &err);
	if (rc < 0) {
		print_error(&err);
		rt_error_release(&err);
		return 1;
	}
	return rc;
}
