/* /sys/fs/cgroup for a container without a cgroup namespace.  A cgroup filesystem mounted
 * there would show the whole host hierarchy, other containers' cgroups included; runc's
 * mountCgroupV1/mountCgroupV2 show only the container's own, and so do we:
 *  - a unified host: the container's cgroup2 directory bound on the destination;
 *  - a hybrid or legacy host: a tmpfs with each v1 hierarchy's directory of the init's own
 *    cgroup (from /proc/self/cgroup: right also once a v1 backend places containers) bound at
 *    the hierarchy's name, links for co-mounted controllers (cpu -> cpu,cpuacct), and
 *    `unified` bound at the container's cgroup2 directory.
 * Everything is read-only unless the mount's options say "rw". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "../../common/log.h"
#include "mount_internal.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

int rt_mount_cg_layout_parse(char *mountinfo, struct rt_cg_layout *l)
{
	char *save = NULL;

	l->n = 0;
	for (char *line = strtok_r(mountinfo, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[6], *fsave = NULL, *type, *opts;
		char *sep = strstr(line, " - ");
		size_t k = 0;
		if (sep == NULL)
			continue;
		*sep = '\0';
		type = strtok_r(sep + 3, " ", &fsave);
		(void)strtok_r(NULL, " ", &fsave); /* source */
		opts = strtok_r(NULL, " ", &fsave);
		if (type == NULL || opts == NULL ||
		    (strcmp(type, "cgroup") != 0 && strcmp(type, "cgroup2") != 0))
			continue;
		fsave = NULL;
		for (char *t = strtok_r(line, " ", &fsave); t && k < 6;
		     t = strtok_r(NULL, " ", &fsave))
			f[k++] = t;
		if (k < 6 || strncmp(f[4], CGROUP_ROOT, strlen(CGROUP_ROOT)) != 0 ||
		    (f[4][strlen(CGROUP_ROOT)] != '\0' && f[4][strlen(CGROUP_ROOT)] != '/'))
			continue;
		if (l->n == RT_CG_MAX_HIERARCHIES)
			return -1;
		l->m[l->n++] = (struct rt_cg_mountpoint){
		    .point = f[4], .root = f[3], .opts = opts, .v2 = strcmp(type, "cgroup2") == 0};
	}
	return 0;
}

/* The cgroup mounts of our (still the host's copy of the) mount table under /sys/fs/cgroup;
 * *ret_buf holds the strings. */
static int read_layout(int procfd, struct rt_cg_layout *l, char **ret_buf, struct rt_error *err)
{
	if (rt_read_file_at(procfd, "self/mountinfo", ret_buf, NULL, err) < 0)
		return -1;
	if (rt_mount_cg_layout_parse(*ret_buf, l) < 0)
		return rt_error_set(err, E2BIG, "more than %d cgroup mounts under `%s`",
				    RT_CG_MAX_HIERARCHIES, CGROUP_ROOT);
	return 0;
}

/* Whether every controller of a /proc/self/cgroup line ("cpu,cpuacct", "name=systemd") is
 * among the super options of a v1 mount. */
static int hierarchy_matches(const char *controllers, const char *opts)
{
	char list[256];
	char *save = NULL;
	int any = 0;

	if (snprintf(list, sizeof(list), "%s", controllers) >= (int)sizeof(list))
		return 0;
	for (char *c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(c);
		const char *p = opts;
		int found = 0;
		while ((p = strstr(p, c)) != NULL) {
			if ((p == opts || p[-1] == ',') && (p[n] == '\0' || p[n] == ',')) {
				found = 1;
				break;
			}
			p += n;
		}
		if (!found)
			return 0;
		any = 1;
	}
	return any;
}

const char *rt_mount_cg_own_path(char *selfcg, const struct rt_cg_mountpoint *mp, char *buf,
				 size_t len)
{
	size_t rl = strcmp(mp->root, "/") == 0 ? 0 : strlen(mp->root);
	char *save = NULL;

	for (char *line = strtok_r(selfcg, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		const char *path;
		int match;
		if (c2 == NULL)
			continue;
		*c2 = '\0';
		match = mp->v2 ? (c1[1] == '\0' && strncmp(line, "0:", 2) == 0)
			       : hierarchy_matches(c1 + 1, mp->opts);
		*c2 = ':';
		if (!match)
			continue;
		path = c2 + 1;
		/* a mount of a sub-directory of the hierarchy shows the paths below its root */
		if (rl) {
			if (strncmp(path, mp->root, rl) != 0 ||
			    (path[rl] != '\0' && path[rl] != '/'))
				return NULL;
			path += rl;
		}
		return snprintf(buf, len, "%s", path) < (int)len ? buf : NULL;
	}
	return NULL;
}

/* The host directory of the init's cgroup in mp, opened. */
static int open_own_dir(int procfd, const struct rt_cg_mountpoint *mp, struct rt_error *err)
{
	cleanup_free char *selfcg = NULL;
	char path[PATH_MAX], dir[PATH_MAX];
	const char *rel;
	int fd;

	if (rt_read_file_at(procfd, "self/cgroup", &selfcg, NULL, err) < 0)
		return -1;
	rel = rt_mount_cg_own_path(selfcg, mp, path, sizeof(path));
	if (rel == NULL)
		return rt_error_set(err, ENOENT, "`%s`: the init is in no cgroup of it", mp->point);
	if (snprintf(dir, sizeof(dir), "%s%s", mp->point, rel) >= (int)sizeof(dir))
		return rt_error_set(err, ENAMETOOLONG, "cgroup `%s%s`", mp->point, rel);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return rt_error_set(err, errno, "open cgroup `%s`", dir);
	return fd;
}

/* Bind the directory srcfd on dest (inside the rootfs, made by the caller) with flags. */
static int bind_cgroup_dir(struct rt_rootfs *r, int srcfd, const char *dest, unsigned long flags,
			   struct rt_error *err)
{
	char src[64], dst[64];
	cleanup_close int dstfd = rt_open_in_root(r->rootfd, dest, O_PATH | O_DIRECTORY, 0, err);

	if (dstfd < 0)
		return -1;
	rt_fd_path(srcfd, src, sizeof(src));
	rt_fd_path(dstfd, dst, sizeof(dst));
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return rt_error_set(err, errno, "bind the container's cgroup on `%s`", dest);
	return rt_mount_remount_in_root(r, dest, flags, err);
}

/* The container's own cgroup2 directory: the one create made (the init may not have joined it
 * yet), else the init's own.  By path: an fd of the parent's is on a mount of the host's
 * namespace, which a bind in ours refuses. */
static int open_cgroup2_dir(struct rt_rootfs *r, const struct rt_cg_mountpoint *mp,
			    struct rt_error *err)
{
	char dir[PATH_MAX];
	int fd;

	if (r->cgroup_path == NULL)
		return open_own_dir(r->procfd, mp, err);
	if (snprintf(dir, sizeof(dir), "%s/%s", mp->point, r->cgroup_path) >= (int)sizeof(dir))
		return rt_error_set(err, ENAMETOOLONG, "cgroup `%s`", r->cgroup_path);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return rt_error_set(err, errno, "open cgroup `%s`", dir);
	return fd;
}

static int mount_hybrid(struct rt_rootfs *r, const struct rt_mount *m, int dstfd,
			const struct rt_cg_layout *l, unsigned long flags, struct rt_error *err)
{
	char dst[64];
	cleanup_close int tmpfs = -1;

	rt_fd_path(dstfd, dst, sizeof(dst));
	if (mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		return rt_error_set(err, errno, "mount tmpfs on `%s`", m->destination);
	tmpfs = rt_open_in_root(r->rootfd, m->destination, O_PATH | O_DIRECTORY, 0, err);
	if (tmpfs < 0)
		return -1;
	for (size_t i = 0; i < l->n; i++) {
		const struct rt_cg_mountpoint *mp = &l->m[i];
		const char *name = mp->point + strlen(CGROUP_ROOT);
		cleanup_close int src = -1;
		cleanup_free char *dest = NULL;
		if (*name++ != '/' || *name == '\0' || strchr(name, '/'))
			continue;
		src = mp->v2 ? open_cgroup2_dir(r, mp, err) : open_own_dir(r->procfd, mp, err);
		if (src < 0 && !mp->v2 && err->errnum == ENOENT) {
			/* a v1 mount of a subtree the init is not in: nothing of it is ours */
			rt_debug("cgroup `%s`: %s", mp->point, err->msg);
			rt_error_release(err);
			continue;
		}
		if (src < 0)
			return rt_error_wrap(err, "mount `%s`", m->destination);
		if (mkdirat(tmpfs, name, 0755) < 0 ||
		    asprintf(&dest, "%s/%s", m->destination, name) < 0)
			return rt_error_set(err, errno, "mkdir `%s/%s`", m->destination, name);
		if (bind_cgroup_dir(r, src, dest, flags, err) < 0)
			return -1;
		/* co-mounted controllers: each name leads to the hierarchy, as on the host */
		if (strchr(name, ',')) {
			char list[256], *save = NULL;
			snprintf(list, sizeof(list), "%s", name);
			for (char *c = strtok_r(list, ",", &save); c;
			     c = strtok_r(NULL, ",", &save))
				if (symlinkat(name, tmpfs, c) < 0 && errno != EEXIST)
					return rt_error_set(err, errno, "symlink `%s/%s`",
							    m->destination, c);
		}
	}
	return rt_mount_remount_in_root(
	    r, m->destination, (flags & MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC, err);
}

int rt_mount_cgroup_own(struct rt_rootfs *r, const struct rt_mount *m, int dstfd,
			struct rt_error *err)
{
	struct rt_cg_layout l;
	cleanup_free char *mountinfo = NULL;
	unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);

	/* read-only unless the spec says "rw" */
	if (!(m->clear_flags & MS_RDONLY))
		flags |= MS_RDONLY;
	if (read_layout(r->procfd, &l, &mountinfo, err) < 0)
		return -1;
	for (size_t i = 0; i < l.n; i++) {
		cleanup_close int src = -1;
		if (!l.m[i].v2 || strcmp(l.m[i].point, CGROUP_ROOT) != 0)
			continue;
		/* a unified host */
		src = open_cgroup2_dir(r, &l.m[i], err);
		if (src < 0)
			return -1;
		return bind_cgroup_dir(r, src, m->destination, flags, err);
	}
	if (l.n == 0)
		return rt_error_set(err, ENOENT,
				    "mount `%s`: the host has no cgroup mount under `%s`",
				    m->destination, CGROUP_ROOT);
	return mount_hybrid(r, m, dstfd, &l, flags, err);
}
