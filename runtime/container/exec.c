#define _GNU_SOURCE
#include "exec.h"

#include "../init/init.h"
#include "../init/last_steps.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/crashpoint.h"
#include "../../common/fsutil.h"
#include "../../common/log.h"
#include "../../common/procfs.h"
#include "../../common/syscalls.h"
#include "../init/caps.h"
#include "../core/cgroup_rt.h"
#include "container.h"
#include "../init/process.h"
#include "../init/seccomp.h"
#include "../spec/spec.h"
#include "../core/state.h"
#include "../core/sync.h"
#include "../init/terminal.h"

/* Everything exec holds; exec_ctx_free releases it on every path. */
struct exec_ctx {
	const struct rt_exec_opts *o;
	struct rt_container_dir dir;
	struct rt_state st;
	int st_read;
	struct rt_spec *spec;	      /* the container's config: defaults and linux.seccomp */
	struct rt_process *file_proc; /* --process FILE, owned */
	struct rt_process proc;	      /* what runs: borrows from spec, file_proc, o and below */
	char **env;		      /* proc.env's array (strings borrowed) */
	int procfd;		      /* the host's procfs */
	int init_pidfd;		      /* the container's init, pinned */
	int ns_fds[RT_NS_TYPES];      /* the init's namespaces that differ from ours, else -1 */
	int ns_flags;		      /* CLONE_NEW* of those */
	struct rt_cgroup cgroup;
	int console_fd;
	int sync_parent, sync_child;
	int pidfd; /* the exec'd process */
	pid_t pid;
};

/* Namespaces in an order where each setns is still permitted (the pidfd fallback): the user
 * namespace first (it grants the capabilities for the rest), the mount namespace late (it
 * changes our root), time last.  The pid namespace is entered by the parent before clone. */
static const enum rt_ns_type join_order[] = {RT_NS_USER,   RT_NS_IPC, RT_NS_UTS, RT_NS_NET,
					     RT_NS_CGROUP, RT_NS_MNT, RT_NS_TIME};

static const char *ns_proc_name(enum rt_ns_type t)
{
	static const char *const names[] = {
	    [RT_NS_PID] = "pid",       [RT_NS_NET] = "net",   [RT_NS_MNT] = "mnt",
	    [RT_NS_IPC] = "ipc",       [RT_NS_UTS] = "uts",   [RT_NS_USER] = "user",
	    [RT_NS_CGROUP] = "cgroup", [RT_NS_TIME] = "time",
	};
	return names[t];
}

/* --- the process spec ------------------------------------------------------------------- */

static int load_config(struct exec_ctx *c, struct rt_error *err)
{
	/* the copy create kept is the config the container was made with; the bundle may have
	 * changed since (an --image container's bundle lives under the state dir anyway) */
	if (faccessat(c->dir.dirfd, RT_CONFIG_COPY, F_OK, 0) == 0) {
		struct rt_error e = RT_ERROR_INIT;
		if (rt_spec_load(c->dir.path, &c->spec, &e) < 0) {
			rt_debug("config copy of `%s`: %s", c->o->id, e.msg);
			rt_error_release(&e);
		}
	}
	if (c->spec == NULL && rt_spec_load(c->st.bundle, &c->spec, err) < 0)
		return rt_error_wrap(err, "container `%s`", c->o->id);
	if (!c->spec->has_process)
		return rt_error_set(err, EINVAL, "container `%s`: config.json has no process",
				    c->o->id);
	return 0;
}

static int load_process_file(struct exec_ctx *c, struct rt_error *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;

	if (rt_read_file_at(AT_FDCWD, c->o->process_file, &text, &len, err) < 0)
		return rt_error_wrap(err, "--process");
	if (rt_spec_parse_process(text, len, &c->file_proc, err) < 0)
		return rt_error_wrap(err, "--process `%s`", c->o->process_file);
	return 0;
}

/* env of the base process, each --env K=V replacing the variable K or added after them. */
static int merge_env(struct exec_ctx *c, struct rt_error *err)
{
	size_t n = c->proc.n_env, extra = 0;

	for (char *const *e = c->o->env; e && *e; e++)
		extra++;
	if (extra == 0)
		return 0;
	c->env = calloc(n + extra + 1, sizeof(char *));
	if (c->env == NULL)
		return rt_error_set(err, ENOMEM, "allocate the environment");
	if (n)
		memcpy(c->env, c->proc.env, n * sizeof(char *));
	for (char *const *e = c->o->env; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t klen = eq ? (size_t)(eq - *e) : strlen(*e);
		size_t i;
		if (eq == NULL || klen == 0)
			return rt_error_set(err, EINVAL, "--env `%s`: expected KEY=VALUE", *e);
		for (i = 0; i < n; i++)
			if (strncmp(c->env[i], *e, klen + 1) == 0)
				break;
		c->env[i] = *e;
		if (i == n)
			n++;
	}
	c->proc.env = c->env;
	c->proc.n_env = n;
	return 0;
}

static int add_caps(struct exec_ctx *c, struct rt_error *err)
{
	struct rt_caps *caps = &c->proc.caps;

	for (char *const *name = c->o->caps; name && *name; name++) {
		int cap;
		if (rt_cap_from_name(*name, &cap, err) < 0)
			return rt_error_wrap(err, "--cap");
		uint64_t bit = UINT64_C(1) << cap;
		/* never inheritable: an added capability must not survive into programs the
		 * process execs; ambient only where the spec already made it inheritable */
		caps->bounding |= bit;
		caps->effective |= bit;
		caps->permitted |= bit;
		if (caps->inheritable & bit)
			caps->ambient |= bit;
		c->proc.has_caps = 1;
	}
	return 0;
}

/* The process to run: the --process file as it is (what the file leaves out, capabilities and
 * rlimits, comes from the container's config, as runc does), or the config's process with the
 * command line's changes. */
static int build_process(struct exec_ctx *c, struct rt_error *err)
{
	const struct rt_exec_opts *o = c->o;
	const struct rt_process *cfg = &c->spec->process;

	if (o->process_file) {
		if (load_process_file(c, err) < 0)
			return -1;
		c->proc = *c->file_proc;
		if (!c->proc.has_caps && cfg->has_caps) {
			c->proc.has_caps = 1;
			c->proc.caps = cfg->caps;
		}
		if (c->proc.n_rlimits == 0) {
			c->proc.rlimits = cfg->rlimits;
			c->proc.n_rlimits = cfg->n_rlimits;
		}
	} else {
		if (o->args == NULL || o->args[0] == NULL)
			return rt_error_set(
			    err, EINVAL,
			    "exec: no command given (use --process FILE or ID CMD [ARGS...])");
		c->proc = *cfg;
		c->proc.args = (char **)o->args;
		c->proc.n_args = 0;
		while (o->args[c->proc.n_args])
			c->proc.n_args++;
		c->proc.terminal = 0;
		c->proc.has_console_size = 0;
	}
	/* a container that asked for no_new_privs keeps it for everything that runs in it */
	c->proc.no_new_privileges |= cfg->no_new_privileges | o->no_new_privs;
	if (o->tty)
		c->proc.terminal = 1;
	if (o->cwd) {
		if (o->cwd[0] != '/')
			return rt_error_set(err, EINVAL, "--cwd `%s`: must be an absolute path",
					    o->cwd);
		c->proc.cwd = (char *)o->cwd;
	}
	if (o->has_user) {
		/* as runc: the gid and the supplementary groups stay the config's unless given */
		c->proc.user.uid = o->uid;
		if (o->has_gid)
			c->proc.user.gid = o->gid;
	}
	if (o->n_additional_gids) {
		c->proc.user.additional_gids = (gid_t *)o->additional_gids;
		c->proc.user.n_additional_gids = o->n_additional_gids;
	}
	if (o->process_label)
		c->proc.selinux_label = (char *)o->process_label;
	if (o->apparmor)
		c->proc.apparmor_profile = (char *)o->apparmor;
	if (merge_env(c, err) < 0 || add_caps(c, err) < 0)
		return -1;
	if (c->proc.cwd && c->proc.cwd[0] != '/')
		return rt_error_set(err, EINVAL, "process.cwd `%s`: must be an absolute path",
				    c->proc.cwd);
	if (c->proc.terminal && o->console_socket == NULL)
		return rt_error_set(err, EINVAL,
				    "exec: a terminal needs --console-socket to receive the pty "
				    "(or drop --tty / process.terminal)");
	return 0;
}

/* --- the container ---------------------------------------------------------------------- */

/* A pidfd of the container's init, checked to be the process the state recorded. */
static int open_init(struct exec_ctx *c, struct rt_error *err)
{
	unsigned long long ticks;
	char pstate;

	c->init_pidfd = rt_sys_pidfd_open(c->st.pid, 0);
	if (c->init_pidfd < 0 && errno != ENOSYS)
		return rt_error_set(err, ESRCH, "cannot exec in a stopped container `%s`",
				    c->o->id);
	/* after opening: the pidfd then pins the process we check */
	if (rt_proc_start_time(c->procfd, c->st.pid, &ticks, &pstate, err) < 0 ||
	    ticks != c->st.start_time || pstate == 'Z') {
		rt_error_release(err);
		return rt_error_set(err, ESRCH, "cannot exec in a stopped container `%s`",
				    c->o->id);
	}
	return 0;
}

/* Open the init's namespaces that differ from ours: only those are joined (joining our own
 * user namespace again is EINVAL, and the others would be no-ops). */
static int open_namespaces(struct exec_ctx *c, struct rt_error *err)
{
	for (int t = 0; t < RT_NS_TYPES; t++) {
		char path[64];
		struct stat theirs, ours;
		cleanup_close int fd = -1;

		snprintf(path, sizeof(path), "%d/ns/%s", (int)c->st.pid, ns_proc_name(t));
		/* nsfs files, not procfs ones: rt_procfs_openat would refuse them; the handle is
		 * the host's verified procfs, which the container cannot redirect */
		fd = openat(c->procfd, path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* a namespace type this kernel does not have */
			return rt_error_set(err, errno, "open %s namespace of container `%s`",
					    rt_ns_type_name(t), c->o->id);
		}
		snprintf(path, sizeof(path), "self/ns/%s", ns_proc_name(t));
		if (fstat(fd, &theirs) < 0 || fstatat(c->procfd, path, &ours, 0) < 0)
			return rt_error_set(err, errno, "compare %s namespaces",
					    rt_ns_type_name(t));
		if (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)
			continue;
		c->ns_fds[t] = TAKE_FD(fd);
		c->ns_flags |= rt_ns_clone_flag(t);
	}
	return 0;
}

static int check_status(struct exec_ctx *c, struct rt_error *err)
{
	enum rt_status s = rt_state_status(&c->dir, &c->st);

	if (s == RT_STATUS_STOPPED)
		return rt_error_set(err, 0, "cannot exec in a stopped container `%s`", c->o->id);
	if (s == RT_STATUS_PAUSED && !c->o->ignore_paused)
		return rt_error_set(
		    err, 0,
		    "cannot exec in a paused container `%s` (use --ignore-paused to "
		    "override)",
		    c->o->id);
	return 0;
}

static int prepare(struct rt_globals *g, struct exec_ctx *c, struct rt_error *err)
{
	if (rt_validate_id(c->o->id, err) < 0)
		return -1;
	if (rt_container_dir_open(g->root, c->o->id, &c->dir, err) < 0)
		return -1;
	if (rt_state_read(&c->dir, &c->st, err) < 0)
		return -1;
	c->st_read = 1;
	if (check_status(c, err) < 0)
		return -1;
	if (load_config(c, err) < 0 || build_process(c, err) < 0)
		return -1;
	c->procfd = rt_procfs_open("/proc", err);
	if (c->procfd < 0)
		return -1;
	/* the exec'd process runs husk's image inside a running container until its execve: the
	 * 2019 /proc/self/exe class (SECURITY.md).  Nothing irreversible happened yet, so the
	 * re-execution from a read-only copy starts over cleanly. */
	if (rt_init_exe_exposed(c->spec) && rt_init_protect_exe(c->procfd, err) < 0)
		return -1;
	if (open_init(c, err) < 0 || open_namespaces(c, err) < 0)
		return -1;
	if (c->st.cgroup_path && rt_cgroup_open(&c->st, &c->cgroup, err) < 0)
		return -1;
	if (c->proc.terminal) {
		c->console_fd = rt_console_socket_connect(c->o->console_socket, err);
		if (c->console_fd < 0)
			return rt_error_wrap(err, "--console-socket");
	}
	return 0;
}

/* --- the child: from husk's image to the program ----------------------------------------- */

static int join_namespaces(struct exec_ctx *c, struct rt_error *err)
{
	int flags = c->ns_flags & ~CLONE_NEWPID;

	if (flags == 0)
		return 0;
	/* one atomic setns through the pidfd (5.8+): no window where we are half-way in */
	if (c->init_pidfd >= 0 && setns(c->init_pidfd, flags) == 0)
		return 0;
	if (c->init_pidfd >= 0 && errno != EINVAL && errno != EBADF)
		return rt_error_set(err, errno, "join the namespaces of container `%s`", c->o->id);
	for (size_t i = 0; i < ARRAY_SIZE(join_order); i++) {
		enum rt_ns_type t = join_order[i];
		if (c->ns_fds[t] < 0)
			continue;
		if (setns(c->ns_fds[t], rt_ns_clone_flag(t)) < 0)
			return rt_error_set(err, errno, "join %s namespace of container `%s`",
					    rt_ns_type_name(t), c->o->id);
	}
	return 0;
}

/* A container without a mount namespace of its own (its creator's) lives in a chroot: enter
 * the init's root, which a setns into that mount namespace (or none, when it is ours) does
 * not give. */
static int enter_init_root(struct exec_ctx *c, struct rt_error *err)
{
	char path[64];
	cleanup_close int fd = -1;

	if (c->spec->linux_cfg.ns[RT_NS_MNT].present)
		return 0;
	snprintf(path, sizeof(path), "%d/root", (int)c->st.pid);
	fd = openat(c->procfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return rt_error_set(err, errno, "open the root of container `%s`", c->o->id);
	if (fchdir(fd) < 0 || chroot(".") < 0)
		return rt_error_set(err, errno, "chroot into container `%s`", c->o->id);
	return 0;
}

/* The child starts with every fd husk held, the caller's included: keep stdio, --preserve-fds
 * and what joining and setting up still use. */
static int close_inherited_fds(struct exec_ctx *c, struct rt_error *err)
{
	int keep[RT_NS_TYPES + 5], n = 0;

	keep[n++] = c->sync_child;
	keep[n++] = c->procfd;
	keep[n++] = c->init_pidfd;
	keep[n++] = c->console_fd;
	keep[n++] = rt_log_fd();
	for (int t = 0; t < RT_NS_TYPES; t++)
		keep[n++] = c->ns_fds[t];
	return rt_process_close_fds_except(c->procfd, 3 + c->o->preserve_fds, keep, (size_t)n, err);
}

/* Steps 6 and 11 of last_steps.h: the notify fd, if any, goes to husk over the sync socket. */
static int child_load_filter(void *data, int no_new_privs, struct rt_error *err)
{
	struct exec_ctx *c = data;

	return rt_process_install_seccomp(c->spec->linux_cfg.seccomp, c->sync_child, err);
}

static void child_run(struct exec_ctx *c, struct rt_error *err)
{
	const struct rt_process *p = &c->proc;
	/* from step 5 on the program may outlive husk (--detach) */
	const struct rt_last_steps steps = {.p = p,
					    .preserve_fds = c->o->preserve_fds,
					    .disarm_death_signal = 1,
					    .data = c,
					    .load_filter = child_load_filter};

	/* until exec we run husk's image with host fds: not dumpable, so no process of the
	 * container can ptrace us or open /proc/<pid>/exe or fd/ (CVE-2019-5736, CVE-2016-9962) */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (close_inherited_fds(c, err) < 0 || join_namespaces(c, err) < 0 ||
	    enter_init_root(c, err) < 0)
		return;
	for (int t = 0; t < RT_NS_TYPES; t++)
		rt_closep(&c->ns_fds[t]);
	rt_closep(&c->init_pidfd);
	if (rt_process_set_attrs(c->procfd, c->spec, p, err) < 0 ||
	    rt_process_set_lsm(c->procfd, p, err) < 0)
		return;
	rt_closep(&c->procfd);
	if (p->terminal) {
		/* a pty of the container's own devpts; /dev/console stays the init's */
		if (rt_terminal_setup(c->console_fd, p, 0, err) < 0)
			return;
		rt_closep(&c->console_fd);
	}
	rt_last_steps_run(&steps, err);
}

static void __attribute__((noreturn)) child_main(struct exec_ctx *c)
{
	struct rt_error err = RT_ERROR_INIT;

	/* die with husk until we exec; a husk that died before this closed its end of the socket
	 * (getppid() cannot tell: it is 0 in the container's pid namespace) */
	close(c->sync_parent);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || rt_sync_peer_gone(c->sync_child))
		_exit(1);
	/* a v1 cgroup cannot be joined at clone time: join it before anything else runs */
	if (c->cgroup.cg && cg_cgroup_needs_attach(c->cgroup.cg) &&
	    cg_attach(c->cgroup.cg, 0, &err) < 0)
		rt_sync_fail(c->sync_child, &err);
	child_run(c, &err);
	if (!rt_error_is_set(&err))
		rt_error_set(&err, 0, "exec failed");
	rt_sync_fail(c->sync_child, &err);
}

/* --- the parent ------------------------------------------------------------------------- */

static int enter_pidns(struct exec_ctx *c, struct rt_error *err)
{
	if (c->init_pidfd >= 0 && setns(c->init_pidfd, CLONE_NEWPID) == 0)
		return 0;
	if (setns(c->ns_fds[RT_NS_PID], CLONE_NEWPID) < 0)
		return rt_error_set(err, errno, "join pid namespace of container `%s`", c->o->id);
	return 0;
}

static int vfork_child(void *p)
{
	child_main(p);
}

/* As for `run` (container_create.c): the exec process borrows our memory until it has exec'd
 * (CLONE_VM|CLONE_VFORK) instead of getting a copy of husk that is faulted in and torn down
 * again.  It works on its own copy of the context, on a part of our stack, and needs nothing
 * from us before its exec: a seccomp notify fd it sends waits in the socket.  Not with a time
 * namespace to join: the kernel lets only a process that shares its memory with none enter
 * one. */
static __attribute__((noinline)) long clone_vfork(const struct exec_ctx *c, struct clone_args *args)
{
	char stack[RT_VFORK_STACK_SIZE] __attribute__((aligned(64)));
	struct exec_ctx copy = *c;

	if (c->ns_flags & CLONE_NEWTIME) {
		errno = ENOSYS; /* fork instead */
		return -1;
	}
	/* the memory is ours too: not dumpable from the child's first instruction on */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return rt_clone_vfork(args, stack, sizeof(stack), vfork_child, &copy);
}

static int spawn(struct exec_ctx *c, struct rt_error *err)
{
	struct clone_args args = {0};
	cleanup_close int saved_pidns = -1;
	int sv[2], clone_errno;
	long pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return rt_error_set(err, errno, "socketpair");
	c->sync_parent = sv[0];
	c->sync_child = sv[1];
	/* joining a pid namespace affects only children: enter it for the clone, then go back */
	if (c->ns_flags & CLONE_NEWPID) {
		saved_pidns = openat(c->procfd, "self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (saved_pidns < 0)
			return rt_error_set(err, errno, "open our pid namespace");
		if (enter_pidns(c, err) < 0)
			return -1;
	}
	args.flags = CLONE_PIDFD;
	if (c->cgroup.cg && c->cgroup.cg->fd >= 0) {
		/* born in the container's cgroup: never counted outside its limits, and killed
		 * with it */
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)c->cgroup.cg->fd;
	}
	args.pidfd = (uint64_t)(uintptr_t)&c->pidfd;
	args.exit_signal = SIGCHLD;
	pid = clone_vfork(c, &args);
	if (pid < 0 && (errno == ENOSYS || errno == EINVAL)) /* as in container_create.c */
		pid = rt_sys_clone3(&args, sizeof(args));
	if (pid < 0 && errno == ENOSYS) {
		/* pre-5.3 kernels: fork, and the cgroup is joined right after */
		args.flags &= ~CLONE_INTO_CGROUP;
		pid = fork();
		if (pid > 0)
			c->pidfd = rt_sys_pidfd_open((pid_t)pid, 0);
	}
	if (pid == 0)
		child_main(c);
	clone_errno = errno;
	/* back to our own pid namespace for children; exec forks nothing else, so a failure
	 * here cannot misplace a process */
	if (saved_pidns >= 0 && setns(saved_pidns, CLONE_NEWPID) < 0)
		rt_debug("restore our pid namespace: %s", strerror(errno));
	if (pid < 0)
		return rt_error_set(err, clone_errno, "clone the exec process in container `%s`",
				    c->o->id);
	c->pid = (pid_t)pid;
	close(c->sync_child);
	c->sync_child = -1;
	if (c->cgroup.cg && !(args.flags & CLONE_INTO_CGROUP) &&
	    cg_attach(c->cgroup.cg, (pid_t)pid, err) < 0)
		return -1;
	return 0;
}

/* The seccomp agent gets the notify fd with the container's state (OCI seccomp listener). */
static void hand_notify_fd(struct exec_ctx *c, int fd)
{
	const struct rt_seccomp *s = c->spec->linux_cfg.seccomp;
	struct rt_error e = RT_ERROR_INIT;
	cleanup_free char *state = NULL, *msg = NULL;

	if (s && s->listener_path) {
		state = rt_state_to_json(&c->st, RT_STATUS_RUNNING, 0);
		if (rt_seccomp_listener_message(state, c->pid, s->listener_metadata, &msg, &e) <
			0 ||
		    rt_seccomp_send_listener(s->listener_path, msg, fd, &e) < 0) {
			rt_warn("exec in `%s`: seccomp agent: %s", c->o->id, e.msg);
			rt_error_release(&e);
		}
	}
	close(fd);
}

/* Wait until the child exec'd (EOF: its end of the socket was close-on-exec) or failed. */
static int wait_exec(struct exec_ctx *c, struct rt_error *err)
{
	struct rt_sync_msg msg;
	int fd;

	for (;;) {
		if (rt_sync_recv(c->sync_parent, &msg, &fd) < 0)
			return rt_error_set(err, errno, "read from the exec process");
		switch (msg.type) {
		case 0: return 0;
		case RT_SYNC_ERROR:
			if (fd >= 0)
				close(fd);
			return rt_error_set_raw(err, msg.value, msg.text);
		case RT_SYNC_SECCOMP_FD:
			if (fd >= 0)
				hand_notify_fd(c, fd);
			break;
		default:
			if (fd >= 0)
				close(fd);
			return rt_error_set(
			    err, EPROTO, "unexpected message %d from the exec process", msg.type);
		}
	}
}

static void exec_ctx_free(struct exec_ctx *c)
{
	/* a failure after the clone: the half-made process goes */
	rt_kill_and_reap(c->pid, c->pidfd);
	for (int t = 0; t < RT_NS_TYPES; t++)
		if (c->ns_fds[t] >= 0)
			close(c->ns_fds[t]);
	rt_closep(&c->procfd);
	rt_closep(&c->init_pidfd);
	rt_closep(&c->console_fd);
	rt_closep(&c->sync_parent);
	rt_closep(&c->sync_child);
	rt_closep(&c->pidfd);
	rt_cgroup_close(&c->cgroup);
	if (c->dir.dirfd >= 0 || c->dir.path)
		rt_container_dir_close(&c->dir);
	if (c->st_read)
		rt_state_clear(&c->st);
	free(c->env);
	rt_process_free(c->file_proc);
	rt_spec_free(c->spec);
}

int rt_exec(struct rt_globals *g, const struct rt_exec_opts *o, int *ret_exit, struct rt_error *err)
{
	struct exec_ctx c = {.o = o,
			     .dir = {.rootfd = -1, .dirfd = -1},
			     .procfd = -1,
			     .init_pidfd = -1,
			     .console_fd = -1,
			     .sync_parent = -1,
			     .sync_child = -1,
			     .pidfd = -1};
	int rc = -1;

	for (int t = 0; t < RT_NS_TYPES; t++)
		c.ns_fds[t] = -1;
	*ret_exit = 0;
	if (prepare(g, &c, err) < 0)
		goto out;
	/* everything is pinned by fds now (init pidfd, namespaces, cgroup): let other commands
	 * in.  Before the clone: the child would share the flock'ed fd, and a child born into a
	 * frozen cgroup (--ignore-paused) cannot close it, so `resume` would wait forever. */
	rt_container_dir_close(&c.dir);
	if (spawn(&c, err) < 0)
		goto out;
	rt_crashpoint("exec.cloned");
	if (wait_exec(&c, err) < 0)
		goto out;
	rt_crashpoint("exec.started");
	if (o->pid_file && rt_write_pid_file(o->pid_file, c.pid, err) < 0)
		goto out;
	if (o->detach) {
		c.pid = 0; /* it outlives us: the caller's subreaper reaps it */
		rc = 0;
		goto out;
	}
	rt_closep(&c.console_fd);
	*ret_exit = rt_wait_forward_signals(c.pidfd, c.pid);
	c.pid = 0;
	rc = 0;
out:
	exec_ctx_free(&c);
	return rc;
}
