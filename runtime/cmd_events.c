#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "cgroup_rt.h"
#include "commands.h"
#include "container.h"

/* Go's time.ParseDuration, which runc's --interval takes: "5s", "500ms", "1m30s", "1.5h". */
static int parse_duration(const char *s, long long *ret_ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {{"ns", 1},	 {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6},
		     {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	double total = 0;
	int neg = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ret_ns = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s) {
		char *end;
		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return -1;
		double v = strtod(s, &end);
		if (end == s)
			return -1;
		s = end;
		size_t ul = strcspn(s, "0123456789.");
		size_t i;
		for (i = 0; i < ARRAY_SIZE(units); i++)
			if (strlen(units[i].unit) == ul && strncmp(s, units[i].unit, ul) == 0)
				break;
		if (i == ARRAY_SIZE(units))
			return -1;
		total += v * units[i].ns;
		s += ul;
	}
	if (total > 9.2e18)
		return -1;
	*ret_ns = (long long)(neg ? -total : total);
	return 0;
}

/* --- runc's JSON (types/events.go), byte for byte as Go's encoding/json writes it: struct
 * fields in declaration order, map keys sorted, omitempty fields left out when zero, uint64
 * "max" as 18446744073709551615.  jansson cannot hold values above INT64_MAX, hence a small
 * writer. --- */
struct jw {
	FILE *f;
	int first; /* no member written yet in the current object */
};

static void jw_key(struct jw *w, const char *key)
{
	fputs(w->first ? "\"" : ",\"", w->f);
	for (const char *p = key; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			fprintf(w->f, "\\%c", c);
		else if (c < 0x20 || c == '<' || c == '>' || c == '&')
			fprintf(w->f, "\\u%04x", c);
		else
			fputc(c, w->f);
	}
	fputs("\":", w->f);
	w->first = 0;
}

static void jw_open(struct jw *w, const char *key)
{
	if (key)
		jw_key(w, key);
	fputc('{', w->f);
	w->first = 1;
}

static void jw_close(struct jw *w)
{
	fputc('}', w->f);
	w->first = 0;
}

/* omitempty: leave the member out when v is 0 */
static void jw_u64(struct jw *w, const char *key, uint64_t v, int omitempty)
{
	if (omitempty && v == 0)
		return;
	jw_key(w, key);
	fprintf(w->f, "%" PRIu64, v);
}

static void jw_memory_entry(struct jw *w, const char *key, uint64_t limit, uint64_t usage,
			    uint64_t max, uint64_t failcnt)
{
	jw_open(w, key);
	jw_u64(w, "limit", limit, 0);
	jw_u64(w, "usage", usage, 1);
	jw_u64(w, "max", max, 1);
	jw_u64(w, "failcnt", failcnt, 0);
	jw_close(w);
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cg_kv *)a)->key, ((const struct cg_kv *)b)->key);
}

static int hugetlb_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cg_hugetlb_stat *)a)->page_size,
		      ((const struct cg_hugetlb_stat *)b)->page_size);
}

static void write_memory(struct jw *w, struct cg_stats *s)
{
	uint64_t cache = 0, swap_limit = 0;

	/* page cache: "file" in v2's memory.stat, "cache" in v1's */
	for (size_t i = 0; i < s->n_memory_stat; i++)
		if (strcmp(s->memory_stat[i].key, "file") == 0 ||
		    strcmp(s->memory_stat[i].key, "cache") == 0)
			cache = strtoull(s->memory_stat[i].value, NULL, 10);
	/* v1 reported memory+swap; runc keeps that on v2 (a "max" limit stays max) */
	if (s->has_memory)
		swap_limit = s->memory_swap_max == CG_STAT_MAX || s->memory_max == CG_STAT_MAX ||
				     s->memory_swap_max + s->memory_max < s->memory_max
				 ? CG_STAT_MAX
				 : s->memory_swap_max + s->memory_max;
	jw_open(w, "memory");
	jw_u64(w, "cache", cache, 1);
	jw_memory_entry(w, "usage", s->has_memory ? s->memory_max : 0, s->memory_current,
			s->memory_peak, s->memory_events_max);
	jw_memory_entry(w, "swap", swap_limit, s->memory_swap_current + s->memory_current,
			s->memory_swap_peak, s->memory_swap_failcnt);
	jw_memory_entry(w, "kernel", s->kmem_limit, s->kmem_usage, s->kmem_max, s->kmem_failcnt);
	jw_memory_entry(w, "kernelTCP", s->kmem_tcp_limit, s->kmem_tcp_usage, s->kmem_tcp_max,
			s->kmem_tcp_failcnt);
	if (s->n_memory_stat) {
		qsort(s->memory_stat, s->n_memory_stat, sizeof(*s->memory_stat), kv_cmp);
		jw_open(w, "raw");
		for (size_t i = 0; i < s->n_memory_stat; i++)
			jw_u64(w, s->memory_stat[i].key,
			       strtoull(s->memory_stat[i].value, NULL, 10), 0);
		jw_close(w);
	}
	jw_close(w);
}

static void write_blkio_table(struct jw *w, const char *key, const struct cg_stats *s, int ios)
{
	int first = 1;

	if (s->n_io == 0)
		return;
	jw_key(w, key);
	fputc('[', w->f);
	for (size_t i = 0; i < s->n_io; i++) {
		const struct cg_io_stat *e = &s->io[i];
		for (int op = 0; op < 2; op++) {
			fputs(first ? "" : ",", w->f);
			first = 0;
			jw_open(w, NULL);
			jw_u64(w, "major", e->major, 1);
			jw_u64(w, "minor", e->minor, 1);
			jw_key(w, "op");
			fputs(op ? "\"Write\"" : "\"Read\"", w->f);
			jw_u64(w, "value",
			       ios ? (op ? e->wios : e->rios) : (op ? e->wbytes : e->rbytes), 1);
			jw_close(w);
		}
	}
	fputc(']', w->f);
	w->first = 0;
}

/* cgroup v1's cpuacct per-CPU times, as runc lists them. */
static void write_percpu(struct jw *w, const struct cg_stats *s)
{
	static const char *const keys[] = {"percpu", "percpu_user", "percpu_kernel"};

	for (size_t k = 0; s->n_cpu_percpu && k < 3; k++) {
		jw_key(w, keys[k]);
		fputc('[', w->f);
		for (size_t i = 0; i < s->n_cpu_percpu; i++)
			fprintf(w->f, "%s%" PRIu64, i ? "," : "",
				s->cpu_percpu_ns[k * s->n_cpu_percpu + i]);
		fputc(']', w->f);
	}
}

/* "0-2,5" as [0,1,2,5] */
static void write_cpulist(struct jw *w, const char *key, const char *list)
{
	int first = 1;

	if (list == NULL || list[strspn(list, " \n")] == '\0')
		return;
	jw_key(w, key);
	fputc('[', w->f);
	for (const char *p = list; *p;) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			break;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		for (unsigned long n = a; n <= b && n <= 65535; n++, first = 0)
			fprintf(w->f, "%s%lu", first ? "" : ",", n);
		p = end + strspn(end, ",\n");
	}
	fputc(']', w->f);
}

/* runc reads no cpuset figures on cgroup v2 (its zero struct), the cpuset files on v1 */
static void write_cpuset(struct jw *w, const struct cg_stats *s)
{
	jw_open(w, "cpuset");
	write_cpulist(w, "cpus", s->cpuset_cpus);
	write_cpulist(w, "mems", s->cpuset_mems);
	for (size_t i = 0; i < ARRAY_SIZE(s->cpuset_flags); i++) {
		jw_key(w, cg_cpuset_flag_names[i]);
		fprintf(w->f, "%" PRId64, s->cpuset_flags[i]);
	}
	jw_close(w);
}

static void write_stats(FILE *f, const char *id, struct cg_stats *s)
{
	struct jw w = {f, 1};

	jw_open(&w, NULL);
	jw_key(&w, "type");
	fputs("\"stats\"", f);
	jw_key(&w, "id");
	fprintf(f, "\"%s\"", id); /* ids are [A-Za-z0-9_.+-] (rt_validate_id) */
	jw_open(&w, "data");

	jw_open(&w, "cpu");
	jw_open(&w, "usage");
	jw_u64(&w, "total", s->cpu_usage_ns, 1);
	write_percpu(&w, s);
	jw_u64(&w, "kernel", s->cpu_system_ns, 0);
	jw_u64(&w, "user", s->cpu_user_ns, 0);
	jw_close(&w);
	jw_open(&w, "throttling");
	jw_u64(&w, "periods", s->cpu_nr_periods, 1);
	jw_u64(&w, "throttledPeriods", s->cpu_nr_throttled, 1);
	jw_u64(&w, "throttledTime", s->cpu_throttled_ns, 1);
	jw_close(&w);
	jw_close(&w);

	write_cpuset(&w, s);

	write_memory(&w, s);

	jw_open(&w, "pids");
	jw_u64(&w, "current", s->pids_current, 1);
	/* runc reports "no limit" for pids as 0 */
	jw_u64(&w, "limit", s->pids_max == CG_STAT_MAX ? 0 : s->pids_max, 1);
	jw_close(&w);

	jw_open(&w, "blkio");
	write_blkio_table(&w, "ioServiceBytesRecursive", s, 0);
	write_blkio_table(&w, "ioServicedRecursive", s, 1);
	jw_close(&w);

	if (s->n_hugetlb) /* hugetlb is NULL when no hierarchy has hugetlb */
		qsort(s->hugetlb, s->n_hugetlb, sizeof(*s->hugetlb), hugetlb_cmp);
	jw_open(&w, "hugetlb");
	for (size_t i = 0; i < s->n_hugetlb; i++) {
		jw_open(&w, s->hugetlb[i].page_size);
		jw_u64(&w, "usage", s->hugetlb[i].current, 1);
		jw_u64(&w, "failcnt", s->hugetlb[i].failcnt, 0);
		jw_close(&w);
	}
	jw_close(&w);
	fputs(",\"intel_rdt\":{},\"network_interfaces\":null", f);

	jw_close(&w); /* data */
	jw_close(&w);
	fputc('\n', f);
}

static int print_stats(struct cg_cgroup *cg, const char *id, struct rt_error *err)
{
	struct cg_stats s;

	if (cg_read_stats(cg, &s, err) < 0)
		return -1;
	write_stats(stdout, id, &s);
	cg_stats_clear(&s);
	return fflush(stdout) == 0 ? 0 : rt_error_set(err, errno, "events: write stdout");
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Stream: stats every interval, an oom event whenever the OOM kill count rises, until the
 * container's cgroup is empty (runc stops when its OOM notifier sees the cgroup go).  The
 * library's watch fds wake us when either may have changed. */
static int stream(struct cg_cgroup *cg, const char *id, long long interval_ns, struct rt_error *err)
{
	struct cg_watch *w = NULL;
	long long next = now_ns() + interval_ns;
	uint64_t ooms = 0, n = 0;
	int alive = 0, rc = 0;

	if (cg_watch_open(cg, &w, err) < 0)
		return rt_error_wrap(err, "events");
	cg_watch_read(w, &alive, &ooms);
	while (alive) {
		struct pollfd p[2];
		int np = cg_watch_pollfds(w, p);
		long long left = next - now_ns();
		if (left <= 0) {
			struct rt_error e2 = RT_ERROR_INIT;
			/* a failed read (the cgroup going away) is logged and retried, as runc does
			 */
			if (print_stats(cg, id, &e2) < 0) {
				rt_log(RT_LOG_ERROR, "%s", e2.msg);
				rt_error_release(&e2);
			}
			next += interval_ns;
			continue;
		}
		/* wake at least every second: a missed wakeup must not hide the end for long */
		int timeout = left / 1000000 > 1000 ? 1000 : (int)(left / 1000000) + 1;
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR) {
			rc = rt_error_set(err, errno, "events: poll");
			break;
		}
		cg_watch_read(w, &alive, &n);
		if (n > ooms) {
			printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
			if (fflush(stdout) != 0) {
				rc = rt_error_set(err, errno, "events: write stdout");
				break;
			}
		}
		if (n > ooms)
			ooms = n;
	}
	cg_watch_free(w);
	return rc;
}

static int run_events(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {{"stats", no_argument, NULL, 's'},
					     {"interval", required_argument, NULL, 'i'},
					     {NULL, 0, NULL, 0}};
	struct rt_container_dir d = {.rootfd = -1, .dirfd = -1};
	struct rt_state st;
	struct rt_cgroup cg;
	enum rt_status status;
	long long interval = 5000000000LL;
	int c, once = 0, rc = -1;

	while ((c = rt_getopt(argc, argv, "", opts)) != -1) {
		if (c == 's') {
			once = 1;
		} else if (c == 'i') {
			if (parse_duration(optarg, &interval) < 0)
				return rt_error_set(err, 0,
						    "events: --interval: invalid duration `%s` "
						    "(like 5s, 500ms, 1m)",
						    optarg);
		} else {
			return rt_error_set(err, 0, "events: unknown option `%s`",
					    argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return rt_error_set(err, 0, "events: expects exactly one container id");
	if (interval <= 0)
		return rt_error_set(err, 0, "duration interval must be greater than 0");
	const char *id = argv[optind];
	if (rt_cmd_cgroup_open(g, id, "events", &d, &st, &status, &cg, err) < 0)
		return -1;
	/* the stream may run for hours: it must not hold the lock that delete needs */
	rt_container_dir_close(&d);
	if (status == RT_STATUS_STOPPED)
		rt_error_set(err, 0, "container with id %s is not running", id);
	else if (once)
		rc = print_stats(cg.cg, id, err);
	else
		rc = stream(cg.cg, id, interval, err);
	rt_cgroup_close(&cg);
	rt_state_clear(&st);
	return rc;
}

const struct rt_command rt_cmd_events = {
    .name = "events",
    .summary = "print a container's resource statistics and OOM events as JSON",
    .usage =
	"usage: husk events [--stats] [--interval DURATION] ID\n"
	"Prints runc's event JSON, one object a line: {\"type\":\"stats\",\"id\":ID,\"data\":\n"
	"{cpu, memory, pids, blkio, hugetlb...}} every interval, and {\"type\":\"oom\",\"id\":ID}\n"
	"whenever the kernel OOM-kills a process of the container, until it stops.\n"
	"  --stats                print the statistics once and exit\n"
	"  --interval DURATION    time between statistics (Go syntax: 5s, 500ms; default 5s)\n",
    .run = run_events,
};
