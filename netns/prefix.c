#define _GNU_SOURCE
#include "prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int parse(const char *s, int allow_len, struct net_prefix *ret, struct rt_error *err)
{
	char buf[NET_PREFIX_STRLEN];
	const char *slash;
	unsigned long len;
	char *end;

	memset(ret, 0, sizeof(*ret));
	slash = strchr(s, '/');
	if (slash && !allow_len)
		return rt_error_set(err, EINVAL,
				    "`%s`: expected an address without a prefix length", s);
	if ((size_t)(slash ? slash - s : (ptrdiff_t)strlen(s)) >= sizeof(buf))
		return rt_error_set(err, EINVAL, "`%s`: not an IP address", s);
	snprintf(buf, sizeof(buf), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	if (inet_pton(AF_INET, buf, &ret->addr.v4) == 1)
		ret->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, &ret->addr.v6) == 1)
		ret->family = AF_INET6;
	else
		return rt_error_set(err, EINVAL, "`%s`: not an IP address", s);
	ret->prefixlen = ret->family == AF_INET ? 32 : 128;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || errno || len > ret->prefixlen)
			return rt_error_set(err, EINVAL, "`%s`: bad prefix length", s);
		ret->prefixlen = (unsigned)len;
	}
	return 0;
}

int net_prefix_parse(const char *s, struct net_prefix *ret, struct rt_error *err)
{
	return parse(s, 1, ret, err);
}

int net_addr_parse(const char *s, struct net_prefix *ret, struct rt_error *err)
{
	return parse(s, 0, ret, err);
}

void net_addr_format(const struct net_prefix *p, char *buf, size_t len)
{
	if (inet_ntop(p->family, p->addr.bytes, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

void net_prefix_format(const struct net_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	net_addr_format(p, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->prefixlen);
}

static void mask_bytes(unsigned char *b, size_t n, unsigned prefixlen)
{
	for (size_t i = 0; i < n; i++) {
		unsigned bits = prefixlen > i * 8 ? prefixlen - (unsigned)i * 8 : 0;
		if (bits < 8)
			b[i] &= (unsigned char)(0xff00u >> bits);
	}
}

void net_prefix_mask(struct net_prefix *p)
{
	mask_bytes(p->addr.bytes, net_prefix_addrlen(p), p->prefixlen);
}

int net_prefix_equal_addr(const struct net_prefix *a, const struct net_prefix *b)
{
	return a->family == b->family &&
	       memcmp(a->addr.bytes, b->addr.bytes, net_prefix_addrlen(a)) == 0;
}

static int contains_len(const struct net_prefix *p, const struct net_prefix *a, unsigned len)
{
	struct net_prefix x = *p, y = *a;

	if (p->family != a->family)
		return 0;
	x.prefixlen = y.prefixlen = len;
	net_prefix_mask(&x);
	net_prefix_mask(&y);
	return net_prefix_equal_addr(&x, &y);
}

int net_prefix_contains(const struct net_prefix *p, const struct net_prefix *addr)
{
	return contains_len(p, addr, p->prefixlen);
}

int net_prefix_overlaps(const struct net_prefix *a, const struct net_prefix *b)
{
	/* two prefixes overlap iff they agree on the shorter length */
	return contains_len(a, b, a->prefixlen < b->prefixlen ? a->prefixlen : b->prefixlen);
}

uint64_t net_prefix_size(const struct net_prefix *p)
{
	unsigned hostbits = (p->family == AF_INET ? 32 : 128) - p->prefixlen;

	return hostbits >= 63 ? (uint64_t)1 << 63 : (uint64_t)1 << hostbits;
}

int net_prefix_nth(const struct net_prefix *p, uint64_t n, struct net_prefix *ret,
		   struct rt_error *err)
{
	size_t len = net_prefix_addrlen(p);
	unsigned carry = 0;

	if (n >= net_prefix_size(p)) {
		char buf[NET_PREFIX_STRLEN];
		net_prefix_format(p, buf, sizeof(buf));
		return rt_error_set(err, ERANGE, "offset %llu is outside `%s`",
				    (unsigned long long)n, buf);
	}
	*ret = *p;
	net_prefix_mask(ret);
	for (size_t i = len; i-- > 0;) {
		unsigned v = ret->addr.bytes[i] + (unsigned)(n & 0xff) + carry;
		ret->addr.bytes[i] = (unsigned char)v;
		carry = v >> 8;
		n >>= 8;
	}
	return 0;
}

uint64_t net_prefix_offset(const struct net_prefix *p, const struct net_prefix *addr)
{
	size_t len = net_prefix_addrlen(p);
	struct net_prefix host = *addr;
	uint64_t off = 0;

	/* keep only the host bits: addr with the network bits cleared */
	for (size_t i = 0; i < len; i++) {
		unsigned bits = p->prefixlen > i * 8 ? p->prefixlen - (unsigned)i * 8 : 0;
		if (bits >= 8)
			host.addr.bytes[i] = 0;
		else
			host.addr.bytes[i] &= (unsigned char)(0xffu >> bits);
	}
	for (size_t i = len > 8 ? len - 8 : 0; i < len; i++)
		off = off << 8 | host.addr.bytes[i];
	return off;
}
