#define _GNU_SOURCE
#include "addr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/procfs.h"

int net_addr_add(struct nl_sock *s, int ifindex, const struct net_prefix *addr,
		 struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], text[NET_PREFIX_STRLEN];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	size_t len = net_prefix_addrlen(addr);

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)addr->family;
	ifa->ifa_prefixlen = (unsigned char)addr->prefixlen;
	ifa->ifa_index = (unsigned)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put(nlh, IFA_LOCAL, len, addr->addr.bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, len, addr->addr.bytes);
	if (addr->family == AF_INET) {
		struct net_prefix brd = *addr;
		for (size_t i = 0; i < 4; i++) {
			unsigned bits =
			    addr->prefixlen > i * 8 ? addr->prefixlen - (unsigned)i * 8 : 0;
			if (bits < 8)
				brd.addr.bytes[i] |= (unsigned char)(0xffu >> bits);
		}
		if (addr->prefixlen < 31)
			mnl_attr_put(nlh, IFA_BROADCAST, 4, brd.addr.bytes);
	} else {
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	if (nl_request(s, nlh, NULL, NULL, err) < 0) {
		net_prefix_format(addr, text, sizeof(text));
		return rt_error_wrap(err, "add address %s to link %d", text, ifindex);
	}
	return 0;
}

int net_route_add_default(struct nl_sock *s, int ifindex, const struct net_prefix *gw,
			  struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], text[NET_PREFIX_STRLEN];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)gw->family;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, net_prefix_addrlen(gw), gw->addr.bytes);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	if (nl_request(s, nlh, NULL, NULL, err) < 0) {
		net_addr_format(gw, text, sizeof(text));
		return rt_error_wrap(err, "add default route via %s on link %d", text, ifindex);
	}
	return 0;
}

int net_forwarding_enable(int procfd, int family, struct rt_error *err)
{
	const char *path =
	    family == AF_INET ? "sys/net/ipv4/ip_forward" : "sys/net/ipv6/conf/all/forwarding";
	cleanup_close int fd = rt_procfs_openat(procfd, path, O_RDWR, err);
	char c = 0;

	if (fd < 0)
		return -1;
	if (read(fd, &c, 1) == 1 && c == '1')
		return 0;
	if (pwrite(fd, "1\n", 2, 0) != 2)
		return rt_error_set(err, errno, "write `/proc/%s` = 1", path);
	return 0;
}
