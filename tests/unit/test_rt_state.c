/* The record a create writes before it makes things (state.h: creating, cgroup_made):
 * what `delete` reads back after a crash, and the status the other commands see. */
#define _GNU_SOURCE
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

#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "../../runtime/core/state.h"

struct fixture {
	char root[64];
	struct rt_container_dir d;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct rt_error err = RT_ERROR_INIT;

	snprintf(f->root, sizeof(f->root), "/tmp/husk-unit-state-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->d.rootfd = f->d.dirfd = -1;
	if (rt_container_dir_create(f->root, "c1", &f->d, &err) < 0)
		fail_msg("%s", err.msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct rt_error err = RT_ERROR_INIT;

	if (f->d.path && rt_container_dir_remove(&f->d, &err) < 0)
		fprintf(stderr, "cleanup: %s\n", err.msg);
	rt_error_release(&err);
	rt_container_dir_close(&f->d);
	rmdir(f->root);
	free(f);
	return 0;
}

static void roundtrip(struct fixture *f, const struct rt_state *in, struct rt_state *out)
{
	struct rt_error err = RT_ERROR_INIT;

	if (rt_state_write(&f->d, in, &err) < 0 || rt_state_read(&f->d, out, &err) < 0)
		fail_msg("%s", err.msg);
}

static void test_creating_record(void **state)
{
	struct fixture *f = *state;
	struct rt_state in = {.id = "c1", .cgroup_path = "husk/c1", .creating = 1}, out;
	struct rt_error err = RT_ERROR_INIT;

	/* recorded before the cgroup exists: its path may be someone else's */
	roundtrip(f, &in, &out);
	assert_true(out.creating);
	assert_false(out.cgroup_made);
	assert_string_equal(out.cgroup_path, "husk/c1");
	assert_int_equal(out.pid, 0);
	/* a create is in progress or was killed: neither stopped nor running */
	assert_int_equal(rt_state_status(&f->d, &out), RT_STATUS_CREATING);
	rt_state_clear(&out);

	assert_int_equal(rt_state_mark_cgroup_made(&f->d, &err), 0);
	if (rt_state_read(&f->d, &out, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(out.creating);
	assert_true(out.cgroup_made);
	rt_state_clear(&out);
}

/* The mark is found at the record's end whatever comes before it: annotations of 100 KB, and
 * a value that spells the mark itself (escaped in the JSON, so it cannot be taken for it). */
static void test_mark_after_large_annotations(void **state)
{
	struct fixture *f = *state;
	char *big = malloc(100001);
	struct rt_kv ann[2] = {{.key = "big", .value = big},
			       {.key = "cgroup_made", .value = "\"cgroup_made\":0}"}};
	struct rt_state in = {.id = "c1",
			      .cgroup_path = "husk/c1",
			      .creating = 1,
			      .annotations = ann,
			      .n_annotations = 2},
			out;
	struct rt_error err = RT_ERROR_INIT;

	assert_non_null(big);
	memset(big, 'x', 100000);
	big[100000] = '\0';
	roundtrip(f, &in, &out);
	assert_false(out.cgroup_made);
	rt_state_clear(&out);
	assert_int_equal(rt_state_mark_cgroup_made(&f->d, &err), 0);
	if (rt_state_read(&f->d, &out, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(out.cgroup_made);
	assert_int_equal(out.n_annotations, 2);
	rt_state_clear(&out);
	free(big);
}

static void test_committed_state(void **state)
{
	struct fixture *f = *state;
	struct rt_state in = {.id = "c1", .cgroup_path = "husk/c1", .creating = 1}, out;
	struct rt_error err = RT_ERROR_INIT;

	/* a record and its mark, then the commit: the state alone is left, and its cgroup is
	 * the container's (as in a state written by a husk that knew no records) */
	assert_int_equal(rt_state_write(&f->d, &in, &err), 0);
	assert_int_equal(rt_state_mark_cgroup_made(&f->d, &err), 0);
	in.creating = 0;
	roundtrip(f, &in, &out);
	assert_false(out.creating);
	assert_true(out.cgroup_made);
	assert_int_not_equal(faccessat(f->d.dirfd, RT_CREATING_FILE, F_OK, 0), 0);
	assert_int_equal(rt_state_status(&f->d, &out), RT_STATUS_STOPPED);
	rt_state_clear(&out);
}

static void test_dir_remove_without_state(void **state)
{
	struct fixture *f = *state;
	struct rt_error err = RT_ERROR_INIT;

	/* a create killed before its first record leaves a bare dir (and maybe the fifo) */
	assert_int_equal(mkfifoat(f->d.dirfd, RT_EXEC_FIFO, 0600), 0);
	assert_int_equal(rt_container_dir_remove(&f->d, &err), 0);
	assert_int_not_equal(faccessat(AT_FDCWD, f->d.path, F_OK, 0), 0);
	free(f->d.path);
	f->d.path = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_creating_record, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mark_after_large_annotations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_committed_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_remove_without_state, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
