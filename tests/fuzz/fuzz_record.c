/* The store's image records (images/NAME.json) and their layer index (images/NAME.layers), as
 * `image ls/inspect` and bundle creation read them back.  Written by husk, but read from a
 * directory that anything with root can edit.  The first input byte picks the file; in the
 * layer index, "@R@" becomes the digest of the record beside it (without which the index is
 * ignored as stale). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>

#include "../../common/fsutil.h"
#include "../../images/digest.h"
#include "../../images/store.h"
#include "fuzz.h"

#define REF	"fuzz:latest"
#define RECORD	"images/fuzz:latest.json"
#define LAYERS	"images/fuzz:latest.layers"
#define DIGEST0 "sha256:0000000000000000000000000000000000000000000000000000000000000000"

static char *with_record_digest(const uint8_t *data, size_t size, const char *digest,
				size_t *ret_len)
{
	char *out = malloc(size * IMG_DIGEST_STR_LEN + 1);
	size_t o = 0;

	if (out == NULL)
		abort();
	for (size_t i = 0; i < size;) {
		if (size - i >= 3 && memcmp(data + i, "@R@", 3) == 0) {
			memcpy(out + o, digest, IMG_DIGEST_STR_LEN - 1);
			o += IMG_DIGEST_STR_LEN - 1;
			i += 3;
		} else {
			out[o++] = (char)data[i++];
		}
	}
	*ret_len = o;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct img_record_layer layer = {.digest = DIGEST0, .diff_id = DIGEST0, .media_type = "x"};
	struct img_record rec = {
	    .ref = REF, .digest = DIGEST0, .config = DIGEST0, .layers = &layer, .n_layers = 1};
	struct rt_error err = RT_ERROR_INIT;
	struct img_record *got = NULL;
	struct img_store *s = NULL;
	char *dir = fuzz_tmpdir(), *text = NULL, digest[IMG_DIGEST_STR_LEN];
	size_t len;
	int r;

	if (size == 0 || img_store_open(dir, &s, &err) < 0 || img_record_write(s, &rec, &err) < 0)
		goto out;
	if (data[0] & 1) {
		if (rt_write_file_at(s->dirfd, RECORD, data + 1, size - 1, O_CREAT | O_TRUNC,
				     &err) < 0)
			abort();
	}
	if (rt_read_file_at(s->dirfd, RECORD, &text, &len, &err) < 0)
		abort();
	if (!(data[0] & 1)) {
		char *index;
		img_digest_buf(text, len, digest);
		index = with_record_digest(data + 1, size - 1, digest, &len);
		if (rt_write_file_at(s->dirfd, LAYERS, index, len, O_CREAT | O_TRUNC, &err) < 0)
			abort();
		free(index);
	}
	r = img_record_read_layers(s, REF, &got, &err);
	fuzz_check_result(r, &err);
	if (r == 0)
		img_record_free(got);
	got = NULL;
	r = img_record_read(s, REF, &got, &err);
	fuzz_check_result(r, &err);
	if (r == 0)
		img_record_free(got);
out:
	rt_error_release(&err);
	free(text);
	if (s)
		img_store_close(s);
	fuzz_tmpdir_remove(dir);
	return 0;
}
