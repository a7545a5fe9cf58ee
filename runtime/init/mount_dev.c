/* /dev of the container: the default devices and links, linux.devices, /dev/console. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "mount_internal.h"

#define FDPATH_MAX 64

struct default_dev {
	const char *name;
	unsigned maj, min;
};

static const struct default_dev default_devs[] = {
    {"null", 1, 3},   {"zero", 1, 5},	 {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

/* The host's node for a device to bind in a user namespace, where mknod of a device is not
 * allowed (runc binds too): /dev/char/M:m or /dev/block/M:m where udev keeps them, else the
 * same path in the host's /dev if it is that very device. */
static int open_host_device(const char *path, mode_t type, dev_t dev, struct rt_error *err)
{
	char host[64];
	struct stat st;
	int fd;

	snprintf(host, sizeof(host), "/dev/%s/%u:%u", type == S_IFBLK ? "block" : "char",
		 major(dev), minor(dev));
	fd = open(host, O_PATH | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == type && st.st_rdev == dev)
		return fd;
	if (fd >= 0)
		close(fd);
	return rt_error_set(err, ENOENT,
			    "device `%s`: no host node %u:%u to bind in a user namespace", path,
			    major(dev), minor(dev));
}

static int make_device(struct rt_rootfs *r, const char *path, mode_t type, dev_t dev, mode_t mode,
		       uid_t uid, gid_t gid, struct rt_error *err)
{
	cleanup_free char *parent = strdup(path);
	cleanup_close int pfd = -1;
	char *slash, *name;

	if (parent == NULL)
		return rt_error_set(err, ENOMEM, "device `%s`", path);
	slash = strrchr(parent, '/');
	name = slash + 1;
	if (slash == parent)
		pfd = rt_open_in_root(r->rootfd, "/", O_PATH | O_DIRECTORY, 0, err);
	else {
		*slash = '\0';
		pfd = rt_mkdir_in_root(r->rootfd, parent, 0755, err);
	}
	if (pfd < 0)
		return rt_error_wrap(err, "device `%s`", path);
	if (*name == '\0' || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
		return rt_error_set(err, EINVAL, "device path `%s`", path);
	/* the very node already there (a rootfs populated before) is kept: a read-only rootfs
	 * can hold its nodes */
	struct stat st;
	if (!r->in_userns && fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (st.st_mode & S_IFMT) == type && st.st_rdev == dev &&
	    (st.st_mode & 07777) == (mode & 07777) && st.st_uid == uid && st.st_gid == gid)
		return 0;
	/* an existing entry (file or symlink planted by the image) is replaced, never followed */
	if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT && errno != EISDIR)
		return rt_error_set(err, errno, "replace `%s`", path);

	/* a fifo needs no privilege: made in a user namespace too */
	if (!r->in_userns || type == S_IFIFO) {
		if (mknodat(pfd, name, type | (mode & 07777), dev) < 0)
			return rt_error_set(err, errno, "mknod `%s`", path);
		if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return rt_error_set(err, errno, "chown `%s`", path);
		return 0;
	}
	char src[FDPATH_MAX], dst[FDPATH_MAX];
	cleanup_close int dfd = -1, sfd = -1;
	sfd = open_host_device(path, type, dev, err);
	if (sfd < 0)
		return -1;
	dfd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (dfd < 0)
		return rt_error_set(err, errno, "create `%s`", path);
	rt_fd_path(sfd, src, sizeof(src));
	rt_fd_path(dfd, dst, sizeof(dst));
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return rt_error_set(err, errno, "bind device `%s`", path);
	return 0;
}

/* The devices and links config-linux.md says the runtime MUST supply, whatever the spec
 * mounts on /dev (runc 1.1 does the same; only a bind of the host's /dev is left alone).
 * Without our tmpfs they go into the rootfs itself: whatever the image put under those names
 * (a symlink to a host file, a regular file) is replaced, never followed. */
static int default_devices(struct rt_rootfs *r, struct rt_error *err)
{
	static const struct {
		const char *target, *link;
	} links[] = {{"/proc/self/fd", "fd"},	    {"/proc/self/fd/0", "stdin"},
		     {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
		     {"pts/ptmx", "ptmx"},	    {"/proc/kcore", "core"}};
	cleanup_close int devfd = rt_mkdir_in_root(r->rootfd, "/dev", 0755, err);

	if (devfd < 0)
		return rt_error_wrap(err, "default devices");
	for (size_t i = 0; i < ARRAY_SIZE(default_devs); i++) {
		dev_t dev = makedev(default_devs[i].maj, default_devs[i].min);
		char path[32];
		/* our own fresh tmpfs: nothing to replace, and root made it, so a node made in it
		 * by root is root's (5 system calls each otherwise) */
		if (r->dev_is_tmpfs && !r->in_userns &&
		    mknodat(devfd, default_devs[i].name, S_IFCHR | 0666, dev) == 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", default_devs[i].name);
		if (make_device(r, path, S_IFCHR, dev, 0666, 0, 0, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		if (symlinkat(links[i].target, devfd, links[i].link) == 0 || errno != EEXIST)
			continue;
		/* an image's own fd, stdin... links stay (runc's too); ptmx must reach the
		 * container's devpts instance, not a node of the image */
		if (strcmp(links[i].link, "ptmx") != 0)
			continue;
		if (unlinkat(devfd, "ptmx", 0) < 0 || symlinkat("pts/ptmx", devfd, "ptmx") < 0)
			return rt_error_set(err, errno, "symlink `/dev/ptmx`");
	}
	if (!r->dev_is_tmpfs)
		return 0;
	if (mkdirat(devfd, "pts", 0755) < 0 && errno != EEXIST)
		return rt_error_set(err, errno, "mkdir `/dev/pts`");
	if (mkdirat(devfd, "shm", 01777) < 0 && errno != EEXIST)
		return rt_error_set(err, errno, "mkdir `/dev/shm`");
	return 0;
}

int rt_mount_setup_dev(struct rt_rootfs *r, struct rt_error *err)
{
	const struct rt_linux *lx = &r->spec->linux_cfg;

	if (!r->dev_is_bind && default_devices(r, err) < 0)
		return -1;
	for (size_t i = 0; i < lx->n_devices; i++) {
		const struct rt_device *d = &lx->devices[i];
		mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
		mode_t mode = d->has_file_mode ? d->file_mode : 0666;
		dev_t dev = d->type == 'p' ? 0 : makedev((unsigned)d->major, (unsigned)d->minor);
		if (make_device(r, d->path, type, dev, mode, d->has_uid ? d->uid : 0,
				d->has_gid ? d->gid : 0, err) < 0)
			return rt_error_wrap(err, "linux.devices[%zu]", i);
	}
	return 0;
}

/* A fresh empty file at path (inside the root at rootfd) for a bind mount: whatever the image
 * put there (a symlink to a host path, a fifo, a device) is removed first, never followed,
 * and the new file is made with O_EXCL | O_NOFOLLOW, so the bind lands on our own inode. */
static int fresh_file_in_root(int rootfd, const char *path, struct rt_error *err)
{
	cleanup_free char *parent = strdup(path);
	cleanup_close int pfd = -1;
	char *slash;
	int fd;

	if (parent == NULL)
		return rt_error_set(err, ENOMEM, "`%s`", path);
	slash = strrchr(parent, '/');
	if (slash == NULL || slash[1] == '\0' || strcmp(slash + 1, "..") == 0 ||
	    strcmp(slash + 1, ".") == 0)
		return rt_error_set(err, EINVAL, "bad path `%s`", path);
	*slash = '\0';
	pfd = rt_mkdir_in_root(rootfd, *parent ? parent : "/", 0755, err);
	if (pfd < 0)
		return -1;
	if (unlinkat(pfd, slash + 1, 0) < 0 && errno != ENOENT)
		return rt_error_set(err, errno, "replace `%s`", path);
	fd = openat(pfd, slash + 1, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return rt_error_set(err, errno, "create `%s`", path);
	return fd;
}

int rt_rootfs_console(const char *slave_path, struct rt_error *err)
{
	cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd = -1, slave = -1;
	char dst[FDPATH_MAX], src[FDPATH_MAX];

	if (rootfd < 0)
		return rt_error_set(err, errno, "open `/`");
	fd = fresh_file_in_root(rootfd, "/dev/console", err);
	if (fd < 0)
		return rt_error_wrap(err, "console");
	/* the slave is ours (a new devpts instance of the container, just opened) */
	slave = open(slave_path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (slave < 0)
		return rt_error_set(err, errno, "open `%s`", slave_path);
	rt_fd_path(fd, dst, sizeof(dst));
	rt_fd_path(slave, src, sizeof(src));
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return rt_error_set(err, errno, "bind `%s` on `/dev/console`", slave_path);
	return 0;
}
