#define _GNU_SOURCE
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/crashpoint.h"
#include "../../common/fsutil.h"
#include "../../common/log.h"
#include "../../common/procfs.h"
#include "../../common/syscalls.h"
#include "../core/cgroup_rt.h"
#include "image_bundle.h"
#include "../init/mount.h"
#include "../core/hooks.h"
#include "../pod/pod.h"

int rt_write_pid_file(const char *path, pid_t pid, struct rt_error *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);

	if (rt_write_file_atomic_at(AT_FDCWD, path, buf, (size_t)n, 0644, err) < 0)
		return rt_error_wrap(err, "pid file");
	return 0;
}

int rt_pidfd_wait_exit(int pidfd, int timeout_ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : -1;
}

void rt_kill_and_reap(pid_t pid, int pidfd)
{
	if (pid <= 0)
		return;
	if (pidfd >= 0)
		rt_sys_pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
	else
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* A pidfd for the container's init, or -1 with err when it is gone (or its pid was reused). */
static int open_init(const struct rt_state *st, struct rt_error *err)
{
	cleanup_close int pidfd = -1, procfd = -1;
	unsigned long long ticks;
	char pstate;

	if (st->pid <= 0)
		return rt_error_set(err, ESRCH, "container not running");
	pidfd = rt_sys_pidfd_open(st->pid, 0);
	if (pidfd < 0)
		return rt_error_set(err, errno == ESRCH ? ESRCH : errno, "container not running");
	/* check after opening: the pidfd then pins the process we verified */
	procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0 || rt_proc_start_time(procfd, st->pid, &ticks, &pstate, err) < 0 ||
	    ticks != st->start_time || pstate == 'Z') {
		rt_error_release(err);
		return rt_error_set(err, ESRCH, "container not running");
	}
	return TAKE_FD(pidfd);
}

int rt_container_start(struct rt_globals *g, const char *id, struct rt_error *err)
{
	struct rt_container_dir d = {.rootfd = -1, .dirfd = -1};
	struct rt_state st;
	cleanup_close int fifo = -1, pidfd = -1;
	cleanup_free char *json = NULL;
	struct rt_spec *spec = NULL;
	int rc = -1;
	char c;

	if (rt_container_dir_open(g->root, id, &d, err) < 0)
		return -1;
	if (rt_state_read(&d, &st, err) < 0)
		goto out_dir;
	enum rt_status s = rt_state_status(&d, &st);
	if (s != RT_STATUS_CREATED) {
		rt_error_set(err, 0, "cannot start a container that is %s (only a created one)",
			     rt_status_name(s));
		goto out;
	}
	pidfd = open_init(&st, err);
	if (pidfd < 0)
		goto out;
	/* non-blocking open: the init is (or soon will be) blocked opening the write side */
	fifo = openat(d.dirfd, RT_EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0) {
		rt_error_set(err, errno, "open exec fifo");
		goto out;
	}
	/* the init writes "0" once we opened the fifo, then either execs (its end is
	 * close-on-exec: EOF) or writes why it could not (a startContainer hook failed...) */
	char msg[1024];
	size_t len = 0;
	for (int got = 0;;) {
		struct pollfd p[2] = {{.fd = fifo, .events = POLLIN},
				      {.fd = pidfd, .events = POLLIN}};
		if (poll(p, got ? 1 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rt_error_set(err, errno, "wait for the container process");
			goto out;
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			ssize_t n =
			    got ? read(fifo, msg + len, sizeof(msg) - 1 - len) : read(fifo, &c, 1);
			if (n > 0) {
				if (got)
					len += (size_t)n;
				got = 1;
				if (len < sizeof(msg) - 1)
					continue;
			}
			if (n < 0 && errno == EAGAIN)
				continue;
			if (got)
				break; /* EOF: exec'd, or died after telling us why */
		}
		if (!got && (p[1].revents & POLLIN)) {
			rt_error_set(err, ESRCH, "container process exited before start");
			goto out;
		}
	}
	if (len > 0) {
		msg[len] = '\0';
		unlinkat(d.dirfd, RT_EXEC_FIFO, 0);
		rt_error_set(err, 0, "start `%s`: %s", id, msg);
		goto out;
	}
	unlinkat(d.dirfd, RT_EXEC_FIFO, 0);
	if (faccessat(d.dirfd, RT_CONFIG_COPY, F_OK, 0) == 0) {
		/* poststart hooks of the config create saw */
		struct rt_error e = RT_ERROR_INIT;
		if (rt_spec_load(d.path, &spec, &e) == 0) {
			if (spec->hooks[RT_HOOK_POSTSTART].n) {
				json = rt_state_to_json(&st, RT_STATUS_RUNNING, 0);
				rt_hooks_run_warn(&spec->hooks[RT_HOOK_POSTSTART],
						  RT_HOOK_POSTSTART, json);
			}
		} else {
			rt_error_release(&e);
		}
	}
	rc = 0;
out:
	rt_spec_free(spec);
	rt_state_clear(&st);
out_dir:
	rt_container_dir_close(&d);
	return rc;
}

/* Signal every process of the container when it has no cgroup to kill through: the ones that
 * share its pid namespace (with a private pid namespace, killing pid 1 ends them all). */
static int kill_all_procs(const struct rt_state *st, int sig, struct rt_error *err)
{
	char path[64], target[64], link[64];
	cleanup_dir DIR *d = opendir("/proc");
	struct dirent *de;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)st->pid);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return rt_error_set(err, errno, "read pid namespace of %d", (int)st->pid);
	target[n] = '\0';
	/* a container in the host's pid namespace: "all its processes" is not the whole host */
	n = readlink("/proc/self/ns/pid", link, sizeof(link) - 1);
	if (n >= 0) {
		link[n] = '\0';
		if (strcmp(link, target) == 0)
			return rt_error_set(err, EPERM,
					    "container `%s` shares the host pid namespace and has "
					    "no cgroup: cannot tell its processes apart",
					    st->id);
	}
	if (d == NULL)
		return rt_error_set(err, errno, "open /proc");
	while ((de = readdir(d)) != NULL) {
		int pid = atoi(de->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, target) == 0)
			kill(pid, sig);
	}
	return 0;
}

/* Signal every process in the container's cgroup: 1 done, 0 no cgroup to do it through. */
static int signal_cgroup(const struct rt_state *st, int sig, struct rt_error *err)
{
	struct rt_cgroup cg;
	int r;

	if (st->cgroup_path == NULL)
		return 0;
	if (rt_cgroup_open(st, &cg, err) < 0) {
		rt_error_release(err);
		return 0;
	}
	r = cg_signal(cg.cg, sig, err);
	rt_cgroup_close(&cg);
	return r < 0 ? -1 : 1;
}

int rt_container_kill(struct rt_globals *g, const char *id, int sig, int all, struct rt_error *err)
{
	struct rt_container_dir d = {.rootfd = -1, .dirfd = -1};
	struct rt_state st;
	cleanup_close int pidfd = -1;
	int rc = -1, r;

	if (rt_container_dir_open(g->root, id, &d, err) < 0)
		return -1;
	if (rt_state_read(&d, &st, err) < 0)
		goto out_dir;
	pidfd = open_init(&st, err);
	if (pidfd < 0) {
		if (!all || err->errnum != ESRCH)
			goto out;
		/* --all of a stopped container succeeds and reaches what is left in its cgroup, as
		 * runc does: containerd's shim sends `kill --all ID 9` once the init has exited, to
		 * end the processes of a container without a pid namespace of its own */
		rt_error_release(err);
		rc = signal_cgroup(&st, sig, err) < 0 ? -1 : 0;
		goto out;
	}
	if (all) {
		r = signal_cgroup(&st, sig, err);
		if (r < 0 || (r == 0 && kill_all_procs(&st, sig, err) < 0))
			goto out;
	}
	/* with --all the init was signalled with the rest and may be gone already: fine */
	if (rt_sys_pidfd_send_signal(pidfd, sig, NULL, 0) < 0 && !(errno == ESRCH && all)) {
		if (errno == ESRCH)
			rt_error_set(err, ESRCH, "container not running");
		else
			rt_error_set(err, errno, "send signal %d to container `%s`", sig, id);
		goto out;
	}
	rc = 0;
out:
	rt_state_clear(&st);
out_dir:
	rt_container_dir_close(&d);
	return rc;
}

int rt_container_destroy(struct rt_globals *g, struct rt_container_dir *d,
			 const struct rt_state *st, const struct rt_spec *spec,
			 struct cg_cgroup *cg, struct rt_error *err)
{
	struct rt_spec *loaded = NULL;

	if (spec == NULL && faccessat(d->dirfd, RT_CONFIG_COPY, F_OK, 0) == 0) {
		struct rt_error e = RT_ERROR_INIT;
		if (rt_spec_load(d->path, &loaded, &e) < 0) {
			rt_warn("poststop hooks of `%s`: %s", st->id, e.msg);
			rt_error_release(&e);
		}
		spec = loaded;
	}
	if (spec && spec->hooks[RT_HOOK_POSTSTOP].n) {
		cleanup_free char *json = rt_state_to_json(st, RT_STATUS_STOPPED, 0);
		rt_hooks_run_warn(&spec->hooks[RT_HOOK_POSTSTOP], RT_HOOK_POSTSTOP, json);
	}
	rt_spec_free(loaded);
	/* whatever the init left behind (daemons in a shared pid namespace) goes with the cgroup */
	if ((cg ? cg_remove(cg, err) : rt_cgroup_remove(st, err)) < 0)
		return rt_error_wrap(err, "delete `%s`", st->id);
	rt_crashpoint("delete.cgroup");
	if (rt_rootfs_hostns_undo(d->dirfd, err) < 0)
		return rt_error_wrap(err, "delete `%s`", st->id);
	rt_container_release_extras(g, st);
	rt_crashpoint("delete.extras");
	return rt_container_dir_remove(d, err);
}

void rt_container_release_extras(struct rt_globals *g, const struct rt_state *st)
{
	struct rt_error e = RT_ERROR_INIT;

	if (st->pod && rt_pod_member_remove(g->root, st->pod, st->id, &e) < 0) {
		rt_warn("leave pod `%s`: %s", st->pod, e.msg);
		rt_error_release(&e);
	}
	/* the overlay is mounted inside the state dir: unmount before the dir is removed */
	if (st->image_bundle && rt_image_bundle_remove(g, st->image_bundle, &e) < 0) {
		rt_warn("remove image bundle `%s`: %s", st->image_bundle, e.msg);
		rt_error_release(&e);
	}
}

int rt_container_delete(struct rt_globals *g, const char *id, int force, struct rt_error *err)
{
	struct rt_container_dir d = {.rootfd = -1, .dirfd = -1};
	struct rt_state st;
	int rc = -1;

	if (rt_container_dir_open(g->root, id, &d, err) < 0)
		return -1;
	if (rt_state_read(&d, &st, err) < 0) {
		/* a create that crashed half-way: --force clears what is left */
		if (force) {
			rt_error_release(err);
			/* its init (if it got that far) dies with the create that talked to it */
			if (rt_rootfs_hostns_undo(d.dirfd, err) == 0)
				rc = rt_container_dir_remove(&d, err);
		}
		goto out_dir;
	}
	enum rt_status s = rt_state_status(&d, &st);
	if (s == RT_STATUS_RUNNING || s == RT_STATUS_PAUSED) {
		if (!force) {
			rt_error_set(
			    err, 0,
			    "cannot delete container `%s` that is not stopped: %s (use --force)",
			    id, rt_status_name(s));
			goto out;
		}
	}
	if (s != RT_STATUS_STOPPED) {
		/* created (runc deletes those too, and clients rely on it) or forced */
		cleanup_close int pidfd = open_init(&st, err);
		if (pidfd >= 0) {
			if (st.cgroup_path == NULL)
				kill_all_procs(&st, SIGKILL, err);
			rt_error_release(err);
			rt_sys_pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
			rt_pidfd_wait_exit(pidfd, 10000);
		}
		rt_error_release(err);
		rt_crashpoint("delete.killed");
	}
	rc = rt_container_destroy(g, &d, &st, NULL, NULL, err);
out:
	rt_state_clear(&st);
out_dir:
	rt_container_dir_close(&d);
	return rc;
}

int rt_wait_forward_signals(int pidfd, pid_t pid)
{
	static const int fwd[] = {SIGINT,  SIGTERM,  SIGHUP,  SIGQUIT, SIGUSR1,
				  SIGUSR2, SIGWINCH, SIGCONT, SIGPIPE};
	sigset_t set;
	cleanup_close int sfd = -1;
	int status;

	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
		sigaddset(&set, fwd[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	for (;;) {
		struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN},
				      {.fd = sfd, .events = POLLIN}};
		if (pidfd < 0 || sfd < 0 || (poll(p, 2, -1) < 0 && errno != EINTR))
			break;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				rt_sys_pidfd_send_signal(pidfd, (int)si.ssi_signo, NULL, 0);
		}
		if (p[0].revents & POLLIN)
			break;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 255;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
