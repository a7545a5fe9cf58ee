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
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../common/procfs.h"
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

static int rootfs_mount_id(int procfd, const char *root_path, struct rt_error *err)
{
	cleanup_close int fd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return rt_error_set(err, errno, "open rootfs `%s`", root_path);
	return rt_fd_mount_id(procfd, fd, err);
}

int rt_rootfs_hostns_record(int procfd, int statedir, const char *root_path, struct rt_error *err)
{
	cleanup_free char *text = NULL;
	int id = rootfs_mount_id(procfd, root_path, err);
	int n;

	if (id < 0)
		return -1;
	n = asprintf(&text, "%d\n%s", id, root_path);
	if (n < 0)
		return rt_error_set(err, ENOMEM, "record the rootfs mount");
	return rt_write_file_atomic_at(statedir, HOSTNS_RECORD, text, (size_t)n, 0600, err);
}

int rt_rootfs_hostns_undo(int statedir, struct rt_error *err)
{
	cleanup_free char *text = NULL;
	cleanup_close int procfd = -1;
	char *path;
	int base;

	if (rt_read_file_at(statedir, HOSTNS_RECORD, &text, NULL, err) < 0) {
		if (err->errnum != ENOENT)
			return -1;
		rt_error_release(err); /* a container with its own mount namespace */
		return 0;
	}
	path = strchr(text, '\n');
	if (path == NULL)
		return rt_error_set(err, EINVAL, "`%s`: bad record", HOSTNS_RECORD);
	*path++ = '\0';
	base = atoi(text);
	procfd = rt_procfs_open("/proc", err);
	if (procfd < 0)
		return -1;
	/* our rootfs bind, with every mount of the container under it, goes with one lazy
	 * unmount; a few more rounds for what the container itself stacked on its `/`, never
	 * below the mount the directory was on before create (an overlay the caller made) */
	for (int round = 0; round < 16; round++) {
		int id = rootfs_mount_id(procfd, path, err);
		if (id < 0)
			return rt_error_wrap(err, "undo the mounts of the rootfs");
		if (id == base)
			break;
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
			return rt_error_set(err, errno, "unmount rootfs `%s`", path);
	}
	if (unlinkat(statedir, HOSTNS_RECORD, 0) < 0 && errno != ENOENT)
		return rt_error_set(err, errno, "remove `%s`", HOSTNS_RECORD);
	return 0;
}
