/* IP address management: a persistent allocator per network, one lease file per address.
 *
 * Layout under the directory the caller gives (the runtime passes <root>/networks/<name>/):
 *   ipam.lock         flock()ed for every operation; holds the next-fit cursor (a hint only)
 *   leases/<address>  one file per leased address, created O_EXCL, containing its owner
 * The lease exists before the address is configured anywhere, so a crash at any point leaves at
 * worst a lease whose owner never came to be: net_ipam_reclaim() (given a liveness callback)
 * frees those, and net_ipam_allocate() calls it by itself before declaring the subnet full.
 * Allocation starts after the last one (next fit) and costs one O_EXCL create while the subnet
 * is not nearly full, however many leases exist. */
#ifndef HUSK_NETNS_IPAM_H
#define HUSK_NETNS_IPAM_H

#include <stddef.h>

#include "../common/cleanup.h"
#include "prefix.h"

struct net_ipam;

/* Whether owner (a pod name) still exists: 1 yes, 0 no (its leases may be reclaimed). */
typedef int (*net_ipam_alive_fn)(const char *owner, void *userdata);

/* Open (creating what is missing) the allocator of subnet in dir; gateway (inside subnet) is
 * never handed out, nor are the network and (IPv4) broadcast addresses. */
int net_ipam_open(const char *dir, const struct net_prefix *subnet,
		  const struct net_prefix *gateway, struct net_ipam **ret, struct rt_error *err);
void net_ipam_close(struct net_ipam *ipam);
DEFINE_CLEANUP_FUNC(struct net_ipam *, net_ipam_close)
#define cleanup_ipam __attribute__((cleanup(net_ipam_closep)))

/* Lease an address to owner: `request` (a bare address) if given, else the next free one.
 * Errors: EADDRNOTAVAIL for a request outside the subnet or reserved, EADDRINUSE for a
 * request leased to a live owner, ENOSPC when the subnet is exhausted.  alive may be NULL
 * (then no lease is ever reclaimed).  *ret has the subnet's prefix length. */
int net_ipam_allocate(struct net_ipam *ipam, const char *owner, const struct net_prefix *request,
		      net_ipam_alive_fn alive, void *userdata, struct net_prefix *ret,
		      struct rt_error *err);

/* Free addr's lease; if owner is not NULL only when owner holds it.  Freeing an address that
 * is not leased is success (delete is idempotent). */
int net_ipam_release(struct net_ipam *ipam, const struct net_prefix *addr, const char *owner,
		     struct rt_error *err);

/* Owner of addr's lease into buf; -1 with ENOENT when addr is free. */
int net_ipam_owner(struct net_ipam *ipam, const struct net_prefix *addr, char *buf, size_t len,
		   struct rt_error *err);

/* Free every lease whose owner is not alive (walks all leases: for repair, not the hot path). */
int net_ipam_reclaim(struct net_ipam *ipam, net_ipam_alive_fn alive, void *userdata,
		     unsigned *ret_count, struct rt_error *err);

/* Free every lease held by owner (repair of a pod whose state lost track of its address), and
 * every empty lease: one that a process killed half-way through allocating left. */
int net_ipam_release_owner(struct net_ipam *ipam, const char *owner, unsigned *ret_count,
			   struct rt_error *err);

/* Number of leases (walks the lease directory). */
int net_ipam_count(struct net_ipam *ipam, unsigned *ret_count, struct rt_error *err);

#endif
