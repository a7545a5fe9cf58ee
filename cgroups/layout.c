#define _GNU_SOURCE
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
#include "cgroup.h"
#include "internal.h"
#include "v1.h"

/* Which layout the host has: decided from the filesystem types at /sys/fs/cgroup and
 * /sys/fs/cgroup/unified and from the v1 mounts in /proc/self/mountinfo. */

const char *cg_layout_name(enum cg_layout l)
{
	switch (l) {
	case CG_LAYOUT_UNIFIED: return "unified";
	case CG_LAYOUT_HYBRID: return "hybrid";
	case CG_LAYOUT_LEGACY: return "legacy";
	}
	return "?";
}

static const struct {
	const char *name;
	enum cg_controller c;
} v1_names[] = {
    {"cpuset", CG_CPUSET},     {"cpu", CG_CPU},		{"cpuacct", CG_CPUACCT},
    {"blkio", CG_IO},	       {"memory", CG_MEMORY},	{"hugetlb", CG_HUGETLB},
    {"pids", CG_PIDS},	       {"rdma", CG_RDMA},	{"misc", CG_MISC},
    {"devices", CG_DEVICES},   {"freezer", CG_FREEZER}, {"net_cls", CG_NET_CLS},
    {"net_prio", CG_NET_PRIO},
};

unsigned cg_v1_mount_controllers(const char *super_options)
{
	unsigned mask = 0;

	for (const char *p = super_options; *p;) {
		size_t len = strcspn(p, ",");
		for (size_t i = 0; i < ARRAY_SIZE(v1_names); i++)
			if (strlen(v1_names[i].name) == len &&
			    memcmp(v1_names[i].name, p, len) == 0)
				mask |= CG_BIT(v1_names[i].c);
		p += len;
		p += *p == ',';
	}
	return mask;
}

void cg_v1_free(struct cg_v1 *v, int owns_roots)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++) {
		if (owns_roots && v->d[i].root_fd >= 0)
			close(v->d[i].root_fd);
		if (v->d[i].fd >= 0)
			close(v->d[i].fd);
		free(v->d[i].mount);
	}
	free(v);
}

const struct cg_v1_dir *cg_v1_find(const struct cg_v1 *v, enum cg_controller c)
{
	for (size_t i = 0; v && i < v->n; i++)
		if (v->d[i].controllers & CG_BIT(c))
			return &v->d[i];
	return NULL;
}

/* A mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE
 * SUPER_OPTS".  Returns the mount point and super options of a "cgroup" (v1) mount. */
static int cgroup1_line(char *line, char **ret_mount, char **ret_super)
{
	char *save = NULL, *f[5];
	char *sep = strstr(line, " - ");

	if (sep == NULL)
		return 0;
	*sep = '\0';
	f[0] = strtok_r(line, " ", &save);
	for (int i = 1; i < 5; i++)
		f[i] = f[i - 1] ? strtok_r(NULL, " ", &save) : NULL;
	save = NULL;
	char *fstype = strtok_r(sep + 3, " ", &save);
	char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
	char *super = source ? strtok_r(NULL, " ", &save) : NULL;
	if (f[4] == NULL || super == NULL || strcmp(fstype, "cgroup") != 0)
		return 0;
	*ret_mount = f[4];
	*ret_super = super;
	return 1;
}

int cg_v1_parse_mountinfo(const char *text, struct cg_v1 **ret, struct rt_error *err)
{
	cleanup_free char *copy = strdup(text);
	struct cg_v1 *v = calloc(1, sizeof(*v));
	char *save = NULL;

	*ret = NULL;
	if (copy == NULL || v == NULL) {
		free(v);
		return rt_error_set(err, ENOMEM, "mountinfo");
	}
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *mount, *super;
		unsigned mask;
		int seen = 0;
		if (!cgroup1_line(l, &mount, &super) ||
		    (mask = cg_v1_mount_controllers(super)) == 0)
			continue;
		/* the same hierarchy mounted twice (a bind mount): the first one */
		for (size_t i = 0; i < v->n; i++)
			seen |= v->d[i].controllers == mask;
		if (seen || v->n == CG_V1_MAX)
			continue;
		struct cg_v1_dir *d = &v->d[v->n];
		d->root_fd = d->fd = -1;
		d->controllers = mask;
		if ((d->mount = strdup(mount)) == NULL) {
			cg_v1_free(v, 1);
			return rt_error_set(err, ENOMEM, "mountinfo");
		}
		v->n++;
	}
	if (v->n == 0) {
		free(v);
		return 0;
	}
	*ret = v;
	return 0;
}

static int is_cgroup2_path(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

static int read_v1_mounts(struct cg_v1 **ret, struct rt_error *err)
{
	cleanup_free char *mi = NULL;

	if (rt_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &mi, NULL, err) < 0)
		return -1;
	return cg_v1_parse_mountinfo(mi, ret, err);
}

int cg_layout_detect(enum cg_layout *ret, struct rt_error *err)
{
	struct cg_v1 *v = NULL;

	if (is_cgroup2_path("/sys/fs/cgroup")) {
		*ret = CG_LAYOUT_UNIFIED;
		return 0;
	}
	if (read_v1_mounts(&v, err) < 0)
		return -1;
	if (v == NULL && !is_cgroup2_path("/sys/fs/cgroup/unified"))
		return rt_error_set(err, ENOENT,
				    "no cgroup hierarchy: /sys/fs/cgroup is neither cgroup2 nor "
				    "holds v1 hierarchies");
	cg_v1_free(v, 1);
	/* a cgroup2 at unified with no v1 controller mounted is a v2 host in all but name */
	*ret = v == NULL				   ? CG_LAYOUT_UNIFIED
	       : is_cgroup2_path("/sys/fs/cgroup/unified") ? CG_LAYOUT_HYBRID
							   : CG_LAYOUT_LEGACY;
	return 0;
}

int cg_v1_hierarchy_open(struct cg_hierarchy *h, struct rt_error *err)
{
	struct cg_v1 *v = NULL;

	if (read_v1_mounts(&v, err) < 0)
		return -1;
	if (v == NULL)
		return 0;
	/* the v1 hierarchies carry the limits; a cgroup2 beside them only tracks the processes
	 * (on this kind of host it rarely has more than hugetlb or nothing) */
	h->controllers = 0;
	for (size_t i = 0; i < v->n; i++) {
		v->d[i].root_fd = open(v->d[i].mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (v->d[i].root_fd < 0) {
			rt_error_set(err, errno, "open cgroup v1 hierarchy `%s`", v->d[i].mount);
			cg_v1_free(v, 1);
			return -1;
		}
		h->controllers |= v->d[i].controllers;
	}
	h->v1 = v;
	h->layout = h->fd >= 0 ? CG_LAYOUT_HYBRID : CG_LAYOUT_LEGACY;
	return 0;
}
