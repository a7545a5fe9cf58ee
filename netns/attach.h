/* A network (bridge + subnets + NAT) and a pod's attachment to it (veth + addresses + routes +
 * published ports): the operations the pod commands compose, each undone on failure. */
#ifndef HUSK_NETNS_ATTACH_H
#define HUSK_NETNS_ATTACH_H

#include <net/if.h>
#include <stddef.h>

#include "link.h"
#include "nft.h"
#include "prefix.h"

#define NET_NAME_MAX 64

struct net_network {
	char name[NET_NAME_MAX + 1];
	char bridge[IFNAMSIZ];
	struct net_prefix subnet;  /* masked */
	struct net_prefix gateway; /* the bridge's address, with the subnet's prefix length */
	int has_ipv6;
	struct net_prefix subnet6, gateway6;
	unsigned mtu; /* 0: 1500 */
};

/* Fill gateway(s) with the first host address of the subnet(s) and mask them.  subnet6 may
 * be NULL. */
int net_network_init(struct net_network *n, const char *name, const char *bridge,
		     const struct net_prefix *subnet, const struct net_prefix *subnet6,
		     struct rt_error *err);

/* The handles one command needs; each is opened on first use and closed together. */
struct net_ctx {
	struct nl_sock *rtnl; /* host namespace */
	struct nl_sock *nft;
	int procfd;
};
#define NET_CTX_INIT           \
	{                      \
		NULL, NULL, -1 \
	}
void net_ctx_close(struct net_ctx *c);
#define cleanup_net_ctx __attribute__((cleanup(net_ctx_close)))
int net_ctx_rtnl(struct net_ctx *c, struct nl_sock **ret, struct rt_error *err);
int net_ctx_nft(struct net_ctx *c, struct nl_sock **ret, struct rt_error *err);

/* Bridge up with its gateway addresses, forwarding on, NAT table and the network's masquerade
 * rules.  Idempotent: called by every pod create, it also repairs what a reboot or an
 * administrator removed. */
int net_network_setup(struct net_ctx *c, const struct net_network *n, struct rt_error *err);
/* Remove the network's masquerade rules and its bridge (only if it is a bridge). */
int net_network_teardown(struct net_ctx *c, const struct net_network *n, struct rt_error *err);

struct net_pod_config {
	const struct net_network *net;
	int netns_fd;		 /* the pod's network namespace */
	const char *host_veth;	 /* see net_host_veth_name() */
	const char *ifname;	 /* inside the pod, "eth0" */
	struct net_prefix addr;	 /* with the subnet's prefix length */
	struct net_prefix addr6; /* when net->has_ipv6 */
	unsigned char mac[NET_MAC_LEN];
	const struct net_port_map *ports;
	size_t nports;
	int delete_veth;      /* net_pod_detach: delete the host veth synchronously */
	int replace_existing; /* net_pod_attach: a link named host_veth is deleted, not EEXIST */
};

/* veth pair (peer born in the pod's namespace), bridge port with hairpin, lo and eth0 up,
 * addresses, default routes, published ports.  On failure everything it made is undone.  A
 * link that already has the name host_veth fails it with EEXIST, unless replace_existing. */
int net_pod_attach(struct net_ctx *c, const struct net_pod_config *p, struct rt_error *err);
/* Withdraw the ports and take the host veth down, so that a namespace somebody else still
 * holds can no longer use the address that is about to be freed.  The pair itself goes when
 * the caller drops the pod's network namespace: the kernel destroys it with the namespace, off
 * our path (RTM_DELLINK waits for an RCU barrier, 15-30 ms, the biggest cost of a pod delete).
 * With delete_veth set the veth is deleted here instead.  Whatever is already gone is fine,
 * so this also cleans up after a crash half-way through attach. */
int net_pod_detach(struct net_ctx *c, const struct net_pod_config *p, struct rt_error *err);

/* Host end name of a pod's veth: "hsk" + 12 hex digits of a hash of the pod name and a
 * generation, so that it can be found again from the name alone after a crash.  A pod
 * re-created under its old name while the kernel still tears down the old pair (which takes
 * tens of milliseconds after the namespace is dropped) takes the next generation's name. */
#define NET_VETH_GENERATIONS 8
void net_host_veth_name(const char *pod, unsigned gen, char buf[IFNAMSIZ]);

#endif
