#define _GNU_SOURCE
#include "spec_resources.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cgroups/cgroup.h"
#include "../../common/cleanup.h"
#include "../../common/jsonutil.h"

enum parse_mode { MODE_CONFIG, MODE_UPDATE };

/* An optional int64 member: 0 absent, 1 present, -1 error. */
static int get_i64(json_t *o, const char *key, const struct rt_jpath *p, int64_t *ret,
		   struct rt_error *err)
{
	return rt_json_get_int64(o, key, p, INT64_MIN, INT64_MAX, ret, err);
}

static int parse_memory(json_t *o, const struct rt_jpath *p, struct cg_limits *l,
			enum parse_mode mode, struct rt_error *err)
{
	struct rt_jpath lp = RT_JPATH_KEY(p, "limit"), rp = RT_JPATH_KEY(p, "reservation"),
			sp = RT_JPATH_KEY(p, "swap");
	int64_t v;
	uint64_t u;
	int r, b;

	if (rt_json_check_object(o, p, err) < 0)
		return -1;
	/* 0 is "not set" for limit, reservation and swap, as runc takes it in config.json and in
	 * `update -r`: Docker and containerd send a whole LinuxResources object in which every
	 * limit the user did not give is 0 */
	if ((r = get_i64(o, "limit", p, &v, err)) < 0)
		return -1;
	if (r && v != 0) {
		if (v < -1)
			return rt_json_error(err, &lp, "must be positive, or -1 for no limit");
		l->has_memory_limit = 1;
		l->memory_limit = v;
	}
	if ((r = get_i64(o, "reservation", p, &v, err)) < 0)
		return -1;
	if (r && v != 0) {
		if (v < -1)
			return rt_json_error(err, &rp, "must be >= 0, or -1 for no limit");
		l->has_memory_reservation = 1;
		l->memory_reservation = v;
	}
	if ((r = get_i64(o, "swap", p, &v, err)) < 0)
		return -1;
	if (r && v != 0) {
		if (v < -1)
			return rt_json_error(err, &sp, "must be >= 0, or -1 for no limit");
		l->has_memory_swap = 1;
		l->memory_swap = v;
		/* memory+swap below memory is refused now, not at create time */
		if (l->has_memory_limit) {
			int64_t swap_max;
			struct rt_error e2 = RT_ERROR_INIT;
			if (cg_memory_swap_v2(v, l->memory_limit, &swap_max, &e2) < 0) {
				const char *why = strchr(e2.msg, ' ');
				rt_json_error(err, &sp, "%s", why ? why + 1 : e2.msg);
				rt_error_release(&e2);
				return -1;
			}
		} else if (mode == MODE_CONFIG && v > 0) {
			return rt_json_error(err, &sp, "a swap limit needs memory.limit");
		}
	}
	/* kernel and kernelTCP are deprecated by the spec: validated, then ignored as runc 1.1
	 * does; swappiness is for the v1 backend (ignored on v2, which has no such file) */
	if (get_i64(o, "kernel", p, &v, err) < 0 || get_i64(o, "kernelTCP", p, &v, err) < 0)
		return -1;
	/* -1 cast to uint64 (18446744073709551615) is how Docker's Go code says "unset" */
	if ((r = rt_json_get_uint64(o, "swappiness", p, UINT64_MAX, &u, err)) < 0)
		return -1;
	if (r && u > 100 && u != UINT64_MAX) {
		struct rt_jpath wp = RT_JPATH_KEY(p, "swappiness");
		return rt_json_error(err, &wp, "%" PRIu64 " is out of range [0, 100]", u);
	}
	if (r && u != UINT64_MAX) {
		l->has_memory_swappiness = 1;
		l->memory_swappiness = u;
	}
	if ((r = rt_json_get_bool(o, "disableOOMKiller", p, &b, err)) < 0)
		return -1;
	if (r)
		l->disable_oom_killer = b;
	if (rt_json_get_bool(o, "useHierarchy", p, &b, err) < 0 ||
	    rt_json_get_bool(o, "checkBeforeUpdate", p, &b, err) < 0)
		return -1;
	return 0;
}

static int parse_cpuset(json_t *o, const char *key, const struct rt_jpath *p, char **ret,
			struct rt_error *err)
{
	struct rt_jpath kp = RT_JPATH_KEY(p, key);
	const char *s = NULL;
	char path[256];
	int r = rt_json_get_string(o, key, p, &s, err);

	if (r <= 0 || *s == '\0') /* "" means "not set", as runc takes it */
		return r < 0 ? -1 : 0;
	if (cg_cpulist_check(s, rt_jpath_format(&kp, path, sizeof(path)), err) < 0)
		return -1;
	*ret = strdup(s);
	return *ret ? 0 : rt_error_set(err, ENOMEM, "%s", path);
}

/* A quota without a period keeps the cgroup's period, the kernel's 100 ms in a new cgroup:
 * runc's default too, and what `docker run --cpu-quota N` relies on. */
static int parse_cpu(json_t *o, const struct rt_jpath *p, struct cg_limits *l, struct rt_error *err)
{
	struct rt_jpath shp = RT_JPATH_KEY(p, "shares"), qp = RT_JPATH_KEY(p, "quota"),
			pp = RT_JPATH_KEY(p, "period"), ip = RT_JPATH_KEY(p, "idle");
	int64_t v;
	uint64_t u;
	int r;

	if (rt_json_check_object(o, p, err) < 0)
		return -1;
	if ((r = rt_json_get_uint64(o, "shares", p, UINT64_MAX, &u, err)) < 0)
		return -1;
	if (r && u != 0) { /* 0: not set (runc) */
		if (u < 2 || u > 262144)
			return rt_json_error(err, &shp, "%" PRIu64 " is outside 2..262144", u);
		l->has_cpu_shares = 1;
		l->cpu_shares = u;
	}
	if ((r = rt_json_get_uint64(o, "period", p, UINT64_MAX, &u, err)) < 0)
		return -1;
	if (r && u != 0) {
		/* the kernel's bounds for cpu.max's period */
		if (u < 1000 || u > 1000000)
			return rt_json_error(err, &pp,
					     "%" PRIu64 " is outside 1000..1000000 (usec)", u);
		l->has_cpu_period = 1;
		l->cpu_period = u;
	}
	if ((r = get_i64(o, "quota", p, &v, err)) < 0)
		return -1;
	if (r && v != 0) {
		if (v < -1 || (v > 0 && v < 1000))
			return rt_json_error(err, &qp,
					     "must be at least 1000 (usec), or -1 for no limit");
		l->has_cpu_quota = 1;
		l->cpu_quota = v;
	}
	if ((r = rt_json_get_uint64(o, "burst", p, UINT64_MAX, &u, err)) < 0)
		return -1;
	if (r) {
		l->has_cpu_burst = 1;
		l->cpu_burst = u;
	}
	if ((r = get_i64(o, "idle", p, &v, err)) < 0)
		return -1;
	if (r) {
		if (v != 0 && v != 1)
			return rt_json_error(err, &ip, "must be 0 or 1");
		l->has_cpu_idle = 1;
		l->cpu_idle = v;
	}
	/* realtime bandwidth is v1's (cpu.rt_*_us): the v2 backend refuses it; 0 is unset */
	if ((r = get_i64(o, "realtimeRuntime", p, &v, err)) < 0)
		return -1;
	if (r && v != 0) {
		l->has_cpu_rt_runtime = 1;
		l->cpu_rt_runtime = v;
	}
	if ((r = rt_json_get_uint64(o, "realtimePeriod", p, UINT64_MAX, &u, err)) < 0)
		return -1;
	if (r && u != 0) {
		l->has_cpu_rt_period = 1;
		l->cpu_rt_period = u;
	}
	if (parse_cpuset(o, "cpus", p, &l->cpuset_cpus, err) < 0 ||
	    parse_cpuset(o, "mems", p, &l->cpuset_mems, err) < 0)
		return -1;
	return 0;
}

static int parse_pids(json_t *o, const struct rt_jpath *p, struct cg_limits *l,
		      struct rt_error *err)
{
	int64_t v;
	int r;

	if (rt_json_check_object(o, p, err) < 0)
		return -1;
	if ((r = get_i64(o, "limit", p, &v, err)) < 0)
		return -1;
	/* runc: 0 leaves the limit alone, any negative value means no limit */
	if (r && v != 0) {
		l->has_pids_limit = 1;
		l->pids_limit = v < 0 ? CG_MAX : v;
	}
	return 0;
}

static int parse_devnum(json_t *o, const struct rt_jpath *p, int wildcard, int64_t *maj,
			int64_t *min, struct rt_error *err)
{
	int r;

	*maj = *min = -1;
	if ((r = rt_json_get_int64(o, "major", p, wildcard ? -1 : 0, INT32_MAX, maj, err)) < 0)
		return -1;
	if (r == 0 && !wildcard)
		return rt_json_error(err, p, "major is required");
	if ((r = rt_json_get_int64(o, "minor", p, wildcard ? -1 : 0, INT32_MAX, min, err)) < 0)
		return -1;
	if (r == 0 && !wildcard)
		return rt_json_error(err, p, "minor is required");
	return 0;
}

static int parse_weight(json_t *o, const char *key, const struct rt_jpath *p, int *has,
			uint16_t *ret, struct rt_error *err)
{
	struct rt_jpath kp = RT_JPATH_KEY(p, key);
	uint64_t u;
	int r = rt_json_get_uint64(o, key, p, UINT16_MAX, &u, err);

	if (r <= 0 || u == 0)
		return r < 0 ? -1 : 0;
	if (u < 10 || u > 1000)
		return rt_json_error(err, &kp, "%" PRIu64 " is outside 10..1000", u);
	*has = 1;
	*ret = (uint16_t)u;
	return 0;
}

static int parse_block_io(json_t *o, const struct rt_jpath *p, struct cg_limits *l,
			  struct rt_error *err)
{
	static const struct {
		const char *key;
		enum cg_throttle_kind kind;
	} throttles[] = {
	    {"throttleReadBpsDevice", CG_THROTTLE_RBPS},
	    {"throttleWriteBpsDevice", CG_THROTTLE_WBPS},
	    {"throttleReadIOPSDevice", CG_THROTTLE_RIOPS},
	    {"throttleWriteIOPSDevice", CG_THROTTLE_WIOPS},
	};
	json_t *a = NULL, *e;
	size_t i;
	int r;

	if (rt_json_check_object(o, p, err) < 0)
		return -1;
	/* leafWeight: v1 only, ignored on v2 */
	if (parse_weight(o, "weight", p, &l->has_io_weight, &l->io_weight, err) < 0 ||
	    parse_weight(o, "leafWeight", p, &l->has_io_leaf_weight, &l->io_leaf_weight, err) < 0)
		return -1;
	struct rt_jpath wp = RT_JPATH_KEY(p, "weightDevice");
	if ((r = rt_json_get_array(o, "weightDevice", p, &a, err)) < 0)
		return -1;
	if (r) {
		l->weight_devices = calloc(json_array_size(a) + 1, sizeof(*l->weight_devices));
		if (l->weight_devices == NULL)
			return rt_error_set(err, ENOMEM, "weightDevice");
		json_array_foreach (a, i, e) {
			struct rt_jpath ep = RT_JPATH_IDX(&wp, i);
			struct cg_weight_device *d = &l->weight_devices[l->n_weight_devices++];
			if (rt_json_check_object(e, &ep, err) < 0 ||
			    parse_devnum(e, &ep, 0, &d->major, &d->minor, err) < 0 ||
			    parse_weight(e, "weight", &ep, &d->has_weight, &d->weight, err) < 0 ||
			    parse_weight(e, "leafWeight", &ep, &d->has_leaf_weight, &d->leaf_weight,
					 err) < 0)
				return -1;
		}
	}
	for (size_t t = 0; t < ARRAY_SIZE(throttles); t++) {
		struct rt_jpath tp = RT_JPATH_KEY(p, throttles[t].key);
		if ((r = rt_json_get_array(o, throttles[t].key, p, &a, err)) < 0)
			return -1;
		if (r == 0)
			continue;
		struct cg_throttle_device *n =
		    reallocarray(l->throttle_devices,
				 l->n_throttle_devices + json_array_size(a) + 1, sizeof(*n));
		if (n == NULL)
			return rt_error_set(err, ENOMEM, "%s", throttles[t].key);
		l->throttle_devices = n;
		json_array_foreach (a, i, e) {
			struct rt_jpath ep = RT_JPATH_IDX(&tp, i), rp = RT_JPATH_KEY(&ep, "rate");
			struct cg_throttle_device *d = &l->throttle_devices[l->n_throttle_devices];
			d->kind = throttles[t].kind;
			if (rt_json_check_object(e, &ep, err) < 0 ||
			    parse_devnum(e, &ep, 0, &d->major, &d->minor, err) < 0)
				return -1;
			if ((r = rt_json_get_uint64(e, "rate", &ep, UINT64_MAX, &d->rate, err)) < 0)
				return -1;
			if (r == 0)
				return rt_json_error(err, &rp, "is required");
			l->n_throttle_devices++;
		}
	}
	return 0;
}

static int parse_hugepages(json_t *a, const struct rt_jpath *p, struct cg_limits *l,
			   struct rt_error *err)
{
	json_t *e;
	size_t i;

	if (rt_json_check_array(a, p, err) < 0)
		return -1;
	l->hugetlb = calloc(json_array_size(a) + 1, sizeof(*l->hugetlb));
	if (l->hugetlb == NULL)
		return rt_error_set(err, ENOMEM, "hugepageLimits");
	json_array_foreach (a, i, e) {
		struct rt_jpath ep = RT_JPATH_IDX(p, i), sp = RT_JPATH_KEY(&ep, "pageSize");
		struct cg_hugetlb_limit *h = &l->hugetlb[l->n_hugetlb];
		const char *size = NULL;
		int r;
		if (rt_json_check_object(e, &ep, err) < 0)
			return -1;
		if ((r = rt_json_get_string(e, "pageSize", &ep, &size, err)) < 0)
			return -1;
		/* the size becomes part of a file name: digits and a unit, nothing else */
		size_t n = strspn(size ? size : "", "0123456789");
		if (r == 0 || n == 0 || n > 8 || !strchr("KMG", size[n]) || size[n] == '\0' ||
		    strcmp(size + n + 1, "B") != 0)
			return rt_json_error(err, &sp, "must be a size like \"2MB\" or \"1GB\"");
		if ((r = rt_json_get_uint64(e, "limit", &ep, UINT64_MAX, &h->limit, err)) < 0)
			return -1;
		if (r == 0)
			return rt_json_error(err, &ep, "limit is required");
		if ((h->page_size = strdup(size)) == NULL)
			return rt_error_set(err, ENOMEM, "hugepageLimits");
		l->n_hugetlb++;
	}
	return 0;
}

static int parse_rdma(json_t *o, const struct rt_jpath *p, struct cg_limits *l,
		      struct rt_error *err)
{
	const char *dev;
	json_t *e;
	uint64_t u;
	int r;

	if (rt_json_check_object(o, p, err) < 0)
		return -1;
	l->rdma = calloc(json_object_size(o) + 1, sizeof(*l->rdma));
	if (l->rdma == NULL)
		return rt_error_set(err, ENOMEM, "rdma");
	json_object_foreach (o, dev, e) {
		struct rt_jpath ep = RT_JPATH_KEY(p, dev);
		struct cg_rdma_limit *d = &l->rdma[l->n_rdma];
		/* the name goes into rdma.max's "DEVICE key=value" line */
		if (*dev == '\0' || strpbrk(dev, " \t\n=/"))
			return rt_json_error(err, &ep, "not a valid RDMA device name");
		if (rt_json_check_object(e, &ep, err) < 0)
			return -1;
		if ((r = rt_json_get_uint64(e, "hcaHandles", &ep, UINT32_MAX, &u, err)) < 0)
			return -1;
		d->has_hca_handles = r;
		d->hca_handles = r ? (uint32_t)u : 0;
		if ((r = rt_json_get_uint64(e, "hcaObjects", &ep, UINT32_MAX, &u, err)) < 0)
			return -1;
		d->has_hca_objects = r;
		d->hca_objects = r ? (uint32_t)u : 0;
		if ((d->device = strdup(dev)) == NULL)
			return rt_error_set(err, ENOMEM, "rdma");
		l->n_rdma++;
	}
	return 0;
}

/* net_cls and net_prio: v1 controllers, ignored on v2 as runc does. */
static int parse_network(json_t *o, const struct rt_jpath *p, struct cg_limits *l,
			 struct rt_error *err)
{
	struct rt_jpath pp = RT_JPATH_KEY(p, "priorities");
	json_t *a = NULL, *e;
	uint64_t u;
	size_t i;
	int r;

	if (rt_json_check_object(o, p, err) < 0)
		return -1;
	if ((r = rt_json_get_uint64(o, "classID", p, UINT32_MAX, &u, err)) < 0)
		return -1;
	if (r) {
		l->has_net_classid = 1;
		l->net_classid = (uint32_t)u;
	}
	if ((r = rt_json_get_array(o, "priorities", p, &a, err)) <= 0)
		return r;
	l->net_priorities = calloc(json_array_size(a) + 1, sizeof(*l->net_priorities));
	if (l->net_priorities == NULL)
		return rt_error_set(err, ENOMEM, "network.priorities");
	json_array_foreach (a, i, e) {
		struct rt_jpath ep = RT_JPATH_IDX(&pp, i), np = RT_JPATH_KEY(&ep, "name");
		const char *name = NULL;
		if (rt_json_check_object(e, &ep, err) < 0)
			return -1;
		if ((r = rt_json_get_string(e, "name", &ep, &name, err)) < 0)
			return -1;
		/* the name goes into net_prio.ifpriomap's "NAME PRIO" line */
		if (r == 0 || *name == '\0' || strlen(name) >= 16 || strpbrk(name, " \t\n/"))
			return rt_json_error(err, &np, "must be a network interface name");
		if ((r = rt_json_get_uint64(e, "priority", &ep, UINT32_MAX, &u, err)) < 0)
			return -1;
		if (r == 0)
			return rt_json_error(err, &ep, "priority is required");
		struct cg_kv *kv = &l->net_priorities[l->n_net_priorities++];
		kv->key = strdup(name);
		if (kv->key == NULL || asprintf(&kv->value, "%" PRIu64, u) < 0) {
			kv->value = NULL;
			return rt_error_set(err, ENOMEM, "network.priorities");
		}
	}
	return 0;
}

/* Interface files that belong to the runtime, not to a limit: writing them from the spec
 * would move processes, kill or freeze the container behind the runtime's back. */
static const char *const unified_refused[] = {
    "cgroup.procs", "cgroup.threads", "cgroup.subtree_control",
    "cgroup.kill",  "cgroup.freeze",  "cgroup.type",
};

static int parse_unified(json_t *o, const struct rt_jpath *p, struct cg_limits *l,
			 struct rt_error *err)
{
	const char *key;
	json_t *e;

	if (rt_json_check_object(o, p, err) < 0)
		return -1;
	l->unified = calloc(json_object_size(o) + 1, sizeof(*l->unified));
	if (l->unified == NULL)
		return rt_error_set(err, ENOMEM, "unified");
	json_object_foreach (o, key, e) {
		struct rt_jpath kp = RT_JPATH_KEY(p, key);
		const char *value;
		/* a key is opened below the cgroup directory: a plain file name only, so that it
		 * can never reach a parent cgroup or another file of the host */
		if (*key == '\0' || key[0] == '.' || strchr(key, '/') || strchr(key, '\n'))
			return rt_json_error(err, &kp,
					     "must be a cgroup file name (no \"/\", no \"..\")");
		for (size_t i = 0; i < ARRAY_SIZE(unified_refused); i++)
			if (strcmp(key, unified_refused[i]) == 0)
				return rt_json_error(err, &kp, "is managed by the runtime");
		if (rt_json_string(e, &kp, &value, err) < 0)
			return -1;
		struct cg_kv *kv = &l->unified[l->n_unified];
		kv->key = strdup(key);
		kv->value = strdup(value);
		l->n_unified++;
		if (!kv->key || !kv->value)
			return rt_error_set(err, ENOMEM, "unified");
	}
	return 0;
}

static int parse_access(const char *s, unsigned *ret)
{
	*ret = 0;
	for (; *s; s++) {
		if (*s == 'r')
			*ret |= CG_DEV_READ;
		else if (*s == 'w')
			*ret |= CG_DEV_WRITE;
		else if (*s == 'm')
			*ret |= CG_DEV_MKNOD;
		else
			return -1;
	}
	return 0;
}

static int parse_devices(json_t *a, const struct rt_jpath *p, struct cg_limits *l,
			 struct rt_error *err)
{
	json_t *e;
	size_t i;

	if (rt_json_check_array(a, p, err) < 0)
		return -1;
	l->has_devices = 1;
	json_array_foreach (a, i, e) {
		struct rt_jpath ep = RT_JPATH_IDX(p, i), tp = RT_JPATH_KEY(&ep, "type"),
				ap = RT_JPATH_KEY(&ep, "access");
		struct cg_device_rule rule = {.type = 'a',
					      .access = CG_DEV_READ | CG_DEV_WRITE | CG_DEV_MKNOD};
		const char *s = NULL;
		int r;
		if (rt_json_check_object(e, &ep, err) < 0)
			return -1;
		if ((r = rt_json_get_bool(e, "allow", &ep, &rule.allow, err)) < 0)
			return -1;
		if (r == 0)
			return rt_json_error(err, &ep, "allow is required");
		if ((r = rt_json_get_string(e, "type", &ep, &s, err)) < 0)
			return -1;
		if (r) {
			if (strlen(s) != 1 || !strchr("acb", s[0]))
				return rt_json_error(err, &tp, "must be \"a\", \"c\" or \"b\"");
			rule.type = s[0];
		}
		if (parse_devnum(e, &ep, 1, &rule.major, &rule.minor, err) < 0)
			return -1;
		if ((r = rt_json_get_string(e, "access", &ep, &s, err)) < 0)
			return -1;
		if (r && parse_access(s, &rule.access) < 0)
			return rt_json_error(err, &ap, "must be letters of \"rwm\"");
		if (cg_limits_add_device(l, &rule, err) < 0)
			return -1;
	}
	return 0;
}

static int parse_all(json_t *res, const struct rt_jpath *p, enum parse_mode mode,
		     struct cg_limits **ret, struct rt_error *err)
{
	cleanup_limits struct cg_limits *l = NULL;
	json_t *v;

	*ret = NULL;
	if (res == NULL || json_is_null(res))
		return 0;
	if (rt_json_check_object(res, p, err) < 0)
		return -1;
	l = cg_limits_new();
	if (l == NULL)
		return rt_error_set(err, ENOMEM, "linux.resources");
#define SECTION(key, call)                                  \
	do {                                                \
		struct rt_jpath sp_ = RT_JPATH_KEY(p, key); \
		v = json_object_get(res, key);              \
		if (v && !json_is_null(v) && (call) < 0)    \
			return -1;                          \
		(void)sp_;                                  \
	} while (0)
	SECTION("devices", parse_devices(v, &sp_, l, err));
	SECTION("memory", parse_memory(v, &sp_, l, mode, err));
	SECTION("cpu", parse_cpu(v, &sp_, l, err));
	SECTION("pids", parse_pids(v, &sp_, l, err));
	SECTION("blockIO", parse_block_io(v, &sp_, l, err));
	SECTION("hugepageLimits", parse_hugepages(v, &sp_, l, err));
	SECTION("rdma", parse_rdma(v, &sp_, l, err));
	SECTION("unified", parse_unified(v, &sp_, l, err));
	SECTION("network", parse_network(v, &sp_, l, err));
#undef SECTION
	*ret = TAKE_PTR(l);
	return 0;
}

int rt_spec_parse_resources(json_t *resources, struct cg_limits **ret, struct rt_error *err)
{
	struct rt_jpath lp = RT_JPATH_KEY(NULL, "linux"), rp = RT_JPATH_KEY(&lp, "resources");

	return parse_all(resources, &rp, MODE_CONFIG, ret, err);
}

int rt_resources_parse_update(const char *json_text, size_t len, const char *source,
			      struct cg_limits **ret, struct rt_error *err)
{
	json_t *j = NULL;
	int r;

	if (rt_json_load(json_text, len, &j, err) < 0)
		return rt_error_wrap(err, "%s", source);
	if (!json_is_object(j)) {
		json_decref(j);
		return rt_error_set(err, 0, "%s: must be a JSON object of linux.resources", source);
	}
	r = parse_all(j, NULL, MODE_UPDATE, ret, err);
	json_decref(j);
	if (r < 0)
		return rt_error_wrap(err, "%s", source);
	return 0;
}
