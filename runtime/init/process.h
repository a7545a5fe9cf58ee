/* Turning the calling process into the container's process: attributes, user, capabilities,
 * cwd, seccomp, fds, program lookup.  Shared by the init (create/run) and exec. */
#ifndef HUSK_RUNTIME_PROCESS_H
#define HUSK_RUNTIME_PROCESS_H

#include <stddef.h>

#include "../../common/error.h"
#include "../spec/spec.h"

/* oomScoreAdj (through the procfs handle), rlimits, personality, scheduler, ioPriority and
 * the initial execCPUAffinity. */
int rt_process_set_attrs(int procfd, const struct rt_spec *spec, const struct rt_process *p,
			 struct rt_error *err);
/* process.apparmorProfile and process.selinuxLabel, applied at the next execve through
 * /proc/self/attr.  A profile on a host without AppArmor is an error (the process would run
 * unconfined); a label on a host without SELinux is ignored, as runc does. */
int rt_process_set_lsm(int procfd, const struct rt_process *p, struct rt_error *err);
/* Bounding set, groups, gid, uid (keeping capabilities across the change), the other
 * capability sets: only the calls runc makes there, as it may run under a seccomp filter. */
int rt_process_set_user(const struct rt_process *p, struct rt_error *err);
/* process.user.umask, or 022. */
void rt_process_set_umask(const struct rt_process *p);
/* chdir to process.cwd (made if missing) and refuse a cwd outside the container's root; when
 * root may not enter it, *ret_later says to call rt_process_enter_cwd_late after set_user. */
int rt_process_prepare_cwd(const struct rt_process *p, int *ret_later, struct rt_error *err);
int rt_process_enter_cwd_late(const struct rt_process *p, struct rt_error *err);
/* args[0] through the container's PATH, as execvp would.  Called as root before the switch to
 * the user, where X_OK means "some execute bit", as Go's LookPath in runc checks. */
int rt_process_lookup_exec(const struct rt_process *p, char *ret, size_t len, struct rt_error *err);
/* Load the filter (NULL: nothing) and hand a notify fd to the runtime over sync_fd. */
int rt_process_install_seccomp(const struct rt_seccomp *seccomp, int sync_fd, struct rt_error *err);
/* Mark every fd from first on close-on-exec. */
int rt_process_cloexec_from(int first, struct rt_error *err);
/* Close every fd from first on but those in keep (any order, -1s ignored): what the caller
 * and husk's parent held must not reach the container (CVE-2024-21626: /proc/PID/fd/N of a
 * process in the container).  procfd lists /proc/self/fd where close_range is missing. */
int rt_process_close_fds_except(int procfd, int first, const int *keep, size_t n_keep,
				struct rt_error *err);
/* sched_setaffinity from a cpu list ("0-3,7"); NULL or "" does nothing. */
int rt_process_set_affinity(const char *list, struct rt_error *err);

/* Default dispositions and an empty mask for every signal, as runc and crun give the
 * container's program. */
int rt_process_reset_signals(struct rt_error *err);

#endif
