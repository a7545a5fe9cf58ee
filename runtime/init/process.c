#define _GNU_SOURCE
#include "process.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/cpulist.h"
#include "../../common/fsutil.h"
#include "../../common/procfs.h"
#include "../../common/syscalls.h"
#include "caps.h"
#include "seccomp.h"
#include "../core/sync.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int set_rlimits(const struct rt_process *p, struct rt_error *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
		if (setrlimit(p->rlimits[i].resource, &rl) < 0) {
			struct rlimit cur;
			getrlimit(p->rlimits[i].resource, &cur);
			return rt_error_set(
			    err, errno,
			    "process.rlimits: set %s to soft=%llu hard=%llu (current hard "
			    "limit %llu; raising a hard limit needs CAP_SYS_RESOURCE)",
			    p->rlimits[i].name, (unsigned long long)rl.rlim_cur,
			    (unsigned long long)rl.rlim_max, (unsigned long long)cur.rlim_max);
		}
	}
	return 0;
}

/* The list was checked with the spec (rt_cpu_list_check); cpus past CPU_SETSIZE are left out. */
static int parse_cpu_list(const char *list, cpu_set_t *set)
{
	struct rt_cpulist it = RT_CPULIST(list);
	unsigned long a, b;
	int r;

	CPU_ZERO(set);
	while ((r = rt_cpulist_next(&it, &a, &b)) > 0) {
		if (b < a)
			return -1;
		for (unsigned long c = a; c <= b && c < CPU_SETSIZE; c++)
			CPU_SET(c, set);
	}
	return r;
}

int rt_process_set_affinity(const char *list, struct rt_error *err)
{
	cpu_set_t set;

	if (list == NULL || *list == '\0')
		return 0;
	if (parse_cpu_list(list, &set) < 0)
		return rt_error_set(err, EINVAL, "process.execCPUAffinity: bad cpu list `%s`",
				    list);
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

int rt_process_set_attrs(int procfd, const struct rt_spec *spec, const struct rt_process *p,
			 struct rt_error *err)
{
	const struct rt_linux *lx = &spec->linux_cfg;

	if (p->has_oom_score_adj) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
		if (rt_procfs_write(procfd, "self/oom_score_adj", buf, (size_t)n, err) < 0)
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
	if (p->has_exec_cpu_affinity &&
	    rt_process_set_affinity(p->exec_cpu_affinity.initial, err) < 0)
		return -1;
	return 0;
}

/* /sys/fs/selinux of the host is out of sight once the container's mount namespace is joined,
 * so ask procfs: with SELinux active, attr/current holds a context with ':' in it (AppArmor's
 * reads "unconfined" or a profile name; without an LSM the read fails). */
static int selinux_enabled(int procfd)
{
	struct rt_error e = RT_ERROR_INIT;
	cleanup_close int fd = rt_procfs_openat(procfd, "self/attr/current", O_RDONLY, &e);
	char buf[256];
	ssize_t n;

	rt_error_release(&e);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	return strchr(buf, ':') != NULL;
}

int rt_process_set_lsm(int procfd, const struct rt_process *p, struct rt_error *err)
{
	if (p->apparmor_profile && *p->apparmor_profile) {
		cleanup_free char *cmd = NULL;
		int n = asprintf(&cmd, "exec %s", p->apparmor_profile);
		if (n < 0)
			return rt_error_set(err, ENOMEM, "process.apparmorProfile");
		/* attr/apparmor/ is the LSM-stacking-safe place (5.8+); attr/exec before it */
		if (rt_procfs_write(procfd, "self/attr/apparmor/exec", cmd, (size_t)n, err) < 0) {
			rt_error_release(err);
			if (rt_procfs_write(procfd, "self/attr/exec", cmd, (size_t)n, err) < 0) {
				rt_error_release(err);
				return rt_error_set(err, EINVAL,
						    "process.apparmorProfile `%s`: AppArmor is not "
						    "enabled on this host",
						    p->apparmor_profile);
			}
		}
	}
	if (p->selinux_label && *p->selinux_label && selinux_enabled(procfd)) {
		if (rt_procfs_write(procfd, "self/attr/exec", p->selinux_label,
				    strlen(p->selinux_label), err) < 0)
			return rt_error_wrap(err, "process.selinuxLabel `%s`", p->selinux_label);
	}
	return 0;
}

int rt_process_set_user(const struct rt_process *p, struct rt_error *err)
{
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
	return 0;
}

void rt_process_set_umask(const struct rt_process *p)
{
	umask(p->user.has_umask ? p->user.umask : 0022);
}

/* Find the program the way execvp would, but with the container's PATH. */
int rt_process_lookup_exec(const struct rt_process *p, char *ret, size_t len, struct rt_error *err)
{
	const char *file = p->args[0];
	const char *path = NULL;

	if (strchr(file, '/')) {
		struct stat st;
		if (access(file, X_OK) < 0)
			return rt_error_set(err, errno, "exec: \"%s\"", file);
		/* a directory passes root's X_OK; execve would refuse it only after `start` */
		if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
			return rt_error_set(err, EACCES, "exec: \"%s\"", file);
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
	/* runc's wording, which clients match to report 127; no strerror suffix */
	char msg[PATH_MAX + 64];
	snprintf(msg, sizeof(msg), "exec: \"%s\": executable file not found in $PATH", file);
	return rt_error_set_raw(err, ENOENT, msg);
}

/* process.cwd: made if missing, entered, and checked to be inside the container.  A cwd
 * reached through a leaked host fd (/proc/self/fd/N, the 2024 runc CVE) is outside the root
 * and getcwd() reports it as unreachable.  Done as root, before the seccomp filter (which may
 * deny getcwd or mkdir); a directory root may not enter but the user may (a volume chowned to
 * the user, root squashed) is entered after the switch, as runc does: *ret_later is then 1. */
int rt_process_prepare_cwd(const struct rt_process *p, int *ret_later, struct rt_error *err)
{
	const char *cwd = p->cwd ? p->cwd : "/";
	char buf[PATH_MAX];

	*ret_later = 0;
	if (chdir(cwd) < 0) {
		if (errno == EACCES || errno == EPERM) {
			*ret_later = 1;
			return 0;
		}
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

int rt_process_enter_cwd_late(const struct rt_process *p, struct rt_error *err)
{
	const char *cwd = p->cwd ? p->cwd : "/";

	if (chdir(cwd) < 0)
		return rt_error_set(err, errno, "process.cwd: chdir `%s`", cwd);
	return 0;
}

int rt_process_install_seccomp(const struct rt_seccomp *seccomp, int sync_fd, struct rt_error *err)
{
	int notify_fd = -1;

	if (seccomp == NULL)
		return 0;
	if (rt_seccomp_install(seccomp, &notify_fd, err) < 0)
		return -1;
	if (notify_fd >= 0) {
		/* sendmsg, which a NOTIFY rule may not target (the hand-off would wait on itself)
		 */
		int r = rt_sync_send(sync_fd, RT_SYNC_SECCOMP_FD, 0, NULL, notify_fd);
		close(notify_fd);
		if (r < 0)
			return rt_error_set(err, errno,
					    "hand the seccomp notify fd to the runtime");
	}
	return 0;
}

/* Mark every fd from `first` on close-on-exec.  A seccomp profile may deny close_range with
 * any errno (EPERM as often as ENOSYS): walk the table with fcntl then, as runc does. */
int rt_process_cloexec_from(int first, struct rt_error *err)
{
	struct rlimit rl;
	int last = 65535;

	if (rt_sys_close_range((unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)INT_MAX)
		last = (int)rl.rlim_cur - 1;
	for (int fd = first; fd <= last; fd++)
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
			return rt_error_set(err, errno, "set close-on-exec on fd %d", fd);
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int is_kept(int fd, const int *keep, size_t n)
{
	return bsearch(&fd, keep, n, sizeof(int), cmp_int) != NULL;
}

/* Without close_range (before 5.9): the fds are those /proc/self/fd lists. */
static int close_listed_fds(int procfd, int first, const int *keep, size_t n, struct rt_error *err)
{
	cleanup_close int dfd = openat(procfd, "self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = NULL;
	struct dirent *de;

	if (dfd < 0 || (d = fdopendir(dfd)) == NULL)
		return rt_error_set(err, errno, "list our fds in /proc/self/fd");
	dfd = -1; /* the DIR owns it now */
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		if (*end || end == de->d_name || fd < first || fd == dirfd(d) ||
		    is_kept((int)fd, keep, n))
			continue;
		close((int)fd);
	}
	return 0;
}

int rt_process_close_fds_except(int procfd, int first, const int *keep, size_t n_keep,
				struct rt_error *err)
{
	cleanup_free int *k = malloc((n_keep + 1) * sizeof(int));
	size_t n = 0;
	int lo = first;

	if (k == NULL)
		return rt_error_set(err, ENOMEM, "close the fds husk does not pass on");
	for (size_t i = 0; i < n_keep; i++)
		if (keep[i] >= first)
			k[n++] = keep[i];
	qsort(k, n, sizeof(int), cmp_int);
	for (size_t i = 0; i <= n; i++) {
		int hi = i < n ? k[i] - 1 : INT_MAX;
		if (hi >= lo && rt_sys_close_range((unsigned)lo, (unsigned)hi, 0) < 0)
			return close_listed_fds(procfd, first, k, n, err);
		if (i < n)
			lo = k[i] + 1;
	}
	return 0;
}

int rt_process_reset_signals(struct rt_error *err)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;

	/* Ignored signals survive execve: a container started by a caller that ignores SIGHUP
	 * (nohup, some supervisors) or SIGPIPE would inherit that, and a POSIX shell cannot even
	 * trap a signal ignored at entry.  runc and crun reset them all; so do we. */
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, &dfl, NULL) == 0)
			continue;
		if (errno != EINVAL)
			return rt_error_set(err, errno, "reset the disposition of signal %d", sig);
		/* glibc keeps 32 and 33 for itself and refuses them; a caller may still have left
		 * them ignored (make does): the kernel call takes them */
		struct {
			void *handler;
			unsigned long flags;
			void *restorer;
			uint64_t mask;
		} kdfl = {.handler = SIG_DFL};
		if (syscall(SYS_rt_sigaction, sig, &kdfl, NULL, sizeof(kdfl.mask)) < 0)
			return rt_error_set(err, errno, "reset the disposition of signal %d", sig);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return rt_error_set(err, errno, "unblock signals");
	return 0;
}
