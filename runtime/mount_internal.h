/* Helpers shared by the files of the mount code (mount.c, mount_cgroup.c); not for the rest
 * of the runtime. */
#ifndef HUSK_RUNTIME_MOUNT_INTERNAL_H
#define HUSK_RUNTIME_MOUNT_INTERNAL_H

#include "mount.h"

/* Remount the mount at dest (resolved again inside the rootfs, so the new mount's root) with
 * flags, keeping what a user namespace cannot drop. */
int rt_mount_remount_in_root(struct rt_rootfs *r, const char *dest, unsigned long flags,
			     struct rt_error *err);

/* A cgroup mount without a cgroup namespace: the container's own cgroups only
 * (mount_cgroup.c).  dstfd is the destination directory, made by the caller. */
int rt_mount_cgroup_own(struct rt_rootfs *r, const struct rt_mount *m, int dstfd,
			struct rt_error *err);

/* The default devices and links (unless /dev is a bind of the host's), then linux.devices
 * (mount_dev.c). */
int rt_mount_setup_dev(struct rt_rootfs *r, struct rt_error *err);

#endif
