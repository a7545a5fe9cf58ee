#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/cleanup.h"
#include "../container/container.h"
#include "cli.h"
#include "../pod/pod.h"

#define MAX_PUBLISH  256
#define MAX_DNS_OPTS 8

static int print_text(char *text)
{
	fputs(text, stdout);
	if (text[0] && text[strlen(text) - 1] != '\n')
		fputc('\n', stdout);
	free(text);
	return 0;
}

static int pod_create(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {
	    {"network", required_argument, NULL, 'n'}, {"ip", required_argument, NULL, 'i'},
	    {"publish", required_argument, NULL, 'p'}, {"hostname", required_argument, NULL, 'H'},
	    {"dns", required_argument, NULL, 'd'},     {NULL, 0, NULL, 0}};
	struct net_port_map ports[MAX_PUBLISH];
	const char *dns[MAX_DNS_OPTS];
	struct rt_pod_create_opts o = {.ports = ports, .dns = dns};
	char *json = NULL;
	int c;

	while ((c = rt_getopt(argc, argv, "p:", opts)) != -1) {
		switch (c) {
		case 'n': o.network = optarg; break;
		case 'i': o.ip = optarg; break;
		case 'H': o.hostname = optarg; break;
		case 'p':
			if (o.nports == MAX_PUBLISH)
				return rt_error_set(err, E2BIG, "pod create: at most %d --publish",
						    MAX_PUBLISH);
			if (net_port_map_parse(optarg, &ports[o.nports], err) < 0)
				return rt_error_wrap(err, "pod create: --publish");
			o.nports++;
			break;
		case 'd':
			if (o.ndns == MAX_DNS_OPTS)
				return rt_error_set(err, E2BIG, "pod create: at most %d --dns",
						    MAX_DNS_OPTS);
			dns[o.ndns++] = optarg;
			break;
		default: return rt_cmd_bad_option("pod create", c, argv, err);
		}
	}
	if (optind != argc - 1)
		return rt_error_set(err, 0, "pod create: expects exactly one pod name");
	o.name = argv[optind];
	if (rt_pod_create(g, &o, &json, err) < 0)
		return -1;
	return print_text(json);
}

static int pod_one_name(const char *what, int argc, char **argv, int *force, const char **ret,
			struct rt_error *err)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
	char cmd[32];
	int c;

	snprintf(cmd, sizeof(cmd), "pod %s", what);
	while ((c = rt_getopt(argc, argv, force ? "f" : "", force ? opts : opts + 1)) != -1) {
		if (c != 'f' || force == NULL)
			return rt_cmd_bad_option(cmd, c, argv, err);
		*force = 1;
	}
	if (optind != argc - 1)
		return rt_error_set(err, 0, "pod %s: expects exactly one pod name", what);
	*ret = argv[optind];
	return 0;
}

static int pod_list(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
					     {NULL, 0, NULL, 0}};
	int json = 0, c;
	char *text = NULL;

	while ((c = rt_getopt(argc, argv, "f:", opts)) != -1) {
		if (c != 'f')
			return rt_cmd_bad_option("pod list", c, argv, err);
		if (strcmp(optarg, "json") == 0)
			json = 1;
		else if (strcmp(optarg, "table") != 0)
			return rt_error_set(err, 0, "pod list: --format must be table or json");
	}
	if (optind != argc)
		return rt_error_set(err, 0, "pod list: takes no arguments");
	if (rt_pod_list(g, json, &text, err) < 0)
		return -1;
	return print_text(text);
}

/* pod delete --force: the members go first, through the container layer, then the pod.  A
 * container that joins in between makes rt_pod_delete refuse (EBUSY, it checks under the pods
 * lock): delete the newcomers and try again, a few times. */
static int pod_delete_force(struct rt_globals *g, const char *name, struct rt_error *err)
{
	for (int tries = 0;; tries++) {
		cleanup_strv char **members = NULL;

		if (rt_pod_members(g->root, name, &members, NULL, err) < 0)
			return -1;
		for (size_t i = 0; members[i]; i++) {
			if (rt_container_delete(g, members[i], 1, err) < 0) {
				if (err->errnum != ENOENT)
					return rt_error_wrap(err, "pod `%s`", name);
				rt_error_release(err); /* gone already: forget it */
			}
			if (rt_pod_member_remove(g->root, name, members[i], err) < 0)
				return -1;
		}
		if (rt_pod_delete(g, name, 1, err) == 0)
			return 0;
		if (err->errnum != EBUSY || tries == 2)
			return -1;
		rt_error_release(err);
	}
}

static int run_pod(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	const char *name = NULL;
	char *json = NULL;
	int force = 0;

	if (argc < 2)
		return rt_error_set(err, 0,
				    "pod: expects a subcommand: create, inspect, delete, list");
	/* the subcommand becomes argv[0] of its own option parsing */
	argc--;
	argv++;
	optind = 0;
	if (strcmp(argv[0], "create") == 0)
		return pod_create(g, argc, argv, err);
	if (strcmp(argv[0], "list") == 0 || strcmp(argv[0], "ls") == 0)
		return pod_list(g, argc, argv, err);
	if (strcmp(argv[0], "inspect") == 0) {
		if (pod_one_name("inspect", argc, argv, NULL, &name, err) < 0 ||
		    rt_pod_inspect(g, name, &json, err) < 0)
			return -1;
		return print_text(json);
	}
	if (strcmp(argv[0], "delete") == 0 || strcmp(argv[0], "rm") == 0) {
		if (pod_one_name("delete", argc, argv, &force, &name, err) < 0)
			return -1;
		if (force)
			return pod_delete_force(g, name, err) < 0 ? -1 : 0;
		return rt_pod_delete(g, name, 0, err) < 0 ? -1 : 0;
	}
	return rt_error_set(err, 0, "pod: unknown subcommand `%s` (create, inspect, delete, list)",
			    argv[0]);
}

const struct rt_command rt_cmd_pod = {
    .name = "pod",
    .summary = "create, inspect, delete and list pods (shared net/ipc/uts namespaces)",
    .usage = "usage: husk pod create NAME [--network NET] [--ip ADDR]\n"
	     "                       [--publish HOSTPORT:PODPORT[/tcp|udp]]... [--hostname H]\n"
	     "                       [--dns ADDR]...\n"
	     "       husk pod inspect NAME\n"
	     "       husk pod delete [--force] NAME\n"
	     "       husk pod list [--format table|json]\n"
	     "A pod is a network, IPC and UTS namespace held under the state root, with its own\n"
	     "address on a network's bridge (default network husk0, 10.88.0.0/16, made on first\n"
	     "use).  create and inspect print the pod as a CNI result.  delete refuses while\n"
	     "containers of the pod exist; --force deletes them first.  Containers join a pod\n"
	     "with `husk create|run --pod NAME`.\n",
    .run = run_pod,
};
