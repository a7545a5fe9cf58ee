#define _GNU_SOURCE
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

/* How long freeze/thaw and removal wait for the kernel: generous, because a frozen or dying
 * task on a loaded host (or a TCG VM) can take seconds to reach the state. */
#define WAIT_MS 10000

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write "+a +b ..." for the controllers in mask to dirfd's cgroup.subtree_control.  One write
 * for all (one command for the kernel); when that fails, one by one, so an unneeded controller
 * that cannot be enabled here (a threaded subtree, a cgroup with processes) is just left out.
 * Returns the mask that is enabled. */
static int enable_controllers(int dirfd, const char *where, unsigned mask, unsigned need,
			      unsigned *ret_enabled, struct rt_error *err)
{
	char buf[128] = "";
	size_t len = 0;
	cleanup_close int fd = -1;

	*ret_enabled = 0;
	if (mask == 0)
		return 0;
	for (int c = 0; c < CG_N_CONTROLLERS; c++)
		if (mask & CG_BIT(c))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s+%s",
						len ? " " : "", cg_controller_name(c));
	fd = openat(dirfd, "cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_error_set(err, errno, "open %s/cgroup.subtree_control", where);
	if (rt_write_all(fd, buf, len) == 0) {
		*ret_enabled = mask;
		return 0;
	}
	for (int c = 0; c < CG_N_CONTROLLERS; c++) {
		if (!(mask & CG_BIT(c)))
			continue;
		snprintf(buf, sizeof(buf), "+%s", cg_controller_name(c));
		if (rt_write_all(fd, buf, strlen(buf)) == 0)
			*ret_enabled |= CG_BIT(c);
		else if (need & CG_BIT(c))
			return rt_error_set(err, errno,
					    "enable the %s controller in %s/cgroup.subtree_control",
					    cg_controller_name(c), where);
	}
	return 0;
}

static int has_processes(int dirfd, int *ret, struct rt_error *err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (rt_read_file_at(dirfd, "cgroup.procs", &buf, &len, err) < 0)
		return -1;
	*ret = len > 0;
	return 0;
}

static struct cg_cgroup *cgroup_new(int fd, int root_fd, const char *path)
{
	struct cg_cgroup *cg = calloc(1, sizeof(*cg));

	if (cg == NULL || (cg->path = strdup(path)) == NULL) {
		free(cg);
		return NULL;
	}
	cg->fd = fd;
	cg->root_fd = root_fd;
	return cg;
}

/* Undo of the mkdirs of cg_create: the created directories, deepest first. */
static void remove_created(int root_fd, char *path, size_t *cuts, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		char saved = path[cuts[i]];
		path[cuts[i]] = '\0';
		unlinkat(root_fd, path, AT_REMOVEDIR);
		path[cuts[i]] = saved;
	}
}

/* mkdir -p p below the root, enabling the controllers in want in each ancestor on the way
 * down.  Records in created[] the length of every prefix it made (for the undo), narrows
 * *enabled to what the leaf's parent grants, and returns the leaf's dirfd in *ret_fd. */
static int make_path(struct cg_hierarchy *h, char *p, unsigned want, unsigned need,
		     unsigned *enabled, size_t *created, size_t *n_created, int *ret_fd,
		     struct rt_error *err)
{
	cleanup_close int parent_owned = -1;
	int parent = h->fd;

	for (char *c = p;;) {
		char *slash = strchr(c, '/');
		unsigned got = 0;
		if (enable_controllers(parent, parent == h->fd ? h->path : p, want & *enabled, need,
				       &got, err) < 0)
			return -1;
		*enabled &= got;
		if (slash)
			*slash = '\0';
		if (mkdirat(h->fd, p, 0755) == 0)
			created[(*n_created)++] = strlen(p);
		else if (errno != EEXIST)
			return rt_error_set(err, errno, "mkdir cgroup `%s/%s`", h->path, p);
		int next = openat(h->fd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (next < 0)
			return rt_error_set(err, errno, "open cgroup `%s/%s`", h->path, p);
		if (slash == NULL) {
			*ret_fd = next;
			return 0;
		}
		*slash = '/';
		c = slash + 1;
		if (parent_owned >= 0)
			close(parent_owned);
		parent = parent_owned = next;
	}
}

/* A cpuset naming CPUs or memory nodes the host does not have is bad input, refused before
 * anything is made, whether or not the cpuset controller is available (the kernel would only
 * refuse it half-way through a create, with a bare EINVAL). */
static int check_cpusets(const struct cg_limits *l, struct rt_error *err)
{
	static const struct {
		const char *file, *field, *what, *online;
	} sets[] = {
	    {"cpuset.cpus", "linux.resources.cpu.cpus", "CPU", "/sys/devices/system/cpu/online"},
	    {"cpuset.mems", "linux.resources.cpu.mems", "memory node",
	     "/sys/devices/system/node/online"},
	};

	for (size_t i = 0; l && i < ARRAY_SIZE(sets); i++) {
		const char *list = i == 0 ? l->cpuset_cpus : l->cpuset_mems;
		cleanup_free char *online = NULL;
		struct rt_error e2 = RT_ERROR_INIT;
		if (list == NULL)
			continue;
		if (rt_read_file_at(AT_FDCWD, sets[i].online, &online, NULL, &e2) < 0) {
			/* no NUMA support: node 0 only; anything else: let the kernel judge */
			rt_error_release(&e2);
			if (i == 0)
				continue;
			online = strdup("0");
			if (online == NULL)
				return rt_error_set(err, ENOMEM, "%s", sets[i].file);
		}
		online[strcspn(online, "\n")] = '\0';
		long bad = cg_cpulist_first_outside(list, online);
		if (bad >= 0) {
			rt_error_set(
			    err, 0, "%s `%s` (%s): %s %ld does not exist on this host (online: %s)",
			    sets[i].field, list, sets[i].file, sets[i].what, bad, online);
			if (err)
				err->errnum = EINVAL;
			return -1;
		}
	}
	return 0;
}

int cg_create(struct cg_hierarchy *h, const char *path, const struct cg_limits *limits, int flags,
	      struct cg_cgroup **ret, struct rt_error *err)
{
	unsigned need = cg_limits_controllers(limits), skipped = need & ~h->controllers;
	unsigned want = (flags & CG_ENABLE_NEEDED_ONLY) ? need & h->controllers : h->controllers;
	unsigned enabled = h->controllers;
	cleanup_free char *p = strdup(path);
	cleanup_free size_t *created = NULL;
	cleanup_close int fd = -1;
	size_t n_created = 0;
	struct cg_cgroup *cg;
	int busy = 0;

	if (p == NULL || (created = calloc(strlen(path) + 1, sizeof(*created))) == NULL)
		return rt_error_set(err, ENOMEM, "cgroup `%s`", path);
	if (check_cpusets(limits, err) < 0)
		return rt_error_wrap(err, "cgroup `%s`", path);
	if (h->v1)
		return cg_v1_create(h, path, limits, flags, ret, err);
	/* refuse before creating anything (cg_apply_at checks availability before writing) */
	if ((skipped && !(flags & CG_SKIP_UNAVAILABLE)) ||
	    (limits && (limits->has_cpu_rt_runtime || limits->has_cpu_rt_period)))
		return cg_apply_at(-1, path, limits, h->controllers, flags, NULL, err);
	need &= h->controllers;

	if (make_path(h, p, want, need, &enabled, created, &n_created, &fd, err) < 0)
		goto fail;
	/* the leaf existed: reuse it only when empty, unless told it is shared */
	if ((n_created == 0 || created[n_created - 1] != strlen(p)) &&
	    !(flags & CG_CREATE_EXISTING_OK)) {
		if (has_processes(fd, &busy, err) < 0)
			goto fail;
		if (busy) {
			rt_error_set(err, EEXIST, "cgroup `%s/%s` exists and has processes",
				     h->path, p);
			goto fail;
		}
	}
	if (cg_apply_at(fd, path, limits, enabled, flags, &skipped, err) < 0)
		goto fail;
	if (!(flags & CG_NO_DEVICE_PROGRAM) &&
	    cg_devices_apply(fd, limits ? limits->devices : NULL, limits ? limits->n_devices : 0, 1,
			     0, err) < 0) {
		rt_error_wrap(err, "cgroup `%s`", path);
		goto fail;
	}
	cg = cgroup_new(fd, h->fd, path);
	if (cg == NULL) {
		rt_error_set(err, ENOMEM, "cgroup `%s`", path);
		goto fail;
	}
	TAKE_FD(fd);
	cg->controllers = enabled;
	cg->skipped = skipped;
	*ret = cg;
	return 0;
fail:
	remove_created(h->fd, p, created, n_created);
	return -1;
}

int cg_open(struct cg_hierarchy *h, const char *path, struct cg_cgroup **ret, struct rt_error *err)
{
	if (h->v1)
		return cg_v1_open(h, path, ret, err);
	cleanup_close int fd = openat(h->fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *controllers = NULL;
	struct cg_cgroup *cg;

	if (fd < 0)
		return rt_error_set(err, errno, "open cgroup `%s/%s`", h->path, path);
	if (rt_read_file_at(fd, "cgroup.controllers", &controllers, NULL, err) < 0)
		return rt_error_wrap(err, "cgroup `%s/%s`", h->path, path);
	cg = cgroup_new(fd, h->fd, path);
	if (cg == NULL)
		return rt_error_set(err, ENOMEM, "cgroup `%s`", path);
	TAKE_FD(fd);
	cg->controllers = cg_controllers_parse(controllers);
	*ret = cg;
	return 0;
}

void cg_cgroup_free(struct cg_cgroup *cg)
{
	if (cg == NULL)
		return;
	if (cg->fd >= 0)
		close(cg->fd);
	free(cg->path);
	cg_v1_free(cg->v1, 0);
	free(cg);
}

int cg_update(struct cg_cgroup *cg, const struct cg_limits *l, int flags, struct rt_error *err)
{
	if (check_cpusets(l, err) < 0)
		return rt_error_wrap(err, "cgroup `%s`", cg->path);
	if (cg->v1)
		return cg_v1_update(cg, l, flags, err);
	if (cg_apply_at(cg->fd, cg->path, l, cg->controllers, flags, &cg->skipped, err) < 0)
		return -1;
	if (l && l->has_devices &&
	    cg_devices_apply(cg->fd, l->devices, l->n_devices, 1, 1, err) < 0)
		return rt_error_wrap(err, "cgroup `%s`", cg->path);
	return 0;
}

/* The value of key in cgroup.events ("populated", "frozen"). */
static int events_value(int evfd, const char *key, int *ret, struct rt_error *err)
{
	char buf[256];
	ssize_t n = pread(evfd, buf, sizeof(buf) - 1, 0);
	size_t klen = strlen(key);

	if (n < 0)
		return rt_error_set(err, errno, "read cgroup.events");
	buf[n] = '\0';
	for (char *line = buf; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			*ret = atoi(line + klen + 1);
			return 0;
		}
	return rt_error_set(err, ENOENT, "cgroup.events has no `%s`", key);
}

/* Wait until cgroup.events shows key == want.  The kernel wakes pollers of cgroup.events
 * (POLLPRI) when it changes; the short poll timeout is a safety net for missed wakeups. */
static int wait_events(int cgfd, const char *key, int want, int timeout_ms, struct rt_error *err)
{
	cleanup_close int evfd = openat(cgfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	long long deadline = now_ms() + timeout_ms;

	if (evfd < 0)
		return rt_error_set(err, errno, "open cgroup.events");
	for (;;) {
		int v = -1;
		if (events_value(evfd, key, &v, err) < 0)
			return -1;
		if (v == want)
			return 0;
		long long left = deadline - now_ms();
		if (left <= 0)
			return rt_error_set(err, ETIMEDOUT, "cgroup.events: `%s` did not become %d",
					    key, want);
		struct pollfd pfd = {.fd = evfd, .events = POLLPRI};
		poll(&pfd, 1, left < 50 ? (int)left : 50);
	}
}

int cg_is_frozen(struct cg_cgroup *cg, int *ret, struct rt_error *err)
{
	if (cg->v1)
		return cg_v1_is_frozen(cg, ret, err);
	cleanup_close int evfd = openat(cg->fd, "cgroup.events", O_RDONLY | O_CLOEXEC);

	if (evfd < 0)
		return rt_error_set(err, errno, "cgroup `%s`: open cgroup.events", cg->path);
	if (events_value(evfd, "frozen", ret, err) < 0)
		return rt_error_wrap(err, "cgroup `%s`", cg->path);
	return 0;
}

static int write_file(int dirfd, const char *file, const char *value, struct rt_error *err)
{
	cleanup_close int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return rt_error_set(err, errno, "open %s", file);
	if (rt_write_all(fd, value, strlen(value)) < 0)
		return rt_error_set(err, errno, "write %s = \"%s\"", file, value);
	return 0;
}

int cg_freeze(struct cg_cgroup *cg, int frozen, struct rt_error *err)
{
	if (cg->v1)
		return cg_v1_freeze(cg, frozen, err);
	if (write_file(cg->fd, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return rt_error_wrap(err, "cgroup `%s`", cg->path);
	if (wait_events(cg->fd, "frozen", frozen ? 1 : 0, WAIT_MS, err) < 0) {
		/* never leave a container half frozen after a failed pause */
		if (frozen)
			write_file(cg->fd, "cgroup.freeze", "0", NULL);
		return rt_error_wrap(err, "cgroup `%s`: %s", cg->path, frozen ? "freeze" : "thaw");
	}
	return 0;
}

/* what foreach_child calls: dirfd and where are the parent's (its fd and its name for errors),
 * sub and name the child's */
typedef int (*child_fn)(int dirfd, const char *where, int sub, const char *name, void *data,
			struct rt_error *err);

/* Call fn for each child cgroup of dirfd (sub: the child's open directory).  A child removed
 * while we read is skipped. */
static int foreach_child(int dirfd, const char *where, child_fn fn, void *data,
			 struct rt_error *err)
{
	cleanup_dir DIR *d = NULL;

	if (cg_opendir_at(dirfd, where, &d, err) < 0)
		return -1;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		cleanup_close int sub =
		    openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub < 0)
			continue;
		if (fn(dirfd, where, sub, de->d_name, data, err) < 0)
			return -1;
	}
	return 0;
}

struct pid_list {
	pid_t *v;
	size_t n, cap;
};

static void pid_list_clear(struct pid_list *l)
{
	free(l->v);
}

static int collect_child_pids(int dirfd, const char *where, int sub, const char *name, void *data,
			      struct rt_error *err);

/* Append the pids in dirfd's cgroup.procs (and below, when recursive) to l. */
static int collect_pids(int dirfd, int recursive, struct pid_list *l, struct rt_error *err)
{
	cleanup_free char *buf = NULL;

	if (rt_read_file_at(dirfd, "cgroup.procs", &buf, NULL, err) < 0)
		return -1;
	for (char *p = buf; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (l->n == l->cap) {
			size_t nc = l->cap ? l->cap * 2 : 16;
			pid_t *nv = reallocarray(l->v, nc, sizeof(*nv));
			if (nv == NULL)
				return rt_error_set(err, ENOMEM, "cgroup.procs");
			l->v = nv;
			l->cap = nc;
		}
		l->v[l->n++] = (pid_t)pid;
		p = end + strspn(end, "\n");
	}
	return recursive ? foreach_child(dirfd, NULL, collect_child_pids, l, err) : 0;
}

static int collect_child_pids(int dirfd, const char *where, int sub, const char *name, void *data,
			      struct rt_error *err)
{
	(void)dirfd, (void)where;
	if (collect_pids(sub, 1, data, err) < 0)
		return rt_error_wrap(err, "%s", name);
	return 0;
}

int cg_pids(struct cg_cgroup *cg, int recursive, pid_t **ret, size_t *ret_n, struct rt_error *err)
{
	if (cg->v1)
		return cg_v1_pids(cg, recursive, ret, ret_n, err);
	__attribute__((cleanup(pid_list_clear))) struct pid_list l = {NULL, 0, 0};

	if (collect_pids(cg->fd, recursive, &l, err) < 0)
		return rt_error_wrap(err, "cgroup `%s`", cg->path);
	*ret = TAKE_PTR(l.v);
	*ret_n = l.n;
	return 0;
}

static int signal_all(struct cg_cgroup *cg, int sig, struct rt_error *err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;

	if (cg_pids(cg, 1, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			return rt_error_set(err, errno, "cgroup `%s`: kill %d", cg->path, pids[i]);
	return 0;
}

int cg_kill(struct cg_cgroup *cg, struct rt_error *err)
{
	if (cg->v1)
		return cg_v1_signal(cg, SIGKILL, err);
	struct rt_error e2 = RT_ERROR_INIT;

	if (write_file(cg->fd, "cgroup.kill", "1", &e2) == 0)
		return 0;
	if (e2.errnum != ENOENT) {
		error_move(err, &e2);
		return rt_error_wrap(err, "cgroup `%s`", cg->path);
	}
	rt_error_release(&e2);
	/* before 5.14: freeze so nothing forks behind our back, kill each, thaw so they die */
	int frozen = cg_freeze(cg, 1, &e2) == 0;
	rt_error_release(&e2);
	int r = signal_all(cg, SIGKILL, err);
	if (frozen)
		cg_freeze(cg, 0, NULL);
	return r;
}

int cg_signal(struct cg_cgroup *cg, int sig, struct rt_error *err)
{
	if (cg->v1)
		return cg_v1_signal(cg, sig, err);
	if (sig == SIGKILL)
		return cg_kill(cg, err);
	return signal_all(cg, sig, err);
}

int cg_opendir_at(int dirfd, const char *where, DIR **ret, struct rt_error *err)
{
	/* a new open file description: readdir's position must not be dirfd's */
	int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return where ? rt_error_set(err, errno, "open cgroup `%s`", where)
			     : rt_error_set(err, errno, "open cgroup directory");
	*ret = fdopendir(dfd);
	if (*ret == NULL) {
		int e = errno;
		close(dfd);
		return where ? rt_error_set(err, e, "read cgroup `%s`", where)
			     : rt_error_set(err, e, "read cgroup directory");
	}
	return 0;
}

static int remove_child(int dirfd, const char *where, int sub, const char *name, void *data,
			struct rt_error *err);

/* rmdir the child cgroups of dirfd, deepest first. */
static int remove_children(int dirfd, const char *where, struct rt_error *err)
{
	return foreach_child(dirfd, where, remove_child, NULL, err);
}

static int remove_child(int dirfd, const char *where, int sub, const char *name, void *data,
			struct rt_error *err)
{
	(void)data;
	if (remove_children(sub, name, err) < 0)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return rt_error_set(err, errno, "rmdir cgroup `%s/%s`", where, name);
	return 0;
}

int cg_remove(struct cg_cgroup *cg, struct rt_error *err)
{
	if (cg->v1)
		return cg_v1_remove(cg, err);
	struct rt_error e2 = RT_ERROR_INIT;

	/* the usual case costs one rmdir: every process is gone (a pid namespace dies with its
	 * init) and there is no child cgroup; otherwise (EBUSY) kill, wait, and empty it first */
	if (unlinkat(cg->root_fd, cg->path, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	if (cg_kill(cg, err) < 0)
		return -1;
	/* populated covers the descendants too: when it is 0 every task has exited */
	if (wait_events(cg->fd, "populated", 0, WAIT_MS, &e2) < 0 && e2.errnum != ENOENT) {
		error_move(err, &e2);
		return rt_error_wrap(err, "cgroup `%s`: remove", cg->path);
	}
	rt_error_release(&e2);
	if (remove_children(cg->fd, cg->path, err) < 0)
		return -1;
	/* a task that just exited can keep the cgroup busy for a moment */
	for (int i = 0;; i++) {
		if (unlinkat(cg->root_fd, cg->path, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || i == 100)
			return rt_error_set(err, errno, "rmdir cgroup `%s`", cg->path);
		usleep(10000);
	}
}

int cg_remove_path(struct cg_hierarchy *h, const char *path, struct rt_error *err)
{
	struct cg_cgroup *cg = NULL;
	struct rt_error e2 = RT_ERROR_INIT;

	/* cg_remove's usual case, before opening anything */
	if (h->v1 == NULL && (unlinkat(h->fd, path, AT_REMOVEDIR) == 0 || errno == ENOENT))
		return 0;
	if (cg_open(h, path, &cg, &e2) < 0) {
		if (e2.errnum == ENOENT) {
			rt_error_release(&e2);
			return 0;
		}
		return error_move(err, &e2);
	}
	int r = cg_remove(cg, err);
	cg_cgroup_free(cg);
	return r;
}

static int rmdir_if_empty(int root_fd, const char *path, struct rt_error *err)
{
	if (root_fd < 0 || unlinkat(root_fd, path, AT_REMOVEDIR) == 0 || errno == ENOENT ||
	    errno == EBUSY || errno == ENOTEMPTY)
		return 0;
	return rt_error_set(err, errno, "rmdir cgroup `%s`", path);
}

int cg_remove_if_empty(struct cg_hierarchy *h, const char *path, struct rt_error *err)
{
	/* on v1 hosts a create may have made the path in some hierarchies before it was killed */
	for (size_t i = 0; h->v1 && i < h->v1->n; i++)
		if (rmdir_if_empty(h->v1->d[i].root_fd, path, err) < 0)
			return rt_error_wrap(err, "%s", h->v1->d[i].mount);
	return rmdir_if_empty(h->fd, path, err);
}
