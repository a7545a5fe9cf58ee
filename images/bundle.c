#define _GNU_SOURCE
#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/crashpoint.h"
#include "../common/fsutil.h"
#include "../common/log.h"
#include "digest.h"
#include "image.h"
#include "overlay.h"
#include "store.h"

/* ---------------------------------------------------------------- user */

static int parse_id(const char *s, unsigned long *ret)
{
	char *end;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*ret = strtoul(s, &end, 10);
	return (*end || errno || *ret > UINT32_MAX - 1) ? -1 : 0;
}

static FILE *open_etc(int rootfd, const char *path)
{
	struct rt_error e = RT_ERROR_INIT;
	int fd = rt_open_in_root(rootfd, path, O_RDONLY, 0, &e);
	rt_error_release(&e);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "re");
	if (f == NULL)
		close(fd);
	return f;
}

int img_user_resolve(int rootfd, const char *user, struct img_user *ret, struct rt_error *err)
{
	cleanup_free char *copy = strdup(user ? user : "");
	cleanup_free char *name = NULL;
	cleanup_fclose FILE *pw = NULL;
	cleanup_fclose FILE *gr = NULL;
	unsigned long id;
	int have_uid = 0, have_gid = 0;
	struct img_user u = {0};

	if (copy == NULL)
		return rt_error_set(err, ENOMEM, "user `%s`", user);
	char *group = strchr(copy, ':');
	if (group)
		*group++ = '\0';
	const char *uname = copy[0] ? copy : "0";

	pw = open_etc(rootfd, "/etc/passwd");
	if (parse_id(uname, &id) == 0) {
		u.uid = (uid_t)id;
		have_uid = 1;
	}
	for (struct passwd *p; pw && (p = fgetpwent(pw)) != NULL;) {
		if (have_uid ? p->pw_uid == u.uid : strcmp(p->pw_name, uname) == 0) {
			u.uid = p->pw_uid;
			u.gid = p->pw_gid;
			have_uid = have_gid = 1;
			name = strdup(p->pw_name);
			break;
		}
	}
	if (!have_uid)
		return rt_error_set(err, ENOENT, "user `%s`: not in the image's /etc/passwd",
				    uname);
	if (group && group[0]) {
		have_gid = 0;
		if (parse_id(group, &id) == 0) {
			u.gid = (gid_t)id;
			have_gid = 1;
		}
	}
	gr = open_etc(rootfd, "/etc/group");
	size_t cap = 0;
	for (struct group *g; gr && (g = fgetgrent(gr)) != NULL;) {
		if (group && group[0] && !have_gid && strcmp(g->gr_name, group) == 0) {
			u.gid = g->gr_gid;
			have_gid = 1;
		}
		/* supplementary groups of a named user, as docker gives them; not when a
		 * group was named explicitly */
		if (!name || (group && group[0]))
			continue;
		for (char **m = g->gr_mem; *m; m++) {
			if (strcmp(*m, name) != 0 || g->gr_gid == u.gid)
				continue;
			if (u.n_additional == cap) {
				cap = cap ? cap * 2 : 8;
				gid_t *n = realloc(u.additional, cap * sizeof(gid_t));
				if (n == NULL) {
					free(u.additional);
					return rt_error_set(err, ENOMEM, "user `%s`", user);
				}
				u.additional = n;
			}
			u.additional[u.n_additional++] = g->gr_gid;
		}
	}
	if (group && group[0] && !have_gid) {
		free(u.additional);
		return rt_error_set(err, ENOENT, "group `%s`: not in the image's /etc/group",
				    group);
	}
	*ret = u;
	return 0;
}

/* ---------------------------------------------------------------- config.json */

static int env_set(json_t *env, const char *kv)
{
	size_t klen = strcspn(kv, "="), i;
	json_t *v;

	json_array_foreach (env, i, v) {
		const char *s = json_string_value(v);
		if (s && strncmp(s, kv, klen) == 0 && s[klen] == '=')
			return json_array_set_new(env, i, json_string(kv));
	}
	return json_array_append_new(env, json_string(kv));
}

static int set_args(json_t *process, json_t *cfg, const char *entrypoint, char *const *args,
		    struct rt_error *err)
{
	json_t *argv = json_array(), *v;
	json_t *ep = json_object_get(cfg, "Entrypoint"), *cmd = json_object_get(cfg, "Cmd");
	size_t i;

	/* docker's rules: given arguments replace Cmd and keep the Entrypoint; --entrypoint
	 * replaces the Entrypoint ("" removes it) and drops the image's Cmd, which was written
	 * for the image's own Entrypoint */
	if (entrypoint && entrypoint[0])
		json_array_append_new(argv, json_string(entrypoint));
	else if (entrypoint == NULL)
		json_array_foreach (ep, i, v)
			json_array_append(argv, v);
	if (args && args[0]) {
		for (char *const *a = args; *a; a++)
			json_array_append_new(argv, json_string(*a));
	} else if (entrypoint == NULL) {
		json_array_foreach (cmd, i, v)
			json_array_append(argv, v);
	}
	if (json_array_size(argv) == 0) {
		json_decref(argv);
		return rt_error_set(err, EINVAL,
				    entrypoint ? "--entrypoint \"\" and no command: give a command"
					       : "image has no Entrypoint or Cmd: give a command");
	}
	return json_object_set_new(process, "args", argv);
}

static int set_annotations(json_t *spec, json_t *cfg, const char *ref)
{
	json_t *ann = json_object_get(spec, "annotations"), *v;
	const char *k;

	if (!json_is_object(ann)) {
		ann = json_object();
		json_object_set_new(spec, "annotations", ann);
	}
	json_object_foreach (json_object_get(cfg, "Labels"), k, v)
		if (json_is_string(v))
			json_object_set(ann, k, v);
	json_t *ports = json_object_get(cfg, "ExposedPorts");
	if (json_object_size(ports)) {
		size_t len = 1;
		json_object_foreach (ports, k, v)
			len += strlen(k) + 1;
		cleanup_free char *list = calloc(1, len);
		if (list) {
			json_object_foreach (ports, k, v) {
				if (list[0])
					strcat(list, ",");
				strcat(list, k);
			}
			json_object_set_new(ann, "org.opencontainers.image.exposedPorts",
					    json_string(list));
		}
	}
	if (json_is_string(json_object_get(cfg, "StopSignal")))
		json_object_set(ann, "org.opencontainers.image.stopSignal",
				json_object_get(cfg, "StopSignal"));
	json_object_set_new(ann, "org.opencontainers.image.ref.name", json_string(ref));
	return 0;
}

int img_bundle_config(const char *base, const char *image_config, size_t config_len,
		      const char *entrypoint, char *const *args, int rootfd, const char *ref,
		      char **ret_json, struct rt_error *err)
{
	json_error_t je;
	json_auto_t *spec = json_loads(base, 0, &je);
	json_auto_t *img = json_loadb(image_config, config_len, 0, &je);
	struct img_user u = {0};
	json_t *cfg, *process, *env, *v;
	size_t i;

	if (spec == NULL || !json_is_object(spec))
		return rt_error_set(err, EINVAL, "base config: %s",
				    spec ? "not an object" : je.text);
	if (img == NULL)
		return rt_error_set(err, EINVAL, "image config: %s", je.text);
	cfg = json_object_get(img, "config"); /* may be absent: all defaults */
	process = json_object_get(spec, "process");
	if (!json_is_object(process)) {
		process = json_object();
		json_object_set_new(spec, "process", process);
	}
	if (set_args(process, cfg, entrypoint, args, err) < 0)
		return -1;
	env = json_object_get(process, "env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(process, "env", env);
	}
	json_array_foreach (json_object_get(cfg, "Env"), i, v)
		if (json_is_string(v) && strchr(json_string_value(v), '='))
			env_set(env, json_string_value(v));
	const char *wd = json_string_value(json_object_get(cfg, "WorkingDir"));
	json_object_set_new(process, "cwd", json_string(wd && wd[0] == '/' ? wd : "/"));
	/* an image's process is not interactive unless asked for (docker run without -t) */
	json_object_set_new(process, "terminal", json_false());

	if (img_user_resolve(rootfd, json_string_value(json_object_get(cfg, "User")), &u, err) < 0)
		return -1;
	json_t *user = json_pack("{s:I, s:I}", "uid", (json_int_t)u.uid, "gid", (json_int_t)u.gid);
	if (u.n_additional) {
		json_t *g = json_array();
		for (size_t k = 0; k < u.n_additional; k++)
			json_array_append_new(g, json_integer(u.additional[k]));
		json_object_set_new(user, "additionalGids", g);
	}
	free(u.additional);
	json_object_set_new(process, "user", user);

	json_object_set_new(spec, "root", json_pack("{s:s, s:b}", "path", "rootfs", "readonly", 0));
	set_annotations(spec, cfg, ref);
	*ret_json = json_dumps(spec, JSON_INDENT(2));
	if (*ret_json == NULL)
		return rt_error_set(err, ENOMEM, "config.json");
	return 0;
}

/* ---------------------------------------------------------------- create / delete */

/* bundles/ID: ID from the bundle's absolute path, so delete finds it from the path alone */
static void bundle_id(const char *absdir, char id[33])
{
	char d[IMG_DIGEST_STR_LEN];
	img_digest_buf(absdir, strlen(absdir), d);
	snprintf(id, 33, "%.32s", img_digest_hex(d));
}

static int write_bundle_record(struct img_store *s, const char *id, const char *absdir,
			       const struct img_record *r, struct rt_error *err)
{
	json_auto_t *layers = json_array();
	char path[96];

	for (size_t i = 0; i < r->n_layers; i++)
		json_array_append_new(layers, json_string(r->layers[i].diff_id));
	json_auto_t *o =
	    json_pack("{s:s, s:s, s:O}", "path", absdir, "ref", r->ref, "layers", layers);
	cleanup_free char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text == NULL)
		return rt_error_set(err, ENOMEM, "bundle record");
	snprintf(path, sizeof(path), "bundles/%s/bundle.json", id);
	return rt_write_file_atomic_at(s->dirfd, path, text, strlen(text), 0600, err);
}

/* ".wh..wh..opq" at the top of a layer hides every lower layer (layer.md), and unpacking marks
 * the layer's root opaque; but overlayfs reads the opaque mark of subdirectories only, never
 * of a layer's root, so the lower layers would show through. */
static int layer_root_opaque(const char *root)
{
	char v[2];

	return lgetxattr(root, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

static int mount_layers(struct img_store *s, const struct img_record *r, const char *id,
			int targetfd, struct rt_error *err)
{
	size_t n = r->n_layers;
	cleanup_free const char **lowers = calloc(n + 1, sizeof(char *));
	cleanup_free const char **shorts = calloc(n + 1, sizeof(char *));
	cleanup_free char *all = NULL;
	cleanup_close int shortdirfd = -1;
	char upper[PATH_MAX], work[PATH_MAX];
	size_t each = strlen(s->path) + 96;

	all = malloc(n * 2 * each + 1);
	if (lowers == NULL || shorts == NULL || all == NULL)
		return rt_error_set(err, ENOMEM, "overlay");
	shortdirfd = openat(s->dirfd, "l", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (shortdirfd < 0)
		return rt_error_set(err, errno, "open `%s/l`", s->path);
	/* lowerdir order is top first: the manifest lists the base layer first.  The layers
	 * below one with an opaque root are left out: nothing of them is visible. */
	size_t used = 0;
	while (used < n) {
		char *l = all + (2 * used) * each, *sh = all + (2 * used + 1) * each;
		const char *diff_id = r->layers[n - 1 - used].diff_id;
		img_layer_root_path(s, diff_id, l, each);
		img_layer_short_name(diff_id, sh, each);
		lowers[used] = l;
		shorts[used++] = sh;
		if (layer_root_opaque(l))
			break;
	}
	snprintf(upper, sizeof(upper), "%s/bundles/%s/upper", s->path, id);
	snprintf(work, sizeof(work), "%s/bundles/%s/work", s->path, id);
	return img_overlay_mount(lowers, shortdirfd, shorts, used, upper, work, targetfd, err);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The mounted rootfs holds the image's setuid-root files and device nodes with the modes the
 * image chose: on the host, only the container's device policy and namespaces stand between
 * them and a local user who can reach DIR/rootfs.  So only root may enter the bundle dir (the
 * store's own dirs are 0700 for the same reason), whatever mode DIR had. */
static int bundle_dir_private(int dirfd, const char *absdir, struct rt_error *err)
{
	struct stat st;

	if (fstat(dirfd, &st) < 0)
		return rt_error_set(err, errno, "stat `%s`", absdir);
	if ((st.st_mode & 077) && fchmod(dirfd, st.st_mode & 0700) < 0)
		return rt_error_set(err, errno, "chmod `%s` 0700", absdir);
	return 0;
}

static int bundle_setup(struct img_store *s, const struct img_bundle_opts *o, const char *absdir,
			const char *id, int *mounted, struct rt_error *err)
{
	struct timespec t0;
	cleanup_record struct img_record *r = NULL;
	cleanup_free char *config = NULL;
	cleanup_free char *json = NULL;
	cleanup_close int dirfd = -1;
	cleanup_close int target = -1;
	cleanup_close int rootfd = -1;
	char path[128];
	size_t len;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* shared: an rm or prune waits until the bundle record holds the layers */
	if (img_store_lock(s, LOCK_SH, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "bundles/%s", id);
	ret = img_record_read_layers(s, o->ref, &r, err);
	if (ret == 0)
		ret = img_blob_get(s, r->config, &config, &len, err);
	if (ret == 0 && mkdirat(s->dirfd, path, 0700) < 0)
		ret = rt_error_set(err, errno,
				   errno == EEXIST ? "bundle `%s` exists already" : "bundle `%s`",
				   absdir);
	if (ret == 0) {
		char sub[160];
		rt_crashpoint("bundle.dir");
		snprintf(sub, sizeof(sub), "%s/upper", path);
		if (mkdirat(s->dirfd, sub, 0755) < 0)
			ret = rt_error_set(err, errno, "mkdir `%s`", sub);
		snprintf(sub, sizeof(sub), "%s/work", path);
		if (ret == 0 && mkdirat(s->dirfd, sub, 0700) < 0)
			ret = rt_error_set(err, errno, "mkdir `%s`", sub);
		if (ret == 0)
			ret = write_bundle_record(s, id, absdir, r, err);
	}
	img_store_unlock(s);
	if (ret < 0)
		return ret;
	rt_crashpoint("bundle.record");

	dirfd = open(absdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return rt_error_set(err, errno, "open `%s`", absdir);
	if (bundle_dir_private(dirfd, absdir, err) < 0)
		return -1;
	if (mkdirat(dirfd, "rootfs", 0755) < 0 && errno != EEXIST)
		return rt_error_set(err, errno, "mkdir `%s/rootfs`", absdir);
	target = openat(dirfd, "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0)
		return rt_error_set(err, errno, "open `%s/rootfs`", absdir);
	if (mount_layers(s, r, id, target, err) < 0)
		return -1;
	*mounted = 1;
	rt_crashpoint("bundle.mount");
	/* the benchmark reads this line: the Nth container's cost without process start-up */
	rt_debug("bundle `%s`: rootfs ready in %.3f ms", absdir, ms_since(&t0));
	/* the mount is on top of the directory: open the path again to see it */
	rootfd = openat(dirfd, "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return rt_error_set(err, errno, "open `%s/rootfs`", absdir);
	if (img_bundle_config(o->base_config, config, len, o->entrypoint, o->args, rootfd, r->ref,
			      &json, err) < 0)
		return rt_error_wrap(err, "image `%s`", r->ref);
	if (rt_write_file_atomic_at(dirfd, "config.json", json, strlen(json), 0644, err) < 0)
		return -1;
	rt_debug("bundle `%s`: ready in %.3f ms", absdir, ms_since(&t0));
	return 0;
}

static int absolute_dir(const char *dir, char **ret, struct rt_error *err)
{
	char *abs = realpath(dir, NULL);
	if (abs == NULL)
		return rt_error_set(err, errno, "bundle `%s`", dir);
	*ret = abs;
	return 0;
}

/* config.json.tmp.PID: what a bundle create killed while writing config.json leaves */
static void config_tmp_remove(int dirfd)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "config.json.tmp.", 16) == 0)
			unlinkat(dirfd, de->d_name, 0);
}

int img_bundle_create(struct img_store *s, const struct img_bundle_opts *o, struct rt_error *err)
{
	cleanup_free char *absdir = NULL;
	char id[33], path[64];
	int mounted = 0, made_dir;

	if (o->base_config == NULL)
		return rt_error_set(err, EINVAL, "bundle `%s`: no base config", o->dir);
	made_dir = mkdir(o->dir, 0700) == 0;
	if (!made_dir && errno != EEXIST)
		return rt_error_set(err, errno, "mkdir `%s`", o->dir);
	if (absolute_dir(o->dir, &absdir, err) < 0) {
		if (made_dir)
			rmdir(o->dir);
		return -1;
	}
	bundle_id(absdir, id);
	if (bundle_setup(s, o, absdir, id, &mounted, err) == 0)
		return 0;
	/* undo, newest first; the EEXIST case owns nothing in the store */
	if (err->errnum != EEXIST || mounted) {
		struct rt_error e = RT_ERROR_INIT;
		cleanup_free char *rootfs = NULL;
		if (asprintf(&rootfs, "%s/rootfs", absdir) >= 0 && mounted)
			umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW);
		snprintf(path, sizeof(path), "bundles/%s", id);
		if (rt_rmtree_at(s->dirfd, path, &e) < 0 && e.errnum != ENOENT)
			rt_warn("undo bundle `%s`: %s", absdir, e.msg);
		rt_error_release(&e);
	}
	/* a refused create leaves no directory it made (a missing image, say) */
	if (made_dir) {
		cleanup_close int dirfd = open(absdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd >= 0) {
			unlinkat(dirfd, "config.json", 0);
			config_tmp_remove(dirfd);
			unlinkat(dirfd, "rootfs", AT_REMOVEDIR);
		}
		rmdir(absdir);
	}
	return -1;
}

int img_bundle_delete(struct img_store *s, const char *dir, struct rt_error *err)
{
	cleanup_free char *absdir = NULL;
	cleanup_close int dirfd = -1;
	char id[33], path[64];

	if (absolute_dir(dir, &absdir, err) < 0) {
		if (err->errnum != ENOENT)
			return -1;
		rt_error_release(err);
		/* the directory is gone; its record may still be there */
		cleanup_free char *cwd = dir[0] == '/' ? NULL : get_current_dir_name();
		if (dir[0] == '/' ? !(absdir = strdup(dir))
				  : (!cwd || asprintf(&absdir, "%s/%s", cwd, dir) < 0))
			return rt_error_set(err, ENOMEM, "bundle `%s`", dir);
	}
	bundle_id(absdir, id);
	dirfd = open(absdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd >= 0) {
		cleanup_free char *rootfs = NULL;
		if (asprintf(&rootfs, "%s/rootfs", absdir) < 0)
			return rt_error_set(err, ENOMEM, "bundle `%s`", dir);
		/* detach: a process still inside keeps its view; the layer goes when it leaves */
		if (umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL &&
		    errno != ENOENT)
			return rt_error_set(err, errno, "unmount `%s`", rootfs);
		unlinkat(dirfd, "config.json", 0);
		config_tmp_remove(dirfd);
		unlinkat(dirfd, "rootfs", AT_REMOVEDIR);
	}
	snprintf(path, sizeof(path), "bundles/%s", id);
	if (rt_rmtree_at(s->dirfd, path, err) < 0)
		return rt_error_wrap(err, "bundle `%s`", absdir);
	if (dirfd >= 0)
		rmdir(absdir); /* only when nothing else is left in it */
	return 0;
}
