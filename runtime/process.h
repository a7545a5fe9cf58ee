/* Turning the calling process into the container's process: attributes, user, capabilities,
 * cwd, seccomp, fds, program lookup.  Shared by the init (create/run) and exec. */
#ifndef HUSK_RUNTIME_PROCESS_H
#define HUSK_RUNTIME_PROCESS_H

#include <stddef.h>

#include "../common/error.h"
#include "spec.h"

/* oomScoreAdj (through the procfs handle), rlimits, personality, scheduler, ioPriority and
 * the initial execCPUAffinity. */
int rt_process_set_attrs(int procfd, const struct rt_spec *spec, const struct rt_process *p,
			 struct rt_error *err);
/* process.apparmorProfile and process.selinuxLabel, applied at the next execve through
 * /proc/self/attr.  A profile on a host without AppArmor is an error (the process would run
 * unconfined); a label on a host without SELinux is ignored, as runc does. */
int rt_process_set_lsm(int procfd, const struct rt_process *p, struct rt_error *err);
/* Bounding set, groups, gid, uid (keeping capabilities across the change), the other
 * capability sets, umask. */
int rt_process_set_user(const struct rt_process *p, struct rt_error *err);
/* chdir to process.cwd (made if missing) and refuse a cwd outside the container's root. */
int rt_process_enter_cwd(const struct rt_process *p, struct rt_error *err);
/* args[0] through the container's PATH, as execvp would. */
int rt_process_exec_error(struct rt_error *err, int errnum, const char *file);
int rt_process_lookup_exec(const struct rt_process *p, char *ret, size_t len, struct rt_error *err);
/* Load the filter (NULL: nothing) and hand a notify fd to the runtime over sync_fd. */
int rt_process_install_seccomp(const struct rt_seccomp *seccomp, int sync_fd, struct rt_error *err);
/* Mark every fd from first on close-on-exec. */
int rt_process_cloexec_from(int first, struct rt_error *err);
/* sched_setaffinity from a cpu list ("0-3,7"); NULL or "" does nothing. */
int rt_process_set_affinity(const char *list, struct rt_error *err);

/* Default dispositions and an empty mask for every signal, as runc and crun give the
 * container's program. */
int rt_process_reset_signals(struct rt_error *err);

#endif
