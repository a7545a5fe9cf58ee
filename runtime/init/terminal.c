#define _GNU_SOURCE
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "mount.h"

int rt_console_socket_connect(const char *path, struct rt_error *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	cleanup_close int fd = -1;
	struct stat st;

	if (stat(path, &st) < 0)
		return rt_error_set(err, errno, "console socket `%s`", path);
	if (!S_ISSOCK(st.st_mode))
		return rt_error_set(err, ENOTSOCK, "console socket `%s`", path);
	if (strlen(path) >= sizeof(addr.sun_path))
		return rt_error_set(err, ENAMETOOLONG, "console socket `%s`", path);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return rt_error_set(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return rt_error_set(err, errno, "connect to console socket `%s`", path);
	return TAKE_FD(fd);
}

int rt_terminal_send_master(int sock, int fd)
{
	/* the payload names the file, as recvtty and conmon expect */
	static const char name[] = "/dev/ptmx";
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)name, .iov_len = sizeof(name) - 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;

	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int rt_terminal_setup(int console_fd, const struct rt_process *p, int bind_console,
		      struct rt_error *err)
{
	cleanup_close int master = -1, slave = -1;
	char slave_path[64];
	unsigned int ptn;
	int unlock = 0;

	if (console_fd < 0)
		return rt_error_set(err, EINVAL,
				    "process.terminal is set but no console socket was given");
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return rt_error_set(err, errno,
				    "open `/dev/ptmx` (is devpts mounted on /dev/pts?)");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &ptn) < 0)
		return rt_error_set(err, errno, "unlock pty");
	snprintf(slave_path, sizeof(slave_path), "/dev/pts/%u", ptn);
	slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return rt_error_set(err, errno, "open `%s`", slave_path);
	if (p->has_console_size) {
		struct winsize ws = {.ws_row = (unsigned short)p->console_size.height,
				     .ws_col = (unsigned short)p->console_size.width};
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return rt_error_set(err, errno, "process.consoleSize");
	}
	if (bind_console && rt_rootfs_console(slave_path, err) < 0)
		return -1;
	if (rt_terminal_send_master(console_fd, master) < 0)
		return rt_error_set(err, errno, "send pty master to the console socket");
	if (setsid() < 0 && errno != EPERM)
		return rt_error_set(err, errno, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return rt_error_set(err, errno, "make `%s` the controlling terminal", slave_path);
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return rt_error_set(err, errno, "dup pty to fd %d", i);
	return 0;
}

int rt_terminal_recv_master(int fd, int *ret_master, struct rt_error *err)
{
	char name[256];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	ssize_t n;

	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return rt_error_set(err, errno, "receive pty master");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			memcpy(ret_master, CMSG_DATA(c), sizeof(int));
			return 0;
		}
	}
	return rt_error_set(err, EPROTO, "no pty master received");
}
