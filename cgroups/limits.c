#define _GNU_SOURCE
#include "cgroup.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/cpulist.h"
#include "../common/fsutil.h"
#include "internal.h"

struct cg_limits *cg_limits_new(void)
{
	return calloc(1, sizeof(struct cg_limits));
}

void cg_limits_free(struct cg_limits *l)
{
	if (l == NULL)
		return;
	free(l->cpuset_cpus);
	free(l->cpuset_mems);
	free(l->weight_devices);
	free(l->throttle_devices);
	for (size_t i = 0; i < l->n_hugetlb; i++)
		free(l->hugetlb[i].page_size);
	free(l->hugetlb);
	for (size_t i = 0; i < l->n_rdma; i++)
		free(l->rdma[i].device);
	free(l->rdma);
	for (size_t i = 0; i < l->n_unified; i++) {
		free(l->unified[i].key);
		free(l->unified[i].value);
	}
	free(l->unified);
	for (size_t i = 0; i < l->n_net_priorities; i++) {
		free(l->net_priorities[i].key);
		free(l->net_priorities[i].value);
	}
	free(l->net_priorities);
	free(l->devices);
	free(l);
}

int cg_limits_add_device(struct cg_limits *l, const struct cg_device_rule *rule,
			 struct rt_error *err)
{
	struct cg_device_rule *n = reallocarray(l->devices, l->n_devices + 1, sizeof(*n));

	if (n == NULL)
		return rt_error_set(err, ENOMEM, "device rule");
	l->devices = n;
	l->devices[l->n_devices++] = *rule;
	l->has_devices = 1;
	return 0;
}

unsigned cg_limits_controllers(const struct cg_limits *l)
{
	unsigned m = 0;

	if (l == NULL)
		return 0;
	if (l->has_memory_limit || l->has_memory_reservation || l->has_memory_swap)
		m |= CG_BIT(CG_MEMORY);
	if (l->has_cpu_shares || l->has_cpu_quota || l->has_cpu_period || l->has_cpu_burst ||
	    l->has_cpu_idle)
		m |= CG_BIT(CG_CPU);
	if (l->cpuset_cpus || l->cpuset_mems)
		m |= CG_BIT(CG_CPUSET);
	if (l->has_pids_limit)
		m |= CG_BIT(CG_PIDS);
	if (l->has_io_weight || l->n_weight_devices || l->n_throttle_devices)
		m |= CG_BIT(CG_IO);
	if (l->n_hugetlb)
		m |= CG_BIT(CG_HUGETLB);
	if (l->n_rdma)
		m |= CG_BIT(CG_RDMA);
	for (size_t i = 0; i < l->n_unified; i++) {
		int c = cg_controller_from_name(l->unified[i].key, strlen(l->unified[i].key));
		if (c >= 0)
			m |= CG_BIT(c);
	}
	return m;
}

/* A refused value: the message says why, so no strerror text is appended; errnum is still
 * EINVAL for callers that look at it. */
__attribute__((format(printf, 2, 3))) static int invalid(struct rt_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rt_error_setv(err, 0, fmt, ap);
	va_end(ap);
	if (err)
		err->errnum = EINVAL;
	return -1;
}

uint64_t cg_cpu_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cg_blkio_weight_to_io_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + ((weight - 10) * 9999) / 990;
}

int cg_memory_swap_v2(int64_t memory_swap, int64_t memory_limit, int64_t *ret, struct rt_error *err)
{
	/* v1 compatibility: unlimited memory with swap unset means unlimited swap too */
	if (memory_limit == CG_MAX && memory_swap == 0) {
		*ret = CG_MAX;
		return 0;
	}
	if (memory_swap == CG_MAX || memory_swap == 0) {
		*ret = memory_swap;
		return 0;
	}
	if (memory_limit == 0 || memory_limit == CG_MAX)
		return invalid(err, "memory.swap: a swap limit needs a memory limit");
	if (memory_limit < 0 || memory_swap < 0)
		return invalid(err, "memory.swap: invalid value %" PRId64, memory_swap);
	if (memory_swap < memory_limit)
		return invalid(err,
			       "memory.swap: memory+swap %" PRId64
			       " must not be below the memory limit %" PRId64,
			       memory_swap, memory_limit);
	*ret = memory_swap - memory_limit;
	return 0;
}

int cg_cpulist_check(const char *list, const char *field, struct rt_error *err)
{
	struct rt_cpulist it = RT_CPULIST(list);
	unsigned long a, b;
	int r;

	if (*list == '\0')
		return invalid(err, "%s: empty list", field);
	while ((r = rt_cpulist_next(&it, &a, &b)) > 0)
		if (b < a || a > 65535 || b > 65535)
			break;
	if (r == 0)
		return 0;
	return invalid(err, "%s: `%s` is not a list like \"0-3,7\"", field, list);
}

/* Is n in the list?  The list is well formed (checked, or written by the kernel). */
static int cpulist_has(const char *list, unsigned long n)
{
	struct rt_cpulist it = RT_CPULIST(list);
	unsigned long a, b;

	while (rt_cpulist_next(&it, &a, &b) > 0)
		if (n >= a && n <= b)
			return 1;
	return 0;
}

long cg_cpulist_first_outside(const char *list, const char *avail)
{
	struct rt_cpulist it = RT_CPULIST(list);
	unsigned long a, b;

	while (rt_cpulist_next(&it, &a, &b) > 0)
		for (unsigned long n = a; n <= b && n <= 65535; n++)
			if (!cpulist_has(avail, n))
				return (long)n;
	return -1;
}

static int write_i64_at(int dirfd, const char *file, int64_t v, struct rt_error *err)
{
	char buf[32];

	if (v == CG_MAX)
		snprintf(buf, sizeof(buf), "max");
	else
		snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cg_write_at(dirfd, file, buf, err);
}

int cg_write_u64_at(int dirfd, const char *file, uint64_t v, struct rt_error *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cg_write_at(dirfd, file, buf, err);
}

/* The cgroup's memory.max as a number (CG_MAX for "max"): an update that sets swap alone
 * needs it for the memsw arithmetic. */
static int read_memory_max(int dirfd, int64_t *ret, struct rt_error *err)
{
	cleanup_free char *buf = NULL;

	if (rt_read_file_at(dirfd, "memory.max", &buf, NULL, err) < 0)
		return -1;
	if (strncmp(buf, "max", 3) == 0)
		*ret = CG_MAX;
	else
		*ret = strtoll(buf, NULL, 10);
	return 0;
}

static int apply_memory(int dirfd, const struct cg_limits *l, struct rt_error *err)
{
	if (l->has_memory_swap) {
		int64_t mem = l->memory_limit, swap;
		if (!l->has_memory_limit && read_memory_max(dirfd, &mem, err) < 0)
			return -1;
		if (cg_memory_swap_v2(l->memory_swap, mem, &swap, err) < 0)
			return -1;
		/* swap 0 in the spec means "not set", not "no swap": leave memory.swap.max */
		if (l->memory_swap != 0 && write_i64_at(dirfd, "memory.swap.max", swap, err) < 0)
			return -1;
	}
	if (l->has_memory_limit && write_i64_at(dirfd, "memory.max", l->memory_limit, err) < 0)
		return -1;
	if (l->has_memory_limit && !l->has_memory_swap && l->memory_limit == CG_MAX) {
		/* unlimited memory, swap not given: unlimited swap too (v1 behaviour); the file is
		 * absent without swap accounting */
		struct rt_error e2 = RT_ERROR_INIT;
		if (cg_write_at(dirfd, "memory.swap.max", "max", &e2) < 0 && e2.errnum != ENOENT) {
			return error_move(err, &e2);
		}
		rt_error_release(&e2);
	}
	if (l->has_memory_reservation &&
	    write_i64_at(dirfd, "memory.low", l->memory_reservation, err) < 0)
		return -1;
	return 0;
}

static int apply_cpu(int dirfd, const struct cg_limits *l, struct rt_error *err)
{
	if (l->has_cpu_shares &&
	    cg_write_u64_at(dirfd, "cpu.weight", cg_cpu_shares_to_weight(l->cpu_shares), err) < 0)
		return -1;
	if (l->has_cpu_quota || l->has_cpu_period) {
		char buf[64];
		/* "$MAX $PERIOD"; a quota alone keeps the current period, a period alone keeps
		 * the quota only in the kernel's "max" form, so write "max" as runc does */
		int n = 0;
		if (l->has_cpu_quota && l->cpu_quota != CG_MAX)
			n = snprintf(buf, sizeof(buf), "%" PRId64, l->cpu_quota);
		else
			n = snprintf(buf, sizeof(buf), "max");
		if (l->has_cpu_period)
			snprintf(buf + n, sizeof(buf) - (size_t)n, " %" PRIu64, l->cpu_period);
		if (cg_write_at(dirfd, "cpu.max", buf, err) < 0)
			return -1;
	}
	if (l->has_cpu_burst && cg_write_u64_at(dirfd, "cpu.max.burst", l->cpu_burst, err) < 0)
		return -1;
	if (l->has_cpu_idle && write_i64_at(dirfd, "cpu.idle", l->cpu_idle, err) < 0)
		return -1;
	return 0;
}

static int apply_cpuset(int dirfd, const struct cg_limits *l, struct rt_error *err)
{
	/* mems first: a cpuset with cpus but no mems cannot run tasks, and writing an empty
	 * cgroup in this order never leaves it with an invalid intermediate state */
	if (l->cpuset_mems && cg_write_at(dirfd, "cpuset.mems", l->cpuset_mems, err) < 0)
		return -1;
	if (l->cpuset_cpus && cg_write_at(dirfd, "cpuset.cpus", l->cpuset_cpus, err) < 0) {
		if (err && (err->errnum == EINVAL || err->errnum == ERANGE)) {
			cleanup_free char *avail = NULL;
			struct rt_error e2 = RT_ERROR_INIT;
			if (rt_read_file_at(dirfd, "../cpuset.cpus.effective", &avail, NULL, &e2) ==
			    0) {
				avail[strcspn(avail, "\n")] = '\0';
				rt_error_wrap(
				    err, "cpuset.cpus `%s` is not within the available CPUs `%s`",
				    l->cpuset_cpus, avail);
			}
			rt_error_release(&e2);
		}
		return -1;
	}
	return 0;
}

/* io.bfq.weight takes the blkio scale itself; io.weight (used when bfq is not the scheduler)
 * takes 1..10000, hence the conversion. */
static int write_io_weight(int dirfd, const char *dev, uint64_t weight, struct rt_error *err)
{
	char buf[64];
	struct rt_error e2 = RT_ERROR_INIT;

	snprintf(buf, sizeof(buf), "%s%s%" PRIu64, dev, *dev ? " " : "", weight);
	if (cg_write_at(dirfd, "io.bfq.weight", buf, &e2) == 0)
		return 0;
	if (e2.errnum != ENOENT) {
		return error_move(err, &e2);
	}
	rt_error_release(&e2);
	snprintf(buf, sizeof(buf), "%s%s%" PRIu64, dev, *dev ? " " : "",
		 cg_blkio_weight_to_io_weight(weight));
	return cg_write_at(dirfd, "io.weight", buf, err);
}

static int apply_io(int dirfd, const struct cg_limits *l, struct rt_error *err)
{
	static const char *const keys[] = {[CG_THROTTLE_RBPS] = "rbps",
					   [CG_THROTTLE_WBPS] = "wbps",
					   [CG_THROTTLE_RIOPS] = "riops",
					   [CG_THROTTLE_WIOPS] = "wiops"};

	if (l->has_io_weight && write_io_weight(dirfd, "", l->io_weight, err) < 0)
		return -1;
	for (size_t i = 0; i < l->n_weight_devices; i++) {
		const struct cg_weight_device *d = &l->weight_devices[i];
		char dev[48];
		if (!d->has_weight)
			continue;
		snprintf(dev, sizeof(dev), "%" PRId64 ":%" PRId64, d->major, d->minor);
		if (write_io_weight(dirfd, dev, d->weight, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < l->n_throttle_devices; i++) {
		const struct cg_throttle_device *d = &l->throttle_devices[i];
		char buf[96];
		/* 0 removes the limit: io.max rejects 0 */
		if (d->rate == 0)
			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %s=max", d->major,
				 d->minor, keys[d->kind]);
		else
			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %s=%" PRIu64, d->major,
				 d->minor, keys[d->kind], d->rate);
		if (cg_write_at(dirfd, "io.max", buf, err) < 0)
			return -1;
	}
	return 0;
}

static int apply_hugetlb_rdma(int dirfd, const struct cg_limits *l, unsigned skip,
			      struct rt_error *err)
{
	for (size_t i = 0; !(skip & CG_BIT(CG_HUGETLB)) && i < l->n_hugetlb; i++) {
		char file[64];
		snprintf(file, sizeof(file), "hugetlb.%s.max", l->hugetlb[i].page_size);
		if (cg_write_u64_at(dirfd, file, l->hugetlb[i].limit, err) < 0)
			return -1;
	}
	for (size_t i = 0; !(skip & CG_BIT(CG_RDMA)) && i < l->n_rdma; i++) {
		const struct cg_rdma_limit *r = &l->rdma[i];
		cleanup_free char *buf = NULL;
		char h[32] = "", o[32] = "";
		if (r->has_hca_handles)
			snprintf(h, sizeof(h), " hca_handle=%" PRIu32, r->hca_handles);
		if (r->has_hca_objects)
			snprintf(o, sizeof(o), " hca_object=%" PRIu32, r->hca_objects);
		if (asprintf(&buf, "%s%s%s", r->device, h, o) < 0)
			return rt_error_set(err, ENOMEM, "rdma.max");
		if (cg_write_at(dirfd, "rdma.max", buf, err) < 0)
			return -1;
	}
	return 0;
}

/* Which controllers the limits need but are missing; fails unless CG_SKIP_UNAVAILABLE. */
static int check_available(const struct cg_limits *l, unsigned controllers, const char *name,
			   int flags, unsigned *ret_skipped, struct rt_error *err)
{
	unsigned missing = cg_limits_controllers(l) & ~controllers;

	*ret_skipped = 0;
	if (missing == 0)
		return 0;
	if (flags & CG_SKIP_UNAVAILABLE) {
		*ret_skipped = missing;
		return 0;
	}
	for (int c = 0; c < CG_N_CONTROLLERS; c++) {
		if (!(missing & CG_BIT(c)))
			continue;
		/* errnum set after formatting: the strerror text would only add noise here */
		rt_error_set(
		    err, 0,
		    "cgroup `%s`: linux.resources need the %s controller, which the cgroup "
		    "v2 hierarchy does not provide",
		    name, cg_controller_name(c));
		if (err)
			err->errnum = EOPNOTSUPP;
		break;
	}
	return -1;
}

int cg_apply_at(int dirfd, const char *name, const struct cg_limits *l, unsigned controllers,
		int flags, unsigned *ret_skipped, struct rt_error *err)
{
	unsigned skip = 0;

	if (ret_skipped)
		*ret_skipped = 0;
	if (l == NULL)
		return 0;
	if (l->has_cpu_rt_runtime || l->has_cpu_rt_period)
		return invalid(err,
			       "cgroup `%s`: linux.resources.cpu.%s: realtime CPU bandwidth is a "
			       "cgroup v1 feature; cgroup v2 has no equivalent",
			       name, l->has_cpu_rt_runtime ? "realtimeRuntime" : "realtimePeriod");
	if (check_available(l, controllers, name, flags, &skip, err) < 0)
		return -1;
	if (!(skip & CG_BIT(CG_CPUSET)) && apply_cpuset(dirfd, l, err) < 0)
		goto fail;
	if (!(skip & CG_BIT(CG_MEMORY)) && apply_memory(dirfd, l, err) < 0)
		goto fail;
	if (!(skip & CG_BIT(CG_CPU)) && apply_cpu(dirfd, l, err) < 0)
		goto fail;
	if (!(skip & CG_BIT(CG_PIDS)) && l->has_pids_limit &&
	    write_i64_at(dirfd, "pids.max", l->pids_limit, err) < 0)
		goto fail;
	if (!(skip & CG_BIT(CG_IO)) && apply_io(dirfd, l, err) < 0)
		goto fail;
	if (apply_hugetlb_rdma(dirfd, l, skip, err) < 0)
		goto fail;
	for (size_t i = 0; i < l->n_unified; i++) {
		const char *k = l->unified[i].key;
		int c = cg_controller_from_name(k, strlen(k));
		if (c >= 0 && (skip & CG_BIT(c)))
			continue;
		if (cg_write_at(dirfd, k, l->unified[i].value, err) < 0) {
			rt_error_wrap(err, "linux.resources.unified");
			goto fail;
		}
	}
	if (ret_skipped)
		*ret_skipped = skip;
	return 0;
fail:
	return rt_error_wrap(err, "cgroup `%s`", name);
}
