#define _GNU_SOURCE
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/crashpoint.h"
#include "../common/fsutil.h"
#include "../common/log.h"

static const char *const store_dirs[] = {"blobs",  "blobs/sha256", "layers", "l",
					 "images", "bundles",	   "tmp",    "locks"};

int img_store_open(const char *path, struct img_store **ret, struct rt_error *err)
{
	cleanup_free struct img_store *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return rt_error_set(err, ENOMEM, "store `%s`", path);
	s->dirfd = s->lockfd = -1;
	/* 0700: the layers hold setuid binaries and device nodes of untrusted images */
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return rt_error_set(err, errno, "create store `%s`", path);
	s->path = realpath(path, NULL);
	if (s->path == NULL)
		return rt_error_set(err, errno, "store `%s`", path);
	s->dirfd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		int e = errno;
		free(s->path);
		return rt_error_set(err, e, "open store `%s`", path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(store_dirs); i++) {
		if (mkdirat(s->dirfd, store_dirs[i], 0700) < 0 && errno != EEXIST) {
			int e = errno;
			img_store_close(TAKE_PTR(s));
			return rt_error_set(err, e, "store `%s`: mkdir `%s`", path, store_dirs[i]);
		}
	}
	s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lockfd < 0) {
		int e = errno;
		img_store_close(TAKE_PTR(s));
		return rt_error_set(err, e, "store `%s`: open lock", path);
	}
	*ret = TAKE_PTR(s);
	return 0;
}

void img_store_close(struct img_store *s)
{
	int saved = errno;

	if (s == NULL)
		return;
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->path);
	free(s);
	errno = saved;
}

int img_store_lock(struct img_store *s, int op, struct rt_error *err)
{
	int r;

	do
		r = flock(s->lockfd, op);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return rt_error_set(err, errno, "lock store `%s`", s->path);
	return 0;
}

void img_store_unlock(struct img_store *s)
{
	flock(s->lockfd, LOCK_UN);
}

/* ---------------------------------------------------------------- references */

static int valid_ref_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == '/' || c == ':';
}

int img_ref_normalize(const char *in, char **ret, struct rt_error *err)
{
	const char *colon = strrchr(in, ':');
	const char *slash = strrchr(in, '/');
	char *out;

	if (in[0] == '\0' || strlen(in) > 255)
		return rt_error_set(err, EINVAL, "image reference `%s`: bad length", in);
	for (const char *p = in; *p; p++)
		if (!valid_ref_char(*p))
			return rt_error_set(err, EINVAL, "image reference `%s`: bad character `%c`",
					    in, *p);
	if (in[0] == '/' || in[0] == ':' || in[0] == '.' || strstr(in, "//") || strstr(in, "/."))
		return rt_error_set(err, EINVAL, "image reference `%s`: bad name", in);
	/* a ':' after the last '/' starts the tag; an earlier one is a registry port */
	if (colon && (!slash || colon > slash)) {
		if (colon[1] == '\0' || colon == in || strchr(colon + 1, '/'))
			return rt_error_set(err, EINVAL, "image reference `%s`: bad tag", in);
		out = strdup(in);
	} else if (asprintf(&out, "%s:latest", in) < 0) {
		out = NULL;
	}
	if (out == NULL)
		return rt_error_set(err, ENOMEM, "image reference `%s`", in);
	*ret = out;
	return 0;
}

/* "a/b:c" -> "a%2Fb:c.json": one flat directory, no path separators in file names.  The
 * layer index of the same image is "a%2Fb:c.layers" (see index_write). */
static void ref_file(const char *ref, const char *suffix, char *buf, size_t len)
{
	size_t o = 0;

	for (const char *p = ref; *p && o + 8 < len; p++) {
		if (*p == '/') {
			memcpy(buf + o, "%2F", 3);
			o += 3;
		} else {
			buf[o++] = *p;
		}
	}
	snprintf(buf + o, len - o, "%s", suffix);
}

static void record_file(const char *ref, char *buf, size_t len)
{
	ref_file(ref, ".json", buf, len);
}

/* "images/" + ref_file: the path of an image's record (".json") or layer index (".layers")
 * relative to the store. */
static void ref_path(const char *ref, const char *suffix, char *buf, size_t len)
{
	int n = snprintf(buf, len, "images/");
	ref_file(ref, suffix, buf + n, len - (size_t)n);
}

static int record_file_to_ref(const char *file, char *buf, size_t len)
{
	size_t n = strlen(file), o = 0;

	if (n < 6 || strcmp(file + n - 5, ".json") != 0)
		return -1;
	for (size_t i = 0; i < n - 5 && o + 1 < len; i++) {
		if (strncmp(file + i, "%2F", 3) == 0) {
			buf[o++] = '/';
			i += 2;
		} else {
			buf[o++] = file[i];
		}
	}
	buf[o] = '\0';
	return 0;
}

void img_record_free(struct img_record *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_layers; i++)
		free(r->layers[i].media_type);
	free(r->layers);
	free(r->ref);
	free(r);
}

/* The layer index, images/REF.layers: what a bundle needs of an image, in lines read without
 * a JSON parser.  The record of a 150-layer image is 39 KB of JSON, and parsing it (~1.3 ms
 * here, a third of it page faults for jansson's objects) was the largest part of setting up
 * the Nth container's rootfs.
 *
 *   record sha256:<digest of the record file's bytes>
 *   config sha256:<config digest>
 *   layer sha256:<diff_id>          one per layer, base first
 *
 * The index is written before its record and holds the digest of that record's exact bytes:
 * an index is used only while the record beside it is the one it was written for, whatever
 * wrote or removed the record since (a crash, an older husk).  Otherwise the record is read. */
static int index_write(struct img_store *s, const struct img_record *r, const char *record_text,
		       struct rt_error *err)
{
	char path[NAME_MAX + 16], digest[IMG_DIGEST_STR_LEN];
	size_t each = sizeof("layer \n") + IMG_DIGEST_STR_LEN;
	cleanup_free char *text = malloc((r->n_layers + 2) * each);
	size_t o = 0;

	if (text == NULL)
		return rt_error_set(err, ENOMEM, "image `%s`: layer index", r->ref);
	img_digest_buf(record_text, strlen(record_text), digest);
	o += (size_t)sprintf(text + o, "record %s\nconfig %s\n", digest, r->config);
	for (size_t i = 0; i < r->n_layers; i++)
		o += (size_t)sprintf(text + o, "layer %s\n", r->layers[i].diff_id);
	ref_path(r->ref, ".layers", path, sizeof(path));
	if (rt_write_file_atomic_at(s->dirfd, path, text, o, 0600, err) < 0)
		return rt_error_wrap(err, "image `%s`: layer index", r->ref);
	return 0;
}

/* One "KEY sha256:..." line at *p into dst; advances *p past it.  0, or -1 when the line is
 * not that. */
static int index_line(const char **p, const char *key, char dst[IMG_DIGEST_STR_LEN])
{
	size_t k = strlen(key);
	const char *nl;
	struct rt_error e = RT_ERROR_INIT;

	if (strncmp(*p, key, k) != 0 || (*p)[k] != ' ')
		return -1;
	nl = strchr(*p + k + 1, '\n');
	if (nl == NULL || (size_t)(nl - (*p + k + 1)) != IMG_DIGEST_STR_LEN - 1)
		return -1;
	memcpy(dst, *p + k + 1, IMG_DIGEST_STR_LEN - 1);
	dst[IMG_DIGEST_STR_LEN - 1] = '\0';
	if (img_digest_validate(dst, key, &e) < 0) {
		rt_error_release(&e);
		return -1;
	}
	*p = nl + 1;
	return 0;
}

/* The index of record_text, parsed into a record with ref, config and the layers' diff_ids;
 * 0 and *ret NULL when there is no usable index (missing, stale, malformed). */
static int index_read(struct img_store *s, const char *ref, const char *record_text,
		      size_t record_len, struct img_record **ret, struct rt_error *err)
{
	cleanup_record struct img_record *r = NULL;
	cleanup_free char *text = NULL;
	char path[NAME_MAX + 16];
	char want[IMG_DIGEST_STR_LEN], got[IMG_DIGEST_STR_LEN];
	struct rt_error e = RT_ERROR_INIT;
	const char *p;
	size_t n = 0;

	*ret = NULL;
	ref_path(ref, ".layers", path, sizeof(path));
	if (rt_read_file_at(s->dirfd, path, &text, NULL, &e) < 0) {
		rt_error_release(&e);
		return 0;
	}
	p = text;
	img_digest_buf(record_text, record_len, got);
	if (index_line(&p, "record", want) < 0 || strcmp(want, got) != 0)
		return 0;
	for (const char *q = p; (q = strchr(q, '\n')) != NULL; q++)
		n++;
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->ref = strdup(ref)) == NULL ||
	    (r->layers = calloc(n + 1, sizeof(*r->layers))) == NULL)
		return rt_error_set(err, ENOMEM, "image `%s`: layer index", ref);
	if (index_line(&p, "config", r->config) < 0)
		return 0;
	while (*p && r->n_layers < n)
		if (index_line(&p, "layer", r->layers[r->n_layers++].diff_id) < 0)
			return 0;
	if (*p || r->n_layers == 0)
		return 0;
	*ret = TAKE_PTR(r);
	return 0;
}

int img_record_write(struct img_store *s, const struct img_record *r, struct rt_error *err)
{
	json_auto_t *layers = json_array();
	json_auto_t *o = NULL;
	cleanup_free char *text = NULL;
	char path[NAME_MAX + 16];

	for (size_t i = 0; i < r->n_layers; i++) {
		const struct img_record_layer *l = &r->layers[i];
		json_array_append_new(layers,
				      json_pack("{s:s, s:s, s:s, s:I, s:I}", "digest", l->digest,
						"diff_id", l->diff_id, "mediaType", l->media_type,
						"size", (json_int_t)l->size, "unpacked_size",
						(json_int_t)l->unpacked_size));
	}
	o = json_pack("{s:s, s:s, s:s, s:O}", "ref", r->ref, "digest", r->digest, "config",
		      r->config, "layers", layers);
	if (o == NULL || (text = json_dumps(o, JSON_COMPACT)) == NULL)
		return rt_error_set(err, ENOMEM, "image `%s`: record", r->ref);
	if (index_write(s, r, text, err) < 0)
		return -1;
	/* an index without its record is never used, and image prune removes it */
	rt_crashpoint("image.index");
	ref_path(r->ref, ".json", path, sizeof(path));
	if (rt_write_file_atomic_at(s->dirfd, path, text, strlen(text), 0600, err) < 0)
		return rt_error_wrap(err, "image `%s`", r->ref);
	return 0;
}

static int copy_digest(json_t *v, char *dst, const char *what, struct rt_error *err)
{
	const char *str = json_string_value(v);
	if (img_digest_validate(str, what, err) < 0)
		return -1;
	memcpy(dst, str, IMG_DIGEST_STR_LEN);
	return 0;
}

static int record_parse(const char *text, size_t len, const char *file, struct img_record **ret,
			struct rt_error *err)
{
	json_error_t je;
	json_auto_t *o = json_loadb(text, len, 0, &je);
	struct img_record *r = NULL;
	cleanup_record struct img_record *rec = NULL;
	json_t *layers, *l;
	size_t i;

	if (o == NULL)
		return rt_error_set(err, EINVAL, "image record `%s`: %s", file, je.text);
	rec = r = calloc(1, sizeof(*r));
	if (r == NULL)
		return rt_error_set(err, ENOMEM, "image record `%s`", file);
	layers = json_object_get(o, "layers");
	if (!json_is_string(json_object_get(o, "ref")) || !json_is_array(layers))
		return rt_error_set(err, EINVAL, "image record `%s`: malformed", file);
	r->ref = strdup(json_string_value(json_object_get(o, "ref")));
	if (copy_digest(json_object_get(o, "digest"), r->digest, file, err) < 0 ||
	    copy_digest(json_object_get(o, "config"), r->config, file, err) < 0)
		return -1;
	r->layers = calloc(json_array_size(layers) + 1, sizeof(*r->layers));
	if (r->ref == NULL || r->layers == NULL)
		return rt_error_set(err, ENOMEM, "image record `%s`", file);
	json_array_foreach (layers, i, l) {
		struct img_record_layer *rl = &r->layers[r->n_layers];
		if (copy_digest(json_object_get(l, "digest"), rl->digest, file, err) < 0 ||
		    copy_digest(json_object_get(l, "diff_id"), rl->diff_id, file, err) < 0)
			return -1;
		const char *mt = json_string_value(json_object_get(l, "mediaType"));
		rl->media_type = strdup(mt ? mt : "");
		rl->size = json_integer_value(json_object_get(l, "size"));
		rl->unpacked_size =
		    (uint64_t)json_integer_value(json_object_get(l, "unpacked_size"));
		r->n_layers++;
	}
	*ret = TAKE_PTR(rec);
	return 0;
}

/* The record file of ref: *ret_norm (the normalized reference), file (its name in images/)
 * and *ret_text; ENOENT with "image `REF` not found" when there is none. */
static int record_load(struct img_store *s, const char *ref, char **ret_norm,
		       char file[NAME_MAX + 1], char **ret_text, size_t *ret_len,
		       struct rt_error *err)
{
	cleanup_free char *norm = NULL;
	char path[NAME_MAX + 16];
	struct rt_error e = RT_ERROR_INIT;

	if (img_ref_normalize(ref, &norm, err) < 0)
		return -1;
	record_file(norm, file, NAME_MAX + 1);
	snprintf(path, sizeof(path), "images/%s", file);
	if (rt_read_file_at(s->dirfd, path, ret_text, ret_len, &e) < 0) {
		if (e.errnum == ENOENT) {
			rt_error_release(&e);
			return rt_error_set(err, ENOENT, "image `%s` not found", norm);
		}
		*err = e;
		return -1;
	}
	*ret_norm = TAKE_PTR(norm);
	return 0;
}

static int record_read(struct img_store *s, const char *ref, int use_index, struct img_record **ret,
		       struct rt_error *err)
{
	cleanup_free char *norm = NULL;
	cleanup_free char *text = NULL;
	char file[NAME_MAX + 1];
	size_t len;

	if (record_load(s, ref, &norm, file, &text, &len, err) < 0)
		return -1;
	if (use_index) {
		if (index_read(s, norm, text, len, ret, err) < 0)
			return -1;
		if (*ret != NULL)
			return 0;
	}
	return record_parse(text, len, file, ret, err);
}

int img_record_read(struct img_store *s, const char *ref, struct img_record **ret,
		    struct rt_error *err)
{
	return record_read(s, ref, 0, ret, err);
}

int img_record_read_layers(struct img_store *s, const char *ref, struct img_record **ret,
			   struct rt_error *err)
{
	return record_read(s, ref, 1, ret, err);
}

/* ---------------------------------------------------------------- blobs */

int img_blob_put(struct img_store *s, const char *digest, const void *data, size_t len,
		 struct rt_error *err)
{
	char path[128];

	snprintf(path, sizeof(path), "blobs/sha256/%s", img_digest_hex(digest));
	if (faccessat(s->dirfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	return rt_write_file_atomic_at(s->dirfd, path, data, len, 0600, err);
}

int img_blob_get(struct img_store *s, const char *digest, char **ret, size_t *ret_len,
		 struct rt_error *err)
{
	cleanup_free char *buf = NULL;
	char path[128], got[IMG_DIGEST_STR_LEN];
	size_t len;

	snprintf(path, sizeof(path), "blobs/sha256/%s", img_digest_hex(digest));
	if (rt_read_file_at(s->dirfd, path, &buf, &len, err) < 0)
		return rt_error_wrap(err, "blob %s", digest);
	img_digest_buf(buf, len, got);
	if (strcmp(got, digest) != 0)
		return rt_error_set(err, EBADMSG, "blob %s: corrupt in the store (digest %s)",
				    digest, got);
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

/* ---------------------------------------------------------------- layers */

void img_layer_root_path(struct img_store *s, const char *diff_id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/layers/%s/root", s->path, img_digest_hex(diff_id));
}

void img_layer_short_name(const char *diff_id, char *buf, size_t len)
{
	snprintf(buf, len, "%.16s", img_digest_hex(diff_id));
}

static int layer_lock(struct img_store *s, const char *hex, struct rt_error *err)
{
	char path[96];
	int fd, r;

	snprintf(path, sizeof(path), "locks/%s", hex);
	fd = openat(s->dirfd, path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return rt_error_set(err, errno, "layer lock `%s`", path);
	do
		r = flock(fd, LOCK_EX);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		int e = errno;
		close(fd);
		return rt_error_set(err, e, "layer lock `%s`", path);
	}
	return fd;
}

/* The short name for the lowerdir fallback; relative so the store can move.  Made again by
 * whoever finds the layer without it (a crash right after the layer's rename). */
static void layer_link(struct img_store *s, const char *hex)
{
	char link[64], target[96];

	snprintf(link, sizeof(link), "l/%.16s", hex);
	snprintf(target, sizeof(target), "../layers/%s/root", hex);
	if (symlinkat(target, s->dirfd, link) < 0 && errno != EEXIST)
		rt_warn("layer %s: short link: %s", hex, strerror(errno));
}

static int layer_unpack_tmp(struct img_store *s, const struct img_layer_src *src, const char *hex,
			    uint64_t *ret_unpacked, struct rt_error *err)
{
	char tmpl[64] = "tmp/layer-XXXXXX";
	char path[PATH_MAX];
	cleanup_close int rootfd = -1;
	struct img_unpack_stats st;
	cleanup_free char *meta = NULL;
	char dest[96];

	snprintf(path, sizeof(path), "%s/%s", s->path, tmpl);
	if (mkdtemp(path) == NULL)
		return rt_error_set(err, errno, "mkdtemp `%s`", path);
	memcpy(tmpl, path + strlen(s->path) + 1, strlen(tmpl));
	/* from here on a failure removes the partial layer: nothing unverified stays */
	cleanup_free char *root = NULL;
	if (asprintf(&root, "%s/root", tmpl) < 0 || mkdirat(s->dirfd, root, 0755) < 0 ||
	    (rootfd = openat(s->dirfd, root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rt_error_set(err, errno ? errno : ENOMEM, "layer dir `%s`", path);
		goto fail;
	}
	if (img_unpack_layer(src, rootfd, &st, err) < 0)
		goto fail;
	if (asprintf(&meta,
		     "{\"digest\":\"%s\",\"diff_id\":\"%s\",\"size\":%llu,"
		     "\"unpacked_size\":%llu}\n",
		     st.digest, st.diff_id, (unsigned long long)st.compressed_size,
		     (unsigned long long)st.uncompressed_size) < 0) {
		rt_error_set(err, ENOMEM, "%s", src->name);
		goto fail;
	}
	snprintf(dest, sizeof(dest), "%s/layer.json", tmpl);
	if (rt_write_file_at(s->dirfd, dest, meta, strlen(meta), O_CREAT | O_TRUNC, err) < 0)
		goto fail;
	rt_crashpoint("image.layer.tmp");
	snprintf(dest, sizeof(dest), "layers/%s", hex);
	if (renameat(s->dirfd, tmpl, s->dirfd, dest) < 0) {
		rt_error_set(err, errno, "rename `%s` to `%s`", tmpl, dest);
		goto fail;
	}
	rt_crashpoint("image.layer");
	layer_link(s, hex);
	if (ret_unpacked)
		*ret_unpacked = st.uncompressed_size;
	return 0;
fail : {
	struct rt_error e = RT_ERROR_INIT;
	if (rt_rmtree_at(s->dirfd, tmpl, &e) < 0)
		rt_warn("remove partial layer `%s`: %s", path, e.msg);
	rt_error_release(&e);
	return -1;
}
}

static int layer_read_unpacked(struct img_store *s, const char *hex, uint64_t *ret)
{
	char path[128];
	cleanup_free char *text = NULL;
	struct rt_error e = RT_ERROR_INIT;

	snprintf(path, sizeof(path), "layers/%s/layer.json", hex);
	if (rt_read_file_at(s->dirfd, path, &text, NULL, &e) < 0) {
		rt_error_release(&e);
		return -1;
	}
	json_auto_t *o = json_loads(text, 0, NULL);
	*ret = (uint64_t)json_integer_value(json_object_get(o, "unpacked_size"));
	return 0;
}

int img_layer_ensure(struct img_store *s, const struct img_layer_src *src, const char *diff_id,
		     uint64_t *ret_unpacked, int *ret_done_now, struct rt_error *err)
{
	const char *hex = img_digest_hex(diff_id);
	char path[96];
	cleanup_close int lockfd = -1;
	uint64_t unpacked = 0;

	snprintf(path, sizeof(path), "layers/%s", hex);
	*ret_done_now = 0;
	if (faccessat(s->dirfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		goto done;
	lockfd = layer_lock(s, hex, err);
	if (lockfd < 0)
		return -1;
	/* whoever held the lock before us may have finished it */
	if (faccessat(s->dirfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		goto done;
	if (layer_unpack_tmp(s, src, hex, &unpacked, err) < 0)
		return -1;
	*ret_done_now = 1;
	if (ret_unpacked)
		*ret_unpacked = unpacked;
	return 0;
done:
	layer_link(s, hex);
	if (ret_unpacked && layer_read_unpacked(s, hex, ret_unpacked) < 0)
		*ret_unpacked = 0;
	return 0;
}

/* ---------------------------------------------------------------- refs, list, rm, prune */

static int strv_push(char ***v, size_t *n, size_t *cap, const char *s)
{
	if (*n + 1 >= *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		char **nv = realloc(*v, nc * sizeof(char *));
		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[*n] = strdup(s);
	if ((*v)[*n] == NULL)
		return -1;
	(*v)[++*n] = NULL;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Calls fn for every image record; a record that cannot be read is skipped with a warning. */
static int for_each_record(struct img_store *s,
			   int (*fn)(struct img_record *r, void *data, struct rt_error *err),
			   void *data, struct rt_error *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd = openat(s->dirfd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return rt_error_set(err, e, "store `%s`: images", s->path);
	}
	while ((de = readdir(d)) != NULL) {
		char ref[NAME_MAX + 1];
		if (de->d_name[0] == '.' || record_file_to_ref(de->d_name, ref, sizeof(ref)) < 0)
			continue;
		cleanup_record struct img_record *r = NULL;
		struct rt_error e = RT_ERROR_INIT;
		if (img_record_read(s, ref, &r, &e) < 0) {
			rt_warn("%s", e.msg);
			rt_error_release(&e);
			continue;
		}
		if (fn(r, data, err) < 0)
			return -1;
	}
	return 0;
}

struct refs_acc {
	char **v;
	size_t n, cap;
};

static int refs_add_record(struct img_record *r, void *data, struct rt_error *err)
{
	struct refs_acc *acc = data;
	for (size_t i = 0; i < r->n_layers; i++)
		if (strv_push(&acc->v, &acc->n, &acc->cap, r->layers[i].diff_id) < 0)
			return rt_error_set(err, ENOMEM, "layer refs");
	return 0;
}

static int refs_add_bundles(struct img_store *s, struct refs_acc *acc, struct rt_error *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd = openat(s->dirfd, "bundles", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return rt_error_set(err, e, "store `%s`: bundles", s->path);
	}
	while ((de = readdir(d)) != NULL) {
		char path[NAME_MAX + 32];
		cleanup_free char *text = NULL;
		struct rt_error e = RT_ERROR_INIT;
		json_t *l;
		size_t i;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/bundle.json", de->d_name);
		if (rt_read_file_at(dirfd(d), path, &text, NULL, &e) < 0) {
			/* a bundle being created has its directory before its record: a bundle
			 * without record holds nothing yet */
			rt_error_release(&e);
			continue;
		}
		json_auto_t *o = json_loads(text, 0, NULL);
		json_array_foreach (json_object_get(o, "layers"), i, l) {
			if (json_is_string(l) &&
			    strv_push(&acc->v, &acc->n, &acc->cap, json_string_value(l)) < 0)
				return rt_error_set(err, ENOMEM, "layer refs");
		}
	}
	return 0;
}

int img_store_layer_refs(struct img_store *s, char ***ret, size_t *ret_n, struct rt_error *err)
{
	struct refs_acc acc = {0};

	if (strv_push(&acc.v, &acc.n, &acc.cap, "") < 0) /* allocate the terminator */
		return rt_error_set(err, ENOMEM, "layer refs");
	free(acc.v[0]);
	acc.v[0] = NULL;
	acc.n = 0;
	if (for_each_record(s, refs_add_record, &acc, err) < 0 ||
	    refs_add_bundles(s, &acc, err) < 0) {
		rt_strv_free(acc.v);
		return -1;
	}
	qsort(acc.v, acc.n, sizeof(char *), cmp_str);
	*ret = acc.v;
	*ret_n = acc.n;
	return 0;
}

int img_refs_count(char **refs, size_t n, const char *diff_id)
{
	int c = 0;
	for (size_t i = 0; i < n; i++)
		c += strcmp(refs[i], diff_id) == 0;
	return c;
}

void img_summaries_free(struct img_summary *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].ref);
		free(v[i].digest);
		free(v[i].config);
	}
	free(v);
}

struct list_acc {
	struct img_summary *v;
	size_t n, cap;
};

static int list_add(struct img_record *r, void *data, struct rt_error *err)
{
	struct list_acc *acc = data;
	if (acc->n == acc->cap) {
		size_t nc = acc->cap ? acc->cap * 2 : 16;
		struct img_summary *nv = realloc(acc->v, nc * sizeof(*nv));
		if (nv == NULL)
			return rt_error_set(err, ENOMEM, "image list");
		acc->v = nv;
		acc->cap = nc;
	}
	struct img_summary *sm = &acc->v[acc->n];
	memset(sm, 0, sizeof(*sm));
	sm->ref = strdup(r->ref);
	sm->digest = strdup(r->digest);
	sm->config = strdup(r->config);
	sm->n_layers = r->n_layers;
	for (size_t i = 0; i < r->n_layers; i++)
		sm->size += r->layers[i].unpacked_size;
	acc->n++;
	if (!sm->ref || !sm->digest || !sm->config)
		return rt_error_set(err, ENOMEM, "image list");
	return 0;
}

static int cmp_summary(const void *a, const void *b)
{
	return strcmp(((const struct img_summary *)a)->ref, ((const struct img_summary *)b)->ref);
}

int img_list(struct img_store *s, struct img_summary **ret, size_t *ret_n, struct rt_error *err)
{
	struct list_acc acc = {0};

	if (for_each_record(s, list_add, &acc, err) < 0) {
		img_summaries_free(acc.v, acc.n);
		return -1;
	}
	if (acc.n)
		qsort(acc.v, acc.n, sizeof(*acc.v), cmp_summary);
	*ret = acc.v;
	*ret_n = acc.n;
	return 0;
}

int img_inspect(struct img_store *s, const char *ref, char **ret_json, struct rt_error *err)
{
	cleanup_record struct img_record *r = NULL;
	cleanup_free char *config = NULL;
	cleanup_strv char **refs = NULL;
	size_t n_refs = 0, len;
	json_error_t je;

	if (img_store_lock(s, LOCK_SH, err) < 0)
		return -1;
	if (img_record_read(s, ref, &r, err) < 0 ||
	    img_blob_get(s, r->config, &config, &len, err) < 0 ||
	    img_store_layer_refs(s, &refs, &n_refs, err) < 0) {
		img_store_unlock(s);
		return -1;
	}
	img_store_unlock(s);
	json_auto_t *cfg = json_loadb(config, len, 0, &je);
	json_auto_t *layers = json_array();
	if (cfg == NULL)
		return rt_error_set(err, EINVAL, "image `%s`: config: %s", r->ref, je.text);
	for (size_t i = 0; i < r->n_layers; i++) {
		struct img_record_layer *l = &r->layers[i];
		json_array_append_new(layers,
				      json_pack("{s:s, s:s, s:s, s:I, s:I, s:i}", "digest",
						l->digest, "diff_id", l->diff_id, "mediaType",
						l->media_type, "size", (json_int_t)l->size,
						"unpacked_size", (json_int_t)l->unpacked_size,
						"refs", img_refs_count(refs, n_refs, l->diff_id)));
	}
	json_auto_t *o = json_pack("{s:s, s:s, s:s, s:O, s:O}", "ref", r->ref, "digest", r->digest,
				   "id", r->config, "config", cfg, "layers", layers);
	char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	if (text == NULL)
		return rt_error_set(err, ENOMEM, "image `%s`: inspect", r->ref);
	*ret_json = text;
	return 0;
}

/* Remove a layer nobody references: first renamed into tmp/ (one atomic step that takes it
 * out of every later lookup), then deleted. */
static int layer_remove(struct img_store *s, const char *hex, struct img_prune_stats *st,
			struct rt_error *err)
{
	char from[NAME_MAX + 16], to[NAME_MAX + 16], link[NAME_MAX + 16];

	snprintf(from, sizeof(from), "layers/%s", hex);
	snprintf(to, sizeof(to), "tmp/rm-%s", hex);
	if (renameat(s->dirfd, from, s->dirfd, to) < 0) {
		if (errno == ENOENT)
			return 0;
		return rt_error_set(err, errno, "remove layer %s", hex);
	}
	rt_crashpoint("image.rm.layer");
	snprintf(link, sizeof(link), "l/%.16s", hex);
	unlinkat(s->dirfd, link, 0);
	snprintf(link, sizeof(link), "locks/%s", hex);
	unlinkat(s->dirfd, link, 0);
	if (rt_rmtree_at(s->dirfd, to, err) < 0)
		return -1;
	if (st)
		st->layers++;
	return 0;
}

/* Under the exclusive lock: drop layers and blobs that no record references. */
static int gc_locked(struct img_store *s, struct img_prune_stats *st, struct rt_error *err)
{
	cleanup_strv char **refs = NULL;
	cleanup_strv char **blobs = NULL;
	size_t n_refs = 0, n_blobs = 0, cap_blobs = 0;
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	char dg[NAME_MAX + 16];

	if (img_store_layer_refs(s, &refs, &n_refs, err) < 0)
		return -1;
	int fd = openat(s->dirfd, "layers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL)
		return rt_error_set(err, errno, "store `%s`: layers", s->path);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(dg, sizeof(dg), "sha256:%s", de->d_name);
		if (bsearch(&(const char *){dg}, refs, n_refs, sizeof(char *), cmp_str))
			continue;
		if (layer_remove(s, de->d_name, st, err) < 0)
			return -1;
	}

	/* blobs: manifests and configs of the remaining images */
	{
		struct img_summary *v = NULL;
		size_t n = 0;
		if (img_list(s, &v, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (strv_push(&blobs, &n_blobs, &cap_blobs, v[i].digest) < 0 ||
			    strv_push(&blobs, &n_blobs, &cap_blobs, v[i].config) < 0) {
				img_summaries_free(v, n);
				return rt_error_set(err, ENOMEM, "gc");
			}
		img_summaries_free(v, n);
		if (n_blobs)
			qsort(blobs, n_blobs, sizeof(char *), cmp_str);
	}
	cleanup_dir DIR *bd = NULL;
	fd = openat(s->dirfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (bd = fdopendir(fd)) == NULL)
		return rt_error_set(err, errno, "store `%s`: blobs", s->path);
	while ((de = readdir(bd)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(dg, sizeof(dg), "sha256:%s", de->d_name);
		if (n_blobs &&
		    bsearch(&(const char *){dg}, blobs, n_blobs, sizeof(char *), cmp_str))
			continue;
		if (unlinkat(dirfd(bd), de->d_name, 0) == 0 && st)
			st->blobs++;
	}
	return 0;
}

int img_remove(struct img_store *s, const char *ref, struct rt_error *err)
{
	cleanup_record struct img_record *r = NULL;
	char path[NAME_MAX + 16];
	int ret;

	if (img_store_lock(s, LOCK_EX, err) < 0)
		return -1;
	ret = img_record_read(s, ref, &r, err);
	if (ret == 0) {
		ref_path(r->ref, ".json", path, sizeof(path));
		if (unlinkat(s->dirfd, path, 0) < 0)
			ret = rt_error_set(err, errno, "image `%s`: remove record", r->ref);
		rt_crashpoint("image.rm.record");
		/* after the record: an index without its record is never used (prune removes
		 * one that a crash here leaves) */
		ref_path(r->ref, ".layers", path, sizeof(path));
		if (ret == 0 && unlinkat(s->dirfd, path, 0) < 0 && errno != ENOENT)
			ret = rt_error_set(err, errno, "image `%s`: remove layer index", r->ref);
	}
	if (ret == 0)
		ret = gc_locked(s, NULL, err);
	img_store_unlock(s);
	return ret;
}

/* Whether an entry of images/ is debris of a killed command: a temporary file of an atomic
 * write (NAME.tmp.PID), or a layer index whose record is gone (image rm killed between its
 * two unlinks, import killed between its two writes). */
static int images_orphan(struct img_store *s, const char *dir, const char *name)
{
	size_t n = strlen(name);
	char rec[NAME_MAX + 16];
	const char *tmp = strrchr(name, '.');

	(void)dir;
	/* records end in .json and indexes in .layers, so a reference cannot look like this */
	if (tmp && tmp[1] && strspn(tmp + 1, "0123456789") == strlen(tmp + 1) && tmp - name > 4 &&
	    strncmp(tmp - 4, ".tmp", 4) == 0)
		return 1;
	if (n <= 7 || n - 7 + sizeof("images/.json") > sizeof(rec) ||
	    strcmp(name + n - 7, ".layers") != 0)
		return 0;
	snprintf(rec, sizeof(rec), "images/%.*s.json", (int)(n - 7), name);
	return faccessat(s->dirfd, rec, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

/* Whether an entry of l/ or locks/ belongs to no layer (a crash between a layer's removal and
 * its link's or lock's).  The link's target is checked, not the name: it is the layer's. */
static int layer_aux_orphan(struct img_store *s, const char *dir, const char *name)
{
	char path[NAME_MAX + 32], target[NAME_MAX + 16];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (strcmp(dir, "locks") == 0) {
		snprintf(target, sizeof(target), "layers/%s", name);
		return faccessat(s->dirfd, target, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		       errno == ENOENT;
	}
	n = readlinkat(s->dirfd, path, target, sizeof(target) - 1);
	if (n < 0)
		return errno == EINVAL; /* not a link: not ours */
	target[n] = '\0';
	/* "../layers/HEX/root" resolves relative to l/ */
	snprintf(path, sizeof(path), "l/%s", target);
	return faccessat(s->dirfd, path, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

/* A bundle directory without its record: bundle create killed before writing it (create
 * holds the lock shared until the record is written, so none is being made now). */
static int bundles_orphan(struct img_store *s, const char *dir, const char *name)
{
	char path[NAME_MAX + 32];

	(void)dir;
	snprintf(path, sizeof(path), "bundles/%s/bundle.json", name);
	return faccessat(s->dirfd, path, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

/* Remove every entry of dir that orphan() says a killed command left; counted in *count. */
static void remove_orphans(struct img_store *s, const char *dir,
			   int (*orphan)(struct img_store *s, const char *dir, const char *name),
			   unsigned *count)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd = openat(s->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct rt_error e = RT_ERROR_INIT;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (orphan && !orphan(s, dir, de->d_name))
			continue;
		if (rt_rmtree_at(dirfd(d), de->d_name, &e) == 0)
			(*count)++;
		else
			rt_warn("store `%s`: remove `%s/%s`: %s", s->path, dir, de->d_name, e.msg);
		rt_error_release(&e);
	}
}

/* Under the exclusive lock.  Imports and bundle creations hold the lock shared for as long
 * as they have anything unrecorded: whatever is in tmp/, and every orphan, was left by a
 * process that died. */
static int prune_locked(struct img_store *s, struct img_prune_stats *st, struct rt_error *err)
{
	remove_orphans(s, "tmp", NULL, &st->tmp);
	remove_orphans(s, "images", images_orphan, &st->tmp);
	remove_orphans(s, "bundles", bundles_orphan, &st->tmp);
	if (gc_locked(s, st, err) < 0)
		return -1;
	/* after the layers: their removal may leave links and locks of its own */
	remove_orphans(s, "l", layer_aux_orphan, &st->tmp);
	remove_orphans(s, "locks", layer_aux_orphan, &st->tmp);
	return 0;
}

int img_prune(struct img_store *s, struct img_prune_stats *ret, struct rt_error *err)
{
	struct img_prune_stats st = {0};
	int r;

	if (img_store_lock(s, LOCK_EX, err) < 0)
		return -1;
	r = prune_locked(s, &st, err);
	img_store_unlock(s);
	if (ret)
		*ret = st;
	return r;
}

int img_store_undo_failed(struct img_store *s)
{
	struct img_prune_stats st = {0};
	struct rt_error e = RT_ERROR_INIT;
	int r;

	/* never wait: another import or bundle create may hold the lock for long */
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) < 0)
		return 0;
	r = prune_locked(s, &st, &e);
	if (r < 0)
		rt_warn("%s", e.msg);
	rt_error_release(&e);
	img_store_unlock(s);
	return r < 0 ? 0 : 1;
}
