#define _GNU_SOURCE
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "../../common/log.h"
#include "../../common/syscalls.h"

extern char **environ;

/* A hook that exits without reading stdin must not kill us with SIGPIPE (a create would die
 * half-way, its rollback undone): the signal is blocked for the write and the one it raised
 * dropped. */
static void write_state(int fd, const char *state_json)
{
	struct timespec zero = {0, 0};
	sigset_t pipe_set, old;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	if (rt_write_all(fd, state_json, strlen(state_json)) < 0 && errno == EPIPE &&
	    !sigismember(&old, SIGPIPE))
		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static int run_one(const struct rt_hook *h, const char *state_json, struct rt_error *err)
{
	int in[2];
	cleanup_close int pidfd = -1;
	pid_t pid;
	int status;
	char *default_argv[] = {h->path, NULL};
	char *empty_env[] = {NULL};

	if (pipe2(in, O_CLOEXEC) < 0)
		return rt_error_set(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return rt_error_set(err, errno, "fork");
	}
	if (pid == 0) {
		dup2(in[0], 0);
		/* the hook must not keep the caller's pipes (containerd waits on their EOF) */
		if (rt_sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
			/* fds are O_CLOEXEC from birth anyway */
		}
		execve(h->path, h->args ? h->args : default_argv, h->env ? h->env : empty_env);
		_exit(127);
	}
	close(in[0]);
	write_state(in[1], state_json);
	close(in[1]);

	pidfd = rt_sys_pidfd_open(pid, 0);
	if (h->has_timeout && pidfd >= 0) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		int r;
		do
			r = poll(&p, 1, h->timeout * 1000);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return rt_error_set(err, ETIMEDOUT, "hook `%s` timed out after %d s",
					    h->path, h->timeout);
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return rt_error_set(err, errno, "wait for hook `%s`", h->path);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && access(h->path, X_OK) < 0)
		return rt_error_set(err, errno, "hook `%s`", h->path);
	if (WIFSIGNALED(status))
		return rt_error_set(err, 0, "hook `%s` killed by signal %d", h->path,
				    WTERMSIG(status));
	return rt_error_set(err, 0, "hook `%s` exited with status %d", h->path,
			    WEXITSTATUS(status));
}

int rt_hooks_run(const struct rt_hook_list *list, enum rt_hook_kind kind, const char *state_json,
		 struct rt_error *err)
{
	for (size_t i = 0; i < list->n; i++) {
		if (run_one(&list->hooks[i], state_json, err) < 0)
			return rt_error_wrap(err, "%s hook %zu", rt_hook_kind_name(kind), i);
	}
	return 0;
}

void rt_hooks_run_warn(const struct rt_hook_list *list, enum rt_hook_kind kind,
		       const char *state_json)
{
	for (size_t i = 0; i < list->n; i++) {
		struct rt_error err = RT_ERROR_INIT;
		if (run_one(&list->hooks[i], state_json, &err) < 0) {
			rt_warn("%s hook %zu: %s", rt_hook_kind_name(kind), i, err.msg);
			rt_error_release(&err);
		}
	}
}
