#define _GNU_SOURCE
/* The default linux.seccomp profile that `husk spec` writes: the container default that docker
 * (moby profiles/seccomp/default.json) and podman ship, resolved the way their generators
 * resolve it for a container with the default capabilities (CAP_AUDIT_WRITE, CAP_KILL,
 * CAP_NET_BIND_SERVICE):
 *   - rules that need a capability the container lacks (mount, unshare, setns, bpf, ptrace of
 *     others, reboot, chroot, module loading, clock setting...) are left out, so they fall to
 *     the default action: EPERM;
 *   - rules that apply only WITHOUT CAP_SYS_ADMIN are kept: clone may not carry any
 *     namespace-creating flag, and clone3 (whose flags live in memory that seccomp cannot
 *     inspect) fails with ENOSYS so that glibc falls back to clone;
 *   - the architectures and the arch-only syscalls are those of the machine husk was built for,
 *     as docker's archMap picks them for the host it runs on.
 * Names unknown to the running kernel or libseccomp are skipped by seccomp.c, so one list serves
 * old and new kernels. */
#include "seccomp_default.h"

/* The JSON is written below as C tokens and stringized: the preprocessor escapes the quotes, so
 * the profile reads as JSON here and is stored as one compact literal.  Every JSON() piece keeps
 * its separators inside; the pieces concatenate into a single string. */
#define JSON(...) #__VA_ARGS__

/* clang-format off */
#if defined(__x86_64__) || defined(__i386__)
#define ARCHES JSON("SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32")
#define ARCH_SYSCALLS \
	JSON({"names":["arch_prctl","modify_ldt"],"action":"SCMP_ACT_ALLOW"},)
#elif defined(__aarch64__) || defined(__arm__)
#define ARCHES JSON("SCMP_ARCH_AARCH64","SCMP_ARCH_ARM")
#define ARCH_SYSCALLS \
	JSON({"names":["arm_fadvise64_64","arm_sync_file_range","sync_file_range2","breakpoint",)\
	JSON("cacheflush","set_tls"],"action":"SCMP_ACT_ALLOW"},)
#elif defined(__powerpc64__)
#define ARCHES JSON("SCMP_ARCH_PPC64LE")
#define ARCH_SYSCALLS \
	JSON({"names":["sync_file_range2","swapcontext"],"action":"SCMP_ACT_ALLOW"},)
#elif defined(__s390x__)
#define ARCHES JSON("SCMP_ARCH_S390X","SCMP_ARCH_S390")
#define ARCH_SYSCALLS \
	JSON({"names":["s390_pci_mmio_read","s390_pci_mmio_write","s390_runtime_instr"],)\
	JSON("action":"SCMP_ACT_ALLOW"},)
#elif defined(__riscv) && __riscv_xlen == 64
#define ARCHES JSON("SCMP_ARCH_RISCV64")
#define ARCH_SYSCALLS \
	JSON({"names":["riscv_flush_icache"],"action":"SCMP_ACT_ALLOW"},)
#else
/* An empty list means the native architecture only. */
#define ARCHES ""
#define ARCH_SYSCALLS ""
#endif

/* s390 passes clone's flags as the second argument. */
#if defined(__s390x__)
#define CLONE_FLAGS_ARG "1"
#else
#define CLONE_FLAGS_ARG "0"
#endif

#define ALLOW_PERSONALITY(persona) \
	JSON({"names":["personality"],"action":"SCMP_ACT_ALLOW",)\
	JSON("args":[{"index":0,"value":persona,"op":"SCMP_CMP_EQ"}]},)

static const char default_profile[] =
	JSON({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":[)
	ARCHES
	JSON(],"syscalls":[)
	JSON({"names":[)
	JSON("accept","accept4","access","adjtimex","alarm","bind","brk","capget","capset","chdir",)
	JSON("chmod","chown","chown32","clock_adjtime","clock_adjtime64","clock_getres",)
	JSON("clock_getres_time64","clock_gettime","clock_gettime64","clock_nanosleep",)
	JSON("clock_nanosleep_time64","close","close_range","connect","copy_file_range","creat",)
	JSON("dup","dup2","dup3","epoll_create","epoll_create1","epoll_ctl","epoll_ctl_old",)
	JSON("epoll_pwait","epoll_pwait2","epoll_wait","epoll_wait_old","eventfd","eventfd2",)
	JSON("execve","execveat","exit","exit_group","faccessat","faccessat2","fadvise64",)
	JSON("fadvise64_64","fallocate","fanotify_mark","fchdir","fchmod","fchmodat","fchown",)
	JSON("fchown32","fchownat","fcntl","fcntl64","fdatasync","fgetxattr","flistxattr","flock",)
	JSON("fork","fremovexattr","fsetxattr","fstat","fstat64","fstatat64","fstatfs","fstatfs64",)
	JSON("fsync","ftruncate","ftruncate64","futex","futex_time64","futex_waitv","futimesat",)
	JSON("getcpu","getcwd","getdents","getdents64","getegid","getegid32","geteuid","geteuid32",)
	JSON("getgid","getgid32","getgroups","getgroups32","getitimer","getpeername","getpgid",)
	JSON("getpgrp","getpid","getppid","getpriority","getrandom","getresgid","getresgid32",)
	JSON("getresuid","getresuid32","getrlimit","get_robust_list","getrusage","getsid",)
	JSON("getsockname","getsockopt","get_thread_area","gettid","gettimeofday","getuid",)
	JSON("getuid32","getxattr","inotify_add_watch","inotify_init","inotify_init1",)
	JSON("inotify_rm_watch","io_cancel","ioctl","io_destroy","io_getevents","io_pgetevents",)
	JSON("io_pgetevents_time64","ioprio_get","ioprio_set","io_setup","io_submit",)
	JSON("io_uring_enter","io_uring_register","io_uring_setup","ipc","kill",)
	JSON("landlock_add_rule","landlock_create_ruleset","landlock_restrict_self","lchown",)
	JSON("lchown32","lgetxattr","link","linkat","listen","listxattr","llistxattr","_llseek",)
	JSON("lremovexattr","lseek","lsetxattr","lstat","lstat64","madvise","membarrier",)
	JSON("memfd_create","memfd_secret","mincore","mkdir","mkdirat","mknod","mknodat","mlock",)
	JSON("mlock2","mlockall","mmap","mmap2","mprotect","mq_getsetattr","mq_notify","mq_open",)
	JSON("mq_timedreceive","mq_timedreceive_time64","mq_timedsend","mq_timedsend_time64",)
	JSON("mq_unlink","mremap","msgctl","msgget","msgrcv","msgsnd","msync","munlock",)
	JSON("munlockall","munmap","name_to_handle_at","nanosleep","newfstatat","_newselect",)
	JSON("open","openat","openat2","pause","pidfd_open","pidfd_send_signal","pipe","pipe2",)
	JSON("pkey_alloc","pkey_free","pkey_mprotect","poll","ppoll","ppoll_time64","prctl",)
	JSON("pread64","preadv","preadv2","prlimit64","process_mrelease","pselect6",)
	JSON("pselect6_time64","pwrite64","pwritev","pwritev2","read","readahead","readlink",)
	JSON("readlinkat","readv","recv","recvfrom","recvmmsg","recvmmsg_time64","recvmsg",)
	JSON("remap_file_pages","removexattr","rename","renameat","renameat2","restart_syscall",)
	JSON("rmdir","rseq","rt_sigaction","rt_sigpending","rt_sigprocmask","rt_sigqueueinfo",)
	JSON("rt_sigreturn","rt_sigsuspend","rt_sigtimedwait","rt_sigtimedwait_time64",)
	JSON("rt_tgsigqueueinfo","sched_getaffinity","sched_getattr","sched_getparam",)
	JSON("sched_get_priority_max","sched_get_priority_min","sched_getscheduler",)
	JSON("sched_rr_get_interval","sched_rr_get_interval_time64","sched_setaffinity",)
	JSON("sched_setattr","sched_setparam","sched_setscheduler","sched_yield","seccomp",)
	JSON("select","semctl","semget","semop","semtimedop","semtimedop_time64","send","sendfile",)
	JSON("sendfile64","sendmmsg","sendmsg","sendto","setfsgid","setfsgid32","setfsuid",)
	JSON("setfsuid32","setgid","setgid32","setgroups","setgroups32","setitimer","setpgid",)
	JSON("setpriority","setregid","setregid32","setresgid","setresgid32","setresuid",)
	JSON("setresuid32","setreuid","setreuid32","setrlimit","set_robust_list","setsid",)
	JSON("setsockopt","set_thread_area","set_tid_address","setuid","setuid32","setxattr",)
	JSON("shmat","shmctl","shmdt","shmget","shutdown","sigaltstack","signalfd","signalfd4",)
	JSON("sigprocmask","sigreturn","socketcall","socketpair","splice","stat","stat64","statfs",)
	JSON("statfs64","statx","symlink","symlinkat","sync","sync_file_range","syncfs","sysinfo",)
	JSON("tee","tgkill","time","timer_create","timer_delete","timer_getoverrun",)
	JSON("timer_gettime","timer_gettime64","timer_settime","timer_settime64","timerfd_create",)
	JSON("timerfd_gettime","timerfd_gettime64","timerfd_settime","timerfd_settime64","times",)
	JSON("tkill","truncate","truncate64","ugetrlimit","umask","uname","unlink","unlinkat",)
	JSON("utime","utimensat","utimensat_time64","utimes","vfork","vmsplice","wait4","waitid",)
	JSON("waitpid","write","writev","process_vm_readv","process_vm_writev","ptrace")
	JSON(],"action":"SCMP_ACT_ALLOW"},)
	/* AF_VSOCK (40) reaches the host's hypervisor services, outside the network namespace. */
	JSON({"names":["socket"],"action":"SCMP_ACT_ALLOW",)
	JSON("args":[{"index":0,"value":40,"op":"SCMP_CMP_NE"}]},)
	/* personality: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32 and the 0xffffffff
	 * query; not READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE, which weaken the process. */
	ALLOW_PERSONALITY(0)
	ALLOW_PERSONALITY(8)
	ALLOW_PERSONALITY(131072)
	ALLOW_PERSONALITY(131080)
	ALLOW_PERSONALITY(4294967295)
	ARCH_SYSCALLS
	/* clone without CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (0x7e020000):
	 * threads and fork are fine, new namespaces need CAP_SYS_ADMIN. */
	JSON({"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":)
	CLONE_FLAGS_ARG
	JSON(,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]},)
	/* ENOSYS (38), not EPERM: glibc and Go runtimes then retry with clone, which is checked. */
	JSON({"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38})
	JSON(]})
	;
/* clang-format on */

const char *rt_seccomp_default_profile(void)
{
	return default_profile;
}
