#define _GNU_SOURCE
/* cgroups/hierarchy.c: cgroupsPath resolution, the systemd slice mapping, controller lists. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../cgroups/cgroup.h"

static void expect_path(const char *in, const char *id, const char *own, int flags,
			const char *want)
{
	struct rt_error err = RT_ERROR_INIT;
	char *out = NULL;

	if (cg_path_resolve(in, id, own, flags, &out, &err) < 0)
		fail_msg("resolve `%s`: %s", in, err.msg);
	assert_string_equal(out, want);
	free(out);
}

static void expect_refused(const char *in, int flags, const char *msg_part)
{
	struct rt_error err = RT_ERROR_INIT;
	char *out = NULL;

	assert_int_equal(cg_path_resolve(in, "c1", "/user.slice/x.scope", flags, &out, &err), -1);
	assert_null(out);
	if (strstr(err.msg, msg_part) == NULL)
		fail_msg("`%s`: message `%s` lacks `%s`", in, err.msg, msg_part);
	rt_error_release(&err);
}

static void test_absolute_relative_default(void **state)
{
	(void)state;
	expect_path("/husk/c1", "c1", "/user.slice/session-1.scope", 0, "husk/c1");
	expect_path("//a///b/./c/", "c1", "/", 0, "a/b/c");
	/* relative: below the parent of our own cgroup */
	expect_path("pod/c1", "c1", "/user.slice/session-1.scope", 0, "user.slice/pod/c1");
	expect_path("c1", "c1", "/", 0, "c1");
	expect_path("", "abc", "/system.slice/husk.service", 0, "system.slice/husk/abc");
	expect_path(NULL, "abc", "/", 0, "husk/abc");
}

static void test_escape_refused(void **state)
{
	(void)state;
	expect_refused("/../etc", 0, "\"..\" would leave the cgroup hierarchy");
	expect_refused("a/../../b", 0, "\"..\"");
	expect_refused("/", 0, "names the hierarchy root");
	expect_refused("system.slice:x:..", CG_PATH_SYSTEMD, "invalid unit name");
	expect_refused("bad/slice.slice:x:y", CG_PATH_SYSTEMD, "invalid systemd slice");
	expect_refused("a--b.slice:x:y", CG_PATH_SYSTEMD, "invalid systemd slice");
	expect_refused("noslice:x:y", CG_PATH_SYSTEMD, "invalid systemd slice");
	expect_refused("only:two", CG_PATH_SYSTEMD, "slice:prefix:name");
}

static void test_systemd(void **state)
{
	(void)state;
	expect_path("system.slice:podman:abc", "abc", "/", CG_PATH_SYSTEMD,
		    "system.slice/podman-abc.scope");
	expect_path("machine-pod-x.slice:crio:abc", "abc", "/", CG_PATH_SYSTEMD,
		    "machine.slice/machine-pod.slice/machine-pod-x.slice/crio-abc.scope");
	expect_path("-.slice:p:n", "n", "/", CG_PATH_SYSTEMD, "p-n.scope");
	expect_path(":husk:", "c9", "/", CG_PATH_SYSTEMD, "system.slice/husk-c9.scope");
	expect_path("", "c9", "/", CG_PATH_SYSTEMD, "system.slice/husk-c9.scope");
	expect_path("kubepods.slice:cri:kubepods-burstable.slice", "x", "/", CG_PATH_SYSTEMD,
		    "kubepods.slice/kubepods-burstable.slice");
}

static void test_controllers(void **state)
{
	(void)state;
	assert_int_equal(cg_controllers_parse("cpuset cpu io memory hugetlb pids rdma misc\n"),
			 (1u << (CG_MISC + 1)) - 1);
	assert_int_equal(cg_controllers_parse("hugetlb\n"), CG_BIT(CG_HUGETLB));
	assert_int_equal(cg_controllers_parse(""), 0);
	assert_int_equal(cg_controllers_parse("cpu.max memory foo"), CG_BIT(CG_MEMORY));
	assert_int_equal(cg_controller_from_name("memory.swap.max", 15), CG_MEMORY);
	assert_int_equal(cg_controller_from_name("cpuset.cpus", 11), CG_CPUSET);
	assert_int_equal(cg_controller_from_name("cgroup.freeze", 13), -1);
	assert_string_equal(cg_controller_name(CG_PIDS), "pids");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_absolute_relative_default),
	    cmocka_unit_test(test_escape_refused),
	    cmocka_unit_test(test_systemd),
	    cmocka_unit_test(test_controllers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
