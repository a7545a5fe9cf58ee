#define _GNU_SOURCE
#include "mount_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "../../common/log.h"
#include "../../common/procfs.h"
#include "../../common/syscalls.h"

#define FDPATH_MAX 64

/* Flags a user namespace may not clear on a bind remount (the kernel locks them). */
static unsigned long locked_flags(int fd)
{
	struct statvfs s;
	unsigned long f = 0;

	if (fstatvfs(fd, &s) < 0)
		return 0;
	if (s.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (s.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (s.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (s.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	if (s.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (s.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (s.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

int rt_mount_remount_in_root(struct rt_rootfs *r, const char *dest, unsigned long flags,
			     struct rt_error *err)
{
	char p[FDPATH_MAX];
	cleanup_close int fd = rt_open_in_root(r->rootfd, dest, O_PATH, 0, err);

	if (fd < 0)
		return -1;
	rt_fd_path(fd, p, sizeof(p));
	if (r->in_userns)
		flags |= locked_flags(fd) & ~MS_RDONLY;
	if (mount(NULL, p, NULL, flags | MS_BIND | MS_REMOUNT, NULL) < 0) {
		/* the kernel refuses to clear locked atime flags: retry keeping them all */
		if (errno == EPERM &&
		    mount(NULL, p, NULL, flags | locked_flags(fd) | MS_BIND | MS_REMOUNT, NULL) ==
			0)
			return 0;
		return rt_error_set(err, errno, "remount `%s`", dest);
	}
	return 0;
}

static int apply_mount_attrs(struct rt_rootfs *r, const struct rt_mount *m, struct rt_error *err)
{
	struct rt_mount_attr attr = {.attr_set = m->attr_set, .attr_clr = m->attr_clr};
	cleanup_close int fd = -1;

	if (m->attr_set == 0 && m->attr_clr == 0)
		return 0;
	fd = rt_open_in_root(r->rootfd, m->destination, O_PATH, 0, err);
	if (fd < 0)
		return -1;
	if (rt_sys_mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return rt_error_set(err, errno, "set recursive attributes on `%s`", m->destination);
	return 0;
}

static int set_propagation(struct rt_rootfs *r, const char *dest, unsigned long prop,
			   struct rt_error *err)
{
	char p[FDPATH_MAX];
	cleanup_close int fd = -1;

	if (prop == 0)
		return 0;
	fd = rt_open_in_root(r->rootfd, dest, O_PATH, 0, err);
	if (fd < 0)
		return -1;
	rt_fd_path(fd, p, sizeof(p));
	if (mount(NULL, p, NULL, prop, NULL) < 0)
		return rt_error_set(err, errno, "set propagation of `%s`", dest);
	return 0;
}

/* --- idmapped mounts --- */

static int format_id_map(const struct rt_id_mapping *m, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		int k = snprintf(buf + off, len - off, "%u %u %u\n", m[i].container_id,
				 m[i].host_id, m[i].size);
		if (k < 0 || (size_t)k >= len - off)
			return -1;
		off += (size_t)k;
	}
	return (int)off;
}

/* A user namespace holding the mount's uidMappings/gidMappings, as an fd for
 * MOUNT_ATTR_IDMAP: a short-lived child unshares it and waits while we write its maps through
 * the host procfs handle; its ns/user stays alive through our fd after the child is gone. */
static int idmap_userns(int procfd, const struct rt_mount *m, struct rt_error *err)
{
	int ready[2], done[2];
	char uid_map[4096], gid_map[4096], path[64], pidbuf[32] = "";
	int nu = format_id_map(m->uid_mappings, m->n_uid_mappings, uid_map, sizeof(uid_map));
	int ng = format_id_map(m->gid_mappings, m->n_gid_mappings, gid_map, sizeof(gid_map));
	int fd = -1, status;
	pid_t child;

	if (nu <= 0 || ng <= 0)
		return rt_error_set(
		    err, EINVAL, "idmapped mount on `%s`: uidMappings and gidMappings are required",
		    m->destination);
	if (pipe2(ready, O_CLOEXEC) < 0)
		return rt_error_set(err, errno, "pipe");
	if (pipe2(done, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return rt_error_set(err, errno, "pipe");
	}
	child = fork();
	if (child == 0) {
		char c;
		ssize_t n;
		/* only the parent may hold the write end of `done`: its close is our signal */
		close(done[1]);
		close(ready[0]);
		/* our pid in the host's pid namespace: the procfs handle is the host's */
		n = readlinkat(procfd, "self", pidbuf, sizeof(pidbuf) - 1);
		if (n <= 0 || unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		if (write(ready[1], pidbuf, (size_t)n) != n)
			_exit(1);
		(void)!read(done[0], &c, 1);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	if (child < 0) {
		int e = errno;
		close(ready[0]);
		close(done[1]);
		return rt_error_set(err, e, "fork for the idmapped mount's user namespace");
	}
	ssize_t n = read(ready[0], pidbuf, sizeof(pidbuf) - 1);
	close(ready[0]);
	if (n > 0) {
		pidbuf[n] = '\0';
		snprintf(path, sizeof(path), "%s/gid_map", pidbuf);
		if (rt_procfs_write(procfd, path, gid_map, (size_t)ng, err) == 0) {
			snprintf(path, sizeof(path), "%s/uid_map", pidbuf);
			if (rt_procfs_write(procfd, path, uid_map, (size_t)nu, err) == 0) {
				struct statfs sfs;
				snprintf(path, sizeof(path), "%s/ns/user", pidbuf);
				/* a namespace file lives on nsfs, not procfs */
				fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
				if (fd < 0)
					rt_error_set(err, errno, "open `/proc/%s`", path);
				else if (fstatfs(fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC) {
					close(fd);
					fd = -1;
					rt_error_set(err, EXDEV,
						     "`/proc/%s` is not a namespace file", path);
				}
			}
		}
	} else {
		rt_error_set(err, ECHILD, "create the idmapped mount's user namespace");
	}
	close(done[1]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (fd < 0)
		return rt_error_wrap(err, "idmapped mount on `%s`", m->destination);
	return fd;
}

int rt_mount_idmap_tree(int procfd, const struct rt_mount *m, struct rt_error *err)
{
	cleanup_close int userns = idmap_userns(procfd, m, err);
	cleanup_close int tree = -1;
	struct rt_mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP};

	if (userns < 0)
		return -1;
	attr.userns_fd = (uint64_t)userns;
	/* the source is the host's, as for every bind mount */
	tree = rt_sys_open_tree(AT_FDCWD, m->source,
				OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
				    (m->recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return rt_error_set(err, errno, "idmapped mount: clone `%s`", m->source);
	if (rt_sys_mount_setattr(tree, "", AT_EMPTY_PATH | (m->recursive_idmap ? AT_RECURSIVE : 0),
				 &attr, sizeof(attr)) < 0) {
		int e = errno;
		return rt_error_set(
		    err, e, "idmapped mount of `%s` on `%s`%s", m->source, m->destination,
		    e == EINVAL ? " (the filesystem does not support idmapped mounts)" : "");
	}
	return TAKE_FD(tree);
}

/* Attach the idmapped tree the parent made (in the host's user namespace, which owns the
 * filesystem: an init inside a new user namespace may not idmap it itself). */
static int bind_idmapped(struct rt_rootfs *r, const struct rt_mount *m, int dstfd,
			 struct rt_error *err)
{
	int tree = r->idmap_trees ? r->idmap_trees[r->cur_mount] : -1;

	if (tree < 0)
		return rt_error_set(err, EINVAL, "idmapped mount on `%s` was not prepared",
				    m->destination);
	if (rt_sys_move_mount(tree, "", dstfd, "",
			      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return rt_error_set(err, errno, "attach idmapped mount on `%s`", m->destination);
	return 0;
}

static int mount_bind(struct rt_rootfs *r, const struct rt_mount *m, int dstfd,
		      struct rt_error *err)
{
	char src[FDPATH_MAX], dst[FDPATH_MAX];
	/* the source is the host's (the bundle's author names it); following its symlinks on the
	 * host side is what every runtime does.  The destination is never followed outside. */
	cleanup_close int srcfd = open(m->source, O_PATH | O_CLOEXEC);
	unsigned long extra;

	if (srcfd < 0)
		return rt_error_set(err, errno, "bind source `%s`", m->source);
	rt_fd_path(srcfd, src, sizeof(src));
	rt_fd_path(dstfd, dst, sizeof(dst));
	if (m->idmap) {
		if (bind_idmapped(r, m, dstfd, err) < 0)
			return -1;
	} else if (mount(src, dst, NULL, MS_BIND | (m->recursive ? MS_REC : 0), NULL) < 0) {
		return rt_error_set(err, errno, "bind `%s` on `%s`", m->source, m->destination);
	}
	extra = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
	if (extra && rt_mount_remount_in_root(r, m->destination, extra, err) < 0)
		return -1;
	return 0;
}

static int mount_fs(struct rt_rootfs *r, const struct rt_mount *m, int dstfd, struct rt_error *err)
{
	char dst[FDPATH_MAX];
	const char *type = m->type;
	const char *source = m->source ? m->source : m->type;

	rt_fd_path(dstfd, dst, sizeof(dst));
	/* without a cgroup namespace a cgroup filesystem would show the host's whole tree */
	if ((strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) &&
	    !r->spec->linux_cfg.ns[RT_NS_CGROUP].present)
		return rt_mount_cgroup_own(r, m, dstfd, err);
	/* husk's model is cgroup v2: a "cgroup" mount is the unified hierarchy */
	if (strcmp(type, "cgroup") == 0)
		type = "cgroup2";
	if (mount(source, dst, type, m->flags & ~MS_REMOUNT,
		  strcmp(type, "cgroup2") == 0 ? NULL : m->data) == 0)
		return 0;
	int e = errno;
	if ((e == EPERM || e == EBUSY) && strcmp(type, "cgroup2") == 0) {
		/* a cgroup namespace of another user namespace (joined by path): the host's tree
		 * bound would show every cgroup, ours alone is what the container may see */
		rt_debug("mount cgroup2 on %s: %s; binding the container's cgroup", m->destination,
			 strerror(e));
		return rt_mount_cgroup_own(r, m, dstfd, err);
	}
	if ((e == EPERM || e == EBUSY) && strcmp(type, "sysfs") == 0) {
		/* a user namespace without its own network namespace may not mount sysfs: bind
		 * the host's read-only instead, as runc */
		const char *host = "/sys";
		struct rt_mount b = *m;
		b.source = (char *)host;
		b.recursive = 1;
		b.flags = m->flags | MS_RDONLY;
		rt_debug("mount %s on %s: %s; binding %s instead", type, m->destination,
			 strerror(e), host);
		return mount_bind(r, &b, dstfd, err);
	}
	return rt_error_set(err, e, "mount %s on `%s`", type, m->destination);
}

/* --- tmpcopyup --- */

static int copy_file_data(int src, int dst)
{
	for (;;) {
		ssize_t n = sendfile(dst, src, NULL, 1 << 20);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Copy the directory tree at src into dst (both directory fds), keeping modes, owners and
 * times.  Nothing is followed: symlinks are copied as symlinks, every open is O_NOFOLLOW, so
 * a hostile image cannot make us read or write outside the two trees. */
static int copy_tree(int src, int dst, const char *what, int depth, struct rt_error *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *e;
	int fd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (depth > 64)
		return rt_error_set(err, ELOOP, "tmpcopyup `%s`: too deep", what);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		int e2 = errno;
		if (fd >= 0)
			close(fd);
		return rt_error_set(err, e2, "tmpcopyup: read `%s`", what);
	}
	while ((e = readdir(d))) {
		const char *name = e->d_name;
		struct stat st;
		struct timespec times[2];

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return rt_error_set(err, errno, "tmpcopyup: stat `%s/%s`", what, name);
		if (S_ISDIR(st.st_mode)) {
			cleanup_close int s2 = -1, d2 = -1;
			if (mkdirat(dst, name, st.st_mode & 07777) < 0)
				return rt_error_set(err, errno, "tmpcopyup: mkdir `%s/%s`", what,
						    name);
			s2 = openat(dirfd(d), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			d2 = openat(dst, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s2 < 0 || d2 < 0)
				return rt_error_set(err, errno, "tmpcopyup: open `%s/%s`", what,
						    name);
			if (copy_tree(s2, d2, name, depth + 1, err) < 0)
				return -1;
		} else if (S_ISREG(st.st_mode)) {
			cleanup_close int in =
			    openat(dirfd(d), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			cleanup_close int out = -1;
			if (in < 0)
				return rt_error_set(err, errno, "tmpcopyup: open `%s/%s`", what,
						    name);
			out =
			    openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				   st.st_mode & 07777);
			if (out < 0 || copy_file_data(in, out) < 0)
				return rt_error_set(err, errno, "tmpcopyup: copy `%s/%s`", what,
						    name);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(dirfd(d), name, target, sizeof(target) - 1);
			if (n < 0)
				return rt_error_set(err, errno, "tmpcopyup: readlink `%s/%s`", what,
						    name);
			target[n] = '\0';
			if (symlinkat(target, dst, name) < 0)
				return rt_error_set(err, errno, "tmpcopyup: symlink `%s/%s`", what,
						    name);
		} else if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0) {
			return rt_error_set(err, errno, "tmpcopyup: mknod `%s/%s`", what, name);
		}
		if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno != EINVAL)
			return rt_error_set(err, errno, "tmpcopyup: chown `%s/%s`", what, name);
		if (!S_ISLNK(st.st_mode) && fchmodat(dst, name, st.st_mode & 07777, 0) < 0)
			return rt_error_set(err, errno, "tmpcopyup: chmod `%s/%s`", what, name);
		times[0] = st.st_atim;
		times[1] = st.st_mtim;
		utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW);
	}
	return 0;
}

/* tmpcopyup (runc and crun): the new tmpfs starts with what the image had in that directory.
 * olddir is the directory below the mount (opened before mounting), the new mount is found
 * again inside the root. */
static int tmpcopyup(struct rt_rootfs *r, const struct rt_mount *m, int olddir,
		     struct rt_error *err)
{
	cleanup_close int newdir =
	    rt_open_in_root(r->rootfd, m->destination, O_PATH | O_DIRECTORY, 0, err);
	struct stat st;

	if (newdir < 0)
		return rt_error_wrap(err, "tmpcopyup");
	/* the tmpfs root takes the directory's owner and mode (unless the options set a mode) */
	if (fstat(olddir, &st) == 0) {
		char p[FDPATH_MAX];
		rt_fd_path(newdir, p, sizeof(p));
		if (chown(p, st.st_uid, st.st_gid) < 0 && errno != EINVAL)
			return rt_error_set(err, errno, "tmpcopyup: chown `%s`", m->destination);
		if ((m->data == NULL || strstr(m->data, "mode=") == NULL) &&
		    chmod(p, st.st_mode & 07777) < 0)
			return rt_error_set(err, errno, "tmpcopyup: chmod `%s`", m->destination);
	}
	return copy_tree(olddir, newdir, m->destination, 0, err);
}

static int source_is_dir(const struct rt_mount *m)
{
	struct stat st;

	if (m->kind != RT_MOUNT_BIND)
		return 1;
	return stat(m->source, &st) < 0 || S_ISDIR(st.st_mode);
}

static int do_mount(struct rt_rootfs *r, const struct rt_mount *m, struct rt_error *err)
{
	cleanup_close int dstfd = -1;

	if (source_is_dir(m))
		dstfd = rt_mkdir_in_root(r->rootfd, m->destination, 0755, err);
	else
		dstfd = rt_mkfile_in_root(r->rootfd, m->destination, 0644, err);
	if (dstfd < 0)
		return rt_error_wrap(err, "mount destination");
	if (m->kind == RT_MOUNT_BIND) {
		if (mount_bind(r, m, dstfd, err) < 0)
			return -1;
	} else {
		if (mount_fs(r, m, dstfd, err) < 0)
			return -1;
		if (m->tmpcopyup && m->type && strcmp(m->type, "tmpfs") == 0 &&
		    tmpcopyup(r, m, dstfd, err) < 0)
			return -1;
		if (strcmp(m->destination, "/dev") == 0 && strcmp(m->type, "tmpfs") == 0)
			r->dev_is_tmpfs = 1;
	}
	if (m->kind == RT_MOUNT_BIND && strcmp(m->destination, "/dev") == 0)
		r->dev_is_bind = 1;
	if (apply_mount_attrs(r, m, err) < 0)
		return -1;
	/* at once, as runc: a mount nested below this one later must not cross an rprivate
	 * or rslave volume to the host */
	return set_propagation(r, m->destination, m->propagation, err);
}

/* --- masked and read-only paths --- */

static int mask_paths(struct rt_rootfs *r, struct rt_error *err)
{
	const struct rt_linux *lx = &r->spec->linux_cfg;
	/* the host's /dev/null: a container-planted /dev/null (symlink, regular file) is never
	 * the source of a mask */
	cleanup_close int nullfd = -1;
	char src[FDPATH_MAX];

	if (lx->n_masked_paths == 0)
		return 0;
	nullfd = open("/dev/null", O_PATH | O_CLOEXEC);
	if (nullfd < 0)
		return rt_error_set(err, errno, "open host `/dev/null`");
	rt_fd_path(nullfd, src, sizeof(src));
	for (size_t i = 0; i < lx->n_masked_paths; i++) {
		const char *path = lx->masked_paths[i];
		struct rt_error e = RT_ERROR_INIT;
		char dst[FDPATH_MAX];
		struct stat st;
		/* a symlink is followed, clamped to the rootfs (as the runtime spec and runc, which
		 * masks after pivot_root): the target inside is what must not be readable */
		cleanup_close int fd = rt_open_in_root(r->rootfd, path, O_PATH, 0, &e);

		if (fd < 0) {
			if (e.errnum == ENOENT) {
				rt_error_release(&e);
				continue;
			}
			*err = e;
			return rt_error_wrap(err, "masked path");
		}
		if (fstat(fd, &st) < 0)
			return rt_error_set(err, errno, "masked path `%s`", path);
		rt_fd_path(fd, dst, sizeof(dst));
		if (S_ISDIR(st.st_mode)) {
			if (mount("tmpfs", dst, "tmpfs",
				  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
				return rt_error_set(err, errno, "mask `%s`", path);
		} else if (mount(src, dst, NULL, MS_BIND, NULL) < 0) {
			return rt_error_set(err, errno, "mask `%s`", path);
		}
	}
	return 0;
}

/* Bind the object behind fd onto itself read-only (and nosuid, nodev, noexec), recursively.
 * With the mount API every step works on fds: the clone of the tree, its attributes and the
 * move onto the same fd, so nothing is resolved by name again after the check (a container
 * that swaps a path component for a symlink between two lookups gains nothing). */
static int bind_readonly_fd(struct rt_rootfs *r, int fd, const char *path, struct rt_error *err)
{
	struct rt_mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
						 MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
	cleanup_close int tree = rt_sys_open_tree(
	    fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	char p[FDPATH_MAX];

	if (tree >= 0) {
		if (rt_sys_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
					 sizeof(attr)) < 0)
			return rt_error_set(err, errno, "make `%s` read-only", path);
		if (rt_sys_move_mount(tree, "", fd, "",
				      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return rt_error_set(err, errno, "bind read-only path `%s`", path);
		return 0;
	}
	if (errno != ENOSYS)
		return rt_error_set(err, errno, "clone the mount of `%s`", path);
	rt_fd_path(fd, p, sizeof(p));
	if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
		return rt_error_set(err, errno, "bind read-only path `%s`", path);
	return rt_mount_remount_in_root(r, path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, err);
}

static int readonly_paths(struct rt_rootfs *r, struct rt_error *err)
{
	const struct rt_linux *lx = &r->spec->linux_cfg;

	for (size_t i = 0; i < lx->n_readonly_paths; i++) {
		const char *path = lx->readonly_paths[i];
		struct rt_error e = RT_ERROR_INIT;
		/* symlinks are followed, clamped to the rootfs: the target inside is made read-only
		 */
		cleanup_close int fd = rt_open_in_root(r->rootfd, path, O_PATH, 0, &e);

		if (fd < 0) {
			if (e.errnum == ENOENT) {
				rt_error_release(&e);
				continue;
			}
			*err = e;
			return rt_error_wrap(err, "linux.readonlyPaths");
		}
		if (bind_readonly_fd(r, fd, path, err) < 0)
			return rt_error_wrap(err, "linux.readonlyPaths");
	}
	return 0;
}

/* --- propagation of the container's tree --- */

/* Whether mount id is shared (has a "shared:N" optional field in our mountinfo). */
static int mount_is_shared(int procfd, int id, struct rt_error *err)
{
	cleanup_free char *buf = NULL;
	char *save = NULL;

	if (rt_read_file_at(procfd, "self/mountinfo", &buf, NULL, err) < 0)
		return -1;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f, *fsave = NULL;
		int n = 0;
		if (atoi(line) != id)
			continue;
		/* id parent maj:min root mount-point options [optional fields...] - type ... */
		for (f = strtok_r(line, " ", &fsave); f; f = strtok_r(NULL, " ", &fsave), n++) {
			if (strcmp(f, "-") == 0)
				break;
			if (n >= 6 && strncmp(f, "shared:", 7) == 0)
				return 1;
		}
		return 0;
	}
	return rt_error_set(err, ENOENT, "mount %d: not in `/proc/self/mountinfo`", id);
}

/* The root of the mount holding the rootfs: climb ".." until the mount changes. */
static int parent_mount_root(int procfd, int fd, struct rt_error *err)
{
	cleanup_close int cur = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int id = rt_fd_mount_id(procfd, fd, err);

	if (id < 0)
		return -1;
	if (cur < 0)
		return rt_error_set(err, errno, "dup the rootfs fd");
	for (int depth = 0; depth < 4096; depth++) {
		cleanup_close int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		struct stat a, b;
		int upid;
		if (up < 0)
			return rt_error_set(err, errno, "open the rootfs' parent");
		upid = rt_fd_mount_id(procfd, up, err);
		if (upid < 0)
			return -1;
		/* "/" is its own parent */
		if (upid != id || fstat(up, &a) < 0 || fstat(cur, &b) < 0 ||
		    (a.st_dev == b.st_dev && a.st_ino == b.st_ino))
			return TAKE_FD(cur);
		close(cur);
		cur = TAKE_FD(up);
	}
	return rt_error_set(err, ELOOP, "find the mount of the rootfs");
}

/* Before the rootfs bind, as runc's prepareRoot: `/` gets rootfsPropagation (rslave when
 * unset) in our new namespace, so an rshared root keeps the host's peer groups and a
 * Bidirectional volume's mounts reach the host.  The mount holding the rootfs is then made
 * private if it is shared: pivot_root refuses a shared parent, and our rootfs bind would
 * propagate into the host's namespace through it. */
static int prepare_root_propagation(struct rt_rootfs *r, struct rt_error *err)
{
	const struct rt_spec *spec = r->spec;
	unsigned long prop = spec->linux_cfg.rootfs_propagation;
	cleanup_close int rootfs = -1, parent = -1;
	char p[FDPATH_MAX];
	int id, shared = 0;

	/* an unbindable `/` could not give the rootfs bind: that one waits for the pivot
	 * (rt_rootfs_finish), as without rootfsPropagation */
	if (prop == 0 || (prop & MS_UNBINDABLE))
		prop = MS_SLAVE | MS_REC;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return rt_error_set(err, errno, "set propagation of `/`");
	/* a recursive slave or private `/` leaves no mount of ours shared: nothing to look up
	 * (the usual case, and the search below costs dozens of syscalls) */
	if ((prop & MS_REC) && (prop & (MS_SLAVE | MS_PRIVATE)))
		return 0;
	/* the bundle's rootfs path is the caller's to name: resolved as given */
	rootfs = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfs < 0)
		return rt_error_set(err, errno, "open rootfs `%s`", spec->root_path);
	parent = parent_mount_root(r->procfd, rootfs, err);
	if (parent < 0)
		return rt_error_wrap(err, "rootfs `%s`", spec->root_path);
	id = rt_fd_mount_id(r->procfd, parent, err);
	if (id < 0 || (shared = mount_is_shared(r->procfd, id, err)) < 0)
		return rt_error_wrap(err, "rootfs `%s`", spec->root_path);
	rt_fd_path(parent, p, sizeof(p));
	if (shared && mount(NULL, p, NULL, MS_PRIVATE, NULL) < 0)
		return rt_error_set(err, errno, "make the mount holding `%s` private",
				    spec->root_path);
	return 0;
}

int rt_rootfs_prepare(struct rt_rootfs *r, struct rt_error *err)
{
	const struct rt_spec *spec = r->spec;

	if (!r->host_ns && prepare_root_propagation(r, err) < 0)
		return -1;
	/* pivot_root needs the new root to be a mount point; without a mount namespace it is
	 * what `delete` unmounts to take every mount of the container away */
	if (mount(spec->root_path, spec->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return rt_error_set(err, errno, "bind rootfs `%s`", spec->root_path);
	/* in the caller's namespace nothing we mount under it may reach the caller's peers */
	if (r->host_ns && mount(NULL, spec->root_path, NULL, MS_PRIVATE | MS_REC, NULL) < 0)
		return rt_error_set(err, errno, "make rootfs `%s` private", spec->root_path);
	r->rootfd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->rootfd < 0)
		return rt_error_set(err, errno, "open rootfs `%s`", spec->root_path);
	for (size_t i = 0; i < spec->n_mounts; i++) {
		r->cur_mount = i;
		if (do_mount(r, &spec->mounts[i], err) < 0)
			return rt_error_wrap(err, "mounts[%zu]", i);
	}
	if (rt_mount_setup_dev(r, err) < 0)
		return -1;
	if (mask_paths(r, err) < 0 || readonly_paths(r, err) < 0)
		return -1;
	return 0;
}

int rt_rootfs_pivot(struct rt_rootfs *r, int no_pivot, struct rt_error *err)
{
	/* the old root, by fd: after pivot_root(".", ".") it is stacked on the new root, and a
	 * mount() on "." from the new root would name the new root below it (only umount2
	 * follows onto the top mount), so making "." a slave would turn every mount of the
	 * container, shared volumes included, into a slave */
	cleanup_close int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (oldroot < 0)
		return rt_error_set(err, errno, "open `/`");
	if (fchdir(r->rootfd) < 0)
		return rt_error_set(err, errno, "chdir to rootfs");
	if (r->host_ns) {
		/* the caller's `/` stays where it is (pivot_root or MS_MOVE would change the
		 * host's tree): a chroot, as runc without a mount namespace */
		if (chroot(".") < 0)
			return rt_error_set(err, errno, "chroot into `%s`", r->spec->root_path);
	} else if (no_pivot) {
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			return rt_error_set(err, errno, "move rootfs to `/`");
		if (chroot(".") < 0)
			return rt_error_set(err, errno, "chroot");
	} else {
		/* pivot_root(".", ".") stacks the old root under the new one; detach it at once */
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return rt_error_set(err, errno, "pivot_root into `%s`", r->spec->root_path);
		if (fchdir(oldroot) < 0)
			return rt_error_set(err, errno, "chdir to the old root");
		/* its unmount must not propagate to the host */
		if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			return rt_error_set(err, errno, "make old root a slave");
		if (umount2(".", MNT_DETACH) < 0)
			return rt_error_set(err, errno, "detach old root");
	}
	if (chdir("/") < 0)
		return rt_error_set(err, errno, "chdir `/`");
	return 0;
}

int rt_rootfs_finish(struct rt_rootfs *r, struct rt_error *err)
{
	const struct rt_spec *spec = r->spec;

	if (spec->linux_cfg.rootfs_propagation &&
	    mount(NULL, "/", NULL, spec->linux_cfg.rootfs_propagation, NULL) < 0)
		return rt_error_set(err, errno, "set rootfsPropagation of `/`");
	if (spec->root_readonly) {
		unsigned long flags = MS_RDONLY | MS_BIND | MS_REMOUNT;
		cleanup_close int fd = open("/", O_PATH | O_CLOEXEC);
		if (r->in_userns && fd >= 0)
			flags |= locked_flags(fd);
		if (mount(NULL, "/", NULL, flags, NULL) < 0)
			return rt_error_set(err, errno, "remount `/` read-only");
	}
	return 0;
}
