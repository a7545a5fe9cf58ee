#define _GNU_SOURCE
/* cgroups/stats.c: the readers behind `events --stats`, against fake interface files. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../cgroups/cgroup.h"
#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "testutil.h"

/* The interface files of a cgroup with every controller the readers know enabled. */
static const struct {
	const char *file, *text;
} full_cgroup[] = {
    {"cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 20\n"
		 "nr_throttled 7\nthrottled_usec 3000\nnr_bursts 0\nburst_usec 0\n"},
    {"memory.current", "4096\n"},
    {"memory.max", "max\n"},
    {"memory.peak", "8192\n"},
    {"memory.swap.current", "0\n"},
    {"memory.swap.max", "0\n"},
    {"memory.events", "low 0\nhigh 1\nmax 5\noom 2\noom_kill 1\noom_group_kill 0\n"},
    {"memory.stat", "anon 1024\nfile 2048\npgfault 17\n"},
    {"pids.current", "3\n"},
    {"pids.max", "16\n"},
    {"io.stat", "8:0 rbytes=100 wbytes=200 rios=3 wios=4 dbytes=0 dios=0\n"
		"253:1 rbytes=1 wbytes=2 rios=5 wios=6 dbytes=7 dios=8\n"},
    {"hugetlb.2MB.current", "2097152\n"},
    {"hugetlb.2MB.max", "max\n"},
    {"hugetlb.2MB.events", "max 9\n"},
    {"hugetlb.2MB.rsvd.current", "0\n"}, /* reservations: not a page size */
    {"hugetlb.2MB.rsvd.max", "max\n"},
};

static void test_full(void **state)
{
	char dir[64];
	struct rt_error err = RT_ERROR_INIT;
	struct cg_stats s;
	(void)state;

	int fd = tu_fake_cgroup(dir, sizeof(dir), NULL, 0);
	for (size_t i = 0; i < ARRAY_SIZE(full_cgroup); i++)
		tu_write_at(fd, full_cgroup[i].file, full_cgroup[i].text);

	assert_int_equal(cg_read_stats_at(fd, &s, &err), 0);
	assert_int_equal(s.cpu_usage_ns, 1500000);
	assert_int_equal(s.cpu_user_ns, 1000000);
	assert_int_equal(s.cpu_system_ns, 500000);
	assert_true(s.has_cpu_throttling);
	assert_int_equal(s.cpu_nr_periods, 20);
	assert_int_equal(s.cpu_nr_throttled, 7);
	assert_int_equal(s.cpu_throttled_ns, 3000000);
	assert_true(s.has_memory);
	assert_int_equal(s.memory_current, 4096);
	assert_int_equal(s.memory_peak, 8192);
	assert_true(s.memory_max == CG_STAT_MAX);
	assert_int_equal(s.memory_swap_max, 0);
	assert_int_equal(s.memory_events_max, 5);
	assert_int_equal(s.memory_events_oom, 2);
	assert_int_equal(s.memory_events_oom_kill, 1);
	assert_int_equal(s.n_memory_stat, 3);
	assert_string_equal(s.memory_stat[1].key, "file");
	assert_string_equal(s.memory_stat[1].value, "2048");
	assert_true(s.has_pids);
	assert_int_equal(s.pids_current, 3);
	assert_int_equal(s.pids_max, 16);
	assert_int_equal(s.n_io, 2);
	assert_int_equal(s.io[1].major, 253);
	assert_int_equal(s.io[1].minor, 1);
	assert_int_equal(s.io[1].dios, 8);
	assert_int_equal(s.io[0].wbytes, 200);
	assert_int_equal(s.n_hugetlb, 1);
	assert_string_equal(s.hugetlb[0].page_size, "2MB");
	assert_int_equal(s.hugetlb[0].current, 2097152);
	assert_true(s.hugetlb[0].max == CG_STAT_MAX);
	assert_int_equal(s.hugetlb[0].failcnt, 9);
	cg_stats_clear(&s);
	assert_int_equal(s.n_io, 0);

	/* only cpu.stat (no controllers enabled): everything else absent, not an error */
	for (const char *const *f = (const char *const[]){"memory.current", "pids.current",
							  "io.stat", "hugetlb.2MB.current", NULL};
	     *f; f++)
		unlinkat(fd, *f, 0);
	tu_write_at(fd, "cpu.stat", "usage_usec 1\nuser_usec 1\nsystem_usec 0\n");
	assert_int_equal(cg_read_stats_at(fd, &s, &err), 0);
	assert_false(s.has_memory);
	assert_false(s.has_pids);
	assert_false(s.has_cpu_throttling);
	assert_int_equal(s.n_io, 0);
	assert_int_equal(s.n_hugetlb, 0);
	cg_stats_clear(&s);

	close(fd);
	tu_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
