/* Shared by the cmocka unit tests (tests/unit/test_*.c, each linked with testutil.c): a scratch
 * directory per test, fake cgroup interface files in it, and forked children that report a
 * failed check by their exit code. */
#ifndef HUSK_TESTS_UNIT_TESTUTIL_H
#define HUSK_TESTS_UNIT_TESTUTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

/* mkdtemp of /tmp/<test binary>.XXXXXX into dir (size bytes), so a directory a crashed test
 * leaves behind names the test; fails the test when it cannot.  Returns 0, to end a cmocka
 * setup with. */
int tu_tmpdir(char *dir, size_t size);
/* rm -rf dir.  An error is dropped: the test has passed or failed by then.  Returns 0, to end a
 * cmocka teardown with. */
int tu_tmpdir_remove(const char *dir);

/* A stand-in for a cgroup directory (cgroups/ writes with openat on a dirfd, so any directory
 * will do): a tu_tmpdir holding an empty file of each name, returned open as a dirfd. */
int tu_fake_cgroup(char *dir, size_t size, const char *const *files, size_t n_files);
/* The whole content of file under dirfd, in a buffer that the next call overwrites. */
const char *tu_read_at(int dirfd, const char *file);
/* Create or truncate file under dirfd and write text to it. */
void tu_write_at(int dirfd, const char *file, const char *text);

/* cmocka's asserts longjmp within the process that called them: a forked child checks with this
 * instead, and its exit code (a line number) says which check failed. */
#define CHILD_CHECK(cond)                                                                        \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "child check failed line %d: %s (errno %d)\n", __LINE__, \
				#cond, errno);                                                   \
			_exit(__LINE__ % 250 + 1);                                               \
		}                                                                                \
	} while (0)

/* Run fn(arg) in a forked child that exits 0 when fn returns; returns its wait status. */
int tu_run_child(void (*fn)(const void *arg), const void *arg);
/* The wait status of a child that exited 0, or the test fails saying how it ended. */
void tu_assert_exit_ok(int status);
/* tu_run_child, and the child must exit 0. */
void tu_assert_child_ok(void (*fn)(const void *arg), const void *arg);

#endif
