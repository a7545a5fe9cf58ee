#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../pod/pod.h"

static int network_create(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {{"subnet", required_argument, NULL, 's'},
					     {"bridge", required_argument, NULL, 'b'},
					     {"ipv6-subnet", required_argument, NULL, '6'},
					     {NULL, 0, NULL, 0}};
	struct rt_network_create_opts o = {0};
	int c;

	while ((c = rt_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 's': o.subnet = optarg; break;
		case 'b': o.bridge = optarg; break;
		case '6': o.ipv6_subnet = optarg; break;
		default: return rt_cmd_bad_option("network create", c, argv, err);
		}
	}
	if (optind != argc - 1)
		return rt_error_set(err, 0, "network create: expects exactly one network name");
	if (o.subnet == NULL)
		return rt_error_set(err, 0, "network create: --subnet CIDR is required");
	o.name = argv[optind];
	return rt_network_create(g, &o, err) < 0 ? -1 : 0;
}

static int network_list(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
					     {NULL, 0, NULL, 0}};
	char *text = NULL;
	int json = 0, c;

	while ((c = rt_getopt(argc, argv, "f:", opts)) != -1) {
		if (c != 'f')
			return rt_cmd_bad_option("network list", c, argv, err);
		if (strcmp(optarg, "json") == 0)
			json = 1;
		else if (strcmp(optarg, "table") != 0)
			return rt_error_set(err, 0, "network list: --format must be table or json");
	}
	if (optind != argc)
		return rt_error_set(err, 0, "network list: takes no arguments");
	if (rt_network_list(g, json, &text, err) < 0)
		return -1;
	fputs(text, stdout);
	if (text[0] && text[strlen(text) - 1] != '\n')
		fputc('\n', stdout);
	free(text);
	return 0;
}

static int run_network(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	if (argc < 2)
		return rt_error_set(err, 0, "network: expects a subcommand: create, delete, list");
	argc--;
	argv++;
	optind = 0;
	if (strcmp(argv[0], "create") == 0)
		return network_create(g, argc, argv, err);
	if (strcmp(argv[0], "list") == 0 || strcmp(argv[0], "ls") == 0)
		return network_list(g, argc, argv, err);
	if (strcmp(argv[0], "delete") == 0 || strcmp(argv[0], "rm") == 0) {
		if (argc != 2)
			return rt_error_set(err, 0,
					    "network delete: expects exactly one network name");
		return rt_network_delete(g, argv[1], err) < 0 ? -1 : 0;
	}
	return rt_error_set(err, 0, "network: unknown subcommand `%s` (create, delete, list)",
			    argv[0]);
}

const struct rt_command rt_cmd_network = {
    .name = "network",
    .summary = "create, delete and list pod networks (bridge + subnet + NAT)",
    .usage = "usage: husk network create NAME --subnet CIDR [--bridge IFNAME]\n"
	     "                           [--ipv6-subnet CIDR]\n"
	     "       husk network delete NAME\n"
	     "       husk network list [--format table|json]\n"
	     "A network is a bridge holding the first address of its subnet (made for its first\n"
	     "pod), with outbound NAT while it has pods.  Subnets of two networks may not\n"
	     "overlap; delete refuses while pods use the network, and also removes what a killed\n"
	     "network create or delete left.  The default network husk0 (10.88.0.0/16) is made\n"
	     "on first use.\n",
    .run = run_network,
};
