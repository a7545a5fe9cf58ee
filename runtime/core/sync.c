#define _GNU_SOURCE
#include "sync.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int rt_sync_send(int fd, int type, int value, const char *text, int passfd)
{
	struct rt_sync_msg m = {.type = type, .value = value};
	size_t len = offsetof(struct rt_sync_msg, text);
	struct iovec iov;
	struct msghdr mh = {0};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;

	if (text) {
		snprintf(m.text, sizeof(m.text), "%s", text);
		len += strlen(m.text) + 1;
	}
	iov.iov_base = &m;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (passfd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}
	for (;;) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

int rt_sync_recv(int fd, struct rt_sync_msg *msg, int *ret_fd)
{
	struct iovec iov = {.iov_base = msg, .iov_len = sizeof(*msg)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	ssize_t n;

	if (ret_fd)
		*ret_fd = -1;
	memset(msg, 0, offsetof(struct rt_sync_msg, text) + 1);
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0) {
		msg->type = 0;
		return 0;
	}
	msg->text[sizeof(msg->text) - 1] = '\0';
	if ((size_t)n <= offsetof(struct rt_sync_msg, text))
		msg->text[0] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int passed;
			memcpy(&passed, CMSG_DATA(c), sizeof(int));
			if (ret_fd)
				*ret_fd = passed;
			else
				close(passed);
		}
	}
	return 0;
}

int rt_sync_write(int fd, int type, int value, const char *text)
{
	struct rt_sync_msg m = {.type = type, .value = value};
	size_t len = offsetof(struct rt_sync_msg, text);

	if (text) {
		snprintf(m.text, sizeof(m.text), "%s", text);
		len += strlen(m.text) + 1;
	}
	for (;;) {
		ssize_t n = write(fd, &m, len);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

int rt_sync_read(int fd, struct rt_sync_msg *msg)
{
	ssize_t n;

	memset(msg, 0, offsetof(struct rt_sync_msg, text) + 1);
	do
		n = read(fd, msg, sizeof(*msg));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	msg->text[sizeof(msg->text) - 1] = '\0';
	if ((size_t)n <= offsetof(struct rt_sync_msg, text))
		msg->text[0] = '\0';
	return 0;
}

void rt_sync_fail(int fd, const struct rt_error *err)
{
	rt_sync_write(fd, RT_SYNC_ERROR, err->errnum, err->msg ? err->msg : "unknown error");
	_exit(1);
}

int rt_sync_expect(int fd, int type, struct rt_sync_msg *msg, int *ret_fd, struct rt_error *err)
{
	if (rt_sync_recv(fd, msg, ret_fd) < 0)
		return rt_error_set(err, errno, "read from container init");
	if (msg->type == type)
		return 0;
	if (msg->type == RT_SYNC_ERROR)
		return rt_error_set_raw(err, msg->value, msg->text);
	if (msg->type == 0)
		return rt_error_set(err, EPIPE, "container init exited during set-up");
	return rt_error_set(err, EPROTO, "container init sent message %d, expected %d", msg->type,
			    type);
}

int rt_sync_peer_gone(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP));
}
