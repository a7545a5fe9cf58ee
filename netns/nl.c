#define _GNU_SOURCE
#include "nl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common/syscalls.h"
#include "../common/cleanup.h"

/* Big enough for a dump chunk of the kernel (it sizes them to the reader's buffer, max 32k). */
#define NL_RECV_SIZE 32768

int nl_open(int bus, struct nl_sock **ret, struct rt_error *err)
{
	cleanup_free struct nl_sock *s = calloc(1, sizeof(*s));
	int one = 1;

	if (s == NULL)
		return rt_error_set(err, ENOMEM, "allocate netlink socket");
	if (nl_mnl_load(err) < 0)
		return -1;
	s->mnl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (s->mnl == NULL)
		return rt_error_set(err, errno, "open netlink socket (bus %d)", bus);
	/* Extended acks carry the kernel's reason ("Unknown device type"); capped acks keep the
	 * error short (we do not need our own request echoed back).  Old kernels lack both. */
	mnl_socket_setsockopt(s->mnl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->mnl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(s->mnl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(s->mnl);
		return rt_error_set(err, e, "bind netlink socket (bus %d)", bus);
	}
	s->portid = mnl_socket_get_portid(s->mnl);
	/* A per-socket start value, so that a reply meant for another socket that somehow reaches
	 * this one is not mistaken for ours. */
	s->seq = (uint32_t)time(NULL) << 8;
	*ret = TAKE_PTR(s);
	return 0;
}

int nl_open_in_netns(int bus, int nsfd, struct nl_sock **ret, struct rt_error *err)
{
	cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (self < 0)
		return rt_error_set(err, errno, "open `/proc/self/ns/net`");
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return rt_error_set(err, errno, "enter network namespace (fd %d)", nsfd);
	r = nl_open(bus, ret, err);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Staying in the pod's namespace would make every later step act on the wrong
		 * network: the caller must give up. */
		int e = errno;
		if (r == 0) {
			nl_close(*ret);
			*ret = NULL;
		}
		return rt_error_set(err, e, "return to the original network namespace");
	}
	return r;
}

void nl_close(struct nl_sock *s)
{
	int saved = errno;

	mnl_socket_close(s->mnl);
	free(s);
	errno = saved;
}

struct ack_text {
	const char *msg;
};

static int ext_ack_attr(const struct nlattr *a, void *data)
{
	struct ack_text *t = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		t->msg = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

/* Turn an NLMSG_ERROR (or a dump's NLMSG_DONE carrying an error) into err; 0 for an ack. */
static int error_message(const struct nlmsghdr *nlh, struct rt_error *err)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct ack_text t = {NULL};
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(int)))
		return rt_error_set(err, EPROTO, "netlink: truncated error message");
	if (e->error == 0)
		return 0;
	/* the kernel sends -errno; anything else would be negated into a bogus errno (or, for
	 * INT_MIN, overflow) */
	if (e->error > 0 || e->error < -4095)
		return rt_error_set(err, EPROTO, "netlink: error code %d out of range", e->error);
	if (nlh->nlmsg_type == NLMSG_ERROR && (nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*e))) {
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (mnl_nlmsg_size(off) <= nlh->nlmsg_len)
			mnl_attr_parse(nlh, (unsigned)off, ext_ack_attr, &t);
	}
	if (t.msg && *t.msg)
		return rt_error_set(err, -e->error, "kernel says \"%s\"", t.msg);
	return rt_error_set(err, -e->error, "netlink request");
}

/* mnl_nlmsg_ok() compares (int)nlmsg_len with what is left, so a length of 2^31 or more
 * passes, and mnl_nlmsg_next() then steps gigabytes past the buffer.  Compare unsigned. */
static int answer_ok(const struct nlmsghdr *nlh, int left)
{
	return left >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (uint32_t)left;
}

int nl_answers_parse(struct nl_answers *a, const void *buf, size_t len, struct rt_error *err)
{
	int left = len > INT_MAX ? INT_MAX : (int)len;

	for (const struct nlmsghdr *nlh = buf; answer_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		int done = 0;

		if (nlh->nlmsg_pid != a->portid)
			return rt_error_set(err, EPROTO, "netlink answer for port %u, we are %u",
					    nlh->nlmsg_pid, a->portid);
		if (nlh->nlmsg_seq - a->first > a->last - a->first) {
			/* an answer to an earlier request we gave up on */
			if ((int32_t)(nlh->nlmsg_seq - a->first) < 0)
				continue;
			return rt_error_set(err, EPROTO,
					    "netlink answer with sequence %u, expected %u..%u",
					    nlh->nlmsg_seq, a->first, a->last);
		}
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP: continue;
		case NLMSG_OVERRUN: return rt_error_set(err, ENOBUFS, "netlink overrun");
		case NLMSG_ERROR:
		case NLMSG_DONE:
			if (nlh->nlmsg_type == NLMSG_DONE &&
			    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(int)))
				done = 1;
			else if (error_message(nlh, err) < 0) {
				if (!a->failed && a->ret_failed_seq)
					*a->ret_failed_seq = nlh->nlmsg_seq;
				a->failed = 1;
			}
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_seq == a->last ||
			    (a->failed && nlh->nlmsg_seq == a->first && a->first != a->last))
				done = 1;
			break;
		default:
			if (a->cb && !a->failed && a->cb(nlh, a->data) < MNL_CB_OK) {
				if (!rt_error_is_set(err))
					rt_error_set(err, errno ? errno : EPROTO,
						     "parse netlink answer");
				a->failed = 1;
			}
			break;
		}
		if (done)
			return a->failed ? -1 : 1;
	}
	return 0;
}

/* Receive answers for sequence numbers first..last until `last` has been answered (or the
 * first one failed, which for a batch means the kernel rejected the whole batch frame). */
static int receive(struct nl_sock *s, struct nl_answers *a, struct rt_error *err)
{
	cleanup_free char *buf = malloc(NL_RECV_SIZE);

	if (buf == NULL)
		return rt_error_set(err, ENOMEM, "allocate netlink buffer");
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(s->mnl, buf, NL_RECV_SIZE);
		int r;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return rt_error_set(err, errno, "receive netlink answer");
		}
		if ((r = nl_answers_parse(a, buf, (size_t)n, err)) != 0)
			return r < 0 ? -1 : 0;
	}
}

int nl_request(struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	       struct rt_error *err)
{
	int dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;

	nlh->nlmsg_seq = nl_next_seq(s);
	nlh->nlmsg_pid = 0;
	if (!dump)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(s->mnl, nlh, nlh->nlmsg_len) < 0)
		return rt_error_set(err, errno, "send netlink request");
	struct nl_answers a = {.portid = s->portid,
			       .first = nlh->nlmsg_seq,
			       .last = nlh->nlmsg_seq,
			       .cb = cb,
			       .data = data};
	return receive(s, &a, err);
}

int nl_batch_request(struct nl_sock *s, const void *buf, size_t len, uint32_t first_seq,
		     uint32_t last_seq, mnl_cb_t cb, void *data, uint32_t *ret_failed_seq,
		     struct rt_error *err)
{
	if (mnl_socket_sendto(s->mnl, buf, len) < 0)
		return rt_error_set(err, errno, "send netlink batch");
	struct nl_answers a = {.portid = s->portid,
			       .first = first_seq,
			       .last = last_seq,
			       .cb = cb,
			       .data = data,
			       .ret_failed_seq = ret_failed_seq};
	return receive(s, &a, err);
}
