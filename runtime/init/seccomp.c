#define _GNU_SOURCE
#include "seccomp.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/log.h"

/* libseccomp 2.6 added the WAIT_KILLABLE_RECV attribute; 2.5 builds report it unsupported. */
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define HAVE_SCMP_WAITKILL 1
#endif

#define MAX_SYSCALL_ARGS    6
#define DEFAULT_OCI_VERSION "1.2.0"

struct action_info {
	enum rt_seccomp_action action;
	const char *name;
	unsigned min_api; /* seccomp_api_get() level that has it (kernel and library) */
};

static const struct action_info actions[] = {
    {RT_SCMP_KILL, "SCMP_ACT_KILL", 1},
    {RT_SCMP_KILL_PROCESS, "SCMP_ACT_KILL_PROCESS", 3},
    {RT_SCMP_KILL_THREAD, "SCMP_ACT_KILL_THREAD", 1},
    {RT_SCMP_TRAP, "SCMP_ACT_TRAP", 1},
    {RT_SCMP_ERRNO, "SCMP_ACT_ERRNO", 1},
    {RT_SCMP_TRACE, "SCMP_ACT_TRACE", 1},
    {RT_SCMP_ALLOW, "SCMP_ACT_ALLOW", 1},
    {RT_SCMP_LOG, "SCMP_ACT_LOG", 3},
    {RT_SCMP_NOTIFY, "SCMP_ACT_NOTIFY", 5},
};

struct op_info {
	enum rt_seccomp_op op;
	const char *name;
	enum scmp_compare cmp;
};

static const struct op_info ops[] = {
    {RT_SCMP_CMP_NE, "SCMP_CMP_NE", SCMP_CMP_NE},
    {RT_SCMP_CMP_LT, "SCMP_CMP_LT", SCMP_CMP_LT},
    {RT_SCMP_CMP_LE, "SCMP_CMP_LE", SCMP_CMP_LE},
    {RT_SCMP_CMP_EQ, "SCMP_CMP_EQ", SCMP_CMP_EQ},
    {RT_SCMP_CMP_GE, "SCMP_CMP_GE", SCMP_CMP_GE},
    {RT_SCMP_CMP_GT, "SCMP_CMP_GT", SCMP_CMP_GT},
    {RT_SCMP_CMP_MASKED_EQ, "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

struct arch_info {
	const char *name;
	uint32_t token;
};

static const struct arch_info arches[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
#ifdef SCMP_ARCH_LOONGARCH64
    {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
#endif
#ifdef SCMP_ARCH_M68K
    {"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
#endif
#ifdef SCMP_ARCH_SH
    {"SCMP_ARCH_SH", SCMP_ARCH_SH},
    {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
#endif
};

struct flag_info {
	const char *name;
	int supported; /* the linked libseccomp has an attribute for it */
	enum scmp_filter_attr attr;
	unsigned min_api;
};

static const struct flag_info flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", 1, SCMP_FLTATR_CTL_TSYNC, 2},
    {"SECCOMP_FILTER_FLAG_LOG", 1, SCMP_FLTATR_CTL_LOG, 3},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1, SCMP_FLTATR_CTL_SSB, 4},
#ifdef HAVE_SCMP_WAITKILL
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1, SCMP_FLTATR_CTL_WAITKILL, 7},
#else
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 0, _SCMP_FLTATR_MIN, 7},
#endif
};

/* Number of arguments of the syscalls that take fewer than six, from the x86_64 kernel's
 * syscall trace formats (the SYSCALL_DEFINEn counts, the same on every architecture for these
 * names).  libseccomp does not know argument counts and accepts a comparison on an argument the
 * syscall does not have; such a rule never means what its author thinks (the register holds
 * garbage), so it is refused.  Names missing here (32-bit-only calls, newer syscalls) are not
 * checked. */
static const char *const syscalls_by_nargs[MAX_SYSCALL_ARGS] = {
    [0] = " fork getegid geteuid getgid getpgrp getpid getppid gettid getuid inotify_init "
	  " munlockall pause restart_syscall rt_sigreturn sched_yield setsid sync uprobe uretprobe "
	  " vfork vhangup ",
    [1] = " acct adjtimex alarm brk chdir chroot close dup epoll_create epoll_create1 eventfd exit "
	  " exit_group fchdir fdatasync fsync getpgid getsid inotify_init1 io_destroy iopl "
	  " memfd_secret mlockall mq_unlink newuname personality pipe pkey_free rmdir "
	  " sched_get_priority_max sched_get_priority_min sched_getscheduler set_tid_address "
	  " setfsgid setfsuid setgid setuid shmdt swapoff syncfs sysinfo time timer_delete "
	  " timer_getoverrun times umask unlink unshare userfaultfd ",
    [2] = " access arch_prctl capget capset chmod clock_adjtime clock_getres clock_gettime "
	  " clock_settime clone3 creat dup2 eventfd2 fanotify_init fchmod flock fremovexattr "
	  " fsopen fstatfs ftruncate getcwd getgroups getitimer getpriority getrlimit getrusage "
	  " gettimeofday inotify_rm_watch io_setup io_uring_setup ioprio_get kill "
	  " landlock_restrict_self link listen lremovexattr memfd_create mkdir mlock mq_notify "
	  " msgget munlock munmap nanosleep newfstat newlstat newstat pidfd_open pipe2 pivot_root "
	  " pkey_alloc process_mrelease removexattr rename rt_sigpending rt_sigsuspend "
	  " sched_getparam sched_rr_get_interval sched_setparam set_robust_list setdomainname "
	  " setgroups sethostname setns setpgid setregid setreuid setrlimit settimeofday shutdown "
	  " sigaltstack statfs swapon symlink timer_gettime timerfd_create timerfd_gettime tkill "
	  " truncate umount ustat utime utimes ",
    [3] = " accept bind bpf chown close_range connect dup3 execve faccessat fchmodat fchown fcntl "
	  " flistxattr fsmount fspick futimesat get_robust_list getcpu getdents getdents64 "
	  " getpeername getrandom getresgid getresuid getsockname inotify_add_watch io_cancel "
	  " io_submit ioctl ioperm ioprio_set landlock_create_ruleset lchown listxattr llistxattr "
	  " lseek lsm_list_modules madvise membarrier mincore mkdirat mknod mlock2 modify_ldt "
	  " mprotect mq_getsetattr mseal msgctl msync open open_by_handle_at open_tree pidfd_getfd "
	  " poll read readahead readlink readv recvmsg rt_sigqueueinfo sched_getaffinity "
	  " sched_setaffinity sched_setattr sched_setscheduler seccomp semget semop sendmsg "
	  " set_mempolicy setitimer setpriority setresgid setresuid shmat shmctl shmget signalfd "
	  " socket symlinkat sysfs syslog tgkill timer_create unlinkat write writev ",
    [4] = " accept4 cachestat clock_nanosleep epoll_ctl epoll_wait faccessat2 fadvise64 fallocate "
	  " fchmodat2 fgetxattr futex_requeue futex_wake getxattr io_uring_register "
	  " landlock_add_rule lgetxattr listmount lsm_get_self_attr lsm_set_self_attr "
	  " migrate_pages mknodat mq_open msgsnd newfstatat openat openat2 pidfd_send_signal "
	  " pkey_mprotect pread64 prlimit64 ptrace pwrite64 quotactl quotactl_fd readlinkat reboot "
	  " removexattrat renameat request_key rseq rt_sigaction rt_sigprocmask rt_sigtimedwait "
	  " rt_tgsigqueueinfo sched_getattr semctl semtimedop sendfile64 sendmmsg "
	  " set_mempolicy_home_node signalfd4 socketpair statmount sync_file_range tee "
	  " timer_settime timerfd_settime utimensat vmsplice wait4 ",
    [5] = " add_key clone execveat fanotify_mark fchownat file_getattr file_setattr fsconfig "
	  " fsetxattr futex_waitv get_mempolicy getsockopt io_getevents kcmp keyctl linkat "
	  " listxattrat lsetxattr mount mount_setattr move_mount mq_timedreceive mq_timedsend "
	  " mremap msgrcv name_to_handle_at open_tree_attr perf_event_open ppoll prctl preadv "
	  " process_madvise pwritev recvmmsg remap_file_pages renameat2 select setsockopt setxattr "
	  " statx waitid ",
};

const char *rt_seccomp_action_name(enum rt_seccomp_action action)
{
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (actions[i].action == action)
			return actions[i].name;
	return "unknown action";
}

const char *rt_seccomp_op_name(enum rt_seccomp_op op)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (ops[i].op == op)
			return ops[i].name;
	return "unknown operator";
}

/* Arguments the syscall takes, or MAX_SYSCALL_ARGS when unknown or six. */
static unsigned syscall_nargs(const char *name)
{
	char key[80];

	if (snprintf(key, sizeof(key), " %s ", name) >= (int)sizeof(key))
		return MAX_SYSCALL_ARGS;
	for (unsigned n = 0; n < MAX_SYSCALL_ARGS; n++)
		if (strstr(syscalls_by_nargs[n], key))
			return n;
	return MAX_SYSCALL_ARGS;
}

/* The 32-bit libseccomp action for action + errnoRet.  ERRNO and TRACE carry errnoRet (EPERM
 * when absent, as runc does); other actions have nowhere to put it, so giving one is an error
 * rather than a silently ignored field. */
static int resolve_action(enum rt_seccomp_action action, int has_errno_ret, unsigned errno_ret,
			  uint32_t *ret, struct rt_error *err)
{
	const struct action_info *info = NULL;
	unsigned api = seccomp_api_get();
	unsigned ret_code = has_errno_ret ? errno_ret : EPERM;

	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (actions[i].action == action)
			info = &actions[i];
	if (info == NULL)
		return rt_error_set(err, EINVAL, "unknown action %d", (int)action);
	if (api < info->min_api)
		return rt_error_set(
		    err, ENOTSUP,
		    "%s: not supported by this kernel and libseccomp (API level %u, "
		    "needs %u)",
		    info->name, api, info->min_api);
	if (has_errno_ret && action != RT_SCMP_ERRNO && action != RT_SCMP_TRACE)
		return rt_error_set(err, EINVAL,
				    "errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, "
				    "not %s",
				    info->name);
	/* The kernel hands back at most MAX_ERRNO; a larger value would be truncated to 16 bits
	 * and come out as a different errno. */
	if (has_errno_ret && errno_ret > 4095)
		return rt_error_set(err, ERANGE, "errnoRet %u: out of range 0..4095", errno_ret);

	switch (action) {
	case RT_SCMP_KILL:
	case RT_SCMP_KILL_THREAD: *ret = SCMP_ACT_KILL_THREAD; break;
	case RT_SCMP_KILL_PROCESS: *ret = SCMP_ACT_KILL_PROCESS; break;
	case RT_SCMP_TRAP: *ret = SCMP_ACT_TRAP; break;
	case RT_SCMP_ERRNO: *ret = SCMP_ACT_ERRNO(ret_code); break;
	case RT_SCMP_TRACE: *ret = SCMP_ACT_TRACE(ret_code); break;
	case RT_SCMP_ALLOW: *ret = SCMP_ACT_ALLOW; break;
	case RT_SCMP_LOG: *ret = SCMP_ACT_LOG; break;
	case RT_SCMP_NOTIFY: *ret = SCMP_ACT_NOTIFY; break;
	}
	return 0;
}

static int add_architectures(scmp_filter_ctx ctx, const struct rt_seccomp *cfg,
			     struct rt_error *err)
{
	for (size_t i = 0; i < cfg->n_architectures; i++) {
		const char *name = cfg->architectures[i];
		const struct arch_info *info = NULL;
		int rc;

		for (size_t j = 0; j < ARRAY_SIZE(arches); j++)
			if (strcmp(arches[j].name, name) == 0)
				info = &arches[j];
		if (info == NULL)
			return rt_error_set(err, EINVAL,
					    "architectures[%zu]: unknown architecture \"%s\"", i,
					    name);
		/* The native architecture is in every new context already: -EEXIST is fine. */
		rc = seccomp_arch_add(ctx, info->token);
		if (rc < 0 && rc != -EEXIST)
			return rt_error_set(err, -rc, "architectures[%zu]: add \"%s\"", i, name);
	}
	return 0;
}

static int set_flags(scmp_filter_ctx ctx, const struct rt_seccomp *cfg, struct rt_error *err)
{
	unsigned api = seccomp_api_get();

	for (size_t i = 0; i < cfg->n_flags; i++) {
		const char *name = cfg->flags[i];
		const struct flag_info *info = NULL;
		int rc;

		for (size_t j = 0; j < ARRAY_SIZE(flags); j++)
			if (strcmp(flags[j].name, name) == 0)
				info = &flags[j];
		if (info == NULL)
			return rt_error_set(err, EINVAL, "flags[%zu]: unknown flag \"%s\"", i,
					    name);
		if (!info->supported)
			return rt_error_set(
			    err, ENOTSUP,
			    "flags[%zu]: %s is not supported by libseccomp %u.%u.%u "
			    "(needs 2.6)",
			    i, name, seccomp_version()->major, seccomp_version()->minor,
			    seccomp_version()->micro);
		if (api < info->min_api)
			return rt_error_set(err, ENOTSUP,
					    "flags[%zu]: %s is not supported by this kernel and "
					    "libseccomp (API level %u, needs %u)",
					    i, name, api, info->min_api);
		rc = seccomp_attr_set(ctx, info->attr, 1);
		if (rc < 0)
			return rt_error_set(err, -rc, "flags[%zu]: set %s", i, name);
	}
	return 0;
}

/* Translate args into libseccomp comparisons; *ret_same_index is set when two args compare the
 * same argument, which libseccomp cannot AND in one rule. */
static int build_conditions(const char *name, const struct rt_seccomp_rule *rule,
			    struct scmp_arg_cmp *conds, int *ret_same_index, struct rt_error *err)
{
	unsigned nargs = syscall_nargs(name);
	unsigned seen = 0;

	*ret_same_index = 0;
	for (size_t k = 0; k < rule->n_args; k++) {
		const struct rt_seccomp_arg *arg = &rule->args[k];
		const struct op_info *op = NULL;

		for (size_t j = 0; j < ARRAY_SIZE(ops); j++)
			if (ops[j].op == arg->op)
				op = &ops[j];
		if (op == NULL)
			return rt_error_set(err, EINVAL, "args[%zu]: unknown operator %d", k,
					    (int)arg->op);
		if (arg->index >= MAX_SYSCALL_ARGS)
			return rt_error_set(err, EINVAL, "args[%zu]: index %u out of range 0..5", k,
					    arg->index);
		if (arg->index >= nargs)
			return rt_error_set(err, EINVAL,
					    "args[%zu]: index %u, but %s takes %u argument%s", k,
					    arg->index, name, nargs, nargs == 1 ? "" : "s");
		if (seen & (1U << arg->index))
			*ret_same_index = 1;
		seen |= 1U << arg->index;
		/* For MASKED_EQ the OCI value is the mask and valueTwo the expected result. */
		conds[k] = (struct scmp_arg_cmp){
		    .arg = arg->index,
		    .op = op->cmp,
		    .datum_a = arg->value,
		    .datum_b = op->cmp == SCMP_CMP_MASKED_EQ ? arg->value_two : 0,
		};
	}
	return 0;
}

static int add_syscall_rule(scmp_filter_ctx ctx, const char *name, int nr, uint32_t action,
			    const struct rt_seccomp_rule *rule, struct rt_error *err)
{
	cleanup_free struct scmp_arg_cmp *conds = NULL;
	int same_index, rc = 0;

	if (rule->n_args > 0) {
		conds = calloc(rule->n_args, sizeof(*conds));
		if (conds == NULL)
			return rt_error_set(err, ENOMEM, "allocate %zu conditions", rule->n_args);
	}
	if (build_conditions(name, rule, conds, &same_index, err) < 0)
		return -1;

	/* Several comparisons of the same argument: one rule per comparison, so that any of them
	 * matching triggers the action (runc's behaviour, which existing profiles rely on). */
	if (same_index) {
		for (size_t k = 0; k < rule->n_args && rc == 0; k++)
			rc = seccomp_rule_add_array(ctx, action, nr, 1, &conds[k]);
	} else {
		rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)rule->n_args, conds);
	}
	if (rc == -EINVAL)
		return rt_error_set(err, EINVAL,
				    "libseccomp refused the rule for %s (invalid argument "
				    "comparison or action for this syscall)",
				    name);
	if (rc < 0)
		return rt_error_set(err, -rc, "add rule for %s", name);
	return 0;
}

/* The notify fd is handed to the runtime parent after the filter is loaded, with sendmsg
 * (and error reports go out with write): notifying those would block the hand-off on an agent
 * that has not received the fd yet. */
static int notify_allowed(const char *name)
{
	return strcmp(name, "write") != 0 && strcmp(name, "sendmsg") != 0;
}

static int add_rules(scmp_filter_ctx ctx, const struct rt_seccomp *cfg, uint32_t default_action,
		     size_t *ret_n_notify, struct rt_error *err)
{
	*ret_n_notify = 0;
	for (size_t i = 0; i < cfg->n_rules; i++) {
		const struct rt_seccomp_rule *rule = &cfg->rules[i];
		uint32_t action;

		if (resolve_action(rule->action, rule->has_errno_ret, rule->errno_ret, &action,
				   err) < 0)
			return rt_error_wrap(err, "syscalls[%zu]", i);
		for (size_t j = 0; j < rule->n_names; j++) {
			const char *name = rule->names[j];
			int nr;

			if (rule->action == RT_SCMP_NOTIFY && !notify_allowed(name))
				return rt_error_set(
				    err, EINVAL,
				    "syscalls[%zu]: SCMP_ACT_NOTIFY cannot be used "
				    "for \"%s\" (husk needs it to hand the notify fd "
				    "over)",
				    i, name);
			/* Unknown to this libseccomp: skipped like runc does, so one profile
			 * serves old and new kernels. */
			nr = seccomp_syscall_resolve_name(name);
			if (nr == __NR_SCMP_ERROR) {
				rt_debug("seccomp: syscalls[%zu]: unknown syscall \"%s\" skipped",
					 i, name);
				continue;
			}
			/* libseccomp refuses a rule that repeats the default action (-EACCES);
			 * it would change nothing anyway. */
			if (action == default_action) {
				rt_debug("seccomp: syscalls[%zu]: \"%s\" has the default action, "
					 "skipped",
					 i, name);
				continue;
			}
			if (add_syscall_rule(ctx, name, nr, action, rule, err) < 0)
				return rt_error_wrap(err, "syscalls[%zu] \"%s\"", i, name);
			if (rule->action == RT_SCMP_NOTIFY)
				(*ret_n_notify)++;
		}
	}
	return 0;
}

static int build_filter(const struct rt_seccomp *cfg, scmp_filter_ctx *ret_ctx,
			size_t *ret_n_notify, struct rt_error *err)
{
	cleanup_seccomp scmp_filter_ctx ctx = NULL;
	uint32_t default_action;
	int rc;

	if (resolve_action(cfg->default_action, cfg->has_default_errno_ret, cfg->default_errno_ret,
			   &default_action, err) < 0)
		return rt_error_wrap(err, "linux.seccomp: defaultAction");
	/* Every syscall of the process, the fd hand-off included, would wait for an agent that
	 * cannot have the fd yet. */
	if (cfg->default_action == RT_SCMP_NOTIFY)
		return rt_error_set(err, EINVAL,
				    "linux.seccomp: defaultAction: SCMP_ACT_NOTIFY cannot be the "
				    "default action");

	ctx = seccomp_init(default_action);
	if (ctx == NULL)
		return rt_error_set(err, EINVAL,
				    "linux.seccomp: create filter with defaultAction %s",
				    rt_seccomp_action_name(cfg->default_action));
	/* no_new_privs is process.noNewPrivileges' business, set by the caller; libseccomp would
	 * set it on load behind the spec's back. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0)
		return rt_error_set(err, -rc, "linux.seccomp: clear the no_new_privs attribute");
	/* Report the kernel's errno from seccomp_load instead of a generic -ECANCELED. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1) < 0)
		rt_debug("seccomp: SCMP_FLTATR_API_SYSRAWRC unsupported");

	if (add_architectures(ctx, cfg, err) < 0 || set_flags(ctx, cfg, err) < 0 ||
	    add_rules(ctx, cfg, default_action, ret_n_notify, err) < 0)
		return rt_error_wrap(err, "linux.seccomp");
	*ret_ctx = TAKE_PTR(ctx);
	return 0;
}

int rt_seccomp_build(const struct rt_seccomp *cfg, scmp_filter_ctx *ret_ctx, struct rt_error *err)
{
	size_t n_notify;

	return build_filter(cfg, ret_ctx, &n_notify, err);
}

int rt_seccomp_install(const struct rt_seccomp *cfg, int *ret_notify_fd, struct rt_error *err)
{
	cleanup_seccomp scmp_filter_ctx ctx = NULL;
	size_t n_notify = 0;
	int rc, fd;

	*ret_notify_fd = -1;
	if (build_filter(cfg, &ctx, &n_notify, err) < 0)
		return -1;
	rc = seccomp_load(ctx);
	if (rc < 0)
		return rt_error_set(err, -rc, "linux.seccomp: load the filter");
	if (n_notify == 0)
		return 0;
	/* The listener fd was created by the load (libseccomp asks for it when a rule notifies);
	 * the kernel opens it close-on-exec. */
	fd = seccomp_notify_fd(ctx);
	if (fd < 0)
		return rt_error_set(err, -fd, "linux.seccomp: get the user notification fd");
	*ret_notify_fd = fd;
	return 0;
}

int rt_seccomp_listener_message(const char *state_json, pid_t pid, const char *metadata,
				char **ret_json, struct rt_error *err)
{
	json_auto_t *state = NULL, *msg = NULL;
	json_error_t jerr;
	const char *version;
	char *text;

	state = json_loads(state_json, 0, &jerr);
	if (state == NULL || !json_is_object(state))
		return rt_error_set(err, EINVAL, "seccomp agent message: container state: %s",
				    state ? "not a JSON object" : jerr.text);
	version = json_string_value(json_object_get(state, "ociVersion"));
	msg =
	    json_pack("{s:s,s:[s],s:I,s:O}", "ociVersion", version ? version : DEFAULT_OCI_VERSION,
		      "fds", "seccompFd", "pid", (json_int_t)pid, "state", state);
	if (msg == NULL)
		return rt_error_set(err, ENOMEM, "seccomp agent message: build JSON");
	if (metadata && *metadata &&
	    json_object_set_new(msg, "metadata", json_string(metadata)) < 0)
		return rt_error_set(err, EINVAL,
				    "seccomp agent message: listenerMetadata is not valid UTF-8");
	text = json_dumps(msg, JSON_COMPACT);
	if (text == NULL)
		return rt_error_set(err, ENOMEM, "seccomp agent message: serialize JSON");
	*ret_json = text;
	return 0;
}

/* First chunk of the message, carrying the notify fd. */
static ssize_t send_with_fd(int sock, const char *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control.buf,
	    .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	memset(&control, 0, sizeof(control));
	cmsg = CMSG_FIRSTHDR(&mh);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

int rt_seccomp_listener_connect(const char *listener_path, struct rt_error *err)
{
	cleanup_close int sock = -1;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if (strlen(listener_path) >= sizeof(addr.sun_path))
		return rt_error_set(err, ENAMETOOLONG, "seccomp listenerPath \"%s\"",
				    listener_path);
	memcpy(addr.sun_path, listener_path, strlen(listener_path) + 1);

	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return rt_error_set(err, errno, "seccomp listenerPath: create unix socket");
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return rt_error_set(err, errno, "connect to seccomp listenerPath \"%s\"",
				    listener_path);
	return TAKE_FD(sock);
}

int rt_seccomp_send_listener_sock(int sock, const char *message, int notify_fd,
				  struct rt_error *err)
{
	size_t len = strlen(message), off;
	ssize_t n;

	n = send_with_fd(sock, message, len, notify_fd);
	if (n < 0)
		return rt_error_set(err, errno, "send the seccomp fd to the seccomp agent");
	/* A stream socket may take the text in pieces; the fd went with the first one. */
	for (off = (size_t)n; off < len; off += (size_t)n) {
		n = send(sock, message + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0)
			return rt_error_set(err, errno,
					    "send the container state to the seccomp agent");
	}
	return 0;
}

int rt_seccomp_send_listener(const char *listener_path, const char *message, int notify_fd,
			     struct rt_error *err)
{
	cleanup_close int sock = rt_seccomp_listener_connect(listener_path, err);

	if (sock < 0)
		return -1;
	if (rt_seccomp_send_listener_sock(sock, message, notify_fd, err) < 0)
		return rt_error_wrap(err, "seccomp listenerPath \"%s\"", listener_path);
	return 0;
}

_Static_assert(ARRAY_SIZE(arches) < RT_SECCOMP_FEATURES_MAX, "features.archs too small");
_Static_assert(ARRAY_SIZE(actions) < RT_SECCOMP_FEATURES_MAX, "features.actions too small");

void rt_seccomp_features(struct rt_seccomp_features *ret)
{
	const struct scmp_version *v = seccomp_version();
	unsigned api = seccomp_api_get();
	size_t n;

	memset(ret, 0, sizeof(*ret));
	ret->api_level = api;
	snprintf(ret->lib_version, sizeof(ret->lib_version), "%u.%u.%u", v->major, v->minor,
		 v->micro);
	n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (api >= actions[i].min_api)
			ret->actions[n++] = actions[i].name;
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		ret->operators[i] = ops[i].name;
	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		ret->archs[i] = arches[i].name;
	n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (flags[i].supported && api >= flags[i].min_api)
			ret->flags[n++] = flags[i].name;
}
