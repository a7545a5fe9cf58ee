#define _GNU_SOURCE
/* The cgroups/ library alone on the VM's real cgroup v2 (`tests/vm/run --lib`): create with
 * limits, children placed by clone3(CLONE_INTO_CGROUP), and the kernel enforcing each limit;
 * stats, freeze, update, remove, and a kernel-refused cpuset rolled back.  Prints TAP.  Built
 * statically by tests/vm/run against build/rel/libcgroups.a and libcommon.a. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../cgroups/cgroup.h"
#include "../../common/fsutil.h"
#include "../../common/syscalls.h"

static int n_tests, n_failed;

__attribute__((format(printf, 2, 3))) static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	n_tests++;
	n_failed += !ok;
	printf("%s %d - ", ok ? "ok" : "not ok", n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

enum child { HOG_64M, FORK_LOOP, SPIN };

/* A child born in the cgroup: HOG_64M touches 64 MiB, FORK_LOOP forks until refused and exits
 * with the number of forks, SPIN burns CPU. */
static pid_t spawn(struct cg_cgroup *cg, enum child what)
{
	struct clone_args a = {
	    .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cg->fd};
	pid_t pid = (pid_t)rt_sys_clone3(&a, sizeof(a));

	if (pid != 0)
		return pid;
	if (what == HOG_64M) {
		size_t size = 64 << 20;
		volatile char *p = malloc(size);
		for (size_t i = 0; p && i < size; i += 4096)
			p[i] = 1;
		_exit(0);
	}
	if (what == FORK_LOOP) {
		int forks = 0;
		for (pid_t c; (c = fork()) >= 0; forks++)
			if (c == 0) {
				pause();
				_exit(0);
			}
		_exit(forks);
	}
	for (;;)
		;
}

static const char *value(struct cg_cgroup *cg, const char *file, char *buf, size_t len)
{
	struct rt_error err = RT_ERROR_INIT;
	char *data = NULL;

	if (rt_read_file_at(cg->fd, file, &data, NULL, &err) < 0) {
		rt_error_release(&err);
		return "(unreadable)";
	}
	snprintf(buf, len, "%s", data);
	buf[strcspn(buf, "\n")] = '\0';
	free(data);
	return buf;
}

#define EXPECT_FILE(cg, file, want)                                                \
	do {                                                                       \
		char b_[128];                                                      \
		const char *v_ = value(cg, file, b_, sizeof(b_));                  \
		check(strcmp(v_, want) == 0, "%s = %s (want %s)", file, v_, want); \
	} while (0)

static struct cg_limits *limits(void)
{
	struct cg_limits *l = cg_limits_new();

	l->has_memory_limit = l->has_memory_swap = 1;
	l->memory_limit = l->memory_swap = 32 << 20;
	l->has_pids_limit = 1;
	l->pids_limit = 16;
	l->has_cpu_quota = l->has_cpu_period = l->has_cpu_shares = 1;
	l->cpu_quota = 10000;
	l->cpu_period = 100000;
	l->cpu_shares = 512;
	l->has_io_weight = 1;
	l->io_weight = 100;
	l->cpuset_cpus = strdup("0");
	l->cpuset_mems = strdup("0");
	return l;
}

int main(void)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_hierarchy *h = NULL;
	struct cg_cgroup *cg = NULL, *bad = NULL;
	struct cg_limits *l = limits(), *upd = cg_limits_new(), *badl = cg_limits_new();
	struct cg_stats s;
	int st;

	if (cg_hierarchy_open(NULL, &h, &err) < 0 ||
	    cg_create(h, "smoke/c1", l, 0, &cg, &err) < 0) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	EXPECT_FILE(cg, "memory.max", "33554432");
	EXPECT_FILE(cg, "memory.swap.max", "0");
	EXPECT_FILE(cg, "pids.max", "16");
	EXPECT_FILE(cg, "cpu.max", "10000 100000");
	EXPECT_FILE(cg, "cpu.weight", "20");
	EXPECT_FILE(cg, "io.weight", "default 910");
	EXPECT_FILE(cg, "cpuset.cpus", "0");

	pid_t p = spawn(cg, HOG_64M);
	waitpid(p, &st, 0);
	check(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "64 MiB hog in 32 MiB: killed (%#x)", st);
	cg_read_stats(cg, &s, &err);
	check(s.memory_events_oom_kill >= 1, "stats: oom_kill %lu",
	      (unsigned long)s.memory_events_oom_kill);
	cg_stats_clear(&s);

	p = spawn(cg, FORK_LOOP);
	waitpid(p, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 15, "fork loop: %d forks under pids.max 16",
	      WEXITSTATUS(st));
	cg_kill(cg, &err);

	pid_t spin = spawn(cg, SPIN);
	sleep(2);
	cg_read_stats(cg, &s, &err);
	check(s.cpu_nr_throttled > 0, "cpu.max: nr_throttled %lu",
	      (unsigned long)s.cpu_nr_throttled);
	cg_stats_clear(&s);

	check(cg_freeze(cg, 1, &err) == 0, "freeze %s", err.msg ? err.msg : "");
	cg_read_stats(cg, &s, &err);
	uint64_t before = s.cpu_usage_ns;
	cg_stats_clear(&s);
	sleep(1);
	cg_read_stats(cg, &s, &err);
	check(s.cpu_usage_ns == before, "frozen: no CPU used (%lu ns -> %lu ns)",
	      (unsigned long)before, (unsigned long)s.cpu_usage_ns);
	cg_stats_clear(&s);
	check(cg_freeze(cg, 0, &err) == 0, "thaw %s", err.msg ? err.msg : "");

	upd->has_pids_limit = 1;
	upd->pids_limit = 5;
	check(cg_update(cg, upd, 0, &err) == 0, "update %s", err.msg ? err.msg : "");
	EXPECT_FILE(cg, "pids.max", "5");
	p = spawn(cg, FORK_LOOP); /* the spinner holds one pid, the loop one: 3 forks left */
	waitpid(p, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 3, "fork loop after update: %d forks",
	      WEXITSTATUS(st));

	check(cg_remove(cg, &err) == 0, "remove %s", err.msg ? err.msg : "");
	waitpid(spin, &st, 0);
	check(faccessat(h->fd, "smoke/c1", F_OK, 0) < 0, "no cgroup left behind");

	rt_error_release(&err);
	badl->cpuset_cpus = strdup("7");
	int r = cg_create(h, "smoke/c2", badl, 0, &bad, &err);
	check(r < 0 && faccessat(h->fd, "smoke/c2", F_OK, 0) < 0,
	      "cpuset.cpus 7 on one CPU refused, nothing left: %s", err.msg);
	rt_error_release(&err);
	cg_remove_path(h, "smoke", &err);

	printf("1..%d\n", n_tests);
	cg_cgroup_free(cg);
	cg_limits_free(l);
	cg_limits_free(upd);
	cg_limits_free(badl);
	cg_hierarchy_free(h);
	return n_failed != 0;
}
