/* The container's statistics in runc's events JSON, for `events`. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/cleanup.h"
#include "../../common/cpulist.h"
#include "cgroup_rt.h"

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

/* "0-2,5" as [0,1,2,5]; the kernel's list ends in "\n", where the parser stops */
static void write_cpulist(struct jw *w, const char *key, const char *list)
{
	struct rt_cpulist it = RT_CPULIST(list);
	unsigned long a, b;
	int first = 1;

	if (list == NULL || list[strspn(list, " \n")] == '\0')
		return;
	jw_key(w, key);
	fputc('[', w->f);
	while (rt_cpulist_next(&it, &a, &b) > 0)
		for (unsigned long n = a; n <= b && n <= 65535; n++, first = 0)
			fprintf(w->f, "%s%lu", first ? "" : ",", n);
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

int rt_cgroup_stats_json(struct cg_cgroup *cg, const char *id, char **ret_json,
			 struct rt_error *err)
{
	struct cg_stats s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (cg_read_stats(cg, &s, err) < 0)
		return -1;
	f = open_memstream(&buf, &len);
	if (f != NULL)
		write_stats(f, id, &s);
	cg_stats_clear(&s);
	if (f == NULL || fclose(f) != 0) {
		free(buf);
		return rt_error_set(err, ENOMEM, "stats of `%s`", id);
	}
	*ret_json = buf;
	return 0;
}
