#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../../common/cleanup.h"
#include "spec_internal.h"

enum opt_kind {
	OPT_NOOP,  /* "defaults": the kernel defaults, nothing to set */
	OPT_SET,   /* MS_* to set */
	OPT_CLEAR, /* MS_* to clear */
	OPT_BIND,  /* MS_BIND, value has MS_REC for rbind */
	OPT_PROPAGATION,
	OPT_ATTR_SET, /* MOUNT_ATTR_* for mount_setattr(AT_RECURSIVE) */
	OPT_ATTR_CLEAR,
	OPT_ATIME,     /* an atime mode: an enum inside MOUNT_ATTR__ATIME, not a bit */
	OPT_IDMAP,     /* value 1: ridmap */
	OPT_TMPCOPYUP, /* value 1: tmpcopyup, 0: notmpcopyup */
};

struct mount_opt {
	const char *name;
	enum opt_kind kind;
	unsigned long value;
};

static const struct mount_opt mount_opts[] = {
    {"defaults", OPT_NOOP, 0},
    {"ro", OPT_SET, MS_RDONLY},
    {"rw", OPT_CLEAR, MS_RDONLY},
    {"nosuid", OPT_SET, MS_NOSUID},
    {"suid", OPT_CLEAR, MS_NOSUID},
    {"nodev", OPT_SET, MS_NODEV},
    {"dev", OPT_CLEAR, MS_NODEV},
    {"noexec", OPT_SET, MS_NOEXEC},
    {"exec", OPT_CLEAR, MS_NOEXEC},
    {"sync", OPT_SET, MS_SYNCHRONOUS},
    {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"dirsync", OPT_SET, MS_DIRSYNC},
    {"remount", OPT_SET, MS_REMOUNT},
    {"mand", OPT_SET, MS_MANDLOCK},
    {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"noatime", OPT_SET, MS_NOATIME},
    {"atime", OPT_CLEAR, MS_NOATIME},
    {"nodiratime", OPT_SET, MS_NODIRATIME},
    {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"relatime", OPT_SET, MS_RELATIME},
    {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"strictatime", OPT_SET, MS_STRICTATIME},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"lazytime", OPT_SET, MS_LAZYTIME},
    {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
    {"nosymfollow", OPT_SET, MS_NOSYMFOLLOW},
    {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
    {"bind", OPT_BIND, 0},
    {"rbind", OPT_BIND, MS_REC},
    {"shared", OPT_PROPAGATION, MS_SHARED},
    {"rshared", OPT_PROPAGATION, MS_SHARED | MS_REC},
    {"slave", OPT_PROPAGATION, MS_SLAVE},
    {"rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC},
    {"private", OPT_PROPAGATION, MS_PRIVATE},
    {"rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC},
    {"unbindable", OPT_PROPAGATION, MS_UNBINDABLE},
    {"runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
    {"rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY},
    {"rrw", OPT_ATTR_CLEAR, MOUNT_ATTR_RDONLY},
    {"rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID},
    {"rsuid", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSUID},
    {"rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV},
    {"rdev", OPT_ATTR_CLEAR, MOUNT_ATTR_NODEV},
    {"rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC},
    {"rexec", OPT_ATTR_CLEAR, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", OPT_ATTR_CLEAR, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
    /* Undoing noatime or strictatime gives the kernel default, relatime; "no relatime" can
     * only mean updating atime on every access, which is strictatime. */
    {"rnoatime", OPT_ATIME, MOUNT_ATTR_NOATIME},
    {"ratime", OPT_ATIME, MOUNT_ATTR_RELATIME},
    {"rstrictatime", OPT_ATIME, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", OPT_ATIME, MOUNT_ATTR_RELATIME},
    {"rrelatime", OPT_ATIME, MOUNT_ATTR_RELATIME},
    {"rnorelatime", OPT_ATIME, MOUNT_ATTR_STRICTATIME},
    {"idmap", OPT_IDMAP, 0},
    {"ridmap", OPT_IDMAP, 1},
    /* runc and crun extensions: copy the image's directory content up into a new tmpfs */
    {"tmpcopyup", OPT_TMPCOPYUP, 1},
    {"notmpcopyup", OPT_TMPCOPYUP, 0},
};

static int append_data(struct rt_mount *m, const char *opt, struct rt_error *err)
{
	size_t old = m->data ? strlen(m->data) : 0, add = strlen(opt);
	char *d = realloc(m->data, old + add + 2);

	if (d == NULL)
		return rt_error_set(err, ENOMEM, "allocate mount data");
	if (old)
		d[old++] = ',';
	memcpy(d + old, opt, add + 1);
	m->data = d;
	return 0;
}

int rt_mount_option_apply(struct rt_mount *m, const char *opt, struct rt_error *err)
{
	const struct mount_opt *o = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++)
		if (strcmp(mount_opts[i].name, opt) == 0) {
			o = &mount_opts[i];
			break;
		}
	if (o == NULL)
		return opt[0] ? append_data(m, opt, err) : 0;
	/* The last of two contradicting options wins, as with mount(8). */
	switch (o->kind) {
	case OPT_NOOP: break;
	case OPT_SET:
		m->flags |= o->value;
		m->clear_flags &= ~o->value;
		break;
	case OPT_CLEAR:
		m->flags &= ~o->value;
		m->clear_flags |= o->value;
		break;
	case OPT_BIND:
		m->flags |= MS_BIND | o->value;
		if (o->value & MS_REC)
			m->recursive = 1;
		break;
	case OPT_PROPAGATION: m->propagation = o->value; break;
	case OPT_ATTR_SET:
		m->attr_set |= o->value;
		m->attr_clr &= ~o->value;
		break;
	case OPT_ATTR_CLEAR:
		m->attr_set &= ~o->value;
		m->attr_clr |= o->value;
		break;
	case OPT_ATIME:
		/* mount_setattr(2) wants the whole atime field cleared to change the mode. */
		m->attr_set = (m->attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | o->value;
		m->attr_clr |= MOUNT_ATTR__ATIME;
		break;
	case OPT_IDMAP:
		m->idmap = 1;
		m->recursive_idmap = (int)o->value;
		break;
	case OPT_TMPCOPYUP: m->tmpcopyup = (int)o->value; break;
	}
	return 0;
}

static void set_kind(struct rt_mount *m)
{
	if ((m->type && strcmp(m->type, "bind") == 0) || (m->flags & MS_BIND)) {
		m->kind = RT_MOUNT_BIND;
		m->flags |= MS_BIND;
	} else {
		m->kind = RT_MOUNT_FS;
	}
}

int rt_mount_options_parse(struct rt_mount *m, const char *const *opts, size_t n,
			   struct rt_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (rt_mount_option_apply(m, opts[i], err) < 0)
			return -1;
	set_kind(m);
	return 0;
}

void rt_mount_clear(struct rt_mount *m)
{
	free(m->destination);
	free(m->type);
	free(m->source);
	free(m->data);
	free(m->uid_mappings);
	free(m->gid_mappings);
	memset(m, 0, sizeof(*m));
}

static int parse_options(json_t *obj, const struct rt_jpath *p, struct rt_mount *m,
			 struct rt_error *err)
{
	struct rt_jpath op = RT_JPATH_KEY(p, "options");
	json_t *arr = NULL;
	int r;

	if ((r = rt_json_get_array(obj, "options", p, &arr, err)) < 0)
		return -1;
	for (size_t i = 0; r && i < json_array_size(arr); i++) {
		struct rt_jpath ep = RT_JPATH_IDX(&op, i);
		const char *opt = NULL;
		if (rt_json_string(json_array_get(arr, i), &ep, &opt, err) < 0 ||
		    rt_mount_option_apply(m, opt, err) < 0)
			return -1;
	}
	set_kind(m);
	return 0;
}

static int parse_idmap(json_t *obj, const struct rt_jpath *p, struct rt_mount *m,
		       struct rt_error *err)
{
	json_t *arr = NULL;
	int ru, rg;

	if ((ru = rt_json_get_array(obj, "uidMappings", p, &arr, err)) < 0)
		return -1;
	if (ru) {
		struct rt_jpath up = RT_JPATH_KEY(p, "uidMappings");
		if (rt_spec_id_mappings_from_json(arr, &up, &m->uid_mappings, &m->n_uid_mappings,
						  err) < 0)
			return -1;
	}
	if ((rg = rt_json_get_array(obj, "gidMappings", p, &arr, err)) < 0)
		return -1;
	if (rg) {
		struct rt_jpath gp = RT_JPATH_KEY(p, "gidMappings");
		if (rt_spec_id_mappings_from_json(arr, &gp, &m->gid_mappings, &m->n_gid_mappings,
						  err) < 0)
			return -1;
	}
	if (m->n_uid_mappings != 0 && m->n_gid_mappings == 0)
		return rt_json_error(err, p, "uidMappings given without gidMappings");
	if (m->n_gid_mappings != 0 && m->n_uid_mappings == 0)
		return rt_json_error(err, p, "gidMappings given without uidMappings");
	/* Mappings alone ask for an idmapped mount, as in runc. */
	if (m->n_uid_mappings)
		m->idmap = 1;
	return 0;
}

static int make_source_absolute(struct rt_mount *m, const char *bundle, struct rt_error *err)
{
	char *abs;

	if (rt_spec_is_abs(m->source) || bundle == NULL)
		return 0;
	if (asprintf(&abs, "%s/%s", bundle, m->source) < 0)
		return rt_error_set(err, ENOMEM, "allocate mount source");
	free(m->source);
	m->source = abs;
	return 0;
}

static int parse_mount(json_t *obj, const struct rt_jpath *p, const char *bundle,
		       struct rt_mount *m, struct rt_error *err)
{
	struct rt_jpath dp = RT_JPATH_KEY(p, "destination");
	int r;

	if (rt_json_check_object(obj, p, err) < 0)
		return -1;
	if ((r = rt_json_get_strdup(obj, "destination", p, &m->destination, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, &dp, "is required");
	if (!rt_spec_is_abs(m->destination))
		return rt_json_error(err, &dp, "\"%s\" must be an absolute path", m->destination);
	if (rt_json_get_strdup(obj, "type", p, &m->type, err) < 0 ||
	    rt_json_get_strdup(obj, "source", p, &m->source, err) < 0 ||
	    parse_options(obj, p, m, err) < 0 || parse_idmap(obj, p, m, err) < 0)
		return -1;
	if (m->kind == RT_MOUNT_BIND) {
		struct rt_jpath sp = RT_JPATH_KEY(p, "source");
		if (m->source == NULL || m->source[0] == '\0')
			return rt_json_error(err, &sp, "is required for a bind mount of \"%s\"",
					     m->destination);
		return make_source_absolute(m, bundle, err);
	}
	return 0;
}

int rt_spec_mounts_from_json(json_t *arr, const struct rt_jpath *p, const char *bundle,
			     struct rt_spec *spec, struct rt_error *err)
{
	size_t n = json_array_size(arr);

	spec->mounts = calloc(n ? n : 1, sizeof(*spec->mounts));
	if (spec->mounts == NULL)
		return rt_error_set(err, ENOMEM, "allocate mounts");
	for (size_t i = 0; i < n; i++) {
		struct rt_jpath ep = RT_JPATH_IDX(p, i);
		/* Counted before parsing so that rt_spec_free releases a half-parsed entry. */
		spec->n_mounts++;
		if (parse_mount(json_array_get(arr, i), &ep, bundle, &spec->mounts[i], err) < 0)
			return -1;
	}
	return 0;
}
