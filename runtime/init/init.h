/* What the parent hands to the container's init process across clone3.  The child gets its
 * own copy of every fd in it, and of this struct: a forked init has its own memory, and an init
 * that borrows the parent's (vfork below) is given a copy made for it. */
#ifndef HUSK_RUNTIME_INIT_H
#define HUSK_RUNTIME_INIT_H

#include <sys/types.h>

#include "../spec/spec.h"

struct cg_cgroup;

struct rt_init_ctx {
	const struct rt_spec *spec;
	const struct rt_process *process; /* spec->process, or the exec'd process */
	const char *id;
	int sync_fd;		 /* child end of the sync socketpair */
	int procfd;		 /* the host's procfs, verified */
	int ns_fds[RT_NS_TYPES]; /* namespaces to join, -1 where none */
	int unshare_flags;	 /* namespaces the child creates itself (CLONE_NEW*) */
	int userns_new;		 /* a new user namespace whose maps the parent writes */
	int fifo_fd;		 /* O_PATH of exec.fifo (create), -1 for run */
	int *idmap_trees;	 /* per mount: detached idmapped tree (rt_mount_idmap_tree) or -1 */
	int console_fd;		 /* connected --console-socket, -1 */
	int preserve_fds;
	int no_pivot;
	int no_new_keyring;
	int has_hooks;	   /* hooks before start: stop for the parent (runtime hooks, state JSON) */
	char *state_json;  /* the state (status creating) for the container's own hooks */
	int fifo_write_fd; /* create, after start: a failure before exec is written here */
	pid_t parent_pid;
	int started;	/* create: `start` released us, the parent is gone */
	int vfork;	/* we run in the parent's memory while it sleeps until we exec or exit
			 * (CLONE_VM|CLONE_VFORK): no READY/START exchange, nobody could answer */
	int devices_fd; /* the device program's helper thread says here that it is attached
			 * (rt_cgroup_devices_start); -1 when it was attached before the clone */
	const char *cgroup_path; /* the container's cgroup2 directory below the hierarchy's
				  * mount, NULL for none: /sys/fs/cgroup shows it without a
				  * cgroup namespace */
	/* cgroup v1 hosts: the cgroup to join first thing, before the cgroup namespace is made
	 * (its root is the cgroup the init is in then); NULL when clone3 placed us */
	const struct cg_cgroup *cgroup_attach;
};

/* The 2019 /proc/self/exe defence: unless husk already runs from a read-only mount or a
 * sealed memfd, re-execute the same command line from a read-only detached bind of the
 * binary (or a sealed memfd copy without the mount API).  Returns 0 when already protected;
 * otherwise does not return, or returns -1 with err.  Call it first thing in create, run and
 * exec, before anything is done that a second run would repeat. */
int rt_init_protect_exe(int procfd, struct rt_error *err);
/* Whether the container's processes could attack husk's image at all: 0 only for a new user
 * namespace that maps no host uid 0 (its root cannot write the root-owned binary and holds
 * no capability over the host's user namespace), where the re-execution can be skipped. */
int rt_init_exe_exposed(const struct rt_spec *spec);

/* Never returns: execs the user's program or reports over sync_fd and exits. */
void rt_init_main(struct rt_init_ctx *ctx) __attribute__((noreturn));

#endif
