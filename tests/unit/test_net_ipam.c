/* IPAM: allocation, static requests, exhaustion, release/reuse, reclaim, concurrency. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/error.h"
#include "../../common/fsutil.h"
#include "../../netns/ipam.h"
#include "testutil.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	tu_tmpdir(f->dir, sizeof(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tu_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static struct net_ipam *open_ipam(const char *dir, const char *subnet, const char *gw)
{
	struct rt_error err = RT_ERROR_INIT;
	struct net_prefix s, g;
	struct net_ipam *ipam = NULL;

	assert_int_equal(net_prefix_parse(subnet, &s, &err), 0);
	assert_int_equal(net_addr_parse(gw, &g, &err), 0);
	if (net_ipam_open(dir, &s, &g, &ipam, &err) < 0)
		fail_msg("%s", err.msg);
	return ipam;
}

static char *alloc_str(struct net_ipam *ipam, const char *owner, const char *req)
{
	struct rt_error err = RT_ERROR_INIT;
	struct net_prefix r, got;
	static char buf[NET_PREFIX_STRLEN];

	if (req)
		assert_int_equal(net_addr_parse(req, &r, &err), 0);
	if (net_ipam_allocate(ipam, owner, req ? &r : NULL, NULL, NULL, &got, &err) < 0)
		fail_msg("allocate for %s: %s", owner, err.msg);
	net_prefix_format(&got, buf, sizeof(buf));
	return buf;
}

/* An allocation for owner (of req, or of any address when NULL) that must be refused: returns
 * its errno; its message must hold needle, when given. */
static int alloc_refused(struct net_ipam *ipam, const char *owner, const char *req,
			 const char *needle)
{
	struct rt_error err = RT_ERROR_INIT;
	struct net_prefix r, got;
	int errnum;

	if (req)
		assert_int_equal(net_addr_parse(req, &r, &err), 0);
	if (net_ipam_allocate(ipam, owner, req ? &r : NULL, NULL, NULL, &got, &err) == 0)
		fail_msg("%s got %s", owner, req ? req : "an address");
	if (needle && strstr(err.msg, needle) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err.msg, needle);
	errnum = err.errnum;
	rt_error_release(&err);
	return errnum;
}

static void test_distinct_250(void **state)
{
	struct fixture *f = *state;
	struct net_ipam *ipam = open_ipam(f->dir, "10.251.0.0/16", "10.251.0.1");
	char seen[256][NET_PREFIX_STRLEN];
	char owner[32];

	for (int i = 0; i < 250; i++) {
		snprintf(owner, sizeof(owner), "pod%d", i);
		snprintf(seen[i], sizeof(seen[i]), "%s", alloc_str(ipam, owner, NULL));
		assert_string_not_equal(seen[i], "10.251.0.0/16");
		assert_string_not_equal(seen[i], "10.251.0.1/16");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
	assert_string_equal(seen[0], "10.251.0.2/16");
	assert_string_equal(seen[249], "10.251.0.251/16");
	net_ipam_close(ipam);
}

static void test_static_and_refusals(void **state)
{
	struct fixture *f = *state;
	struct net_ipam *ipam = open_ipam(f->dir, "10.251.1.0/24", "10.251.1.1");
	struct rt_error err = RT_ERROR_INIT;
	struct net_prefix r;
	const char *bad[] = {"10.251.2.5", "10.251.1.0", "10.251.1.255", "10.251.1.1"};
	char owner[64];

	assert_string_equal(alloc_str(ipam, "a", "10.251.1.77"), "10.251.1.77/24");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(alloc_refused(ipam, "b", bad[i], NULL), EADDRNOTAVAIL);
	assert_int_equal(alloc_refused(ipam, "b", "10.251.1.77", "`a`"), EADDRINUSE);
	assert_int_equal(net_addr_parse("10.251.1.77", &r, &err), 0);
	assert_int_equal(net_ipam_owner(ipam, &r, owner, sizeof(owner), &err), 0);
	assert_string_equal(owner, "a");
	/* IPv6 request on an IPv4 subnet */
	alloc_refused(ipam, "b", "fd00::5", NULL);
	net_ipam_close(ipam);
}

static void test_exhaustion_release_reuse(void **state)
{
	struct fixture *f = *state;
	struct net_ipam *ipam = open_ipam(f->dir, "10.251.2.0/29", "10.251.2.1");
	struct rt_error err = RT_ERROR_INIT;
	struct net_prefix r;
	unsigned n = 0;

	/* /29: .0 network, .1 gateway, .7 broadcast: .2-.6 are five addresses */
	for (int i = 0; i < 5; i++)
		alloc_str(ipam, "p", NULL);
	assert_int_equal(alloc_refused(ipam, "q", NULL, "10.251.2.0/29"), ENOSPC);
	assert_int_equal(net_ipam_count(ipam, &n, &err), 0);
	assert_int_equal(n, 5);

	assert_int_equal(net_addr_parse("10.251.2.4", &r, &err), 0);
	/* a release by someone who does not hold it is a no-op */
	assert_int_equal(net_ipam_release(ipam, &r, "other", &err), 0);
	alloc_refused(ipam, "q", NULL, NULL);
	assert_int_equal(net_ipam_release(ipam, &r, "p", &err), 0);
	assert_int_equal(net_ipam_release(ipam, &r, "p", &err), 0); /* idempotent */
	assert_string_equal(alloc_str(ipam, "q", NULL), "10.251.2.4/29");
	net_ipam_close(ipam);
}

static int alive_only_live(const char *owner, void *ud)
{
	(void)ud;
	return strncmp(owner, "live", 4) == 0;
}

static void test_reclaim(void **state)
{
	struct fixture *f = *state;
	struct net_ipam *ipam = open_ipam(f->dir, "10.251.3.0/29", "10.251.3.1");
	struct rt_error err = RT_ERROR_INIT;
	struct net_prefix got, r;
	unsigned n = 0;

	alloc_str(ipam, "live1", NULL);
	alloc_str(ipam, "dead1", NULL);
	alloc_str(ipam, "live2", NULL);
	alloc_str(ipam, "dead2", NULL);
	alloc_str(ipam, "dead3", NULL);
	/* full, but the allocator reclaims dead owners by itself when given a liveness check */
	assert_int_equal(net_ipam_allocate(ipam, "live3", NULL, alive_only_live, NULL, &got, &err),
			 0);
	assert_int_equal(net_ipam_count(ipam, &n, &err), 0);
	assert_int_equal(n, 3);
	/* a static request for a dead owner's address takes it over */
	alloc_str(ipam, "dead4", "10.251.3.6");
	assert_int_equal(net_addr_parse("10.251.3.6", &r, &err), 0);
	net_ipam_release(ipam, &r, NULL, &err);
	alloc_str(ipam, "dead4", "10.251.3.6");
	assert_int_equal(net_ipam_allocate(ipam, "live4", &r, alive_only_live, NULL, &got, &err),
			 0);
	assert_int_equal(net_ipam_release_owner(ipam, "live1", &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(net_ipam_reclaim(ipam, alive_only_live, NULL, &n, &err), 0);
	net_ipam_close(ipam);
}

/* An empty lease file is what a process killed between the lease's create and its write
 * leaves: releasing the owner's leases (pod delete --force) takes it too, others stay. */
static void test_release_owner_takes_empty_leases(void **state)
{
	struct fixture *f = *state;
	struct net_ipam *ipam = open_ipam(f->dir, "10.251.4.0/29", "10.251.4.1");
	struct rt_error err = RT_ERROR_INIT;
	char path[128];
	unsigned n = 0;
	int fd;

	alloc_str(ipam, "keep", NULL);
	alloc_str(ipam, "gone", NULL);
	snprintf(path, sizeof(path), "%s/leases/10.251.4.6", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(net_ipam_release_owner(ipam, "gone", &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(net_ipam_count(ipam, &n, &err), 0);
	assert_int_equal(n, 1);
	net_ipam_close(ipam);
}

static void test_ipv6(void **state)
{
	struct fixture *f = *state;
	struct net_ipam *ipam = open_ipam(f->dir, "fd00:251::/64", "fd00:251::1");

	assert_string_equal(alloc_str(ipam, "a", NULL), "fd00:251::2/64");
	assert_string_equal(alloc_str(ipam, "b", "fd00:251::ffff:1"), "fd00:251::ffff:1/64");
	net_ipam_close(ipam);
}

/* Eight processes allocate 40 addresses each at once: 320 distinct leases. */
static void test_concurrent(void **state)
{
	struct fixture *f = *state;
	struct rt_error err = RT_ERROR_INIT;
	int fds[8][2];
	char all[320][NET_PREFIX_STRLEN];
	int count = 0;

	for (int p = 0; p < 8; p++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds[p]), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct net_ipam *ipam = open_ipam(f->dir, "10.251.4.0/22", "10.251.4.1");
			char owner[32];
			for (int i = 0; i < 40; i++) {
				struct net_prefix got;
				char line[NET_PREFIX_STRLEN + 1];
				snprintf(owner, sizeof(owner), "c%d-%d", p, i);
				if (net_ipam_allocate(ipam, owner, NULL, NULL, NULL, &got, &err) <
				    0)
					_exit(1);
				net_addr_format(&got, line, sizeof(line) - 1);
				strcat(line, "\n");
				if (write(fds[p][1], line, strlen(line)) < 0)
					_exit(1);
			}
			_exit(0);
		}
		close(fds[p][1]);
	}
	for (int p = 0; p < 8; p++) {
		FILE *in = fdopen(fds[p][0], "r");
		char line[64];
		while (fgets(line, sizeof(line), in)) {
			line[strcspn(line, "\n")] = '\0';
			assert_true(count < 320);
			snprintf(all[count++], NET_PREFIX_STRLEN, "%.40s", line);
		}
		fclose(in);
	}
	for (int p = 0; p < 8; p++) {
		int st;
		assert_true(wait(&st) > 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_equal(count, 320);
	for (int i = 0; i < count; i++)
		for (int j = 0; j < i; j++)
			assert_string_not_equal(all[i], all[j]);
}

static void test_bad_subnets(void **state)
{
	struct fixture *f = *state;
	struct rt_error err = RT_ERROR_INIT;
	struct net_prefix s, g;
	struct net_ipam *ipam = NULL;

	assert_int_equal(net_prefix_parse("10.251.5.0/31", &s, &err), 0);
	assert_int_equal(net_addr_parse("10.251.5.0", &g, &err), 0);
	assert_int_equal(net_ipam_open(f->dir, &s, &g, &ipam, &err), -1);
	rt_error_release(&err);
	assert_int_equal(net_prefix_parse("10.251.5.0/24", &s, &err), 0);
	assert_int_equal(net_addr_parse("10.251.6.1", &g, &err), 0);
	assert_int_equal(net_ipam_open(f->dir, &s, &g, &ipam, &err), -1);
	rt_error_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_distinct_250, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_static_and_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exhaustion_release_reuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reclaim, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_owner_takes_empty_leases, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_subnets, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
