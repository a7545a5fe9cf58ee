#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <time.h>

#include "../../common/cleanup.h"
#include "../../common/syscalls.h"
#include "spec_internal.h"
#include "spec_resources.h"
#include "../../cgroups/cgroup.h"

static const struct {
	const char *name;
	int flag;
} ns_types[RT_NS_TYPES] = {
    [RT_NS_PID] = {"pid", CLONE_NEWPID},	  [RT_NS_NET] = {"network", CLONE_NEWNET},
    [RT_NS_MNT] = {"mount", CLONE_NEWNS},	  [RT_NS_IPC] = {"ipc", CLONE_NEWIPC},
    [RT_NS_UTS] = {"uts", CLONE_NEWUTS},	  [RT_NS_USER] = {"user", CLONE_NEWUSER},
    [RT_NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP}, [RT_NS_TIME] = {"time", CLONE_NEWTIME},
};

const char *rt_ns_type_name(enum rt_ns_type t)
{
	return (unsigned)t < RT_NS_TYPES ? ns_types[t].name : NULL;
}

int rt_ns_clone_flag(enum rt_ns_type t)
{
	return (unsigned)t < RT_NS_TYPES ? ns_types[t].flag : 0;
}

void rt_linux_clear(struct rt_linux *lx)
{
	for (int i = 0; i < RT_NS_TYPES; i++)
		free(lx->ns[i].path);
	free(lx->uid_mappings);
	free(lx->gid_mappings);
	for (size_t i = 0; i < lx->n_devices; i++)
		free(lx->devices[i].path);
	free(lx->devices);
	free(lx->cgroups_path);
	cg_limits_free(lx->resources);
	for (size_t i = 0; i < lx->n_sysctl; i++) {
		free(lx->sysctl[i].key);
		free(lx->sysctl[i].value);
	}
	free(lx->sysctl);
	rt_strv_free(lx->masked_paths);
	rt_strv_free(lx->readonly_paths);
	free(lx->mount_label);
	rt_seccomp_free(lx->seccomp);
	rt_strv_free(lx->personality.flags);
	free(lx->time_offsets);
	free(lx->intel_rdt_clos_id);
	memset(lx, 0, sizeof(*lx));
}

static int parse_namespace(json_t *v, const struct rt_jpath *p, struct rt_linux *lx,
			   struct rt_error *err)
{
	struct rt_jpath tp = RT_JPATH_KEY(p, "type");
	const char *type = NULL;
	char *path = NULL;
	int r, t;

	if (rt_json_check_object(v, p, err) < 0)
		return -1;
	if ((r = rt_json_get_string(v, "type", p, &type, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, &tp, "is required");
	for (t = 0; t < RT_NS_TYPES; t++)
		if (strcmp(ns_types[t].name, type) == 0)
			break;
	if (t == RT_NS_TYPES)
		return rt_json_error(err, &tp, "unknown namespace type \"%s\"", type);
	if (lx->ns[t].present)
		return rt_json_error(err, &tp, "namespace \"%s\" is listed twice", type);
	lx->ns[t].present = 1;
	if (rt_json_get_strdup(v, "path", p, &path, err) < 0)
		return -1;
	lx->ns[t].path = path;
	if (path && !rt_spec_is_abs(path)) {
		struct rt_jpath pp = RT_JPATH_KEY(p, "path");
		return rt_json_error(err, &pp, "\"%s\" must be an absolute path", path);
	}
	return 0;
}

static int parse_namespaces(json_t *obj, const struct rt_jpath *pp, struct rt_linux *lx,
			    struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "namespaces");
	json_t *arr = NULL;
	int r;

	if ((r = rt_json_get_array(obj, "namespaces", pp, &arr, err)) <= 0)
		return r;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct rt_jpath ep = RT_JPATH_IDX(&p, i);
		if (parse_namespace(json_array_get(arr, i), &ep, lx, err) < 0)
			return -1;
	}
	return 0;
}

int rt_spec_id_mappings_from_json(json_t *arr, const struct rt_jpath *p, struct rt_id_mapping **ret,
				  size_t *ret_n, struct rt_error *err)
{
	static const char *const keys[] = {"containerID", "hostID", "size"};
	cleanup_free struct rt_id_mapping *maps = NULL;
	size_t n = json_array_size(arr);

	maps = calloc(n ? n : 1, sizeof(*maps));
	if (maps == NULL)
		return rt_error_set(err, ENOMEM, "allocate id mappings");
	for (size_t i = 0; i < n; i++) {
		struct rt_jpath ep = RT_JPATH_IDX(p, i);
		json_t *m = json_array_get(arr, i);
		uint64_t v[3];

		if (rt_json_check_object(m, &ep, err) < 0)
			return -1;
		for (int k = 0; k < 3; k++) {
			int r = rt_json_get_uint64(m, keys[k], &ep, UINT32_MAX, &v[k], err);
			if (r < 0)
				return -1;
			if (r == 0)
				return rt_json_error(err, &ep, "%s is required", keys[k]);
		}
		if (v[2] == 0)
			return rt_json_error(err, &ep, "size must be greater than 0");
		/* The kernel refuses ranges that wrap around the 32-bit id space. */
		if (v[0] + v[2] > (uint64_t)UINT32_MAX + 1 ||
		    v[1] + v[2] > (uint64_t)UINT32_MAX + 1)
			return rt_json_error(err, &ep, "range exceeds the 32-bit id space");
		maps[i] = (struct rt_id_mapping){(uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2]};
	}
	*ret = TAKE_PTR(maps);
	*ret_n = n;
	return 0;
}

static int parse_user_mappings(json_t *obj, const struct rt_jpath *pp, struct rt_linux *lx,
			       struct rt_error *err)
{
	struct rt_jpath up = RT_JPATH_KEY(pp, "uidMappings");
	struct rt_jpath gp = RT_JPATH_KEY(pp, "gidMappings");
	json_t *arr = NULL;
	int r;

	if ((r = rt_json_get_array(obj, "uidMappings", pp, &arr, err)) < 0)
		return -1;
	if (r && rt_spec_id_mappings_from_json(arr, &up, &lx->uid_mappings, &lx->n_uid_mappings,
					       err) < 0)
		return -1;
	if ((r = rt_json_get_array(obj, "gidMappings", pp, &arr, err)) < 0)
		return -1;
	if (r && rt_spec_id_mappings_from_json(arr, &gp, &lx->gid_mappings, &lx->n_gid_mappings,
					       err) < 0)
		return -1;
	if (!lx->ns[RT_NS_USER].present) {
		if (lx->n_uid_mappings)
			return rt_json_error(err, &up, "given without a user namespace");
		if (lx->n_gid_mappings)
			return rt_json_error(err, &gp, "given without a user namespace");
		return 0;
	}
	/* Joining an existing user namespace takes its mappings as they are. */
	if (lx->ns[RT_NS_USER].path)
		return 0;
	if (lx->n_uid_mappings == 0)
		return rt_json_error(err, &up, "a new user namespace needs uid mappings");
	if (lx->n_gid_mappings == 0)
		return rt_json_error(err, &gp, "a new user namespace needs gid mappings");
	return 0;
}

static int parse_device(json_t *v, const struct rt_jpath *p, struct rt_device *d,
			struct rt_error *err)
{
	struct rt_jpath tp = RT_JPATH_KEY(p, "type");
	struct rt_jpath pp = RT_JPATH_KEY(p, "path");
	const char *type = NULL;
	uint64_t u = 0;
	int64_t i = 0;
	int r;

	if (rt_json_check_object(v, p, err) < 0)
		return -1;
	if ((r = rt_json_get_strdup(v, "path", p, &d->path, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, &pp, "is required");
	if (!rt_spec_is_abs(d->path))
		return rt_json_error(err, &pp, "\"%s\" must be an absolute path", d->path);
	if ((r = rt_json_get_string(v, "type", p, &type, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, &tp, "is required");
	if (strlen(type) != 1 || !strchr("cbup", type[0]))
		return rt_json_error(err, &tp, "\"%s\" must be one of c, b, u, p", type);
	d->type = type[0];
	if ((r = rt_json_get_int64(v, "major", p, 0, UINT32_MAX, &d->major, err)) < 0)
		return -1;
	if (r == 0 && d->type != 'p')
		return rt_json_error(err, p, "major is required for type \"%s\"", type);
	if ((r = rt_json_get_int64(v, "minor", p, 0, UINT32_MAX, &d->minor, err)) < 0)
		return -1;
	if (r == 0 && d->type != 'p')
		return rt_json_error(err, p, "minor is required for type \"%s\"", type);
	if ((r = rt_json_get_uint64(v, "fileMode", p, 07777, &u, err)) < 0)
		return -1;
	d->has_file_mode = r;
	d->file_mode = (mode_t)u;
	if ((r = rt_json_get_int64(v, "uid", p, 0, UINT32_MAX - 1, &i, err)) < 0)
		return -1;
	d->has_uid = r;
	d->uid = (uid_t)i;
	if ((r = rt_json_get_int64(v, "gid", p, 0, UINT32_MAX - 1, &i, err)) < 0)
		return -1;
	d->has_gid = r;
	d->gid = (gid_t)i;
	return 0;
}

static int parse_devices(json_t *obj, const struct rt_jpath *pp, struct rt_linux *lx,
			 struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "devices");
	json_t *arr = NULL;
	int r;

	if ((r = rt_json_get_array(obj, "devices", pp, &arr, err)) <= 0)
		return r;
	lx->devices = calloc(json_array_size(arr) + 1, sizeof(*lx->devices));
	if (lx->devices == NULL)
		return rt_error_set(err, ENOMEM, "allocate devices");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct rt_jpath ep = RT_JPATH_IDX(&p, i);
		lx->n_devices++;
		if (parse_device(json_array_get(arr, i), &ep, &lx->devices[i], err) < 0)
			return -1;
	}
	return 0;
}

int rt_sysctl_check(const struct rt_linux *lx, const char *key, struct rt_error *err)
{
	static const char *const ipc_keys[] = {
	    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
	};
	int ipc = strncmp(key, "fs.mqueue.", 10) == 0;

	for (size_t i = 0; !ipc && i < ARRAY_SIZE(ipc_keys); i++)
		ipc = strcmp(key, ipc_keys[i]) == 0;
	if (ipc) {
		if (lx->ns[RT_NS_IPC].present)
			return 0;
		return rt_error_set(
		    err, 0,
		    "linux.sysctl: \"%s\" needs an ipc namespace of the container's "
		    "own, it would change the host's",
		    key);
	}
	if (strncmp(key, "net.", 4) == 0) {
		if (lx->ns[RT_NS_NET].present)
			return 0;
		return rt_error_set(err, 0,
				    "linux.sysctl: \"%s\" needs a network namespace of the "
				    "container's own, it would change the host's",
				    key);
	}
	if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0) {
		if (lx->ns[RT_NS_UTS].present)
			return 0;
		return rt_error_set(err, 0,
				    "linux.sysctl: \"%s\" needs a uts namespace of the container's "
				    "own, it would change the host's",
				    key);
	}
	return rt_error_set(err, 0,
			    "linux.sysctl: \"%s\" is not namespaced: setting it would change the "
			    "host",
			    key);
}

static int parse_sysctl(json_t *obj, const struct rt_jpath *pp, struct rt_linux *lx,
			struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "sysctl");
	json_t *o = NULL, *v;
	const char *key;
	int r;

	if ((r = rt_json_get_object(obj, "sysctl", pp, &o, err)) <= 0)
		return r;
	lx->sysctl = calloc(json_object_size(o) + 1, sizeof(*lx->sysctl));
	if (lx->sysctl == NULL)
		return rt_error_set(err, ENOMEM, "allocate sysctl");
	json_object_foreach (o, key, v) {
		struct rt_jpath kp = RT_JPATH_KEY(&p, key);
		struct rt_kv *kv = &lx->sysctl[lx->n_sysctl];

		if (rt_sysctl_check(lx, key, err) < 0)
			return -1;
		if (rt_json_strdup(v, &kp, &kv->value, err) < 0)
			return -1;
		lx->n_sysctl++;
		kv->key = strdup(key);
		if (kv->key == NULL)
			return rt_error_set(err, ENOMEM, "allocate sysctl");
	}
	return 0;
}

static int parse_path_list(json_t *obj, const char *key, const struct rt_jpath *pp, char ***ret,
			   size_t *ret_n, struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, key);

	if (rt_json_get_strv(obj, key, pp, ret, ret_n, err) < 0)
		return -1;
	for (size_t i = 0; i < *ret_n; i++)
		if (!rt_spec_is_abs((*ret)[i])) {
			struct rt_jpath ep = RT_JPATH_IDX(&p, i);
			return rt_json_error(err, &ep, "\"%s\" must be an absolute path",
					     (*ret)[i]);
		}
	return 0;
}

static int parse_rootfs_propagation(json_t *obj, const struct rt_jpath *pp, struct rt_linux *lx,
				    struct rt_error *err)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} props[] = {
	    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
	    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
	    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
	    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
	};
	struct rt_jpath p = RT_JPATH_KEY(pp, "rootfsPropagation");
	const char *s = NULL;
	int r;

	if ((r = rt_json_get_string(obj, "rootfsPropagation", pp, &s, err)) <= 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(props); i++)
		if (strcmp(props[i].name, s) == 0) {
			lx->rootfs_propagation = props[i].flags;
			return 0;
		}
	return rt_json_error(err, &p, "unknown propagation \"%s\"", s);
}

static int parse_personality(json_t *obj, const struct rt_jpath *pp, struct rt_linux *lx,
			     struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "personality");
	struct rt_jpath dp = RT_JPATH_KEY(&p, "domain");
	const char *domain = NULL;
	json_t *o = NULL;
	int r;

	if ((r = rt_json_get_object(obj, "personality", pp, &o, err)) <= 0)
		return r;
	if ((r = rt_json_get_string(o, "domain", &p, &domain, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, &dp, "is required");
	if (strcmp(domain, "LINUX") == 0)
		lx->personality.domain = PER_LINUX;
	else if (strcmp(domain, "LINUX32") == 0)
		lx->personality.domain = PER_LINUX32;
	else
		return rt_json_error(err, &dp, "unknown domain \"%s\" (LINUX or LINUX32)", domain);
	lx->has_personality = 1;
	return rt_json_get_strv(o, "flags", &p, &lx->personality.flags, &lx->personality.n_flags,
				err) < 0
		   ? -1
		   : 0;
}

static int parse_time_offsets(json_t *obj, const struct rt_jpath *pp, struct rt_linux *lx,
			      struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "timeOffsets");
	json_t *o = NULL, *v;
	const char *key;
	int r;

	if ((r = rt_json_get_object(obj, "timeOffsets", pp, &o, err)) <= 0)
		return r;
	if (!lx->ns[RT_NS_TIME].present)
		return rt_json_error(err, &p, "given without a time namespace");
	/* Offsets can only be written before the first process enters the namespace. */
	if (lx->ns[RT_NS_TIME].path)
		return rt_json_error(err, &p,
				     "cannot be set when joining an existing time "
				     "namespace");
	lx->time_offsets = calloc(json_object_size(o) + 1, sizeof(*lx->time_offsets));
	if (lx->time_offsets == NULL)
		return rt_error_set(err, ENOMEM, "allocate timeOffsets");
	json_object_foreach (o, key, v) {
		struct rt_jpath kp = RT_JPATH_KEY(&p, key);
		struct rt_time_offset *t = &lx->time_offsets[lx->n_time_offsets];
		uint64_t ns = 0;

		if (strcmp(key, "monotonic") == 0)
			t->clock = CLOCK_MONOTONIC;
		else if (strcmp(key, "boottime") == 0)
			t->clock = CLOCK_BOOTTIME;
		else
			return rt_json_error(err, &kp, "unknown clock (monotonic or boottime)");
		if (rt_json_check_object(v, &kp, err) < 0 ||
		    rt_json_get_int64(v, "secs", &kp, INT64_MIN, INT64_MAX, &t->secs, err) < 0 ||
		    rt_json_get_uint64(v, "nanosecs", &kp, 999999999, &ns, err) < 0)
			return -1;
		t->nanosecs = (uint32_t)ns;
		lx->n_time_offsets++;
	}
	return 0;
}

static int parse_linux_misc(json_t *obj, const struct rt_jpath *p, struct rt_linux *lx,
			    struct rt_error *err)
{
	json_t *v = NULL;
	int r;

	if (rt_json_get_strdup(obj, "cgroupsPath", p, &lx->cgroups_path, err) < 0 ||
	    rt_json_get_strdup(obj, "mountLabel", p, &lx->mount_label, err) < 0 ||
	    parse_path_list(obj, "maskedPaths", p, &lx->masked_paths, &lx->n_masked_paths, err) <
		0 ||
	    parse_path_list(obj, "readonlyPaths", p, &lx->readonly_paths, &lx->n_readonly_paths,
			    err) < 0 ||
	    parse_rootfs_propagation(obj, p, lx, err) < 0 || parse_personality(obj, p, lx, err) < 0)
		return -1;
	if ((r = rt_json_get_object(obj, "seccomp", p, &v, err)) < 0)
		return -1;
	if (r) {
		struct rt_jpath sp = RT_JPATH_KEY(p, "seccomp");
		if (rt_spec_seccomp_from_json(v, &sp, &lx->seccomp, err) < 0)
			return -1;
	}
	if (json_object_get(obj, "intelRdt") && !json_is_null(json_object_get(obj, "intelRdt"))) {
		struct rt_jpath ip = RT_JPATH_KEY(p, "intelRdt");
		return rt_json_error(err, &ip, "Intel RDT is not supported by husk");
	}
	return 0;
}

/* The devices husk creates must be usable: each linux.devices entry becomes an allow rwm rule
 * of the cgroup's device program, as in runc. */
static int allow_created_devices(struct rt_linux *lx, struct rt_error *err)
{
	for (size_t i = 0; i < lx->n_devices; i++) {
		const struct rt_device *d = &lx->devices[i];
		struct cg_device_rule rule = {
		    .allow = 1,
		    .type = d->type == 'b' ? 'b' : 'c',
		    .major = d->major,
		    .minor = d->minor,
		    .access = CG_DEV_READ | CG_DEV_WRITE | CG_DEV_MKNOD,
		};
		if (d->type == 'p')
			continue; /* FIFOs are not devices to the cgroup */
		if (lx->resources == NULL && (lx->resources = cg_limits_new()) == NULL)
			return rt_error_set(err, ENOMEM, "linux.devices");
		if (cg_limits_add_device(lx->resources, &rule, err) < 0)
			return rt_error_wrap(err, "linux.devices[%zu]", i);
	}
	return 0;
}

int rt_spec_linux_from_json(json_t *obj, const struct rt_jpath *p, struct rt_linux *lx,
			    struct rt_error *err)
{
	if (rt_json_check_object(obj, p, err) < 0)
		return -1;
	/* Namespaces first: the mapping, sysctl and timeOffsets rules depend on them. */
	if (parse_namespaces(obj, p, lx, err) < 0 || parse_user_mappings(obj, p, lx, err) < 0 ||
	    parse_devices(obj, p, lx, err) < 0 || parse_sysctl(obj, p, lx, err) < 0 ||
	    parse_time_offsets(obj, p, lx, err) < 0 || parse_linux_misc(obj, p, lx, err) < 0)
		return -1;
	/* linux.resources: translated into struct cg_limits by spec_resources.c */
	json_t *res = json_object_get(obj, "resources");
	if (res && !json_is_null(res) && rt_spec_parse_resources(res, &lx->resources, err) < 0)
		return -1;
	return allow_created_devices(lx, err);
}
