#define _GNU_SOURCE
#include "link.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static struct nlmsghdr *put_link_msg(char *buf, uint16_t type, uint16_t flags, unsigned char family,
				     int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = family;
	ifi->ifi_index = ifindex;
	return nlh;
}

static int check_ifname(const char *name, struct rt_error *err)
{
	size_t n = strlen(name);

	if (n == 0 || n >= IFNAMSIZ || strchr(name, '/') || strpbrk(name, " \t\n:"))
		return rt_error_set(err, EINVAL,
				    "`%s`: invalid interface name (1-%d characters, no "
				    "'/', ':' or spaces)",
				    name, IFNAMSIZ - 1);
	return 0;
}

/* A request about the link called name (checked first: the kernel's answer to a bad name is
 * less clear than ours), or NULL with err. */
static struct nlmsghdr *put_named_link_msg(char *buf, uint16_t type, const char *name,
					   struct rt_error *err)
{
	struct nlmsghdr *nlh;

	if (check_ifname(name, err) < 0)
		return NULL;
	nlh = put_link_msg(buf, type, 0, AF_UNSPEC, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

static int linkinfo_attr(const struct nlattr *a, void *data)
{
	struct net_link_info *info = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
		snprintf(info->kind, sizeof(info->kind), "%.*s",
			 (int)strnlen(mnl_attr_get_str(a), mnl_attr_get_payload_len(a)),
			 mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static int link_attr(const struct nlattr *a, void *data)
{
	struct net_link_info *info = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_MTU:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			info->mtu = mnl_attr_get_u32(a);
		break;
	case IFLA_MASTER:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			info->master = (int)mnl_attr_get_u32(a);
		break;
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(a) == NET_MAC_LEN)
			memcpy(info->mac, mnl_attr_get_payload(a), NET_MAC_LEN);
		break;
	case IFLA_LINKINFO: mnl_attr_parse_nested(a, linkinfo_attr, info); break;
	}
	return MNL_CB_OK;
}

int net_link_parse_cb(const struct nlmsghdr *nlh, void *data)
{
	struct net_link_info *info = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi))) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	memset(info, 0, sizeof(*info));
	info->ifindex = ifi->ifi_index;
	info->flags = ifi->ifi_flags;
	return mnl_attr_parse(nlh, sizeof(*ifi), link_attr, info);
}

int net_link_get(struct nl_sock *s, const char *name, struct net_link_info *ret,
		 struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_named_link_msg(buf, RTM_GETLINK, name, err);

	if (nlh == NULL)
		return -1;
	/* skip the statistics and VF lists we would throw away */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	memset(ret, 0, sizeof(*ret));
	if (nl_request(s, nlh, net_link_parse_cb, ret, err) < 0)
		return rt_error_wrap(err, "look up link `%s`", name);
	if (ret->ifindex <= 0)
		return rt_error_set(err, ENODEV, "look up link `%s`: no answer", name);
	return 0;
}

static int set_link(struct nl_sock *s, int ifindex, struct nlmsghdr *nlh, const char *what,
		    struct rt_error *err)
{
	if (nl_request(s, nlh, NULL, NULL, err) < 0)
		return rt_error_wrap(err, "set %s of link %d", what, ifindex);
	return 0;
}

int net_link_set_up(struct nl_sock *s, int ifindex, struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_link_msg(buf, RTM_NEWLINK, 0, AF_UNSPEC, ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return set_link(s, ifindex, nlh, "up", err);
}

int net_link_set_down_by_name(struct nl_sock *s, const char *name, struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_named_link_msg(buf, RTM_NEWLINK, name, err);
	struct ifinfomsg *ifi;

	if (nlh == NULL)
		return -1;
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_change = IFF_UP;
	if (nl_request(s, nlh, NULL, NULL, err) < 0)
		return rt_error_wrap(err, "set link `%s` down", name);
	return 0;
}

int net_link_set_mtu(struct nl_sock *s, int ifindex, unsigned mtu, struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_link_msg(buf, RTM_NEWLINK, 0, AF_UNSPEC, ifindex);

	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return set_link(s, ifindex, nlh, "MTU", err);
}

int net_link_set_mac(struct nl_sock *s, int ifindex, const unsigned char mac[NET_MAC_LEN],
		     struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_link_msg(buf, RTM_NEWLINK, 0, AF_UNSPEC, ifindex);

	mnl_attr_put(nlh, IFLA_ADDRESS, NET_MAC_LEN, mac);
	return set_link(s, ifindex, nlh, "MAC address", err);
}

int net_link_delete(struct nl_sock *s, const char *name, int missing_ok, struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_named_link_msg(buf, RTM_DELLINK, name, err);

	if (nlh == NULL)
		return -1;
	if (nl_request(s, nlh, NULL, NULL, err) < 0) {
		if (missing_ok && err->errnum == ENODEV) {
			rt_error_release(err);
			return 0;
		}
		return rt_error_wrap(err, "delete link `%s`", name);
	}
	return 0;
}

static int create_bridge(struct nl_sock *s, const struct net_bridge_config *c, struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh =
	    put_link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, AF_UNSPEC, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nlattr *linkinfo;

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, c->name);
	if (c->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, c->mtu);
	if (c->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, NET_MAC_LEN, c->mac);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, linkinfo);
	return nl_request(s, nlh, NULL, NULL, err);
}

int net_bridge_ensure(struct nl_sock *s, const struct net_bridge_config *c, int *ret_ifindex,
		      int *ret_created, struct rt_error *err)
{
	struct net_link_info info;
	int created = 0;

	if (net_link_get(s, c->name, &info, err) < 0) {
		if (err->errnum != ENODEV)
			return -1;
		rt_error_release(err);
		if (create_bridge(s, c, err) < 0) {
			/* another husk created it between our look-up and now: fine */
			if (err->errnum != EEXIST)
				return rt_error_wrap(err, "create bridge `%s`", c->name);
			rt_error_release(err);
		} else {
			created = 1;
		}
		if (net_link_get(s, c->name, &info, err) < 0)
			return -1;
	}
	if (strcmp(info.kind, "bridge") != 0)
		return rt_error_set(err, EEXIST, "link `%s` exists and is not a bridge (kind `%s`)",
				    c->name, info.kind[0] ? info.kind : "device");
	if (!(info.flags & IFF_UP) && net_link_set_up(s, info.ifindex, err) < 0)
		return rt_error_wrap(err, "bridge `%s`", c->name);
	*ret_ifindex = info.ifindex;
	if (ret_created)
		*ret_created = created;
	return 0;
}

int net_veth_create(struct nl_sock *s, const struct net_veth_config *c, struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi, *peer;
	struct nlattr *linkinfo, *data, *peer_nest;

	if (check_ifname(c->name, err) < 0 || check_ifname(c->peer_name, err) < 0)
		return -1;
	nlh = put_link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, AF_UNSPEC, 0);
	ifi = mnl_nlmsg_get_payload(nlh);
	if (c->up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	mnl_attr_put_strz(nlh, IFLA_IFNAME, c->name);
	if (c->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, c->mtu);
	if (c->master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)c->master);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer_nest = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* the peer's attributes follow its own ifinfomsg inside VETH_INFO_PEER */
	peer = mnl_nlmsg_put_extra_header(nlh, sizeof(*peer));
	/* Not IFF_UP on the peer: the kernel opens it before the pair is linked and answers
	 * ENOTCONN (seen on 6.18).  The caller brings it up from inside its namespace. */
	(void)peer;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, c->peer_name);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)c->peer_netns_fd);
	if (c->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, c->mtu);
	if (c->peer_mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, NET_MAC_LEN, c->peer_mac);
	mnl_attr_nest_end(nlh, peer_nest);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	if (nl_request(s, nlh, NULL, NULL, err) < 0)
		return rt_error_wrap(err, "create veth pair `%s` (peer `%s` in namespace fd %d)",
				     c->name, c->peer_name, c->peer_netns_fd);
	return 0;
}

int net_bridge_port_set_hairpin(struct nl_sock *s, int ifindex, int on, struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_link_msg(buf, RTM_SETLINK, 0, AF_BRIDGE, ifindex);
	struct nlattr *protinfo;

	/* without NLA_F_NESTED the bridge takes the attribute as a legacy STP port state */
	protinfo = mnl_attr_nest_start(nlh, IFLA_PROTINFO | NLA_F_NESTED);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, on ? 1 : 0);
	mnl_attr_nest_end(nlh, protinfo);
	return set_link(s, ifindex, nlh, "bridge port hairpin mode", err);
}

void net_mac_format(const unsigned char mac[NET_MAC_LEN], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

int net_mac_random(unsigned char mac[NET_MAC_LEN], struct rt_error *err)
{
	if (getrandom(mac, NET_MAC_LEN, 0) != NET_MAC_LEN)
		return rt_error_set(err, errno, "getrandom for a MAC address");
	mac[0] = (unsigned char)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
	return 0;
}
