/* Layer unpacking: member-name rules, whiteouts, and hostile members crafted with libarchive's
 * writer (GNU tar refuses to write most of them). */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/fsutil.h"
#include "../../images/digest.h"
#include "../../images/unpack.h"
#include "testutil.h"

struct member {
	const char *name;
	char type;	  /* f file, d dir, l symlink, h hardlink, c chardev */
	const char *data; /* content, or link target */
	mode_t mode;
};

static char tmp[64];

static int setup(void **state)
{
	return tu_tmpdir(tmp, sizeof(tmp));
}

static int teardown(void **state)
{
	return tu_tmpdir_remove(tmp);
}

/* Write members as a (gzip) tar to tmp/layer.tar and return its path. */
static const char *write_tar(const struct member *m, size_t n, int gzip)
{
	static char path[128];
	struct archive *a = archive_write_new();

	snprintf(path, sizeof(path), "%s/layer.tar", tmp);
	archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_mtime(e, 1000000000, 0);
		archive_entry_set_perm(e, m[i].mode ? m[i].mode : 0644);
		switch (m[i].type) {
		case 'f':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)strlen(m[i].data));
			break;
		case 'd': archive_entry_set_filetype(e, AE_IFDIR); break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, m[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, m[i].data);
			break;
		case 'c':
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_rdev(e, makedev(1, 1));
			break;
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (m[i].type == 'f')
			archive_write_data(a, m[i].data, strlen(m[i].data));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	return path;
}

/* Unpack into tmp/NAME (a fresh dir); returns the result, err filled. */
static int unpack(const char *tar, const char *name, enum img_compression c,
		  struct img_unpack_stats *st, struct rt_error *err)
{
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/%s", tmp, name);
	assert_int_equal(mkdir(dir, 0755), 0);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	int fd = open(tar, O_RDONLY);
	struct img_layer_src src = {.fd = fd, .size = -1, .name = "layer", .compression = c};
	int r = img_unpack_layer(&src, dfd, st, err);
	close(fd);
	close(dfd);
	return r;
}

static void test_normalize(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	char a[] = "./usr//bin/./sh/", b[] = "./", c[] = "/etc/passwd", d[] = "a/../../x";
	char e[] = "a/..b";

	assert_int_equal(img_member_name_normalize(a, &err), 0);
	assert_string_equal(a, "usr/bin/sh");
	assert_int_equal(img_member_name_normalize(b, &err), 0);
	assert_string_equal(b, "");
	assert_int_equal(img_member_name_normalize(e, &err), 0);
	assert_int_equal(img_member_name_normalize(c, &err), -1);
	assert_int_equal(err.errnum, EPERM);
	rt_error_release(&err);
	assert_int_equal(img_member_name_normalize(d, &err), -1);
	assert_non_null(strstr(err.msg, "a/../../x"));
	rt_error_release(&err);
}

static void test_whiteout_classify(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	enum img_whiteout_kind k;
	const char *t;

	assert_int_equal(img_whiteout_classify("etc/.wh.passwd", &k, &t, &err), 0);
	assert_int_equal(k, IMG_WHITEOUT_FILE);
	assert_string_equal(t, "passwd");
	assert_int_equal(img_whiteout_classify("opt/.wh..wh..opq", &k, &t, &err), 0);
	assert_int_equal(k, IMG_WHITEOUT_OPAQUE);
	assert_int_equal(img_whiteout_classify(".wh..wh.plnk", &k, &t, &err), 0);
	assert_int_equal(k, IMG_WHITEOUT_META);
	assert_int_equal(img_whiteout_classify("usr/bin", &k, &t, &err), 0);
	assert_int_equal(k, IMG_WHITEOUT_NONE);
	/* umoci's bug: "sub/.wh.." whites out "sub/..", i.e. the whole rootfs */
	assert_int_equal(img_whiteout_classify("sub/.wh..", &k, &t, &err), -1);
	assert_int_equal(err.errnum, EPERM);
	rt_error_release(&err);
	assert_int_equal(img_whiteout_classify("sub/.wh.", &k, &t, &err), -1);
	rt_error_release(&err);
}

static void test_unpack_tree(void **state)
{
	static const struct member m[] = {
	    {"./", 'd', NULL, 0755},
	    {"./etc/", 'd', NULL, 0755},
	    {"./etc/hosts", 'f', "127.0.0.1 localhost\n", 0644},
	    {"./etc/hosts2", 'h', "./etc/hosts", 0},
	    {"./etc/link", 'l', "/etc/hosts", 0},
	    {"./bin/", 'd', NULL, 0755},
	    {"./bin/su", 'f', "#!", 04755},
	    {"./etc/.wh.shadow", 'f', "", 0},
	    {"./opt/.wh..wh..opq", 'f', "", 0},
	    {"./etc/hosts", 'f', "replaced\n", 0600}, /* a later member wins */
	};
	struct rt_error err = RT_ERROR_INIT;
	struct img_unpack_stats st;
	struct stat s;
	char p[256], buf[64];
	const char *tar = write_tar(m, sizeof(m) / sizeof(m[0]), 1);

	if (geteuid() != 0)
		skip(); /* whiteouts are device nodes */
	assert_int_equal(unpack(tar, "out", IMG_COMPRESSION_GZIP, &st, &err), 0);
	assert_int_equal(st.entries, sizeof(m) / sizeof(m[0]));
	snprintf(p, sizeof(p), "%s/out/etc/hosts", tmp);
	assert_int_equal(stat(p, &s), 0);
	assert_int_equal(s.st_mode & 07777, 0600);
	assert_int_equal(s.st_mtime, 1000000000);
	snprintf(p, sizeof(p), "%s/out/etc/hosts2", tmp);
	assert_int_equal(stat(p, &s), 0);
	assert_int_equal(s.st_nlink, 1); /* the old inode, replaced by the later member */
	snprintf(p, sizeof(p), "%s/out/bin/su", tmp);
	assert_int_equal(stat(p, &s), 0);
	assert_int_equal(s.st_mode & 07777, 04755);
	snprintf(p, sizeof(p), "%s/out/etc/shadow", tmp);
	assert_int_equal(lstat(p, &s), 0);
	assert_true(S_ISCHR(s.st_mode) && s.st_rdev == makedev(0, 0));
	snprintf(p, sizeof(p), "%s/out/opt", tmp);
	assert_int_equal(getxattr(p, "trusted.overlay.opaque", buf, sizeof(buf)), 1);
	snprintf(p, sizeof(p), "%s/out/etc/link", tmp);
	assert_int_equal(readlink(p, buf, sizeof(buf)), 10);
}

static void test_digests(void **state)
{
	static const struct member m[] = {{"a", 'f', "hello", 0644}};
	struct rt_error err = RT_ERROR_INIT;
	struct img_unpack_stats st;
	const char *tar = write_tar(m, 1, 0);
	char want[IMG_DIGEST_STR_LEN];
	char *buf;
	size_t len;

	assert_int_equal(rt_read_file_at(AT_FDCWD, tar, &buf, &len, &err), 0);
	img_digest_buf(buf, len, want);
	free(buf);
	assert_int_equal(unpack(tar, "plain", IMG_COMPRESSION_NONE, &st, &err), 0);
	/* the diff_id covers the padding after the end marker too */
	assert_string_equal(st.diff_id, want);
	assert_string_equal(st.digest, want);
	assert_int_equal(st.compressed_size, len);

	/* a plain tar under a gzip media type */
	assert_int_equal(unpack(tar, "wrongtype", IMG_COMPRESSION_GZIP, &st, &err), -1);
	assert_non_null(strstr(err.msg, "not gzip"));
	rt_error_release(&err);

	/* an expected diff_id that does not match */
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/mismatch", tmp);
	mkdir(dir, 0755);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY), fd = open(tar, O_RDONLY);
	struct img_layer_src src = {
	    .fd = fd,
	    .size = -1,
	    .name = "layer x",
	    .compression = IMG_COMPRESSION_NONE,
	    .diff_id = "sha256:0000000000000000000000000000000000000000000000000000000000000000"};
	assert_int_equal(img_unpack_layer(&src, dfd, NULL, &err), -1);
	assert_int_equal(err.errnum, EBADMSG);
	assert_non_null(strstr(err.msg, "diff_id mismatch"));
	rt_error_release(&err);
	close(fd);
	close(dfd);
}

static void test_truncated_gzip(void **state)
{
	static const struct member m[] = {{"a", 'f', "some content that compresses", 0644},
					  {"b", 'f', "more content", 0644}};
	struct rt_error err = RT_ERROR_INIT;
	const char *tar = write_tar(m, 2, 1);
	struct stat s;

	assert_int_equal(stat(tar, &s), 0);
	assert_int_equal(truncate(tar, s.st_size / 2), 0);
	assert_int_equal(unpack(tar, "trunc", IMG_COMPRESSION_GZIP, NULL, &err), -1);
	rt_error_release(&err);
}

/* Each hostile layer must fail naming the member, with nothing written outside the dir. */
static void expect_refused(const struct member *m, size_t n, const char *name, const char *what)
{
	struct rt_error err = RT_ERROR_INIT;
	const char *tar = write_tar(m, n, 0);

	assert_int_equal(unpack(tar, name, IMG_COMPRESSION_NONE, NULL, &err), -1);
	if (strstr(err.msg, what) == NULL)
		fail_msg("%s: `%s` does not name `%s`", name, err.msg, what);
	rt_error_release(&err);
}

static void test_hostile(void **state)
{
	char outside[128], target[160], sneaky[160];
	struct stat s;

	snprintf(outside, sizeof(outside), "%s/outside", tmp);
	mkdir(outside, 0755);
	snprintf(target, sizeof(target), "%s/outside/pwned", tmp);

	const struct member abs[] = {{target, 'f', "x", 0644}};
	expect_refused(abs, 1, "abs", "absolute path");

	const struct member dotdot[] = {{"../outside/pwned", 'f', "x", 0644}};
	expect_refused(dotdot, 1, "dotdot", "../outside/pwned");

	const struct member through[] = {{"link", 'l', outside, 0}, {"link/pwned", 'f', "x", 0644}};
	expect_refused(through, 2, "through", "link/pwned");

	const struct member rel_through[] = {{"up", 'l', "../outside", 0},
					     {"up/pwned", 'f', "x", 0644}};
	expect_refused(rel_through, 2, "relthrough", "up/pwned");

	const struct member hard_out[] = {{"h", 'h', "../outside/x", 0}};
	expect_refused(hard_out, 1, "hardout", "`h`");

	snprintf(sneaky, sizeof(sneaky), "%s/outside", tmp);
	const struct member hard_through[] = {{"l", 'l', sneaky, 0}, {"h", 'h', "l/x", 0}};
	expect_refused(hard_through, 2, "hardthrough", "`h`");

	const struct member hard_missing[] = {{"h", 'h', "nothere", 0}};
	expect_refused(hard_missing, 1, "hardmissing", "not in this layer");

	const struct member wh[] = {{"sub/", 'd', NULL, 0755}, {"sub/.wh..", 'f', "", 0}};
	expect_refused(wh, 2, "whdotdot", "sub/.wh..");

	assert_int_equal(stat(target, &s), -1);
}

/* Unpack members (plain tar) into tmp/NAME; must succeed. */
static void unpack_ok(const struct member *m, size_t n, const char *name)
{
	struct rt_error err = RT_ERROR_INIT;
	const char *tar = write_tar(m, n, 0);

	if (unpack(tar, name, IMG_COMPRESSION_NONE, NULL, &err) < 0)
		fail_msg("%s: %s", name, err.msg);
}

/* lstat tmp/DIR/PATH; the mode, or 0 when missing */
static mode_t mode_of(const char *dir, const char *path, struct stat *ret)
{
	char p[256];
	struct stat s;

	snprintf(p, sizeof(p), "%s/%s/%s", tmp, dir, path);
	if (lstat(p, ret ? ret : &s) < 0)
		return 0;
	return ret ? ret->st_mode : s.st_mode;
}

static int opaque(const char *dir, const char *path)
{
	char p[256], v[4];

	snprintf(p, sizeof(p), "%s/%s/%s", tmp, dir, path);
	return getxattr(p, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

static void assert_file(const char *dir, const char *path, const char *content)
{
	char p[256], buf[64] = {0};
	int fd;

	snprintf(p, sizeof(p), "%s/%s/%s", tmp, dir, path);
	fd = open(p, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		fail_msg("%s/%s: not a file of the layer", dir, path);
	assert_true(read(fd, buf, sizeof(buf) - 1) >= 0);
	close(fd);
	assert_string_equal(buf, content);
}

/* layer.md: "Whiteout files MUST only apply to resources in lower/parent layers.  Files that
 * are present in the same layer as a whiteout file can only be hidden by whiteout files in
 * subsequent layers."  Whatever the order of the members. */
static void test_whiteout_same_layer(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* whiteouts are device nodes, opaque marks trusted.* xattrs */

	/* the file first, then its whiteout; and the other way round */
	const struct member after[] = {{"etc/app/", 'd', NULL, 0755},
				       {"etc/app/recreated.txt", 'f', "new\n", 0644},
				       {"etc/app/.wh.recreated.txt", 'f', "", 0}};
	unpack_ok(after, 3, "after");
	assert_file("after", "etc/app/recreated.txt", "new\n");
	const struct member before[] = {{"etc/app/", 'd', NULL, 0755},
					{"etc/app/.wh.recreated.txt", 'f', "", 0},
					{"etc/app/recreated.txt", 'f', "new\n", 0644}};
	unpack_ok(before, 3, "before");
	assert_file("before", "etc/app/recreated.txt", "new\n");

	/* a directory and its whiteout, both orders, and a whiteout then an implicit parent:
	 * the layer's directory stays with its files, opaque so that the lower one is hidden */
	const struct member dir_after[] = {
	    {"d/", 'd', NULL, 0755}, {"d/f", 'f', "f\n", 0644}, {".wh.d", 'f', "", 0}};
	unpack_ok(dir_after, 3, "dirafter");
	assert_true(S_ISDIR(mode_of("dirafter", "d", NULL)) && opaque("dirafter", "d"));
	assert_file("dirafter", "d/f", "f\n");
	const struct member dir_before[] = {
	    {".wh.d", 'f', "", 0}, {"d/", 'd', NULL, 0755}, {"d/f", 'f', "f\n", 0644}};
	unpack_ok(dir_before, 3, "dirbefore");
	assert_true(S_ISDIR(mode_of("dirbefore", "d", NULL)) && opaque("dirbefore", "d"));
	assert_file("dirbefore", "d/f", "f\n");
	const struct member implicit[] = {{".wh.e", 'f', "", 0}, {"e/sub/f", 'f', "f\n", 0644}};
	unpack_ok(implicit, 2, "implicit");
	assert_true(opaque("implicit", "e"));
	assert_false(opaque("implicit", "e/sub"));
	assert_file("implicit", "e/sub/f", "f\n");

	/* an opaque marker hides the lower dir's files, not the layer's own, before or after */
	const struct member opq[] = {{"o/", 'd', NULL, 0755},
				     {"o/a", 'f', "a\n", 0644},
				     {"o/.wh..wh..opq", 'f', "", 0},
				     {"o/b", 'f', "b\n", 0644}};
	unpack_ok(opq, 4, "opq");
	assert_true(opaque("opq", "o"));
	assert_file("opq", "o/a", "a\n");
	assert_file("opq", "o/b", "b\n");

	/* a whiteout still hides what only a lower layer has */
	const struct member lower[] = {{"etc/.wh.gone", 'f', "", 0}};
	unpack_ok(lower, 1, "lower");
	struct stat st;
	assert_true(S_ISCHR(mode_of("lower", "etc/gone", &st)) && st.st_rdev == makedev(0, 0));
}

/* Hardlinks and whiteouts of one layer: a link to a file the layer later whites out keeps the
 * file (both names); a link to a name the layer only whites out has no target in the layer. */
static void test_whiteout_hardlink(void **state)
{
	struct stat st;
	(void)state;
	if (geteuid() != 0)
		skip();

	const struct member kept[] = {
	    {"x", 'f', "x\n", 0644}, {"y", 'h', "x", 0}, {".wh.x", 'f', "", 0}};
	unpack_ok(kept, 3, "kept");
	assert_true(S_ISREG(mode_of("kept", "x", &st)) && st.st_nlink == 2);
	assert_file("kept", "y", "x\n");

	const struct member to_wh[] = {{".wh.x", 'f', "", 0}, {"y", 'h', "x", 0}};
	expect_refused(to_wh, 2, "towh", "not in this layer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_whiteout_classify),
	    cmocka_unit_test_setup_teardown(test_unpack_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_digests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_gzip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_whiteout_same_layer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_whiteout_hardlink, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
