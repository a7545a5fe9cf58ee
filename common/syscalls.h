/* Thin wrappers for system calls that glibc 2.36 lacks or wraps late.  Each returns -1 with
 * errno set (ENOSYS where the kernel does not have the call); callers detect support by
 * ENOSYS, never by kernel version. */
#ifndef HUSK_COMMON_SYSCALLS_H
#define HUSK_COMMON_SYSCALLS_H

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif
#ifndef __NR_fsopen
#define __NR_fsopen 430
#endif
#ifndef __NR_fsconfig
#define __NR_fsconfig 431
#endif
#ifndef __NR_fsmount
#define __NR_fsmount 432
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Kernel constants newer than some C libraries' headers, in one place (values from the
 * kernel's uapi headers).  The mount API (after <sys/mount.h>, whose newer versions declare
 * the FSCONFIG_* names as an enum that a macro defined first would break): */
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef MOUNT_ATTR_NOSUID
#define MOUNT_ATTR_NOSUID 0x00000002
#endif
#ifndef MOUNT_ATTR_NODEV
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef MOUNT_ATTR_NOEXEC
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif
#ifndef FSCONFIG_SET_STRING
#define FSCONFIG_SET_STRING 1
#endif
#ifndef FSCONFIG_CMD_CREATE
#define FSCONFIG_CMD_CREATE 6
#endif
/* memfd seals, ambient capabilities, the deadline scheduler, netlink acks: */
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#endif
#ifndef PR_CAP_AMBIENT_RAISE
#define PR_CAP_AMBIENT_RAISE 2
#endif
#ifndef PR_CAP_AMBIENT_CLEAR_ALL
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

static inline long rt_sys_clone3(struct clone_args *args, size_t size)
{
	return syscall(__NR_clone3, args, size);
}

#define RT_STR_(x) #x
#define RT_STR(x)  RT_STR_(x)

/* clone3 whose child runs fn(arg) on args->stack and exits with its result: for CLONE_VM
 * children, which must not return through the caller's frames.  The parent gets the pid or -1
 * with errno; ENOSYS where husk has no trampoline for the architecture (clone3_fn.c). */
long rt_sys_clone3_fn(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);

/* A child that borrows our memory until it execs or exits, as posix_spawn's: args gets
 * CLONE_VM|CLONE_VFORK and the stack (a part of the caller's own stack that outlives the call),
 * and we sleep until the child is done with both.  Sanitizer builds are told.  On failure args
 * is as it was, for a fork instead (ENOSYS: no clone3, or no trampoline here). */
long rt_clone_vfork(struct clone_args *args, void *stack, size_t stack_size, int (*fn)(void *),
		    void *arg);
/* What such a child gets: the init's deepest path (sync messages of 32 KiB, PATH_MAX buffers,
 * libseccomp) with room to spare, also under the sanitizers' larger frames. */
#define RT_VFORK_STACK_SIZE (512 * 1024)

static inline int rt_sys_openat2(int dirfd, const char *path, struct open_how *how, size_t size)
{
	return (int)syscall(__NR_openat2, dirfd, path, how, size);
}

static inline int rt_sys_pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)syscall(__NR_pidfd_open, pid, flags);
}

static inline int rt_sys_pidfd_send_signal(int pidfd, int sig, siginfo_t *info, unsigned int flags)
{
	return (int)syscall(__NR_pidfd_send_signal, pidfd, sig, info, flags);
}

static inline int rt_sys_pidfd_getfd(int pidfd, int fd, unsigned int flags)
{
	return (int)syscall(__NR_pidfd_getfd, pidfd, fd, flags);
}

static inline int rt_sys_close_range(unsigned int first, unsigned int last, unsigned int flags)
{
	return (int)syscall(__NR_close_range, first, last, flags);
}

static inline int rt_sys_open_tree(int dirfd, const char *path, unsigned int flags)
{
	return (int)syscall(__NR_open_tree, dirfd, path, flags);
}

static inline int rt_sys_move_mount(int from_dirfd, const char *from_path, int to_dirfd,
				    const char *to_path, unsigned int flags)
{
	return (int)syscall(__NR_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}

static inline int rt_sys_fsopen(const char *fsname, unsigned int flags)
{
	return (int)syscall(__NR_fsopen, fsname, flags);
}

static inline int rt_sys_fsconfig(int fd, unsigned int cmd, const char *key, const void *value,
				  int aux)
{
	return (int)syscall(__NR_fsconfig, fd, cmd, key, value, aux);
}

static inline int rt_sys_fsmount(int fd, unsigned int flags, unsigned int attr_flags)
{
	return (int)syscall(__NR_fsmount, fd, flags, attr_flags);
}

struct rt_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

static inline int rt_sys_mount_setattr(int dirfd, const char *path, unsigned int flags,
				       struct rt_mount_attr *attr, size_t size)
{
	return (int)syscall(__NR_mount_setattr, dirfd, path, flags, attr, size);
}

#endif
