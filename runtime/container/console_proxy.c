#define _GNU_SOURCE
#include "console_proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "../init/terminal.h"

int rt_console_proxy_pair(int *ret_local, int *ret_remote, struct rt_error *err)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return rt_error_set(err, errno, "console socketpair");
	*ret_local = sv[0];
	*ret_remote = sv[1];
	return 0;
}

int rt_console_proxy_recv(int local, int *ret_master, struct rt_error *err)
{
	return rt_terminal_recv_master(local, ret_master, err);
}

static void copy_winsize(int from, int to)
{
	struct winsize ws;

	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

/* Move what is readable on in to out; 0 at EOF or error. */
static int pump(int in, int out)
{
	char buf[8192];
	ssize_t n = read(in, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN);
	return rt_write_all(out, buf, (size_t)n) == 0;
}

void rt_console_proxy_run(int master, int pidfd)
{
	struct termios saved, raw;
	int is_tty = isatty(0) && tcgetattr(0, &saved) == 0;
	sigset_t set;
	cleanup_close int sfd = -1;
	int in_open = 1;

	if (is_tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
		copy_winsize(0, master);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	for (;;) {
		struct pollfd p[4] = {{.fd = master, .events = POLLIN},
				      {.fd = in_open ? 0 : -1, .events = POLLIN},
				      {.fd = sfd, .events = POLLIN},
				      {.fd = pidfd, .events = POLLIN}};
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((p[0].revents & POLLIN) && !pump(master, 1))
			break;
		if (p[0].revents & (POLLHUP | POLLERR) && !(p[0].revents & POLLIN))
			break;
		if ((p[1].revents & (POLLIN | POLLHUP)) && !pump(0, master))
			in_open =
			    0; /* stdin closed: keep showing output until the container ends */
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si) && is_tty)
				copy_winsize(0, master);
		}
		if (p[3].revents & POLLIN) {
			/* drain what the container wrote last */
			while (poll(p, 1, 0) > 0 && (p[0].revents & POLLIN) && pump(master, 1))
				;
			break;
		}
	}
	if (is_tty)
		tcsetattr(0, TCSANOW, &saved);
}
