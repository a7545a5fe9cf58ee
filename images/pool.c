#define _GNU_SOURCE
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "../common/cleanup.h"

struct pool {
	struct img_store *s;
	struct img_layer_job *jobs;
	size_t *order; /* job indexes, biggest blob first */
	size_t n;
	atomic_size_t next; /* position in order of the next job to take */
	atomic_int failed;  /* a job failed: take no more, abandon the running ones */
};

size_t img_pool_workers(size_t n)
{
	cpu_set_t set;
	long cpus = -1;

	/* the affinity mask, not the machine: a container or taskset may give us fewer */
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		cpus = CPU_COUNT(&set);
	if (cpus < 1)
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1;
	return n < (size_t)cpus ? (n ? n : 1) : (size_t)cpus;
}

static void *worker(void *opaque)
{
	struct pool *p = opaque;

	while (!atomic_load(&p->failed)) {
		size_t i = atomic_fetch_add(&p->next, 1);
		if (i >= p->n)
			break;
		struct img_layer_job *j = &p->jobs[p->order[i]];
		if (img_layer_ensure(p->s, &j->src, j->diff_id, &j->unpacked, &j->done_now,
				     &j->err) < 0)
			atomic_store(&p->failed, 1);
	}
	return NULL;
}

static int cmp_size_desc(const void *a, const void *b, void *opaque)
{
	const struct img_layer_job *jobs = opaque;
	int64_t x = jobs[*(const size_t *)a].src.size;
	int64_t y = jobs[*(const size_t *)b].src.size;
	/* equal sizes keep image order, so a run is repeatable */
	if (x != y)
		return x < y ? 1 : -1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Biggest first: with a few layers of very different sizes (the usual image), starting the big
 * one last would leave one core working alone on it at the end. */
static void order_jobs(struct pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		p->order[i] = i;
	qsort_r(p->order, p->n, sizeof(*p->order), cmp_size_desc, p->jobs);
}

int img_layers_ensure(struct img_store *s, struct img_layer_job *jobs, size_t n,
		      struct rt_error *err)
{
	cleanup_free size_t *order = calloc(n + 1, sizeof(*order));
	cleanup_free pthread_t *threads = NULL;
	struct pool p = {.s = s, .jobs = jobs, .order = order, .n = n};
	size_t workers = img_pool_workers(n), started = 0;

	if (order == NULL)
		return rt_error_set(err, ENOMEM, "layer jobs");
	for (size_t i = 0; i < n; i++)
		jobs[i].src.cancel = &p.failed;
	order_jobs(&p);
	/* the calling thread is a worker too: one layer, or one CPU, starts no thread at all */
	if (workers > 1)
		threads = calloc(workers - 1, sizeof(*threads));
	for (size_t i = 0; threads && i < workers - 1; i++) {
		/* fewer threads than wanted (EAGAIN) only makes the import slower */
		if (pthread_create(&threads[i], NULL, worker, &p) != 0)
			break;
		started++;
	}
	worker(&p);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);

	if (!atomic_load(&p.failed))
		return 0;
	/* one error: the first failing layer in image order.  Layers abandoned because another
	 * failed say ECANCELED and are reported only when nothing else failed. */
	struct img_layer_job *first = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!rt_error_is_set(&jobs[i].err))
			continue;
		if (first == NULL ||
		    (first->err.errnum == ECANCELED && jobs[i].err.errnum != ECANCELED))
			first = &jobs[i];
	}
	if (first == NULL)
		return rt_error_set(err, EIO, "layers: a worker failed without an error");
	*err = first->err;
	first->err = (struct rt_error)RT_ERROR_INIT;
	for (size_t i = 0; i < n; i++)
		rt_error_release(&jobs[i].err);
	return -1;
}
