/* Addresses, routes and forwarding over rtnetlink and procfs. */
#ifndef HUSK_NETNS_ADDR_H
#define HUSK_NETNS_ADDR_H

#include "nl.h"
#include "prefix.h"

/* Add (or refresh) addr/prefixlen on ifindex.  IPv6 addresses skip duplicate address
 * detection: the allocator already guarantees uniqueness and DAD would hold the address
 * "tentative" (unusable) for a second or more. */
int net_addr_add(struct nl_sock *s, int ifindex, const struct net_prefix *addr,
		 struct rt_error *err);

/* Default route of gw's family through gw on ifindex (replaces an existing one). */
int net_route_add_default(struct nl_sock *s, int ifindex, const struct net_prefix *gw,
			  struct rt_error *err);

/* net.ipv4.ip_forward=1 (AF_INET) or net.ipv6.conf.all.forwarding=1 (AF_INET6) for the network
 * namespace the procfs handle was opened in, written only when not already on. */
int net_forwarding_enable(int procfd, int family, struct rt_error *err);

#endif
