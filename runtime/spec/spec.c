#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "spec_internal.h"

static const char *const hook_names[RT_HOOK_KINDS] = {
    [RT_HOOK_PRESTART] = "prestart",
    [RT_HOOK_CREATE_RUNTIME] = "createRuntime",
    [RT_HOOK_CREATE_CONTAINER] = "createContainer",
    [RT_HOOK_START_CONTAINER] = "startContainer",
    [RT_HOOK_POSTSTART] = "poststart",
    [RT_HOOK_POSTSTOP] = "poststop",
};

const char *rt_hook_kind_name(enum rt_hook_kind k)
{
	return (unsigned)k < RT_HOOK_KINDS ? hook_names[k] : NULL;
}

void rt_process_free(struct rt_process *process)
{
	if (process == NULL)
		return;
	rt_process_clear(process);
	free(process);
}

void rt_spec_free(struct rt_spec *spec)
{
	if (spec == NULL)
		return;
	free(spec->oci_version);
	free(spec->source);
	free(spec->bundle);
	free(spec->root_path);
	rt_process_clear(&spec->process);
	free(spec->hostname);
	free(spec->domainname);
	for (size_t i = 0; i < spec->n_mounts; i++)
		rt_mount_clear(&spec->mounts[i]);
	free(spec->mounts);
	for (int k = 0; k < RT_HOOK_KINDS; k++) {
		struct rt_hook_list *l = &spec->hooks[k];
		for (size_t i = 0; i < l->n; i++) {
			free(l->hooks[i].path);
			rt_strv_free(l->hooks[i].args);
			rt_strv_free(l->hooks[i].env);
		}
		free(l->hooks);
	}
	for (size_t i = 0; i < spec->n_annotations; i++) {
		free(spec->annotations[i].key);
		free(spec->annotations[i].value);
	}
	free(spec->annotations);
	rt_linux_clear(&spec->linux_cfg);
	free(spec);
}

static int parse_oci_version(json_t *root, struct rt_spec *spec, struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(NULL, "ociVersion");
	unsigned long major;
	char *end;
	int r;

	if ((r = rt_json_get_strdup(root, "ociVersion", NULL, &spec->oci_version, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, &p, "is required");
	errno = 0;
	major = strtoul(spec->oci_version, &end, 10);
	if (end == spec->oci_version || *end != '.' || errno || spec->oci_version[0] == '-' ||
	    spec->oci_version[0] == '+')
		return rt_json_error(err, &p, "\"%s\" is not a version like \"1.2.0\"",
				     spec->oci_version);
	/* Versions keep compatibility within a major version only. */
	if (major != 1)
		return rt_json_error(err, &p,
				     "\"%s\": major version %lu is not supported (husk "
				     "implements 1.x)",
				     spec->oci_version, major);
	return 0;
}

static int join_bundle(const char *bundle, const char *path, char **ret, struct rt_error *err)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (rt_spec_is_abs(path) || bundle == NULL)
		*ret = strdup(path);
	else if (asprintf(ret, "%s/%s", bundle, path) < 0)
		*ret = NULL;
	if (*ret == NULL)
		return rt_error_set(err, ENOMEM, "allocate path");
	return 0;
}

static int parse_root(json_t *root, struct rt_spec *spec, struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(NULL, "root");
	struct rt_jpath pp = RT_JPATH_KEY(&p, "path");
	const char *path = NULL;
	json_t *o = NULL;
	int r;

	if ((r = rt_json_get_object(root, "root", NULL, &o, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, &p, "is required on Linux");
	if ((r = rt_json_get_string(o, "path", &p, &path, err)) < 0)
		return -1;
	if (r == 0 || path[0] == '\0')
		return rt_json_error(err, &pp, "is required");
	if (rt_json_get_bool(o, "readonly", &p, &spec->root_readonly, err) < 0)
		return -1;
	return join_bundle(spec->bundle, path, &spec->root_path, err);
}

static int check_env(char **env, const struct rt_jpath *p, struct rt_error *err)
{
	for (size_t i = 0; env && env[i]; i++) {
		const char *eq = strchr(env[i], '=');
		if (eq == NULL || eq == env[i]) {
			struct rt_jpath ep = RT_JPATH_IDX(p, i);
			return rt_json_error(err, &ep, "\"%s\" is not of the form KEY=VALUE",
					     env[i]);
		}
	}
	return 0;
}

static int parse_hook(json_t *v, const struct rt_jpath *p, struct rt_hook *h, struct rt_error *err)
{
	struct rt_jpath pp = RT_JPATH_KEY(p, "path");
	struct rt_jpath ep = RT_JPATH_KEY(p, "env");
	int64_t timeout;
	int r;

	if (rt_json_check_object(v, p, err) < 0)
		return -1;
	if ((r = rt_json_get_strdup(v, "path", p, &h->path, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, &pp, "is required");
	if (!rt_spec_is_abs(h->path))
		return rt_json_error(err, &pp, "\"%s\" must be an absolute path", h->path);
	if (rt_json_get_strv(v, "args", p, &h->args, NULL, err) < 0 ||
	    rt_json_get_strv(v, "env", p, &h->env, NULL, err) < 0 ||
	    check_env(h->env, &ep, err) < 0)
		return -1;
	if ((r = rt_json_get_int64(v, "timeout", p, 1, INT_MAX, &timeout, err)) < 0)
		return -1;
	h->has_timeout = r;
	h->timeout = r ? (int)timeout : 0;
	return 0;
}

static int parse_hooks(json_t *root, struct rt_spec *spec, struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(NULL, "hooks");
	json_t *o = NULL, *arr = NULL;
	int r;

	if ((r = rt_json_get_object(root, "hooks", NULL, &o, err)) <= 0)
		return r;
	for (int k = 0; k < RT_HOOK_KINDS; k++) {
		struct rt_jpath kp = RT_JPATH_KEY(&p, hook_names[k]);
		struct rt_hook_list *l = &spec->hooks[k];

		if ((r = rt_json_get_array(o, hook_names[k], &p, &arr, err)) < 0)
			return -1;
		if (r == 0)
			continue;
		l->hooks = calloc(json_array_size(arr) + 1, sizeof(*l->hooks));
		if (l->hooks == NULL)
			return rt_error_set(err, ENOMEM, "allocate hooks");
		for (size_t i = 0; i < json_array_size(arr); i++) {
			struct rt_jpath ep = RT_JPATH_IDX(&kp, i);
			l->n++;
			if (parse_hook(json_array_get(arr, i), &ep, &l->hooks[i], err) < 0)
				return -1;
		}
	}
	return 0;
}

static int parse_annotations(json_t *root, struct rt_spec *spec, struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(NULL, "annotations");
	json_t *o = NULL, *v;
	const char *key;
	int r;

	if ((r = rt_json_get_object(root, "annotations", NULL, &o, err)) <= 0)
		return r;
	spec->annotations = calloc(json_object_size(o) + 1, sizeof(*spec->annotations));
	if (spec->annotations == NULL)
		return rt_error_set(err, ENOMEM, "allocate annotations");
	/* jansson iterates objects in document order (since 2.8). */
	json_object_foreach (o, key, v) {
		struct rt_jpath kp = RT_JPATH_KEY(&p, key);
		struct rt_kv *kv = &spec->annotations[spec->n_annotations];

		if (rt_json_strdup(v, &kp, &kv->value, err) < 0)
			return -1;
		spec->n_annotations++;
		kv->key = strdup(key);
		if (kv->key == NULL)
			return rt_error_set(err, ENOMEM, "allocate annotations");
	}
	return 0;
}

/* runc refuses these too: without a uts namespace of its own the container would rename the
 * host. */
static int parse_uts_names(json_t *root, struct rt_spec *spec, struct rt_error *err)
{
	static const char *const keys[] = {"hostname", "domainname"};
	char **dst[] = {&spec->hostname, &spec->domainname};

	for (int i = 0; i < 2; i++) {
		struct rt_jpath p = RT_JPATH_KEY(NULL, keys[i]);
		if (rt_json_get_strdup(root, keys[i], NULL, dst[i], err) < 0)
			return -1;
		if (*dst[i] && (*dst[i])[0] && !spec->linux_cfg.ns[RT_NS_UTS].present)
			return rt_json_error(err, &p,
					     "\"%s\" cannot be set without a uts namespace in "
					     "linux.namespaces",
					     *dst[i]);
	}
	return 0;
}

static int parse_spec(json_t *root, struct rt_spec *spec, struct rt_error *err)
{
	json_t *v = NULL;
	int r;

	if (!json_is_object(root))
		return rt_error_set(err, 0, "the document must be a JSON object");
	if (parse_oci_version(root, spec, err) < 0 || parse_root(root, spec, err) < 0)
		return -1;
	if ((r = rt_json_get_object(root, "process", NULL, &v, err)) < 0)
		return -1;
	if (r) {
		struct rt_jpath p = RT_JPATH_KEY(NULL, "process");
		spec->has_process = 1;
		if (rt_spec_process_from_json(v, &p, &spec->process, err) < 0)
			return -1;
	}
	if ((r = rt_json_get_object(root, "linux", NULL, &v, err)) < 0)
		return -1;
	if (r) {
		struct rt_jpath p = RT_JPATH_KEY(NULL, "linux");
		if (rt_spec_linux_from_json(v, &p, &spec->linux_cfg, err) < 0)
			return -1;
	}
	if (parse_uts_names(root, spec, err) < 0)
		return -1;
	if ((r = rt_json_get_array(root, "mounts", NULL, &v, err)) < 0)
		return -1;
	if (r) {
		struct rt_jpath p = RT_JPATH_KEY(NULL, "mounts");
		if (rt_spec_mounts_from_json(v, &p, spec->bundle, spec, err) < 0)
			return -1;
	}
	if (parse_hooks(root, spec, err) < 0 || parse_annotations(root, spec, err) < 0)
		return -1;
	return 0;
}

static int absolute_bundle(const char *bundle_dir, char **ret, struct rt_error *err)
{
	char cwd[PATH_MAX];

	*ret = NULL;
	if (bundle_dir == NULL)
		return 0;
	if (rt_spec_is_abs(bundle_dir)) {
		*ret = strdup(bundle_dir);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return rt_error_set(err, errno, "getcwd");
		if (asprintf(ret, "%s/%s", cwd, bundle_dir) < 0)
			*ret = NULL;
	}
	if (*ret == NULL)
		return rt_error_set(err, ENOMEM, "allocate bundle path");
	return 0;
}

int rt_spec_parse(const char *json_text, size_t len, const char *bundle_dir,
		  struct rt_spec **ret_spec, struct rt_error *err)
{
	json_auto_t *root = NULL;
	struct rt_spec *spec;

	if (rt_json_load(json_text, len, &root, err) < 0)
		return rt_error_wrap(err, "config.json");
	spec = calloc(1, sizeof(*spec));
	if (spec == NULL)
		return rt_error_set(err, ENOMEM, "allocate spec");
	if (absolute_bundle(bundle_dir, &spec->bundle, err) < 0 ||
	    parse_spec(root, spec, err) < 0) {
		rt_spec_free(spec);
		return rt_error_wrap(err, "config.json");
	}
	*ret_spec = spec;
	return 0;
}

int rt_spec_load(const char *bundle_dir, struct rt_spec **ret_spec, struct rt_error *err)
{
	cleanup_free char *bundle = NULL;
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	size_t len = 0;

	/* The bundle is the host's side: resolving its symlinks here is safe and gives hooks
	 * and state a stable absolute path. */
	bundle = realpath(bundle_dir, NULL);
	if (bundle == NULL)
		return rt_error_set(err, errno, "bundle `%s`", bundle_dir);
	if (asprintf(&path, "%s/config.json", bundle) < 0) {
		path = NULL;
		return rt_error_set(err, ENOMEM, "allocate config.json path");
	}
	if (rt_read_file_at(AT_FDCWD, path, &text, &len, err) < 0 ||
	    rt_spec_parse(text, len, bundle, ret_spec, err) < 0)
		return -1;
	(*ret_spec)->source = TAKE_PTR(text);
	(*ret_spec)->source_len = len;
	return 0;
}

int rt_spec_parse_process(const char *json_text, size_t len, struct rt_process **ret_process,
			  struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(NULL, "process");
	json_auto_t *root = NULL;
	struct rt_process *proc;

	if (rt_json_load(json_text, len, &root, err) < 0)
		return rt_error_wrap(err, "process");
	proc = calloc(1, sizeof(*proc));
	if (proc == NULL)
		return rt_error_set(err, ENOMEM, "allocate process");
	if (rt_spec_process_from_json(root, &p, proc, err) < 0) {
		rt_process_free(proc);
		return -1;
	}
	*ret_process = proc;
	return 0;
}
