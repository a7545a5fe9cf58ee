/* Shared by the cmocka unit tests (tests/unit/test_*.c, each linked with testutil.c): a scratch
 * directory per test and fake cgroup interface files in it. */
#ifndef HUSK_TESTS_UNIT_TESTUTIL_H
#define HUSK_TESTS_UNIT_TESTUTIL_H

#include <stddef.h>

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

#endif
