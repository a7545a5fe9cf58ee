/* Links over rtnetlink: bridges, veth pairs, bridge ports, deletion. */
#ifndef HUSK_NETNS_LINK_H
#define HUSK_NETNS_LINK_H

#include <net/if.h>

#include "nl.h"

#define NET_MAC_LEN    6
#define NET_MAC_STRLEN 18

struct net_link_info {
	int ifindex;
	unsigned flags; /* IFF_* */
	unsigned mtu;
	int master;    /* ifindex of the master (bridge), 0 for none */
	char kind[32]; /* "bridge", "veth", "" for a physical device */
	unsigned char mac[NET_MAC_LEN];
};

/* The mnl_cb_t of net_link_get: an RTM_NEWLINK answer into *(struct net_link_info *)data.
 * Exported for the fuzz target of netlink answers (tests/fuzz/fuzz_netlink.c). */
int net_link_parse_cb(const struct nlmsghdr *nlh, void *data);

/* Look up a link by name in the socket's namespace.  A missing link is -1 with ENODEV. */
int net_link_get(struct nl_sock *s, const char *name, struct net_link_info *ret,
		 struct rt_error *err);

int net_link_set_up(struct nl_sock *s, int ifindex, struct rt_error *err);
/* Down by name (no look-up first); a missing link is -1 with ENODEV. */
int net_link_set_down_by_name(struct nl_sock *s, const char *name, struct rt_error *err);
int net_link_set_mtu(struct nl_sock *s, int ifindex, unsigned mtu, struct rt_error *err);
int net_link_set_mac(struct nl_sock *s, int ifindex, const unsigned char mac[NET_MAC_LEN],
		     struct rt_error *err);

/* Delete link `name`; when missing_ok a link that is not there is success. */
int net_link_delete(struct nl_sock *s, const char *name, int missing_ok, struct rt_error *err);

struct net_bridge_config {
	const char *name;
	unsigned mtu;		  /* 0: kernel default */
	const unsigned char *mac; /* NULL: kernel's choice.  A fixed MAC stops the bridge from
				     taking a port's MAC, which changes as pods come and go. */
};

/* Make sure bridge c->name exists and is up (create it if missing).  A link of that name that
 * is not a bridge is an error (EEXIST).  *ret_created tells whether this call made it. */
int net_bridge_ensure(struct nl_sock *s, const struct net_bridge_config *c, int *ret_ifindex,
		      int *ret_created, struct rt_error *err);

struct net_veth_config {
	const char *name;      /* host end, in the socket's namespace */
	const char *peer_name; /* e.g. "eth0", created directly inside peer_netns_fd */
	int peer_netns_fd;
	int master;		       /* bridge ifindex to enslave the host end to, 0 for none */
	unsigned mtu;		       /* 0: default */
	const unsigned char *peer_mac; /* NULL: random */
	int up;			       /* bring the host end up at creation (the peer stays down) */
};

/* Create the pair in one request: the peer is born in its namespace with its final name, so
 * no rename and no move follow, and no other pod can see it on the way. */
int net_veth_create(struct nl_sock *s, const struct net_veth_config *c, struct rt_error *err);

/* Hairpin mode on a bridge port: a pod can reach itself through a published port. */
int net_bridge_port_set_hairpin(struct nl_sock *s, int ifindex, int on, struct rt_error *err);

void net_mac_format(const unsigned char mac[NET_MAC_LEN], char *buf, size_t len);
/* A random unicast, locally administered MAC. */
int net_mac_random(unsigned char mac[NET_MAC_LEN], struct rt_error *err);

#endif
