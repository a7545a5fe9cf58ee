#define _GNU_SOURCE
#include "init.h"

#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "../../common/log.h"
#include "../../common/procfs.h"
#include "../../common/syscalls.h"
#include "caps.h"
#include "../core/cgroup_rt.h"
#include "../core/hooks.h"
#include "last_steps.h"
#include "mount.h"
#include "process.h"
#include "seccomp.h"
#include "../core/state.h"
#include "../core/sync.h"
#include "terminal.h"

/* Namespaces to join, in an order where each setns is still permitted: user first (it grants
 * the capabilities for the rest), mount last but one, time last (it needs a single thread only). */
static const enum rt_ns_type join_order[] = {RT_NS_USER,   RT_NS_IPC, RT_NS_UTS, RT_NS_NET,
					     RT_NS_CGROUP, RT_NS_MNT, RT_NS_TIME};

static int join_namespaces(struct rt_init_ctx *ctx, int user, struct rt_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(join_order); i++) {
		enum rt_ns_type t = join_order[i];
		if ((t == RT_NS_USER) != user || ctx->ns_fds[t] < 0)
			continue;
		if (setns(ctx->ns_fds[t], rt_ns_clone_flag(t)) < 0)
			return rt_error_set(err, errno, "join %s namespace `%s`",
					    rt_ns_type_name(t), ctx->spec->linux_cfg.ns[t].path);
		close(ctx->ns_fds[t]);
		ctx->ns_fds[t] = -1;
	}
	return 0;
}

static int set_time_offsets(struct rt_init_ctx *ctx, struct rt_error *err)
{
	const struct rt_linux *lx = &ctx->spec->linux_cfg;
	char buf[256];
	size_t len = 0;
	cleanup_close int nsfd = -1;

	if (!(ctx->unshare_flags & CLONE_NEWTIME))
		return 0;
	/* offsets can be written only before any process enters the namespace: create it for
	 * our children, write, then move ourselves in */
	if (unshare(CLONE_NEWTIME) < 0)
		return rt_error_set(err, errno, "create time namespace");
	for (size_t i = 0; i < lx->n_time_offsets; i++) {
		const struct rt_time_offset *o = &lx->time_offsets[i];
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%d %lld %u\n", o->clock,
					(long long)o->secs, o->nanosecs);
	}
	if (len && rt_procfs_write(ctx->procfd, "self/timens_offsets", buf, len, err) < 0)
		return rt_error_wrap(err, "linux.timeOffsets");
	/* an nsfs file reached through our verified procfs handle (not a procfs file itself) */
	nsfd = openat(ctx->procfd, "self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return rt_error_set(err, errno, "open `/proc/self/ns/time_for_children`");
	if (setns(nsfd, CLONE_NEWTIME) < 0)
		return rt_error_set(err, errno, "enter time namespace");
	return 0;
}

static int set_sysctls(struct rt_init_ctx *ctx, struct rt_error *err)
{
	const struct rt_linux *lx = &ctx->spec->linux_cfg;

	for (size_t i = 0; i < lx->n_sysctl; i++) {
		char path[PATH_MAX];
		int n = snprintf(path, sizeof(path), "sys/%s", lx->sysctl[i].key);
		for (char *p = path + 4; p < path + n; p++)
			if (*p == '.')
				*p = '/';
		if (rt_procfs_write(ctx->procfd, path, lx->sysctl[i].value,
				    strlen(lx->sysctl[i].value), err) < 0)
			return rt_error_wrap(err, "linux.sysctl `%s`", lx->sysctl[i].key);
	}
	return 0;
}

/* runc and crun bring up lo in a network namespace they create: podman's --network none and
 * its pods (containers talking over localhost) depend on it. */
static int loopback_up(struct rt_init_ctx *ctx, struct rt_error *err)
{
	const struct rt_namespace *ns = &ctx->spec->linux_cfg.ns[RT_NS_NET];
	struct ifreq ifr;
	cleanup_close int s = -1;

	if (!ns->present || ns->path)
		return 0;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return rt_error_set(err, errno, "socket to bring up lo");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return rt_error_set(err, errno, "get the flags of lo");
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return rt_error_set(err, errno, "bring up lo");
	return 0;
}

static int set_names(struct rt_init_ctx *ctx, struct rt_error *err)
{
	const struct rt_spec *s = ctx->spec;

	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return rt_error_set(err, errno, "sethostname `%s`", s->hostname);
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return rt_error_set(err, errno, "setdomainname `%s`", s->domainname);
	return 0;
}

/* create: until the parent has the state on disk, a killed parent must take us with it (no
 * state, no client could find us).  It sends CONTINUE when it has; we disarm the death signal
 * and answer CONTINUE, and only then may it exit.
 * Runs under the seccomp filter when noNewPrivileges is false: read, prctl, write only. */
static int wait_for_commit(struct rt_init_ctx *ctx, struct rt_error *err)
{
	struct rt_sync_msg msg;

	if (rt_sync_read(ctx->sync_fd, &msg) < 0)
		return rt_error_set(err, errno, "wait for the state to be committed");
	if (msg.type != RT_SYNC_CONTINUE)
		_exit(1); /* the parent went away or aborted: nothing to report to */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (rt_sync_write(ctx->sync_fd, RT_SYNC_CONTINUE, 0, NULL) < 0)
		return rt_error_set(err, errno, "confirm the commit");
	return 0;
}

/* The exec fifo is reopened for writing through the container's own /proc (as runc does): the
 * host's procfs handle is closed before we wait, so that nothing of the host is reachable
 * through /proc/PID/fd of a created container.  Checked here, before any seccomp filter, to
 * name our fifo; a config without procfs on /proc cannot be `create`d. */
static int fifo_path(struct rt_init_ctx *ctx, char *path, size_t len, struct rt_error *err)
{
	struct stat ours, seen;

	snprintf(path, len, "/proc/self/fd/%d", ctx->fifo_fd);
	if (fstat(ctx->fifo_fd, &ours) < 0)
		return rt_error_set(err, errno, "exec fifo");
	if (stat(path, &seen) < 0)
		return rt_error_set(err, errno,
				    "exec fifo: `%s` (create needs procfs mounted on /proc)", path);
	if (ours.st_dev != seen.st_dev || ours.st_ino != seen.st_ino)
		return rt_error_set(err, EXDEV,
				    "exec fifo: `%s` in the container is not the fifo (create "
				    "needs procfs mounted on /proc)",
				    path);
	return 0;
}

/* Runs under the seccomp filter when noNewPrivileges is false: open, write, read only. */
static int wait_for_start(struct rt_init_ctx *ctx, const char *fifo, struct rt_error *err)
{
	struct rt_sync_msg msg;

	if (ctx->fifo_fd >= 0) {
		if (wait_for_commit(ctx, err) < 0)
			return -1;
		/* blocks until `start` opens the fifo for reading */
		int fd = open(fifo, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return rt_error_set(err, errno, "open exec fifo");
		if (write(fd, "0", 1) != 1)
			return rt_error_set(err, errno, "write exec fifo");
		/* fd stays open, close-on-exec: `start` sees EOF once we exec'd, or reads the error
		 * that stopped us before (rt_init_main) */
		ctx->fifo_write_fd = fd;
		ctx->started = 1;
		return 0;
	}
	if (rt_sync_read(ctx->sync_fd, &msg) < 0)
		return rt_error_set(err, errno, "wait for start");
	if (msg.type != RT_SYNC_START)
		_exit(1); /* the parent went away or aborted: nothing to report to */
	/* the parent committed the state before this: we may outlive it (a killed `run`) */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	return 0;
}

/* What the init holds from its first instruction is what husk's parent held, the caller's
 * fds included: keep only stdio, --preserve-fds, and what the set-up below uses. */
static int close_inherited_fds(struct rt_init_ctx *ctx, struct rt_error *err)
{
	size_t n_mounts = ctx->idmap_trees ? ctx->spec->n_mounts : 0, n = 0;
	cleanup_free int *keep = malloc((RT_NS_TYPES + 6 + n_mounts) * sizeof(int));

	if (keep == NULL)
		return rt_error_set(err, ENOMEM, "close inherited fds");
	keep[n++] = ctx->sync_fd;
	keep[n++] = ctx->procfd;
	keep[n++] = ctx->fifo_fd;
	keep[n++] = ctx->console_fd;
	keep[n++] = ctx->devices_fd;
	keep[n++] = rt_log_fd();
	for (int t = 0; t < RT_NS_TYPES; t++)
		keep[n++] = ctx->ns_fds[t];
	for (size_t i = 0; i < n_mounts; i++)
		keep[n++] = ctx->idmap_trees[i];
	return rt_process_close_fds_except(ctx->procfd, 3 + ctx->preserve_fds, keep, n, err);
}

/* Before the wait for `start`: the set-up's host handles go (procfs, the device program's
 * signal, idmapped trees already mounted).  The log file too, unless we run in the parent's
 * memory (vfork: its log settings are ours), where no `start` is waited for anyway. */
static void close_setup_fds(struct rt_init_ctx *ctx)
{
	rt_closep(&ctx->procfd);
	rt_closep(&ctx->devices_fd);
	for (size_t i = 0; ctx->idmap_trees && i < ctx->spec->n_mounts; i++)
		rt_closep(&ctx->idmap_trees[i]);
	if (!ctx->vfork && rt_log_fd() >= 0) {
		close(rt_log_fd());
		rt_log_init(-1, RT_LOG_TEXT, 0);
	}
}

/* Our pid as the host sees it: the procfs handle is the host's, so its "self" names us in the
 * host's pid namespace (getpid() says 1 in a new one).  Hooks and the seccomp agent need it. */
static pid_t host_pid(int procfd)
{
	char buf[32];
	ssize_t n = readlinkat(procfd, "self", buf, sizeof(buf) - 1);

	if (n <= 0)
		return getpid();
	buf[n] = '\0';
	return (pid_t)atoi(buf);
}

static char *state_json(struct rt_init_ctx *ctx, pid_t pid, enum rt_status status)
{
	struct rt_state st = {
	    .id = (char *)ctx->id,
	    .pid = pid,
	    .bundle = ctx->spec->bundle,
	    .rootfs = ctx->spec->root_path,
	    .annotations = ctx->spec->annotations,
	    .n_annotations = ctx->spec->n_annotations,
	};
	return rt_state_to_json(&st, status, 0);
}

static int run_hooks_in_container(struct rt_init_ctx *ctx, enum rt_hook_kind kind, pid_t pid,
				  enum rt_status status, struct rt_error *err)
{
	const struct rt_hook_list *l = &ctx->spec->hooks[kind];
	cleanup_free char *state = NULL;

	if (l->n == 0)
		return 0;
	/* the runtime's own state (created, owner... as `husk state` prints it) when the parent
	 * sent it with its go-ahead; built here from what we know otherwise */
	if (ctx->state_json) {
		json_t *o = json_loads(ctx->state_json, 0, NULL);
		if (o && json_object_set_new(o, "status", json_string(rt_status_name(status))) == 0)
			state = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	if (state == NULL)
		state = state_json(ctx, pid, status);
	if (state == NULL)
		return rt_error_set(err, ENOMEM, "state for %s hooks", rt_hook_kind_name(kind));
	return rt_hooks_run(l, kind, state, err);
}

/* Load linux.seccomp and hand a notify fd to the seccomp agent ourselves, over the socket
 * connected before pivot_root (listener_sock): in `create` mode the runtime parent is gone by
 * the time the filter is loaded (right before execve), so it cannot be the one to send it. */
static int install_seccomp(struct rt_init_ctx *ctx, int listener_sock, pid_t pid,
			   enum rt_status status, struct rt_error *err)
{
	const struct rt_seccomp *sc = ctx->spec->linux_cfg.seccomp;
	cleanup_close int notify_fd = -1;
	cleanup_free char *state = NULL, *msg = NULL;

	if (sc == NULL)
		return 0;
	/* build the message first: after the load, a notifying rule could stop us half-way */
	if (listener_sock >= 0) {
		state = state_json(ctx, pid, status);
		if (state == NULL)
			return rt_error_set(err, ENOMEM, "seccomp agent message");
		if (rt_seccomp_listener_message(state, pid, sc->listener_metadata, &msg, err) < 0)
			return -1;
	}
	if (rt_seccomp_install(sc, &notify_fd, err) < 0)
		return -1;
	if (notify_fd < 0)
		return 0;
	if (listener_sock < 0)
		return rt_error_set(err, EINVAL,
				    "linux.seccomp: SCMP_ACT_NOTIFY needs a listenerPath");
	if (rt_seccomp_send_listener_sock(listener_sock, msg, notify_fd, err) < 0)
		return rt_error_wrap(err, "linux.seccomp.listenerPath \"%s\"", sc->listener_path);
	return 0;
}

/* What the init's part of the last steps (last_steps.h) needs. */
struct init_steps {
	struct rt_init_ctx *ctx;
	int listener_sock;
	pid_t pid;
	char fifo[64];
};

/* Step 2: name our fifo while /proc is still ours to check, then drop the set-up's fds. */
static int init_checked(void *data, struct rt_error *err)
{
	struct init_steps *is = data;

	if (is->ctx->fifo_fd >= 0 && fifo_path(is->ctx, is->fifo, sizeof(is->fifo), err) < 0)
		return -1;
	close_setup_fds(is->ctx);
	return 0;
}

static int init_load_filter(void *data, int no_new_privs, struct rt_error *err)
{
	struct init_steps *is = data;

	return install_seccomp(is->ctx, is->listener_sock, is->pid,
			       no_new_privs ? RT_STATUS_RUNNING : RT_STATUS_CREATING, err);
}

/* Step 10: READY, then the commit and `start` (create); a vforked init (`run`) has nobody to
 * wait for.  Then the startContainer hooks. */
static int init_wait(void *data, struct rt_error *err)
{
	struct init_steps *is = data;
	struct rt_init_ctx *ctx = is->ctx;

	if (!ctx->vfork) {
		if (rt_sync_write(ctx->sync_fd, RT_SYNC_READY, 0, NULL) < 0)
			return rt_error_set(err, errno, "report ready");
		if (wait_for_start(ctx, is->fifo, err) < 0)
			return -1;
	}
	return run_hooks_in_container(ctx, RT_HOOK_START_CONTAINER, is->pid, RT_STATUS_CREATED,
				      err);
}

static void init_run(struct rt_init_ctx *ctx, struct rt_error *err)
{
	const struct rt_spec *spec = ctx->spec;
	const struct rt_process *p = ctx->process;
	struct rt_rootfs rootfs = {.spec = spec,
				   .procfd = ctx->procfd,
				   .rootfd = -1,
				   .idmap_trees = ctx->idmap_trees,
				   .cgroup_path = ctx->cgroup_path};
	const struct rt_seccomp *sc = spec->linux_cfg.seccomp;
	cleanup_close int listener_sock = -1;
	struct rt_sync_msg msg;
	const pid_t pid = host_pid(ctx->procfd);
	struct init_steps is = {.ctx = ctx, .listener_sock = -1, .pid = pid};
	/* we die with the parent until it committed the state (wait_for_start); a vforked init
	 * (`run`) execs without another word, and the parent's record names our cgroup until it
	 * writes our pid: it disarms in step 5, before any seccomp filter */
	const struct rt_last_steps steps = {.p = p,
					    .preserve_fds = ctx->preserve_fds,
					    .catch_stop_signals = 1,
					    .disarm_death_signal = ctx->vfork,
					    .data = &is,
					    .checked = init_checked,
					    .load_filter = init_load_filter,
					    .wait = init_wait};

	/* v1 cgroups are joined with the fds of the parent's handle: before they are closed */
	if (ctx->cgroup_attach && cg_attach(ctx->cgroup_attach, 0, err) < 0)
		return;
	if (close_inherited_fds(ctx, err) < 0 || join_namespaces(ctx, 1, err) < 0)
		return;
	if (ctx->unshare_flags & ~CLONE_NEWTIME) {
		if (unshare(ctx->unshare_flags & ~CLONE_NEWTIME) < 0) {
			rt_error_set(err, errno, "create namespaces");
			return;
		}
	}
	if (ctx->userns_new) {
		if (rt_sync_send(ctx->sync_fd, RT_SYNC_USERMAP, 0, NULL, -1) < 0 ||
		    rt_sync_expect(ctx->sync_fd, RT_SYNC_CONTINUE, &msg, NULL, err) < 0) {
			rt_error_set(err, errno, "wait for uid/gid maps");
			return;
		}
		/* become root of the new namespace so set-up files belong to the container's root
		 */
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
			rt_error_set(err, errno,
				     "become root in the user namespace (is 0 mapped?)");
			return;
		}
		rootfs.in_userns = 1;
	} else if (ctx->ns_fds[RT_NS_USER] >= 0 || spec->linux_cfg.ns[RT_NS_USER].path) {
		rootfs.in_userns = 1;
	}
	if (join_namespaces(ctx, 0, err) < 0 || set_time_offsets(ctx, err) < 0)
		return;
	if (ctx->no_new_keyring == 0 &&
	    syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0 && errno != ENOSYS) {
		/* keyrings are optional; a container must still start without them */
		rt_debug("join session keyring: %s", strerror(errno));
	}
	if (set_names(ctx, err) < 0 || set_sysctls(ctx, err) < 0 || loopback_up(ctx, err) < 0)
		return;
	umask(0);
	/* without a mount namespace of its own the container's mounts are made in the caller's
	 * (runc does the same); `delete` takes them down (rt_rootfs_hostns_undo) */
	rootfs.host_ns = !spec->linux_cfg.ns[RT_NS_MNT].present;
	if (rt_rootfs_prepare(&rootfs, err) < 0)
		return;
	if (ctx->has_hooks) {
		if (rt_sync_send(ctx->sync_fd, RT_SYNC_HOOKS, 0, NULL, -1) < 0 ||
		    rt_sync_expect(ctx->sync_fd, RT_SYNC_CONTINUE, &msg, NULL, err) < 0)
			return;
		/* empty when the parent's was too large for a message */
		ctx->state_json = msg.text[0] ? strdup(msg.text) : NULL;
	}
	if (run_hooks_in_container(ctx, RT_HOOK_CREATE_CONTAINER, pid, RT_STATUS_CREATED, err) < 0)
		return;
	/* the agent's socket is a host path: connect while the host's tree is still visible */
	if (sc && sc->listener_path) {
		listener_sock = rt_seccomp_listener_connect(sc->listener_path, err);
		if (listener_sock < 0)
			return;
		is.listener_sock = listener_sock;
	}
	if (rt_rootfs_pivot(&rootfs, ctx->no_pivot, err) < 0)
		return;
	close(rootfs.rootfd);
	if (p->terminal) {
		if (rt_terminal_setup(ctx->console_fd, p, 1, err) < 0)
			return;
		close(ctx->console_fd);
		ctx->console_fd = -1;
	}
	if (rt_rootfs_finish(&rootfs, err) < 0)
		return;
	/* the device program's helper thread has had all of the above to load and attach it:
	 * nothing of the container's may run before it is in place */
	if (rt_cgroup_devices_wait(ctx->devices_fd, err) < 0)
		return;
	if (rt_process_set_attrs(ctx->procfd, spec, p, err) < 0 ||
	    rt_process_set_lsm(ctx->procfd, p, err) < 0)
		return;
	rt_last_steps_run(&steps, err);
}

/* --- the runtime's own binary (the 2019 /proc/self/exe class) --- */

/* Is the image we run already safe to expose: on a read-only mount (our detached bind, or a
 * read-only /usr), or a sealed memfd? */
static int exe_is_protected(void)
{
	cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct statvfs sv;
	int seals;

	if (fd < 0)
		return 0;
	if (fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY))
		return 1;
	seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & F_SEAL_WRITE);
}

/* A read-only, detached bind mount of our binary: nobody can reach it by a path, and a reopen
 * of /proc/<pid>/exe for writing fails with EROFS whatever the caller's capabilities. */
static int exe_readonly_clone(struct rt_error *err)
{
	struct rt_mount_attr attr = {.attr_set =
					 0x1 /* RDONLY */ | 0x2 /* NOSUID */ | 0x4 /* NODEV */};
	cleanup_close int tree =
	    rt_sys_open_tree(AT_FDCWD, "/proc/self/exe", 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC);

	if (tree < 0)
		return rt_error_set(err, errno, "clone the mount of the husk binary");
	if (rt_sys_mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return rt_error_set(err, errno, "make the husk binary's clone read-only");
	return TAKE_FD(tree);
}

/* Fallback without the mount API: a sealed memfd copy (runc 1.1's design). */
static int exe_memfd_copy(struct rt_error *err)
{
	cleanup_close int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	cleanup_close int mfd =
	    (int)syscall(SYS_memfd_create, "husk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct stat st;

	if (src < 0 || mfd < 0 || fstat(src, &st) < 0)
		return rt_error_set(err, errno, "copy the husk binary to a memfd");
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
		if (n <= 0)
			return rt_error_set(err, n < 0 ? errno : EIO,
					    "copy the husk binary to a memfd");
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		return rt_error_set(err, errno, "seal the husk binary's memfd");
	return TAKE_FD(mfd);
}

int rt_init_exe_exposed(const struct rt_spec *spec)
{
	const struct rt_linux *lx = &spec->linux_cfg;

	/* without a user namespace of its own, the container's root is the host's root: it may
	 * write a root-owned binary and may be granted CAP_SYS_PTRACE over the host's namespace */
	if (!lx->ns[RT_NS_USER].present || lx->ns[RT_NS_USER].path)
		return 1;
	for (size_t i = 0; i < lx->n_uid_mappings; i++) {
		const struct rt_id_mapping *m = &lx->uid_mappings[i];
		if (m->host_id == 0 || (uint64_t)m->host_id + m->size > UINT32_MAX)
			return 1;
	}
	return 0;
}

int rt_init_protect_exe(int procfd, struct rt_error *err)
{
	cleanup_free char *cmdline = NULL;
	cleanup_free char **argv = NULL;
	cleanup_close int exe = -1;
	size_t len = 0, argc = 0;

	if (exe_is_protected())
		return 0;
	exe = exe_readonly_clone(err);
	if (exe < 0) {
		rt_debug("%s; falling back to a sealed memfd copy", err->msg);
		rt_error_release(err);
		exe = exe_memfd_copy(err);
		if (exe < 0)
			return -1;
	}
	if (rt_read_file_at(procfd, "self/cmdline", &cmdline, &len, err) < 0)
		return rt_error_wrap(err, "re-execute husk");
	for (size_t i = 0; i < len; i++)
		argc += cmdline[i] == '\0';
	argv = calloc(argc + 1, sizeof(*argv));
	if (argv == NULL)
		return rt_error_set(err, ENOMEM, "re-execute husk");
	for (size_t i = 0, k = 0; i < len && k < argc; k++) {
		argv[k] = cmdline + i;
		i += strlen(cmdline + i) + 1;
	}
	syscall(SYS_execveat, exe, "", argv, environ, AT_EMPTY_PATH);
	return rt_error_set(err, errno, "re-execute husk from its protected copy");
}

void rt_init_main(struct rt_init_ctx *ctx)
{
	struct rt_error err = RT_ERROR_INIT;

	/* until we exec, we run husk's image: keep it non-dumpable so that no process that can see
	 * us (a joined pid namespace, an exec'd process) may open /proc/<pid>/exe, read our memory
	 * or ptrace us without CAP_SYS_PTRACE in the host's user namespace.  First thing: the
	 * window between clone and here is the only one left (see SECURITY.md). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* die with the parent until it has committed the state; a parent that died before this
	 * closed its end of the socket (getppid() says 0 in a new pid namespace: no use) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || rt_sync_peer_gone(ctx->sync_fd))
		_exit(1);
	init_run(ctx, &err);
	if (!rt_error_is_set(&err))
		rt_error_set(&err, 0, "container init failed");
	/* after `start` the parent of a created container is gone: say it on the container's
	 * stderr as well, since nobody reads the sync socket any more */
	if (ctx->started && ctx->fifo_write_fd >= 0) {
		/* `start` is reading the fifo: it reports this and fails */
		if (rt_write_all(ctx->fifo_write_fd, err.msg, strlen(err.msg)) < 0)
			dprintf(2, "husk: %s\n", err.msg);
		_exit(1); /* nobody reads the sync socket: a write would only raise SIGPIPE */
	}
	rt_sync_fail(ctx->sync_fd, &err);
}
