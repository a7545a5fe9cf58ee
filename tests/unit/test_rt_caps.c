#define _GNU_SOURCE
/* runtime/init/caps.c: names, and in a forked root child the runc order (drop bounding, setuid with
 * keepcaps, apply) checked against /proc/self/status. */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/cleanup.h"
#include "../../runtime/init/caps.h"
#include "testutil.h"

#define BIT(c) (UINT64_C(1) << (c))

static void test_cap_from_name(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	int cap = -1;
	(void)state;

	assert_int_equal(rt_cap_from_name("CAP_SYS_ADMIN", &cap, &err), 0);
	assert_int_equal(cap, CAP_SYS_ADMIN);
	assert_int_equal(rt_cap_from_name("CAP_CHOWN", &cap, &err), 0);
	assert_int_equal(cap, CAP_CHOWN);
	assert_int_equal(rt_cap_from_name("CAP_CHECKPOINT_RESTORE", &cap, &err), 0);
	assert_int_equal(cap, 40);

	assert_int_equal(rt_cap_from_name("cap_sys_admin", &cap, &err), -1);
	assert_string_equal(err.msg, "unknown capability \"cap_sys_admin\": invalid argument");
	rt_error_release(&err);
	assert_int_equal(rt_cap_from_name("CAP_FLY", &cap, &err), -1);
	assert_non_null(strstr(err.msg, "\"CAP_FLY\""));
	rt_error_release(&err);
}

static void test_cap_names(void **state)
{
	const char *const *names = rt_cap_names();
	size_t n = 0;
	(void)state;

	for (; names[n]; n++) {
		struct rt_error err = RT_ERROR_INIT;
		int cap;

		assert_int_equal(rt_cap_from_name(names[n], &cap, &err), 0);
		assert_int_equal(cap, (int)n);
	}
	assert_int_equal(n, CAP_LAST_CAP + 1);
	assert_string_equal(names[CAP_NET_BIND_SERVICE], "CAP_NET_BIND_SERVICE");
	assert_true(rt_cap_last_cap() >= CAP_AUDIT_READ);
}

/* The masks of /proc/self/status lines "CapInh:" etc. */
static uint64_t status_mask(const char *key)
{
	cleanup_fclose FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t klen = strlen(key);

	if (f == NULL)
		_exit(200);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':')
			return strtoull(line + klen + 1, NULL, 16);
	_exit(201);
}

static void become_uid_1000(void)
{
	CHILD_CHECK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0);
	CHILD_CHECK(setgroups(0, NULL) == 0);
	CHILD_CHECK(setresgid(1000, 1000, 1000) == 0);
	CHILD_CHECK(setresuid(1000, 1000, 1000) == 0);
	CHILD_CHECK(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == 0);
}

static void child_full_sequence(const void *arg)
{
	/* bit 63 is unknown to every kernel: it must be ignored, not fail */
	struct rt_caps caps = {
	    .bounding = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE) |
			BIT(CAP_AUDIT_WRITE) | BIT(63),
	    .permitted = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE),
	    .effective = BIT(CAP_CHOWN) | BIT(CAP_KILL),
	    .inheritable = BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE),
	    .ambient = BIT(CAP_NET_BIND_SERVICE),
	};
	struct rt_error err = RT_ERROR_INIT;

	if (rt_caps_drop_bounding(&caps, &err) < 0) {
		fprintf(stderr, "drop: %s\n", err.msg);
		_exit(90);
	}
	CHILD_CHECK(status_mask("CapBnd") == (caps.bounding & ~BIT(63)));
	become_uid_1000();
	CHILD_CHECK(getuid() == 1000 && geteuid() == 1000 && getgid() == 1000);
	if (rt_caps_apply(&caps, &err) < 0) {
		fprintf(stderr, "apply: %s\n", err.msg);
		_exit(91);
	}
	CHILD_CHECK(status_mask("CapBnd") == (caps.bounding & ~BIT(63)));
	CHILD_CHECK(status_mask("CapPrm") == caps.permitted);
	CHILD_CHECK(status_mask("CapEff") == caps.effective);
	CHILD_CHECK(status_mask("CapInh") == caps.inheritable);
	CHILD_CHECK(status_mask("CapAmb") == caps.ambient);
	/* a capability dropped from the bounding set cannot come back */
	CHILD_CHECK(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 0);
}

static void test_drop_setuid_apply(void **state)
{
	(void)state;

	if (geteuid() != 0)
		skip();
	tu_assert_child_ok(child_full_sequence, NULL);
}

static void child_empty_sets(const void *arg)
{
	struct rt_caps caps = {0};
	struct rt_error err = RT_ERROR_INIT;

	CHILD_CHECK(rt_caps_drop_bounding(&caps, &err) == 0);
	become_uid_1000();
	CHILD_CHECK(rt_caps_apply(&caps, &err) == 0);
	CHILD_CHECK(status_mask("CapBnd") == 0);
	CHILD_CHECK(status_mask("CapPrm") == 0);
	CHILD_CHECK(status_mask("CapEff") == 0);
	CHILD_CHECK(status_mask("CapInh") == 0);
	CHILD_CHECK(status_mask("CapAmb") == 0);
}

static void test_empty_sets(void **state)
{
	(void)state;

	if (geteuid() != 0)
		skip();
	tu_assert_child_ok(child_empty_sets, NULL);
}

static void child_apply_clears_ambient(const void *arg)
{
	struct rt_caps caps = {
	    .bounding = BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SETPCAP),
	    .permitted = BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE),
	    .effective = BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE),
	    .inheritable = BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE),
	    .ambient = BIT(CAP_NET_BIND_SERVICE),
	};
	struct rt_error err = RT_ERROR_INIT;
	cleanup_cap cap_t start = cap_get_proc();
	cap_value_t kill_cap = CAP_KILL;

	/* A container that stays uid 0 keeps the ambient set it was started with (only a setuid
	 * away from root clears it): an ambient CAP_KILL raised by whoever started us must be
	 * gone after rt_caps_apply, since the config does not ask for it. */
	CHILD_CHECK(start != NULL);
	CHILD_CHECK(cap_set_flag(start, CAP_INHERITABLE, 1, &kill_cap, CAP_SET) == 0);
	CHILD_CHECK(cap_set_proc(start) == 0);
	CHILD_CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0) == 0);
	CHILD_CHECK(status_mask("CapAmb") == BIT(CAP_KILL));
	CHILD_CHECK(rt_caps_drop_bounding(&caps, &err) == 0);
	CHILD_CHECK(rt_caps_apply(&caps, &err) == 0);
	CHILD_CHECK(status_mask("CapAmb") == caps.ambient);
	CHILD_CHECK(status_mask("CapPrm") == caps.permitted);
	CHILD_CHECK(status_mask("CapBnd") == caps.bounding);
}

static void test_apply_clears_ambient(void **state)
{
	(void)state;

	if (geteuid() != 0)
		skip();
	tu_assert_child_ok(child_apply_clears_ambient, NULL);
}

static void child_ambient_not_inheritable(const void *arg)
{
	struct rt_caps caps = {
	    .bounding = BIT(CAP_KILL) | BIT(CAP_NET_RAW),
	    .permitted = BIT(CAP_KILL) | BIT(CAP_NET_RAW),
	    .effective = BIT(CAP_KILL),
	    .inheritable = BIT(CAP_KILL),
	    .ambient = BIT(CAP_NET_RAW), /* not inheritable: the kernel refuses; husk warns */
	};
	struct rt_error err = RT_ERROR_INIT;

	CHILD_CHECK(rt_caps_drop_bounding(&caps, &err) == 0);
	become_uid_1000();
	/* runc's behaviour: a warning, not a failure; the ambient set stays without it */
	CHILD_CHECK(rt_caps_apply(&caps, &err) == 0);
	CHILD_CHECK(status_mask("CapAmb") == 0);
	CHILD_CHECK(status_mask("CapEff") == caps.effective);
}

static void test_ambient_not_inheritable(void **state)
{
	(void)state;

	if (geteuid() != 0)
		skip();
	tu_assert_child_ok(child_ambient_not_inheritable, NULL);
}

static void child_drop_unprivileged(const void *arg)
{
	struct rt_caps caps = {.bounding = BIT(CAP_KILL)};
	struct rt_error err = RT_ERROR_INIT;

	become_uid_1000();
	CHILD_CHECK(rt_caps_apply(&caps, &err) == 0); /* empty sets: drops CAP_SETPCAP too */
	CHILD_CHECK(rt_caps_drop_bounding(&caps, &err) == -1);
	CHILD_CHECK(err.errnum == EPERM);
	CHILD_CHECK(strstr(err.msg, "from the bounding set") != NULL);
}

static void test_drop_needs_setpcap(void **state)
{
	(void)state;

	if (geteuid() != 0)
		skip();
	tu_assert_child_ok(child_drop_unprivileged, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cap_from_name),
	    cmocka_unit_test(test_cap_names),
	    cmocka_unit_test(test_drop_setuid_apply),
	    cmocka_unit_test(test_empty_sets),
	    cmocka_unit_test(test_apply_clears_ambient),
	    cmocka_unit_test(test_ambient_not_inheritable),
	    cmocka_unit_test(test_drop_needs_setpcap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
