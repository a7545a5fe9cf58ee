/* Helpers shared by the files of the mount code (mount.c, mount_cgroup.c); not for the rest
 * of the runtime. */
#ifndef HUSK_RUNTIME_MOUNT_INTERNAL_H
#define HUSK_RUNTIME_MOUNT_INTERNAL_H

#include "mount.h"

/* Remount the mount at dest (resolved again inside the rootfs, so the new mount's root) with
 * flags, keeping what a user namespace cannot drop. */
int rt_mount_remount_in_root(struct rt_rootfs *r, const char *dest, unsigned long flags,
			     struct rt_error *err);

/* The cgroup mounts under /sys/fs/cgroup of a mountinfo text, for the container's own view
 * of them (mount_cgroup.c). */
#define RT_CG_MAX_HIERARCHIES 32
struct rt_cg_mountpoint {
	char *point; /* the mount point, /sys/fs/cgroup or below */
	char *root;  /* the hierarchy's directory mounted there ("/" mostly) */
	char *opts;  /* super options: the v1 controllers, name=... */
	int v2;
};
struct rt_cg_layout {
	struct rt_cg_mountpoint m[RT_CG_MAX_HIERARCHIES];
	size_t n;
};
/* Parses mountinfo in place (the strings point into it); -1 past RT_CG_MAX_HIERARCHIES. */
int rt_mount_cg_layout_parse(char *mountinfo, struct rt_cg_layout *l);
/* The path of the /proc/self/cgroup text's cgroup in mp's hierarchy, below mp's root, in buf;
 * NULL when the text has none there (or it lies outside the mounted directory).  Parses
 * selfcg in place. */
const char *rt_mount_cg_own_path(char *selfcg, const struct rt_cg_mountpoint *mp, char *buf,
				 size_t len);

/* A cgroup mount without a cgroup namespace: the container's own cgroups only
 * (mount_cgroup.c).  dstfd is the destination directory, made by the caller. */
int rt_mount_cgroup_own(struct rt_rootfs *r, const struct rt_mount *m, int dstfd,
			struct rt_error *err);

/* The default devices and links (unless /dev is a bind of the host's), then linux.devices
 * (mount_dev.c). */
int rt_mount_setup_dev(struct rt_rootfs *r, struct rt_error *err);

#endif
