#define _GNU_SOURCE
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "internal.h"
#include "v1.h"

/* Read a file of the cgroup; a missing file (controller not enabled) gives *ret = NULL. */
int cg_read_optional(int dirfd, const char *file, char **ret, struct rt_error *err)
{
	struct rt_error e2 = RT_ERROR_INIT;

	*ret = NULL;
	if (rt_read_file_at(dirfd, file, ret, NULL, &e2) == 0)
		return 0;
	if (e2.errnum == ENOENT) {
		rt_error_release(&e2);
		return 0;
	}
	rt_error_set(err, e2.errnum, "read %s", file);
	rt_error_release(&e2);
	return -1;
}

static uint64_t parse_value(const char *s)
{
	if (strncmp(s, "max", 3) == 0)
		return CG_STAT_MAX;
	return strtoull(s, NULL, 10);
}

/* The value of key in a flat keyed file ("key value\n" lines), 0 when absent. */
uint64_t cg_keyed(const char *buf, const char *key)
{
	size_t klen = strlen(key);

	for (const char *l = buf; l && *l;) {
		if (strncmp(l, key, klen) == 0 && l[klen] == ' ')
			return strtoull(l + klen + 1, NULL, 10);
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return 0;
}

int cg_parse_memory_stat(char *buf, struct cg_stats *s, struct rt_error *err)
{
	size_t lines = 0;

	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	s->memory_stat = calloc(lines + 1, sizeof(*s->memory_stat));
	if (s->memory_stat == NULL)
		return rt_error_set(err, ENOMEM, "memory.stat");
	char *save = NULL;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(l, ' ');
		if (sp == NULL)
			continue;
		*sp = '\0';
		struct cg_kv *kv = &s->memory_stat[s->n_memory_stat];
		kv->key = strdup(l);
		kv->value = strdup(sp + 1);
		if (!kv->key || !kv->value) {
			free(kv->key);
			free(kv->value);
			return rt_error_set(err, ENOMEM, "memory.stat");
		}
		s->n_memory_stat++;
	}
	return 0;
}

static int read_memory(int dirfd, struct cg_stats *s, struct rt_error *err)
{
	cleanup_free char *cur = NULL, *max = NULL, *swc = NULL, *swm = NULL, *ev = NULL,
			  *st = NULL, *peak = NULL;

	if (cg_read_optional(dirfd, "memory.current", &cur, err) < 0)
		return -1;
	if (cur == NULL)
		return 0;
	if (cg_read_optional(dirfd, "memory.max", &max, err) < 0 ||
	    cg_read_optional(dirfd, "memory.swap.current", &swc, err) < 0 ||
	    cg_read_optional(dirfd, "memory.swap.max", &swm, err) < 0 ||
	    cg_read_optional(dirfd, "memory.events", &ev, err) < 0 ||
	    cg_read_optional(dirfd, "memory.stat", &st, err) < 0 ||
	    cg_read_optional(dirfd, "memory.peak", &peak, err) < 0)
		return -1;
	s->memory_peak = peak ? parse_value(peak) : 0;
	s->has_memory = 1;
	s->memory_current = parse_value(cur);
	s->memory_max = max ? parse_value(max) : CG_STAT_MAX;
	s->memory_swap_current = swc ? parse_value(swc) : 0;
	s->memory_swap_max = swm ? parse_value(swm) : CG_STAT_MAX;
	if (ev) {
		s->memory_events_low = cg_keyed(ev, "low");
		s->memory_events_high = cg_keyed(ev, "high");
		s->memory_events_max = cg_keyed(ev, "max");
		s->memory_events_oom = cg_keyed(ev, "oom");
		s->memory_events_oom_kill = cg_keyed(ev, "oom_kill");
	}
	return st ? cg_parse_memory_stat(st, s, err) : 0;
}

/* io.stat lines: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" */
static int read_io(int dirfd, struct cg_stats *s, struct rt_error *err)
{
	cleanup_free char *buf = NULL;
	size_t lines = 0;

	if (cg_read_optional(dirfd, "io.stat", &buf, err) < 0)
		return -1;
	if (buf == NULL)
		return 0;
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	s->io = calloc(lines + 1, sizeof(*s->io));
	if (s->io == NULL)
		return rt_error_set(err, ENOMEM, "io.stat");
	char *save = NULL;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct cg_io_stat *e = &s->io[s->n_io];
		char *save2 = NULL, *tok = strtok_r(l, " ", &save2);
		if (tok == NULL || sscanf(tok, "%lu:%lu", &e->major, &e->minor) != 2)
			continue;
		while ((tok = strtok_r(NULL, " ", &save2))) {
			char *eq = strchr(tok, '=');
			if (eq == NULL)
				continue;
			*eq = '\0';
			uint64_t v = strtoull(eq + 1, NULL, 10);
			if (strcmp(tok, "rbytes") == 0)
				e->rbytes = v;
			else if (strcmp(tok, "wbytes") == 0)
				e->wbytes = v;
			else if (strcmp(tok, "rios") == 0)
				e->rios = v;
			else if (strcmp(tok, "wios") == 0)
				e->wios = v;
			else if (strcmp(tok, "dbytes") == 0)
				e->dbytes = v;
			else if (strcmp(tok, "dios") == 0)
				e->dios = v;
		}
		s->n_io++;
	}
	return 0;
}

int cg_hugetlb_scan(int dirfd, const char *where, const char *suffix, cg_hugetlb_read_fn fill,
		    struct cg_stats *s, struct rt_error *err)
{
	cleanup_dir DIR *d = NULL;
	size_t sl = strlen(suffix);

	if (cg_opendir_at(dirfd, where, &d, err) < 0)
		return -1;
	for (struct dirent *de; (de = readdir(d));) {
		const char *n = de->d_name;
		size_t len = strlen(n);
		/* hugetlb.2MB<suffix>, but not hugetlb.2MB.rsvd<suffix> (reservations, which runc
		 * does not report) */
		if (strncmp(n, "hugetlb.", 8) != 0 || len <= 8 + sl ||
		    strcmp(n + len - sl, suffix) != 0 || len - 8 - sl >= 16 ||
		    memchr(n + 8, '.', len - 8 - sl) != NULL)
			continue;
		struct cg_hugetlb_stat *nv =
		    reallocarray(s->hugetlb, s->n_hugetlb + 1, sizeof(*nv));
		if (nv == NULL)
			return rt_error_set(err, ENOMEM, "hugetlb stats");
		s->hugetlb = nv;
		struct cg_hugetlb_stat *h = &s->hugetlb[s->n_hugetlb++];
		memset(h, 0, sizeof(*h));
		memcpy(h->page_size, n + 8, len - 8 - sl);
		if (fill(dirfd, h, err) < 0)
			return -1;
	}
	return 0;
}

static int read_hugetlb_size(int dirfd, struct cg_hugetlb_stat *h, struct rt_error *err)
{
	cleanup_free char *cur = NULL, *max = NULL, *ev = NULL;
	char file[64];

	snprintf(file, sizeof(file), "hugetlb.%s.current", h->page_size);
	if (cg_read_optional(dirfd, file, &cur, err) < 0)
		return -1;
	snprintf(file, sizeof(file), "hugetlb.%s.max", h->page_size);
	if (cg_read_optional(dirfd, file, &max, err) < 0)
		return -1;
	snprintf(file, sizeof(file), "hugetlb.%s.events", h->page_size);
	if (cg_read_optional(dirfd, file, &ev, err) < 0)
		return -1;
	h->current = cur ? parse_value(cur) : 0;
	h->max = max ? parse_value(max) : CG_STAT_MAX;
	h->failcnt = ev ? cg_keyed(ev, "max") : 0;
	return 0;
}

/* hugetlb.<size>.current for every page size the cgroup has files for. */
static int read_hugetlb(int dirfd, struct cg_stats *s, struct rt_error *err)
{
	return cg_hugetlb_scan(dirfd, NULL, ".current", read_hugetlb_size, s, err);
}

int cg_read_stats_at(int dirfd, struct cg_stats *s, struct rt_error *err)
{
	cleanup_free char *cpu = NULL, *pcur = NULL, *pmax = NULL;

	memset(s, 0, sizeof(*s));
	if (cg_read_optional(dirfd, "cpu.stat", &cpu, err) < 0)
		goto fail;
	if (cpu) {
		/* cgroup v2 counts microseconds; runc's JSON carries nanoseconds */
		s->cpu_usage_ns = cg_keyed(cpu, "usage_usec") * 1000;
		s->cpu_user_ns = cg_keyed(cpu, "user_usec") * 1000;
		s->cpu_system_ns = cg_keyed(cpu, "system_usec") * 1000;
		if (strstr(cpu, "nr_periods ")) {
			s->has_cpu_throttling = 1;
			s->cpu_nr_periods = cg_keyed(cpu, "nr_periods");
			s->cpu_nr_throttled = cg_keyed(cpu, "nr_throttled");
			s->cpu_throttled_ns = cg_keyed(cpu, "throttled_usec") * 1000;
		}
	}
	if (read_memory(dirfd, s, err) < 0)
		goto fail;
	if (cg_read_optional(dirfd, "pids.current", &pcur, err) < 0 ||
	    cg_read_optional(dirfd, "pids.max", &pmax, err) < 0)
		goto fail;
	if (pcur) {
		s->has_pids = 1;
		s->pids_current = parse_value(pcur);
		s->pids_max = pmax ? parse_value(pmax) : CG_STAT_MAX;
	}
	if (read_io(dirfd, s, err) < 0 || read_hugetlb(dirfd, s, err) < 0)
		goto fail;
	return 0;
fail:
	cg_stats_clear(s);
	return -1;
}

int cg_read_stats(struct cg_cgroup *cg, struct cg_stats *ret, struct rt_error *err)
{
	if (cg->v1)
		return cg_v1_read_stats(cg, ret, err);
	if (cg_read_stats_at(cg->fd, ret, err) < 0)
		return rt_error_wrap(err, "cgroup `%s`: stats", cg->path);
	return 0;
}

void cg_stats_clear(struct cg_stats *s)
{
	for (size_t i = 0; i < s->n_memory_stat; i++) {
		free(s->memory_stat[i].key);
		free(s->memory_stat[i].value);
	}
	free(s->memory_stat);
	free(s->io);
	free(s->hugetlb);
	free(s->cpu_percpu_ns);
	free(s->cpuset_cpus);
	free(s->cpuset_mems);
	memset(s, 0, sizeof(*s));
}

int cg_oom_kill_count(struct cg_cgroup *cg, uint64_t *ret, struct rt_error *err)
{
	if (cg->v1)
		return cg_v1_oom_kill_count(cg, ret, err);
	cleanup_free char *ev = NULL;

	if (cg_read_optional(cg->fd, "memory.events", &ev, err) < 0)
		return rt_error_wrap(err, "cgroup `%s`", cg->path);
	*ret = ev ? cg_keyed(ev, "oom_kill") : 0;
	return 0;
}
