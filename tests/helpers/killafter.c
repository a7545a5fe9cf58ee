/* killafter USEC CMD [ARG...]: run CMD and SIGKILL it USEC microseconds after it was spawned,
 * unless it exited before; exit with CMD's status (128 + signal when killed), and print
 * "killed" on stderr when the kill came first.
 *
 * The crash tests (tests/integration/crash.bats) kill a runtime command at a random moment of
 * its first milliseconds, as a client's timeout or the OOM killer would.  A shell's `sleep`
 * forks and execs for every delay, which costs more than the window being aimed at; here the
 * delay runs from just after posix_spawn (ppoll on a pidfd of CMD).  Only CMD is killed: what it
 * started is left to the runtime's own crash safety, which is what is being tested. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	struct timespec t;
	struct pollfd pfd = {.fd = -1, .events = POLLIN};
	pid_t pid;
	int status, r, killed = 0;
	long usec;

	if (argc < 3) {
		fprintf(stderr, "usage: killafter USEC CMD [ARG...]\n");
		return 2;
	}
	usec = strtol(argv[1], NULL, 10);
	r = posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ);
	if (r != 0) {
		fprintf(stderr, "killafter: spawn %s: %s\n", argv[2], strerror(r));
		return 127;
	}
	/* the pidfd turns readable when CMD exits: a command done early holds nothing up */
	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	t.tv_sec = usec / 1000000;
	t.tv_nsec = (usec % 1000000) * 1000;
	if (pfd.fd >= 0)
		while ((r = ppoll(&pfd, 1, &t, NULL)) < 0 && errno == EINTR)
			;
	if (pfd.fd < 0 || r == 0)
		killed = kill(pid, SIGKILL) == 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 255;
	if (killed && WIFSIGNALED(status))
		fprintf(stderr, "killed\n");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
