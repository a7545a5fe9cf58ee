#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "../common/cleanup.h"
#include "../common/crashpoint.h"
#include "../common/log.h"
#include "digest.h"
#include "image.h"
#include "pool.h"
#include "source.h"
#include "store.h"
#include "unpack.h"

#define MT_OCI_INDEX	    "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST	    "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG	    "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER	    "application/vnd.oci.image.layer.v1.tar"
#define MT_DOCKER_LIST	    "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST  "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG    "application/vnd.docker.container.image.v1+json"
#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"

/* manifests, indexes and configs are small; a larger one is hostile or not an image */
#define MAX_JSON (16u << 20)

struct importer {
	struct img_store *s;
	struct img_source *src;
	char os[32], arch[32], variant[32];
	const char *name; /* NAME[:TAG] given by the user, or NULL */
};

struct layer_plan {
	char path[256];			 /* member of the source */
	char digest[IMG_DIGEST_STR_LEN]; /* expected blob digest ("" = unknown: docker-archive) */
	char diff_id[IMG_DIGEST_STR_LEN];
	char *media_type;
	enum img_compression compression;
	int64_t size;
	uint64_t unpacked;
};

struct plan {
	char *manifest; /* bytes as stored */
	size_t manifest_len;
	char digest[IMG_DIGEST_STR_LEN];
	char *config;
	size_t config_len;
	char config_digest[IMG_DIGEST_STR_LEN];
	struct layer_plan *layers;
	size_t n_layers;
	char *ref; /* name:tag to store as */
};

static void plan_free(struct plan *p)
{
	free(p->manifest);
	free(p->config);
	for (size_t i = 0; i < p->n_layers; i++)
		free(p->layers[i].media_type);
	free(p->layers);
	free(p->ref);
}

static int parse_platform(const char *s, struct importer *im, struct rt_error *err)
{
	if (s == NULL)
		s = "linux/amd64";
	int n = sscanf(s, "%31[^/]/%31[^/]/%31s", im->os, im->arch, im->variant);
	if (n < 2)
		return rt_error_set(err, EINVAL, "platform `%s`: expected OS/ARCH[/VARIANT]", s);
	if (n == 2)
		im->variant[0] = '\0';
	return 0;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void blob_path(const char *digest, char *buf, size_t len)
{
	snprintf(buf, len, "blobs/sha256/%s", img_digest_hex(digest));
}

/* A blob of the layout, verified against its descriptor (digest and size) before use. */
static int read_blob(struct importer *im, json_t *desc, const char *what, char **ret,
		     size_t *ret_len, char ret_digest[IMG_DIGEST_STR_LEN], struct rt_error *err)
{
	const char *digest = jstr(desc, "digest");
	json_t *size = json_object_get(desc, "size");
	char path[128], got[IMG_DIGEST_STR_LEN];
	cleanup_free char *buf = NULL;
	size_t len;

	if (img_digest_validate(digest, what, err) < 0)
		return -1;
	blob_path(digest, path, sizeof(path));
	if (img_source_read(im->src, path, MAX_JSON, &buf, &len, err) < 0)
		return rt_error_wrap(err, "%s %s", what, digest);
	if (json_is_integer(size) && json_integer_value(size) != (json_int_t)len)
		return rt_error_set(err, EBADMSG, "%s %s: size %zu, descriptor says %lld", what,
				    digest, len, (long long)json_integer_value(size));
	img_digest_buf(buf, len, got);
	if (strcmp(got, digest) != 0)
		return rt_error_set(err, EBADMSG, "%s %s: digest mismatch (got %s)", what, digest,
				    got);
	memcpy(ret_digest, digest, IMG_DIGEST_STR_LEN);
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static int is_index_type(const char *mt)
{
	return mt && (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0);
}

static int is_manifest_type(const char *mt)
{
	return mt && (strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0);
}

static int platform_matches(struct importer *im, json_t *p)
{
	const char *os = jstr(p, "os"), *arch = jstr(p, "architecture"), *v = jstr(p, "variant");
	if (p == NULL)
		return 1; /* no platform: the config decides */
	if (!os || !arch || strcmp(os, im->os) != 0 || strcmp(arch, im->arch) != 0)
		return 0;
	return im->variant[0] == '\0' || (v && strcmp(v, im->variant) == 0);
}

/* Pick the manifest descriptor of an index: by tag (top level only), then by platform. */
static int select_from_index(struct importer *im, json_t *index, const char *tag, int depth,
			     struct plan *p, struct rt_error *err)
{
	json_t *manifests = json_object_get(index, "manifests"), *d, *chosen = NULL;
	char seen[256] = "";
	size_t i, n_match = 0;

	if (!json_is_array(manifests))
		return rt_error_set(err, EINVAL, "index: no manifests array");
	json_array_foreach (manifests, i, d) {
		json_t *ann = json_object_get(d, "annotations");
		const char *ref = jstr(ann, ANNOTATION_REF_NAME);
		if (tag && (!ref || strcmp(ref, tag) != 0))
			continue;
		if (!platform_matches(im, json_object_get(d, "platform"))) {
			json_t *pl = json_object_get(d, "platform");
			size_t o = strlen(seen);
			if (o < sizeof(seen) - 64)
				snprintf(seen + o, sizeof(seen) - o, "%s%s/%s", o ? ", " : "",
					 jstr(pl, "os") ?: "?", jstr(pl, "architecture") ?: "?");
			continue;
		}
		if (chosen && strcmp(jstr(chosen, "digest") ?: "", jstr(d, "digest") ?: "") != 0 &&
		    depth == 0 && !tag && json_array_size(manifests) > 1 &&
		    !json_object_get(d, "platform"))
			return rt_error_set(err, EINVAL,
					    "several images in `%s`: name one with :TAG",
					    img_source_path(im->src));
		if (!chosen)
			chosen = d;
		n_match++;
	}
	if (chosen == NULL) {
		if (tag && !seen[0])
			return rt_error_set(err, ENOENT, "no image tagged `%s` in `%s`", tag,
					    img_source_path(im->src));
		return rt_error_set(err, ENOENT, "no manifest for %s/%s%s%s (found: %s)", im->os,
				    im->arch, im->variant[0] ? "/" : "", im->variant,
				    seen[0] ? seen : "none");
	}
	if (depth > 3)
		return rt_error_set(err, ELOOP, "index: nested too deeply");

	cleanup_free char *buf = NULL;
	size_t len;
	char digest[IMG_DIGEST_STR_LEN];
	const char *mt = jstr(chosen, "mediaType");
	if (read_blob(im, chosen, "manifest", &buf, &len, digest, err) < 0)
		return -1;
	json_error_t je;
	json_auto_t *o = json_loadb(buf, len, 0, &je);
	if (o == NULL)
		return rt_error_set(err, EINVAL, "manifest %s: %s", digest, je.text);
	if (mt == NULL)
		mt = jstr(o, "mediaType");
	if (mt == NULL) /* old layouts leave mediaType out: tell by content */
		mt = json_object_get(o, "manifests") ? MT_OCI_INDEX : MT_OCI_MANIFEST;
	if (is_index_type(mt))
		return select_from_index(im, o, NULL, depth + 1, p, err);
	if (!is_manifest_type(mt))
		return rt_error_set(err, ENOTSUP, "manifest %s: unknown media type `%s`", digest,
				    mt);
	p->manifest = TAKE_PTR(buf);
	p->manifest_len = len;
	memcpy(p->digest, digest, sizeof(digest));
	return 0;
}

static int layer_compression(const char *mt, enum img_compression *ret)
{
	static const struct {
		const char *mt;
		enum img_compression c;
	} types[] = {
	    {"application/vnd.oci.image.layer.v1.tar", IMG_COMPRESSION_NONE},
	    {"application/vnd.oci.image.layer.v1.tar+gzip", IMG_COMPRESSION_GZIP},
	    {"application/vnd.oci.image.layer.v1.tar+zstd", IMG_COMPRESSION_ZSTD},
	    {"application/vnd.oci.image.layer.nondistributable.v1.tar", IMG_COMPRESSION_NONE},
	    {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", IMG_COMPRESSION_GZIP},
	    {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", IMG_COMPRESSION_ZSTD},
	    {"application/vnd.docker.image.rootfs.diff.tar.gzip", IMG_COMPRESSION_GZIP},
	    {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", IMG_COMPRESSION_GZIP},
	    {"application/vnd.docker.image.rootfs.diff.tar", IMG_COMPRESSION_NONE},
	};
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (mt && strcmp(mt, types[i].mt) == 0) {
			*ret = types[i].c;
			return 0;
		}
	return -1;
}

/* The config names the diff_ids (and so the store's layer directories) and the platform. */
static int parse_config(struct importer *im, struct plan *p, struct rt_error *err)
{
	json_error_t je;
	json_auto_t *c = json_loadb(p->config, p->config_len, 0, &je);
	json_t *ids, *v;
	size_t i;

	if (c == NULL || !json_is_object(c))
		return rt_error_set(err, EINVAL, "config %s: %s", p->config_digest,
				    c ? "not an object" : je.text);
	const char *os = jstr(c, "os"), *arch = jstr(c, "architecture");
	if ((os && strcmp(os, im->os) != 0) || (arch && strcmp(arch, im->arch) != 0))
		return rt_error_set(err, ENOENT, "image is for %s/%s, not %s/%s", os ?: "?",
				    arch ?: "?", im->os, im->arch);
	ids = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
	if (!json_is_array(ids))
		return rt_error_set(err, EINVAL, "config %s: no rootfs.diff_ids", p->config_digest);
	if (json_array_size(ids) != p->n_layers)
		return rt_error_set(err, EINVAL, "config %s: %zu diff_ids for %zu layers",
				    p->config_digest, json_array_size(ids), p->n_layers);
	json_array_foreach (ids, i, v) {
		char what[64];
		snprintf(what, sizeof(what), "config rootfs.diff_ids[%zu]", i);
		if (img_digest_validate(json_string_value(v), what, err) < 0)
			return -1;
		memcpy(p->layers[i].diff_id, json_string_value(v), IMG_DIGEST_STR_LEN);
	}
	return 0;
}

static int plan_oci(struct importer *im, struct plan *p, struct rt_error *err)
{
	cleanup_free char *text = NULL;
	size_t len, i;
	json_error_t je;
	json_t *l;

	if (img_source_read(im->src, "index.json", MAX_JSON, &text, &len, err) < 0)
		return rt_error_wrap(err, "not an OCI image layout");
	json_auto_t *index = json_loadb(text, len, 0, &je);
	if (index == NULL)
		return rt_error_set(err, EINVAL, "%s: index.json: %s", img_source_path(im->src),
				    je.text);
	if (select_from_index(im, index, img_source_tag(im->src), 0, p, err) < 0)
		return -1;

	json_auto_t *m = json_loadb(p->manifest, p->manifest_len, 0, &je);
	if (m == NULL)
		return rt_error_set(err, EINVAL, "manifest %s: %s", p->digest, je.text);
	if (json_integer_value(json_object_get(m, "schemaVersion")) != 2)
		return rt_error_set(err, ENOTSUP, "manifest %s: schemaVersion must be 2",
				    p->digest);
	json_t *cfg = json_object_get(m, "config"), *layers = json_object_get(m, "layers");
	const char *cmt = jstr(cfg, "mediaType");
	if (!cmt || (strcmp(cmt, MT_OCI_CONFIG) != 0 && strcmp(cmt, MT_DOCKER_CONFIG) != 0))
		return rt_error_set(err, ENOTSUP, "manifest %s: unknown config media type `%s`",
				    p->digest, cmt ?: "(none)");
	if (!json_is_array(layers))
		return rt_error_set(err, EINVAL, "manifest %s: no layers", p->digest);
	if (read_blob(im, cfg, "config", &p->config, &p->config_len, p->config_digest, err) < 0)
		return -1;
	p->layers = calloc(json_array_size(layers) + 1, sizeof(*p->layers));
	if (p->layers == NULL)
		return rt_error_set(err, ENOMEM, "manifest %s", p->digest);
	json_array_foreach (layers, i, l) {
		struct layer_plan *lp = &p->layers[p->n_layers];
		const char *mt = jstr(l, "mediaType"), *dg = jstr(l, "digest");
		char what[64];
		snprintf(what, sizeof(what), "manifest layers[%zu]", i);
		if (layer_compression(mt, &lp->compression) < 0)
			return rt_error_set(err, ENOTSUP, "%s: unknown media type `%s`", what,
					    mt ?: "(none)");
		if (img_digest_validate(dg, what, err) < 0)
			return -1;
		memcpy(lp->digest, dg, IMG_DIGEST_STR_LEN);
		blob_path(dg, lp->path, sizeof(lp->path));
		lp->size = json_is_integer(json_object_get(l, "size"))
			       ? json_integer_value(json_object_get(l, "size"))
			       : -1;
		lp->media_type = strdup(mt);
		p->n_layers++;
		if (lp->media_type == NULL)
			return rt_error_set(err, ENOMEM, "%s", what);
	}
	return parse_config(im, p, err);
}

/* "HEX.json" (docker < 25) or "blobs/sha256/HEX" (docker 25+): the name is the digest */
static void digest_from_name(const char *path, char out[IMG_DIGEST_STR_LEN])
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char d[IMG_DIGEST_STR_LEN + 8];
	struct rt_error e = RT_ERROR_INIT;

	out[0] = '\0';
	snprintf(d, sizeof(d), "sha256:%.64s", base);
	if (img_digest_validate(d, "", &e) == 0)
		memcpy(out, d, IMG_DIGEST_STR_LEN);
	rt_error_release(&e);
}

static int plan_docker(struct importer *im, struct plan *p, struct rt_error *err)
{
	cleanup_free char *text = NULL;
	size_t len, i;
	json_error_t je;
	json_t *e, *entry = NULL, *l;

	if (img_source_read(im->src, "manifest.json", MAX_JSON, &text, &len, err) < 0)
		return rt_error_wrap(err, "not a docker-archive");
	json_auto_t *list = json_loadb(text, len, 0, &je);
	if (!json_is_array(list) || json_array_size(list) == 0)
		return rt_error_set(err, EINVAL, "%s: manifest.json: %s", img_source_path(im->src),
				    list ? "not a non-empty array" : je.text);
	json_array_foreach (list, i, e) {
		json_t *t;
		size_t j;
		json_array_foreach (json_object_get(e, "RepoTags"), j, t) {
			if (im->name && json_is_string(t) &&
			    strcmp(json_string_value(t), im->name) == 0)
				entry = e;
		}
	}
	if (entry == NULL && json_array_size(list) > 1)
		return rt_error_set(err, EINVAL, "%s: %zu images; name one of their RepoTags",
				    img_source_path(im->src), json_array_size(list));
	if (entry == NULL)
		entry = json_array_get(list, 0);

	const char *cfg = jstr(entry, "Config");
	json_t *layers = json_object_get(entry, "Layers");
	char want[IMG_DIGEST_STR_LEN];
	if (cfg == NULL || !json_is_array(layers))
		return rt_error_set(err, EINVAL, "%s: manifest.json: no Config or Layers",
				    img_source_path(im->src));
	if (img_source_read(im->src, cfg, MAX_JSON, &p->config, &p->config_len, err) < 0)
		return -1;
	img_digest_buf(p->config, p->config_len, p->config_digest);
	digest_from_name(cfg, want);
	if (want[0] && strcmp(want, p->config_digest) != 0)
		return rt_error_set(err, EBADMSG, "config `%s`: digest mismatch (got %s)", cfg,
				    p->config_digest);
	p->layers = calloc(json_array_size(layers) + 1, sizeof(*p->layers));
	if (p->layers == NULL)
		return rt_error_set(err, ENOMEM, "manifest.json");
	json_array_foreach (layers, i, l) {
		struct layer_plan *lp = &p->layers[p->n_layers++];
		if (!json_is_string(l) || strlen(json_string_value(l)) >= sizeof(lp->path))
			return rt_error_set(err, EINVAL, "manifest.json: Layers[%zu]: bad path", i);
		snprintf(lp->path, sizeof(lp->path), "%s", json_string_value(l));
		digest_from_name(lp->path, lp->digest);
		lp->compression = IMG_COMPRESSION_AUTO;
		lp->size = -1;
		lp->media_type = strdup(MT_OCI_LAYER);
		if (lp->media_type == NULL)
			return rt_error_set(err, ENOMEM, "manifest.json");
	}
	if (parse_config(im, p, err) < 0)
		return -1;
	if (!im->name) {
		const char *t =
		    json_string_value(json_array_get(json_object_get(entry, "RepoTags"), 0));
		if (t && img_ref_normalize(t, &p->ref, err) < 0)
			return -1;
	}
	return 0;
}

/* docker-archive has no manifest blob: write the OCI manifest it stands for, so that every
 * image in the store has one digest of the same kind. */
static int synth_manifest(struct plan *p, struct rt_error *err)
{
	json_auto_t *layers = json_array();
	for (size_t i = 0; i < p->n_layers; i++) {
		struct layer_plan *l = &p->layers[i];
		json_array_append_new(layers,
				      json_pack("{s:s, s:s, s:I}", "mediaType", l->media_type,
						"digest", l->digest, "size", (json_int_t)l->size));
	}
	json_auto_t *m =
	    json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
		      MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "digest",
		      p->config_digest, "size", (json_int_t)p->config_len, "layers", layers);
	p->manifest = m ? json_dumps(m, JSON_COMPACT) : NULL;
	if (p->manifest == NULL)
		return rt_error_set(err, ENOMEM, "manifest");
	p->manifest_len = strlen(p->manifest);
	img_digest_buf(p->manifest, p->manifest_len, p->digest);
	return 0;
}

/* Locate every layer first (the source is not shared with the workers), then unpack them
 * all in parallel. */
static int unpack_layers(struct importer *im, struct plan *p, struct rt_error *err)
{
	cleanup_free struct img_layer_job *jobs = calloc(p->n_layers + 1, sizeof(*jobs));
	cleanup_free char(*names)[300] = calloc(p->n_layers + 1, sizeof(*names));

	if (jobs == NULL || names == NULL)
		return rt_error_set(err, ENOMEM, "layer jobs");
	for (size_t i = 0; i < p->n_layers; i++) {
		struct layer_plan *lp = &p->layers[i];
		struct img_member m;

		snprintf(names[i], sizeof(names[i]), "layer %s",
			 lp->digest[0] ? lp->digest : lp->path);
		/* a missing blob is an error even when its diff_id is in the store already */
		if (img_source_member(im->src, lp->path, &m, err) < 0)
			return rt_error_wrap(err, "%s", names[i]);
		if (lp->size >= 0 && m.size != lp->size)
			return rt_error_set(err, EBADMSG, "%s: %lld bytes, manifest says %lld",
					    names[i], (long long)m.size, (long long)lp->size);
		jobs[i].src = (struct img_layer_src){
		    .fd = m.fd,
		    .offset = m.offset,
		    .size = m.size,
		    .name = names[i],
		    .compression = lp->compression,
		    .digest = lp->digest[0] ? lp->digest : NULL,
		    .diff_id = lp->diff_id,
		};
		jobs[i].diff_id = lp->diff_id;
		lp->size = m.size;
	}
	if (img_layers_ensure(im->s, jobs, p->n_layers, err) < 0)
		return -1;
	for (size_t i = 0; i < p->n_layers; i++) {
		struct layer_plan *lp = &p->layers[i];
		lp->unpacked = jobs[i].unpacked;
		if (!lp->digest[0]) /* docker-archive: the tar itself */
			memcpy(lp->digest, lp->diff_id, IMG_DIGEST_STR_LEN);
		rt_debug("%s: %s", names[i],
			 jobs[i].done_now ? "unpacked" : "already in the store");
	}
	return 0;
}

static int default_ref(struct importer *im, struct plan *p, struct rt_error *err)
{
	if (im->name)
		return img_ref_normalize(im->name, &p->ref, err);
	if (p->ref)
		return 0;
	if (img_source_kind(im->src) == IMG_SOURCE_DOCKER_ARCHIVE)
		return rt_error_set(err, EINVAL, "%s: no RepoTags: give a NAME",
				    img_source_path(im->src));
	/* oci:DIR[:TAG]: the directory's name, and the tag asked for or "latest" */
	cleanup_free char *copy = strdup(img_source_path(im->src));
	cleanup_free char *ref = NULL;
	if (copy == NULL)
		return rt_error_set(err, ENOMEM, "source");
	char *base = basename(copy);
	char *dot = strrchr(base, '.');
	if (dot && dot != base)
		*dot = '\0';
	const char *tag = img_source_tag(im->src);
	if (asprintf(&ref, "%s:%s", base, tag ? tag : "latest") < 0)
		return rt_error_set(err, ENOMEM, "source");
	if (img_ref_normalize(ref, &p->ref, err) < 0)
		return rt_error_wrap(err, "give a NAME");
	return 0;
}

int img_import(struct img_store *s, const char *source, const char *name, const char *platform,
	       char **ret_digest, char **ret_ref, struct rt_error *err)
{
	cleanup_source struct img_source *src = NULL;
	struct importer im = {.s = s, .name = name};
	struct plan p = {0};
	int r = -1;

	if (parse_platform(platform, &im, err) < 0)
		return -1;
	if (img_source_open(source, &src, err) < 0)
		return -1;
	im.src = src;
	if (img_source_kind(src) == IMG_SOURCE_DOCKER_ARCHIVE)
		r = plan_docker(&im, &p, err);
	else
		r = plan_oci(&im, &p, err);
	if (r < 0 || (r = default_ref(&im, &p, err)) < 0)
		goto out;

	/* shared for the whole import: prune and rm (exclusive) cannot remove a layer this
	 * import found in the store before the image record that references it is written */
	if ((r = img_store_lock(s, LOCK_SH, err)) < 0)
		goto out;
	r = unpack_layers(&im, &p, err);
	if (r == 0 && img_source_kind(src) == IMG_SOURCE_DOCKER_ARCHIVE)
		r = synth_manifest(&p, err);
	if (r == 0)
		r = img_blob_put(s, p.config_digest, p.config, p.config_len, err);
	if (r == 0)
		r = img_blob_put(s, p.digest, p.manifest, p.manifest_len, err);
	if (r == 0) {
		rt_crashpoint("image.blob");
		struct img_record rec = {.ref = p.ref, .n_layers = p.n_layers};
		memcpy(rec.digest, p.digest, sizeof(rec.digest));
		memcpy(rec.config, p.config_digest, sizeof(rec.config));
		rec.layers = calloc(p.n_layers + 1, sizeof(*rec.layers));
		if (rec.layers == NULL) {
			r = rt_error_set(err, ENOMEM, "image record");
		} else {
			for (size_t i = 0; i < p.n_layers; i++) {
				struct img_record_layer *rl = &rec.layers[i];
				memcpy(rl->digest, p.layers[i].digest, IMG_DIGEST_STR_LEN);
				memcpy(rl->diff_id, p.layers[i].diff_id, IMG_DIGEST_STR_LEN);
				rl->media_type = p.layers[i].media_type;
				rl->size = p.layers[i].size;
				rl->unpacked_size = p.layers[i].unpacked;
			}
			r = img_record_write(s, &rec, err);
			free(rec.layers);
		}
	}
	img_store_unlock(s);
	/* a refused import leaves nothing: its layers and blobs no record references go again
	 * (left to image prune while another import or bundle create holds the store) */
	if (r < 0)
		img_store_undo_failed(s);
	if (r == 0) {
		*ret_digest = strdup(p.digest);
		if (ret_ref)
			*ret_ref = TAKE_PTR(p.ref);
		if (*ret_digest == NULL)
			r = rt_error_set(err, ENOMEM, "import");
	}
out:
	if (r < 0)
		rt_error_wrap(err, "import `%s`", source);
	plan_free(&p);
	return r;
}
