/* recvtty: the receiving end of --console-socket, for the integration tests.
 *
 *   recvtty SOCKET OUTDIR [INPUT]
 *
 * Listens on the unix socket SOCKET, accepts one connection, receives one fd with SCM_RIGHTS
 * (the pty master, as runc and husk send it), writes OUTDIR/info (what the fd is: the target of
 * /proc/self/fd/N, whether it is a tty, its window size), writes INPUT to the master if given,
 * then copies everything the container writes to OUTDIR/output until the slave side is closed
 * (EIO), and finally creates OUTDIR/done.  Compiled by tests/helpers/build-tools. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "recvtty: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int recv_fd(int conn)
{
	char data[256];
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		die("recvmsg");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof(fd));
			return fd;
		}
	}
	errno = EBADMSG;
	die("no SCM_RIGHTS fd in the message");
	return -1;
}

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	if (!f)
		die(path);
	return f;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: recvtty SOCKET OUTDIR [INPUT]\n");
		return 2;
	}
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		die(argv[1]);
	}
	strcpy(addr.sun_path, argv[1]);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("bind");
	if (listen(lfd, 1) < 0)
		die("listen");
	int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		die("accept");
	int master = recv_fd(conn);
	close(conn);
	close(lfd);

	char link[64], target[4096] = "";
	snprintf(link, sizeof(link), "/proc/self/fd/%d", master);
	ssize_t tl = readlink(link, target, sizeof(target) - 1);
	if (tl >= 0)
		target[tl] = '\0';
	struct winsize ws = {0};
	int have_ws = ioctl(master, TIOCGWINSZ, &ws) == 0;
	FILE *info = open_out(argv[2], "info");
	fprintf(info, "target=%s\nisatty=%d\n", target, isatty(master));
	if (have_ws)
		fprintf(info, "size=%u %u\n", ws.ws_row, ws.ws_col);
	fclose(info);

	if (argc == 4) {
		const char *in = argv[3];
		size_t len = strlen(in);
		while (len > 0) {
			ssize_t w = write(master, in, len);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				die("write to the pty master");
			}
			in += w;
			len -= (size_t)w;
		}
	}

	FILE *out = open_out(argv[2], "output");
	char buf[4096];
	for (;;) {
		ssize_t n = read(master, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EIO: every slave fd is closed */
		fwrite(buf, 1, (size_t)n, out);
		fflush(out);
	}
	fclose(out);
	fclose(open_out(argv[2], "done"));
	return 0;
}
