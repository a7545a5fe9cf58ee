#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "internal.h"
#include "v1.h"

/* A container's cgroup on a hybrid or legacy host: the same relative path in every mounted v1
 * hierarchy, and in the cgroup2 one (where there is one) to track its processes.  There is no
 * clone3 into a v1 cgroup: the process joins with cg_attach. */

#define WAIT_MS 10000

/* A new cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and a task cannot join
 * it until both are set: copy them from the parent, as runc does (cgroup.clone_children would
 * do the same for us, but only for directories made after it was set in the parent). */
static int cpuset_inherit(int parent, int child, const char *where, struct rt_error *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		cleanup_free char *mine = NULL, *theirs = NULL;
		if (rt_read_file_at(child, files[i], &mine, NULL, err) < 0 ||
		    rt_read_file_at(parent, files[i], &theirs, NULL, err) < 0)
			return rt_error_wrap(err, "cgroup `%s`", where);
		if (mine[strspn(mine, " \n")] != '\0')
			continue;
		theirs[strcspn(theirs, "\n")] = '\0';
		if (cg_write_at(child, files[i], theirs, err) < 0)
			return rt_error_wrap(err, "cgroup `%s`", where);
	}
	return 0;
}

/* mkdir -p path in one hierarchy; *ret_made is the length of the first prefix this call made
 * (0: none), for the undo; the leaf's fd in *ret_fd. */
static int make_dirs(struct cg_v1_dir *d, const char *path, size_t *ret_made, int *ret_fd,
		     struct rt_error *err)
{
	cleanup_free char *p = strdup(path);
	int parent = d->root_fd, cpuset = (d->controllers & CG_BIT(CG_CPUSET)) != 0;
	cleanup_close int owned = -1;

	*ret_made = 0;
	if (p == NULL)
		return rt_error_set(err, ENOMEM, "cgroup `%s`", path);
	for (char *c = p;;) {
		char *slash = strchr(c, '/');
		if (slash)
			*slash = '\0';
		int made = mkdirat(d->root_fd, p, 0755) == 0;
		if (!made && errno != EEXIST)
			return rt_error_set(err, errno, "mkdir cgroup `%s/%s`", d->mount, p);
		if (made && *ret_made == 0)
			*ret_made = strlen(p);
		int next = openat(d->root_fd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (next < 0)
			return rt_error_set(err, errno, "open cgroup `%s/%s`", d->mount, p);
		if (cpuset && cpuset_inherit(parent, next, p, err) < 0) {
			close(next);
			return -1;
		}
		if (slash == NULL) {
			*ret_fd = next;
			return 0;
		}
		*slash = '/';
		c = slash + 1;
		if (owned >= 0)
			close(owned);
		parent = owned = next;
	}
}

/* Undo make_dirs: rmdir from the leaf up to the first directory it made. */
static void remove_made(const struct cg_v1_dir *d, const char *path, size_t made)
{
	cleanup_free char *p = strdup(path);

	if (p == NULL || made == 0)
		return;
	for (;;) {
		unlinkat(d->root_fd, p, AT_REMOVEDIR);
		if (strlen(p) <= made)
			return;
		char *slash = strrchr(p, '/');
		if (slash == NULL)
			return;
		*slash = '\0';
	}
}

static int busy(int fd, int *ret, struct rt_error *err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (rt_read_file_at(fd, "cgroup.procs", &buf, &len, err) < 0)
		return -1;
	*ret = len > 0;
	return 0;
}

static struct cg_cgroup *cgroup_v1_new(struct cg_hierarchy *h, const char *path)
{
	struct cg_cgroup *cg = calloc(1, sizeof(*cg));

	if (cg == NULL)
		return NULL;
	cg->fd = -1;
	cg->root_fd = h->fd;
	cg->layout = h->layout;
	cg->path = strdup(path);
	cg->v1 = calloc(1, sizeof(*cg->v1));
	if (cg->path == NULL || cg->v1 == NULL) {
		cg_cgroup_free(cg);
		return NULL;
	}
	return cg;
}

/* The directories of cg in every hierarchy of h (made when made != NULL). */
static int v1_dirs(struct cg_hierarchy *h, struct cg_cgroup *cg, size_t *made, int flags,
		   struct rt_error *err)
{
	for (size_t i = 0; i < h->v1->n; i++) {
		struct cg_v1_dir *d = &cg->v1->d[cg->v1->n];
		*d = h->v1->d[i];
		d->fd = -1;
		d->mount = strdup(h->v1->d[i].mount);
		if (d->mount == NULL)
			return rt_error_set(err, ENOMEM, "cgroup `%s`", cg->path);
		cg->v1->n++;
		if (made == NULL) {
			d->fd = openat(d->root_fd, cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			/* a hierarchy mounted after the container was made has nothing of it */
			if (d->fd < 0 && errno == ENOENT) {
				free(d->mount);
				cg->v1->n--;
				continue;
			}
			if (d->fd < 0)
				return rt_error_set(err, errno, "open cgroup `%s/%s`", d->mount,
						    cg->path);
			continue;
		}
		if (make_dirs(d, cg->path, &made[i], &d->fd, err) < 0)
			return -1;
		int b = 0;
		/* nothing made, so the leaf existed: reuse it only when empty, unless told it is
		 * shared (once a level is made, every one below it is new) */
		if (made[i] == 0 && !(flags & CG_CREATE_EXISTING_OK)) {
			if (busy(d->fd, &b, err) < 0)
				return -1;
			if (b)
				return rt_error_set(err, EEXIST,
						    "cgroup `%s/%s` exists and has processes",
						    d->mount, cg->path);
		}
		cg->controllers |= d->controllers;
	}
	return 0;
}

int cg_v1_create(struct cg_hierarchy *h, const char *path, const struct cg_limits *limits,
		 int flags, struct cg_cgroup **ret, struct rt_error *err)
{
	size_t made[CG_V1_MAX] = {0};
	struct cg_cgroup *cg = NULL, *tracking = NULL;
	unsigned skipped = 0;
	int devices = !(flags & CG_NO_DEVICE_PROGRAM);

	/* refuse before creating anything */
	if (cg_v1_check(h->controllers, path, h->layout, limits, flags, &skipped, err) < 0)
		return -1;
	if (devices && !(h->controllers & CG_BIT(CG_DEVICES)))
		return rt_error_set(
		    err, EOPNOTSUPP,
		    "cgroup `%s`: the devices controller is not mounted (layout %s): "
		    "device access cannot be restricted",
		    path, cg_layout_name(h->layout));
	cg = cgroup_v1_new(h, path);
	if (cg == NULL)
		return rt_error_set(err, ENOMEM, "cgroup `%s`", path);
	if (v1_dirs(h, cg, made, flags, err) < 0)
		goto fail;
	if (h->fd >= 0) {
		/* the cgroup2 one only tracks: no controller, no device program */
		struct cg_hierarchy u = *h;
		u.v1 = NULL;
		u.controllers = 0;
		if (cg_create(&u, path, NULL,
			      (flags & CG_CREATE_EXISTING_OK) | CG_ENABLE_NEEDED_ONLY |
				  CG_NO_DEVICE_PROGRAM,
			      &tracking, err) < 0)
			goto fail;
		cg->fd = TAKE_FD(tracking->fd);
	}
	if (cg_v1_apply(cg->v1, path, h->layout, limits, flags, &skipped, err) < 0)
		goto fail;
	if (devices &&
	    cg_v1_devices_apply(cg_v1_find(cg->v1, CG_DEVICES)->fd, limits ? limits->devices : NULL,
				limits ? limits->n_devices : 0, 1, err) < 0) {
		rt_error_wrap(err, "cgroup `%s`", path);
		goto fail;
	}
	cg_cgroup_free(tracking);
	cg->skipped = skipped;
	*ret = cg;
	return 0;
fail:
	if (tracking) {
		unlinkat(h->fd, path, AT_REMOVEDIR);
		cg_cgroup_free(tracking);
	}
	for (size_t i = 0; i < cg->v1->n; i++)
		remove_made(&cg->v1->d[i], path, made[i]);
	cg_cgroup_free(cg);
	return -1;
}

int cg_v1_open(struct cg_hierarchy *h, const char *path, struct cg_cgroup **ret,
	       struct rt_error *err)
{
	struct cg_cgroup *cg = cgroup_v1_new(h, path);

	if (cg == NULL)
		return rt_error_set(err, ENOMEM, "cgroup `%s`", path);
	if (v1_dirs(h, cg, NULL, 0, err) < 0) {
		cg_cgroup_free(cg);
		return -1;
	}
	if (cg->v1->n == 0) {
		/* none in v1: a container made by a husk that used the cgroup2 hierarchy alone on
		 * this hybrid host; it is driven as such */
		struct cg_hierarchy u = *h;
		cg_cgroup_free(cg);
		if (h->fd < 0)
			return rt_error_set(err, ENOENT, "cgroup `%s`: in no hierarchy", path);
		u.v1 = NULL;
		return cg_open(&u, path, ret, err);
	}
	for (size_t i = 0; i < cg->v1->n; i++)
		cg->controllers |= cg->v1->d[i].controllers;
	/* the tracking cgroup may be missing (made by an older husk): not needed to work */
	if (h->fd >= 0)
		cg->fd = openat(h->fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*ret = cg;
	return 0;
}

int cg_v1_update(struct cg_cgroup *cg, const struct cg_limits *l, int flags, struct rt_error *err)
{
	const struct cg_v1_dir *dev = cg_v1_find(cg->v1, CG_DEVICES);

	if (cg_v1_apply(cg->v1, cg->path, cg->layout, l, flags, &cg->skipped, err) < 0)
		return -1;
	if (l && l->has_devices) {
		if (dev == NULL)
			return rt_error_set(err, EOPNOTSUPP,
					    "cgroup `%s`: the devices controller is not mounted",
					    cg->path);
		if (cg_v1_devices_apply(dev->fd, l->devices, l->n_devices, 1, err) < 0)
			return rt_error_wrap(err, "cgroup `%s`", cg->path);
	}
	return 0;
}

/* Is the caller in cgroup2's `path` already?  Its "0::" line of /proc/self/cgroup, read into
 * a buffer on the stack (cg_attach allocates nothing). */
static int self_in_cgroup2(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *line = strncmp(buf, "0::", 3) == 0 ? buf : strstr(buf, "\n0::");
	if (line == NULL)
		return 0;
	line += line == buf ? 3 : 4;
	size_t len = strcspn(line, "\n");
	return len == strlen(path) + 1 && line[0] == '/' && strncmp(line + 1, path, len - 1) == 0;
}

int cg_attach(const struct cg_cgroup *cg, pid_t pid, struct rt_error *err)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	/* see cgroup.h: the caller alone moves through `tasks`, without the global lock */
	const char *v1_file = pid == 0 ? "tasks" : "cgroup.procs";

	/* the cgroup2 one too: a process born elsewhere (clone(2) fallback) or a caller that
	 * joins itself */
	if (cg->fd >= 0 && !(pid == 0 && self_in_cgroup2(cg->path)) &&
	    rt_write_file_at(cg->fd, "cgroup.procs", buf, (size_t)n, 0, err) < 0)
		return rt_error_wrap(err, "join cgroup `%s`", cg->path);
	for (size_t i = 0; cg->v1 && i < cg->v1->n; i++)
		if (rt_write_file_at(cg->v1->d[i].fd, v1_file, buf, (size_t)n, 0, err) < 0)
			return rt_error_wrap(err, "join cgroup `%s/%s`", cg->v1->d[i].mount,
					     cg->path);
	return 0;
}

int cg_cgroup_needs_attach(const struct cg_cgroup *cg)
{
	return cg->v1 != NULL && cg->v1->n > 0;
}

/* A view of one v1 directory as a cgroup handle, for the v2 code that only reads
 * cgroup.procs and walks subdirectories (cg_pids, cg_remove). */
static struct cg_cgroup view(const struct cg_cgroup *cg, const struct cg_v1_dir *d)
{
	return (struct cg_cgroup){.fd = d->fd, .root_fd = d->root_fd, .path = cg->path};
}

/* The hierarchy to list processes from: the freezer's (what kill freezes), else any. */
static const struct cg_v1_dir *procs_dir(const struct cg_cgroup *cg)
{
	const struct cg_v1_dir *d = cg_v1_find(cg->v1, CG_FREEZER);

	return d ? d : cg->v1->n ? &cg->v1->d[0] : NULL;
}

int cg_v1_pids(struct cg_cgroup *cg, int recursive, pid_t **ret, size_t *ret_n,
	       struct rt_error *err)
{
	const struct cg_v1_dir *d = procs_dir(cg);

	if (d == NULL)
		return rt_error_set(err, ENOENT, "cgroup `%s`: no hierarchy", cg->path);
	struct cg_cgroup v = view(cg, d);
	return cg_pids(&v, recursive, ret, ret_n, err);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int freezer_state(int fd, char *buf, size_t len, struct rt_error *err)
{
	cleanup_close int sfd = openat(fd, "freezer.state", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (sfd < 0 || (n = read(sfd, buf, len - 1)) < 0)
		return rt_error_set(err, errno, "read freezer.state");
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int cg_v1_freeze(struct cg_cgroup *cg, int frozen, struct rt_error *err)
{
	const struct cg_v1_dir *d = cg_v1_find(cg->v1, CG_FREEZER);
	const char *want = frozen ? "FROZEN" : "THAWED";
	long long deadline = now_ms() + WAIT_MS;
	char state[32];

	if (d == NULL) {
		/* hybrid without a v1 freezer: the cgroup2 one has cgroup.freeze */
		if (cg->fd >= 0) {
			struct cg_cgroup v = {
			    .fd = cg->fd, .root_fd = cg->root_fd, .path = cg->path};
			return cg_freeze(&v, frozen, err);
		}
		return rt_error_set(err, EOPNOTSUPP,
				    "cgroup `%s`: pause needs the freezer controller, which this "
				    "host's cgroup v1 hierarchies do not provide (layout %s)",
				    cg->path, cg_layout_name(cg->layout));
	}
	/* the kernel goes through FREEZING and may stay there while a task is busy in the
	 * kernel: write again until it says FROZEN (runc does the same), bounded */
	for (int i = 0;; i++) {
		if (i % 10 == 0 && cg_write_at(d->fd, "freezer.state", want, err) < 0)
			break;
		if (freezer_state(d->fd, state, sizeof(state), err) < 0)
			break;
		if (strcmp(state, want) == 0)
			return 0;
		if (now_ms() > deadline) {
			rt_error_set(err, ETIMEDOUT, "freezer.state stays %s", state);
			break;
		}
		usleep(1000);
	}
	if (frozen)
		cg_write_at(d->fd, "freezer.state", "THAWED", NULL);
	return rt_error_wrap(err, "cgroup `%s/%s`: %s", d->mount, cg->path,
			     frozen ? "freeze" : "thaw");
}

int cg_v1_is_frozen(struct cg_cgroup *cg, int *ret, struct rt_error *err)
{
	const struct cg_v1_dir *d = cg_v1_find(cg->v1, CG_FREEZER);
	char state[32];

	if (d == NULL) {
		struct cg_cgroup v = {.fd = cg->fd, .root_fd = cg->root_fd, .path = cg->path};
		*ret = 0;
		return cg->fd >= 0 ? cg_is_frozen(&v, ret, err) : 0;
	}
	if (freezer_state(d->fd, state, sizeof(state), err) < 0)
		return rt_error_wrap(err, "cgroup `%s`", cg->path);
	*ret = strcmp(state, "FROZEN") == 0;
	return 0;
}

int cg_v1_signal(struct cg_cgroup *cg, int sig, struct rt_error *err)
{
	struct rt_error e2 = RT_ERROR_INIT;

	const struct cg_v1_dir *d = procs_dir(cg);
	struct cg_cgroup v;

	if (d == NULL)
		return rt_error_set(err, ENOENT, "cgroup `%s`: no hierarchy", cg->path);
	/* the v2 code signals what a directory's cgroup.procs lists, recursively */
	v = view(cg, d);
	if (sig != SIGKILL)
		return cg_signal(&v, sig, err);
	/* the cgroup2 tracking cgroup has every process and cgroup.kill (5.14+) */
	if (cg->fd >= 0 && cg_write_at(cg->fd, "cgroup.kill", "1", &e2) == 0)
		return 0;
	rt_error_release(&e2);
	/* freeze so that nothing forks behind our back, kill each, thaw so they die */
	int frozen = cg_v1_find(cg->v1, CG_FREEZER) && cg_v1_freeze(cg, 1, &e2) == 0;
	rt_error_release(&e2);
	int r = cg_signal(&v, SIGKILL, err);
	if (frozen)
		cg_v1_freeze(cg, 0, NULL);
	return r;
}

/* Until no process is left in the cgroup or below: v1 has no populated event to wait on, and
 * a killed task keeps its cgroup busy until it has exited. */
static int wait_empty(struct cg_cgroup *cg, struct rt_error *err)
{
	long long deadline = now_ms() + WAIT_MS;

	for (;;) {
		cleanup_free pid_t *pids = NULL;
		size_t n = 0;
		if (cg_v1_pids(cg, 1, &pids, &n, err) < 0)
			return -1;
		if (n == 0)
			return 0;
		if (now_ms() > deadline)
			return rt_error_set(err, EBUSY, "cgroup `%s`: %zu processes do not exit",
					    cg->path, n);
		usleep(5000);
	}
}

int cg_v1_remove(struct cg_cgroup *cg, struct rt_error *err)
{
	int killed = 0;

	for (size_t i = 0; i < cg->v1->n; i++) {
		const struct cg_v1_dir *d = &cg->v1->d[i];
		if (d->fd < 0 || unlinkat(d->root_fd, cg->path, AT_REMOVEDIR) == 0 ||
		    errno == ENOENT)
			continue;
		if (!killed && (cg_v1_signal(cg, SIGKILL, err) < 0 || wait_empty(cg, err) < 0))
			return -1;
		killed = 1;
		/* waits for the tasks to go, removes sub-cgroups, retries the rmdir */
		struct cg_cgroup v = view(cg, d);
		if (cg_remove(&v, err) < 0)
			return rt_error_wrap(err, "%s", d->mount);
	}
	if (cg->fd >= 0) {
		struct cg_cgroup v = {.fd = cg->fd, .root_fd = cg->root_fd, .path = cg->path};
		return cg_remove(&v, err);
	}
	return 0;
}
