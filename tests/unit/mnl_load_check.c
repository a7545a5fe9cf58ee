/* The libmnl forwarders of netns/mnl_load.c, in a binary linked the way husk is (static PIE in
 * build/rel, dynamic in build/san).  Debian ships no static cmocka, so this prints TAP itself.
 *
 * In the static build, libmnl runs on its own copy of libc with its own errno: what matters is
 * that an errno set by libmnl reaches the caller, that an errno set by our own callback inside
 * a libmnl call survives it, and that a call that succeeds leaves the caller's errno alone. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../netns/nl.h"

static int n_test, n_failed;

static void check(int ok, const char *what)
{
	n_test++;
	if (!ok)
		n_failed++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", n_test, what);
}

static int callback_sets_ebadmsg(const struct nlattr *a, void *data)
{
	(void)a;
	(void)data;
	errno = EBADMSG;
	return MNL_CB_ERROR;
}

int main(void)
{
	struct rt_error err = {0};
	char buf[256] __attribute__((aligned(4))) = {0};
	struct nlmsghdr *nlh;
	struct nlattr *a;
	struct mnl_socket *s;
	int r;

	printf("1..7\n");
	check(nl_mnl_load(&err) == 0, "libmnl.so.0 loads");
	check(nl_mnl_load(&err) == 0, "a second load is a no-op");

	/* a netlink family nobody registered: socket() fails inside libmnl */
	errno = 0;
	s = mnl_socket_open2(30, SOCK_CLOEXEC);
	check(s == NULL && errno == EPROTONOSUPPORT, "libmnl's failing socket() sets our errno");

	s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	check(s != NULL && mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) == 0 &&
		  mnl_socket_close(s) == 0,
	      "a route socket opens, binds and closes");

	/* an attribute two bytes long, validated as a u32: libmnl sets ERANGE itself */
	nlh = mnl_nlmsg_put_header(buf);
	mnl_attr_put(nlh, 1, 2, "xy");
	a = (struct nlattr *)((char *)nlh + NLMSG_HDRLEN);
	errno = 0;
	r = mnl_attr_validate(a, MNL_TYPE_U32);
	check(r < 0 && errno == ERANGE, "libmnl's own errno (ERANGE) reaches the caller");

	errno = 0;
	r = mnl_attr_parse(nlh, 0, callback_sets_ebadmsg, NULL);
	check(r < 0 && errno == EBADMSG, "an errno our callback set inside libmnl survives");

	errno = EALREADY;
	r = mnl_attr_validate(a, MNL_TYPE_U16);
	check(r == 0 && errno == EALREADY, "a call that succeeds leaves errno alone");

	return n_failed ? 1 : 0;
}
