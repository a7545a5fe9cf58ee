/* The netlink core: a libmnl socket with its port id and sequence counter, and one request
 * helper that every rtnetlink and nfnetlink exchange of husk goes through. */
#ifndef HUSK_NETNS_NL_H
#define HUSK_NETNS_NL_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/cleanup.h"
#include "../common/error.h"

struct nl_sock {
	struct mnl_socket *mnl;
	uint32_t portid;
	uint32_t seq; /* last sequence number used */
};

/* Load libmnl (netns/mnl_load.c: husk links it at run time).  nl_open() does it first, so a
 * missing library is one clear error before any message is built. */
int nl_mnl_load(struct rt_error *err);

/* Open and bind a netlink socket of the given bus (NETLINK_ROUTE, NETLINK_NETFILTER) in the
 * caller's network namespace, with extended acks on. */
int nl_open(int bus, struct nl_sock **ret, struct rt_error *err);

/* Open the socket inside the network namespace nsfd: the calling thread enters it, opens the
 * socket and returns to where it was.  A netlink socket stays bound to the namespace it was
 * created in, so the caller can then configure the namespace without forking. */
int nl_open_in_netns(int bus, int nsfd, struct nl_sock **ret, struct rt_error *err);

void nl_close(struct nl_sock *s);
DEFINE_CLEANUP_FUNC(struct nl_sock *, nl_close)
#define cleanup_nl_sock __attribute__((cleanup(nl_closep)))

/* Next sequence number, for callers building batches. */
static inline uint32_t nl_next_seq(struct nl_sock *s)
{
	return ++s->seq;
}

/* Send one request and wait for its answer.  The request gets the next sequence number;
 * a non-dump request gets NLM_F_ACK.  Every reply must carry our port id and sequence number
 * (stale answers to an earlier request are skipped).  Data messages go to cb (may be NULL).
 * NLMSG_ERROR becomes -1 with err = errno of the kernel plus its extended-ack text. */
int nl_request(struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	       struct rt_error *err);

/* Send an nfnetlink batch (buf/len, built with sequence numbers first_seq..last_seq, each
 * message flagged NLM_F_ACK except the batch begin/end) and collect one answer per message.
 * Returns the first error of the batch (its message's sequence number in *ret_failed_seq, may
 * be NULL); the kernel applied nothing in that case. */
int nl_batch_request(struct nl_sock *s, const void *buf, size_t len, uint32_t first_seq,
		     uint32_t last_seq, mnl_cb_t cb, void *data, uint32_t *ret_failed_seq,
		     struct rt_error *err);

/* The answers to one exchange, as they are parsed (nl_request and nl_batch_request fill it). */
struct nl_answers {
	uint32_t portid, first, last; /* ours: port id and the sequence numbers asked */
	mnl_cb_t cb;		      /* data messages (may be NULL) */
	void *data;
	uint32_t *ret_failed_seq; /* may be NULL */
	int failed;
};

/* Parse one buffer of the kernel's answers (what one recv returned): 1 when the exchange is
 * complete, 0 when more answers are due, -1 with err when it failed.  Split out of the receive
 * loop so that the bytes the kernel sends can be fuzzed without a socket. */
int nl_answers_parse(struct nl_answers *a, const void *buf, size_t len, struct rt_error *err);

#endif
