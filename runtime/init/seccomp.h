/* linux.seccomp enforcement: struct rt_seccomp (spec.h) -> a libseccomp filter loaded in the
 * container process, and the OCI seccomp-agent hand-off of the notify fd (listenerPath). */
#ifndef HUSK_RUNTIME_SECCOMP_H
#define HUSK_RUNTIME_SECCOMP_H

#include <errno.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/types.h>

#include "../../common/cleanup.h"
#include "../../common/error.h"
#include "../spec/spec.h"

DEFINE_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release)
#define cleanup_seccomp __attribute__((cleanup(seccomp_releasep)))

/* Build the filter for cfg without loading it: every action, errnoRet, architecture, argument
 * comparison and flag is checked and translated.  Unknown syscall names are skipped (debug log),
 * so one profile serves several kernels; rules whose action equals the default action are
 * skipped.  Errors name the field: `linux.seccomp.syscalls[3] "getcwd": args[0]: ...`. */
int rt_seccomp_build(const struct rt_seccomp *cfg, scmp_filter_ctx *ret_ctx, struct rt_error *err);

/* Build and load the filter into the calling process.  Call it in the container process as late
 * as possible, right before execve, so husk's own set-up is not filtered.  libseccomp is told not
 * to set no_new_privs: the caller sets it when process.noNewPrivileges asks (before this call),
 * otherwise the process must still hold CAP_SYS_ADMIN here.
 * *ret_notify_fd gets the user-notification listener fd (O_CLOEXEC, owned by the caller) when a
 * rule uses SCMP_ACT_NOTIFY, else -1; it must then be handed to the runtime parent with sendmsg
 * (which is why NOTIFY on write/sendmsg is refused: the hand-off would wait on itself). */
int rt_seccomp_install(const struct rt_seccomp *cfg, int *ret_notify_fd, struct rt_error *err);

/* The OCI "containerProcessState" message for the seccomp agent:
 *   {"ociVersion":..,"fds":["seccompFd"],"pid":pid,"metadata":metadata,"state":<state_json>}
 * state_json is the container's state object (as `husk state` prints it); metadata is
 * linux.seccomp.listenerMetadata (omitted when NULL or empty).  *ret_json is heap-owned. */
int rt_seccomp_listener_message(const char *state_json, pid_t pid, const char *metadata,
				char **ret_json, struct rt_error *err);

/* Connect to the agent's unix socket at listener_path and send message (from
 * rt_seccomp_listener_message) with notify_fd attached (SCM_RIGHTS), as one stream. */
int rt_seccomp_send_listener(const char *listener_path, const char *message, int notify_fd,
			     struct rt_error *err);

/* The same in two steps, for a process that must connect while it still sees the host's
 * filesystem (the container init, before pivot_root) and send later (after the filter is
 * loaded, right before execve).  The socket is SOCK_CLOEXEC. */
int rt_seccomp_listener_connect(const char *listener_path, struct rt_error *err);
int rt_seccomp_send_listener_sock(int sock, const char *message, int notify_fd,
				  struct rt_error *err);

/* What the linked libseccomp and the running kernel really support, for `husk features`.
 * Arrays are NULL-terminated and point to static strings. */
#define RT_SECCOMP_FEATURES_MAX 32
struct rt_seccomp_features {
	const char *actions[RT_SECCOMP_FEATURES_MAX];	/* "SCMP_ACT_ALLOW", ... */
	const char *operators[RT_SECCOMP_FEATURES_MAX]; /* "SCMP_CMP_EQ", ... */
	const char *archs[RT_SECCOMP_FEATURES_MAX];	/* "SCMP_ARCH_X86_64", ... */
	const char *flags[RT_SECCOMP_FEATURES_MAX];	/* "SECCOMP_FILTER_FLAG_TSYNC", ... */
	unsigned api_level;				/* seccomp_api_get() */
	char lib_version[24];				/* "2.5.4": the linked library */
};
void rt_seccomp_features(struct rt_seccomp_features *ret);

/* OCI spelling of the enums of spec.h ("SCMP_ACT_ERRNO", "SCMP_CMP_MASKED_EQ"). */
const char *rt_seccomp_action_name(enum rt_seccomp_action action);
const char *rt_seccomp_op_name(enum rt_seccomp_op op);

#endif
