#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "internal.h"
#include "v1.h"

/* What `events` waits on.  v2: POLLPRI on cgroup.events (populated) and memory.events
 * (oom_kill).  v1: an eventfd the kernel signals on every OOM of the memory cgroup and when the
 * cgroup goes (cgroup.event_control with memory.oom_control), plus the cgroup2 tracking
 * cgroup's cgroup.events on a hybrid host. */
struct cg_watch {
	struct cg_cgroup *cg; /* not owned */
	int events_fd;	      /* cgroup.events of the cgroup2 cgroup, or -1 */
	int memory_fd;	      /* v2 memory.events, v1 memory.oom_control, or -1 */
	int oom_efd;	      /* v1 eventfd, or -1 */
};

void cg_watch_free(struct cg_watch *w)
{
	if (w == NULL)
		return;
	if (w->events_fd >= 0)
		close(w->events_fd);
	if (w->memory_fd >= 0)
		close(w->memory_fd);
	if (w->oom_efd >= 0)
		close(w->oom_efd);
	free(w);
}

static int v1_oom_register(struct cg_watch *w, struct rt_error *err)
{
	const struct cg_v1_dir *mem = cg_v1_find(w->cg->v1, CG_MEMORY);
	char buf[64];

	if (mem == NULL)
		return 0;
	w->memory_fd = openat(mem->fd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
	if (w->memory_fd < 0)
		return rt_error_set(err, errno, "open memory.oom_control");
	w->oom_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->oom_efd < 0)
		return rt_error_set(err, errno, "eventfd");
	snprintf(buf, sizeof(buf), "%d %d", w->oom_efd, w->memory_fd);
	return cg_write_at(mem->fd, "cgroup.event_control", buf, err);
}

int cg_watch_open(struct cg_cgroup *cg, struct cg_watch **ret, struct rt_error *err)
{
	struct cg_watch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return rt_error_set(err, ENOMEM, "cgroup `%s`", cg->path);
	w->cg = cg;
	w->events_fd = w->memory_fd = w->oom_efd = -1;
	if (cg->fd >= 0) {
		w->events_fd = openat(cg->fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
		if (w->events_fd < 0) {
			rt_error_set(err, errno, "open cgroup.events");
			goto fail;
		}
	}
	if (cg->v1 && v1_oom_register(w, err) < 0)
		goto fail;
	if (cg->v1 == NULL)
		w->memory_fd = openat(cg->fd, "memory.events", O_RDONLY | O_CLOEXEC);
	*ret = w;
	return 0;
fail:
	cg_watch_free(w);
	return rt_error_wrap(err, "cgroup `%s`", cg->path);
}

int cg_watch_pollfds(struct cg_watch *w, struct pollfd *p)
{
	int n = 0;

	if (w->events_fd >= 0)
		p[n++] = (struct pollfd){.fd = w->events_fd, .events = POLLPRI};
	if (w->oom_efd >= 0)
		p[n++] = (struct pollfd){.fd = w->oom_efd, .events = POLLIN};
	else if (w->memory_fd >= 0)
		p[n++] = (struct pollfd){.fd = w->memory_fd, .events = POLLPRI};
	return n;
}

/* Read fd from the start (a pread is also what re-arms POLLPRI on that open file: kernfs
 * compares the file's last seen event count). */
static int pread_text(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

void cg_watch_read(struct cg_watch *w, int *ret_populated, uint64_t *ret_oom_kills)
{
	char buf[512];
	uint64_t drained;

	*ret_populated = 0;
	*ret_oom_kills = 0;
	if (w->oom_efd >= 0 && read(w->oom_efd, &drained, sizeof(drained)) < 0 && errno != EAGAIN)
		return;
	if (w->memory_fd >= 0) {
		if (pread_text(w->memory_fd, buf, sizeof(buf)) < 0)
			return; /* the cgroup is gone */
		*ret_oom_kills = cg_keyed(buf, "oom_kill");
	}
	if (w->events_fd >= 0) {
		*ret_populated = pread_text(w->events_fd, buf, sizeof(buf)) == 0 &&
				 strstr(buf, "populated 1") != NULL;
		return;
	}
	/* legacy: no populated flag in v1, so look for a process */
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	struct rt_error e2 = RT_ERROR_INIT;
	if (cg_pids(w->cg, 1, &pids, &n, &e2) < 0)
		rt_error_release(&e2);
	*ret_populated = n > 0;
}
