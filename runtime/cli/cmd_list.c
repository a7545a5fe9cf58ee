#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "commands.h"
#include "../container/container.h"

static int run_list(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
					     {"quiet", no_argument, NULL, 'q'},
					     {NULL, 0, NULL, 0}};
	int json = 0, quiet = 0, c;
	cleanup_dir DIR *dir = NULL;
	struct dirent *de;
	json_auto_t *arr = json_array();

	while ((c = rt_getopt(argc, argv, "f:q", opts)) != -1) {
		if (c == 'f' && strcmp(optarg, "json") == 0)
			json = 1;
		else if (c == 'f' && strcmp(optarg, "table") == 0)
			json = 0;
		else if (c == 'q')
			quiet = 1;
		else
			return rt_error_set(err, 0,
					    "list: bad option `%s` (--format table|json, --quiet)",
					    argv[optind - 1]);
	}
	if (optind != argc)
		return rt_error_set(err, 0, "list: takes no arguments");
	dir = opendir(g->root);
	if (dir == NULL && errno != ENOENT)
		return rt_error_set(err, errno, "open state root `%s`", g->root);
	if (!json && !quiet)
		printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	while (dir && (de = readdir(dir)) != NULL) {
		struct rt_container_dir d = {.rootfd = -1, .dirfd = -1};
		struct rt_state st;
		struct rt_error e = RT_ERROR_INIT;

		if (de->d_name[0] == '.' || rt_validate_id(de->d_name, &e) < 0) {
			rt_error_release(&e);
			continue;
		}
		/* no lock: state.json is replaced atomically, and list must not wait on a create */
		d.dirfd =
		    openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d.dirfd < 0)
			continue;
		if (rt_strdup(&d.path, de->d_name, "list", err) < 0) {
			rt_container_dir_close(&d);
			return -1;
		}
		if (rt_state_read(&d, &st, &e) < 0) {
			rt_error_release(&e);
			rt_container_dir_close(&d);
			continue;
		}
		enum rt_status s = rt_state_status(&d, &st);
		if (quiet)
			printf("%s\n", st.id);
		else if (json) {
			cleanup_free char *one = rt_state_to_json(&st, s, 0);
			json_array_append_new(arr, json_loads(one, 0, NULL));
		} else
			printf("%-20s %-8d %-10s %-40s %-30s %s\n", st.id,
			       s == RT_STATUS_STOPPED ? 0 : st.pid, rt_status_name(s), st.bundle,
			       st.created, st.owner == 0 ? "root" : "");
		rt_state_clear(&st);
		rt_container_dir_close(&d);
	}
	if (json && !quiet) {
		char *text = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", text ? text : "[]");
		free(text);
	}
	return 0;
}

const struct rt_command rt_cmd_list = {
    .name = "list",
    .summary = "list the containers under --root",
    .usage = "usage: husk list [--format table|json] [--quiet|-q]\n",
    .run = run_list,
};
