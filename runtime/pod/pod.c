#define _GNU_SOURCE
#include "pod.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/crashpoint.h"
#include "../../common/fsutil.h"
#include "../../common/jsonutil.h"
#include "../../common/timefmt.h"
#include "../../netns/attach.h"
#include "../../netns/ipam.h"

#define CNI_VERSION "1.0.0"
#define POD_IFNAME  "eth0"
#define MAX_PORTS   256
#define MAX_DNS	    8

static const char *const ns_names[] = {"net", "ipc", "uts"};

struct pod_state {
	char name[NET_NAME_MAX + 1];
	char network[NET_NAME_MAX + 1];
	char status[16]; /* "creating" until everything is in place, then "ready" */
	char hostname[HOST_NAME_MAX + 1];
	char created[40];
	char veth[IFNAMSIZ]; /* host end of the veth pair; "" when not known (old state) */
	int has_ip, has_ip6;
	struct net_prefix ip, ip6;
	unsigned char mac[NET_MAC_LEN];
	char *dns[MAX_DNS];
	size_t ndns;
	struct net_port_map ports[MAX_PORTS];
	size_t nports;
};

static void pod_state_clear(struct pod_state *st)
{
	for (size_t i = 0; i < st->ndns; i++)
		free(st->dns[i]);
	st->ndns = 0;
}
#define cleanup_pod_state __attribute__((cleanup(pod_state_clear)))

/* Pod and network names become directory and nft chain names. */
static int validate_name(const char *what, const char *name, struct rt_error *err)
{
	size_t len = strlen(name);

	if (len == 0 || len > NET_NAME_MAX)
		return rt_error_set(err, EINVAL, "invalid %s name `%s`: 1-%d characters", what,
				    name, NET_NAME_MAX);
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') ||
			 (p != name && (c == '_' || c == '-' || c == '.'));
		if (!ok)
			return rt_error_set(err, EINVAL,
					    "invalid %s name `%s`: letters, digits and _ . - (not "
					    "first) only",
					    what, name);
	}
	return 0;
}

/* The lock all pod and network changes take: it orders IPAM, port maps, the nft table's
 * lifetime and name checks between concurrent husk processes. */
static int lock_root(const char *root, struct rt_error *err)
{
	char path[PATH_MAX];
	cleanup_close int fd = -1;

	if (mkdir(root, 0711) < 0 && errno != EEXIST)
		return rt_error_set(err, errno, "create state root `%s`", root);
	snprintf(path, sizeof(path), "%s/pods.lock", root);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return rt_error_set(err, errno, "open `%s`", path);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return rt_error_set(err, errno, "lock `%s`", path);
	return TAKE_FD(fd);
}

static void pod_path(char *buf, size_t len, const char *root, const char *name, const char *file)
{
	snprintf(buf, len, "%s/pods/%s%s%s", root, name, file ? "/" : "", file ? file : "");
}

static void net_path(char *buf, size_t len, const char *root, const char *name, const char *file)
{
	snprintf(buf, len, "%s/networks/%s%s%s", root, name, file ? "/" : "", file ? file : "");
}

static int ensure_dir(const char *path, struct rt_error *err)
{
	if (mkdir(path, 0711) < 0 && errno != EEXIST)
		return rt_error_set(err, errno, "create directory `%s`", path);
	return 0;
}

static int write_json(const char *dir, const char *file, json_t *j, struct rt_error *err)
{
	cleanup_free char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (text == NULL)
		return rt_error_set(err, ENOMEM, "serialize `%s/%s`", dir, file);
	if (dfd < 0)
		return rt_error_set(err, errno, "open `%s`", dir);
	return rt_write_file_atomic_at(dfd, file, text, strlen(text), 0644, err);
}

/* Read the state file of the network or pod (what) called name: a missing file is one that
 * "does not exist". */
static int read_json(const char *path, const char *what, const char *name, json_t **ret,
		     struct rt_error *err)
{
	cleanup_free char *text = NULL;
	size_t len;

	if (rt_read_file_at(AT_FDCWD, path, &text, &len, err) < 0) {
		if (err->errnum == ENOENT) {
			rt_error_release(err);
			return rt_error_set(err, ENOENT, "%s `%s` does not exist", what, name);
		}
		return -1;
	}
	if (rt_json_load(text, len, ret, err) < 0)
		return rt_error_wrap(err, "`%s`", path);
	return 0;
}

/* --- networks ------------------------------------------------------------------------------ */

static json_t *network_json(const struct net_network *n)
{
	char subnet[NET_PREFIX_STRLEN], gw[NET_PREFIX_STRLEN];
	json_t *j;

	net_prefix_format(&n->subnet, subnet, sizeof(subnet));
	net_addr_format(&n->gateway, gw, sizeof(gw));
	j = json_pack("{s:s,s:s,s:s,s:s}", "name", n->name, "bridge", n->bridge, "subnet", subnet,
		      "gateway", gw);
	if (j && n->has_ipv6) {
		net_prefix_format(&n->subnet6, subnet, sizeof(subnet));
		net_addr_format(&n->gateway6, gw, sizeof(gw));
		json_object_set_new(j, "ipv6Subnet", json_string(subnet));
		json_object_set_new(j, "ipv6Gateway", json_string(gw));
	}
	return j;
}

static int network_load(const char *root, const char *name, struct net_network *ret,
			struct rt_error *err)
{
	char path[PATH_MAX];
	json_auto_t *j = NULL;
	const char *bridge = NULL, *subnet = NULL, *subnet6 = NULL;
	struct net_prefix s4, s6;

	net_path(path, sizeof(path), root, name, "network.json");
	if (read_json(path, "network", name, &j, err) < 0)
		return -1;
	if (rt_json_get_string(j, "bridge", NULL, &bridge, err) < 0 ||
	    rt_json_get_string(j, "subnet", NULL, &subnet, err) < 0 ||
	    rt_json_get_string(j, "ipv6Subnet", NULL, &subnet6, err) < 0)
		return rt_error_wrap(err, "`%s`", path);
	if (bridge == NULL || subnet == NULL)
		return rt_error_set(err, EINVAL, "`%s`: bridge and subnet are required", path);
	if (net_prefix_parse(subnet, &s4, err) < 0 ||
	    (subnet6 && net_prefix_parse(subnet6, &s6, err) < 0) ||
	    net_network_init(ret, name, bridge, &s4, subnet6 ? &s6 : NULL, err) < 0)
		return rt_error_wrap(err, "`%s`", path);
	return 0;
}

typedef int (*network_fn)(const struct net_network *n, void *ud, struct rt_error *err);

static int network_foreach(const char *root, network_fn fn, void *ud, struct rt_error *err)
{
	char path[PATH_MAX];
	cleanup_dir DIR *d = NULL;
	struct dirent *de;

	snprintf(path, sizeof(path), "%s/networks", root);
	d = opendir(path);
	if (d == NULL)
		return errno == ENOENT ? 0 : rt_error_set(err, errno, "open `%s`", path);
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct net_network n;
		if (de->d_name[0] == '.')
			continue;
		if (network_load(root, de->d_name, &n, err) < 0) {
			/* half-created by a crash (no network.json yet): not a network */
			if (err->errnum == ENOENT) {
				rt_error_release(err);
				continue;
			}
			return -1;
		}
		if (fn(&n, ud, err) < 0)
			return -1;
	}
	return 0;
}

struct overlap_ctx {
	const struct net_network *new;
};

static int check_overlap(const struct net_network *n, void *ud, struct rt_error *err)
{
	const struct net_network *new = ((struct overlap_ctx *)ud)->new;
	char a[NET_PREFIX_STRLEN], b[NET_PREFIX_STRLEN];

	if (strcmp(n->bridge, new->bridge) == 0)
		return rt_error_set(err, EEXIST, "bridge `%s` is already used by network `%s`",
				    new->bridge, n->name);
	if (net_prefix_overlaps(&n->subnet, &new->subnet) ||
	    (n->has_ipv6 && new->has_ipv6 &&net_prefix_overlaps(&n->subnet6, &new->subnet6))) {
		int v6 = !net_prefix_overlaps(&n->subnet, &new->subnet);
		net_prefix_format(v6 ? &new->subnet6 : &new->subnet, a, sizeof(a));
		net_prefix_format(v6 ? &n->subnet6 : &n->subnet, b, sizeof(b));
		return rt_error_set(err, EEXIST, "subnet %s overlaps subnet %s of network `%s`", a,
				    b, n->name);
	}
	return 0;
}

static int open_ipam(const char *root, const struct net_network *n, struct net_ipam **ret,
		     struct rt_error *err)
{
	char path[PATH_MAX];

	net_path(path, sizeof(path), root, n->name, NULL);
	return net_ipam_open(path, &n->subnet, &n->gateway, ret, err);
}

/* networks/NAME/bridge-kept: the network's bridge stays until network delete.  Made by network
 * create when the bridge was there before (not husk's to delete), and by the first pod create
 * that completes; until then a refused or killed first pod takes the bridge it made away
 * again (network_release_unused), and the host is as it was. */
#define BRIDGE_KEPT "bridge-kept"

static int bridge_kept(const char *root, const struct net_network *n)
{
	char path[PATH_MAX];

	net_path(path, sizeof(path), root, n->name, BRIDGE_KEPT);
	return access(path, F_OK) == 0;
}

static int bridge_keep(const char *root, const struct net_network *n, struct rt_error *err)
{
	char path[PATH_MAX];
	cleanup_close int fd = -1;

	net_path(path, sizeof(path), root, n->name, BRIDGE_KEPT);
	if (access(path, F_OK) == 0)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return rt_error_set(err, errno, "create `%s`", path);
	return 0;
}

static int network_create_locked(const char *root, const struct rt_network_create_opts *o,
				 struct net_network *ret, struct rt_error *err)
{
	char path[PATH_MAX], bridge[IFNAMSIZ];
	struct net_prefix s4, s6;
	struct overlap_ctx oc = {ret};
	json_auto_t *j = NULL;
	struct net_ctx ctx = NET_CTX_INIT;
	cleanup_ipam struct net_ipam *ipam = NULL;
	struct nl_sock *rtnl;
	struct net_link_info info;
	int r;

	if (validate_name("network", o->name, err) < 0)
		return -1;
	if (o->subnet == NULL)
		return rt_error_set(err, EINVAL, "network `%s`: --subnet is required", o->name);
	if (o->bridge)
		snprintf(bridge, sizeof(bridge), "%s", o->bridge);
	else if (strcmp(o->name, RT_POD_DEFAULT_NETWORK) == 0)
		snprintf(bridge, sizeof(bridge), "%s", RT_POD_DEFAULT_NETWORK);
	else if (strlen(o->name) <= IFNAMSIZ - 5)
		snprintf(bridge, sizeof(bridge), "hsk-%s", o->name);
	else
		return rt_error_set(err, EINVAL,
				    "network `%s`: name longer than %d characters, give --bridge",
				    o->name, IFNAMSIZ - 5);
	if (o->bridge && strlen(o->bridge) >= IFNAMSIZ)
		return rt_error_set(err, EINVAL, "bridge name `%s`: at most %d characters",
				    o->bridge, IFNAMSIZ - 1);
	if (net_prefix_parse(o->subnet, &s4, err) < 0 ||
	    (o->ipv6_subnet && net_prefix_parse(o->ipv6_subnet, &s6, err) < 0) ||
	    net_network_init(ret, o->name, bridge, &s4, o->ipv6_subnet ? &s6 : NULL, err) < 0)
		return rt_error_wrap(err, "network `%s`", o->name);
	net_path(path, sizeof(path), root, o->name, "network.json");
	if (access(path, F_OK) == 0)
		return rt_error_set(err, EEXIST, "network `%s` already exists", o->name);
	if (network_foreach(root, check_overlap, &oc, err) < 0)
		return -1;
	/* a bridge name taken by some other kind of interface would fail every pod create */
	if (net_ctx_rtnl(&ctx, &rtnl, err) < 0)
		return -1;
	r = net_link_get(rtnl, bridge, &info, err);
	net_ctx_close(&ctx);
	if (r == 0 && strcmp(info.kind, "bridge") != 0)
		return rt_error_set(err, EEXIST,
				    "network `%s`: interface `%s` exists and is not a "
				    "bridge",
				    o->name, bridge);
	if (r < 0) {
		if (err->errnum != ENODEV)
			return -1;
		rt_error_release(err);
	}
	snprintf(path, sizeof(path), "%s/networks", root);
	if (ensure_dir(path, err) < 0)
		return -1;
	net_path(path, sizeof(path), root, o->name, NULL);
	if (ensure_dir(path, err) < 0)
		return -1;
	/* the allocator is made with the network, so that a pod refused later leaves the
	 * network's directory as it found it */
	if (open_ipam(root, ret, &ipam, err) < 0 || (r == 0 && bridge_keep(root, ret, err) < 0))
		return -1;
	/* a crash here leaves a directory without network.json: no network, and network delete
	 * of the name removes it */
	rt_crashpoint("network.dir");
	j = network_json(ret);
	if (j == NULL)
		return rt_error_set(err, ENOMEM, "network `%s`", o->name);
	return write_json(path, "network.json", j, err);
}

int rt_network_create(struct rt_globals *g, const struct rt_network_create_opts *o,
		      struct rt_error *err)
{
	cleanup_lockfile int lock = lock_root(g->root, err);
	struct net_network n;

	if (lock < 0)
		return -1;
	return network_create_locked(g->root, o, &n, err);
}

/* The network a pod asks for; the default one is made on first use (*ret_made: by this call,
 * for the caller to remove again when the pod is refused). */
static int network_get(const char *root, const char *name, struct net_network *ret, int *ret_made,
		       struct rt_error *err)
{
	struct rt_network_create_opts o = {RT_POD_DEFAULT_NETWORK, RT_POD_DEFAULT_SUBNET, NULL,
					   NULL};

	*ret_made = 0;
	if (network_load(root, name ? name : RT_POD_DEFAULT_NETWORK, ret, err) == 0)
		return 0;
	if (err->errnum != ENOENT || (name && strcmp(name, RT_POD_DEFAULT_NETWORK) != 0))
		return -1;
	rt_error_release(err);
	if (network_create_locked(root, &o, ret, err) < 0)
		return -1;
	*ret_made = 1;
	return 0;
}

int rt_network_delete(struct rt_globals *g, const char *name, struct rt_error *err)
{
	cleanup_lockfile int lock = lock_root(g->root, err);
	cleanup_ipam struct net_ipam *ipam = NULL;
	cleanup_net_ctx struct net_ctx ctx = NET_CTX_INIT;
	struct net_network n;
	char path[PATH_MAX];
	unsigned count = 0;

	if (lock < 0 || validate_name("network", name, err) < 0)
		return -1;
	if (network_load(g->root, name, &n, err) < 0) {
		/* A network create killed before its record, or a delete killed while removing
		 * the directory (its bridge and rules went first): only the directory is left,
		 * and it owns nothing else.  Under the lock no create of the name is running. */
		net_path(path, sizeof(path), g->root, name, NULL);
		if (err->errnum != ENOENT || access(path, F_OK) < 0)
			return -1;
		rt_error_release(err);
		return rt_rmtree_at(AT_FDCWD, path, err);
	}
	if (open_ipam(g->root, &n, &ipam, err) < 0 || net_ipam_count(ipam, &count, err) < 0)
		return -1;
	if (count)
		return rt_error_set(err, EBUSY, "network `%s` is used by %u pod(s)", name, count);
	/* the rules and the bridge, then the directory (record, leases): a crash on the way
	 * leaves the record, and the next network delete finishes */
	if (net_network_teardown(&ctx, &n, err) < 0)
		return -1;
	rt_crashpoint("network.delete.rules");
	net_path(path, sizeof(path), g->root, name, NULL);
	return rt_rmtree_at(AT_FDCWD, path, err);
}

/* A list being written: a JSON array, or a table into a memory stream whose buffer (text) the
 * stream publishes when it is closed. */
struct list_ctx {
	json_t *array;
	FILE *out;
	char *text;
	size_t len;
};

/* Start the JSON array, or the table with its header line. */
static int list_start(struct list_ctx *l, int json, const char *what, const char *header,
		      struct rt_error *err)
{
	memset(l, 0, sizeof(*l));
	if (json)
		l->array = json_array();
	else
		l->out = open_memstream(&l->text, &l->len);
	if (json ? l->array == NULL : l->out == NULL)
		return rt_error_set(err, ENOMEM, "%s", what);
	if (!json)
		fputs(header, l->out);
	return 0;
}

static int list_network(const struct net_network *n, void *ud, struct rt_error *err)
{
	struct list_ctx *l = ud;
	char s4[NET_PREFIX_STRLEN], s6[NET_PREFIX_STRLEN] = "-";

	if (l->array)
		return json_array_append_new(l->array, network_json(n)) < 0
			   ? rt_error_set(err, ENOMEM, "network list")
			   : 0;
	net_prefix_format(&n->subnet, s4, sizeof(s4));
	if (n->has_ipv6)
		net_prefix_format(&n->subnet6, s6, sizeof(s6));
	fprintf(l->out, "%-20s %-15s %-18s %s\n", n->name, n->bridge, s4, s6);
	return 0;
}

static int list_finish(struct list_ctx *l, char **ret_text, struct rt_error *err)
{
	if (l->array) {
		*ret_text = json_dumps(l->array, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(l->array);
		if (*ret_text == NULL)
			return rt_error_set(err, ENOMEM, "serialize list");
		return 0;
	}
	/* open_memstream publishes the buffer on fclose */
	fclose(l->out);
	*ret_text = l->text;
	return *ret_text ? 0 : rt_error_set(err, ENOMEM, "list");
}

/* Drop a list that failed half way; err keeps the failure's message. */
static void list_abort(struct list_ctx *l)
{
	char *junk = NULL;
	struct rt_error e = RT_ERROR_INIT;

	list_finish(l, &junk, &e);
	rt_error_release(&e);
	free(junk);
}

int rt_network_list(struct rt_globals *g, int json, char **ret_text, struct rt_error *err)
{
	struct list_ctx l;
	char header[128];

	snprintf(header, sizeof(header), "%-20s %-15s %-18s %s\n", "NAME", "BRIDGE", "SUBNET",
		 "IPV6SUBNET");
	if (list_start(&l, json, "network list", header, err) < 0)
		return -1;
	if (network_foreach(g->root, list_network, &l, err) < 0) {
		list_abort(&l);
		return -1;
	}
	return list_finish(&l, ret_text, err);
}

/* --- pod state ------------------------------------------------------------------------------ */

static json_t *ports_json(const struct pod_state *st)
{
	json_t *ports = json_array();

	for (size_t i = 0; ports && i < st->nports; i++)
		json_array_append_new(ports,
				      json_pack("{s:i,s:i,s:s}", "hostPort", st->ports[i].host_port,
						"containerPort", st->ports[i].pod_port, "protocol",
						net_proto_name(st->ports[i].proto)));
	return ports;
}

static json_t *pod_state_json(const struct pod_state *st)
{
	char buf[NET_PREFIX_STRLEN], mac[NET_MAC_STRLEN];
	json_t *j =
	    json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", st->name, "network", st->network, "status",
		      st->status, "hostname", st->hostname, "created", st->created);
	json_t *dns = json_array(), *ports = ports_json(st);

	if (j == NULL || dns == NULL || ports == NULL) {
		json_decref(j);
		json_decref(dns);
		json_decref(ports);
		return NULL;
	}
	if (st->has_ip) {
		net_prefix_format(&st->ip, buf, sizeof(buf));
		json_object_set_new(j, "ip", json_string(buf));
		net_mac_format(st->mac, mac, sizeof(mac));
		json_object_set_new(j, "mac", json_string(mac));
	}
	if (st->has_ip6) {
		net_prefix_format(&st->ip6, buf, sizeof(buf));
		json_object_set_new(j, "ip6", json_string(buf));
	}
	if (st->veth[0])
		json_object_set_new(j, "hostVeth", json_string(st->veth));
	for (size_t i = 0; i < st->ndns; i++)
		json_array_append_new(dns, json_string(st->dns[i]));
	json_object_set_new(j, "dns", dns);
	json_object_set_new(j, "portMappings", ports);
	return j;
}

static int pod_state_write(const char *root, const struct pod_state *st, struct rt_error *err)
{
	char dir[PATH_MAX];
	json_auto_t *j = pod_state_json(st);

	if (j == NULL)
		return rt_error_set(err, ENOMEM, "pod `%s` state", st->name);
	pod_path(dir, sizeof(dir), root, st->name, NULL);
	return write_json(dir, "pod.json", j, err);
}

static int copy_str(json_t *j, const char *key, char *buf, size_t len, struct rt_error *err)
{
	const char *s = NULL;

	if (rt_json_get_string(j, key, NULL, &s, err) < 0)
		return -1;
	snprintf(buf, len, "%s", s ? s : "");
	return 0;
}

static int parse_mac(const char *s, unsigned char mac[NET_MAC_LEN])
{
	unsigned v[NET_MAC_LEN];

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < NET_MAC_LEN; i++)
		mac[i] = (unsigned char)v[i];
	return 0;
}

static int pod_state_parse(json_t *j, struct pod_state *st, struct rt_error *err)
{
	const char *ip = NULL, *ip6 = NULL, *mac = NULL;
	json_t *dns = NULL, *ports = NULL, *v;
	size_t i;

	memset(st, 0, sizeof(*st));
	if (copy_str(j, "name", st->name, sizeof(st->name), err) < 0 ||
	    copy_str(j, "network", st->network, sizeof(st->network), err) < 0 ||
	    copy_str(j, "status", st->status, sizeof(st->status), err) < 0 ||
	    copy_str(j, "hostname", st->hostname, sizeof(st->hostname), err) < 0 ||
	    copy_str(j, "created", st->created, sizeof(st->created), err) < 0 ||
	    copy_str(j, "hostVeth", st->veth, sizeof(st->veth), err) < 0 ||
	    rt_json_get_string(j, "ip", NULL, &ip, err) < 0 ||
	    rt_json_get_string(j, "ip6", NULL, &ip6, err) < 0 ||
	    rt_json_get_string(j, "mac", NULL, &mac, err) < 0 ||
	    rt_json_get_array(j, "dns", NULL, &dns, err) < 0 ||
	    rt_json_get_array(j, "portMappings", NULL, &ports, err) < 0)
		return -1;
	if (ip) {
		if (net_prefix_parse(ip, &st->ip, err) < 0)
			return -1;
		st->has_ip = 1;
	}
	if (ip6) {
		if (net_prefix_parse(ip6, &st->ip6, err) < 0)
			return -1;
		st->has_ip6 = 1;
	}
	if (mac && parse_mac(mac, st->mac) < 0)
		return rt_error_set(err, EINVAL, "mac: `%s` is not a MAC address", mac);
	json_array_foreach (dns, i, v) {
		if (st->ndns < MAX_DNS && json_is_string(v)) {
			if (rt_strdup(&st->dns[st->ndns], json_string_value(v), "pod state: dns",
				      err) < 0)
				return -1;
			st->ndns++;
		}
	}
	json_array_foreach (ports, i, v) {
		json_int_t hp = 0, cp = 0;
		const char *proto = "tcp";
		if (st->nports >= MAX_PORTS ||
		    json_unpack(v, "{s:I,s:I,s?s}", "hostPort", &hp, "containerPort", &cp,
				"protocol", &proto) < 0)
			return rt_error_set(err, EINVAL, "portMappings[%zu]: malformed", i);
		st->ports[st->nports].host_port = (uint16_t)hp;
		st->ports[st->nports].pod_port = (uint16_t)cp;
		st->ports[st->nports].proto = strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
		st->nports++;
	}
	return 0;
}

static int pod_state_read(const char *root, const char *name, struct pod_state *st,
			  struct rt_error *err)
{
	char path[PATH_MAX];
	json_auto_t *j = NULL;

	pod_path(path, sizeof(path), root, name, "pod.json");
	if (read_json(path, "pod", name, &j, err) < 0)
		return -1;
	if (pod_state_parse(j, st, err) < 0)
		return rt_error_wrap(err, "`%s`", path);
	return 0;
}

/* Member containers, sorted; NULL-terminated. */
static int pod_members(const char *root, const char *name, char ***ret, size_t *ret_n,
		       struct rt_error *err)
{
	char path[PATH_MAX];
	cleanup_dir DIR *d = NULL;
	cleanup_strv char **v = calloc(1, sizeof(char *));
	struct dirent *de;
	size_t n = 0;

	if (v == NULL)
		return rt_error_set(err, ENOMEM, "pod members");
	pod_path(path, sizeof(path), root, name, "containers");
	d = opendir(path);
	if (d == NULL && errno != ENOENT)
		return rt_error_set(err, errno, "open `%s`", path);
	while (d && (de = readdir(d)) != NULL) {
		char **nv;
		if (de->d_name[0] == '.')
			continue;
		nv = realloc(v, (n + 2) * sizeof(char *));
		if (nv == NULL)
			return rt_error_set(err, ENOMEM, "pod members");
		v = nv;
		v[n] = strdup(de->d_name);
		v[++n] = NULL;
		if (v[n - 1] == NULL)
			return rt_error_set(err, ENOMEM, "pod members");
	}
	*ret = TAKE_PTR(v);
	if (ret_n)
		*ret_n = n;
	return 0;
}

/* The state's veth name; state written before veth names had generations means generation 0. */
static void pod_veth_name(const struct pod_state *st, char veth[IFNAMSIZ])
{
	if (st->veth[0])
		snprintf(veth, IFNAMSIZ, "%s", st->veth);
	else
		net_host_veth_name(st->name, 0, veth);
}

/* One address of the pod in CNI's result (on interface 2, the pod's eth0) and its default
 * route through the network's gateway. */
static void cni_add_ip(json_t *ips, json_t *routes, const struct net_prefix *ip,
		       const struct net_prefix *gateway, const char *default_dst)
{
	char addr[NET_PREFIX_STRLEN], gw[NET_PREFIX_STRLEN];

	net_prefix_format(ip, addr, sizeof(addr));
	net_addr_format(gateway, gw, sizeof(gw));
	json_array_append_new(
	    ips, json_pack("{s:s,s:s,s:i}", "address", addr, "gateway", gw, "interface", 2));
	json_array_append_new(routes, json_pack("{s:s,s:s}", "dst", default_dst, "gw", gw));
}

/* The CNI result (plus husk's own members): what create prints and inspect shows. */
static int pod_result_json(const char *root, const struct pod_state *st, json_t **ret,
			   struct rt_error *err)
{
	char ns[3][PATH_MAX], mac[NET_MAC_STRLEN], veth[IFNAMSIZ];
	cleanup_strv char **members = NULL;
	struct net_network n;
	json_t *j, *ifs, *ips, *routes, *dns, *cs;

	if (network_load(root, st->network, &n, err) < 0)
		return -1;
	if (pod_members(root, st->name, &members, NULL, err) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		char rel[16];
		snprintf(rel, sizeof(rel), "ns/%s", ns_names[i]);
		pod_path(ns[i], sizeof(ns[i]), root, st->name, rel);
	}
	pod_veth_name(st, veth);
	net_mac_format(st->mac, mac, sizeof(mac));
	j = json_object();
	ifs = json_pack("[{s:s},{s:s},{s:s,s:s,s:s}]", "name", n.bridge, "name", veth, "name",
			POD_IFNAME, "mac", mac, "sandbox", ns[0]);
	ips = json_array();
	routes = json_array();
	dns = json_array();
	cs = json_array();
	if (j == NULL || ifs == NULL || ips == NULL || routes == NULL || dns == NULL ||
	    cs == NULL) {
		json_decref(j), json_decref(ifs), json_decref(ips), json_decref(routes);
		json_decref(dns), json_decref(cs);
		return rt_error_set(err, ENOMEM, "pod `%s` JSON", st->name);
	}
	json_object_set_new(j, "cniVersion", json_string(CNI_VERSION));
	json_object_set_new(j, "name", json_string(st->name));
	json_object_set_new(j, "interfaces", ifs);
	if (st->has_ip)
		cni_add_ip(ips, routes, &st->ip, &n.gateway, "0.0.0.0/0");
	if (st->has_ip6 && n.has_ipv6)
		cni_add_ip(ips, routes, &st->ip6, &n.gateway6, "::/0");
	json_object_set_new(j, "ips", ips);
	json_object_set_new(j, "routes", routes);
	for (size_t i = 0; i < st->ndns; i++)
		json_array_append_new(dns, json_string(st->dns[i]));
	json_object_set_new(j, "dns", json_pack("{s:o}", "nameservers", dns));
	json_object_set_new(j, "namespaces",
			    json_pack("{s:s,s:s,s:s}", "net", ns[0], "ipc", ns[1], "uts", ns[2]));
	json_object_set_new(j, "network", json_string(st->network));
	json_object_set_new(j, "hostname", json_string(st->hostname));
	json_object_set_new(j, "status", json_string(st->status));
	json_object_set_new(j, "created", json_string(st->created));
	json_object_set_new(j, "portMappings", ports_json(st));
	for (char **m = members; *m; m++)
		json_array_append_new(cs, json_string(*m));
	json_object_set_new(j, "containers", cs);
	*ret = j;
	return 0;
}

/* --- namespaces and /etc files -------------------------------------------------------------- */

static const int ns_types[] = {CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS};

struct ns_fds {
	int fd[3];
};

static void ns_fds_close(struct ns_fds *f)
{
	for (int i = 0; i < 3; i++)
		rt_closep(&f->fd[i]);
}
#define cleanup_ns_fds __attribute__((cleanup(ns_fds_close)))

/* In the new namespaces (this thread): the hostname, then each namespace bind-mounted onto
 * the file made for it, by fd, not onto a path resolved again. */
static int namespaces_hold(const struct ns_fds *targets, const char *name, const char *hostname,
			   int *ret_netfd, struct rt_error *err)
{
	char src[64], target[64];

	if (sethostname(hostname, strlen(hostname)) < 0)
		return rt_error_set(err, errno, "pod `%s`: set hostname `%s`", name, hostname);
	for (int i = 0; i < 3; i++) {
		snprintf(src, sizeof(src), "/proc/thread-self/ns/%s", ns_names[i]);
		rt_fd_path(targets->fd[i], target, sizeof(target));
		if (mount(src, target, NULL, MS_BIND, NULL) < 0)
			return rt_error_set(err, errno, "pod `%s`: bind-mount the %s namespace",
					    name, ns_names[i]);
	}
	*ret_netfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*ret_netfd < 0)
		return rt_error_set(err, errno, "pod `%s`: open its network namespace", name);
	return 0;
}

/* Make the mount points; unshare net, ipc and uts in this very thread, set the hostname,
 * bind-mount the new namespaces onto the files (what `ip netns add` does) and go back to the
 * original namespaces.  The mounts keep the namespaces alive without a pause process.  No
 * helper process: a fork and a wait cost a third of a pod create on a busy host.
 * *ret_netfd is the pod's network namespace. */
static int namespaces_create(const char *root, const char *name, const char *hostname,
			     int *ret_netfd, struct rt_error *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	cleanup_ns_fds struct ns_fds targets = {{-1, -1, -1}}, orig = {{-1, -1, -1}};
	int r;

	pod_path(dir, sizeof(dir), root, name, "ns");
	if (ensure_dir(dir, err) < 0)
		return -1;
	/* the three mounts live on a tmpfs of their own: pod delete detaches them in one unmount
	 * (each unmount waits for an RCU grace period, about half a millisecond here) */
	if (mount("husk-pod-ns", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0711,size=4k,nr_inodes=8") < 0)
		return rt_error_set(err, errno, "mount a tmpfs on `%s`", dir);
	for (int i = 0; i < 3; i++) {
		cleanup_close int fd = -1;
		snprintf(path, sizeof(path), "%s/%s", dir, ns_names[i]);
		fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
		if (fd < 0)
			return rt_error_set(err, errno, "create `%s`", path);
		targets.fd[i] = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
		if (targets.fd[i] < 0)
			return rt_error_set(err, errno, "open `%s`", path);
		snprintf(path, sizeof(path), "/proc/thread-self/ns/%s", ns_names[i]);
		orig.fd[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (orig.fd[i] < 0)
			return rt_error_set(err, errno, "open `%s`", path);
	}
	if (unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		return rt_error_set(err, errno, "pod `%s`: unshare net, ipc and uts namespaces",
				    name);
	r = namespaces_hold(&targets, name, hostname, ret_netfd, err);
	for (int i = 0; i < 3; i++) {
		int e;
		if (setns(orig.fd[i], ns_types[i]) == 0)
			continue;
		e = errno;
		/* Every later step would act on the pod's namespaces instead of the host's: the
		 * caller gives up, and its rollback (nothing else exists yet) only removes the
		 * mounts and the files. */
		if (r == 0) {
			rt_closep(ret_netfd);
			*ret_netfd = -1;
		} else {
			rt_error_release(err);
		}
		return rt_error_set(err, e, "pod `%s`: return to the original %s namespace", name,
				    ns_names[i]);
	}
	return r;
}

/* Unmount and remove the namespace files; whatever is missing is fine. */
static int namespaces_remove(const char *root, const char *name, struct rt_error *err)
{
	char path[PATH_MAX], rel[16];

	/* the tmpfs under them (namespaces_create) takes all three along */
	pod_path(path, sizeof(path), root, name, "ns");
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOENT)
		return rt_error_set(err, errno, "unmount `%s`", path);
	/* a failed create before the tmpfs was there */
	for (int i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "ns/%s", ns_names[i]);
		pod_path(path, sizeof(path), root, name, rel);
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL &&
		    errno != ENOENT)
			return rt_error_set(err, errno, "unmount `%s`", path);
	}
	return 0;
}

static int write_pod_file(const char *root, const char *name, const char *file, const char *text,
			  struct rt_error *err)
{
	char dir[PATH_MAX];
	cleanup_close int dfd = -1;

	pod_path(dir, sizeof(dir), root, name, NULL);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return rt_error_set(err, errno, "open `%s`", dir);
	return rt_write_file_atomic_at(dfd, file, text, strlen(text), 0644, err);
}

/* Host nameservers that a pod can use: loopback stubs (systemd-resolved) are unreachable
 * from the pod's namespace and are left out. */
static int host_nameservers(struct pod_state *st)
{
	cleanup_fclose FILE *f = fopen("/etc/resolv.conf", "re");
	char line[512], addr[256];

	while (f && st->ndns < MAX_DNS && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "nameserver %255s", addr) != 1)
			continue;
		if (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0)
			continue;
		st->dns[st->ndns] = strdup(addr);
		if (st->dns[st->ndns])
			st->ndns++;
	}
	return 0;
}

static int etc_files_write(const char *root, const struct pod_state *st, struct rt_error *err)
{
	char addr[NET_PREFIX_STRLEN], addr6[NET_PREFIX_STRLEN] = "";
	cleanup_free char *hosts = NULL, *hostname = NULL, *resolv = NULL;
	size_t len = 0;
	FILE *f;

	net_addr_format(&st->ip, addr, sizeof(addr));
	if (st->has_ip6)
		net_addr_format(&st->ip6, addr6, sizeof(addr6));
	if (asprintf(&hosts,
		     "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n"
		     "%s%s%s%s",
		     addr, st->hostname, addr6, addr6[0] ? "\t" : "", addr6[0] ? st->hostname : "",
		     addr6[0] ? "\n" : "") < 0 ||
	    asprintf(&hostname, "%s\n", st->hostname) < 0)
		return rt_error_set(err, ENOMEM, "pod `%s` /etc files", st->name);
	f = open_memstream(&resolv, &len);
	if (f == NULL)
		return rt_error_set(err, ENOMEM, "pod `%s` resolv.conf", st->name);
	for (size_t i = 0; i < st->ndns; i++)
		fprintf(f, "nameserver %s\n", st->dns[i]);
	fclose(f);
	if (write_pod_file(root, st->name, "hosts", hosts, err) < 0 ||
	    write_pod_file(root, st->name, "hostname", hostname, err) < 0 ||
	    write_pod_file(root, st->name, "resolv.conf", resolv ? resolv : "", err) < 0)
		return -1;
	return 0;
}

/* --- create / delete ---------------------------------------------------------------------- */

struct alive_ctx {
	const char *root;
};

/* IPAM liveness: a lease's owner exists while its pod directory does. */
static int pod_alive(const char *owner, void *ud)
{
	char path[PATH_MAX];

	pod_path(path, sizeof(path), ((struct alive_ctx *)ud)->root, owner, NULL);
	return access(path, F_OK) == 0;
}

static void pod_net_config(const struct net_network *n, const struct pod_state *st, int nsfd,
			   char veth[IFNAMSIZ], struct net_pod_config *ret)
{
	pod_veth_name(st, veth);
	memset(ret, 0, sizeof(*ret));
	ret->net = n;
	ret->netns_fd = nsfd;
	ret->host_veth = veth;
	ret->ifname = POD_IFNAME;
	ret->addr = st->ip;
	ret->addr6 = st->ip6;
	memcpy(ret->mac, st->mac, NET_MAC_LEN);
	ret->ports = st->ports;
	ret->nports = st->nports;
}

/* A network's masquerade rules are made for its first pod (net_network_setup) and go with its
 * last one, so that a refused or killed first pod leaves the rules as they were before it.
 * Its bridge is made for its first pod too, but stays from the first pod that was complete
 * (bridge_kept) until network delete: until then it goes with the last pod as well. */
static int network_release_unused(const char *root, struct net_ctx *ctx,
				  const struct net_network *n, struct rt_error *err)
{
	cleanup_ipam struct net_ipam *ipam = NULL;
	struct nl_sock *nft;
	unsigned count = 0;

	if (open_ipam(root, n, &ipam, err) < 0 || net_ipam_count(ipam, &count, err) < 0)
		return -1;
	if (count)
		return 0;
	if (!bridge_kept(root, n))
		return net_network_teardown(ctx, n, err);
	if (net_ctx_nft(ctx, &nft, err) < 0 || net_nft_network_remove(nft, n->name, err) < 0)
		return rt_error_wrap(err, "network `%s`", n->name);
	return 0;
}

/* With the last pod gone (but the one named going, whose directory goes last) nothing uses
 * the NAT table: remove it. */
static int nft_table_release(const char *root, struct net_ctx *ctx, const char *going,
			     struct rt_error *err)
{
	char path[PATH_MAX];
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	struct nl_sock *nft;

	snprintf(path, sizeof(path), "%s/pods", root);
	d = opendir(path);
	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strcmp(de->d_name, going) != 0)
			return 0;
	if (net_ctx_nft(ctx, &nft, err) < 0 || net_nft_table_delete(nft, err) < 0)
		return -1;
	/* every network's masquerade chain went with the table; pod create re-adds them */
	return 0;
}

/* Undo everything a pod may hold, in reverse order of create; each step tolerates its object
 * being gone already, so this finishes any interrupted create or delete.  The pod's directory
 * goes last: until then a crashed delete is found and finished by the next one, the network's
 * rules and the NAT table included.  The veth pair goes with the network namespace when its
 * bind mount is dropped (net_pod_detach); sync_veth deletes it here, for when that namespace
 * may be held elsewhere (--force). */
static int pod_teardown(const char *root, struct net_ctx *ctx, const struct pod_state *st,
			int sync_veth, struct rt_error *err)
{
	cleanup_ipam struct net_ipam *ipam = NULL;
	struct net_pod_config pc;
	struct net_network n;
	char veth[IFNAMSIZ], path[PATH_MAX];
	int have_net = network_load(root, st->network, &n, err) == 0;

	if (!have_net) {
		/* the network was deleted under us: nothing of it to undo */
		if (err->errnum != ENOENT)
			return -1;
		rt_error_release(err);
	}
	if (have_net) {
		pod_net_config(&n, st, -1, veth, &pc);
		if (!st->has_ip)
			pc.nports = 0; /* ports are only published once the address is known */
		pc.delete_veth = sync_veth;
		if (net_pod_detach(ctx, &pc, err) < 0)
			return rt_error_wrap(err, "pod `%s`", st->name);
		rt_crashpoint("pod.teardown.veth");
		/* --force without a state that names the veth: whichever generation it had */
		for (unsigned gen = 1; sync_veth && !st->veth[0] && gen < NET_VETH_GENERATIONS;
		     gen++) {
			net_host_veth_name(st->name, gen, veth);
			if (net_pod_detach(ctx, &pc, err) < 0)
				return rt_error_wrap(err, "pod `%s`", st->name);
		}
		if (open_ipam(root, &n, &ipam, err) < 0)
			return -1;
		if (st->has_ip ? net_ipam_release(ipam, &st->ip, st->name, err)
			       : net_ipam_release_owner(ipam, st->name, NULL, err))
			return rt_error_wrap(err, "pod `%s`", st->name);
		rt_crashpoint("pod.teardown.lease");
		if (network_release_unused(root, ctx, &n, err) < 0)
			return -1;
		rt_crashpoint("pod.teardown.rules");
	}
	if (namespaces_remove(root, st->name, err) < 0)
		return rt_error_wrap(err, "pod `%s`", st->name);
	if (nft_table_release(root, ctx, st->name, err) < 0)
		return -1;
	rt_crashpoint("pod.teardown.ns");
	pod_path(path, sizeof(path), root, st->name, NULL);
	if (rt_rmtree_at(AT_FDCWD, path, err) < 0 && err->errnum != ENOENT)
		return -1;
	rt_error_release(err);
	return 0;
}

/* The steps of a pod create after its state exists; each crash point sits after a step that
 * made something, before the state that lets pod delete find it is complete. */
static int pod_setup(const char *root, struct net_ctx *ctx, const struct rt_pod_create_opts *o,
		     struct pod_state *st, struct rt_error *err)
{
	cleanup_ipam struct net_ipam *ipam = NULL;
	struct alive_ctx alive = {root};
	struct net_network n;
	struct net_prefix req;
	struct net_pod_config pc;
	char veth[IFNAMSIZ];
	cleanup_close int nsfd = -1;

	if (network_load(root, st->network, &n, err) < 0)
		return -1;
	if (namespaces_create(root, st->name, st->hostname, &nsfd, err) < 0)
		return -1;
	rt_crashpoint("pod.ns");
	if (o->ip && net_addr_parse(o->ip, &req, err) < 0)
		return rt_error_wrap(err, "--ip");
	/* the lease exists before the address is configured anywhere */
	if (open_ipam(root, &n, &ipam, err) < 0 ||
	    net_ipam_allocate(ipam, st->name, o->ip ? &req : NULL, pod_alive, &alive, &st->ip,
			      err) < 0)
		return rt_error_wrap(err, "pod `%s`", st->name);
	rt_crashpoint("pod.lease");
	st->has_ip = 1;
	if (n.has_ipv6) {
		/* the IPv6 address mirrors the IPv4 lease's host offset: one lease covers both */
		if (net_prefix_nth(&n.subnet6, net_prefix_offset(&n.subnet, &st->ip), &st->ip6,
				   err) < 0)
			return -1;
		st->has_ip6 = 1;
	}
	net_host_veth_name(st->name, 0, st->veth);
	if (net_mac_random(st->mac, err) < 0 || pod_state_write(root, st, err) < 0)
		return -1;
	if (net_network_setup(ctx, &n, err) < 0)
		return -1;
	rt_crashpoint("pod.network");
	/* A pair under this name is most likely the one of an earlier pod of the same name,
	 * which the kernel is still destroying with its namespace: deleting it ourselves would
	 * wait that long, so take the next generation's name, and replace only with the last.
	 * The state names the veth before it exists, so that a crash leaves it findable. */
	for (unsigned gen = 1;; gen++) {
		pod_net_config(&n, st, nsfd, veth, &pc);
		pc.replace_existing = gen == NET_VETH_GENERATIONS;
		if (net_pod_attach(ctx, &pc, err) == 0)
			break;
		if (err->errnum != EEXIST || pc.replace_existing)
			return rt_error_wrap(err, "pod `%s`", st->name);
		rt_error_release(err);
		net_host_veth_name(st->name, gen, st->veth);
		if (pod_state_write(root, st, err) < 0)
			return -1;
	}
	rt_crashpoint("pod.veth");
	if (etc_files_write(root, st, err) < 0)
		return -1;
	rt_crashpoint("pod.etc");
	snprintf(st->status, sizeof(st->status), "ready");
	if (pod_state_write(root, st, err) < 0)
		return -1;
	/* a complete pod: from now on the network's bridge stays */
	return bridge_keep(root, &n, err);
}

static int pod_init_state(const struct rt_pod_create_opts *o, struct pod_state *st,
			  struct rt_error *err)
{
	struct net_prefix a;

	memset(st, 0, sizeof(*st));
	if (validate_name("pod", o->name, err) < 0)
		return -1;
	snprintf(st->name, sizeof(st->name), "%s", o->name);
	snprintf(st->network, sizeof(st->network), "%s",
		 o->network ? o->network : RT_POD_DEFAULT_NETWORK);
	snprintf(st->status, sizeof(st->status), "creating");
	if (o->hostname && (o->hostname[0] == '\0' || strlen(o->hostname) > HOST_NAME_MAX))
		return rt_error_set(err, EINVAL, "--hostname: 1-%d characters", HOST_NAME_MAX);
	snprintf(st->hostname, sizeof(st->hostname), "%s", o->hostname ? o->hostname : o->name);
	rt_time_rfc3339(0, st->created, sizeof(st->created));
	/* checked before anything is made: a refused create must not even make the network */
	if (o->ip && net_addr_parse(o->ip, &a, err) < 0)
		return rt_error_wrap(err, "--ip");
	if (o->nports > MAX_PORTS)
		return rt_error_set(err, E2BIG, "at most %d --publish", MAX_PORTS);
	for (size_t i = 0; i < o->nports; i++) {
		for (size_t k = 0; k < i; k++)
			if (o->ports[k].host_port == o->ports[i].host_port &&
			    o->ports[k].proto == o->ports[i].proto)
				return rt_error_set(err, EINVAL,
						    "--publish: host port %u/%s given "
						    "twice",
						    o->ports[i].host_port,
						    net_proto_name(o->ports[i].proto));
		st->ports[st->nports++] = o->ports[i];
	}
	if (o->ndns > MAX_DNS)
		return rt_error_set(err, E2BIG, "at most %d --dns", MAX_DNS);
	for (size_t i = 0; i < o->ndns; i++) {
		if (net_addr_parse(o->dns[i], &a, err) < 0)
			return rt_error_wrap(err, "--dns");
		st->dns[st->ndns] = strdup(o->dns[i]);
		if (st->dns[st->ndns++] == NULL)
			return rt_error_set(err, ENOMEM, "--dns");
	}
	if (o->ndns == 0)
		host_nameservers(st);
	return 0;
}

/* Under the lock, with the network there: the pod's directory, then its state, then what the
 * state names.  A refused create undoes all of it, the network's rules and a bridge made for
 * it included: the host is left as it was. */
static int pod_create_locked(const char *root, struct net_ctx *ctx,
			     const struct rt_pod_create_opts *o, struct pod_state *st,
			     struct rt_error *err)
{
	struct rt_error undo = RT_ERROR_INIT;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/pods", root);
	if (ensure_dir(path, err) < 0)
		return -1;
	pod_path(path, sizeof(path), root, st->name, NULL);
	if (mkdir(path, 0711) < 0)
		return errno == EEXIST
			   ? rt_error_set(err, EEXIST, "pod `%s` already exists", st->name)
			   : rt_error_set(err, errno, "create `%s`", path);
	rt_crashpoint("pod.dir");
	/* from here on the state file says which network to clean up after a crash */
	if (pod_state_write(root, st, err) == 0) {
		rt_crashpoint("pod.state");
		if (pod_setup(root, ctx, o, st, err) == 0)
			return 0;
	}
	if (pod_teardown(root, ctx, st, 0, &undo) < 0)
		rt_error_wrap(err, "(and undoing it failed: %s)", undo.msg);
	rt_error_release(&undo);
	return -1;
}

int rt_pod_create(struct rt_globals *g, const struct rt_pod_create_opts *o, char **ret_json,
		  struct rt_error *err)
{
	cleanup_lockfile int lock = -1;
	cleanup_pod_state struct pod_state st;
	cleanup_net_ctx struct net_ctx ctx = NET_CTX_INIT;
	json_auto_t *j = NULL;
	struct net_network n;
	int made_net = 0;

	if (pod_init_state(o, &st, err) < 0)
		return -1;
	lock = lock_root(g->root, err);
	if (lock < 0 || network_get(g->root, o->network, &n, &made_net, err) < 0)
		return -1;
	if (pod_create_locked(g->root, &ctx, o, &st, err) < 0) {
		/* the default network made for this pod alone goes with it (the undo removed the
		 * rules, and the bridge if it made that): its record and allocator */
		struct rt_error undo = RT_ERROR_INIT;
		char path[PATH_MAX];
		net_path(path, sizeof(path), g->root, n.name, NULL);
		if (made_net && rt_rmtree_at(AT_FDCWD, path, &undo) < 0)
			rt_error_wrap(err, "(and removing network `%s` failed: %s)", n.name,
				      undo.msg);
		rt_error_release(&undo);
		return -1;
	}
	if (pod_result_json(g->root, &st, &j, err) < 0)
		return -1;
	*ret_json = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	return *ret_json ? 0 : rt_error_set(err, ENOMEM, "pod `%s` JSON", st.name);
}

int rt_pod_inspect(struct rt_globals *g, const char *name, char **ret_json, struct rt_error *err)
{
	cleanup_pod_state struct pod_state st;
	json_auto_t *j = NULL;

	memset(&st, 0, sizeof(st));
	if (validate_name("pod", name, err) < 0 || pod_state_read(g->root, name, &st, err) < 0 ||
	    pod_result_json(g->root, &st, &j, err) < 0)
		return -1;
	*ret_json = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	return *ret_json ? 0 : rt_error_set(err, ENOMEM, "pod `%s` JSON", name);
}

int rt_pod_members(const char *root, const char *name, char ***ret, size_t *ret_n,
		   struct rt_error *err)
{
	if (validate_name("pod", name, err) < 0)
		return -1;
	return pod_members(root, name, ret, ret_n, err);
}

/* Under the pods lock, so no container joins between this check and the teardown. */
static int refuse_members(const char *root, const char *name, struct rt_error *err)
{
	cleanup_strv char **members = NULL;
	size_t n = 0;

	if (pod_members(root, name, &members, &n, err) < 0)
		return -1;
	if (n)
		return rt_error_set(
		    err, EBUSY,
		    "pod `%s` has %zu container(s) (first: `%s`): delete them or use "
		    "--force",
		    name, n, members[0]);
	return 0;
}

int rt_pod_delete(struct rt_globals *g, const char *name, int force, struct rt_error *err)
{
	cleanup_lockfile int lock = -1;
	cleanup_pod_state struct pod_state st;
	cleanup_net_ctx struct net_ctx ctx = NET_CTX_INIT;
	char path[PATH_MAX];

	memset(&st, 0, sizeof(st));
	if (validate_name("pod", name, err) < 0)
		return -1;
	lock = lock_root(g->root, err);
	if (lock < 0)
		return -1;
	pod_path(path, sizeof(path), g->root, name, NULL);
	if (access(path, F_OK) < 0)
		return rt_error_set(err, ENOENT, "pod `%s` does not exist", name);
	if (pod_state_read(g->root, name, &st, err) < 0) {
		if (err->errnum != ENOENT && !force)
			return -1;
		/* crashed before its first state write, or state unreadable under --force: the
		 * namespace mounts, the veth (named after the pod) and leases are found by name */
		rt_error_release(err);
		memset(&st, 0, sizeof(st));
		snprintf(st.name, sizeof(st.name), "%s", name);
		snprintf(st.network, sizeof(st.network), "%s", RT_POD_DEFAULT_NETWORK);
	}
	if (refuse_members(g->root, name, err) < 0)
		return -1;
	return pod_teardown(g->root, &ctx, &st, force, err);
}

static int list_pod(const char *root, const char *name, struct list_ctx *l, struct rt_error *err)
{
	cleanup_pod_state struct pod_state st;
	cleanup_strv char **members = NULL;
	char ip[NET_PREFIX_STRLEN] = "-";
	json_t *j = NULL;
	size_t n = 0;

	memset(&st, 0, sizeof(st));
	if (pod_state_read(root, name, &st, err) < 0) {
		if (err->errnum != ENOENT)
			return -1;
		rt_error_release(err); /* being created or deleted right now */
		return 0;
	}
	if (l->array) {
		if (pod_result_json(root, &st, &j, err) < 0)
			return -1;
		json_array_append_new(l->array, j);
		return 0;
	}
	if (pod_members(root, name, &members, &n, err) < 0)
		return -1;
	if (st.has_ip)
		net_addr_format(&st.ip, ip, sizeof(ip));
	fprintf(l->out, "%-24s %-16s %-16s %-9s %zu\n", st.name, st.network, ip, st.status, n);
	return 0;
}

int rt_pod_list(struct rt_globals *g, int json, char **ret_text, struct rt_error *err)
{
	struct list_ctx l;
	char path[PATH_MAX], header[128];
	cleanup_dir DIR *d = NULL;
	struct dirent *de;

	snprintf(header, sizeof(header), "%-24s %-16s %-16s %-9s %s\n", "NAME", "NETWORK", "IP",
		 "STATUS", "CONTAINERS");
	if (list_start(&l, json, "pod list", header, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/pods", g->root);
	d = opendir(path);
	if (d == NULL && errno != ENOENT) {
		rt_error_set(err, errno, "open `%s`", path);
		goto fail;
	}
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (list_pod(g->root, de->d_name, &l, err) < 0)
			goto fail;
	}
	return list_finish(&l, ret_text, err);
fail:
	list_abort(&l);
	return -1;
}

/* --- containers joining --------------------------------------------------------------------- */

void rt_pod_join_clear(struct rt_pod_join *j)
{
	free(j->netns), free(j->ipcns), free(j->utsns);
	free(j->hosts), free(j->hostname), free(j->resolv_conf);
	memset(j, 0, sizeof(*j));
}

static int pod_ready(const char *root, const char *name, struct rt_error *err)
{
	cleanup_pod_state struct pod_state st;

	memset(&st, 0, sizeof(st));
	if (validate_name("pod", name, err) < 0 || pod_state_read(root, name, &st, err) < 0)
		return -1;
	if (strcmp(st.status, "ready") != 0)
		return rt_error_set(err, EAGAIN, "pod `%s` is not ready (%s)", name, st.status);
	return 0;
}

int rt_pod_join_info(const char *root, const char *name, struct rt_pod_join *ret,
		     struct rt_error *err)
{
	char path[PATH_MAX];
	char **slots[] = {&ret->netns, &ret->ipcns,    &ret->utsns,
			  &ret->hosts, &ret->hostname, &ret->resolv_conf};
	const char *files[] = {"ns/net", "ns/ipc", "ns/uts", "hosts", "hostname", "resolv.conf"};

	memset(ret, 0, sizeof(*ret));
	if (pod_ready(root, name, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		pod_path(path, sizeof(path), root, name, files[i]);
		*slots[i] = strdup(path);
		if (*slots[i] == NULL) {
			rt_pod_join_clear(ret);
			return rt_error_set(err, ENOMEM, "pod `%s` paths", name);
		}
	}
	return 0;
}

int rt_pod_member_add(const char *root, const char *name, const char *container_id,
		      struct rt_error *err)
{
	cleanup_lockfile int lock = lock_root(root, err);
	cleanup_close int fd = -1;
	char path[PATH_MAX];

	/* under the lock: a pod delete cannot slip between the check and the record */
	if (lock < 0 || pod_ready(root, name, err) < 0)
		return -1;
	if (strchr(container_id, '/') || container_id[0] == '.')
		return rt_error_set(err, EINVAL, "invalid container id `%s`", container_id);
	pod_path(path, sizeof(path), root, name, "containers");
	if (ensure_dir(path, err) < 0)
		return -1;
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", container_id);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return rt_error_set(err, errno, "record container `%s` in pod `%s`", container_id,
				    name);
	return 0;
}

int rt_pod_member_remove(const char *root, const char *name, const char *container_id,
			 struct rt_error *err)
{
	char path[PATH_MAX];

	if (validate_name("pod", name, err) < 0)
		return -1;
	if (container_id == NULL)
		return rt_error_set(err, EINVAL, "pod `%s`: no container id to forget", name);
	if (strchr(container_id, '/') || container_id[0] == '.')
		return rt_error_set(err, EINVAL, "invalid container id `%s`", container_id);
	snprintf(path, sizeof(path), "%s/pods/%s/containers/%s", root, name, container_id);
	if (unlink(path) < 0 && errno != ENOENT)
		return rt_error_set(err, errno, "forget container `%s` of pod `%s`", container_id,
				    name);
	return 0;
}
