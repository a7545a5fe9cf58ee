/* Links, addresses, routes, NAT and port mappings against the kernel (root).  The whole test
 * runs in a network namespace of its own (unshare at start), so the bridge, veths, nft table
 * and forwarding sysctl it makes vanish with the process even if it crashes; it still deletes
 * each of them and checks they are gone.  Traffic only flows between namespaces made here. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../netns/addr.h"
#include "../../netns/attach.h"

static int host_ns = -1;

#define CHECK(call)                                        \
	do {                                               \
		struct rt_error _e = RT_ERROR_INIT;        \
		if ((call(&_e)) < 0)                       \
			fail_msg("%s: %s", #call, _e.msg); \
	} while (0)

static void ok(int r, struct rt_error *err)
{
	if (r < 0)
		fail_msg("%s", err->msg);
}

/* A fresh network namespace as an fd; the caller stays where it was. */
static int new_netns(void)
{
	int fd;

	assert_int_equal(unshare(CLONE_NEWNET), 0);
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(setns(host_ns, CLONE_NEWNET), 0);
	return fd;
}

/* Whether ns has a link of that name. */
static int link_in(int ns, const char *name)
{
	unsigned idx;

	assert_int_equal(setns(ns, CLONE_NEWNET), 0);
	idx = if_nametoindex(name);
	assert_int_equal(setns(host_ns, CLONE_NEWNET), 0);
	return idx != 0;
}

/* A socket created inside ns (it stays bound to ns). */
static int socket_in(int ns, int type)
{
	int fd;

	if (ns >= 0)
		assert_int_equal(setns(ns, CLONE_NEWNET), 0);
	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (ns >= 0)
		assert_int_equal(setns(host_ns, CLONE_NEWNET), 0);
	assert_true(fd >= 0);
	return fd;
}

static int listen_in(int ns, uint16_t port)
{
	int fd = socket_in(ns, SOCK_STREAM), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

/* Connect from ns to addr:port, accept on lfd; return the peer address the server saw. */
static int connect_from(int ns, const char *addr, uint16_t port, int lfd, char *peer, size_t len)
{
	int c = socket_in(ns, SOCK_STREAM), s;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct sockaddr_in p;
	socklen_t plen = sizeof(p);
	struct pollfd pfd = {lfd, POLLIN, 0};

	inet_pton(AF_INET, addr, &a.sin_addr);
	fcntl(c, F_SETFL, O_NONBLOCK);
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		close(c);
		return -1;
	}
	if (poll(&pfd, 1, 2000) != 1) {
		close(c);
		return -1;
	}
	s = accept(lfd, (struct sockaddr *)&p, &plen);
	close(c);
	if (s < 0)
		return -1;
	close(s);
	if (peer)
		inet_ntop(AF_INET, &p.sin_addr, peer, (socklen_t)len);
	return 0;
}

static struct net_network test_net(const char *name, const char *bridge, const char *subnet)
{
	struct rt_error err = RT_ERROR_INIT;
	struct net_network n;
	struct net_prefix s;

	ok(net_prefix_parse(subnet, &s, &err), &err);
	ok(net_network_init(&n, name, bridge, &s, NULL, &err), &err);
	return n;
}

static void test_bridge_ensure(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	cleanup_nl_sock struct nl_sock *s = NULL;
	struct net_bridge_config bc = {"hsktest1", 1400, NULL};
	struct net_veth_config vc = {"hsktestv1", "hsktestv1p", host_ns, 0, 0, NULL, 0};
	struct net_link_info info;
	int idx, idx2, created;

	(void)state;
	ok(nl_open(NETLINK_ROUTE, &s, &err), &err);
	ok(net_bridge_ensure(s, &bc, &idx, &created, &err), &err);
	assert_true(created);
	ok(net_bridge_ensure(s, &bc, &idx2, &created, &err), &err);
	assert_false(created);
	assert_int_equal(idx, idx2);
	ok(net_link_get(s, "hsktest1", &info, &err), &err);
	assert_string_equal(info.kind, "bridge");
	assert_int_equal(info.mtu, 1400);
	assert_true(info.flags & IFF_UP);

	/* a non-bridge of that name is refused, with the kernel left as it was */
	ok(net_veth_create(s, &vc, &err), &err);
	bc.name = "hsktestv1";
	assert_int_equal(net_bridge_ensure(s, &bc, &idx, &created, &err), -1);
	assert_int_equal(err.errnum, EEXIST);
	assert_non_null(strstr(err.msg, "not a bridge"));
	rt_error_release(&err);

	/* the kernel's extended ack text reaches the message */
	vc.name = "hsktestv1";
	assert_int_equal(net_veth_create(s, &vc, &err), -1);
	assert_int_equal(err.errnum, EEXIST);
	rt_error_release(&err);

	ok(net_link_delete(s, "hsktestv1", 0, &err), &err);
	ok(net_link_delete(s, "hsktest1", 0, &err), &err);
	assert_int_equal(net_link_get(s, "hsktest1", &info, &err), -1);
	assert_int_equal(err.errnum, ENODEV);
	rt_error_release(&err);
	assert_int_equal(net_link_delete(s, "hsktest1", 0, &err), -1);
	rt_error_release(&err);
	ok(net_link_delete(s, "hsktest1", 1, &err), &err);
}

static struct net_pod_config pod_config(const struct net_network *n, int ns, const char *veth,
					const char *addr, const struct net_port_map *ports,
					size_t nports)
{
	struct rt_error err = RT_ERROR_INIT;
	struct net_pod_config p = {.net = n,
				   .netns_fd = ns,
				   .host_veth = veth,
				   .ifname = "eth0",
				   .ports = ports,
				   .nports = nports};
	struct net_prefix a;

	ok(net_addr_parse(addr, &a, &err), &err);
	a.prefixlen = n->subnet.prefixlen;
	p.addr = a;
	ok(net_mac_random(p.mac, &err), &err);
	return p;
}

/* Whether link `name` disappears within ms milliseconds (a namespace's links go with it, in
 * the kernel's own time). */
static int link_gone_within(struct nl_sock *s, const char *name, int ms)
{
	struct rt_error err = RT_ERROR_INIT;
	struct net_link_info info;

	for (int i = 0; i < ms; i += 10) {
		if (net_link_get(s, name, &info, &err) < 0) {
			int gone = err.errnum == ENODEV;
			rt_error_release(&err);
			return gone;
		}
		usleep(10000);
	}
	return 0;
}

static void test_pods(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct net_ctx ctx = NET_CTX_INIT;
	struct net_network n = test_net("hsktest", "hsktest0", "10.251.10.0/24");
	struct net_network out = test_net("hsktestout", "hsktest9", "10.251.20.0/24");
	int a_ns = new_netns(), b_ns = new_netns(), c_ns = new_netns(), d_ns = new_netns(),
	    e_ns = new_netns();
	struct net_port_map ports[] = {{IPPROTO_TCP, 18080, 7777}, {IPPROTO_UDP, 18080, 7777}};
	struct net_port_map clash[] = {{IPPROTO_TCP, 18081, 1}, {IPPROTO_UDP, 18080, 2}};
	struct net_pod_config a = pod_config(&n, a_ns, "hsktesta", "10.251.10.2", NULL, 0);
	struct net_pod_config b = pod_config(&n, b_ns, "hsktestb", "10.251.10.3", ports, 2);
	struct net_pod_config c = pod_config(&out, c_ns, "hsktestc", "10.251.20.2", NULL, 0);
	struct net_pod_config a2 = pod_config(&n, d_ns, "hsktesta2", "10.251.10.9", clash, 2);
	struct net_pod_config stale, fresh;
	struct net_link_info info;
	char peer[32];
	int lb, lc, la, ld;
	struct timespec t0, t1;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok(net_network_setup(&ctx, &n, &err), &err);
	ok(net_network_setup(&ctx, &n, &err), &err); /* idempotent */
	ok(net_pod_attach(&ctx, &a, &err), &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("network setup x2 + first pod attach: %.3f ms\n",
		      (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			  (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok(net_pod_attach(&ctx, &b, &err), &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("pod attach with 2 ports: %.3f ms\n",
		      (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			  (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	/* "client" namespace c sits on a second network, standing for another host */
	ok(net_network_setup(&ctx, &out, &err), &err);
	ok(net_pod_attach(&ctx, &c, &err), &err);

	lb = listen_in(b_ns, 7777);
	/* pod to pod, host to pod */
	assert_int_equal(connect_from(a_ns, "10.251.10.3", 7777, lb, peer, sizeof(peer)), 0);
	assert_string_equal(peer, "10.251.10.2");
	assert_int_equal(connect_from(-1, "10.251.10.3", 7777, lb, NULL, 0), 0);
	/* published port from another namespace, and from the host itself */
	assert_int_equal(connect_from(c_ns, "10.251.20.1", 18080, lb, NULL, 0), 0);
	assert_int_equal(connect_from(-1, "10.251.20.1", 18080, lb, NULL, 0), 0);
	assert_int_equal(connect_from(-1, "10.251.10.1", 18080, lb, NULL, 0), 0);
	/* a pod reaches its own published port: masqueraded to the bridge's address (hairpin
	 * NAT), else it would answer itself directly and the DNAT would never be undone */
	assert_int_equal(connect_from(b_ns, "10.251.20.1", 18080, lb, peer, sizeof(peer)), 0);
	assert_string_equal(peer, "10.251.10.1");
	/* masquerade: c sees pod a's traffic come from the host's address on c's network */
	lc = listen_in(c_ns, 7000);
	assert_int_equal(connect_from(a_ns, "10.251.20.2", 7000, lc, peer, sizeof(peer)), 0);
	assert_string_equal(peer, "10.251.20.1");
	/* hairpin: pod a reaches itself through the bridge side */
	la = listen_in(a_ns, 7001);
	assert_int_equal(connect_from(a_ns, "10.251.10.2", 7001, la, NULL, 0), 0);

	/* a clash on one port: refused by name, nothing of the attempt stays */
	assert_int_equal(net_pod_attach(&ctx, &a2, &err), -1);
	assert_int_equal(err.errnum, EADDRINUSE);
	assert_non_null(strstr(err.msg, "18080/udp"));
	rt_error_release(&err);
	assert_int_equal(net_link_get(ctx.rtnl, "hsktesta2", &info, &err), -1);
	rt_error_release(&err);
	assert_int_equal(connect_from(c_ns, "10.251.20.1", 18080, lb, NULL, 0), 0);
	/* detaching a pod that does not own port 18080 leaves b's mapping alone */
	ok(net_pod_detach(&ctx, &a2, &err), &err);
	assert_int_equal(connect_from(c_ns, "10.251.20.1", 18080, lb, NULL, 0), 0);

	b.delete_veth = 1; /* the pair is deleted at once, whoever holds b's namespace */
	ok(net_pod_detach(&ctx, &b, &err), &err);
	ok(net_pod_detach(&ctx, &b, &err), &err); /* idempotent */
	assert_int_equal(net_link_get(ctx.rtnl, "hsktestb", &info, &err), -1);
	assert_int_equal(err.errnum, ENODEV);
	rt_error_release(&err);
	assert_int_equal(connect_from(c_ns, "10.251.20.1", 18080, lb, NULL, 0), -1);

	/* by default the host end only goes down (a namespace somebody still holds can no longer
	 * use the address), and the pair goes with the namespace once its last holder lets go */
	ok(net_pod_detach(&ctx, &a, &err), &err);
	ok(net_link_get(ctx.rtnl, "hsktesta", &info, &err), &err);
	assert_false(info.flags & IFF_UP);
	assert_int_equal(connect_from(-1, "10.251.10.2", 7001, la, NULL, 0), -1);
	close(la);
	close(a_ns);
	assert_true(link_gone_within(ctx.rtnl, "hsktesta", 3000));
	ok(net_pod_detach(&ctx, &a, &err), &err); /* idempotent */
	/* a pair left by an earlier pod of the same name (its namespace still held elsewhere):
	 * EEXIST and nothing made, so that the caller can pick another name; replaced when the
	 * caller asks for it */
	stale = pod_config(&n, e_ns, "hsktests", "10.251.10.20", NULL, 0);
	ok(net_pod_attach(&ctx, &stale, &err), &err);
	fresh = pod_config(&n, d_ns, "hsktests", "10.251.10.21", NULL, 0);
	assert_int_equal(net_pod_attach(&ctx, &fresh, &err), -1);
	assert_int_equal(err.errnum, EEXIST);
	rt_error_release(&err);
	assert_true(link_in(e_ns, "eth0")); /* the earlier pair is untouched */
	assert_false(link_in(d_ns, "eth0"));
	fresh.replace_existing = 1;
	ok(net_pod_attach(&ctx, &fresh, &err), &err);
	ld = listen_in(d_ns, 7002);
	assert_int_equal(connect_from(-1, "10.251.10.21", 7002, ld, NULL, 0), 0);
	fresh.delete_veth = 1;
	ok(net_pod_detach(&ctx, &fresh, &err), &err);
	assert_int_equal(net_link_get(ctx.rtnl, "hsktests", &info, &err), -1);
	rt_error_release(&err);
	close(ld);
	close(e_ns);
	ok(net_pod_detach(&ctx, &c, &err), &err);
	ok(net_network_teardown(&ctx, &n, &err), &err);
	ok(net_network_teardown(&ctx, &out, &err), &err);
	ok(net_network_teardown(&ctx, &out, &err), &err);
	assert_int_equal(net_link_get(ctx.rtnl, "hsktest0", &info, &err), -1);
	rt_error_release(&err);
	ok(net_nft_table_delete(ctx.nft, &err), &err);
	ok(net_nft_table_delete(ctx.nft, &err), &err);
	close(lb);
	close(lc);
	close(b_ns);
	close(c_ns);
	close(d_ns);
	net_ctx_close(&ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bridge_ensure),
	    cmocka_unit_test(test_pods),
	};
	int lo;

	if (geteuid() != 0) {
		printf("1..0 # SKIP test_net_attach needs root (network namespaces, links, "
		       "nftables)\n");
		return 0;
	}
	/* everything below happens in a namespace of this process only */
	if (unshare(CLONE_NEWNET) < 0) {
		printf("1..0 # SKIP unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 0;
	}
	host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	{
		struct rt_error err = RT_ERROR_INIT;
		struct nl_sock *s = NULL;
		if (nl_open(NETLINK_ROUTE, &s, &err) < 0 || net_link_set_up(s, 1, &err) < 0) {
			fprintf(stderr, "lo up: %s\n", err.msg);
			return 1;
		}
		nl_close(s);
	}
	lo = cmocka_run_group_tests(tests, NULL, NULL);
	close(host_ns);
	return lo;
}
