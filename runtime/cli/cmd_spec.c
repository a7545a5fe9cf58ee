#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "commands.h"
#include "../spec/spec.h"

static int run_spec(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
					     {"rootless", no_argument, NULL, 'r'},
					     {NULL, 0, NULL, 0}};
	const char *bundle = ".";
	int rootless = 0, c;
	cleanup_free char *json = NULL;
	cleanup_close int dirfd = -1;

	while ((c = rt_getopt(argc, argv, "b:", opts)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == 'r')
			rootless = 1;
		else
			return rt_cmd_bad_option("spec", c, argv, err);
	}
	if (optind != argc)
		return rt_error_set(err, 0, "spec: takes no arguments");
	dirfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return rt_error_set(err, errno, "bundle `%s`", bundle);
	if (faccessat(dirfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return rt_error_set(err, EEXIST, "`%s/config.json` exists; remove it first",
				    bundle);
	json = rt_spec_default_json(rootless, getuid(), getgid());
	if (json == NULL)
		return rt_error_set(err, ENOMEM, "default config");
	if (rt_write_file_at(dirfd, "config.json", json, strlen(json), O_CREAT | O_EXCL, err) < 0 ||
	    rt_write_file_at(dirfd, "config.json", "\n", 1, O_APPEND, err) < 0)
		return -1;
	return 0;
}

const struct rt_command rt_cmd_spec = {
    .name = "spec",
    .summary = "write a default config.json",
    .usage = "usage: husk spec [--bundle DIR] [--rootless]\n"
	     "Writes DIR/config.json (default: ./config.json): runc's default configuration\n"
	     "with noNewPrivileges and the default seccomp profile.  --rootless maps the caller's\n"
	     "uid and gid to root in a user namespace.\n",
    .run = run_spec,
};
