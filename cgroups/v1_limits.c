#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "internal.h"
#include "v1.h"

/* linux.resources through the cgroup v1 files, with runc's libcontainer/cgroups/fs for file
 * names, units and the order of writes that depend on each other. */

int cg_write_at(int dirfd, const char *file, const char *value, struct rt_error *err)
{
	cleanup_close int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return rt_error_set(err, errno, "open %s", file);
	if (rt_write_all(fd, value, strlen(value)) < 0)
		return rt_error_set(err, errno, "write %s = \"%s\"", file, value);
	return 0;
}

static int write_i64(int dirfd, const char *file, int64_t v, struct rt_error *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cg_write_at(dirfd, file, buf, err);
}

static int read_i64(int dirfd, const char *file, int64_t *ret, struct rt_error *err)
{
	cleanup_free char *buf = NULL;

	if (rt_read_file_at(dirfd, file, &buf, NULL, err) < 0)
		return rt_error_wrap(err, "read %s", file);
	*ret = strtoll(buf, NULL, 10);
	return 0;
}

/* memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes: raising both writes
 * memsw first, lowering both writes memory first (runc's setMemoryAndSwap). */
static int apply_memory_swap(int fd, const struct cg_limits *l, struct rt_error *err)
{
	int64_t mem = l->has_memory_limit ? l->memory_limit : 0;
	int64_t swap = l->has_memory_swap ? l->memory_swap : 0;
	int64_t cur;
	int swap_first;

	/* unlimited memory with swap unset: unlimited memory+swap too (where swap is counted) */
	if (mem == CG_MAX && swap == 0 &&
	    faccessat(fd, "memory.memsw.limit_in_bytes", F_OK, 0) == 0)
		swap = CG_MAX;
	if (mem != 0 && swap != 0) {
		if (read_i64(fd, "memory.limit_in_bytes", &cur, err) < 0)
			return -1;
		swap_first = swap == CG_MAX || cur < swap;
	} else {
		swap_first = 0;
	}
	if (swap != 0 && swap_first && write_i64(fd, "memory.memsw.limit_in_bytes", swap, err) < 0)
		goto memsw_fail;
	if (mem != 0 && write_i64(fd, "memory.limit_in_bytes", mem, err) < 0)
		return -1;
	if (swap != 0 && !swap_first && write_i64(fd, "memory.memsw.limit_in_bytes", swap, err) < 0)
		goto memsw_fail;
	return 0;
memsw_fail:
	if (err && err->errnum == ENOENT)
		rt_error_wrap(err, "linux.resources.memory.swap needs swap accounting "
				   "(swapaccount=1 on the kernel command line)");
	return -1;
}

static int apply_memory(int fd, const struct cg_limits *l, struct rt_error *err)
{
	if ((l->has_memory_limit || l->has_memory_swap) && apply_memory_swap(fd, l, err) < 0)
		return -1;
	/* kernel and kernelTCP: deprecated, accepted and ignored as runc 1.1 does */
	if (l->has_memory_reservation &&
	    write_i64(fd, "memory.soft_limit_in_bytes", l->memory_reservation, err) < 0)
		return -1;
	if (l->disable_oom_killer && cg_write_at(fd, "memory.oom_control", "1", err) < 0)
		return -1;
	if (l->has_memory_swappiness &&
	    cg_write_u64_at(fd, "memory.swappiness", l->memory_swappiness, err) < 0)
		return -1;
	return 0;
}

static int apply_cpu(int fd, const struct cg_limits *l, struct rt_error *err)
{
	struct rt_error e2 = RT_ERROR_INIT;
	int period_later = 0;

	if (l->has_cpu_shares) {
		int64_t got = 0;
		if (cg_write_u64_at(fd, "cpu.shares", l->cpu_shares, err) < 0 ||
		    read_i64(fd, "cpu.shares", &got, err) < 0)
			return -1;
		/* the kernel clamps silently: say so rather than run with another value */
		if ((uint64_t)got != l->cpu_shares)
			return rt_error_set(err, 0,
					    "cpu.shares: the kernel set %" PRId64 " for %" PRIu64,
					    got, l->cpu_shares);
	}
	/* a shorter period may be refused while the old quota is larger than it allows: then
	 * the quota first */
	if (l->has_cpu_period && cg_write_u64_at(fd, "cpu.cfs_period_us", l->cpu_period, &e2) < 0) {
		if (e2.errnum != EINVAL || !l->has_cpu_quota)
			return error_move(err, &e2);
		rt_error_release(&e2);
		period_later = 1;
	}
	if (l->has_cpu_quota && write_i64(fd, "cpu.cfs_quota_us", l->cpu_quota, err) < 0)
		return -1;
	if (period_later && cg_write_u64_at(fd, "cpu.cfs_period_us", l->cpu_period, err) < 0)
		return -1;
	if (l->has_cpu_burst && cg_write_u64_at(fd, "cpu.cfs_burst_us", l->cpu_burst, err) < 0)
		return -1;
	if (l->has_cpu_idle && write_i64(fd, "cpu.idle", l->cpu_idle, err) < 0)
		return -1;
	/* the period first: the runtime is checked against it */
	if (l->has_cpu_rt_period &&
	    cg_write_u64_at(fd, "cpu.rt_period_us", l->cpu_rt_period, err) < 0)
		return -1;
	if (l->has_cpu_rt_runtime && write_i64(fd, "cpu.rt_runtime_us", l->cpu_rt_runtime, err) < 0)
		return -1;
	return 0;
}

static int apply_cpuset(int fd, const struct cg_limits *l, struct rt_error *err)
{
	if (l->cpuset_cpus && cg_write_at(fd, "cpuset.cpus", l->cpuset_cpus, err) < 0)
		return -1;
	if (l->cpuset_mems && cg_write_at(fd, "cpuset.mems", l->cpuset_mems, err) < 0)
		return -1;
	return 0;
}

/* blkio.bfq.weight where bfq schedules, blkio.weight under cfq; the blkio scale in both. */
static int write_blkio_weight(int fd, const char *what, const char *value, struct rt_error *err)
{
	char bfq[64], plain[64];
	struct rt_error e2 = RT_ERROR_INIT;

	snprintf(bfq, sizeof(bfq), "blkio.bfq.%s", what);
	snprintf(plain, sizeof(plain), "blkio.%s", what);
	if (cg_write_at(fd, bfq, value, &e2) == 0)
		return 0;
	if (e2.errnum != ENOENT)
		return error_move(err, &e2);
	rt_error_release(&e2);
	if (cg_write_at(fd, plain, value, err) < 0) {
		if (err && err->errnum == ENOENT)
			rt_error_wrap(err, "blkio weights need the bfq or cfq I/O scheduler");
		return -1;
	}
	return 0;
}

static int apply_blkio(int fd, const struct cg_limits *l, struct rt_error *err)
{
	static const char *const files[] = {[CG_THROTTLE_RBPS] = "blkio.throttle.read_bps_device",
					    [CG_THROTTLE_WBPS] = "blkio.throttle.write_bps_device",
					    [CG_THROTTLE_RIOPS] = "blkio.throttle.read_iops_device",
					    [CG_THROTTLE_WIOPS] =
						"blkio.throttle.write_iops_device"};
	char buf[96];

	if (l->has_io_weight) {
		snprintf(buf, sizeof(buf), "%u", l->io_weight);
		if (write_blkio_weight(fd, "weight", buf, err) < 0)
			return -1;
	}
	if (l->has_io_leaf_weight) {
		snprintf(buf, sizeof(buf), "%u", l->io_leaf_weight);
		if (cg_write_at(fd, "blkio.leaf_weight", buf, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < l->n_weight_devices; i++) {
		const struct cg_weight_device *d = &l->weight_devices[i];
		if (d->has_weight) {
			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
				 d->weight);
			if (write_blkio_weight(fd, "weight_device", buf, err) < 0)
				return -1;
		}
		if (d->has_leaf_weight) {
			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
				 d->leaf_weight);
			if (cg_write_at(fd, "blkio.leaf_weight_device", buf, err) < 0)
				return -1;
		}
	}
	/* a rate of 0 removes the device's rule, in v1 as in the spec */
	for (size_t i = 0; i < l->n_throttle_devices; i++) {
		const struct cg_throttle_device *d = &l->throttle_devices[i];
		snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
			 d->rate);
		if (cg_write_at(fd, files[d->kind], buf, err) < 0)
			return -1;
	}
	return 0;
}

static int apply_hugetlb(int fd, const struct cg_limits *l, struct rt_error *err)
{
	for (size_t i = 0; i < l->n_hugetlb; i++) {
		char file[64];
		snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", l->hugetlb[i].page_size);
		if (cg_write_u64_at(fd, file, l->hugetlb[i].limit, err) < 0)
			return -1;
	}
	return 0;
}

static int apply_rdma(int fd, const struct cg_limits *l, struct rt_error *err)
{
	for (size_t i = 0; i < l->n_rdma; i++) {
		const struct cg_rdma_limit *r = &l->rdma[i];
		char buf[160];
		int n = snprintf(buf, sizeof(buf), "%s", r->device);
		if (r->has_hca_handles)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, " hca_handle=%" PRIu32,
				      r->hca_handles);
		if (r->has_hca_objects)
			snprintf(buf + n, sizeof(buf) - (size_t)n, " hca_object=%" PRIu32,
				 r->hca_objects);
		if (cg_write_at(fd, "rdma.max", buf, err) < 0)
			return -1;
	}
	return 0;
}

static int apply_net(int cls_fd, int prio_fd, const struct cg_limits *l, struct rt_error *err)
{
	if (l->has_net_classid &&
	    cg_write_u64_at(cls_fd, "net_cls.classid", l->net_classid, err) < 0)
		return -1;
	for (size_t i = 0; i < l->n_net_priorities; i++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "%s %s", l->net_priorities[i].key,
			 l->net_priorities[i].value);
		if (cg_write_at(prio_fd, "net_prio.ifpriomap", buf, err) < 0)
			return -1;
	}
	return 0;
}

/* The controllers l needs on v1: the v2 list plus the fields only v1 has. */
static unsigned v1_needs(const struct cg_limits *l)
{
	unsigned m = cg_limits_controllers(l);

	if (l->has_memory_swappiness || l->disable_oom_killer)
		m |= CG_BIT(CG_MEMORY);
	if (l->has_cpu_rt_runtime || l->has_cpu_rt_period)
		m |= CG_BIT(CG_CPU);
	if (l->has_io_leaf_weight)
		m |= CG_BIT(CG_IO);
	for (size_t i = 0; i < l->n_weight_devices; i++)
		if (l->weight_devices[i].has_leaf_weight)
			m |= CG_BIT(CG_IO);
	if (l->has_net_classid)
		m |= CG_BIT(CG_NET_CLS);
	if (l->n_net_priorities)
		m |= CG_BIT(CG_NET_PRIO);
	return m;
}

static int v1_fd(const struct cg_v1 *v, enum cg_controller c)
{
	const struct cg_v1_dir *d = cg_v1_find(v, c);

	return d ? d->fd : -1;
}

int cg_v1_check(unsigned available, const char *name, enum cg_layout layout,
		const struct cg_limits *l, int flags, unsigned *ret_skipped, struct rt_error *err)
{
	unsigned missing;

	*ret_skipped = 0;
	if (l == NULL)
		return 0;
	if (l->n_unified)
		return rt_error_set(
		    err, EOPNOTSUPP,
		    "cgroup `%s`: linux.resources.unified needs cgroup v2, and this "
		    "host's cgroup layout is %s (v1 controllers)",
		    name, cg_layout_name(layout));
	missing = v1_needs(l) & ~available;
	if (missing == 0)
		return 0;
	if (flags & CG_SKIP_UNAVAILABLE) {
		*ret_skipped = missing;
		return 0;
	}
	for (int c = 0; c < CG_N_CONTROLLERS; c++) {
		if (!(missing & CG_BIT(c)))
			continue;
		rt_error_set(err, 0,
			     "cgroup `%s`: linux.resources need the %s controller, which this "
			     "host's cgroup v1 hierarchies do not provide (layout %s)",
			     name, cg_controller_v1_name(c), cg_layout_name(layout));
		break;
	}
	if (err)
		err->errnum = EOPNOTSUPP;
	return -1;
}

int cg_v1_apply(const struct cg_v1 *v, const char *name, enum cg_layout layout,
		const struct cg_limits *l, int flags, unsigned *ret_skipped, struct rt_error *err)
{
	unsigned avail = 0, skip = 0;
	int r = 0;

	if (ret_skipped)
		*ret_skipped = 0;
	if (l == NULL)
		return 0;
	for (size_t i = 0; v && i < v->n; i++)
		avail |= v->d[i].controllers;
	if (cg_v1_check(avail, name, layout, l, flags, &skip, err) < 0)
		return -1;
	/* cpuset first, as runc does: the others do not depend on it, but a failing cpuset is
	 * the likeliest bad input */
	if (!(skip & CG_BIT(CG_CPUSET)) && (l->cpuset_cpus || l->cpuset_mems))
		r = apply_cpuset(v1_fd(v, CG_CPUSET), l, err);
	if (r == 0 && !(skip & CG_BIT(CG_MEMORY)) && (v1_needs(l) & CG_BIT(CG_MEMORY)))
		r = apply_memory(v1_fd(v, CG_MEMORY), l, err);
	if (r == 0 && !(skip & CG_BIT(CG_CPU)) && (v1_needs(l) & CG_BIT(CG_CPU)))
		r = apply_cpu(v1_fd(v, CG_CPU), l, err);
	if (r == 0 && !(skip & CG_BIT(CG_PIDS)) && l->has_pids_limit) {
		char buf[32] = "max";
		if (l->pids_limit != CG_MAX)
			snprintf(buf, sizeof(buf), "%" PRId64, l->pids_limit);
		r = cg_write_at(v1_fd(v, CG_PIDS), "pids.max", buf, err);
	}
	if (r == 0 && !(skip & CG_BIT(CG_IO)) && (v1_needs(l) & CG_BIT(CG_IO)))
		r = apply_blkio(v1_fd(v, CG_IO), l, err);
	if (r == 0 && !(skip & CG_BIT(CG_HUGETLB)) && l->n_hugetlb)
		r = apply_hugetlb(v1_fd(v, CG_HUGETLB), l, err);
	if (r == 0 && !(skip & CG_BIT(CG_RDMA)) && l->n_rdma)
		r = apply_rdma(v1_fd(v, CG_RDMA), l, err);
	if (r == 0 && !(skip & (CG_BIT(CG_NET_CLS) | CG_BIT(CG_NET_PRIO))))
		r = apply_net(v1_fd(v, CG_NET_CLS), v1_fd(v, CG_NET_PRIO), l, err);
	if (r < 0)
		return rt_error_wrap(err, "cgroup `%s`", name);
	if (ret_skipped)
		*ret_skipped = skip;
	return 0;
}

void cg_v1_device_rule_format(const struct cg_device_rule *r, char *buf, size_t len)
{
	char maj[24] = "*", min[24] = "*", acc[4] = "";
	size_t n = 0;

	if (r->major >= 0)
		snprintf(maj, sizeof(maj), "%" PRId64, r->major);
	if (r->minor >= 0)
		snprintf(min, sizeof(min), "%" PRId64, r->minor);
	if (r->access & CG_DEV_READ)
		acc[n++] = 'r';
	if (r->access & CG_DEV_WRITE)
		acc[n++] = 'w';
	if (r->access & CG_DEV_MKNOD)
		acc[n++] = 'm';
	acc[n] = '\0';
	if (r->type == 'a')
		snprintf(buf, len, "a");
	else
		snprintf(buf, len, "%c %s:%s %s", r->type, maj, min, acc);
}

/* Deny everything, then replay the rules in order: an allow adds an exception, a deny takes
 * it away again, so for the lists the spec and Docker write (a deny-all first, then allows)
 * the kernel ends with the same decision as the last-match-wins program of cgroup v2. */
/* One rule per write(2), the kernel's unit for these files, on one open fd per file. */
static int write_rule(int dirfd, int *fd, const char *file, const char *rule, struct rt_error *err)
{
	if (*fd < 0 && (*fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return rt_error_set(err, errno, "open %s", file);
	if (rt_write_all(*fd, rule, strlen(rule)) < 0)
		return rt_error_set(err, errno, "write %s = \"%s\"", file, rule);
	return 0;
}

int cg_v1_devices_apply(int fd, const struct cg_device_rule *rules, size_t n, int with_defaults,
			struct rt_error *err)
{
	size_t n_def = 0;
	const struct cg_device_rule *def = cg_default_device_rules(&n_def);
	cleanup_close int allow = -1, deny = -1;
	char buf[64];

	if (write_rule(fd, &deny, "devices.deny", "a", err) < 0)
		return -1;
	for (size_t i = 0; i < n + (with_defaults ? n_def : 0); i++) {
		const struct cg_device_rule *r = i < n ? &rules[i] : &def[i - n];
		if (r->access == 0)
			continue;
		cg_v1_device_rule_format(r, buf, sizeof(buf));
		if (write_rule(fd, r->allow ? &allow : &deny,
			       r->allow ? "devices.allow" : "devices.deny", buf, err) < 0)
			return rt_error_wrap(err, "linux.resources.devices");
	}
	return 0;
}
