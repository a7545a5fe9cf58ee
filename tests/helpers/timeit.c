/* timeit OUTFILE CMD [ARG...]: run CMD and append its wall time in microseconds, one line, to
 * OUTFILE; exit with CMD's status (128 + signal when killed).
 *
 * The benchmarks time each runtime with this rather than with the shell's clock around the
 * command: bash forks a copy of itself for every command it runs, about 3 ms on the 2-core test
 * VM, and that fork would count on top of the runtime being timed, the same for every runtime,
 * which pulls every ratio towards 1.  posix_spawn starts CMD the way containerd's shim, conmon
 * and CRI-O do (Go's os/exec clones with CLONE_VM|CLONE_VFORK), and the clock runs from just
 * before the spawn until CMD has been reaped.  stdin, stdout, stderr and the environment are
 * CMD's as given to timeit. */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static long long now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	long long t0, t1;
	pid_t pid;
	int status, r;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: timeit OUTFILE CMD [ARG...]\n");
		return 2;
	}
	t0 = now_us();
	r = posix_spawnp(&pid, argv[2], NULL, NULL, &argv[2], environ);
	if (r != 0) {
		fprintf(stderr, "timeit: %s: %s\n", argv[2], strerror(r));
		return 127;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("timeit: waitpid");
			return 2;
		}
	t1 = now_us();
	out = fopen(argv[1], "a");
	if (out == NULL || fprintf(out, "%lld\n", t1 - t0) < 0 || fclose(out) != 0) {
		fprintf(stderr, "timeit: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
