/* Container lifecycle operations behind the commands. */
#ifndef HUSK_RUNTIME_CONTAINER_H
#define HUSK_RUNTIME_CONTAINER_H

#include "../../common/error.h"
#include "../context.h"
#include "../core/state.h"

struct cg_cgroup;

struct rt_create_opts {
	const char *id;
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
	int no_pivot;
	int no_new_keyring;
	int run;		 /* `run`: start at once */
	int detach;		 /* `run --detach` */
	int keep;		 /* `run --keep`: leave the stopped container's state */
	const char *pod;	 /* --pod NAME: join the pod's namespaces */
	const char *image;	 /* --image REF: bundle made from the image under the state dir */
	char *const *image_args; /* -- CMD ARGS with --image (NULL-terminated) or NULL */
	const char *entrypoint;	 /* --entrypoint CMD with --image ("": none), or NULL */
};

/* create or run.  For a foreground run, *ret_exit gets the container's exit code (128+N for a
 * signal); otherwise 0. */
int rt_container_create(struct rt_globals *g, const struct rt_create_opts *o, int *ret_exit,
			struct rt_error *err);
int rt_container_start(struct rt_globals *g, const char *id, struct rt_error *err);
int rt_container_kill(struct rt_globals *g, const char *id, int sig, int all, struct rt_error *err);
int rt_container_delete(struct rt_globals *g, const char *id, int force, struct rt_error *err);

/* Shared by delete and the failure path of create/run: run poststop hooks (warnings only),
 * remove the cgroup and the state dir.  The caller holds the lock.  cg: the container's cgroup
 * when the caller has it open (run), else NULL and it is found from st. */
int rt_container_destroy(struct rt_globals *g, struct rt_container_dir *d,
			 const struct rt_state *st, const struct rt_spec *spec,
			 struct cg_cgroup *cg, struct rt_error *err);

/* Leave the pod and remove the image bundle of a container (warnings only). */
void rt_container_release_extras(struct rt_globals *g, const struct rt_state *st);

/* Foreground run and exec: forward the usual signals to pid (our child, behind pidfd) until it
 * exits, reap it, and return its exit code (128+N for signal N). */
int rt_wait_forward_signals(int pidfd, pid_t pid);

/* Wait until the process behind pidfd has exited (not necessarily our child). */
int rt_pidfd_wait_exit(int pidfd, int timeout_ms);

/* Undo a half-made child of ours: SIGKILL it (through pidfd when there is one, so a reused pid
 * is never hit) and reap it.  Nothing to do when pid <= 0. */
void rt_kill_and_reap(pid_t pid, int pidfd);

/* Write `pid` to path as digits only (containerd fails on a trailing newline), atomically. */
int rt_write_pid_file(const char *path, pid_t pid, struct rt_error *err);

#endif
