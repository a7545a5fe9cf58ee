#define _GNU_SOURCE
#include "attach.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/crashpoint.h"
#include "../common/procfs.h"
#include "addr.h"

#define LOOPBACK_IFINDEX 1 /* fixed in every network namespace since Linux 3.7 */

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

void net_host_veth_name(const char *pod, unsigned gen, char buf[IFNAMSIZ])
{
	/* generation 0 is the plain hash: the name pods had before there were generations */
	uint64_t h = fnv1a(pod) ^ ((uint64_t)gen * 0x9e3779b97f4a7c15ULL);

	snprintf(buf, IFNAMSIZ, "hsk%012llx", (unsigned long long)(h & 0xffffffffffffULL));
}

int net_network_init(struct net_network *n, const char *name, const char *bridge,
		     const struct net_prefix *subnet, const struct net_prefix *subnet6,
		     struct rt_error *err)
{
	memset(n, 0, sizeof(*n));
	if (strlen(name) > NET_NAME_MAX)
		return rt_error_set(err, EINVAL, "network name `%s` is too long", name);
	if (strlen(bridge) >= IFNAMSIZ || bridge[0] == '\0')
		return rt_error_set(err, EINVAL, "bridge name `%s`: 1-%d characters", bridge,
				    IFNAMSIZ - 1);
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->bridge, sizeof(n->bridge), "%s", bridge);
	if (subnet->family != AF_INET)
		return rt_error_set(err, EINVAL, "network `%s`: --subnet must be IPv4", name);
	n->subnet = *subnet;
	net_prefix_mask(&n->subnet);
	if (net_prefix_size(&n->subnet) < 4)
		return rt_error_set(err, EINVAL, "network `%s`: subnet too small (at most /30)",
				    name);
	if (net_prefix_nth(&n->subnet, 1, &n->gateway, err) < 0)
		return -1;
	if (subnet6) {
		if (subnet6->family != AF_INET6 || subnet6->prefixlen > 120)
			return rt_error_set(err, EINVAL,
					    "network `%s`: --ipv6-subnet must be IPv6, /120 or "
					    "larger",
					    name);
		n->has_ipv6 = 1;
		n->subnet6 = *subnet6;
		net_prefix_mask(&n->subnet6);
		if (net_prefix_nth(&n->subnet6, 1, &n->gateway6, err) < 0)
			return -1;
	}
	return 0;
}

void net_ctx_close(struct net_ctx *c)
{
	int saved = errno;

	if (c->rtnl)
		nl_close(c->rtnl);
	if (c->nft)
		nl_close(c->nft);
	if (c->procfd >= 0)
		close(c->procfd);
	c->rtnl = c->nft = NULL;
	c->procfd = -1;
	errno = saved;
}

int net_ctx_rtnl(struct net_ctx *c, struct nl_sock **ret, struct rt_error *err)
{
	if (c->rtnl == NULL && nl_open(NETLINK_ROUTE, &c->rtnl, err) < 0)
		return -1;
	*ret = c->rtnl;
	return 0;
}

int net_ctx_nft(struct net_ctx *c, struct nl_sock **ret, struct rt_error *err)
{
	if (c->nft == NULL && nl_open(NETLINK_NETFILTER, &c->nft, err) < 0)
		return -1;
	*ret = c->nft;
	return 0;
}

static void bridge_mac(const char *bridge, unsigned char mac[NET_MAC_LEN])
{
	uint64_t h = fnv1a(bridge);

	for (int i = 0; i < NET_MAC_LEN; i++)
		mac[i] = (unsigned char)(h >> (8 * i));
	mac[0] = (unsigned char)((mac[0] & 0xfe) | 0x02);
}

int net_network_setup(struct net_ctx *c, const struct net_network *n, struct rt_error *err)
{
	unsigned char mac[NET_MAC_LEN];
	struct net_bridge_config bc = {n->bridge, n->mtu, mac};
	struct nl_sock *rtnl, *nft;
	int ifindex, created = 0, present;

	bridge_mac(n->bridge, mac);
	if (net_ctx_rtnl(c, &rtnl, err) < 0 || net_ctx_nft(c, &nft, err) < 0)
		return -1;
	if (net_bridge_ensure(rtnl, &bc, &ifindex, &created, err) < 0 ||
	    net_addr_add(rtnl, ifindex, &n->gateway, err) < 0 ||
	    (n->has_ipv6 && net_addr_add(rtnl, ifindex, &n->gateway6, err) < 0))
		goto fail;
	if (c->procfd < 0) {
		c->procfd = rt_procfs_open("/proc", err);
		if (c->procfd < 0)
			goto fail;
	}
	if (net_forwarding_enable(c->procfd, AF_INET, err) < 0 ||
	    (n->has_ipv6 && net_forwarding_enable(c->procfd, AF_INET6, err) < 0))
		goto fail;
	present = net_nft_network_present(nft, n->name, err);
	if (present < 0)
		goto fail;
	if (!present && (net_nft_ensure(nft, err) < 0 ||
			 net_nft_network_add(nft, n->name, &n->subnet,
					     n->has_ipv6 ? &n->subnet6 : NULL, n->bridge, err) < 0))
		goto fail;
	return 0;
fail:
	if (created) {
		/* do not leave a bridge behind that only this failed call wanted */
		struct rt_error ignored = RT_ERROR_INIT;
		net_link_delete(rtnl, n->bridge, 1, &ignored);
		rt_error_release(&ignored);
	}
	return rt_error_wrap(err, "set up network `%s`", n->name);
}

int net_network_teardown(struct net_ctx *c, const struct net_network *n, struct rt_error *err)
{
	struct nl_sock *rtnl, *nft;
	struct net_link_info info;

	if (net_ctx_rtnl(c, &rtnl, err) < 0 || net_ctx_nft(c, &nft, err) < 0)
		return -1;
	if (net_nft_network_remove(nft, n->name, err) < 0)
		return rt_error_wrap(err, "tear down network `%s`", n->name);
	if (net_link_get(rtnl, n->bridge, &info, err) < 0) {
		if (err->errnum != ENODEV)
			return rt_error_wrap(err, "tear down network `%s`", n->name);
		rt_error_release(err);
		return 0;
	}
	/* never delete somebody else's interface that happens to carry the name */
	if (strcmp(info.kind, "bridge") != 0)
		return 0;
	if (net_link_delete(rtnl, n->bridge, 1, err) < 0)
		return rt_error_wrap(err, "tear down network `%s`", n->name);
	return 0;
}

/* lo and eth0 up, addresses and default routes, through a socket opened inside the pod. */
static int configure_inside(const struct net_pod_config *p, struct rt_error *err)
{
	cleanup_nl_sock struct nl_sock *s = NULL;
	struct net_link_info eth;
	const struct net_network *n = p->net;

	if (nl_open_in_netns(NETLINK_ROUTE, p->netns_fd, &s, err) < 0)
		return -1;
	if (net_link_set_up(s, LOOPBACK_IFINDEX, err) < 0 ||
	    net_link_get(s, p->ifname, &eth, err) < 0 || net_link_set_up(s, eth.ifindex, err) < 0 ||
	    net_addr_add(s, eth.ifindex, &p->addr, err) < 0 ||
	    net_route_add_default(s, eth.ifindex, &n->gateway, err) < 0)
		return -1;
	if (n->has_ipv6 && (net_addr_add(s, eth.ifindex, &p->addr6, err) < 0 ||
			    net_route_add_default(s, eth.ifindex, &n->gateway6, err) < 0))
		return -1;
	return 0;
}

int net_pod_attach(struct net_ctx *c, const struct net_pod_config *p, struct rt_error *err)
{
	struct net_link_info br, host;
	struct nl_sock *rtnl, *nft;
	struct rt_error ignored = RT_ERROR_INIT;
	struct net_veth_config vc = {
	    .name = p->host_veth,
	    .peer_name = p->ifname,
	    .peer_netns_fd = p->netns_fd,
	    .mtu = p->net->mtu,
	    .peer_mac = p->mac,
	    .up = 1,
	};

	if (net_ctx_rtnl(c, &rtnl, err) < 0)
		return -1;
	if (net_link_get(rtnl, p->net->bridge, &br, err) < 0)
		return rt_error_wrap(err, "bridge of network `%s`", p->net->name);
	vc.master = br.ifindex;
	if (net_veth_create(rtnl, &vc, err) < 0) {
		/* The pair of an earlier pod of the same name, whose namespace the kernel is still
		 * tearing down or somebody still holds (see net_pod_detach).  Deleting it waits for
		 * the kernel's RCU barrier, so the caller rather tries another name first. */
		if (err->errnum != EEXIST || !p->replace_existing)
			return -1;
		rt_error_release(err);
		if (net_link_delete(rtnl, p->host_veth, 1, err) < 0 ||
		    net_veth_create(rtnl, &vc, err) < 0)
			return -1;
	}
	rt_crashpoint("net.veth");
	if (net_link_get(rtnl, p->host_veth, &host, err) < 0 ||
	    net_bridge_port_set_hairpin(rtnl, host.ifindex, 1, err) < 0 ||
	    configure_inside(p, err) < 0)
		goto undo_veth;
	if (p->nports) {
		if (net_ctx_nft(c, &nft, err) < 0 ||
		    net_nft_ports_add(nft, &p->addr, p->ports, p->nports, err) < 0)
			goto undo_veth;
	}
	return 0;
undo_veth:
	net_link_delete(rtnl, p->host_veth, 1, &ignored);
	rt_error_release(&ignored);
	return -1;
}

int net_pod_detach(struct net_ctx *c, const struct net_pod_config *p, struct rt_error *err)
{
	struct nl_sock *rtnl, *nft;

	if (p->nports) {
		if (net_ctx_nft(c, &nft, err) < 0 ||
		    net_nft_ports_remove(nft, &p->addr, p->ports, p->nports, err) < 0)
			return -1;
	}
	if (net_ctx_rtnl(c, &rtnl, err) < 0)
		return -1;
	if (p->delete_veth)
		return net_link_delete(rtnl, p->host_veth, 1, err);
	if (net_link_set_down_by_name(rtnl, p->host_veth, err) < 0) {
		if (err->errnum != ENODEV)
			return rt_error_wrap(err, "take the veth of the pod off its bridge");
		rt_error_release(err);
	}
	return 0;
}
