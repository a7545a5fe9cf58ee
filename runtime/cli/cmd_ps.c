#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../core/cgroup_rt.h"
#include "commands.h"
#include "../container/container.h"

/* Run `ps ARGS...` and return its stdout and stderr together, as runc shows them on failure. */
static int run_ps(char *const *args, size_t n_args, char **ret, struct rt_error *err)
{
	cleanup_free char **argv = calloc(n_args + 2, sizeof(*argv));
	cleanup_close int rd = -1;
	int p[2], status;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	if (argv == NULL)
		return rt_error_set(err, ENOMEM, "ps");
	argv[0] = "ps";
	for (size_t i = 0; i < n_args; i++)
		argv[i + 1] = args[i];
	if (pipe2(p, O_CLOEXEC) < 0)
		return rt_error_set(err, errno, "ps: pipe");
	rd = p[0];
	pid_t pid = fork();
	if (pid < 0) {
		close(p[1]);
		return rt_error_set(err, errno, "ps: fork");
	}
	if (pid == 0) {
		if (dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		execvp("ps", argv);
		dprintf(2, "exec ps: %s\n", strerror(errno));
		_exit(127);
	}
	close(p[1]);
	out = open_memstream(&buf, &len);
	if (out == NULL)
		return rt_error_set(err, ENOMEM, "ps output");
	char chunk[4096];
	for (ssize_t n; (n = read(rd, chunk, sizeof(chunk))) != 0;) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		fwrite(chunk, 1, (size_t)n, out);
	}
	fclose(out);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rt_error_set(err, 0, "ps %s: exit status %d: %s", n_args ? args[0] : "",
			     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), buf);
		free(buf);
		return -1;
	}
	*ret = buf;
	return 0;
}

/* The table: ps's header, then the lines whose PID column is one of pids (runc's filter). */
static int print_table(const pid_t *pids, size_t n, char *const *args, size_t n_args,
		       struct rt_error *err)
{
	static char *const dflt[] = {"-ef"};
	cleanup_free char *text = NULL;
	char *save = NULL, *line;
	int pid_col = -1;

	if (run_ps(n_args ? args : dflt, n_args ? n_args : 1, &text, err) < 0)
		return -1;
	line = strtok_r(text, "\n", &save);
	if (line == NULL)
		return rt_error_set(err, 0, "ps printed nothing");
	{
		cleanup_free char *hdr = strdup(line);
		char *s2 = NULL;
		int i = 0;
		if (hdr == NULL)
			return rt_error_set(err, ENOMEM, "ps");
		for (char *f = strtok_r(hdr, " \t", &s2); f; f = strtok_r(NULL, " \t", &s2), i++)
			if (strcmp(f, "PID") == 0) {
				pid_col = i;
				break;
			}
	}
	if (pid_col < 0)
		return rt_error_set(err, 0, "couldn't find PID field in ps output");
	printf("%s\n", line);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		cleanup_free char *copy = strdup(line);
		char *s2 = NULL, *f = copy ? strtok_r(copy, " \t", &s2) : NULL;
		for (int i = 0; f && i < pid_col; i++)
			f = strtok_r(NULL, " \t", &s2);
		char *end;
		long p = f ? strtol(f, &end, 10) : 0;
		if (f == NULL || *end != '\0')
			return rt_error_set(err, 0, "unable to parse pid in ps output line `%s`",
					    line);
		for (size_t k = 0; k < n; k++)
			if (pids[k] == (pid_t)p) {
				printf("%s\n", line);
				break;
			}
	}
	return 0;
}

static int run_ps_cmd(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
					     {NULL, 0, NULL, 0}};
	struct rt_container_dir d = {.rootfd = -1, .dirfd = -1};
	struct rt_state st;
	struct rt_cgroup cg;
	enum rt_status status;
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	const char *format = "table";
	int c, json, rc = -1;

	/* '+': stop at the id, so that what follows it goes to ps (runc ps ID -eo pid,comm) */
	while ((c = rt_getopt(argc, argv, "+f:", opts)) != -1) {
		if (c != 'f')
			return rt_cmd_bad_option("ps", c, argv, err);
		format = optarg;
	}
	if (strcmp(format, "json") != 0 && strcmp(format, "table") != 0)
		return rt_error_set(err, 0, "ps: invalid format option `%s` (table or json)",
				    format);
	json = strcmp(format, "json") == 0;
	if (optind >= argc)
		return rt_error_set(err, 0, "ps: expects a container id");
	const char *id = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (json && optind < argc)
		return rt_error_set(err, 0, "ps: ps arguments do not go with --format json");
	if (rt_cmd_cgroup_open(g, id, "ps", &d, &st, &status, &cg, err) < 0)
		return -1;
	/* the lock is not needed to read the cgroup, and ps may take a while */
	rt_container_dir_close(&d);
	if (cg_pids(cg.cg, 1, &pids, &n, err) < 0)
		goto out;
	if (json) {
		/* runc: a JSON array of the host pids */
		fputc('[', stdout);
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		fputs("]\n", stdout);
		rc = 0;
	} else {
		rc = print_table(pids, n, argv + optind, (size_t)(argc - optind), err);
	}
out:
	rt_cgroup_close(&cg);
	rt_state_clear(&st);
	return rc;
}

const struct rt_command rt_cmd_ps = {
    .name = "ps",
    .summary = "list the processes of a container",
    .usage = "usage: husk ps [--format table|json] ID [PS_ARGS...]\n"
	     "Lists the processes of the container's cgroup (and its sub-cgroups).\n"
	     "  -f, --format table   run ps on the host (PS_ARGS, default -ef) and keep the\n"
	     "                       header and the lines of the container's processes\n"
	     "  -f, --format json    print a JSON array of their host pids\n",
    .run = run_ps_cmd,
};
