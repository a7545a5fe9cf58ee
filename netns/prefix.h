/* IPv4/IPv6 addresses and prefixes: parsing, formatting and the arithmetic IPAM needs. */
#ifndef HUSK_NETNS_PREFIX_H
#define HUSK_NETNS_PREFIX_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"

/* "ffff:...:ffff/128" */
#define NET_PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)

/* An address with a prefix length.  A bare address has prefixlen 32 or 128. */
struct net_prefix {
	int family; /* AF_INET or AF_INET6 */
	unsigned prefixlen;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		unsigned char bytes[16];
	} addr;
};

static inline size_t net_prefix_addrlen(const struct net_prefix *p)
{
	return p->family == AF_INET ? 4 : 16;
}

/* "10.88.0.0/16", "fd00::/64"; a missing "/len" means a host address.  Host bits are kept:
 * "10.88.0.2/16" is the address 10.88.0.2 on a /16. */
int net_prefix_parse(const char *s, struct net_prefix *ret, struct rt_error *err);
/* Like net_prefix_parse but refuses "/len". */
int net_addr_parse(const char *s, struct net_prefix *ret, struct rt_error *err);

/* "10.88.0.2/16" and "10.88.0.2". */
void net_prefix_format(const struct net_prefix *p, char *buf, size_t len);
void net_addr_format(const struct net_prefix *p, char *buf, size_t len);

/* Clear the host bits. */
void net_prefix_mask(struct net_prefix *p);
int net_prefix_equal_addr(const struct net_prefix *a, const struct net_prefix *b);
/* Whether addr lies inside prefix p (same family). */
int net_prefix_contains(const struct net_prefix *p, const struct net_prefix *addr);
int net_prefix_overlaps(const struct net_prefix *a, const struct net_prefix *b);

/* Number of host offsets in p, saturated at 2^63 for large IPv6 prefixes. */
uint64_t net_prefix_size(const struct net_prefix *p);
/* The address at host offset n of p (network address + n) with p's prefixlen. */
int net_prefix_nth(const struct net_prefix *p, uint64_t n, struct net_prefix *ret,
		   struct rt_error *err);
/* Host offset of addr inside p (addr must be inside p; large IPv6 offsets are truncated to
 * their low 64 bits). */
uint64_t net_prefix_offset(const struct net_prefix *p, const struct net_prefix *addr);

#endif
