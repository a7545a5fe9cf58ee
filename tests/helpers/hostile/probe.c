/* probe: a small static multi-tool that attacks the runtime from inside a container (and, as
 * `agent`, plays the OCI seccomp agent on the host).  Built by tests/helpers/hostile/build.
 *
 *   probe exe PID            try to reach the runtime image behind /proc/PID/exe: readlink,
 *                            open O_PATH, open O_WRONLY; prints one line per attempt
 *   probe exe-wait PID FILE  loop `exe` attempts on PID until FILE exists (races an exec)
 *   probe exe-hold PID GO    open /proc/PID/exe O_PATH and keep it; once GO exists (the
 *                            runtime image is gone by then), reopen it for writing (never
 *                            writes); prints "open-path R" and "reopen-write R"
 *   probe exe-scan SECS      for SECS seconds, grab an O_PATH fd of every other process's
 *                            exe that is not busybox or this probe, then try to reopen each
 *                            for writing; prints "caught N" and one "reopen-write R" each
 *   probe fds                the open fds of this process, one per line ("N -> target")
 *   probe ids                "uid=R/E/S gid=R/E/S" and the five capability masks
 *   probe write FILE         append a line to FILE: "ok" or "errno-name"
 *   probe agent SOCK OUT     seccomp agent: accept one connection on SOCK, receive the
 *                            notify fd and the state JSON (saved to OUT), answer the first
 *                            notification with success and return value 4242, exit
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
	case 0: return "ok";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ETXTBSY: return "ETXTBSY";
	case ENOENT: return "ENOENT";
	case EROFS: return "EROFS";
	case ESRCH: return "ESRCH";
	case ELOOP: return "ELOOP";
	case EXDEV: return "EXDEV";
	default: return strerror(e);
	}
}

static int exe_attempt(const char *pid, int quiet)
{
	char p[64], buf[4096];
	int fd, reached = 0;
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%s/exe", pid);
	n = readlink(p, buf, sizeof(buf) - 1);
	if (n >= 0) {
		buf[n] = 0;
		reached = 1;
	}
	if (!quiet)
		printf("readlink %s\n", n >= 0 ? buf : ename(errno));
	fd = open(p, O_PATH | O_CLOEXEC);
	if (!quiet)
		printf("open-path %s\n", ename(fd >= 0 ? 0 : errno));
	if (fd >= 0) {
		reached = 1;
		/* the 2019 attack: keep the O_PATH fd, reopen it for writing */
		char q[64];
		snprintf(q, sizeof(q), "/proc/self/fd/%d", fd);
		int w = open(q, O_WRONLY | O_CLOEXEC);
		if (!quiet)
			printf("reopen-write %s\n", ename(w >= 0 ? 0 : errno));
		if (w >= 0)
			reached = 2;
		close(fd);
	}
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (!quiet)
		printf("open-write %s\n", ename(fd >= 0 ? 0 : errno));
	if (fd >= 0)
		reached = 2;
	return reached;
}

static int cmd_exe_hold(const char *pid, const char *go)
{
	char p[64];
	int fd, w;

	snprintf(p, sizeof(p), "/proc/%s/exe", pid);
	fd = open(p, O_PATH | O_CLOEXEC);
	printf("open-path %s\n", ename(fd >= 0 ? 0 : errno));
	if (fd < 0)
		return 0;
	while (access(go, F_OK) < 0)
		usleep(10000);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	w = open(p, O_WRONLY | O_CLOEXEC);
	printf("reopen-write %s\n", ename(w >= 0 ? 0 : errno));
	return 0;
}

static int cmd_exe_scan(int secs)
{
	int held[256], n = 0;
	time_t end = time(NULL) + secs;
	char self[32];

	snprintf(self, sizeof(self), "%d", (int)getpid());
	while (time(NULL) < end && n < 256) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		while (d && (e = readdir(d)) && n < 256) {
			char p[300], t[4096];
			ssize_t len;
			if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
			    strcmp(e->d_name, self) == 0)
				continue;
			snprintf(p, sizeof(p), "/proc/%s/exe", e->d_name);
			int fd = open(p, O_PATH | O_CLOEXEC);
			if (fd < 0)
				continue;
			snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
			len = readlink(p, t, sizeof(t) - 1);
			t[len > 0 ? len : 0] = 0;
			if (strstr(t, "busybox") || strstr(t, "probe")) {
				close(fd);
				continue;
			}
			held[n++] = fd;
		}
		if (d)
			closedir(d);
	}
	printf("caught %d\n", n);
	sleep(1); /* the caught processes are gone by now: no ETXTBSY protects the file */
	for (int i = 0; i < n; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", held[i]);
		int w = open(p, O_WRONLY | O_CLOEXEC);
		printf("reopen-write %s\n", ename(w >= 0 ? 0 : errno));
	}
	return 0;
}

static int cmd_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self;

	if (d == NULL) {
		perror("opendir /proc/self/fd");
		return 1;
	}
	self = dirfd(d);
	while ((e = readdir(d))) {
		char p[300], t[4096];
		ssize_t n;
		if (e->d_name[0] == '.' || atoi(e->d_name) == self)
			continue;
		snprintf(p, sizeof(p), "/proc/self/fd/%s", e->d_name);
		n = readlink(p, t, sizeof(t) - 1);
		t[n > 0 ? n : 0] = 0;
		printf("%s -> %s\n", e->d_name, t);
	}
	closedir(d);
	return 0;
}

static int cmd_ids(void)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	printf("uid=%u/%u/%u gid=%u/%u/%u\n", r, e, s, gr, ge, gs);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "NoNewPrivs", 10) == 0)
			fputs(line, stdout);
	return 0;
}

static int cmd_write(const char *file)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || write(fd, "pwned\n", 6) != 6) {
		printf("%s\n", ename(errno));
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int recv_fd(int sock, char *buf, size_t len, int *ret_fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr a;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = len - 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	struct cmsghdr *c;

	if (n < 0)
		return -1;
	*ret_fd = -1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
	/* the rest of the text (a stream may split it) */
	size_t off = (size_t)n;
	while (off < len - 1) {
		n = read(sock, buf + off, len - 1 - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf[off] = 0;
	return 0;
}

static int cmd_agent(const char *path, const char *out)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	static char buf[65536];
	int ls, s, nfd;
	FILE *f;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 1) < 0) {
		perror("agent: listen");
		return 1;
	}
	s = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0 || recv_fd(s, buf, sizeof(buf), &nfd) < 0 || nfd < 0) {
		fprintf(stderr, "agent: no fd received\n");
		return 1;
	}
	f = fopen(out, "w");
	fprintf(f, "%s\n", buf);
	fclose(f);
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	memset(&req, 0, sizeof(req));
	if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
		perror("agent: NOTIF_RECV");
		return 1;
	}
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.val = 4242;
	if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0) {
		perror("agent: NOTIF_SEND");
		return 1;
	}
	f = fopen(out, "a");
	fprintf(f, "answered syscall %d of pid %u\n", req.data.nr, req.pid);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && strcmp(argv[1], "exe") == 0)
		return exe_attempt(argv[2], 0) == 2 ? 3 : 0;
	if (argc >= 4 && strcmp(argv[1], "exe-wait") == 0) {
		int worst = 0;
		while (access(argv[3], F_OK) < 0) {
			int r = exe_attempt(argv[2], 1);
			worst = r > worst ? r : worst;
		}
		printf("worst %s\n", worst == 2 ? "written" : worst == 1 ? "reached" : "denied");
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "exe-hold") == 0)
		return cmd_exe_hold(argv[2], argv[3]);
	if (argc >= 3 && strcmp(argv[1], "exe-scan") == 0)
		return cmd_exe_scan(atoi(argv[2]));
	if (argc >= 2 && strcmp(argv[1], "fds") == 0)
		return cmd_fds();
	if (argc >= 2 && strcmp(argv[1], "ids") == 0)
		return cmd_ids();
	if (argc >= 3 && strcmp(argv[1], "write") == 0)
		return cmd_write(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "agent") == 0)
		return cmd_agent(argv[2], argv[3]);
	fprintf(stderr, "usage: probe exe PID | exe-wait PID FILE | exe-hold PID GO | exe-scan "
			"SECS | fds | ids | write FILE | agent SOCK OUT\n");
	return 2;
}
