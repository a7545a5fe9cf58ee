/* Pods: network, IPC and UTS namespaces that outlive their containers, held by bind mounts
 * under <root>/pods/<name>/ns/ (no pause process), with an address on a network's bridge.
 *
 *   <root>/pods.lock                  flock()ed by every pod and network change
 *   <root>/pods/<name>/pod.json       state, replaced atomically
 *   <root>/pods/<name>/ns/{net,ipc,uts}
 *   <root>/pods/<name>/{hosts,hostname,resolv.conf}
 *   <root>/pods/<name>/containers/<id>  one empty file per member container
 *   <root>/networks/<name>/network.json, ipam.lock, leases/   (netns/ipam.h)
 */
#ifndef HUSK_RUNTIME_POD_H
#define HUSK_RUNTIME_POD_H

#include <stddef.h>

#include "../../common/error.h"
#include "../../netns/nft.h"
#include "../context.h"
#include "../spec/spec.h"

#define RT_POD_DEFAULT_NETWORK "husk0"
#define RT_POD_DEFAULT_SUBNET  "10.88.0.0/16"

struct rt_pod_create_opts {
	const char *name;
	const char *network;  /* NULL: the default network, created on first use */
	const char *ip;	      /* NULL: next free address */
	const char *hostname; /* NULL: the pod name */
	const char **dns;     /* NULL or ndns nameserver addresses */
	size_t ndns;
	const struct net_port_map *ports;
	size_t nports;
};

/* Create the pod; *ret_json (heap) is its CNI-result-shaped JSON.  Any failure undoes all. */
int rt_pod_create(struct rt_globals *g, const struct rt_pod_create_opts *o, char **ret_json,
		  struct rt_error *err);
int rt_pod_inspect(struct rt_globals *g, const char *name, char **ret_json, struct rt_error *err);
/* Refuses (EBUSY) while member containers are recorded: `pod delete --force` deletes them from
 * the command layer first (a pod never calls into a container).  force also completes the
 * removal of a pod whose create or delete was interrupted, or whose state is unreadable. */
int rt_pod_delete(struct rt_globals *g, const char *name, int force, struct rt_error *err);
/* Table (NAME NETWORK IP CONTAINERS) or a JSON array of the inspect objects. */
int rt_pod_list(struct rt_globals *g, int json, char **ret_text, struct rt_error *err);

struct rt_network_create_opts {
	const char *name;
	const char *subnet;	 /* IPv4 CIDR */
	const char *bridge;	 /* NULL: "hsk-<name>" (husk0 for the default network) */
	const char *ipv6_subnet; /* NULL: IPv4 only */
};
int rt_network_create(struct rt_globals *g, const struct rt_network_create_opts *o,
		      struct rt_error *err);
/* Refuses (EBUSY) while pods use the network. */
int rt_network_delete(struct rt_globals *g, const char *name, struct rt_error *err);
int rt_network_list(struct rt_globals *g, int json, char **ret_text, struct rt_error *err);

/* What a container joining the pod needs: the namespaces to setns into and the files to
 * bind-mount on /etc/hosts, /etc/hostname and /etc/resolv.conf. */
struct rt_pod_join {
	char *netns, *ipcns, *utsns;
	char *hosts, *hostname, *resolv_conf;
};
void rt_pod_join_clear(struct rt_pod_join *j);
int rt_pod_join_info(const char *root, const char *name, struct rt_pod_join *ret,
		     struct rt_error *err);
/* Make the container join the pod's net, ipc and uts namespaces and see the pod's /etc/hosts,
 * /etc/hostname and /etc/resolv.conf; the bundle's config.json on disk is not touched.  The
 * pod's hostname wins over the spec's (the uts namespace is the pod's).  pod_join.c. */
int rt_pod_apply(const struct rt_globals *g, const char *pod, struct rt_spec *spec,
		 struct rt_error *err);

/* The ids of the recorded member containers (*ret NULL-terminated, heap); none for a pod
 * that does not exist. */
int rt_pod_members(const char *root, const char *name, char ***ret, size_t *ret_n,
		   struct rt_error *err);
/* Record / forget a member container (pod delete refuses while members exist). */
int rt_pod_member_add(const char *root, const char *name, const char *container_id,
		      struct rt_error *err);
int rt_pod_member_remove(const char *root, const char *name, const char *container_id,
			 struct rt_error *err);

#endif
