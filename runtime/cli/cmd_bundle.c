#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/cleanup.h"
#include "../../images/image.h"
#include "cli.h"
#include "../spec/spec.h"

#define DEFAULT_STORE "/var/lib/husk"

static int bundle_create(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {{"image", required_argument, NULL, 'i'},
					     {"entrypoint", required_argument, NULL, 'e'},
					     {NULL, 0, NULL, 0}};
	cleanup_store struct img_store *s = NULL;
	cleanup_free char *base = NULL;
	const char *image = NULL, *entrypoint = NULL;
	int c;

	/* "+": stop at DIR, so that the command after "--" keeps its own options */
	while ((c = rt_getopt(argc, argv, "+i:", opts)) != -1) {
		if (c == 'i')
			image = optarg;
		else if (c == 'e')
			entrypoint = optarg;
		else
			return rt_cmd_bad_option("bundle create", c, argv, err);
	}
	if (image == NULL || optind >= argc)
		return rt_error_set(
		    err, 0,
		    "usage: husk bundle create --image NAME[:TAG] [--entrypoint CMD] "
		    "DIR [-- CMD ARGS...]");
	const char *dir = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	base = rt_spec_default_json(0, 0, 0);
	if (base == NULL)
		return rt_error_set(err, ENOMEM, "bundle create: default config");
	struct img_bundle_opts o = {
	    .ref = image,
	    .dir = dir,
	    .base_config = base,
	    .args = optind < argc ? argv + optind : NULL,
	    .entrypoint = entrypoint,
	};
	if (img_store_open(g->store ? g->store : DEFAULT_STORE, &s, err) < 0)
		return -1;
	return img_bundle_create(s, &o, err);
}

static int bundle_delete(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	cleanup_store struct img_store *s = NULL;

	if (argc != 2)
		return rt_error_set(err, 0, "usage: husk bundle delete DIR");
	if (img_store_open(g->store ? g->store : DEFAULT_STORE, &s, err) < 0)
		return -1;
	return img_bundle_delete(s, argv[1], err);
}

static int run_bundle(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	if (argc >= 2 && strcmp(argv[1], "create") == 0) {
		optind = 0;
		return bundle_create(g, argc - 1, argv + 1, err) < 0 ? -1 : 0;
	}
	if (argc >= 2 && strcmp(argv[1], "delete") == 0)
		return bundle_delete(g, argc - 1, argv + 1, err) < 0 ? -1 : 0;
	return rt_error_set(err, 0, "bundle: expects create or delete (see husk bundle --help)");
}

const struct rt_command rt_cmd_bundle = {
    .name = "bundle",
    .summary = "make an OCI bundle from an image (overlay rootfs), or remove one",
    .usage =
	"usage: husk bundle create --image NAME[:TAG] [--entrypoint CMD] DIR [-- CMD ARGS...]\n"
	"       husk bundle delete DIR\n"
	"create writes DIR/config.json from the image config (Entrypoint + Cmd, or\n"
	"Entrypoint + CMD ARGS; --entrypoint replaces the Entrypoint, \"\" removes it, and\n"
	"drops the Cmd, as docker does; Env, WorkingDir, User, Labels and ExposedPorts as\n"
	"annotations) and mounts DIR/rootfs: an overlay of the image's layers with a\n"
	"private upper layer.  Any OCI runtime can run the bundle.  delete unmounts it\n"
	"and removes the private layer.\n",
    .run = run_bundle,
};
