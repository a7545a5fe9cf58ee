#define _GNU_SOURCE
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "v1.h"

static const char *const controller_names[CG_N_CONTROLLERS] = {
    [CG_CPUSET] = "cpuset",	[CG_CPU] = "cpu",	  [CG_IO] = "io",
    [CG_MEMORY] = "memory",	[CG_HUGETLB] = "hugetlb", [CG_PIDS] = "pids",
    [CG_RDMA] = "rdma",		[CG_MISC] = "misc",	  [CG_CPUACCT] = "cpuacct",
    [CG_DEVICES] = "devices",	[CG_FREEZER] = "freezer", [CG_NET_CLS] = "net_cls",
    [CG_NET_PRIO] = "net_prio",
};

const char *cg_controller_name(enum cg_controller c)
{
	return (unsigned)c < CG_N_CONTROLLERS ? controller_names[c] : "?";
}

const char *cg_controller_v1_name(enum cg_controller c)
{
	return c == CG_IO ? "blkio" : cg_controller_name(c);
}

int cg_controller_from_name(const char *name, size_t len)
{
	const char *dot = memchr(name, '.', len);

	if (dot)
		len = (size_t)(dot - name);
	for (int c = 0; c < CG_N_CONTROLLERS; c++)
		if (strlen(controller_names[c]) == len &&
		    memcmp(controller_names[c], name, len) == 0)
			return c;
	return -1;
}

unsigned cg_controllers_parse(const char *text)
{
	unsigned mask = 0;
	const char *p = text;

	while (*p) {
		p += strspn(p, " \t\n");
		size_t len = strcspn(p, " \t\n");
		if (len == 0)
			break;
		int c = cg_controller_from_name(p, len);
		/* "cpu.foo" is not a controller name; only whole words count */
		if (c >= 0 && memchr(p, '.', len) == NULL)
			mask |= CG_BIT(c);
		p += len;
	}
	return mask;
}

static int is_cgroup2(int fd)
{
	struct statfs st;

	return fstatfs(fd, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

static int hierarchy_new(int fd, const char *path, struct cg_hierarchy **ret, struct rt_error *err)
{
	cleanup_free char *controllers = NULL;
	struct cg_hierarchy *h;

	if (fd >= 0 && rt_read_file_at(fd, "cgroup.controllers", &controllers, NULL, err) < 0)
		return rt_error_wrap(err, "cgroup hierarchy `%s`", path);
	h = calloc(1, sizeof(*h));
	if (h == NULL || (h->path = strdup(path)) == NULL) {
		free(h);
		return rt_error_set(err, ENOMEM, "cgroup hierarchy `%s`", path);
	}
	h->controllers = controllers ? cg_controllers_parse(controllers) : 0;
	h->fd = fd;
	h->layout = CG_LAYOUT_UNIFIED;
	*ret = h;
	return 0;
}

int cg_hierarchy_open(const char *root_path, struct cg_hierarchy **ret, struct rt_error *err)
{
	cleanup_close int fd = -1;
	struct cg_hierarchy *h = NULL;

	if (root_path) {
		fd = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return rt_error_set(err, errno, "open cgroup hierarchy `%s`", root_path);
		if (hierarchy_new(fd, root_path, ret, err) < 0)
			return -1;
		TAKE_FD(fd);
		return 0;
	}
	fd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && is_cgroup2(fd)) {
		if (hierarchy_new(fd, "/sys/fs/cgroup", ret, err) < 0)
			return -1;
		TAKE_FD(fd);
		return 0;
	}
	if (fd >= 0)
		close(fd);
	/* hybrid or legacy: v1 controllers, maybe a cgroup2 beside them */
	fd = open("/sys/fs/cgroup/unified", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && !is_cgroup2(fd)) {
		close(fd);
		fd = -1;
	}
	if (hierarchy_new(fd, fd >= 0 ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup", &h, err) < 0)
		return -1;
	TAKE_FD(fd);
	if (cg_v1_hierarchy_open(h, err) < 0) {
		cg_hierarchy_free(h);
		return -1;
	}
	if (h->fd < 0 && h->v1 == NULL) {
		cg_hierarchy_free(h);
		return rt_error_set(err, ENOENT,
				    "no cgroup hierarchy: neither cgroup2 at /sys/fs/cgroup or "
				    "/sys/fs/cgroup/unified nor cgroup v1 mounts");
	}
	*ret = h;
	return 0;
}

void cg_hierarchy_free(struct cg_hierarchy *h)
{
	if (h == NULL)
		return;
	if (h->fd >= 0)
		close(h->fd);
	cg_v1_free(h->v1, 1);
	free(h->path);
	free(h);
}

int cg_own_cgroup(char **ret, struct rt_error *err)
{
	cleanup_free char *buf = NULL;

	if (rt_read_file_at(AT_FDCWD, "/proc/self/cgroup", &buf, NULL, err) < 0)
		return -1;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(line, "0::", 3) == 0) {
			*ret = strdup(line + 3);
			return *ret ? 0 : rt_error_set(err, ENOMEM, "/proc/self/cgroup");
		}
		line = nl ? nl + 1 : NULL;
	}
	return rt_error_set(err, ENOENT, "/proc/self/cgroup: no cgroup v2 (\"0::\") line");
}

/* Append the components of src to buf (a normalised, slash-joined relative path), refusing
 * "..": a cgroupsPath that climbs could name another container's cgroup or the root. */
static int append_components(char **buf, const char *src, const char *what, struct rt_error *err)
{
	cleanup_free char *copy = strdup(src);
	char *save = NULL;

	if (copy == NULL)
		return rt_error_set(err, ENOMEM, "%s", what);
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
			return rt_error_set(err, EINVAL,
					    "%s `%s`: \"..\" would leave the cgroup hierarchy",
					    what, src);
		char *joined = NULL;
		if (asprintf(&joined, "%s%s%s", *buf, **buf ? "/" : "", c) < 0)
			return rt_error_set(err, ENOMEM, "%s", what);
		free(*buf);
		*buf = joined;
	}
	return 0;
}

/* "a-b-c.slice" -> "a.slice/a-b.slice/a-b-c.slice", "-.slice" -> "" (the root slice), as
 * systemd lays slices out. */
static int expand_slice(const char *slice, char **ret, struct rt_error *err)
{
	size_t len = strlen(slice);
	const size_t suffix = strlen(".slice");
	cleanup_free char *out = strdup("");

	if (out == NULL)
		return rt_error_set(err, ENOMEM, "slice `%s`", slice);
	if (len <= suffix || strcmp(slice + len - suffix, ".slice") != 0 || strchr(slice, '/'))
		return rt_error_set(err, EINVAL, "cgroupsPath: invalid systemd slice `%s`", slice);
	if (strcmp(slice, "-.slice") == 0) {
		*ret = TAKE_PTR(out);
		return 0;
	}
	size_t name_len = len - suffix;
	if (slice[0] == '-' || slice[name_len - 1] == '-' || strstr(slice, "--"))
		return rt_error_set(err, EINVAL, "cgroupsPath: invalid systemd slice `%s`", slice);
	for (size_t i = 0; i <= name_len; i++) {
		if (i < name_len && slice[i] != '-')
			continue;
		char *joined = NULL;
		if (asprintf(&joined, "%s%s%.*s.slice", out, *out ? "/" : "", (int)i, slice) < 0)
			return rt_error_set(err, ENOMEM, "slice `%s`", slice);
		free(out);
		out = joined;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

int cg_systemd_path(const char *spec, const char *id, char **ret, struct rt_error *err)
{
	const char *c1 = strchr(spec, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	cleanup_free char *slice = NULL, *prefix = NULL, *name = NULL, *expanded = NULL;
	char *out = NULL;

	if (c1 == NULL || c2 == NULL || strchr(c2 + 1, ':'))
		return rt_error_set(err, EINVAL,
				    "cgroupsPath `%s`: expected the systemd form slice:prefix:name",
				    spec);
	slice = strndup(spec, (size_t)(c1 - spec));
	prefix = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
	name = strdup(*(c2 + 1) ? c2 + 1 : id);
	if (!slice || !prefix || !name)
		return rt_error_set(err, ENOMEM, "cgroupsPath `%s`", spec);
	if (strchr(prefix, '/') || strchr(name, '/') || strcmp(name, "..") == 0 || !*name)
		return rt_error_set(err, EINVAL, "cgroupsPath `%s`: invalid unit name", spec);
	/* runc's default parent: system.slice */
	if (expand_slice(*slice ? slice : "system.slice", &expanded, err) < 0)
		return -1;
	int r;
	size_t nlen = strlen(name);
	if (nlen > 6 && strcmp(name + nlen - 6, ".slice") == 0) {
		/* a slice as the unit: it nests under the parent slice, and is not a scope */
		cleanup_free char *leaf = NULL;
		if (expand_slice(name, &leaf, err) < 0)
			return -1;
		const char *last = strrchr(leaf, '/');
		r = asprintf(&out, "%s%s%s", expanded, *expanded ? "/" : "",
			     last ? last + 1 : leaf);
	} else {
		r = asprintf(&out, "%s%s%s%s%s.scope", expanded, *expanded ? "/" : "", prefix,
			     *prefix ? "-" : "", name);
	}
	if (r < 0)
		return rt_error_set(err, ENOMEM, "cgroupsPath `%s`", spec);
	*ret = out;
	return 0;
}

int cg_path_resolve(const char *cgroups_path, const char *id, const char *own_cgroup, int flags,
		    char **ret, struct rt_error *err)
{
	cleanup_free char *out = strdup("");
	cleanup_free char *mapped = NULL, *dflt = NULL;
	const char *p = cgroups_path ? cgroups_path : "";

	if (out == NULL)
		return rt_error_set(err, ENOMEM, "cgroupsPath");
	if (flags & CG_PATH_SYSTEMD) {
		if (cg_systemd_path(*p ? p : ":husk:", id, &mapped, err) < 0)
			return -1;
		/* a systemd path names a place from the root, like an absolute path */
		if (append_components(&out, mapped, "cgroupsPath", err) < 0)
			return -1;
		*ret = TAKE_PTR(out);
		return 0;
	}
	if (*p == '\0') {
		if (strchr(id, '/') || strcmp(id, "..") == 0 || strcmp(id, ".") == 0)
			return rt_error_set(err, EINVAL, "container id `%s`: not a cgroup name",
					    id);
		if (asprintf(&dflt, "husk/%s", id) < 0)
			return rt_error_set(err, ENOMEM, "cgroupsPath");
		p = dflt;
	}
	if (*p != '/' && own_cgroup) {
		/* relative: below the parent of our own cgroup, which (unlike ours) holds no
		 * processes and so may delegate controllers (the no-internal-process rule) */
		cleanup_free char *parent = strdup(own_cgroup);
		if (parent == NULL)
			return rt_error_set(err, ENOMEM, "cgroupsPath");
		char *slash = strrchr(parent, '/');
		if (slash)
			*slash = '\0';
		if (append_components(&out, parent, "own cgroup", err) < 0)
			return -1;
	}
	if (append_components(&out, p, "cgroupsPath", err) < 0)
		return -1;
	if (*out == '\0')
		return rt_error_set(err, EINVAL, "cgroupsPath `%s`: names the hierarchy root", p);
	*ret = TAKE_PTR(out);
	return 0;
}
