/* runtime/init/mount_cgroup.c: which cgroup mounts of a mountinfo make the container's
 * /sys/fs/cgroup, and which directory of each is the init's (hybrid host with co-mounted and
 * named v1 hierarchies, a v1 mount of a subtree, a unified host). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../runtime/init/mount_internal.h"

static const char hybrid_mountinfo[] =
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "30 27 0:26 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw\n"
    "31 30 0:27 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:3 - tmpfs tmpfs ro,mode=755\n"
    "32 31 0:28 / /sys/fs/cgroup/unified rw,nosuid shared:4 - cgroup2 cgroup2 rw\n"
    "33 31 0:29 / /sys/fs/cgroup/systemd rw,nosuid shared:5 - cgroup cgroup "
    "rw,xattr,name=systemd\n"
    "34 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:6 - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:31 /sub /sys/fs/cgroup/memory rw,nosuid shared:7 - cgroup cgroup rw,memory\n"
    "36 31 0:32 / /sys/fs/cgroup/cpuset rw,nosuid shared:8 - cgroup cgroup rw,cpuset\n"
    "40 27 0:33 / /mnt/cgroup rw - cgroup2 cgroup2 rw\n"
    "41 27 0:34 / /sys/fs/cgroupx rw - cgroup cgroup rw,pids\n";

static const char self_cgroup[] = "5:cpuset:/\n"
				  "4:memory:/sub/box\n"
				  "3:cpu,cpuacct:/box\n"
				  "1:name=systemd:/user.slice\n"
				  "0::/husk/c1\n";

static const struct rt_cg_mountpoint *find(const struct rt_cg_layout *l, const char *point)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->m[i].point, point) == 0)
			return &l->m[i];
	return NULL;
}

/* rt_mount_cg_own_path on a fresh copy of self_cgroup (it parses in place) */
static const char *own(const struct rt_cg_mountpoint *mp, const char *selfcg, char *buf, size_t len)
{
	static char copy[512];

	snprintf(copy, sizeof(copy), "%s", selfcg);
	return rt_mount_cg_own_path(copy, mp, buf, len);
}

static void test_hybrid_layout(void **state)
{
	char mi[sizeof(hybrid_mountinfo)];
	struct rt_cg_layout l;
	(void)state;

	memcpy(mi, hybrid_mountinfo, sizeof(mi));
	assert_int_equal(rt_mount_cg_layout_parse(mi, &l), 0);
	/* the cgroup mounts under /sys/fs/cgroup only: not the tmpfs, /mnt, /sys/fs/cgroupx */
	assert_int_equal(l.n, 5);
	assert_non_null(find(&l, "/sys/fs/cgroup/unified"));
	assert_true(find(&l, "/sys/fs/cgroup/unified")->v2);
	assert_false(find(&l, "/sys/fs/cgroup/systemd")->v2);
	assert_string_equal(find(&l, "/sys/fs/cgroup/memory")->root, "/sub");
	assert_string_equal(find(&l, "/sys/fs/cgroup/cpu,cpuacct")->opts, "rw,cpu,cpuacct");
	assert_null(find(&l, "/mnt/cgroup"));
	assert_null(find(&l, "/sys/fs/cgroupx"));
}

static void test_own_paths(void **state)
{
	char mi[sizeof(hybrid_mountinfo)], buf[256];
	struct rt_cg_layout l;
	(void)state;

	memcpy(mi, hybrid_mountinfo, sizeof(mi));
	assert_int_equal(rt_mount_cg_layout_parse(mi, &l), 0);
	assert_string_equal(own(find(&l, "/sys/fs/cgroup/unified"), self_cgroup, buf, sizeof(buf)),
			    "/husk/c1");
	assert_string_equal(own(find(&l, "/sys/fs/cgroup/systemd"), self_cgroup, buf, sizeof(buf)),
			    "/user.slice");
	/* co-mounted controllers match their hierarchy, not a prefix of a name ("cpu" in
	 * "cpuset") */
	assert_string_equal(
	    own(find(&l, "/sys/fs/cgroup/cpu,cpuacct"), self_cgroup, buf, sizeof(buf)), "/box");
	assert_string_equal(own(find(&l, "/sys/fs/cgroup/cpuset"), self_cgroup, buf, sizeof(buf)),
			    "/");
	/* a mount of /sub of the memory hierarchy: the path below it */
	assert_string_equal(own(find(&l, "/sys/fs/cgroup/memory"), self_cgroup, buf, sizeof(buf)),
			    "/box");
	/* outside the mounted subtree, or no line for the hierarchy: none */
	assert_null(
	    own(find(&l, "/sys/fs/cgroup/memory"), "4:memory:/subx/box\n", buf, sizeof(buf)));
	assert_null(own(find(&l, "/sys/fs/cgroup/cpuset"), "0::/x\n", buf, sizeof(buf)));
	assert_null(own(find(&l, "/sys/fs/cgroup/unified"), "5:cpuset:/\n", buf, sizeof(buf)));
	/* too long for the buffer */
	assert_null(own(find(&l, "/sys/fs/cgroup/unified"), self_cgroup, buf, 4));
}

static void test_unified_layout(void **state)
{
	char mi[] =
	    "27 1 254:0 / / rw - ext4 /dev/vda rw\n"
	    "31 30 0:27 / /sys/fs/cgroup rw,nosuid shared:3 - cgroup2 cgroup2 rw,nsdelegate\n";
	struct rt_cg_layout l;
	char buf[64];
	(void)state;

	assert_int_equal(rt_mount_cg_layout_parse(mi, &l), 0);
	assert_int_equal(l.n, 1);
	assert_true(l.m[0].v2);
	assert_string_equal(l.m[0].point, "/sys/fs/cgroup");
	assert_string_equal(own(&l.m[0], "0::/a/b\n", buf, sizeof(buf)), "/a/b");
}

static void test_too_many(void **state)
{
	static char mi[64 * (RT_CG_MAX_HIERARCHIES + 1)];
	struct rt_cg_layout l;
	size_t off = 0;
	(void)state;

	for (int i = 0; i <= RT_CG_MAX_HIERARCHIES; i++)
		off += (size_t)snprintf(mi + off, sizeof(mi) - off,
					"%d 1 0:1 / /sys/fs/cgroup/h%d rw - cgroup c rw,h%d\n",
					100 + i, i, i);
	assert_int_equal(rt_mount_cg_layout_parse(mi, &l), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hybrid_layout),
	    cmocka_unit_test(test_own_paths),
	    cmocka_unit_test(test_unified_layout),
	    cmocka_unit_test(test_too_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
