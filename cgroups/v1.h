/* The cgroup v1 backend's pieces, shared by cgroups/ sources; not part of the library's
 * interface (cgroup.h is). */
#ifndef HUSK_CGROUPS_V1_H
#define HUSK_CGROUPS_V1_H

#include <stdint.h>

#include "cgroup.h"

/* More than any kernel has controllers to mount separately. */
#define CG_V1_MAX 16

/* One v1 hierarchy: in a cg_hierarchy its root (fd -1), in a cg_cgroup also the container's
 * directory in it (fd). */
struct cg_v1_dir {
	int root_fd;	      /* owned by the cg_hierarchy; borrowed by a cg_cgroup */
	int fd;		      /* the cgroup's directory, owned (cg_cgroup only) */
	char *mount;	      /* where it is mounted, for messages: "/sys/fs/cgroup/memory" */
	unsigned controllers; /* CG_BIT mask of the controllers it carries */
};

struct cg_v1 {
	size_t n;
	struct cg_v1_dir d[CG_V1_MAX];
};

/* The controllers of a v1 mount's super options ("rw,cpu,cpuacct"): a CG_BIT mask, 0 for a
 * named hierarchy without controllers (name=systemd) or ones husk does not use. */
unsigned cg_v1_mount_controllers(const char *super_options);
/* The v1 hierarchies in a /proc/self/mountinfo text (heap struct, roots not opened: fd and
 * root_fd -1), one per distinct controller set; NULL with *ret when there are none. */
int cg_v1_parse_mountinfo(const char *text, struct cg_v1 **ret, struct rt_error *err);
/* Add the host's v1 hierarchies to h (opened at h->fd's cgroup2 root, or -1), setting its
 * layout and controllers; nothing changes when there are none. */
int cg_v1_hierarchy_open(struct cg_hierarchy *h, struct rt_error *err);
/* Close what v owns (root fds when owns_roots), free the names and v. */
void cg_v1_free(struct cg_v1 *v, int owns_roots);
/* The directory of the hierarchy that carries c, or NULL. */
const struct cg_v1_dir *cg_v1_find(const struct cg_v1 *v, enum cg_controller c);

/* The v1 halves of the public calls (v1_manage.c, v1_limits.c, v1_stats.c). */
int cg_v1_create(struct cg_hierarchy *h, const char *path, const struct cg_limits *limits,
		 int flags, struct cg_cgroup **ret, struct rt_error *err);
int cg_v1_open(struct cg_hierarchy *h, const char *path, struct cg_cgroup **ret,
	       struct rt_error *err);
int cg_v1_update(struct cg_cgroup *cg, const struct cg_limits *l, int flags, struct rt_error *err);
int cg_v1_freeze(struct cg_cgroup *cg, int frozen, struct rt_error *err);
int cg_v1_is_frozen(struct cg_cgroup *cg, int *ret, struct rt_error *err);
int cg_v1_signal(struct cg_cgroup *cg, int sig, struct rt_error *err);
int cg_v1_pids(struct cg_cgroup *cg, int recursive, pid_t **ret, size_t *ret_n,
	       struct rt_error *err);
int cg_v1_remove(struct cg_cgroup *cg, struct rt_error *err);
int cg_v1_read_stats(struct cg_cgroup *cg, struct cg_stats *ret, struct rt_error *err);
int cg_v1_oom_kill_count(struct cg_cgroup *cg, uint64_t *ret, struct rt_error *err);

/* Can l be applied with the controllers in available?  A missing one fails naming it and the
 * layout, unless CG_SKIP_UNAVAILABLE (then *ret_skipped); unified keys always fail. */
int cg_v1_check(unsigned available, const char *name, enum cg_layout layout,
		const struct cg_limits *l, int flags, unsigned *ret_skipped, struct rt_error *err);
/* Write l through the v1 files of the directories in v (which carry `available`), after
 * checking availability (CG_SKIP_UNAVAILABLE: *ret_skipped).  name and layout for messages. */
int cg_v1_apply(const struct cg_v1 *v, const char *name, enum cg_layout layout,
		const struct cg_limits *l, int flags, unsigned *ret_skipped, struct rt_error *err);
/* The v1 device lists: "a" denied, then each rule in order (runc's defaults after the spec's
 * when with_defaults), on the devices directory fd. */
int cg_v1_devices_apply(int fd, const struct cg_device_rule *rules, size_t n, int with_defaults,
			struct rt_error *err);
/* "c 1:3 rwm" for a rule (buf of at least 64 bytes). */
void cg_v1_device_rule_format(const struct cg_device_rule *r, char *buf, size_t len);

#endif
