/* husk's nftables rules, programmed with libnftnl batches over the netlink core.
 *
 *   table inet husk {
 *     map ports { type inet_proto . inet_service : ipv4_addr . inet_service }
 *     chain prerouting  { type nat hook prerouting priority -100;
 *                         fib daddr type local meta nfproto ipv4
 *                         dnat ip to meta l4proto . th dport map @ports }
 *     chain output      { type nat hook output priority -100; (the same rule, for connections
 *                         the host itself opens to one of its addresses) }
 *     chain postrouting { type nat hook postrouting priority 100;
 *                         jump net-NAME comment "net-NAME" ... one per network }
 *     chain net-NAME    { ip saddr SUBNET oifname != BRIDGE masquerade (and ip6)
 *                         ip saddr SUBNET oifname BRIDGE ct status dnat masquerade }
 *   }
 * A published port is one map element: adding it is O(1) whatever the number of pods, the
 * kernel refuses a host port that is already in the map (no check-then-add race), and
 * removing it touches nothing else.  Every change is one atomic batch. */
#ifndef HUSK_NETNS_NFT_H
#define HUSK_NETNS_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "nl.h"
#include "prefix.h"

#define NET_NFT_TABLE "husk"

struct net_port_map {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t host_port;
	uint16_t pod_port;
};

/* Parse "HOSTPORT:PODPORT[/tcp|udp]". */
int net_port_map_parse(const char *s, struct net_port_map *ret, struct rt_error *err);
const char *net_proto_name(uint8_t proto);

/* The sockets are NETLINK_NETFILTER sockets (nl_open). */

/* Create the table with its chains, map and DNAT rules unless it exists. */
int net_nft_ensure(struct nl_sock *s, struct rt_error *err);

/* Masquerade traffic from the network's subnets (subnet6 may be NULL) that leaves through
 * another interface than its bridge.  Idempotent. */
int net_nft_network_add(struct nl_sock *s, const char *network, const struct net_prefix *subnet,
			const struct net_prefix *subnet6, const char *bridge, struct rt_error *err);
/* Whether the network's chain exists (1) or not (0).  net_nft_network_add() creates the chain
 * in the same atomic batch as its rules and the jump to it, and net_nft_ensure() the table in
 * one batch with everything else: an existing chain means all of it is there.  One read
 * instead of two batches that the kernel would abort with EEXIST on every pod create. */
int net_nft_network_present(struct nl_sock *s, const char *network, struct rt_error *err);
/* Remove the network's rules; nothing there is success. */
int net_nft_network_remove(struct nl_sock *s, const char *network, struct rt_error *err);

/* Publish host ports to pod (IPv4): all or none.  A host port already in the map is -1 with
 * EADDRINUSE and a message naming it. */
int net_nft_ports_add(struct nl_sock *s, const struct net_prefix *pod,
		      const struct net_port_map *maps, size_t n, struct rt_error *err);
/* Withdraw those of maps that point to pod (a port re-published to another pod meanwhile is
 * left alone); missing ones are fine. */
int net_nft_ports_remove(struct nl_sock *s, const struct net_prefix *pod,
			 const struct net_port_map *maps, size_t n, struct rt_error *err);

/* Delete the whole table; a missing table is success. */
int net_nft_table_delete(struct nl_sock *s, struct rt_error *err);

#endif
