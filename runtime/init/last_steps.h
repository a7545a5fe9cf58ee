/* The last steps before execve, in the one order both the init (create/run) and exec take.
 * The caller has joined its cgroup (v1), closed what it inherited, joined or made its
 * namespaces and entered its root before it calls.
 *
 *  1. the cwd made and checked, the program looked up in PATH (as root, as runc's LookPath)
 *  2. the caller's checks and the close of its set-up fds (the init: the exec fifo's path,
 *     checked while /proc is still ours; then procfs, the device signal, idmapped trees)
 *  3. execCPUAffinity's final list; the umask
 *  4. every signal to default and unblocked (the init, pid 1 until exec, then catches the
 *     stopping ones); every fd past stdio and the preserved ones close-on-exec
 *  5. the death signal disarmed when the caller says so (exec: the program may outlive husk;
 *     a vforked init: the parent no longer needs it), with prctl, before any filter
 *  6. noNewPrivileges false: the seccomp filter.  Loading it needs CAP_SYS_ADMIN without
 *     no_new_privs, and a non-root user gives that up in 7
 *  7. groups, gid, uid, capabilities
 *  8. the cwd only the user may enter
 *  9. noNewPrivileges true: PR_SET_NO_NEW_PRIVS
 * 10. the caller's wait (the init: READY, the commit, `start`, startContainer hooks); under a
 *     filter from 6 it calls only read, write, prctl and the fifo's open
 * 11. noNewPrivileges true: the seccomp filter, last, so that it may deny nearly everything
 * 12. execve
 *
 * So everything that can come before a filter loaded in 6 does: a profile written for runc
 * allows only what runc calls after its filter (ids, capset, chdir, fcntl, the exec fifo's
 * open and write, the sync pipe's read and write, execve), and core_init_order.bats loads
 * such profiles.  SECURITY.md, section 5. */
#ifndef HUSK_RUNTIME_LAST_STEPS_H
#define HUSK_RUNTIME_LAST_STEPS_H

#include "../../common/error.h"
#include "../spec/spec.h"

struct rt_last_steps {
	const struct rt_process *p;
	int preserve_fds;	 /* fds 3 .. 3+preserve_fds-1 reach the program */
	int catch_stop_signals;	 /* pid 1 of a pid namespace until exec (the init) */
	int disarm_death_signal; /* the program may outlive the runtime from step 5 on */
	void *data;		 /* the caller's, passed to the callbacks */
	/* step 2 (NULL: none) */
	int (*checked)(void *data, struct rt_error *err);
	/* steps 6 and 11: load the filter, if any; no_new_privs says which of the two */
	int (*load_filter)(void *data, int no_new_privs, struct rt_error *err);
	/* step 10 (NULL: none) */
	int (*wait)(void *data, struct rt_error *err);
};

/* Returns only on failure (-1 with err); on success the program runs. */
int rt_last_steps_run(const struct rt_last_steps *s, struct rt_error *err);

#endif
