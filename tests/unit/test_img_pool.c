/* Layers unpacked in parallel: every layer lands in the store once; a failing layer among
 * several gives one error naming it and leaves no partial layer and no temporary directory. */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
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
#include "../../images/pool.h"
#include "../../images/store.h"
#include "../../images/unpack.h"
#include "testutil.h"

#define N_LAYERS 5

static char tmp[64];

static int setup(void **state)
{
	return tu_tmpdir(tmp, sizeof(tmp));
}

static int teardown(void **state)
{
	return tu_tmpdir_remove(tmp);
}

/* An uncompressed layer tar of `files` members under dir/ (name "../evil" when hostile);
 * returns an open fd of it and its digest (= diff_id, as it is not compressed). */
static int write_layer(int i, int files, int hostile, char digest[IMG_DIGEST_STR_LEN])
{
	char path[128], name[64];
	struct archive *a = archive_write_new();
	char *buf;
	size_t len;
	struct rt_error err = RT_ERROR_INIT;

	snprintf(path, sizeof(path), "%s/layer%d.tar", tmp, i);
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (int f = 0; f < files; f++) {
		struct archive_entry *e = archive_entry_new();
		if (hostile && f == files / 2)
			snprintf(name, sizeof(name), "../evil");
		else
			snprintf(name, sizeof(name), "dir%d/f%d", i, f);
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)strlen(name));
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		archive_write_data(a, name, strlen(name));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	assert_int_equal(rt_read_file_at(AT_FDCWD, path, &buf, &len, &err), 0);
	img_digest_buf(buf, len, digest);
	free(buf);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static int count_entries(struct img_store *s, const char *dir)
{
	int fd = openat(s->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

struct layers {
	struct img_layer_job jobs[N_LAYERS];
	char names[N_LAYERS][32];
	char digests[N_LAYERS][IMG_DIGEST_STR_LEN];
};

/* Layers of different sizes (so the biggest-first order differs from image order); layer
 * `bad` (-1: none) has a hostile member half-way. */
static void make_layers(struct layers *l, int bad)
{
	memset(l, 0, sizeof(*l));
	for (int i = 0; i < N_LAYERS; i++) {
		int fd = write_layer(i, 20 + 40 * i, i == bad, l->digests[i]);
		snprintf(l->names[i], sizeof(l->names[i]), "layer %d", i);
		l->jobs[i].src = (struct img_layer_src){
		    .fd = fd,
		    .size = -1,
		    .name = l->names[i],
		    .compression = IMG_COMPRESSION_NONE,
		    .digest = l->digests[i],
		    .diff_id = l->digests[i],
		};
		l->jobs[i].diff_id = l->digests[i];
	}
}

/* A fresh store under the test's directory. */
static struct img_store *store_in_tmp(void)
{
	struct rt_error err = RT_ERROR_INIT;
	struct img_store *s = NULL;
	char path[128];

	snprintf(path, sizeof(path), "%s/store", tmp);
	if (img_store_open(path, &s, &err) < 0)
		fail_msg("open store: %s", err.msg);
	return s;
}

static void close_layers(struct layers *l)
{
	for (int i = 0; i < N_LAYERS; i++)
		close(l->jobs[i].src.fd);
}

static void test_all_layers(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct img_store *s = store_in_tmp();
	struct layers l;
	char path[128];

	make_layers(&l, -1);
	assert_int_equal(img_layers_ensure(s, l.jobs, N_LAYERS, &err), 0);
	for (int i = 0; i < N_LAYERS; i++) {
		struct stat st;
		assert_int_equal(l.jobs[i].done_now, 1);
		assert_true(l.jobs[i].unpacked > 0);
		snprintf(path, sizeof(path), "layers/%s/root/dir%d/f%d",
			 img_digest_hex(l.digests[i]), i, 19);
		assert_int_equal(fstatat(s->dirfd, path, &st, 0), 0);
	}
	assert_int_equal(count_entries(s, "layers"), N_LAYERS);
	assert_int_equal(count_entries(s, "tmp"), 0);

	/* again: everything is found in the store, nothing unpacked twice */
	assert_int_equal(img_layers_ensure(s, l.jobs, N_LAYERS, &err), 0);
	for (int i = 0; i < N_LAYERS; i++)
		assert_int_equal(l.jobs[i].done_now, 0);
	close_layers(&l);
	img_store_close(s);
}

static void test_one_layer_fails(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct img_store *s = store_in_tmp();
	struct layers l;
	char path[128];

	for (int bad = 0; bad < N_LAYERS; bad += 2) {
		make_layers(&l, bad);
		assert_int_equal(img_layers_ensure(s, l.jobs, N_LAYERS, &err), -1);
		/* one error, the hostile layer's, naming it and its member */
		assert_int_equal(err.errnum, EPERM);
		assert_non_null(strstr(err.msg, l.names[bad]));
		assert_non_null(strstr(err.msg, "../evil"));
		rt_error_release(&err);
		for (int i = 0; i < N_LAYERS; i++)
			assert_false(rt_error_is_set(&l.jobs[i].err));
		/* no partial layer, no temporary directory */
		snprintf(path, sizeof(path), "layers/%s", img_digest_hex(l.digests[bad]));
		assert_int_equal(faccessat(s->dirfd, path, F_OK, 0), -1);
		assert_int_equal(count_entries(s, "tmp"), 0);
		close_layers(&l);
		/* each run makes new tars: clear what the good layers left, as prune would */
		struct rt_error e = RT_ERROR_INIT;
		assert_int_equal(rt_rmtree_at(s->dirfd, "layers", &e), 0);
		assert_int_equal(mkdirat(s->dirfd, "layers", 0700), 0);
	}
	img_store_close(s);
}

static void test_cancelled(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	char digest[IMG_DIGEST_STR_LEN];
	atomic_int cancel = 1;
	int fd = write_layer(0, 3, 0, digest);
	int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct img_layer_src src = {.fd = fd,
				    .size = -1,
				    .name = "layer c",
				    .compression = IMG_COMPRESSION_NONE,
				    .cancel = &cancel};

	assert_int_equal(img_unpack_layer(&src, dfd, NULL, &err), -1);
	assert_int_equal(err.errnum, ECANCELED);
	assert_non_null(strstr(err.msg, "layer c"));
	rt_error_release(&err);
	close(fd);
	close(dfd);
}

static void test_workers(void **state)
{
	assert_int_equal(img_pool_workers(0), 1);
	assert_int_equal(img_pool_workers(1), 1);
	assert_true(img_pool_workers(1000) >= 1);
	assert_true(img_pool_workers(1000) <= (size_t)sysconf(_SC_NPROCESSORS_CONF));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_workers),
	    cmocka_unit_test_setup_teardown(test_all_layers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_layer_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancelled, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
