#define _GNU_SOURCE
#include "nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "../common/cleanup.h"

#define PORTS_SET    "ports"
#define PORTS_SET_ID 1
#define BATCH_SIZE   65536

/* nft's datatype numbers, only used so that `nft list` can print the map */
#define NFT_TYPE_IPADDR	       7
#define NFT_TYPE_INET_PROTOCOL 12
#define NFT_TYPE_INET_SERVICE  13
#define NFT_TYPE_BITS	       6

DEFINE_CLEANUP_FUNC(struct nftnl_table *, nftnl_table_free)
DEFINE_CLEANUP_FUNC(struct nftnl_chain *, nftnl_chain_free)
DEFINE_CLEANUP_FUNC(struct nftnl_rule *, nftnl_rule_free)
DEFINE_CLEANUP_FUNC(struct nftnl_set *, nftnl_set_free)
DEFINE_CLEANUP_FUNC(struct nftnl_udata_buf *, nftnl_udata_buf_free)
#define cleanup_nft_table __attribute__((cleanup(nftnl_table_freep)))
#define cleanup_nft_chain __attribute__((cleanup(nftnl_chain_freep)))
#define cleanup_nft_rule  __attribute__((cleanup(nftnl_rule_freep)))
#define cleanup_nft_set	  __attribute__((cleanup(nftnl_set_freep)))
#define cleanup_nft_udata __attribute__((cleanup(nftnl_udata_buf_freep)))

const char *net_proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

int net_port_map_parse(const char *s, struct net_port_map *ret, struct rt_error *err)
{
	unsigned long host, pod;
	char *end, *end2;

	memset(ret, 0, sizeof(*ret));
	errno = 0;
	host = strtoul(s, &end, 10);
	if (end == s || *end != ':' || errno || host == 0 || host > 65535)
		goto bad;
	pod = strtoul(end + 1, &end2, 10);
	if (end2 == end + 1 || errno || pod == 0 || pod > 65535)
		goto bad;
	if (*end2 == '\0' || strcmp(end2, "/tcp") == 0)
		ret->proto = IPPROTO_TCP;
	else if (strcmp(end2, "/udp") == 0)
		ret->proto = IPPROTO_UDP;
	else
		goto bad;
	ret->host_port = (uint16_t)host;
	ret->pod_port = (uint16_t)pod;
	return 0;
bad:
	return rt_error_set(err, EINVAL,
			    "`%s`: expected HOSTPORT:PODPORT[/tcp|udp] with ports "
			    "1-65535",
			    s);
}

/* A batch being built: begin marker, messages, end marker; sequence numbers from the socket. */
struct batch {
	struct nl_sock *s;
	char *buf;
	struct mnl_nlmsg_batch *b;
	uint32_t first, last;
};

static void batch_free(struct batch *b)
{
	if (b->b)
		mnl_nlmsg_batch_stop(b->b);
	free(b->buf);
}
#define cleanup_batch __attribute__((cleanup(batch_free)))

static int batch_start(struct batch *b, struct nl_sock *s, struct rt_error *err)
{
	b->s = s;
	b->buf = malloc(BATCH_SIZE);
	if (b->buf == NULL)
		return rt_error_set(err, ENOMEM, "allocate nftables batch");
	b->b = mnl_nlmsg_batch_start(b->buf, BATCH_SIZE);
	b->first = nl_next_seq(s);
	nftnl_batch_begin(mnl_nlmsg_batch_current(b->b), b->first);
	mnl_nlmsg_batch_next(b->b);
	return 0;
}

static struct nlmsghdr *batch_msg(struct batch *b, uint16_t type, uint16_t flags)
{
	b->last = nl_next_seq(b->s);
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b->b), type, NFPROTO_INET,
				     flags | NLM_F_ACK, b->last);
}

/* Close the message the last batch_msg() started. */
static int batch_next(struct batch *b, struct rt_error *err)
{
	if (!mnl_nlmsg_batch_next(b->b))
		return rt_error_set(err, E2BIG, "nftables batch too large");
	return 0;
}

static int batch_send(struct batch *b, uint32_t *ret_failed, struct rt_error *err)
{
	nftnl_batch_end(mnl_nlmsg_batch_current(b->b), nl_next_seq(b->s));
	if (batch_next(b, err) < 0)
		return -1;
	return nl_batch_request(b->s, mnl_nlmsg_batch_head(b->b), mnl_nlmsg_batch_size(b->b),
				b->first, b->last, NULL, NULL, ret_failed, err);
}

static int add_expr(struct nftnl_rule *r, struct nftnl_expr *e, struct rt_error *err)
{
	if (e == NULL)
		return rt_error_set(err, ENOMEM, "allocate nftables expression");
	nftnl_rule_add_expr(r, e);
	return 0;
}

static int expr_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg, struct rt_error *err)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	return add_expr(r, e, err);
}

static int expr_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len,
		    struct rt_error *err)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return add_expr(r, e, err);
}

static int expr_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len,
			uint32_t dreg, struct rt_error *err)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	return add_expr(r, e, err);
}

static int expr_nfproto(struct nftnl_rule *r, uint8_t nfproto, struct rt_error *err)
{
	if (expr_meta(r, NFT_META_NFPROTO, NFT_REG_1, err) < 0)
		return -1;
	return expr_cmp(r, NFT_CMP_EQ, &nfproto, sizeof(nfproto), err);
}

/* fib daddr type local meta nfproto ipv4 dnat ip to meta l4proto . th dport map @ports */
static int build_dnat_rule(struct nftnl_rule *r, struct rt_error *err)
{
	uint32_t local = RTN_LOCAL;
	struct nftnl_expr *e = nftnl_expr_alloc("fib");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	}
	if (add_expr(r, e, err) < 0 || expr_cmp(r, NFT_CMP_EQ, &local, sizeof(local), err) < 0 ||
	    expr_nfproto(r, NFPROTO_IPV4, err) < 0 ||
	    expr_meta(r, NFT_META_L4PROTO, NFT_REG_1, err) < 0 ||
	    /* th dport: the destination port sits at offset 2 of both TCP and UDP headers */
	    expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01, err) < 0)
		return -1;
	e = nftnl_expr_alloc("lookup");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, PORTS_SET);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, PORTS_SET_ID);
	}
	if (add_expr(r, e, err) < 0)
		return -1;
	/* the map's value is address . port: the address in reg 1, the port in the next 32-bit
	 * register (concatenations pad each part to 4 bytes) */
	e = nftnl_expr_alloc("nat");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG32_01);
	}
	return add_expr(r, e, err);
}

static int put_chain(struct batch *b, const char *name, int hook, int prio, uint16_t flags,
		     struct rt_error *err)
{
	cleanup_nft_chain struct nftnl_chain *c = nftnl_chain_alloc();

	if (c == NULL)
		return rt_error_set(err, ENOMEM, "allocate nftables chain");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NET_NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (hook >= 0) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "nat");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nftnl_chain_nlmsg_build_payload(batch_msg(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | flags), c);
	return batch_next(b, err);
}

static struct nftnl_rule *new_rule(const char *chain, struct rt_error *err)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r == NULL) {
		rt_error_set(err, ENOMEM, "allocate nftables rule");
		return NULL;
	}
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NET_NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	return r;
}

static int put_rule(struct batch *b, struct nftnl_rule *r, struct rt_error *err)
{
	nftnl_rule_nlmsg_build_payload(batch_msg(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND),
				       r);
	return batch_next(b, err);
}

static int put_dnat_rule(struct batch *b, const char *chain, struct rt_error *err)
{
	cleanup_nft_rule struct nftnl_rule *r = new_rule(chain, err);

	if (r == NULL || build_dnat_rule(r, err) < 0)
		return -1;
	return put_rule(b, r, err);
}

static int put_ports_set(struct batch *b, struct rt_error *err)
{
	cleanup_nft_set struct nftnl_set *s = nftnl_set_alloc();

	if (s == NULL)
		return rt_error_set(err, ENOMEM, "allocate nftables set");
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NET_NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, PORTS_SET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, PORTS_SET_ID);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE,
			  NFT_TYPE_INET_PROTOCOL << NFT_TYPE_BITS | NFT_TYPE_INET_SERVICE);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 8);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE,
			  NFT_TYPE_IPADDR << NFT_TYPE_BITS | NFT_TYPE_INET_SERVICE);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 8);
	nftnl_set_nlmsg_build_payload(batch_msg(b, NFT_MSG_NEWSET, NLM_F_CREATE), s);
	return batch_next(b, err);
}

int net_nft_ensure(struct nl_sock *s, struct rt_error *err)
{
	cleanup_batch struct batch b = {0};
	cleanup_nft_table struct nftnl_table *t = nftnl_table_alloc();

	if (t == NULL)
		return rt_error_set(err, ENOMEM, "allocate nftables table");
	if (batch_start(&b, s, err) < 0)
		return -1;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NET_NFT_TABLE);
	/* EXCL on the table: the batch is atomic, so "exists" means everything below exists */
	nftnl_table_nlmsg_build_payload(batch_msg(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL),
					t);
	if (batch_next(&b, err) < 0 ||
	    put_chain(&b, "prerouting", NF_INET_PRE_ROUTING, -100, 0, err) < 0 ||
	    put_chain(&b, "output", NF_INET_LOCAL_OUT, -100, 0, err) < 0 ||
	    put_chain(&b, "postrouting", NF_INET_POST_ROUTING, 100, 0, err) < 0 ||
	    put_ports_set(&b, err) < 0 || put_dnat_rule(&b, "prerouting", err) < 0 ||
	    put_dnat_rule(&b, "output", err) < 0)
		return -1;
	if (batch_send(&b, NULL, err) < 0) {
		if (err->errnum == EEXIST) {
			rt_error_release(err);
			return 0;
		}
		return rt_error_wrap(err, "create nftables table inet %s", NET_NFT_TABLE);
	}
	return 0;
}

static void chain_name(const char *network, char *buf, size_t len)
{
	snprintf(buf, len, "net-%s", network);
}

static struct nftnl_udata_buf *comment(const char *text)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8);

	if (u && !nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, text)) {
		nftnl_udata_buf_free(u);
		return NULL;
	}
	return u;
}

/* ct status & dnat != 0 */
static int expr_ct_dnat(struct nftnl_rule *r, struct rt_error *err)
{
	uint32_t dnat = IPS_DST_NAT, zero = 0;
	struct nftnl_expr *e = nftnl_expr_alloc("ct");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	if (add_expr(r, e, err) < 0)
		return -1;
	e = nftnl_expr_alloc("bitwise");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(dnat));
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &dnat, sizeof(dnat));
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	}
	if (add_expr(r, e, err) < 0)
		return -1;
	return expr_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero), err);
}

/* [meta nfproto X] saddr & mask == subnet, oifname != bridge, masquerade.
 * hairpin: saddr & mask == subnet, oifname == bridge, ct status dnat, masquerade.  A pod that
 * reaches a published port of its own (or of a neighbour) comes back through the bridge with
 * its own source address: without the masquerade the pod answers itself directly and the
 * reply never meets the DNAT it should undo. */
static int put_masq_rule(struct batch *b, const char *chain, const struct net_prefix *subnet,
			 const char *bridge, int hairpin, struct rt_error *err)
{
	cleanup_nft_rule struct nftnl_rule *r = new_rule(chain, err);
	struct net_prefix net = *subnet, mask = {.family = subnet->family};
	uint32_t len = (uint32_t)net_prefix_addrlen(subnet);
	char ifname[IFNAMSIZ] = {0};
	struct nftnl_expr *e;

	if (r == NULL)
		return -1;
	net_prefix_mask(&net);
	memset(mask.addr.bytes, 0xff, len);
	mask.prefixlen = subnet->prefixlen;
	net_prefix_mask(&mask);
	snprintf(ifname, sizeof(ifname), "%s", bridge);
	if (expr_nfproto(r, subnet->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6, err) < 0 ||
	    /* IPv4 source at offset 12, IPv6 at offset 8 of the network header */
	    expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, subnet->family == AF_INET ? 12 : 8, len,
			 NFT_REG_1, err) < 0)
		return -1;
	e = nftnl_expr_alloc("bitwise");
	if (e) {
		uint8_t zero[16] = {0};
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask.addr.bytes, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	}
	if (add_expr(r, e, err) < 0 || expr_cmp(r, NFT_CMP_EQ, net.addr.bytes, len, err) < 0 ||
	    expr_meta(r, NFT_META_OIFNAME, NFT_REG_1, err) < 0 ||
	    expr_cmp(r, hairpin ? NFT_CMP_EQ : NFT_CMP_NEQ, ifname, sizeof(ifname), err) < 0 ||
	    (hairpin && expr_ct_dnat(r, err) < 0) || add_expr(r, nftnl_expr_alloc("masq"), err) < 0)
		return -1;
	return put_rule(b, r, err);
}

int net_nft_network_add(struct nl_sock *s, const char *network, const struct net_prefix *subnet,
			const struct net_prefix *subnet6, const char *bridge, struct rt_error *err)
{
	cleanup_batch struct batch b = {0};
	cleanup_nft_rule struct nftnl_rule *jump = NULL;
	cleanup_nft_udata struct nftnl_udata_buf *note = NULL;
	struct nftnl_expr *e;
	char chain[128];

	chain_name(network, chain, sizeof(chain));
	if (batch_start(&b, s, err) < 0)
		return -1;
	/* EXCL on the network's chain makes the whole batch a no-op when it is already there */
	if (put_chain(&b, chain, -1, 0, NLM_F_EXCL, err) < 0 ||
	    put_masq_rule(&b, chain, subnet, bridge, 0, err) < 0 ||
	    put_masq_rule(&b, chain, subnet, bridge, 1, err) < 0 ||
	    (subnet6 && put_masq_rule(&b, chain, subnet6, bridge, 0, err) < 0))
		return -1;
	jump = new_rule("postrouting", err);
	note = comment(chain);
	if (jump == NULL || note == NULL)
		return rt_error_set(err, ENOMEM, "allocate nftables rule");
	e = nftnl_expr_alloc("immediate");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_JUMP);
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	}
	if (add_expr(jump, e, err) < 0)
		return -1;
	nftnl_rule_set_data(jump, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(note),
			    nftnl_udata_buf_len(note));
	if (put_rule(&b, jump, err) < 0)
		return -1;
	if (batch_send(&b, NULL, err) < 0) {
		if (err->errnum == EEXIST) {
			rt_error_release(err);
			return 0;
		}
		return rt_error_wrap(err, "add masquerade rules of network `%s`", network);
	}
	return 0;
}

int net_nft_network_present(struct nl_sock *s, const char *network, struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], chain[128];
	cleanup_nft_chain struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (c == NULL)
		return rt_error_set(err, ENOMEM, "allocate nftables chain");
	chain_name(network, chain, sizeof(chain));
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NET_NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_INET, 0, 0);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	if (nl_request(s, nlh, NULL, NULL, err) < 0) {
		if (err->errnum == ENOENT) {
			rt_error_release(err);
			return 0;
		}
		return rt_error_wrap(err, "look up nftables chain %s", chain);
	}
	return 1;
}

struct find_rule {
	const void *udata;
	uint32_t udata_len;
	uint64_t handle;
};

static int find_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct find_rule *f = data;
	cleanup_nft_rule struct nftnl_rule *r = nftnl_rule_alloc();
	const void *u;
	uint32_t len = 0;

	if (r == NULL || nftnl_rule_nlmsg_parse(nlh, r) < 0)
		return MNL_CB_OK;
	u = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
	if (u && len == f->udata_len && memcmp(u, f->udata, len) == 0)
		f->handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
	return MNL_CB_OK;
}

int net_nft_network_remove(struct nl_sock *s, const char *network, struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], chain[128];
	cleanup_batch struct batch b = {0};
	cleanup_nft_rule struct nftnl_rule *r = NULL;
	cleanup_nft_chain struct nftnl_chain *c = NULL;
	cleanup_nft_udata struct nftnl_udata_buf *note = NULL;
	struct find_rule f = {0};
	struct nlmsghdr *nlh;

	chain_name(network, chain, sizeof(chain));
	note = comment(chain);
	r = new_rule("postrouting", err);
	if (note == NULL || r == NULL)
		return rt_error_set(err, ENOMEM, "allocate nftables rule");
	/* the jump is found by its comment: networks are few, so listing one chain is cheap */
	f.udata = nftnl_udata_buf_data(note);
	f.udata_len = nftnl_udata_buf_len(note);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, 0);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	if (nl_request(s, nlh, find_rule_cb, &f, err) < 0) {
		if (err->errnum == ENOENT) {
			rt_error_release(err);
			return 0;
		}
		return rt_error_wrap(err, "list nftables chain postrouting");
	}
	if (batch_start(&b, s, err) < 0)
		return -1;
	if (f.handle) {
		nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, f.handle);
		nftnl_rule_nlmsg_build_payload(batch_msg(&b, NFT_MSG_DELRULE, 0), r);
		if (batch_next(&b, err) < 0)
			return -1;
	}
	c = nftnl_chain_alloc();
	if (c == NULL)
		return rt_error_set(err, ENOMEM, "allocate nftables chain");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NET_NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain);
	/* a DELRULE without a handle flushes the chain; then the chain can go */
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_unset(r, NFTNL_RULE_HANDLE);
	nftnl_rule_nlmsg_build_payload(batch_msg(&b, NFT_MSG_DELRULE, 0), r);
	if (batch_next(&b, err) < 0)
		return -1;
	nftnl_chain_nlmsg_build_payload(batch_msg(&b, NFT_MSG_DELCHAIN, 0), c);
	if (batch_next(&b, err) < 0)
		return -1;
	if (batch_send(&b, NULL, err) < 0) {
		if (err->errnum == ENOENT) {
			rt_error_release(err);
			return 0;
		}
		return rt_error_wrap(err, "remove masquerade rules of network `%s`", network);
	}
	return 0;
}

static void elem_key(const struct net_port_map *m, uint8_t key[8])
{
	uint16_t port = htons(m->host_port);

	memset(key, 0, 8);
	key[0] = m->proto;
	memcpy(key + 4, &port, 2);
}

static void elem_data(const struct net_prefix *pod, uint16_t pod_port, uint8_t data[8])
{
	uint16_t port = htons(pod_port);

	memset(data, 0, 8);
	memcpy(data, pod->addr.bytes, 4);
	memcpy(data + 4, &port, 2);
}

static struct nftnl_set *ports_set(const struct net_prefix *pod, const struct net_port_map *m,
				   int with_data, struct rt_error *err)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	uint8_t key[8], data[8];

	if (s == NULL || e == NULL) {
		if (s)
			nftnl_set_free(s);
		if (e)
			nftnl_set_elem_free(e);
		rt_error_set(err, ENOMEM, "allocate nftables set");
		return NULL;
	}
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NET_NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, PORTS_SET);
	elem_key(m, key);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof(key));
	if (with_data) {
		elem_data(pod, m->pod_port, data);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, sizeof(data));
	}
	nftnl_set_elem_add(s, e);
	return s;
}

int net_nft_ports_add(struct nl_sock *s, const struct net_prefix *pod,
		      const struct net_port_map *maps, size_t n, struct rt_error *err)
{
	cleanup_batch struct batch b = {0};
	uint32_t failed = 0;

	if (n == 0)
		return 0;
	if (pod->family != AF_INET)
		return rt_error_set(err, EAFNOSUPPORT, "port mappings need an IPv4 pod address");
	if (batch_start(&b, s, err) < 0)
		return -1;
	/* one message per port, so that the kernel's answer tells which port is taken */
	for (size_t i = 0; i < n; i++) {
		cleanup_nft_set struct nftnl_set *set = ports_set(pod, &maps[i], 1, err);
		if (set == NULL)
			return -1;
		nftnl_set_elems_nlmsg_build_payload(
		    batch_msg(&b, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL), set);
		if (batch_next(&b, err) < 0)
			return -1;
	}
	if (batch_send(&b, &failed, err) < 0) {
		if (err->errnum == EEXIST && failed > b.first && failed <= b.last) {
			const struct net_port_map *m = &maps[failed - b.first - 1];
			rt_error_release(err);
			return rt_error_set(err, EADDRINUSE, "host port %u/%s is already published",
					    m->host_port, net_proto_name(m->proto));
		}
		return rt_error_wrap(err, "publish ports");
	}
	return 0;
}

struct elem_owner {
	const uint8_t *data;
	int match;
};

static int elem_owner_cb(const struct nlmsghdr *nlh, void *data)
{
	struct elem_owner *o = data;
	cleanup_nft_set struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;

	if (s == NULL || nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
		return MNL_CB_OK;
	it = nftnl_set_elems_iter_create(s);
	if (it == NULL)
		return MNL_CB_OK;
	for (e = nftnl_set_elems_iter_cur(it); e; e = nftnl_set_elems_iter_next(it)) {
		uint32_t len = 0;
		const void *d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
		if (d && len == 8 && memcmp(d, o->data, 8) == 0)
			o->match = 1;
	}
	nftnl_set_elems_iter_destroy(it);
	return MNL_CB_OK;
}

/* Whether the map sends m's host port to pod:m->pod_port.  0 no (or absent), 1 yes. */
static int port_points_to(struct nl_sock *s, const struct net_prefix *pod,
			  const struct net_port_map *m, struct rt_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	cleanup_nft_set struct nftnl_set *set = ports_set(pod, m, 0, err);
	uint8_t data[8];
	struct elem_owner o = {data, 0};
	struct nlmsghdr *nlh;

	if (set == NULL)
		return -1;
	elem_data(pod, m->pod_port, data);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, 0, 0);
	nftnl_set_elems_nlmsg_build_payload(nlh, set);
	if (nl_request(s, nlh, elem_owner_cb, &o, err) < 0) {
		if (err->errnum == ENOENT) {
			rt_error_release(err);
			return 0;
		}
		return rt_error_wrap(err, "look up host port %u/%s", m->host_port,
				     net_proto_name(m->proto));
	}
	return o.match;
}

int net_nft_ports_remove(struct nl_sock *s, const struct net_prefix *pod,
			 const struct net_port_map *maps, size_t n, struct rt_error *err)
{
	cleanup_batch struct batch b = {0};
	size_t count = 0;

	if (n == 0 || pod->family != AF_INET)
		return 0;
	if (batch_start(&b, s, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		cleanup_nft_set struct nftnl_set *set = NULL;
		int r = port_points_to(s, pod, &maps[i], err);
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		set = ports_set(pod, &maps[i], 0, err);
		if (set == NULL)
			return -1;
		nftnl_set_elems_nlmsg_build_payload(batch_msg(&b, NFT_MSG_DELSETELEM, 0), set);
		if (batch_next(&b, err) < 0)
			return -1;
		count++;
	}
	if (count == 0)
		return 0;
	if (batch_send(&b, NULL, err) < 0)
		return rt_error_wrap(err, "withdraw published ports");
	return 0;
}

int net_nft_table_delete(struct nl_sock *s, struct rt_error *err)
{
	cleanup_batch struct batch b = {0};
	cleanup_nft_table struct nftnl_table *t = nftnl_table_alloc();

	if (t == NULL)
		return rt_error_set(err, ENOMEM, "allocate nftables table");
	if (batch_start(&b, s, err) < 0)
		return -1;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NET_NFT_TABLE);
	nftnl_table_nlmsg_build_payload(batch_msg(&b, NFT_MSG_DELTABLE, 0), t);
	if (batch_next(&b, err) < 0)
		return -1;
	if (batch_send(&b, NULL, err) < 0) {
		if (err->errnum == ENOENT) {
			rt_error_release(err);
			return 0;
		}
		return rt_error_wrap(err, "delete nftables table inet %s", NET_NFT_TABLE);
	}
	return 0;
}
