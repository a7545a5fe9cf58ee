#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cgroups/cgroup.h"
#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "../../common/log.h"
#include "../core/cgroup_rt.h"
#include "commands.h"
#include "../container/container.h"
#include "../spec/spec_resources.h"

enum kind { K_BYTES, K_UINT, K_INT, K_STRING };

/* The flags, each the path of one linux.resources field: the values go through the same
 * translator as config.json, so `update` and `create` accept and refuse the same things. */
static const struct flag {
	const char *name;
	const char *section, *key;
	enum kind kind;
} flags[] = {
    {"memory", "memory", "limit", K_BYTES},
    {"memory-reservation", "memory", "reservation", K_BYTES},
    {"memory-swap", "memory", "swap", K_BYTES},
    {"kernel-memory", "memory", "kernel", K_BYTES},
    {"kernel-memory-tcp", "memory", "kernelTCP", K_BYTES},
    {"cpu-shares", "cpu", "shares", K_UINT},
    {"cpu-share", "cpu", "shares", K_UINT}, /* runc's spelling */
    {"cpu-quota", "cpu", "quota", K_INT},
    {"cpu-period", "cpu", "period", K_UINT},
    {"cpu-rt-period", "cpu", "realtimePeriod", K_UINT},
    {"cpu-rt-runtime", "cpu", "realtimeRuntime", K_INT},
    {"cpu-idle", "cpu", "idle", K_INT},
    {"cpuset-cpus", "cpu", "cpus", K_STRING},
    {"cpuset-mems", "cpu", "mems", K_STRING},
    {"pids-limit", "pids", "limit", K_INT},
    {"blkio-weight", "blockIO", "weight", K_UINT},
};

/* docker/go-units RAMInBytes, which runc uses: "1024", "512k", "64m", "1.5g", "2GiB", "64 MB";
 * binary multiples; "-1" is "no limit". */
static int parse_bytes(const char *s, int64_t *ret)
{
	static const char units[] = "kmgtp";
	const char *p = s;
	double v, mult = 1;
	char *end;

	if (strcmp(s, "-1") == 0) {
		*ret = -1;
		return 0;
	}
	if (*p < '0' || *p > '9')
		return -1;
	while ((*p >= '0' && *p <= '9') || *p == '.')
		p++;
	cleanup_free char *num = strndup(s, (size_t)(p - s));
	if (num == NULL)
		return -1;
	errno = 0;
	v = strtod(num, &end);
	if (errno || *end || num[strlen(num) - 1] == '.')
		return -1;
	if (*p == ' ')
		p++;
	const char *u = *p ? strchr(units, *p | 0x20) : NULL;
	if (u) {
		for (const char *k = units; k <= u; k++)
			mult *= 1024;
		p++;
	}
	if (*p == 'i' || *p == 'I')
		p++;
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p || v * mult >= 9.2e18)
		return -1;
	*ret = (int64_t)(v * mult);
	return 0;
}

static int flag_value(const struct flag *f, const char *s, json_t **ret, struct rt_error *err)
{
	char *end;

	errno = 0;
	switch (f->kind) {
	case K_BYTES: {
		int64_t v;
		if (parse_bytes(s, &v) < 0)
			return rt_error_set(err, 0,
					    "update: --%s: invalid size `%s` (bytes, or a number "
					    "with k, m, g, t or p)",
					    f->name, s);
		*ret = json_integer(v);
		break;
	}
	case K_UINT: {
		unsigned long long v = strtoull(s, &end, 10);
		if (*s == '\0' || *s == '-' || *end || errno)
			return rt_error_set(
			    err, 0, "update: --%s: `%s` is not a non-negative integer", f->name, s);
		if (v > INT64_MAX)
			return rt_error_set(err, 0, "update: --%s: `%s` is too large", f->name, s);
		*ret = json_integer((json_int_t)v);
		break;
	}
	case K_INT: {
		long long v = strtoll(s, &end, 10);
		if (*s == '\0' || *end || errno)
			return rt_error_set(err, 0, "update: --%s: `%s` is not an integer", f->name,
					    s);
		*ret = json_integer(v);
		break;
	}
	case K_STRING: *ret = json_string(s); break;
	}
	return *ret ? 0 : rt_error_set(err, ENOMEM, "update: --%s", f->name);
}

static int set_field(json_t *res, const struct flag *f, json_t *v)
{
	json_t *sec = json_object_get(res, f->section);

	/* v is the caller's reference, handed over even on failure (as json_object_set_new) */
	if (sec == NULL) {
		sec = json_object();
		if (sec == NULL || json_object_set_new(res, f->section, sec) < 0) {
			json_decref(v);
			return -1;
		}
	}
	return json_object_set_new(sec, f->key, v);
}

/* Translate one flag alone first, so that a refused value names the flag the user typed. */
static int check_flag(const struct flag *f, const char *value, json_t *v, struct rt_error *err)
{
	json_auto_t *one = json_object();
	cleanup_free char *text = NULL;
	struct cg_limits *l = NULL;
	char source[96];

	if (one == NULL || set_field(one, f, json_incref(v)) < 0 ||
	    (text = json_dumps(one, JSON_COMPACT)) == NULL)
		return rt_error_set(err, ENOMEM, "update: --%s", f->name);
	snprintf(source, sizeof(source), "update: --%s %s", f->name, value);
	if (rt_resources_parse_update(text, strlen(text), source, &l, err) < 0)
		return -1;
	cg_limits_free(l);
	return 0;
}

/* The resources of -r FILE ("-": stdin), a LinuxResources object as in runc. */
static int read_resources(const char *path, struct cg_limits **ret, struct rt_error *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;

	if (strcmp(path, "-") == 0) {
		FILE *m = open_memstream(&text, &len);
		char buf[4096];
		size_t n;
		if (m == NULL)
			return rt_error_set(err, ENOMEM, "update: stdin");
		while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
			fwrite(buf, 1, n, m);
		fclose(m);
		if (ferror(stdin))
			return rt_error_set(err, EIO, "update: read resources from stdin");
	} else if (rt_read_file_at(AT_FDCWD, path, &text, &len, err) < 0) {
		return rt_error_wrap(err, "update: -r");
	}
	if (rt_resources_parse_update(text, len, strcmp(path, "-") ? path : "stdin", ret, err) < 0)
		return rt_error_wrap(err, "update");
	return 0;
}

static int parse_args(int argc, char **argv, struct cg_limits **ret, const char **ret_id,
		      struct rt_error *err)
{
	struct option opts[ARRAY_SIZE(flags) + 2];
	json_auto_t *res = json_object();
	const char *resources = NULL;
	cleanup_free char *text = NULL;
	int c, n_flags = 0;

	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		opts[i] = (struct option){flags[i].name, required_argument, NULL, 256 + (int)i};
	opts[ARRAY_SIZE(flags)] = (struct option){"resources", required_argument, NULL, 'r'};
	opts[ARRAY_SIZE(flags) + 1] = (struct option){NULL, 0, NULL, 0};
	if (res == NULL)
		return rt_error_set(err, ENOMEM, "update");
	while ((c = rt_getopt(argc, argv, "r:", opts)) != -1) {
		if (c == 'r') {
			resources = optarg;
			continue;
		}
		if (c < 256 || c >= 256 + (int)ARRAY_SIZE(flags))
			return rt_cmd_bad_option("update", c, argv, err);
		const struct flag *f = &flags[c - 256];
		json_t *v = NULL;
		if (flag_value(f, optarg, &v, err) < 0)
			return -1;
		if (check_flag(f, optarg, v, err) < 0) {
			json_decref(v);
			return -1;
		}
		if (set_field(res, f, v) < 0)
			return rt_error_set(err, ENOMEM, "update");
		n_flags++;
	}
	if (optind != argc - 1)
		return rt_error_set(err, 0, "update: expects exactly one container id");
	*ret_id = argv[optind];
	if (resources) {
		/* runc silently ignores the flags then; refusing says which one wins */
		if (n_flags)
			return rt_error_set(err, 0,
					    "update: -r and the limit flags cannot be combined");
		return read_resources(resources, ret, err);
	}
	text = json_dumps(res, JSON_COMPACT);
	if (text == NULL)
		return rt_error_set(err, ENOMEM, "update");
	return rt_resources_parse_update(text, strlen(text), "update", ret, err);
}

static int run_update(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	struct rt_container_dir d = {.rootfd = -1, .dirfd = -1};
	cleanup_limits struct cg_limits *l = NULL;
	struct rt_state st;
	struct rt_cgroup cg;
	enum rt_status status;
	const char *id = NULL;
	int rc = -1;

	if (parse_args(argc, argv, &l, &id, err) < 0)
		return -1;
	if (l == NULL)
		return 0; /* -r with null: nothing to change */
	/* devices are not updated (runc ignores them too): the program of create also allows
	 * the devices of linux.devices, which an update's list would take away */
	l->has_devices = 0;
	l->n_devices = 0;
	if (rt_cmd_cgroup_open(g, id, "update", &d, &st, &status, &cg, err) < 0)
		return -1;
	if (status == RT_STATUS_STOPPED) {
		rt_error_set(err, 0, "container not running");
		goto out;
	}
	if (cg_update(cg.cg, l, g->skip_unavailable_limits ? CG_SKIP_UNAVAILABLE : 0, err) < 0) {
		rt_error_wrap(err, "update `%s`", id);
		goto out;
	}
	for (int c = 0; c < CG_N_CONTROLLERS; c++)
		if (cg.cg->skipped & CG_BIT(c))
			rt_warn("update `%s`: the %s controller is not available (cgroup layout "
				"%s): its limits are not applied (--skip-unavailable-limits)",
				id,
				cg.cg->layout == CG_LAYOUT_UNIFIED ? cg_controller_name(c)
								   : cg_controller_v1_name(c),
				cg_layout_name(cg.cg->layout));
	rc = 0;
out:
	rt_cgroup_close(&cg);
	rt_state_clear(&st);
	rt_container_dir_close(&d);
	return rc;
}

const struct rt_command rt_cmd_update = {
    .name = "update",
    .summary = "change the resource limits of a running container",
    .usage =
	"usage: husk update [options] ID\n"
	"Changes the cgroup limits of a created, running or paused container.  Values are\n"
	"checked as config.json's linux.resources are; unset limits keep their value, and so\n"
	"do limits of 0, as runc takes them (Docker sends 0 for what it does not change).\n"
	"  -r, --resources FILE     a linux.resources JSON object (\"-\": stdin); devices\n"
	"                           in it are ignored, as runc does\n"
	"The files named are cgroup v2's; on a hybrid or legacy host the v1 files in [].\n"
	"  --memory BYTES           memory.max [memory.limit_in_bytes] (k, m, g suffixes:\n"
	"                           64m; -1: no limit)\n"
	"  --memory-reservation BYTES   memory.low [memory.soft_limit_in_bytes]\n"
	"  --memory-swap BYTES      memory+swap total (memory.swap.max = swap - memory)\n"
	"                           [memory.memsw.limit_in_bytes]\n"
	"  --cpu-shares N           cpu.weight from the shares [cpu.shares] (2..262144;\n"
	"                           --cpu-share too)\n"
	"  --cpu-quota USEC         cpu.max quota [cpu.cfs_quota_us] (-1: no limit)\n"
	"  --cpu-period USEC        cpu.max period [cpu.cfs_period_us] (1000..1000000)\n"
	"  --cpu-rt-period USEC, --cpu-rt-runtime USEC   [cpu.rt_period_us, cpu.rt_runtime_us]\n"
	"                           v1 only\n"
	"  --cpu-idle 0|1           cpu.idle\n"
	"  --cpuset-cpus LIST       cpuset.cpus (\"0-3,7\")\n"
	"  --cpuset-mems LIST       cpuset.mems\n"
	"  --pids-limit N           pids.max (negative: no limit)\n"
	"  --blkio-weight N         io.bfq.weight, else io.weight converted (10..1000)\n"
	"                           [blkio.bfq.weight or blkio.weight]\n"
	"  --kernel-memory, --kernel-memory-tcp   accepted and ignored, as by runc 1.1\n",
    .run = run_update,
};
