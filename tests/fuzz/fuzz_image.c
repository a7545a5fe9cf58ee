/* An OCI image layout through `image import`: index.json, the manifest (or a nested index),
 * the config and the layers, into a scratch store.
 *
 * A fuzzer cannot forge sha256 digests, and every blob is verified against its descriptor
 * before it is parsed, so the input is a template: parts separated by a line "----", in the
 * order index.json, manifest, config, layer 0, layer 1, ... (at most 8 layers).  Each part is
 * stored as a blob under its real digest, and these words in the JSON parts are replaced by
 * digests first:
 *   @L0@..@L7@  the blob digest of layer N     @D0@..@D7@  its diff_id (the same bytes: the
 *   @C@         the config's digest                       seeds use uncompressed layers)
 *   @M@         the manifest's digest
 * Layers and the config are substituted first, then the manifest, then the index. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "../../common/fsutil.h"
#include "../../images/digest.h"
#include "../../images/image.h"
#include "fuzz.h"

#define MAX_PARTS  11 /* index, manifest, config, 8 layers */
#define SEPARATOR  "\n----\n"
#define MAX_LAYERS (MAX_PARTS - 3)

struct part {
	const char *p;
	size_t len;
};

struct subst {
	char word[8];
	char digest[IMG_DIGEST_STR_LEN];
};

/* text with every known word replaced (heap, *ret_len bytes) */
static char *substitute(const struct part *in, const struct subst *s, size_t n, size_t *ret_len)
{
	char *out = malloc(in->len * (IMG_DIGEST_STR_LEN / 4 + 1) + 1);
	size_t o = 0;

	if (out == NULL)
		abort();
	for (size_t i = 0; i < in->len;) {
		size_t k;
		for (k = 0; k < n; k++) {
			size_t wl = strlen(s[k].word);
			if (wl <= in->len - i && memcmp(in->p + i, s[k].word, wl) == 0) {
				memcpy(out + o, s[k].digest, IMG_DIGEST_STR_LEN - 1);
				o += IMG_DIGEST_STR_LEN - 1;
				i += wl;
				break;
			}
		}
		if (k == n)
			out[o++] = in->p[i++];
	}
	*ret_len = o;
	return out;
}

static void put_blob(int blobs, const char *text, size_t len, char digest[IMG_DIGEST_STR_LEN])
{
	struct rt_error err = RT_ERROR_INIT;

	img_digest_buf(text, len, digest);
	if (rt_write_file_at(blobs, img_digest_hex(digest), text, len, O_CREAT | O_TRUNC, &err) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct part parts[MAX_PARTS];
	struct subst subst[2 * MAX_LAYERS + 2];
	size_t n_parts = 0, n_subst = 0, len;
	const char *p = (const char *)data, *end = p + size;
	struct rt_error err = RT_ERROR_INIT;
	char *dir = fuzz_tmpdir(), *layout = NULL, *store = NULL, *source = NULL, *text;
	char *digest = NULL, *ref = NULL;
	struct img_store *s = NULL;
	int blobs, r;

	while (n_parts < MAX_PARTS) {
		const char *sep = memmem(p, (size_t)(end - p), SEPARATOR, strlen(SEPARATOR));
		parts[n_parts].p = p;
		parts[n_parts].len = sep ? (size_t)(sep - p) : (size_t)(end - p);
		n_parts++;
		if (sep == NULL)
			break;
		p = sep + strlen(SEPARATOR);
	}
	if (asprintf(&layout, "%s/layout", dir) < 0 || asprintf(&store, "%s/store", dir) < 0 ||
	    asprintf(&source, "oci:%s", layout) < 0)
		abort();
	if (mkdir(layout, 0700) < 0)
		abort();
	blobs = open(layout, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (blobs < 0 || mkdirat(blobs, "blobs", 0700) < 0 ||
	    mkdirat(blobs, "blobs/sha256", 0700) < 0 ||
	    rt_write_file_at(blobs, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30,
			     O_CREAT | O_TRUNC, &err) < 0)
		abort();
	for (size_t i = 3; i < n_parts; i++) {
		struct subst *l = &subst[n_subst++], *d = &subst[n_subst++];
		snprintf(l->word, sizeof(l->word), "@L%zu@", i - 3);
		snprintf(d->word, sizeof(d->word), "@D%zu@", i - 3);
		img_digest_buf(parts[i].p, parts[i].len, l->digest);
		memcpy(d->digest, l->digest, sizeof(d->digest));
	}
	{
		int bfd = openat(blobs, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char dg[IMG_DIGEST_STR_LEN];
		if (bfd < 0)
			abort();
		for (size_t i = 3; i < n_parts; i++)
			put_blob(bfd, parts[i].p, parts[i].len, dg);
		if (n_parts > 2) {
			strcpy(subst[n_subst].word, "@C@");
			text = substitute(&parts[2], subst, n_subst, &len);
			put_blob(bfd, text, len, subst[n_subst++].digest);
			free(text);
		}
		if (n_parts > 1) {
			strcpy(subst[n_subst].word, "@M@");
			text = substitute(&parts[1], subst, n_subst, &len);
			put_blob(bfd, text, len, subst[n_subst++].digest);
			free(text);
		}
		close(bfd);
	}
	text = substitute(&parts[0], subst, n_subst, &len);
	if (rt_write_file_at(blobs, "index.json", text, len, O_CREAT | O_TRUNC, &err) < 0)
		abort();
	free(text);
	close(blobs);

	if (img_store_open(store, &s, &err) < 0)
		abort();
	r = img_import(s, source, "fuzz:latest", NULL, &digest, &ref, &err);
	fuzz_check_result(r, &err);
	if (r == 0) {
		char *json = NULL;
		r = img_inspect(s, "fuzz:latest", &json, &err);
		fuzz_check_result(r, &err);
		free(json);
	}
	free(digest);
	free(ref);
	img_store_close(s);
	fuzz_check_store_tmp(store);
	free(layout);
	free(store);
	free(source);
	fuzz_tmpdir_remove(dir);
	return 0;
}
