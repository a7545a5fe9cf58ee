/* Building the container's root filesystem: in its mount namespace, or without one in the
 * caller's (then chrooted into, and unmounted again by delete). */
#ifndef HUSK_RUNTIME_MOUNT_H
#define HUSK_RUNTIME_MOUNT_H

#include "../../common/error.h"
#include "../spec/spec.h"

struct rt_rootfs {
	const struct rt_spec *spec;
	int procfd;		 /* host procfs */
	int rootfd;		 /* the rootfs bind mount, O_PATH, set by rt_rootfs_prepare */
	int in_userns;		 /* locked mount flags must be kept on remounts */
	int dev_is_tmpfs;	 /* /dev is a tmpfs of ours: fresh, nothing to replace in it */
	int dev_is_bind;	 /* /dev is a bind (the host's): no default devices */
	int host_ns;		 /* no mount namespace of its own: the caller's, left as it was */
	const char *cgroup_path; /* the container's cgroup2 dir below the hierarchy's mount */
	const int *idmap_trees;	 /* per mount: detached idmapped tree made by the parent, or -1 */
	size_t cur_mount;
};

/* Parent side, before the clone: a detached clone of m->source carrying MOUNT_ATTR_IDMAP with
 * m's uidMappings/gidMappings (a user namespace made for it).  The init attaches it. */
int rt_mount_idmap_tree(int procfd, const struct rt_mount *m, struct rt_error *err);

/* Propagation of /, the rootfs bind, every spec mount, /dev and linux.devices: all before
 * pivot_root, with every destination resolved inside the rootfs. */
int rt_rootfs_prepare(struct rt_rootfs *r, struct rt_error *err);
/* pivot_root (or MS_MOVE + chroot with no_pivot) into the prepared rootfs. */
int rt_rootfs_pivot(struct rt_rootfs *r, int no_pivot, struct rt_error *err);
/* After the pivot: masked and read-only paths, read-only root, propagation of the new /. */
int rt_rootfs_finish(struct rt_rootfs *r, struct rt_error *err);
/* Bind a pty slave on /dev/console (after the pivot). */
int rt_rootfs_console(const char *slave_path, struct rt_error *err);

/* The id of the mount fd lies on. */
int rt_fd_mount_id(int procfd, int fd, struct rt_error *err);

/* Without a mount namespace (mount_hostns.c): before the init runs, note in the state dir the
 * mount root_path is on; the undo unmounts whatever was stacked on it since (delete, a failed
 * or killed create) and is a no-op for a container with its own mount namespace. */
int rt_rootfs_hostns_record(int procfd, int statedir, const char *root_path, struct rt_error *err);
int rt_rootfs_hostns_undo(int statedir, struct rt_error *err);

#endif
