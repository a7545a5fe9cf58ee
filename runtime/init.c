#define _GNU_SOURCE
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/syscalls.h"
#include "caps.h"
#include "hooks.h"
#include "mount.h"
#include "seccomp.h"
#include "sync.h"
#include "terminal.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


/* Namespaces to join, in an order where each setns is still permitted: user first (it grants
 * the capabilities for the rest), mount last but one, time last (it needs a single thread only). */
static const enum rt_ns_type join_order[] = {RT_NS_USER, RT_NS_IPC, RT_NS_UTS, RT_NS_NET,
					     RT_NS_CGROUP, RT_NS_MNT, RT_NS_TIME};

static int join_namespaces(struct rt_init_ctx *ctx, int user, struct rt_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(join_order); i++) {
		enum rt_ns_type t = join_order[i];
		if ((t == RT_NS_USER) != user || ctx->ns_fds[t] < 0)
			continue;
		if (setns(ctx->ns_fds[t], rt_ns_clone_flag(t)) < 0)
			return rt_error_set(err, errno, "join %s namespace `%s`", rt_ns_type_name(t),
					    ctx->spec->linux_cfg.ns[t].path);
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
	nsfd = rt_procfs_openat(ctx->procfd, "self/ns/time_for_children", O_RDONLY, err);
	if (nsfd < 0)
		return -1;
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
		if (rt_procfs_write(ctx->procfd, path, lx->sysctl[i].value, strlen(lx->sysctl[i].value),
				    err) < 0)
			return rt_error_wrap(err, "linux.sysctl `%s`", lx->sysctl[i].key);
	}
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

static int set_rlimits(const struct rt_process *p, struct rt_error *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
		if (setrlimit(p->rlimits[i].resource, &rl) < 0) {
			struct rlimit cur;
			getrlimit(p->rlimits[i].resource, &cur);
			return rt_error_set(err, errno,
					    "process.rlimits: set %s to soft=%llu hard=%llu (current hard "
					    "limit %llu; raising a hard limit needs CAP_SYS_RESOURCE)",
					    p->rlimits[i].name, (unsigned long long)rl.rlim_cur,
					    (unsigned long long)rl.rlim_max, (unsigned long long)cur.rlim_max);
		}
	}
	return 0;
}

static int parse_cpu_list(const char *list, cpu_set_t *set)
{
	const char *p = list;

	CPU_ZERO(set);
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			return -1;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				return -1;
		}
		for (unsigned long c = a; c <= b && c < CPU_SETSIZE; c++)
			CPU_SET(c, set);
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return 0;
}

static int set_affinity(const char *list, struct rt_error *err)
{
	cpu_set_t set;

	if (list == NULL || *list == '\0')
		return 0;
	if (parse_cpu_list(list, &set) < 0)
		return rt_error_set(err, EINVAL, "process.execCPUAffinity: bad cpu list `%s`", list);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return rt_error_set(err, errno, "process.execCPUAffinity: set `%s`", list);
	return 0;
}

struct rt_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

static int set_process_attrs(struct rt_init_ctx *ctx, struct rt_error *err)
{
	const struct rt_process *p = ctx->process;
	const struct rt_linux *lx = &ctx->spec->linux_cfg;

	if (p->has_oom_score_adj) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
		if (rt_procfs_write(ctx->procfd, "self/oom_score_adj", buf, (size_t)n, err) < 0)
			return rt_error_wrap(err, "process.oomScoreAdj");
	}
	if (set_rlimits(p, err) < 0)
		return -1;
	if (lx->has_personality && personality(lx->personality.domain) < 0)
		return rt_error_set(err, errno, "linux.personality");
	if (p->has_scheduler) {
		struct rt_sched_attr a = {
			.size = sizeof(a),
			.sched_policy = (uint32_t)p->scheduler.policy,
			.sched_flags = p->scheduler.flags,
			.sched_nice = p->scheduler.nice,
			.sched_priority = (uint32_t)p->scheduler.priority,
			.sched_runtime = p->scheduler.runtime,
			.sched_deadline = p->scheduler.deadline,
			.sched_period = p->scheduler.period,
		};
		if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
			return rt_error_set(err, errno, "process.scheduler");
	}
	if (p->has_io_priority) {
		int prio = (p->io_priority.klass << 13) | p->io_priority.priority;
		if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, prio) < 0)
			return rt_error_set(err, errno, "process.ioPriority");
	}
	if (p->has_exec_cpu_affinity && set_affinity(p->exec_cpu_affinity.initial, err) < 0)
		return -1;
	return 0;
}

static int set_user(struct rt_init_ctx *ctx, struct rt_error *err)
{
	const struct rt_process *p = ctx->process;
	const struct rt_user *u = &p->user;

	if (p->has_caps && rt_caps_drop_bounding(&p->caps, err) < 0)
		return -1;
	if (setgroups(u->n_additional_gids, u->additional_gids) < 0) {
		/* a user namespace with setgroups denied cannot change groups; that is only fatal
		 * when the spec asked for some */
		if (!(errno == EPERM && u->n_additional_gids == 0))
			return rt_error_set(err, errno, "process.user.additionalGids: setgroups");
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return rt_error_set(err, errno, "prctl(PR_SET_KEEPCAPS)");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return rt_error_set(err, errno, "process.user.gid: setgid(%u)", (unsigned)u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return rt_error_set(err, errno, "process.user.uid: setuid(%u)", (unsigned)u->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return rt_error_set(err, errno, "prctl(PR_SET_KEEPCAPS)");
	if (p->has_caps && rt_caps_apply(&p->caps, err) < 0)
		return -1;
	umask(u->has_umask ? u->umask : 0022);
	return 0;
}

/* Find the program the way execvp would, but with the container's PATH. */
static int lookup_exec(const struct rt_process *p, char *ret, size_t len, struct rt_error *err)
{
	const char *file = p->args[0];
	const char *path = NULL;

	if (strchr(file, '/')) {
		if (access(file, X_OK) < 0)
			return rt_error_set(err, errno, "exec `%s`", file);
		snprintf(ret, len, "%s", file);
		return 0;
	}
	for (size_t i = 0; i < p->n_env; i++)
		if (strncmp(p->env[i], "PATH=", 5) == 0)
			path = p->env[i] + 5;
	if (path == NULL)
		path = DEFAULT_PATH;
	for (const char *d = path;;) {
		const char *e = strchrnul(d, ':');
		struct stat st;
		int n = snprintf(ret, len, "%.*s%s%s", (int)(e - d), d, e == d ? "" : "/", file);
		if (n > 0 && (size_t)n < len && access(ret, X_OK) == 0 && stat(ret, &st) == 0 &&
		    S_ISREG(st.st_mode))
			return 0;
		if (*e == '\0')
			break;
		d = e + 1;
	}
	return rt_error_set(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", file);
}

/* process.cwd: made if missing, then checked to be inside the container.  A cwd reached
 * through a leaked host fd (/proc/self/fd/N, the 2024 runc CVE) is outside the root and
 * getcwd() reports it as unreachable. */
static int enter_cwd(struct rt_init_ctx *ctx, struct rt_error *err)
{
	const char *cwd = ctx->process->cwd ? ctx->process->cwd : "/";
	char buf[PATH_MAX];

	if (chdir(cwd) < 0) {
		if (errno != ENOENT)
			return rt_error_set(err, errno, "process.cwd: chdir `%s`", cwd);
		cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		cleanup_close int fd = rt_mkdir_in_root(root, cwd, 0755, err);
		if (fd < 0)
			return rt_error_wrap(err, "process.cwd");
		if (chdir(cwd) < 0)
			return rt_error_set(err, errno, "process.cwd: chdir `%s`", cwd);
	}
	if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
		return rt_error_set(err, EPERM, "process.cwd `%s` is outside the container", cwd);
	return 0;
}

static int wait_for_start(struct rt_init_ctx *ctx, struct rt_error *err)
{
	struct rt_sync_msg msg;

	if (ctx->fifo_fd >= 0) {
		char p[64];
		/* blocks until `start` opens the fifo for reading */
		snprintf(p, sizeof(p), "self/fd/%d", ctx->fifo_fd);
		int fd = openat(ctx->procfd, p, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return rt_error_set(err, errno, "open exec fifo");
		if (write(fd, "0", 1) != 1)
			return rt_error_set(err, errno, "write exec fifo");
		/* fd stays open, close-on-exec: `start` sees EOF once we exec'd (or died) */
		close(ctx->fifo_fd);
		ctx->fifo_fd = -1;
		ctx->started = 1;
		return 0;
	}
	if (rt_sync_recv(ctx->sync_fd, &msg, NULL) < 0)
		return rt_error_set(err, errno, "wait for start");
	if (msg.type != RT_SYNC_START)
		_exit(1); /* the parent went away or aborted: nothing to report to */
	return 0;
}

static int run_hooks_in_container(struct rt_init_ctx *ctx, enum rt_hook_kind kind, const char *status,
				  struct rt_error *err)
{
	const struct rt_hook_list *l = &ctx->spec->hooks[kind];
	char state[1024];

	if (l->n == 0)
		return 0;
	snprintf(state, sizeof(state),
		 "{\"ociVersion\":\"1.2.0\",\"id\":\"%s\",\"status\":\"%s\",\"pid\":%d,\"bundle\":\"%s\"}",
		 ctx->id, status, (int)getpid(), ctx->spec->bundle);
	return rt_hooks_run(l, kind, state, err);
}

static int install_seccomp(struct rt_init_ctx *ctx, struct rt_error *err)
{
	int notify_fd = -1;

	if (ctx->spec->linux_cfg.seccomp == NULL)
		return 0;
	if (rt_seccomp_install(ctx->spec->linux_cfg.seccomp, &notify_fd, err) < 0)
		return -1;
	if (notify_fd >= 0) {
		/* sendmsg, which a NOTIFY rule may not target (the hand-off would wait on itself) */
		int r = rt_sync_send(ctx->sync_fd, RT_SYNC_SECCOMP_FD, 0, NULL, notify_fd);
		close(notify_fd);
		if (r < 0)
			return rt_error_set(err, errno, "hand the seccomp notify fd to the runtime");
	}
	return 0;
}

/* Mark every fd from `first` on close-on-exec; without close_range, walk /proc/self/fd. */
static int close_range_cloexec(int first, struct rt_error *err)
{
	if (rt_sys_close_range((unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return rt_error_set(err, errno, "close_range");
	for (int fd = first; fd < 65536; fd++)
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
			return rt_error_set(err, errno, "set close-on-exec on fd %d", fd);
	return 0;
}

static void init_run(struct rt_init_ctx *ctx, struct rt_error *err)
{
	const struct rt_spec *spec = ctx->spec;
	const struct rt_process *p = ctx->process;
	struct rt_rootfs rootfs = {.spec = spec, .procfd = ctx->procfd, .rootfd = -1};
	struct rt_sync_msg msg;
	char exe[PATH_MAX];
	int ptmx_slave = -1;

	/* until we exec, we run husk's image: keep it non-dumpable so no process that can see us
	 * may open /proc/<pid>/exe (the 2019 runc overwrite) or ptrace us */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (join_namespaces(ctx, 1, err) < 0)
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
		/* become root of the new namespace so set-up files belong to the container's root */
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
			rt_error_set(err, errno, "become root in the user namespace (is 0 mapped?)");
			return;
		}
		rootfs.in_userns = 1;
	} else if (ctx->ns_fds[RT_NS_USER] >= 0 || spec->linux_cfg.ns[RT_NS_USER].path) {
		rootfs.in_userns = 1;
	}
	if (join_namespaces(ctx, 0, err) < 0 || set_time_offsets(ctx, err) < 0)
		return;
	if (ctx->no_new_keyring == 0 && syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0 &&
	    errno != ENOSYS) {
		/* keyrings are optional; a container must still start without them */
		rt_debug("join session keyring: %s", strerror(errno));
	}
	if (set_names(ctx, err) < 0 || set_sysctls(ctx, err) < 0)
		return;
	umask(0);
	if (spec->linux_cfg.ns[RT_NS_MNT].present) {
		if (rt_rootfs_prepare(&rootfs, err) < 0)
			return;
	} else {
		rt_error_set(err, EINVAL, "a mount namespace is required");
		return;
	}
	if (ctx->has_hooks_before_pivot) {
		if (rt_sync_send(ctx->sync_fd, RT_SYNC_HOOKS, 0, NULL, -1) < 0 ||
		    rt_sync_expect(ctx->sync_fd, RT_SYNC_CONTINUE, &msg, NULL, err) < 0)
			return;
	}
	if (run_hooks_in_container(ctx, RT_HOOK_CREATE_CONTAINER, "creating", err) < 0)
		return;
	if (rt_rootfs_pivot(&rootfs, ctx->no_pivot, err) < 0)
		return;
	close(rootfs.rootfd);
	if (p->terminal) {
		if (rt_terminal_setup(ctx->console_fd, p, &ptmx_slave, err) < 0)
			return;
		close(ctx->console_fd);
		ctx->console_fd = -1;
	}
	if (rt_rootfs_finish(&rootfs, err) < 0)
		return;
	if (set_process_attrs(ctx, err) < 0)
		return;
	/* without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which a non-root user has
	 * given up after set_user: load it before (runc does the same) */
	if (!p->no_new_privileges && install_seccomp(ctx, err) < 0)
		return;
	if (set_user(ctx, err) < 0)
		return;
	if (enter_cwd(ctx, err) < 0)
		return;
	if (lookup_exec(p, exe, sizeof(exe), err) < 0)
		return;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		rt_error_set(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
		return;
	}
	/* the parent may exit once we are ready (create): its death must not kill us */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (rt_sync_send(ctx->sync_fd, RT_SYNC_READY, 0, NULL, -1) < 0) {
		rt_error_set(err, errno, "report ready");
		return;
	}
	if (wait_for_start(ctx, err) < 0)
		return;
	if (run_hooks_in_container(ctx, RT_HOOK_START_CONTAINER, "created", err) < 0)
		return;
	if (p->has_exec_cpu_affinity && set_affinity(p->exec_cpu_affinity.final, err) < 0)
		return;
	close(ctx->procfd);
	/* nothing of the runtime's may reach the program: mark every fd past stdio and the
	 * preserved ones close-on-exec (the sync socket stays open until exec: its EOF tells the
	 * parent that exec happened).  Before seccomp, which may deny close_range. */
	if (close_range_cloexec(3 + ctx->preserve_fds, err) < 0)
		return;
	if (p->no_new_privileges && install_seccomp(ctx, err) < 0)
		return;
	execve(exe, p->args, p->env);
	rt_error_set(err, errno, "exec `%s`", exe);
}

void rt_init_main(struct rt_init_ctx *ctx)
{
	struct rt_error err = RT_ERROR_INIT;

	/* die with the parent until we are ready; in a new pid namespace getppid() is 0 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    (getppid() != ctx->parent_pid && getppid() != 0))
		_exit(1);
	init_run(ctx, &err);
	if (!rt_error_is_set(&err))
		rt_error_set(&err, 0, "container init failed");
	/* after `start` the parent of a created container is gone: say it on the container's
	 * stderr as well, since nobody reads the sync socket any more */
	if (ctx->started)
		dprintf(2, "husk: %s\n", err.msg);
	rt_sync_fail(ctx->sync_fd, &err);
}
