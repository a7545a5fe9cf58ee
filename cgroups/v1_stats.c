#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "internal.h"
#include "v1.h"

/* `events --stats` from the v1 files, in the struct the v2 reader fills, so that the JSON is
 * runc's for the same host (libcontainer/cgroups/fs). */

#define NS_PER_TICK (1000000000ULL / 100) /* cpuacct.stat counts USER_HZ (100) ticks */

static int v1_dirfd(const struct cg_cgroup *cg, enum cg_controller c)
{
	const struct cg_v1_dir *d = cg_v1_find(cg->v1, c);

	return d ? d->fd : -1;
}

/* A number file; *ret untouched when the file is missing. */
static int read_num(int fd, const char *file, uint64_t *ret, struct rt_error *err)
{
	cleanup_free char *buf = NULL;

	if (fd < 0)
		return 0;
	if (cg_read_optional(fd, file, &buf, err) < 0)
		return -1;
	if (buf)
		*ret = strtoull(buf, NULL, 10);
	return 0;
}

/* cpuacct.usage_percpu{,_user,_sys}: one line of numbers each, one per possible CPU. */
static int read_percpu(int acct, struct cg_stats *s, struct rt_error *err)
{
	static const char *const files[] = {"cpuacct.usage_percpu", "cpuacct.usage_percpu_user",
					    "cpuacct.usage_percpu_sys"};
	cleanup_free char *total = NULL;
	size_t n = 0;

	if (cg_read_optional(acct, files[0], &total, err) < 0)
		return -1;
	if (total == NULL)
		return 0;
	for (char *p = total; *p;) {
		char *end;
		strtoull(p, &end, 10);
		if (end == p)
			break;
		n++;
		p = end + strspn(end, " \n");
	}
	if (n == 0)
		return 0;
	s->cpu_percpu_ns = calloc(3 * n, sizeof(*s->cpu_percpu_ns));
	if (s->cpu_percpu_ns == NULL)
		return rt_error_set(err, ENOMEM, "cpuacct stats");
	s->n_cpu_percpu = n;
	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		cleanup_free char *buf = NULL;
		if (f > 0 && cg_read_optional(acct, files[f], &buf, err) < 0)
			return -1;
		char *p = f == 0 ? total : buf;
		for (size_t i = 0; p && i < n; i++) {
			char *end;
			s->cpu_percpu_ns[f * n + i] = strtoull(p, &end, 10);
			p = end;
		}
	}
	return 0;
}

static int read_cpu(const struct cg_cgroup *cg, struct cg_stats *s, struct rt_error *err)
{
	int acct = v1_dirfd(cg, CG_CPUACCT), cpu = v1_dirfd(cg, CG_CPU);
	cleanup_free char *st = NULL, *cs = NULL;

	if (read_num(acct, "cpuacct.usage", &s->cpu_usage_ns, err) < 0)
		return -1;
	if (acct >= 0 && cg_read_optional(acct, "cpuacct.stat", &st, err) < 0)
		return -1;
	if (st) {
		s->cpu_user_ns = cg_keyed(st, "user") * NS_PER_TICK;
		s->cpu_system_ns = cg_keyed(st, "system") * NS_PER_TICK;
	}
	if (acct >= 0 && read_percpu(acct, s, err) < 0)
		return -1;
	if (cpu >= 0 && cg_read_optional(cpu, "cpu.stat", &cs, err) < 0)
		return -1;
	if (cs && strstr(cs, "nr_periods ")) {
		s->has_cpu_throttling = 1;
		s->cpu_nr_periods = cg_keyed(cs, "nr_periods");
		s->cpu_nr_throttled = cg_keyed(cs, "nr_throttled");
		s->cpu_throttled_ns = cg_keyed(cs, "throttled_time");
	}
	return 0;
}

static int read_memory(const struct cg_cgroup *cg, struct cg_stats *s, struct rt_error *err)
{
	int fd = v1_dirfd(cg, CG_MEMORY);
	uint64_t sw_usage = 0, sw_limit = 0;
	cleanup_free char *st = NULL, *oom = NULL;

	if (fd < 0)
		return 0;
	s->has_memory = 1;
	if (read_num(fd, "memory.usage_in_bytes", &s->memory_current, err) < 0 ||
	    read_num(fd, "memory.limit_in_bytes", &s->memory_max, err) < 0 ||
	    read_num(fd, "memory.max_usage_in_bytes", &s->memory_peak, err) < 0 ||
	    read_num(fd, "memory.failcnt", &s->memory_events_max, err) < 0 ||
	    read_num(fd, "memory.memsw.usage_in_bytes", &sw_usage, err) < 0 ||
	    read_num(fd, "memory.memsw.limit_in_bytes", &sw_limit, err) < 0 ||
	    cg_read_optional(fd, "memory.oom_control", &oom, err) < 0 ||
	    cg_read_optional(fd, "memory.stat", &st, err) < 0)
		return -1;
	/* the v2 struct holds swap apart from memory; v1 counts them together */
	s->memory_swap_current = sw_usage > s->memory_current ? sw_usage - s->memory_current : 0;
	s->memory_swap_max = sw_limit > s->memory_max ? sw_limit - s->memory_max : 0;
	if (oom)
		s->memory_events_oom_kill = cg_keyed(oom, "oom_kill");
	/* kernel memory: deprecated, still counted where the files are */
	if (read_num(fd, "memory.memsw.max_usage_in_bytes", &s->memory_swap_peak, err) < 0 ||
	    read_num(fd, "memory.memsw.failcnt", &s->memory_swap_failcnt, err) < 0 ||
	    read_num(fd, "memory.kmem.usage_in_bytes", &s->kmem_usage, err) < 0 ||
	    read_num(fd, "memory.kmem.max_usage_in_bytes", &s->kmem_max, err) < 0 ||
	    read_num(fd, "memory.kmem.limit_in_bytes", &s->kmem_limit, err) < 0 ||
	    read_num(fd, "memory.kmem.failcnt", &s->kmem_failcnt, err) < 0 ||
	    read_num(fd, "memory.kmem.tcp.usage_in_bytes", &s->kmem_tcp_usage, err) < 0 ||
	    read_num(fd, "memory.kmem.tcp.max_usage_in_bytes", &s->kmem_tcp_max, err) < 0 ||
	    read_num(fd, "memory.kmem.tcp.limit_in_bytes", &s->kmem_tcp_limit, err) < 0 ||
	    read_num(fd, "memory.kmem.tcp.failcnt", &s->kmem_tcp_failcnt, err) < 0)
		return -1;
	return st ? cg_parse_memory_stat(st, s, err) : 0;
}

static struct cg_io_stat *io_entry(struct cg_stats *s, uint64_t major, uint64_t minor, size_t cap)
{
	for (size_t i = 0; i < s->n_io; i++)
		if (s->io[i].major == major && s->io[i].minor == minor)
			return &s->io[i];
	if (s->n_io == cap)
		return NULL;
	s->io[s->n_io] = (struct cg_io_stat){.major = major, .minor = minor};
	return &s->io[s->n_io++];
}

/* "8:0 Read 4096" lines (and Write, Sync, Async, Discard, Total, a last "Total N"). */
static int read_blkio_file(struct cg_stats *s, char *buf, int ios, struct rt_error *err)
{
	size_t lines = 1;
	char *save = NULL;

	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	if (s->io == NULL && (s->io = calloc(lines, sizeof(*s->io))) == NULL)
		return rt_error_set(err, ENOMEM, "blkio stats");
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned long long major, minor, v;
		char op[16];
		if (sscanf(l, "%llu:%llu %15s %llu", &major, &minor, op, &v) != 4)
			continue;
		struct cg_io_stat *e = io_entry(s, major, minor, lines);
		if (e == NULL)
			continue;
		if (strcmp(op, "Read") == 0)
			*(ios ? &e->rios : &e->rbytes) = v;
		else if (strcmp(op, "Write") == 0)
			*(ios ? &e->wios : &e->wbytes) = v;
	}
	return 0;
}

static int read_blkio(const struct cg_cgroup *cg, struct cg_stats *s, struct rt_error *err)
{
	int fd = v1_dirfd(cg, CG_IO);
	cleanup_free char *bytes = NULL, *ios = NULL;

	if (fd < 0)
		return 0;
	/* the scheduler's (cfq) counters where there are any, else the throttling layer's, as
	 * runc reads them */
	if (cg_read_optional(fd, "blkio.io_service_bytes_recursive", &bytes, err) < 0 ||
	    cg_read_optional(fd, "blkio.io_serviced_recursive", &ios, err) < 0)
		return -1;
	if ((bytes == NULL || bytes[strspn(bytes, "Total 0\n")] == '\0')) {
		free(bytes);
		free(ios);
		bytes = ios = NULL;
		if (cg_read_optional(fd, "blkio.throttle.io_service_bytes_recursive", &bytes, err) <
			0 ||
		    cg_read_optional(fd, "blkio.throttle.io_serviced_recursive", &ios, err) < 0)
			return -1;
	}
	/* one entry per device for both files: room for the longer */
	size_t nb = bytes ? strlen(bytes) : 0, ni = ios ? strlen(ios) : 0;
	char *first = nb >= ni ? bytes : ios, *second = nb >= ni ? ios : bytes;
	if (first && read_blkio_file(s, first, first == ios, err) < 0)
		return -1;
	if (second && read_blkio_file(s, second, second == ios, err) < 0)
		return -1;
	return 0;
}

static int read_hugetlb_size(int fd, struct cg_hugetlb_stat *h, struct rt_error *err)
{
	char file[64];

	h->max = CG_STAT_MAX;
	snprintf(file, sizeof(file), "hugetlb.%s.usage_in_bytes", h->page_size);
	if (read_num(fd, file, &h->current, err) < 0)
		return -1;
	snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", h->page_size);
	if (read_num(fd, file, &h->max, err) < 0)
		return -1;
	snprintf(file, sizeof(file), "hugetlb.%s.failcnt", h->page_size);
	return read_num(fd, file, &h->failcnt, err);
}

static int read_hugetlb(const struct cg_cgroup *cg, struct cg_stats *s, struct rt_error *err)
{
	int fd = v1_dirfd(cg, CG_HUGETLB);

	if (fd < 0)
		return 0;
	return cg_hugetlb_scan(fd, cg->path, ".usage_in_bytes", read_hugetlb_size, s, err);
}

const char *const cg_cpuset_flag_names[9] = {
    "cpu_exclusive",   "mem_hardwall",	     "mem_exclusive",
    "memory_migrate",  "memory_spread_page", "memory_spread_slab",
    "memory_pressure", "sched_load_balance", "sched_relax_domain_level",
};

static int read_cpuset(const struct cg_cgroup *cg, struct cg_stats *s, struct rt_error *err)
{
	int fd = v1_dirfd(cg, CG_CPUSET);

	if (fd < 0)
		return 0;
	if (cg_read_optional(fd, "cpuset.cpus", &s->cpuset_cpus, err) < 0 ||
	    cg_read_optional(fd, "cpuset.mems", &s->cpuset_mems, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(s->cpuset_flags); i++) {
		cleanup_free char *buf = NULL, *file = NULL;
		if (asprintf(&file, "cpuset.%s", cg_cpuset_flag_names[i]) < 0)
			return rt_error_set(err, ENOMEM, "cpuset stats");
		if (cg_read_optional(fd, file, &buf, err) < 0)
			return -1;
		s->cpuset_flags[i] = buf ? strtoll(buf, NULL, 10) : 0;
	}
	return 0;
}

int cg_v1_read_stats(struct cg_cgroup *cg, struct cg_stats *s, struct rt_error *err)
{
	int pids = v1_dirfd(cg, CG_PIDS);

	memset(s, 0, sizeof(*s));
	if (read_cpu(cg, s, err) < 0 || read_memory(cg, s, err) < 0 || read_cpuset(cg, s, err) < 0)
		goto fail;
	if (pids >= 0) {
		cleanup_free char *max = NULL;
		s->has_pids = 1;
		s->pids_max = CG_STAT_MAX;
		if (read_num(pids, "pids.current", &s->pids_current, err) < 0 ||
		    cg_read_optional(pids, "pids.max", &max, err) < 0)
			goto fail;
		if (max && strncmp(max, "max", 3) != 0)
			s->pids_max = strtoull(max, NULL, 10);
	}
	if (read_blkio(cg, s, err) < 0 || read_hugetlb(cg, s, err) < 0)
		goto fail;
	return 0;
fail:
	cg_stats_clear(s);
	return rt_error_wrap(err, "cgroup `%s`: stats", cg->path);
}

int cg_v1_oom_kill_count(struct cg_cgroup *cg, uint64_t *ret, struct rt_error *err)
{
	int fd = v1_dirfd(cg, CG_MEMORY);
	cleanup_free char *oom = NULL;

	*ret = 0;
	if (fd < 0)
		return 0;
	if (cg_read_optional(fd, "memory.oom_control", &oom, err) < 0)
		return rt_error_wrap(err, "cgroup `%s`", cg->path);
	*ret = oom ? cg_keyed(oom, "oom_kill") : 0;
	return 0;
}
