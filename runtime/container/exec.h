/* `exec`: a new process in a running (or created) container.  It is born in the container's
 * cgroup and pid namespace (clone3 CLONE_INTO_CGROUP after husk entered the pid namespace for
 * its children), joins every other namespace of the container's init through the init's pidfd,
 * and becomes the process spec's process (user, capabilities, rlimits, seccomp, cwd, env).  It
 * stays husk's child, so once husk exits (--detach) it is re-parented to the caller's subreaper
 * (containerd's shim, conmon), which reaps it, as with runc. */
#ifndef HUSK_RUNTIME_EXEC_H
#define HUSK_RUNTIME_EXEC_H

#include <stddef.h>
#include <sys/types.h>

#include "../../common/error.h"
#include "../context.h"

struct rt_exec_opts {
	const char *id;
	const char *process_file;   /* --process FILE: the whole process spec, or NULL */
	char *const *args;	    /* the command after the id (NULL-terminated), or NULL */
	int tty;		    /* --tty: process.terminal = true */
	const char *console_socket; /* --console-socket SOCK */
	int detach;		    /* --detach: return once the program runs */
	const char *pid_file;	    /* --pid-file F: digits only */
	const char *cwd;	    /* --cwd DIR */
	char *const *env;	    /* --env K=V..., NULL-terminated or NULL */
	int has_user;		    /* --user UID[:GID] */
	uid_t uid;
	int has_gid;
	gid_t gid;
	const gid_t *additional_gids; /* --additional-gids: replace the spec's when n > 0 */
	size_t n_additional_gids;
	char *const *caps;	   /* --cap CAP_X...: added to bounding/effective/permitted */
	int no_new_privs;	   /* --no-new-privs */
	int preserve_fds;	   /* --preserve-fds N: fds 3 .. 3+N-1 pass to the program */
	int ignore_paused;	   /* --ignore-paused */
	const char *process_label; /* --process-label: process.selinuxLabel */
	const char *apparmor;	   /* --apparmor: process.apparmorProfile */
};

/* Run the process.  Foreground: *ret_exit gets its exit code (128+N when signal N killed it),
 * husk forwarding the signals it receives meanwhile.  --detach: returns 0 once the program is
 * exec'd.  Bad input (a stopped container, a paused one without ignore_paused, an invalid
 * process file, an unknown capability, a bad console socket) fails before anything is
 * started, and the container is left as it was. */
int rt_exec(struct rt_globals *g, const struct rt_exec_opts *o, int *ret_exit,
	    struct rt_error *err);

#endif
