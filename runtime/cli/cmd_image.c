#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../common/cleanup.h"
#include "../../images/image.h"
#include "cli.h"

#define DEFAULT_STORE "/var/lib/husk"

static int open_store(struct rt_globals *g, struct img_store **ret, struct rt_error *err)
{
	return img_store_open(g->store ? g->store : DEFAULT_STORE, ret, err);
}

static int image_import(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {{"platform", required_argument, NULL, 'p'},
					     {NULL, 0, NULL, 0}};
	cleanup_store struct img_store *s = NULL;
	cleanup_free char *digest = NULL;
	cleanup_free char *ref = NULL;
	const char *platform = NULL;
	int c;

	while ((c = rt_getopt(argc, argv, "+", opts)) != -1) {
		if (c != 'p')
			return rt_cmd_bad_option("image import", c, argv, err);
		platform = optarg;
	}
	if (optind >= argc || argc - optind > 2)
		return rt_error_set(err, 0,
				    "usage: husk image import [--platform OS/ARCH] SOURCE "
				    "[NAME[:TAG]]");
	if (open_store(g, &s, err) < 0)
		return -1;
	if (img_import(s, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL, platform,
		       &digest, &ref, err) < 0)
		return -1;
	printf("%s\n", digest);
	return 0;
}

static void human_size(uint64_t n, char *buf, size_t len)
{
	static const char *units[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)n;
	size_t u = 0;

	while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static int image_list(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
					     {"quiet", no_argument, NULL, 'q'},
					     {NULL, 0, NULL, 0}};
	cleanup_store struct img_store *s = NULL;
	struct img_summary *v = NULL;
	size_t n = 0;
	int json = 0, quiet = 0, c;

	while ((c = rt_getopt(argc, argv, "+qf:", opts)) != -1) {
		if (c == 'q') {
			quiet = 1;
		} else if (c == 'f' &&
			   (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0)) {
			json = strcmp(optarg, "json") == 0;
		} else {
			return rt_error_set(err, 0, "image list: bad option `%s`",
					    argv[optind - 1]);
		}
	}
	if (optind != argc)
		return rt_error_set(err, 0, "usage: husk image list [--format table|json] [-q]");
	if (open_store(g, &s, err) < 0 || img_list(s, &v, &n, err) < 0)
		return -1;
	if (json) {
		json_auto_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a,
					      json_pack("{s:s, s:s, s:s, s:I, s:I}", "ref",
							v[i].ref, "digest", v[i].digest, "id",
							v[i].config, "size", (json_int_t)v[i].size,
							"layers", (json_int_t)v[i].n_layers));
		json_dumpf(a, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		if (!quiet)
			printf("%-40s %-19s %6s %10s\n", "IMAGE", "DIGEST", "LAYERS", "SIZE");
		for (size_t i = 0; i < n; i++) {
			char size[32];
			if (quiet) {
				printf("%s\n", v[i].ref);
				continue;
			}
			human_size(v[i].size, size, sizeof(size));
			printf("%-40s %.19s %6zu %10s\n", v[i].ref, v[i].digest, v[i].n_layers,
			       size);
		}
	}
	img_summaries_free(v, n);
	return 0;
}

static int image_inspect(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	cleanup_store struct img_store *s = NULL;
	cleanup_free char *json = NULL;

	if (argc != 2)
		return rt_error_set(err, 0, "usage: husk image inspect NAME[:TAG]");
	if (open_store(g, &s, err) < 0 || img_inspect(s, argv[1], &json, err) < 0)
		return -1;
	printf("%s\n", json);
	return 0;
}

static int image_rm(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	cleanup_store struct img_store *s = NULL;

	if (argc < 2)
		return rt_error_set(err, 0, "usage: husk image rm NAME[:TAG]...");
	if (open_store(g, &s, err) < 0)
		return -1;
	for (int i = 1; i < argc; i++)
		if (img_remove(s, argv[i], err) < 0)
			return -1;
	return 0;
}

static int image_prune(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	cleanup_store struct img_store *s = NULL;
	struct img_prune_stats st;

	if (argc != 1)
		return rt_error_set(err, 0, "usage: husk image prune");
	if (open_store(g, &s, err) < 0 || img_prune(s, &st, err) < 0)
		return -1;
	printf("removed %u layers, %u blobs, %u leftovers\n", st.layers, st.blobs, st.tmp);
	return 0;
}

static int run_image(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct {
		const char *name;
		int (*fn)(struct rt_globals *, int, char **, struct rt_error *);
	} subs[] = {
	    {"import", image_import},	{"list", image_list}, {"ls", image_list},
	    {"inspect", image_inspect}, {"rm", image_rm},     {"prune", image_prune},
	};

	if (argc < 2)
		return rt_error_set(err, 0, "image: expects a subcommand (see husk image --help)");
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		if (strcmp(argv[1], subs[i].name) == 0) {
			optind = 0;
			return subs[i].fn(g, argc - 1, argv + 1, err) < 0 ? -1 : 0;
		}
	}
	return rt_error_set(err, 0, "image: unknown subcommand `%s` (see husk image --help)",
			    argv[1]);
}

const struct rt_command rt_cmd_image = {
    .name = "image",
    .summary = "import, list, inspect and remove images",
    .usage = "usage: husk image import [--platform OS/ARCH[/VARIANT]] SOURCE [NAME[:TAG]]\n"
	     "       husk image list [--format table|json] [-q]\n"
	     "       husk image inspect NAME[:TAG]\n"
	     "       husk image rm NAME[:TAG]...\n"
	     "       husk image prune\n"
	     "SOURCE is oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE.  Every\n"
	     "blob is verified (sha256) while it is read; each layer is unpacked once into the\n"
	     "store (--store, default /var/lib/husk).  import prints the manifest digest.\n"
	     "rm and prune never remove a layer another image or a bundle uses; prune also\n"
	     "removes what killed imports, removals and bundle creates left in the store.\n",
    .run = run_image,
};
