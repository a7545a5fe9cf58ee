#define _GNU_SOURCE
/* cgroups/limits.c: the v1 -> v2 conversions and the writers, run against a mkdtemp directory
 * of empty files standing in for a cgroup (no root needed). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../cgroups/cgroup.h"
#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "testutil.h"

#define ALL_CONTROLLERS ((1u << CG_N_CONTROLLERS) - 1)

struct fake {
	char dir[64];
	int fd;
};

static const char *const fake_files[] = {
    "memory.max", "memory.low",	   "memory.swap.max", "memory.high",	 "cpu.weight",
    "cpu.max",	  "cpu.max.burst", "cpu.idle",	      "cpuset.cpus",	 "cpuset.mems",
    "pids.max",	  "io.weight",	   "io.max",	      "hugetlb.2MB.max", "rdma.max",
};

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	f->fd = tu_fake_cgroup(f->dir, sizeof(f->dir), fake_files, ARRAY_SIZE(fake_files));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	close(f->fd);
	tu_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static const char *slurp(struct fake *f, const char *file)
{
	return tu_read_at(f->fd, file);
}

static void test_cpu_weight(void **state)
{
	(void)state;
	assert_int_equal(cg_cpu_shares_to_weight(2), 1);
	assert_int_equal(cg_cpu_shares_to_weight(1024), 39);
	assert_int_equal(cg_cpu_shares_to_weight(262144), 10000);
	assert_int_equal(cg_cpu_shares_to_weight(512), 20);
	assert_int_equal(cg_cpu_shares_to_weight(0), 0);
}

static void test_io_weight(void **state)
{
	(void)state;
	assert_int_equal(cg_blkio_weight_to_io_weight(10), 1);
	assert_int_equal(cg_blkio_weight_to_io_weight(1000), 10000);
	assert_int_equal(cg_blkio_weight_to_io_weight(500), 1 + (490 * 9999) / 990);
	assert_int_equal(cg_blkio_weight_to_io_weight(0), 0);
}

static void test_swap_arithmetic(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	int64_t v = 0;
	(void)state;

	assert_int_equal(cg_memory_swap_v2(200, 100, &v, &err), 0);
	assert_int_equal(v, 100);
	assert_int_equal(cg_memory_swap_v2(100, 100, &v, &err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cg_memory_swap_v2(-1, 100, &v, &err), 0);
	assert_int_equal(v, CG_MAX);
	assert_int_equal(cg_memory_swap_v2(0, -1, &v, &err), 0);
	assert_int_equal(v, CG_MAX);
	assert_int_equal(cg_memory_swap_v2(0, 100, &v, &err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cg_memory_swap_v2(50, 100, &v, &err), -1);
	assert_non_null(strstr(err.msg, "must not be below the memory limit"));
	rt_error_release(&err);
	assert_int_equal(cg_memory_swap_v2(50, -1, &v, &err), -1);
	assert_non_null(strstr(err.msg, "needs a memory limit"));
	rt_error_release(&err);
}

static void test_cpulist(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	(void)state;

	assert_int_equal(cg_cpulist_check("0", "cpus", &err), 0);
	assert_int_equal(cg_cpulist_check("0-3,7,9-10", "cpus", &err), 0);
	static const char *const bad[] = {"", "a", "3-1", "1,", ",1", "1-", "0 1", "-1", "99999"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(cg_cpulist_check(bad[i], "linux.resources.cpu.cpus", &err), -1);
		assert_non_null(strstr(err.msg, "linux.resources.cpu.cpus"));
		rt_error_release(&err);
	}
	/* against the host's online list (the kernel's format, with its newline) */
	assert_int_equal(cg_cpulist_first_outside("0-1", "0-1\n"), -1);
	assert_int_equal(cg_cpulist_first_outside("1,3", "0-1,3-5\n"), -1);
	assert_int_equal(cg_cpulist_first_outside("0-999", "0-1\n"), 2);
	assert_int_equal(cg_cpulist_first_outside("5,2", "0-3"), 5);
	assert_int_equal(cg_cpulist_first_outside("7", "0"), 7);
}

static void test_apply_all(void **state)
{
	struct fake *f = *state;
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = cg_limits_new();
	unsigned skipped = 99;

	l->has_memory_limit = l->has_memory_swap = l->has_memory_reservation = 1;
	l->memory_limit = 100 << 20;
	l->memory_swap = 150 << 20;
	l->memory_reservation = 50 << 20;
	l->has_cpu_shares = l->has_cpu_quota = l->has_cpu_period = l->has_cpu_burst = 1;
	l->has_cpu_idle = 1;
	l->cpu_shares = 1024;
	l->cpu_quota = 50000;
	l->cpu_period = 100000;
	l->cpu_burst = 1000;
	l->cpu_idle = 1;
	l->cpuset_cpus = strdup("0-1");
	l->cpuset_mems = strdup("0");
	l->has_pids_limit = 1;
	l->pids_limit = 42;
	l->has_io_weight = 1;
	l->io_weight = 1000;
	l->throttle_devices = calloc(1, sizeof(*l->throttle_devices));
	l->throttle_devices[0] = (struct cg_throttle_device){CG_THROTTLE_WIOPS, 8, 0, 300};
	l->n_throttle_devices = 1;
	l->hugetlb = calloc(1, sizeof(*l->hugetlb));
	l->hugetlb[0] = (struct cg_hugetlb_limit){strdup("2MB"), 4 << 21};
	l->n_hugetlb = 1;
	l->rdma = calloc(1, sizeof(*l->rdma));
	l->rdma[0] = (struct cg_rdma_limit){strdup("mlx5_1"), 1, 1, 3, 1000};
	l->n_rdma = 1;
	l->unified = calloc(1, sizeof(*l->unified));
	l->unified[0] = (struct cg_kv){strdup("memory.high"), strdup("90000000")};
	l->n_unified = 1;

	assert_int_equal(cg_apply_at(f->fd, "test", l, ALL_CONTROLLERS, 0, &skipped, &err), 0);
	assert_int_equal(skipped, 0);
	assert_string_equal(slurp(f, "memory.max"), "104857600");
	assert_string_equal(slurp(f, "memory.swap.max"), "52428800");
	assert_string_equal(slurp(f, "memory.low"), "52428800");
	assert_string_equal(slurp(f, "memory.high"), "90000000");
	assert_string_equal(slurp(f, "cpu.weight"), "39");
	assert_string_equal(slurp(f, "cpu.max"), "50000 100000");
	assert_string_equal(slurp(f, "cpu.max.burst"), "1000");
	assert_string_equal(slurp(f, "cpu.idle"), "1");
	assert_string_equal(slurp(f, "cpuset.cpus"), "0-1");
	assert_string_equal(slurp(f, "cpuset.mems"), "0");
	assert_string_equal(slurp(f, "pids.max"), "42");
	/* no io.bfq.weight here: io.weight with the converted value */
	assert_string_equal(slurp(f, "io.weight"), "10000");
	assert_string_equal(slurp(f, "io.max"), "8:0 wiops=300");
	assert_string_equal(slurp(f, "hugetlb.2MB.max"), "8388608");
	assert_string_equal(slurp(f, "rdma.max"), "mlx5_1 hca_handle=3 hca_object=1000");
	assert_int_equal(cg_limits_controllers(l),
			 CG_BIT(CG_MEMORY) | CG_BIT(CG_CPU) | CG_BIT(CG_CPUSET) | CG_BIT(CG_PIDS) |
			     CG_BIT(CG_IO) | CG_BIT(CG_HUGETLB) | CG_BIT(CG_RDMA));
	cg_limits_free(l);
}

static void test_unlimited_values(void **state)
{
	struct fake *f = *state;
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = cg_limits_new();

	l->has_memory_limit = 1;
	l->memory_limit = CG_MAX;
	l->has_pids_limit = 1;
	l->pids_limit = CG_MAX;
	l->has_cpu_quota = 1;
	l->cpu_quota = CG_MAX;
	l->has_io_weight = 0;
	l->weight_devices = calloc(1, sizeof(*l->weight_devices));
	l->weight_devices[0] =
	    (struct cg_weight_device){.major = 8, .minor = 16, .has_weight = 1, .weight = 10};
	l->n_weight_devices = 1;
	assert_int_equal(cg_apply_at(f->fd, "test", l, ALL_CONTROLLERS, 0, NULL, &err), 0);
	assert_string_equal(slurp(f, "memory.max"), "max");
	/* unlimited memory without a swap value: swap unlimited too (v1 behaviour) */
	assert_string_equal(slurp(f, "memory.swap.max"), "max");
	assert_string_equal(slurp(f, "pids.max"), "max");
	assert_string_equal(slurp(f, "cpu.max"), "max");
	assert_string_equal(slurp(f, "io.weight"), "8:16 1");
	cg_limits_free(l);
}

static void test_swap_only_update_reads_memory_max(void **state)
{
	struct fake *f = *state;
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = cg_limits_new();

	assert_int_equal(rt_write_file_at(f->fd, "memory.max", "1000\n", 5, O_TRUNC, &err), 0);
	l->has_memory_swap = 1;
	l->memory_swap = 3000;
	assert_int_equal(cg_apply_at(f->fd, "test", l, ALL_CONTROLLERS, 0, NULL, &err), 0);
	assert_string_equal(slurp(f, "memory.swap.max"), "2000");
	l->memory_swap = 500;
	assert_int_equal(cg_apply_at(f->fd, "test", l, ALL_CONTROLLERS, 0, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "cgroup `test`: memory.swap: memory+swap 500"));
	rt_error_release(&err);
	cg_limits_free(l);
}

static void test_unavailable_controller(void **state)
{
	struct fake *f = *state;
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = cg_limits_new();
	unsigned skipped = 0;

	l->has_memory_limit = 1;
	l->memory_limit = 4096;
	l->has_pids_limit = 1;
	l->pids_limit = 7;
	assert_int_equal(cg_apply_at(f->fd, "husk/c1", l, CG_BIT(CG_PIDS), 0, &skipped, &err), -1);
	assert_string_equal(err.msg,
			    "cgroup `husk/c1`: linux.resources need the memory controller, "
			    "which the cgroup v2 hierarchy does not provide");
	assert_int_equal(err.errnum, EOPNOTSUPP);
	rt_error_release(&err);
	/* nothing was written before the refusal */
	assert_string_equal(slurp(f, "pids.max"), "");

	assert_int_equal(
	    cg_apply_at(f->fd, "husk/c1", l, CG_BIT(CG_PIDS), CG_SKIP_UNAVAILABLE, &skipped, &err),
	    0);
	assert_int_equal(skipped, CG_BIT(CG_MEMORY));
	assert_string_equal(slurp(f, "pids.max"), "7");
	assert_string_equal(slurp(f, "memory.max"), "");
	cg_limits_free(l);
}

/* realtime bandwidth is v1's: refused by the v2 writers, before anything is written */
static void test_realtime_refused(void **state)
{
	struct fake *f = *state;
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = cg_limits_new();

	l->has_pids_limit = 1;
	l->pids_limit = 7;
	l->has_cpu_rt_runtime = 1;
	l->cpu_rt_runtime = 1000;
	assert_int_equal(
	    cg_apply_at(f->fd, "c", l, ALL_CONTROLLERS, CG_SKIP_UNAVAILABLE, NULL, &err), -1);
	assert_string_equal(err.msg,
			    "cgroup `c`: linux.resources.cpu.realtimeRuntime: realtime CPU "
			    "bandwidth is a cgroup v1 feature; cgroup v2 has no equivalent");
	assert_int_equal(err.errnum, EINVAL);
	rt_error_release(&err);
	assert_string_equal(slurp(f, "pids.max"), "");
	cg_limits_free(l);
}

static void test_write_error_names_file(void **state)
{
	struct fake *f = *state;
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = cg_limits_new();

	l->unified = calloc(1, sizeof(*l->unified));
	l->unified[0] = (struct cg_kv){strdup("memory.nosuchfile"), strdup("1")};
	l->n_unified = 1;
	assert_int_equal(cg_apply_at(f->fd, "c", l, ALL_CONTROLLERS, 0, NULL, &err), -1);
	assert_string_equal(err.msg, "cgroup `c`: linux.resources.unified: open memory.nosuchfile: "
				     "no such file or directory");
	rt_error_release(&err);
	cg_limits_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cpu_weight),
	    cmocka_unit_test(test_io_weight),
	    cmocka_unit_test(test_swap_arithmetic),
	    cmocka_unit_test(test_cpulist),
	    cmocka_unit_test_setup_teardown(test_apply_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unlimited_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_swap_only_update_reads_memory_max, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_unavailable_controller, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_realtime_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_error_names_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
