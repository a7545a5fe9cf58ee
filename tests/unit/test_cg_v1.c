#define _GNU_SOURCE
/* cgroups/layout.c and v1_limits.c: the v1 hierarchies found in a mountinfo text, the device
 * list lines, and the v1 writers run against a mkdtemp directory of empty files standing in
 * for a cgroup in every hierarchy (no root needed). */
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

#include "../../cgroups/v1.h"
#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "testutil.h"

static const char mountinfo[] =
    "22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
    "25 22 0:23 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:24 / /sys/fs/cgroup/unified rw shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
    "27 25 0:25 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup rw,xattr,name=systemd\n"
    "30 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw shared:14 - cgroup cgroup rw,cpu,cpuacct\n"
    "31 25 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "32 25 0:30 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
    "33 25 0:31 / /sys/fs/cgroup/perf_event rw - cgroup cgroup rw,perf_event\n"
    "40 31 0:29 / /mnt/again rw - cgroup cgroup rw,memory\n";

static void test_mountinfo(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_v1 *v = NULL;
	(void)state;

	assert_int_equal(cg_v1_parse_mountinfo(mountinfo, &v, &err), 0);
	assert_non_null(v);
	/* name=systemd and perf_event carry nothing husk writes; the second memory mount is the
	 * same hierarchy */
	assert_int_equal(v->n, 3);
	assert_string_equal(v->d[0].mount, "/sys/fs/cgroup/cpu,cpuacct");
	assert_int_equal(v->d[0].controllers, CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT));
	assert_string_equal(v->d[1].mount, "/sys/fs/cgroup/memory");
	assert_int_equal(v->d[2].controllers, CG_BIT(CG_NET_CLS) | CG_BIT(CG_NET_PRIO));
	assert_ptr_equal(cg_v1_find(v, CG_CPUACCT), &v->d[0]);
	assert_null(cg_v1_find(v, CG_PIDS));
	cg_v1_free(v, 1);

	/* a pure v2 host: none */
	assert_int_equal(cg_v1_parse_mountinfo(
			     "26 25 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", &v, &err),
			 0);
	assert_null(v);
	assert_int_equal(cg_v1_mount_controllers("rw,blkio"), CG_BIT(CG_IO));
	assert_int_equal(cg_v1_mount_controllers("rw,cpuset,noprefix,release_agent=/x"),
			 CG_BIT(CG_CPUSET));
}

static void test_device_lines(void **state)
{
	char buf[64];
	struct cg_device_rule r = {1, 'c', 1, 3, CG_DEV_READ | CG_DEV_WRITE | CG_DEV_MKNOD};
	(void)state;

	cg_v1_device_rule_format(&r, buf, sizeof(buf));
	assert_string_equal(buf, "c 1:3 rwm");
	r = (struct cg_device_rule){0, 'b', 8, -1, CG_DEV_READ};
	cg_v1_device_rule_format(&r, buf, sizeof(buf));
	assert_string_equal(buf, "b 8:* r");
	r = (struct cg_device_rule){1, 'c', -1, -1, CG_DEV_MKNOD};
	cg_v1_device_rule_format(&r, buf, sizeof(buf));
	assert_string_equal(buf, "c *:* m");
	r = (struct cg_device_rule){0, 'a', -1, -1, CG_DEV_READ | CG_DEV_WRITE | CG_DEV_MKNOD};
	cg_v1_device_rule_format(&r, buf, sizeof(buf));
	assert_string_equal(buf, "a");
}

struct fake {
	char dir[64];
	struct cg_v1 v;
};

static const char *const fake_files[] = {
    "memory.limit_in_bytes",
    "memory.memsw.limit_in_bytes",
    "memory.soft_limit_in_bytes",
    "memory.swappiness",
    "memory.oom_control",
    "cpu.shares",
    "cpu.cfs_period_us",
    "cpu.cfs_quota_us",
    "cpu.rt_period_us",
    "cpu.rt_runtime_us",
    "cpuset.cpus",
    "cpuset.mems",
    "pids.max",
    "blkio.weight",
    "blkio.leaf_weight",
    "blkio.throttle.read_bps_device",
    "net_cls.classid",
    "net_prio.ifpriomap",
    "hugetlb.2MB.limit_in_bytes",
};

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	/* one directory that carries every controller (as if all were co-mounted) */
	f->v.n = 1;
	f->v.d[0].root_fd = -1;
	f->v.d[0].fd = tu_fake_cgroup(f->dir, sizeof(f->dir), fake_files, ARRAY_SIZE(fake_files));
	f->v.d[0].controllers = CG_BIT(CG_N_CONTROLLERS) - 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	close(f->v.d[0].fd);
	tu_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static const char *slurp(struct fake *f, const char *file)
{
	return tu_read_at(f->v.d[0].fd, file);
}

static void test_apply(void **state)
{
	struct fake *f = *state;
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = cg_limits_new();
	struct cg_throttle_device t = {CG_THROTTLE_RBPS, 8, 0, 1048576};
	struct cg_kv prio = {"eth0", "5"};
	unsigned skipped = 1;

	l->has_memory_limit = l->has_memory_swap = l->has_memory_reservation = 1;
	l->memory_limit = 1 << 24;
	l->memory_swap = 1 << 25;
	l->memory_reservation = 1 << 23;
	l->has_memory_swappiness = 1;
	l->memory_swappiness = 10;
	l->disable_oom_killer = 1;
	l->has_cpu_shares = l->has_cpu_quota = l->has_cpu_period = 1;
	l->cpu_shares = 512;
	l->cpu_quota = 20000;
	l->cpu_period = 100000;
	l->has_cpu_rt_runtime = l->has_cpu_rt_period = 1;
	l->cpu_rt_runtime = 5000;
	l->cpu_rt_period = 10000;
	l->cpuset_cpus = strdup("0");
	l->has_pids_limit = 1;
	l->pids_limit = CG_MAX;
	l->has_io_weight = l->has_io_leaf_weight = 1;
	l->io_weight = 300;
	l->io_leaf_weight = 200;
	l->throttle_devices = &t;
	l->n_throttle_devices = 1;
	l->has_net_classid = 1;
	l->net_classid = 0x100001;
	l->net_priorities = &prio;
	l->n_net_priorities = 1;
	assert_int_equal(cg_v1_apply(&f->v, "t", CG_LAYOUT_HYBRID, l, 0, &skipped, &err), 0);
	assert_int_equal(skipped, 0);
	assert_string_equal(slurp(f, "memory.limit_in_bytes"), "16777216");
	assert_string_equal(slurp(f, "memory.memsw.limit_in_bytes"), "33554432");
	assert_string_equal(slurp(f, "memory.soft_limit_in_bytes"), "8388608");
	assert_string_equal(slurp(f, "memory.swappiness"), "10");
	assert_string_equal(slurp(f, "memory.oom_control"), "1");
	assert_string_equal(slurp(f, "cpu.shares"), "512");
	assert_string_equal(slurp(f, "cpu.cfs_quota_us"), "20000");
	assert_string_equal(slurp(f, "cpu.cfs_period_us"), "100000");
	assert_string_equal(slurp(f, "cpu.rt_period_us"), "10000");
	assert_string_equal(slurp(f, "cpu.rt_runtime_us"), "5000");
	assert_string_equal(slurp(f, "cpuset.cpus"), "0");
	assert_string_equal(slurp(f, "pids.max"), "max");
	assert_string_equal(slurp(f, "blkio.weight"), "300");
	assert_string_equal(slurp(f, "blkio.leaf_weight"), "200");
	assert_string_equal(slurp(f, "blkio.throttle.read_bps_device"), "8:0 1048576");
	assert_string_equal(slurp(f, "net_cls.classid"), "1048577");
	assert_string_equal(slurp(f, "net_prio.ifpriomap"), "eth0 5");
	l->throttle_devices = NULL;
	l->n_throttle_devices = 0;
	l->net_priorities = NULL;
	l->n_net_priorities = 0;
	cg_limits_free(l);
}

static void test_unavailable(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = cg_limits_new();
	unsigned skipped = 0;
	(void)state;

	l->n_hugetlb = 1;
	l->hugetlb = calloc(1, sizeof(*l->hugetlb));
	l->hugetlb[0].page_size = strdup("2MB");
	l->hugetlb[0].limit = 1;
	assert_int_equal(
	    cg_v1_check(CG_BIT(CG_MEMORY), "t", CG_LAYOUT_LEGACY, l, 0, &skipped, &err), -1);
	assert_int_equal(err.errnum, EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "the hugetlb controller"));
	assert_non_null(strstr(err.msg, "(layout legacy)"));
	rt_error_release(&err);
	assert_int_equal(cg_v1_check(CG_BIT(CG_MEMORY), "t", CG_LAYOUT_LEGACY, l,
				     CG_SKIP_UNAVAILABLE, &skipped, &err),
			 0);
	assert_int_equal(skipped, CG_BIT(CG_HUGETLB));
	/* unified keys never apply to v1 */
	l->n_unified = 1;
	l->unified = calloc(1, sizeof(*l->unified));
	l->unified[0].key = strdup("memory.high");
	l->unified[0].value = strdup("1");
	assert_int_equal(
	    cg_v1_check(~0u, "t", CG_LAYOUT_HYBRID, l, CG_SKIP_UNAVAILABLE, &skipped, &err), -1);
	assert_non_null(strstr(err.msg, "unified needs cgroup v2"));
	rt_error_release(&err);
	cg_limits_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mountinfo),
	    cmocka_unit_test(test_device_lines),
	    cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
	    cmocka_unit_test(test_unavailable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
