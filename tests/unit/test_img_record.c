/* Image records and their layer index: a bundle reads the index while it matches the record
 * beside it, and the record itself whenever it does not (no index, a stale one from a record
 * rewritten since, a malformed one); removing the image removes both files. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/fsutil.h"
#include "../../images/digest.h"
#include "../../images/image.h"
#include "../../images/store.h"
#include "testutil.h"

static char tmp[64];
static struct img_store *store;

static int setup(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	char path[96];

	tu_tmpdir(tmp, sizeof(tmp));
	snprintf(path, sizeof(path), "%s/store", tmp);
	assert_int_equal(img_store_open(path, &store, &err), 0);
	return 0;
}

static int teardown(void **state)
{
	img_store_close(store);
	return tu_tmpdir_remove(tmp);
}

/* A record of n layers whose digests are derived from seed, so two seeds differ everywhere. */
static void write_record(const char *ref, int n, char seed)
{
	struct img_record_layer layers[8] = {0};
	struct img_record r = {.ref = (char *)ref, .layers = layers, .n_layers = (size_t)n};
	struct rt_error err = RT_ERROR_INIT;
	char buf[32];

	snprintf(buf, sizeof(buf), "manifest %c", seed);
	img_digest_buf(buf, strlen(buf), r.digest);
	snprintf(buf, sizeof(buf), "config %c", seed);
	img_digest_buf(buf, strlen(buf), r.config);
	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "blob %c %d", seed, i);
		img_digest_buf(buf, strlen(buf), layers[i].digest);
		snprintf(buf, sizeof(buf), "diff %c %d", seed, i);
		img_digest_buf(buf, strlen(buf), layers[i].diff_id);
		layers[i].media_type = "application/vnd.oci.image.layer.v1.tar";
		layers[i].size = 100 + i;
		layers[i].unpacked_size = 1000 + (uint64_t)i;
	}
	if (img_record_write(store, &r, &err) < 0)
		fail_msg("%s", err.msg);
}

/* What img_record_read_layers returns for ref equals what the full record holds. */
static void assert_layers_match_record(const char *ref, int n, char seed)
{
	struct img_record *fast = NULL, *full = NULL;
	struct rt_error err = RT_ERROR_INIT;
	char want[IMG_DIGEST_STR_LEN], buf[32];

	if (img_record_read_layers(store, ref, &fast, &err) < 0)
		fail_msg("%s", err.msg);
	if (img_record_read(store, ref, &full, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(fast->ref, full->ref);
	assert_string_equal(fast->config, full->config);
	assert_int_equal(fast->n_layers, n);
	assert_int_equal(full->n_layers, n);
	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "diff %c %d", seed, i);
		img_digest_buf(buf, strlen(buf), want);
		assert_string_equal(fast->layers[i].diff_id, want);
		assert_string_equal(full->layers[i].diff_id, want);
	}
	img_record_free(fast);
	img_record_free(full);
}

static char *index_text(const char *file)
{
	struct rt_error err = RT_ERROR_INIT;
	char path[160], *text = NULL;

	snprintf(path, sizeof(path), "images/%s", file);
	if (rt_read_file_at(store->dirfd, path, &text, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	return text;
}

static void put_index(const char *file, const char *text)
{
	struct rt_error err = RT_ERROR_INIT;
	char path[160];

	snprintf(path, sizeof(path), "images/%s", file);
	if (rt_write_file_atomic_at(store->dirfd, path, text, strlen(text), 0600, &err) < 0)
		fail_msg("%s", err.msg);
}

static void test_index_written_and_read(void **state)
{
	write_record("app:1", 5, 'a');
	char *text = index_text("app:1.layers");
	/* record line, config line, one line per layer, base first */
	assert_non_null(strstr(text, "record sha256:"));
	assert_int_equal(strncmp(strchr(text, '\n') + 1, "config sha256:", 14), 0);
	int lines = 0;
	for (char *p = text; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 2 + 5);
	free(text);
	assert_layers_match_record("app:1", 5, 'a');
	/* a name with a slash maps to one flat file, as the record does */
	write_record("lib/x:2", 2, 'x');
	free(index_text("lib%2Fx:2.layers"));
	assert_layers_match_record("lib/x:2", 2, 'x');
}

static void test_stale_or_broken_index_is_not_used(void **state)
{
	write_record("app:1", 5, 'a');
	char *old = index_text("app:1.layers");

	/* the record rewritten since (what an older husk or a crash between the two writes
	 * leaves): the old index names other layers and must not be believed */
	write_record("app:1", 3, 'b');
	put_index("app:1.layers", old);
	assert_layers_match_record("app:1", 3, 'b');

	/* no index at all (a store written before indexes existed) */
	assert_int_equal(unlinkat(store->dirfd, "images/app:1.layers", 0), 0);
	assert_layers_match_record("app:1", 3, 'b');

	/* the right record digest but a damaged layer line */
	write_record("app:1", 3, 'b');
	char *good = index_text("app:1.layers");
	char *last = strrchr(good, ':');
	*last = '!';
	put_index("app:1.layers", good);
	assert_layers_match_record("app:1", 3, 'b');
	free(good);
	free(old);
}

static void test_missing_image_and_remove(void **state)
{
	struct img_record *r = NULL;
	struct rt_error err = RT_ERROR_INIT;
	struct stat st;

	assert_int_equal(img_record_read_layers(store, "nope", &r, &err), -1);
	assert_int_equal(err.errnum, ENOENT);
	assert_non_null(strstr(err.msg, "image `nope:latest` not found"));
	rt_error_release(&err);

	/* an index whose record is gone is never used */
	write_record("app:1", 2, 'a');
	assert_int_equal(unlinkat(store->dirfd, "images/app:1.json", 0), 0);
	assert_int_equal(img_record_read_layers(store, "app:1", &r, &err), -1);
	assert_int_equal(err.errnum, ENOENT);
	rt_error_release(&err);

	write_record("app:1", 2, 'a');
	if (img_remove(store, "app:1", &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(fstatat(store->dirfd, "images/app:1.json", &st, 0), -1);
	assert_int_equal(fstatat(store->dirfd, "images/app:1.layers", &st, 0), -1);
}

static void touch_at(const char *path)
{
	int fd = openat(store->dirfd, path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	close(fd);
}

static int exists_at(const char *path)
{
	struct stat st;

	return fstatat(store->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* What killed commands leave goes with prune; records, their indexes and names that merely
 * look alike stay. */
static void test_prune_removes_debris_of_killed_commands(void **state)
{
	struct img_prune_stats st;
	struct rt_error err = RT_ERROR_INIT;

	write_record("app:1", 0, 'a');
	write_record("x.tmp.1:2", 0, 'b'); /* a reference with ".tmp." in it */
	write_record("gone:1", 0, 'c');
	/* image rm killed between its two unlinks */
	assert_int_equal(unlinkat(store->dirfd, "images/gone:1.json", 0), 0);
	touch_at("images/app:2.json.tmp.4242"); /* an atomic write killed */
	touch_at("images/app:2.layers.tmp.4242");
	assert_int_equal(mkdirat(store->dirfd, "layers/00aa", 0700), 0);
	assert_int_equal(symlinkat("../layers/00aa/root", store->dirfd, "l/00aa"), 0);
	assert_int_equal(symlinkat("../layers/00bb/root", store->dirfd, "l/00bb"), 0);
	touch_at("locks/00bb"); /* the lock of a layer whose unpack was killed */
	assert_int_equal(mkdirat(store->dirfd, "bundles/b1", 0700), 0); /* no record */
	assert_int_equal(mkdirat(store->dirfd, "bundles/b2", 0700), 0);
	touch_at("bundles/b2/bundle.json");
	if (img_prune(store, &st, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(exists_at("images/app:1.json") && exists_at("images/app:1.layers"));
	assert_true(exists_at("images/x.tmp.1:2.json") && exists_at("images/x.tmp.1:2.layers"));
	assert_false(exists_at("images/gone:1.layers"));
	assert_false(exists_at("images/app:2.json.tmp.4242"));
	assert_false(exists_at("images/app:2.layers.tmp.4242"));
	assert_false(exists_at("l/00bb") || exists_at("locks/00bb") || exists_at("bundles/b1"));
	assert_true(exists_at("bundles/b2"));
	/* layers/00aa is referenced by nobody: gone, and its link after it */
	assert_false(exists_at("layers/00aa") || exists_at("l/00aa"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_index_written_and_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_or_broken_index_is_not_used, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_missing_image_and_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prune_removes_debris_of_killed_commands, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
