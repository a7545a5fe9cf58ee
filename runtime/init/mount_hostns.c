/* A container without a mount namespace: its rootfs and mounts live in the caller's
 * namespace, so `delete` (and the rollback of a failed create) must take them down.  The
 * parent notes the mount the rootfs directory was on before the init binds anything; the
 * undo unmounts what was stacked on it since, however far create got. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "../../common/procfs.h"
#include "mount.h"

#define HOSTNS_RECORD "rootfs-mounts"

int rt_fd_mount_id(int procfd, int fd, struct rt_error *err)
{
	cleanup_free char *buf = NULL;
	char path[64];
	const char *p;

	/* fdinfo has it on every kernel husk runs on (statx's STATX_MNT_ID came in 5.8) */
	snprintf(path, sizeof(path), "self/fdinfo/%d", fd);
	if (rt_read_file_at(procfd, path, &buf, NULL, err) < 0)
		return -1;
	p = strstr(buf, "mnt_id:");
	if (p == NULL)
		return rt_error_set(err, ENOTSUP, "`/proc/%s`: no mnt_id", path);
	return atoi(p + strlen("mnt_id:"));
}

/* What a mount on the rootfs directory shows: its mount id, and the directory's inode. */
struct rootfs_top {
	int id;
	unsigned long long dev, ino;
};

static int rootfs_top(int procfd, const char *root_path, struct rootfs_top *ret,
		      struct rt_error *err)
{
	cleanup_close int fd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return rt_error_set(err, errno, "open rootfs `%s`", root_path);
	ret->id = rt_fd_mount_id(procfd, fd, err);
	ret->dev = st.st_dev;
	ret->ino = st.st_ino;
	return ret->id < 0 ? -1 : 0;
}

int rt_rootfs_hostns_record(int procfd, int statedir, const char *root_path, struct rt_error *err)
{
	cleanup_free char *text = NULL;
	struct rootfs_top top;
	int n;

	if (rootfs_top(procfd, root_path, &top, err) < 0)
		return -1;
	n = asprintf(&text, "%d %llu %llu\n%s", top.id, top.dev, top.ino, root_path);
	if (n < 0)
		return rt_error_set(err, ENOMEM, "record the rootfs mount");
	return rt_write_file_atomic_at(statedir, HOSTNS_RECORD, text, (size_t)n, 0600, err);
}

int rt_rootfs_hostns_undo(int statedir, struct rt_error *err)
{
	cleanup_free char *text = NULL;
	cleanup_close int procfd = -1;
	struct rootfs_top base;
	char *path;

	if (rt_read_file_at(statedir, HOSTNS_RECORD, &text, NULL, err) < 0) {
		if (err->errnum != ENOENT)
			return -1;
		rt_error_release(err); /* a container with its own mount namespace */
		return 0;
	}
	path = strchr(text, '\n');
	if (path == NULL || sscanf(text, "%d %llu %llu", &base.id, &base.dev, &base.ino) != 3)
		return rt_error_set(err, EINVAL, "`%s`: bad record", HOSTNS_RECORD);
	path++;
	procfd = rt_procfs_open("/proc", err);
	if (procfd < 0)
		return -1;
	/* our rootfs bind, with every mount of the container under it, goes with one lazy
	 * unmount.  Only binds of that same directory are ours: never the mount it was on
	 * before create (an overlay the caller made), nor one the caller made there since. */
	for (int round = 0; round < 16; round++) {
		struct rootfs_top top;
		if (rootfs_top(procfd, path, &top, err) < 0) {
			if (err->errnum != ENOENT)
				return rt_error_wrap(err, "undo the mounts of the rootfs");
			rt_error_release(err); /* the bundle is gone, and our mounts with it */
			break;
		}
		if (top.id == base.id || top.dev != base.dev || top.ino != base.ino)
			break;
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
			return rt_error_set(err, errno, "unmount rootfs `%s`", path);
	}
	if (unlinkat(statedir, HOSTNS_RECORD, 0) < 0 && errno != ENOENT)
		return rt_error_set(err, errno, "remove `%s`", HOSTNS_RECORD);
	return 0;
}
