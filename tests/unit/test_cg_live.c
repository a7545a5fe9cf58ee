#define _GNU_SOURCE
/* cgroups/ on the real cgroup2 hierarchy of this host (root only; skipped otherwise): create
 * with the device program, a child placed by clone3(CLONE_INTO_CGROUP), pids, freeze/thaw,
 * kill, removal with children, and the refusal of a limit whose controller is missing.  Works
 * only in cgroups it creates (husk-test-PID below the hierarchy root) and removes them. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../cgroups/cgroup.h"
#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "../../common/syscalls.h"

static struct cg_hierarchy *h;
static char parent[64];

static int group_setup(void **state)
{
	(void)state;
	snprintf(parent, sizeof(parent), "husk-test-%d", (int)getpid());
	return 0;
}

static int group_teardown(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	(void)state;

	/* whatever a failed test left behind */
	if (cg_remove_path(h, parent, &err) < 0)
		fprintf(stderr, "cleanup: %s\n", err.msg);
	rt_error_release(&err);
	cg_hierarchy_free(h);
	return 0;
}

static int exists(const char *path)
{
	return faccessat(h->fd, path, F_OK, 0) == 0;
}

/* A child in cg: reports whether it may open /dev/null (allowed) and /dev/kmsg (not in the
 * default allow-list) as two bytes on the pipe, then waits to be killed. */
static pid_t spawn_in(struct cg_cgroup *cg, int *ret_status_fd)
{
	int p[2];
	struct clone_args args = {.flags = cg->fd >= 0 ? CLONE_INTO_CGROUP : 0,
				  .exit_signal = SIGCHLD,
				  .cgroup = (uint64_t)(cg->fd >= 0 ? cg->fd : 0)};

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = (pid_t)rt_sys_clone3(&args, sizeof(args));
	if (pid < 0 && errno == ENOSYS) {
		pid = fork();
		if (pid == 0) {
			char buf[16];
			int fd = openat(cg->fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
			snprintf(buf, sizeof(buf), "%d", (int)getpid());
			if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
				_exit(1);
			close(fd);
		}
	}
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a hybrid or legacy host: the v1 cgroups are joined by the process itself */
		if (cg_cgroup_needs_attach(cg) && cg_attach(cg, 0, NULL) < 0)
			_exit(1);
		int a = open("/dev/null", O_RDWR | O_CLOEXEC);
		int b = open("/dev/kmsg", O_RDONLY | O_CLOEXEC);
		char r[2] = {a >= 0 ? 'y' : 'n', b >= 0 ? 'y' : (errno == EPERM ? 'p' : 'n')};
		if (write(p[1], r, 2) != 2)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	*ret_status_fd = p[0];
	return pid;
}

static void test_lifecycle(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_cgroup *cg = NULL;
	char path[128], r[2];
	pid_t *pids = NULL;
	size_t n = 0;
	int fd, frozen = -1, status;
	(void)state;

	snprintf(path, sizeof(path), "%s/c1", parent);
	if (cg_create(h, path, NULL, CG_ENABLE_NEEDED_ONLY, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	assert_true(exists(path));

	pid_t pid = spawn_in(cg, &fd);
	assert_int_equal(read(fd, r, 2), 2);
	close(fd);
	assert_int_equal(r[0], 'y'); /* /dev/null allowed by the default list */
	assert_int_equal(r[1], 'p'); /* /dev/kmsg refused by the device program: EPERM */

	assert_int_equal(cg_pids(cg, 1, &pids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], pid);
	free(pids);

	if (cg_freeze(cg, 1, &err) < 0)
		fail_msg("freeze: %s", err.msg);
	assert_int_equal(cg_is_frozen(cg, &frozen, &err), 0);
	assert_int_equal(frozen, 1);
	if (cg_freeze(cg, 0, &err) < 0)
		fail_msg("thaw: %s", err.msg);
	assert_int_equal(cg_is_frozen(cg, &frozen, &err), 0);
	assert_int_equal(frozen, 0);

	if (cg_kill(cg, &err) < 0)
		fail_msg("kill: %s", err.msg);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	if (cg_remove(cg, &err) < 0)
		fail_msg("remove: %s", err.msg);
	assert_false(exists(path));
	cg_cgroup_free(cg);
}

static void test_remove_with_children_and_processes(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_cgroup *cg = NULL, *sub = NULL;
	char path[128], subpath[160], r[2];
	int fd, status;
	(void)state;

	snprintf(path, sizeof(path), "%s/c2", parent);
	snprintf(subpath, sizeof(subpath), "%s/inner/deeper", path);
	if (cg_create(h, path, NULL, CG_ENABLE_NEEDED_ONLY | CG_NO_DEVICE_PROGRAM, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	if (cg_create(h, subpath, NULL, CG_ENABLE_NEEDED_ONLY | CG_NO_DEVICE_PROGRAM, &sub, &err) <
	    0)
		fail_msg("create: %s", err.msg);
	pid_t pid = spawn_in(sub, &fd);
	assert_int_equal(read(fd, r, 2), 2);
	close(fd);
	assert_int_equal(r[1], 'y'); /* no device program: kmsg opens */

	if (cg_remove(cg, &err) < 0)
		fail_msg("remove: %s", err.msg);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_false(exists(path));
	cg_cgroup_free(sub);
	cg_cgroup_free(cg);
}

/* What `delete` does with a cgroup that a killed create recorded but may not have made: an
 * empty one goes, one with a process (someone else's) or a missing one is left, without error. */
static void test_remove_if_empty(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_cgroup *cg = NULL;
	char path[128], r[2];
	int fd, status;
	(void)state;

	snprintf(path, sizeof(path), "%s/e1", parent);
	assert_int_equal(cg_remove_if_empty(h, path, &err), 0); /* missing */
	if (cg_create(h, path, NULL, CG_ENABLE_NEEDED_ONLY, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	pid_t pid = spawn_in(cg, &fd);
	assert_int_equal(read(fd, r, 2), 2);
	close(fd);
	assert_int_equal(cg_remove_if_empty(h, path, &err), 0);
	assert_true(exists(path)); /* populated: not killed, not removed */
	assert_int_equal(kill(pid, 0), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* the kernel may report the cgroup busy for a moment after the last task exited */
	for (int i = 0; i < 100 && exists(path); i++) {
		assert_int_equal(cg_remove_if_empty(h, path, &err), 0);
		if (exists(path))
			usleep(10000);
	}
	assert_false(exists(path));
	cg_cgroup_free(cg);
}

static void test_unavailable_controller(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_cgroup *cg = NULL;
	struct cg_limits *l = cg_limits_new();
	char path[128], want[128];
	struct cg_hierarchy *v2 = h;
	int c;
	(void)state;

	/* the cgroup v2 half alone: on a hybrid host the controllers it lacks are in v1, where
	 * the whole hierarchy handle (h) would find them */
	if (h->v1 && h->fd >= 0 && cg_hierarchy_open(h->path, &v2, &err) < 0)
		fail_msg("open %s: %s", h->path, err.msg);
	for (c = 0; c < CG_CPUACCT; c++)
		if (!(v2->controllers & CG_BIT(c)) && c != CG_CPUSET && c != CG_RDMA &&
		    c != CG_HUGETLB && c != CG_MISC)
			break;
	if (c == CG_CPUACCT) {
		cg_limits_free(l);
		if (v2 != h)
			cg_hierarchy_free(v2);
		skip(); /* a pure v2 host with every controller: nothing is unavailable */
	}
	if (c == CG_MEMORY) {
		l->has_memory_limit = 1;
		l->memory_limit = 1 << 20;
	} else if (c == CG_PIDS) {
		l->has_pids_limit = 1;
		l->pids_limit = 10;
	} else if (c == CG_IO) {
		l->has_io_weight = 1;
		l->io_weight = 100;
	} else {
		l->has_cpu_shares = 1;
		l->cpu_shares = 100;
	}
	snprintf(path, sizeof(path), "%s/c3", parent);
	assert_int_equal(cg_create(v2, path, l, 0, &cg, &err), -1);
	snprintf(want, sizeof(want), "need the %s controller", cg_controller_name(c));
	if (strstr(err.msg, want) == NULL)
		fail_msg("message `%s` lacks `%s`", err.msg, want);
	rt_error_release(&err);
	assert_false(exists(path)); /* refused before anything was made */

	if (cg_create(v2, path, l, CG_SKIP_UNAVAILABLE | CG_ENABLE_NEEDED_ONLY, &cg, &err) < 0)
		fail_msg("create with skip: %s", err.msg);
	assert_int_equal(cg->skipped, CG_BIT(c));
	assert_int_equal(cg_remove(cg, &err), 0);
	assert_false(exists(path));
	cg_cgroup_free(cg);
	cg_limits_free(l);
	if (v2 != h)
		cg_hierarchy_free(v2);
}

static void test_update_devices_replaces_program(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_cgroup *cg = NULL;
	struct cg_limits *l = cg_limits_new();
	struct cg_device_rule kmsg = {1, 'c', 1, 11, CG_DEV_READ};
	char path[128], r[2];
	int fd;
	(void)state;

	snprintf(path, sizeof(path), "%s/c4", parent);
	if (cg_create(h, path, NULL, CG_ENABLE_NEEDED_ONLY, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	assert_int_equal(cg_limits_add_device(l, &kmsg, &err), 0);
	/* an update attaches the new program, then detaches the old one (which denied kmsg) */
	if (cg_update(cg, l, 0, &err) < 0)
		fail_msg("update: %s", err.msg);
	pid_t pid = spawn_in(cg, &fd);
	assert_int_equal(read(fd, r, 2), 2);
	close(fd);
	assert_int_equal(r[0], 'y');
	assert_int_equal(r[1], 'y');
	assert_int_equal(cg_remove(cg, &err), 0);
	waitpid(pid, NULL, 0);
	cg_cgroup_free(cg);
	cg_limits_free(l);
}

/* The rule list of `husk spec` ({"allow": false, "access": "rwm"}) plus the defaults, loaded by
 * the kernel and enforced: the verifier once refused it (EINVAL, unreachable code). */
static void test_spec_default_devices_load(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_cgroup *cg = NULL;
	const struct cg_device_rule spec_rules[] = {
	    {0, 'a', -1, -1, CG_DEV_READ | CG_DEV_WRITE | CG_DEV_MKNOD}};
	char path[128], r[2];
	int fd;
	(void)state;

	snprintf(path, sizeof(path), "%s/c5", parent);
	if (cg_create(h, path, NULL, CG_ENABLE_NEEDED_ONLY | CG_NO_DEVICE_PROGRAM, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	if (cg_devices_apply(cg->fd, spec_rules, ARRAY_SIZE(spec_rules), 1, 0, &err) < 0)
		fail_msg("apply: %s", err.msg);
	/* and as an update, which replaces the program */
	if (cg_devices_apply(cg->fd, spec_rules, ARRAY_SIZE(spec_rules), 1, 1, &err) < 0)
		fail_msg("apply (replace): %s", err.msg);
	pid_t pid = spawn_in(cg, &fd);
	assert_int_equal(read(fd, r, 2), 2);
	close(fd);
	assert_int_equal(r[0], 'y'); /* /dev/null: the default allow-list */
	assert_int_equal(r[1], 'p'); /* /dev/kmsg: the spec's deny-all */
	assert_int_equal(cg_remove(cg, &err), 0);
	waitpid(pid, NULL, 0);
	cg_cgroup_free(cg);
}

int main(void)
{
	struct rt_error err = RT_ERROR_INIT;

	/* decided before cmocka prints its plan, so the skip is the whole TAP output */
	if (geteuid() != 0) {
		printf("1..0 # SKIP test_cg_live needs root (it creates cgroups)\n");
		return 0;
	}
	if (cg_hierarchy_open(NULL, &h, &err) < 0) {
		printf("1..0 # SKIP no cgroup2 hierarchy: %s\n", err.msg);
		rt_error_release(&err);
		return 0;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lifecycle),
	    cmocka_unit_test(test_remove_with_children_and_processes),
	    cmocka_unit_test(test_remove_if_empty),
	    cmocka_unit_test(test_unavailable_controller),
	    cmocka_unit_test(test_update_devices_replaces_program),
	    cmocka_unit_test(test_spec_default_devices_load),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
