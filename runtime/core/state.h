/* Container state under --root: <root>/<id>/state.json (+ config.json copy, exec.fifo).
 * Every command that changes a container holds an flock on its directory, and state.json is
 * replaced atomically, so concurrent husk processes never see or write a torn state. */
#ifndef HUSK_RUNTIME_STATE_H
#define HUSK_RUNTIME_STATE_H

#include <sys/types.h>

#include "../../common/error.h"
#include "../spec/spec.h"

enum rt_status {
	RT_STATUS_CREATING,
	RT_STATUS_CREATED,
	RT_STATUS_RUNNING,
	RT_STATUS_PAUSED,
	RT_STATUS_STOPPED
};

struct rt_state {
	char *id;
	pid_t pid;		       /* host pid of the container's init, 0 when never started */
	unsigned long long start_time; /* its start time, to detect pid reuse */
	char *bundle;
	char *rootfs;
	char *created; /* RFC 3339 */
	uid_t owner;
	struct rt_kv *annotations;
	size_t n_annotations;
	char *cgroup_path;  /* relative to the cgroup2 root, NULL when none */
	char *pod;	    /* pod name or NULL */
	char *image_bundle; /* bundle dir husk made from an image (deleted with us) */
	int systemd_cgroup;
	/* create records what it is about to make before it makes it, so that a create killed
	 * half-way leaves a record `delete` can clean up from (RT_CREATING_FILE): `creating`
	 * until the state is committed (pid known, the init told to outlive us), `cgroup_made`
	 * once cgroup_path names a cgroup this create made (before that it may be someone
	 * else's; always 1 in a committed state). */
	int creating;
	int cgroup_made;
};

/* Paths and the lock of one container. */
struct rt_container_dir {
	int rootfd; /* --root */
	int dirfd;  /* <root>/<id>, flock'ed */
	char *path; /* <root>/<id> */
};

/* Validate a container ID: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most 1024 bytes, no ".."-like names. */
int rt_validate_id(const char *id, struct rt_error *err);

/* Open (creating when missing) the state root directory. */
int rt_state_root_open(const char *root, struct rt_error *err);

/* Create <root>/<id> exclusively (a duplicate ID is an error) and lock it. */
int rt_container_dir_create(const char *root, const char *id, struct rt_container_dir *ret,
			    struct rt_error *err);
/* Open and lock an existing container dir; ENOENT gives "container does not exist". */
int rt_container_dir_open(const char *root, const char *id, struct rt_container_dir *ret,
			  struct rt_error *err);
void rt_container_dir_close(struct rt_container_dir *d);
/* Remove the directory and its files (the lock goes with it). */
int rt_container_dir_remove(struct rt_container_dir *d, struct rt_error *err);

/* The committed state (state.json), or with st->creating the record of a create in progress.
 * Committing removes the record.  Each is written under a name that does not exist yet: ext4
 * flushes a file's data when a rename replaces another (auto_da_alloc), 0.5 ms here. */
int rt_state_write(const struct rt_container_dir *d, const struct rt_state *st,
		   struct rt_error *err);
/* Record that the cgroup the record names is made (its cgroup_made member turns 1). */
int rt_state_mark_cgroup_made(const struct rt_container_dir *d, struct rt_error *err);
/* The committed state, else the record of a create in progress or killed (creating 1). */
int rt_state_read(const struct rt_container_dir *d, struct rt_state *ret, struct rt_error *err);
void rt_state_clear(struct rt_state *st);

/* Status from the live system: process alive with the same start time?  exec.fifo present? */
enum rt_status rt_state_status(const struct rt_container_dir *d, const struct rt_state *st);
const char *rt_status_name(enum rt_status s);

/* The OCI state JSON (as runc prints it) for `state`, hooks and the seccomp agent. */
char *rt_state_to_json(const struct rt_state *st, enum rt_status status, int pretty);

/* Current time in RFC 3339 with nanoseconds, UTC. */
char *rt_now_rfc3339(void);

/* The files of a container's state dir: create's fifo, the state, and the config the container
 * was created with (exec's defaults, poststart and poststop hooks). */
#define RT_EXEC_FIFO	   "exec.fifo"
#define RT_STATE_FILE	   "state.json"
#define RT_CONFIG_COPY	   "config.json"
/* create's record until it commits the state, and its mark that the cgroup is made */
#define RT_CREATING_FILE   "creating.json"
/* the creating record's member: 1 once the cgroup it names is made by this create */
#define RT_CGROUP_MADE_KEY "cgroup_made"

#endif
