#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
#include "../core/cgroup_rt.h"
#include "container.h"
#include "console_proxy.h"
#include "image_bundle.h"
#include "../pod/pod.h"
#include "../core/hooks.h"
#include "../init/init.h"
#include "../init/mount.h"
#include "../spec/spec.h"
#include "../core/sync.h"
#include "../init/terminal.h"

/* Everything create holds, so one function can undo it all on failure. */
struct create_ctx {
	struct rt_globals *g;
	const struct rt_create_opts *o;
	struct rt_spec *spec;
	struct rt_container_dir dir;
	int dir_made;
	struct rt_state st;
	struct rt_init_ctx init;
	int sync_parent;
	int pidfd;
	pid_t pid;
	struct rt_cgroup cgroup;
	struct rt_devices_job devjob;
	int cgroup_join_late; /* cloned without CLONE_INTO_CGROUP (clone(2) fallback) */
	int console_local;    /* our end of the console socketpair (foreground terminal run) */
	int pty_master;
	int vforked; /* the init ran in our memory and has exec'd or failed (clone_vfork) */
};

static int write_id_map(int procfd, pid_t pid, const char *file, const struct rt_id_mapping *m,
			size_t n, struct rt_error *err)
{
	char path[64], buf[4096];
	size_t len = 0;

	for (size_t i = 0; i < n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n",
					m[i].container_id, m[i].host_id, m[i].size);
	snprintf(path, sizeof(path), "%d/%s", (int)pid, file);
	if (rt_procfs_write(procfd, path, buf, len, err) < 0)
		return rt_error_wrap(err, "linux.%s",
				     strcmp(file, "uid_map") == 0 ? "uidMappings" : "gidMappings");
	return 0;
}

static char *state_json_for(struct create_ctx *c, enum rt_status status)
{
	c->st.pid = c->pid;
	return rt_state_to_json(&c->st, status, 0);
}

/* prestart and createRuntime hooks in husk's namespaces; then the state goes to the init for
 * its createContainer and startContainer hooks. */
static int run_runtime_hooks(struct create_ctx *c, struct rt_error *err)
{
	cleanup_free char *json = state_json_for(c, RT_STATUS_CREATED);

	if (json == NULL)
		return rt_error_set(err, ENOMEM, "state JSON");
	if (rt_hooks_run(&c->spec->hooks[RT_HOOK_PRESTART], RT_HOOK_PRESTART, json, err) < 0 ||
	    rt_hooks_run(&c->spec->hooks[RT_HOOK_CREATE_RUNTIME], RT_HOOK_CREATE_RUNTIME, json,
			 err) < 0)
		return -1;
	/* a state larger than a message (annotations of tens of KiB) is not sent: the init then
	 * builds the hooks' state itself, from the spec it has (without `created` and `owner`) */
	if (strlen(json) >= sizeof(((struct rt_sync_msg *)0)->text))
		json[0] = '\0';
	return rt_sync_send(c->sync_parent, RT_SYNC_CONTINUE, 0, json, -1) < 0
		   ? rt_error_set(err, errno, "write to container init")
		   : 1;
}

/* One message from the init; an fd it came with is not for us (a seccomp notify fd goes to
 * the agent from the init itself). */
static int recv_from_init(struct create_ctx *c, struct rt_sync_msg *msg, struct rt_error *err)
{
	int fd;

	if (rt_sync_recv(c->sync_parent, msg, &fd) < 0)
		return rt_error_set(err, errno, "read from container init");
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Talk the child through its set-up until it says READY. */
static int parent_sync(struct create_ctx *c, struct rt_error *err)
{
	const struct rt_linux *lx = &c->spec->linux_cfg;
	struct rt_sync_msg msg;

	for (;;) {
		if (recv_from_init(c, &msg, err) < 0)
			return -1;
		switch (msg.type) {
		case RT_SYNC_USERMAP:
			/* gid_map first needs no setgroups=deny: we hold CAP_SETGID in the parent
			 * ns */
			if (write_id_map(c->init.procfd, c->pid, "gid_map", lx->gid_mappings,
					 lx->n_gid_mappings, err) < 0 ||
			    write_id_map(c->init.procfd, c->pid, "uid_map", lx->uid_mappings,
					 lx->n_uid_mappings, err) < 0)
				return -1;
			break;
		case RT_SYNC_HOOKS:
			if (run_runtime_hooks(c, err) < 0)
				return -1;
			continue; /* it sent CONTINUE with the state */
		case RT_SYNC_READY: return 0;
		case RT_SYNC_ERROR: return rt_error_set_raw(err, msg.value, msg.text);
		case 0: return rt_error_set(err, EPIPE, "container init exited during set-up");
		default:
			return rt_error_set(err, EPROTO,
					    "unexpected message %d from container init", msg.type);
		}
		if (rt_sync_send(c->sync_parent, RT_SYNC_CONTINUE, 0, NULL, -1) < 0)
			return rt_error_set(err, errno, "write to container init");
	}
}

static int open_namespaces(struct create_ctx *c, int *clone_flags, struct rt_error *err)
{
	const struct rt_linux *lx = &c->spec->linux_cfg;
	int join_user = lx->ns[RT_NS_USER].present && lx->ns[RT_NS_USER].path;

	for (int t = 0; t < RT_NS_TYPES; t++) {
		c->init.ns_fds[t] = -1;
		if (!lx->ns[t].present)
			continue;
		if (lx->ns[t].path) {
			c->init.ns_fds[t] = open(lx->ns[t].path, O_RDONLY | O_CLOEXEC);
			if (c->init.ns_fds[t] < 0)
				return rt_error_set(err, errno,
						    "linux.namespaces: open %s namespace `%s`",
						    rt_ns_type_name(t), lx->ns[t].path);
			continue;
		}
		if (t == RT_NS_CGROUP || t == RT_NS_TIME || (join_user && t != RT_NS_PID)) {
			/* cgroup: after the child is in its cgroup; time: offsets first; with a
			 * joined user namespace the new ones must belong to it */
			c->init.unshare_flags |= rt_ns_clone_flag(t);
		} else {
			*clone_flags |= rt_ns_clone_flag(t);
		}
	}
	if (join_user && (*clone_flags & CLONE_NEWPID))
		return rt_error_set(err, ENOTSUP,
				    "linux.namespaces: a new pid namespace inside a joined user "
				    "namespace is not supported");
	c->init.userns_new = lx->ns[RT_NS_USER].present && !lx->ns[RT_NS_USER].path;
	return 0;
}

/* What the init closes first, forked or not: the fds only the parent may hold.  The state dir
 * fd carries create's flock: a copy kept by the init would hold the lock for the container's
 * whole life and block every later command. */
static void child_drop_parent_fds(const struct create_ctx *c)
{
	close(c->sync_parent);
	close(c->dir.dirfd);
	close(c->dir.rootfd);
	if (c->console_local >= 0)
		close(c->console_local);
}

struct vfork_arg {
	const struct create_ctx *c;
	struct rt_init_ctx init; /* the init's own copy: what it changes must not reach us */
};

static int vfork_child(void *p)
{
	struct vfork_arg *a = p;

	child_drop_parent_fds(a->c);
	rt_init_main(&a->init);
}

/* A forked init costs a copy of husk's page tables, then a fault for every page either side
 * writes until the init execs, then the teardown of that copy at exec: on a VM, where a page
 * fault costs tens of microseconds, that was the largest part of a container's start-up.  When
 * the parent has nothing to do while the init sets up (a `run` with no new user namespace to
 * map and no hook before start), the init borrows our memory instead, as posix_spawn does
 * (CLONE_VM|CLONE_VFORK): we sleep until it has exec'd or failed, and it works on its own copy
 * of the init context and on its own stack. */
static int vfork_eligible(const struct create_ctx *c)
{
	/* a time namespace can be entered only by a process that shares its memory with no other
	 * (the kernel remaps the vDSO's clock page): EUSERS while we share it */
	int timens = (c->init.unshare_flags & CLONE_NEWTIME) || c->init.ns_fds[RT_NS_TIME] >= 0;

	/* and only with a cgroup: the init execs before we can write its pid, and should we be
	 * killed in between, the cgroup our record names is how `delete` finds the container */
	return c->o->run && !c->init.userns_new && !c->init.has_hooks && c->init.fifo_fd < 0 &&
	       !timens && c->cgroup.cg != NULL;
}

static __attribute__((noinline)) long clone_vfork(struct create_ctx *c, struct clone_args *args)
{
	/* a part of our own stack, below this frame, which stays until the init is done with it:
	 * untouched pages cost nothing, and the sanitizers know it for a stack */
	char stack[RT_VFORK_STACK_SIZE] __attribute__((aligned(64)));
	struct vfork_arg a = {.c = c, .init = c->init};

	a.init.vfork = 1;
	/* the memory is ours too: not dumpable from the init's first instruction on */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return rt_clone_vfork(args, stack, sizeof(stack), vfork_child, &a);
}

/* The init, by clone3 (into its cgroup, with a pidfd), vforked when eligible; clone(2) on
 * kernels without clone3.  Returns its pid (0 in a forked init), or -1 with err. */
static long clone_init(struct create_ctx *c, int clone_flags, int vfork, struct rt_error *err)
{
	struct clone_args args = {0};
	long pid;

	args.flags = (unsigned long long)clone_flags | CLONE_PIDFD;
	if (c->cgroup.cg && c->cgroup.cg->fd >= 0) {
		/* born in its cgroup: no window where the init runs outside its limits (in v1
		 * hierarchies the init joins first thing: rt_init_ctx.cgroup_attach) */
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (unsigned long long)c->cgroup.cg->fd;
	}
	args.pidfd = (unsigned long long)(uintptr_t)&c->pidfd;
	args.exit_signal = SIGCHLD;
	errno = ENOSYS;
	pid = vfork ? clone_vfork(c, &args) : -1;
	c->vforked = pid > 0;
	/* no trampoline for this architecture or no clone3 (ENOSYS), or a kernel that will not
	 * share memory with this set of flags (EINVAL): fork.  A fork copies this thread only:
	 * the device program's helper must be done first, or a lock it held at that moment
	 * (malloc's) would stay held forever in the init. */
	if (pid < 0 && (errno == ENOSYS || errno == EINVAL)) {
		if (rt_cgroup_devices_finish(&c->devjob, err) < 0)
			return -1;
		c->init.devices_fd = -1;
		pid = rt_sys_clone3(&args, sizeof(args));
	}
	if (pid < 0 && errno == ENOSYS) {
		/* pre-5.3 kernels: clone(2) with the same flags, cgroup joined afterwards */
		pid = syscall(SYS_clone, (unsigned long)clone_flags | SIGCHLD, NULL, NULL, NULL,
			      NULL);
		if (pid > 0) {
			c->pidfd = rt_sys_pidfd_open((pid_t)pid, 0);
			c->cgroup_join_late = c->cgroup.cg != NULL;
		}
	}
	if (pid < 0)
		rt_error_set(err, errno, "clone the container process%s",
			     errno == ENOSPC || errno == EUSERS ? " (namespace limit reached)"
								: "");
	return pid;
}

static int spawn(struct create_ctx *c, struct rt_error *err)
{
	int sv[2];
	int clone_flags = 0, vfork;
	cleanup_close int saved_pidns = -1;
	struct rt_error job_err = RT_ERROR_INIT;
	long pid;

	if (open_namespaces(c, &clone_flags, err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return rt_error_set(err, errno, "socketpair");
	c->sync_parent = sv[0];
	c->init.sync_fd = sv[1];
	c->init.parent_pid = getpid();
	/* Sleeping in the clone until the init has exec'd, we could not attach the device program
	 * meanwhile: a helper thread does, and the init waits for it before exec.  Started before
	 * we enter a pid namespace: the kernel refuses a new thread (EINVAL) to a process whose
	 * children go to another pid namespace than its own. */
	vfork = vfork_eligible(c);
	if ((vfork ? rt_cgroup_devices_start(&c->cgroup, &c->devjob, err)
		   : rt_cgroup_devices_attach(&c->cgroup, err)) < 0)
		return -1;
	c->init.devices_fd = c->devjob.done_fd;
	if (c->cgroup.cg && cg_cgroup_needs_attach(c->cgroup.cg))
		c->init.cgroup_attach = c->cgroup.cg;
	/* joining a pid namespace only affects children: enter it for the clone, then go back */
	pid = -1;
	if (c->init.ns_fds[RT_NS_PID] >= 0) {
		saved_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (saved_pidns < 0 || setns(c->init.ns_fds[RT_NS_PID], CLONE_NEWPID) < 0)
			rt_error_set(err, errno, "join pid namespace `%s`",
				     c->spec->linux_cfg.ns[RT_NS_PID].path);
	}
	if (!rt_error_is_set(err)) {
		pid = clone_init(c, clone_flags, vfork, err);
		if (pid == 0) {
			child_drop_parent_fds(c);
			rt_init_main(&c->init);
		}
	}
	if (pid > 0)
		c->pid = (pid_t)pid;
	/* Whatever happened: the helper thread joined (an init that waited for a failed helper
	 * exits without exec: the helper says why), and back to our own pid namespace. */
	if (rt_cgroup_devices_finish(&c->devjob, &job_err) < 0) {
		rt_error_wrap(&job_err, "cgroup `%s`", c->cgroup.cg->path);
		rt_error_set_raw(err, job_err.errnum, job_err.msg);
		rt_error_release(&job_err);
	}
	c->init.devices_fd = -1;
	if (saved_pidns >= 0 && setns(saved_pidns, CLONE_NEWPID) < 0)
		rt_error_set(err, errno, "restore pid namespace");
	if (rt_error_is_set(err))
		return -1;
	/* clone(2) fallback: join the cgroup right after the fact */
	if (c->cgroup_join_late && cg_attach(c->cgroup.cg, (pid_t)pid, err) < 0)
		return -1;
	close(c->init.sync_fd);
	c->init.sync_fd = -1;
	if (c->console_local >= 0) {
		/* the init has its end; ours must not keep it open */
		close(c->init.console_fd);
		c->init.console_fd = -1;
	}
	return 0;
}

/* Until the init has exec'd (its end of the socket closes on exec) or failed and said why
 * before it exited. */
static int wait_for_exec(struct create_ctx *c, struct rt_error *err)
{
	struct rt_sync_msg msg;

	for (;;) {
		if (recv_from_init(c, &msg, err) < 0)
			return -1;
		if (msg.type == 0)
			return 0;
		if (msg.type == RT_SYNC_ERROR)
			return rt_error_set_raw(err, msg.value, msg.text);
	}
}

/* Undo a failed create: kill the child, run nothing else, remove the state dir. */
static void rollback(struct create_ctx *c)
{
	struct rt_error e = RT_ERROR_INIT;

	rt_kill_and_reap(c->pid, c->pidfd);
	if (c->cgroup.cg && cg_remove(c->cgroup.cg, &e) < 0) {
		rt_warn("remove cgroup of `%s`: %s", c->o->id, e.msg);
		rt_error_release(&e);
	}
	if (c->dir_made && rt_rootfs_hostns_undo(c->dir.dirfd, &e) < 0) {
		rt_warn("unmount the rootfs of `%s`: %s", c->o->id, e.msg);
		rt_error_release(&e);
	}
	rt_container_release_extras(c->g, &c->st);
	if (c->dir_made && rt_container_dir_remove(&c->dir, &e) < 0) {
		rt_warn("remove state of `%s`: %s", c->o->id, e.msg);
		rt_error_release(&e);
	}
}

static void create_ctx_free(struct create_ctx *c)
{
	if (c->sync_parent >= 0)
		close(c->sync_parent);
	if (c->pidfd >= 0)
		close(c->pidfd);
	for (int t = 0; t < RT_NS_TYPES; t++)
		if (c->init.ns_fds[t] >= 0)
			close(c->init.ns_fds[t]);
	if (c->init.procfd >= 0)
		close(c->init.procfd);
	for (size_t i = 0; c->init.idmap_trees && i < c->spec->n_mounts; i++)
		if (c->init.idmap_trees[i] >= 0)
			close(c->init.idmap_trees[i]);
	free(c->init.idmap_trees);
	if (c->init.fifo_fd >= 0)
		close(c->init.fifo_fd);
	if (c->init.console_fd >= 0)
		close(c->init.console_fd);
	if (c->console_local >= 0)
		close(c->console_local);
	if (c->pty_master >= 0)
		close(c->pty_master);
	if (c->dir.dirfd >= 0 || c->dir.path)
		rt_container_dir_close(&c->dir);
	rt_cgroup_close(&c->cgroup);
	rt_state_clear(&c->st);
	rt_spec_free(c->spec);
}

/* Idmapped mounts are made here, in the host's user namespace which owns the filesystems (an
 * init in a new user namespace may not), and attached by the init (runc 1.2 does the same). */
static int prepare_idmapped_mounts(struct create_ctx *c, struct rt_error *err)
{
	const struct rt_spec *spec = c->spec;

	for (size_t i = 0; i < spec->n_mounts; i++) {
		if (!spec->mounts[i].idmap)
			continue;
		if (c->init.idmap_trees == NULL) {
			c->init.idmap_trees = malloc(spec->n_mounts * sizeof(int));
			if (c->init.idmap_trees == NULL)
				return rt_error_set(err, ENOMEM, "idmapped mounts");
			for (size_t k = 0; k < spec->n_mounts; k++)
				c->init.idmap_trees[k] = -1;
		}
		c->init.idmap_trees[i] = rt_mount_idmap_tree(c->init.procfd, &spec->mounts[i], err);
		if (c->init.idmap_trees[i] < 0)
			return rt_error_wrap(err, "mounts[%zu]", i);
	}
	return 0;
}

/* The 2019 /proc/self/exe class: until it execs, the init runs husk's image, which a
 * container process that can see it (and holds CAP_SYS_PTRACE over it) could reopen for
 * writing after the exec.  rt_init_protect_exe re-executes husk from a read-only copy; that
 * costs a second exec, so it is done only where such a process can exist: the init waits for
 * `start` (create), or shares or joins a pid namespace; and only when the container's root is
 * the host's root (no user namespace mapping it away).  A `run` in a new pid namespace execs
 * the user's program right after set-up, before anything else can be in that namespace.  The
 * config is parsed first, before anything a re-execution would repeat. */
static int protect_exe(struct create_ctx *c, struct rt_error *err)
{
	const struct rt_create_opts *o = c->o;
	const struct rt_namespace *pidns;
	cleanup_close int pfd = -1;

	if (!o->image) {
		if (rt_spec_load(o->bundle ? o->bundle : ".", &c->spec, err) < 0)
			return -1;
		pidns = &c->spec->linux_cfg.ns[RT_NS_PID];
		if (!rt_init_exe_exposed(c->spec))
			return 0;
		if (o->run && pidns->present && !pidns->path)
			return 0;
	}
	pfd = rt_procfs_open("/proc", err);
	if (pfd < 0 || rt_init_protect_exe(pfd, err) < 0)
		return -1;
	return 0;
}

/* What `delete` needs to undo a create killed before it committed the state, written before
 * each thing it names is made (the state dir itself comes first: `delete --force` removes one
 * without a record). */
static int record_creating(struct create_ctx *c, struct rt_error *err)
{
	c->st.creating = 1;
	return rt_state_write(&c->dir, &c->st, err);
}

/* The container's cgroup: recorded before it exists, then marked as ours once made (until
 * then the path may name someone else's cgroup, which `delete` must not kill). */
static int make_cgroup(struct create_ctx *c, struct rt_error *err)
{
	if (rt_cgroup_make(c->spec, &c->cgroup, err) < 0)
		return -1;
	if (c->cgroup.cg == NULL)
		return 0;
	/* the init binds it on /sys/fs/cgroup when there is no cgroup namespace */
	c->init.cgroup_path = c->cgroup.cg->path;
	rt_crashpoint("create.cgroup");
	if (rt_state_mark_cgroup_made(&c->dir, err) < 0)
		return -1;
	rt_crashpoint("create.cgroup-recorded");
	return 0;
}

static int prepare(struct create_ctx *c, struct rt_error *err)
{
	const struct rt_create_opts *o = c->o;
	const char *bundle = o->bundle ? o->bundle : ".";
	struct rt_spec *spec;

	if (rt_validate_id(o->id, err) < 0)
		return -1;
	if (rt_container_dir_create(c->g->root, o->id, &c->dir, err) < 0)
		return -1;
	c->dir_made = 1;
	rt_crashpoint("create.dir");
	/* rollback (leaving a pod, removing an image bundle) names the container */
	c->st.id = strdup(o->id);
	c->st.created = rt_now_rfc3339();
	if (c->st.id == NULL || c->st.created == NULL)
		return rt_error_set(err, ENOMEM, "container id");
	c->st.owner = getuid();
	if (o->image) {
		if (asprintf(&c->st.image_bundle, "%s/bundle", c->dir.path) < 0 ||
		    (c->st.bundle = strdup(c->st.image_bundle)) == NULL)
			return rt_error_set(err, ENOMEM, "image bundle path");
		if (record_creating(c, err) < 0)
			return -1;
		if (rt_image_bundle_make(c->g, o->image, o->entrypoint, o->image_args,
					 c->st.image_bundle, err) < 0)
			return -1;
		rt_crashpoint("create.image");
		bundle = c->st.image_bundle;
	}
	if (c->spec == NULL && rt_spec_load(bundle, &c->spec, err) < 0)
		return -1;
	if (o->pod) {
		if (rt_pod_apply(c->g, o->pod, c->spec, err) < 0)
			return -1;
		c->st.pod = strdup(o->pod);
		if (c->st.pod == NULL)
			return rt_error_set(err, ENOMEM, "pod name");
	}
	spec = c->spec;
	if (!spec->has_process)
		return rt_error_set(err, EINVAL,
				    "config.json: process: required to create a container");
	if (spec->process.terminal && !o->console_socket && !(o->run && !o->detach))
		return rt_error_set(
		    err, EINVAL,
		    "config.json: process.terminal is true: --console-socket is required "
		    "to receive the pty when husk does not stay in the foreground (or set "
		    "terminal to false)");
	free(c->st.bundle);
	if (rt_strdup(&c->st.bundle, spec->bundle, "bundle path", err) < 0 ||
	    rt_strdup(&c->st.rootfs, spec->root_path, "rootfs path", err) < 0)
		return -1;
	c->st.annotations = spec->annotations; /* borrowed; detached before rt_state_clear */
	c->st.n_annotations = spec->n_annotations;
	if (rt_cgroup_plan(c->g, spec, o->id, &c->cgroup, err) < 0)
		return -1;
	if (c->cgroup.path && (c->st.cgroup_path = strdup(c->cgroup.path)) == NULL)
		return rt_error_set(err, ENOMEM, "cgroup path");
	if (record_creating(c, err) < 0)
		return -1;
	rt_crashpoint("create.record");
	if (o->pod && rt_pod_member_add(c->g->root, o->pod, o->id, err) < 0)
		return -1;
	c->init.spec = spec;
	c->init.process = &spec->process;
	c->init.id = o->id;
	c->init.preserve_fds = o->preserve_fds;
	c->init.no_pivot = o->no_pivot;
	c->init.no_new_keyring = o->no_new_keyring;
	c->init.has_hooks =
	    spec->hooks[RT_HOOK_PRESTART].n || spec->hooks[RT_HOOK_CREATE_RUNTIME].n ||
	    spec->hooks[RT_HOOK_CREATE_CONTAINER].n || spec->hooks[RT_HOOK_START_CONTAINER].n;
	c->init.procfd = rt_procfs_open("/proc", err);
	if (c->init.procfd < 0)
		return -1;
	if (!spec->linux_cfg.ns[RT_NS_MNT].present &&
	    rt_rootfs_hostns_record(c->init.procfd, c->dir.dirfd, spec->root_path, err) < 0)
		return -1;
	if (prepare_idmapped_mounts(c, err) < 0)
		return -1;
	if (o->console_socket && spec->process.terminal) {
		c->init.console_fd = rt_console_socket_connect(o->console_socket, err);
		if (c->init.console_fd < 0)
			return -1;
	} else if (spec->process.terminal) {
		/* foreground run: husk itself holds the pty (runc does the same) */
		if (rt_console_proxy_pair(&c->console_local, &c->init.console_fd, err) < 0)
			return -1;
	}
	if (!o->run) {
		/* the init opens it after switching to the container's user: writable by others
		 * (nothing in the container can reach the state dir to use that) */
		if (mkfifoat(c->dir.dirfd, RT_EXEC_FIFO, 0622) < 0 ||
		    fchmodat(c->dir.dirfd, RT_EXEC_FIFO, 0622, 0) < 0)
			return rt_error_set(err, errno, "create exec fifo");
		c->init.fifo_fd = openat(c->dir.dirfd, RT_EXEC_FIFO, O_PATH | O_CLOEXEC);
		if (c->init.fifo_fd < 0)
			return rt_error_set(err, errno, "open exec fifo");
	}
	return make_cgroup(c, err);
}

/* exec's defaults and the poststart and poststop hooks come from the config the container was
 * created with, even if the bundle changed or went away since: keep a copy of the text that
 * was parsed. */
static int save_config(struct create_ctx *c, struct rt_error *err)
{
	if (c->spec->source == NULL)
		return rt_error_set(err, EINVAL, "config.json of `%s`: no text to keep", c->o->id);
	return rt_write_file_atomic_at(c->dir.dirfd, RT_CONFIG_COPY, c->spec->source,
				       c->spec->source_len, 0600, err);
}

static int record(struct create_ctx *c, struct rt_error *err)
{
	char buf[64];
	char state;

	snprintf(buf, sizeof(buf), "%d", (int)c->pid);
	if (rt_proc_start_time(c->init.procfd, c->pid, &c->st.start_time, &state, err) < 0)
		return rt_error_wrap(err, "container process");
	c->st.pid = c->pid;
	/* always: exec takes its defaults from it, and poststart/poststop hooks too */
	if (save_config(c, err) < 0)
		return -1;
	c->st.creating = 0;
	if (rt_state_write(&c->dir, &c->st, err) < 0)
		return -1;
	rt_crashpoint("create.state");
	if (c->o->pid_file && rt_write_pid_file(c->o->pid_file, c->pid, err) < 0)
		return -1;
	return 0;
}

/* create: the state is on disk; the init, which dies with us until now, may outlive us once
 * it has said that it disarmed its death signal (`run` says START instead). */
static int commit(struct create_ctx *c, struct rt_error *err)
{
	struct rt_sync_msg msg;

	if (rt_sync_send(c->sync_parent, RT_SYNC_CONTINUE, 0, NULL, -1) < 0)
		return rt_error_set(err, errno, "write to container init");
	if (recv_from_init(c, &msg, err) < 0)
		return -1;
	if (msg.type == RT_SYNC_ERROR)
		return rt_error_set_raw(err, msg.value, msg.text);
	if (msg.type != RT_SYNC_CONTINUE)
		return rt_error_set(err, EPIPE, "container init exited before start");
	rt_crashpoint("create.committed");
	return 0;
}

/* run: release the child and wait until it exec'd (the sync socket closes on exec); a vforked
 * init has exec'd already. */
static int start_now(struct create_ctx *c, struct rt_error *err)
{
	if (!c->vforked) {
		if (rt_sync_send(c->sync_parent, RT_SYNC_START, 0, NULL, -1) < 0)
			return rt_error_set(err, errno, "start container process");
		if (wait_for_exec(c, err) < 0)
			return -1;
	}
	cleanup_free char *json = state_json_for(c, RT_STATUS_RUNNING);
	rt_hooks_run_warn(&c->spec->hooks[RT_HOOK_POSTSTART], RT_HOOK_POSTSTART, json);
	return 0;
}

int rt_container_create(struct rt_globals *g, const struct rt_create_opts *o, int *ret_exit,
			struct rt_error *err)
{
	struct create_ctx c = {.g = g,
			       .o = o,
			       .sync_parent = -1,
			       .pidfd = -1,
			       .console_local = -1,
			       .pty_master = -1,
			       .dir = {.rootfd = -1, .dirfd = -1}};
	int rc = -1;

	c.init.procfd = c.init.fifo_fd = c.init.console_fd = c.init.sync_fd = c.init.fifo_write_fd =
	    c.init.devices_fd = c.devjob.done_fd = -1;
	for (int t = 0; t < RT_NS_TYPES; t++)
		c.init.ns_fds[t] = -1;
	*ret_exit = 0;
	if (protect_exe(&c, err) < 0)
		goto fail;
	if (prepare(&c, err) < 0 || spawn(&c, err) < 0)
		goto fail;
	rt_crashpoint("create.cloned");
	if ((c.vforked ? wait_for_exec(&c, err) : parent_sync(&c, err)) < 0)
		goto fail;
	rt_crashpoint("create.ready");
	if (record(&c, err) < 0 || (!o->run && commit(&c, err) < 0))
		goto fail;
	if (c.console_local >= 0 && rt_console_proxy_recv(c.console_local, &c.pty_master, err) < 0)
		goto fail;
	if (!o->run) {
		rc = 0;
		goto out;
	}
	if (start_now(&c, err) < 0)
		goto fail;
	rt_crashpoint("run.started");
	if (o->detach) {
		rc = 0;
		goto out;
	}
	/* the state stays visible (and locked only briefly by others) while the container runs */
	flock(c.dir.dirfd, LOCK_UN);
	if (c.pty_master >= 0)
		rt_console_proxy_run(c.pty_master, c.pidfd);
	*ret_exit = rt_wait_forward_signals(c.pidfd, c.pid);
	c.pid = 0;
	flock(c.dir.dirfd, LOCK_EX);
	if (!o->keep) {
		struct rt_error e = RT_ERROR_INIT;
		if (rt_container_destroy(g, &c.dir, &c.st, c.spec, c.cgroup.cg, &e) < 0) {
			rt_warn("delete `%s`: %s", o->id, e.msg);
			rt_error_release(&e);
		}
	}
	rc = 0;
	goto out;
fail:
	rollback(&c);
out:
	c.st.annotations = NULL;
	c.st.n_annotations = 0;
	create_ctx_free(&c);
	return rc;
}
