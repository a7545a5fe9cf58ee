/* Netlink answers as the kernel sends them, through the parser of every exchange
 * (netns/nl.c: port and sequence checks, NLMSG_ERROR with extended-ack attributes, dump
 * ends) and the RTM_NEWLINK attribute parser of `net_link_get` (nested IFLA_LINKINFO).  Only
 * buffers: no socket is opened.  The first two bytes pick the span of sequence numbers of
 * the exchange (a single request or a batch); our port id is 4242, the first sequence 100. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>

#include "../../netns/link.h"
#include "../../netns/nl.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rt_error err = RT_ERROR_INIT;

	(void)argc;
	(void)argv;
	if (nl_mnl_load(&err) < 0) {
		fprintf(stderr, "fuzz: %s\n", err.msg);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_error err = RT_ERROR_INIT;
	struct net_link_info info;
	uint32_t failed_seq = 0;
	struct nl_answers a = {.portid = 4242,
			       .first = 100,
			       .cb = net_link_parse_cb,
			       .data = &info,
			       .ret_failed_seq = &failed_seq};
	void *buf;
	int r;

	if (size < 2)
		return 0;
	a.last = a.first + (data[0] | (uint32_t)data[1] << 8) % 64;
	/* a buffer of the exact size, aligned as the kernel's are, so that a read past the end
	 * of the answer is caught */
	buf = malloc(size - 2 ? size - 2 : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data + 2, size - 2);
	r = nl_answers_parse(&a, buf, size - 2, &err);
	if (r < 0 && err.msg == NULL) {
		fprintf(stderr, "fuzz: failure without a message\n");
		abort();
	}
	if (r >= 0 && err.msg != NULL && !a.failed) {
		fprintf(stderr, "fuzz: success with a stale message: %s\n", err.msg);
		abort();
	}
	rt_error_release(&err);
	free(buf);
	return 0;
}
