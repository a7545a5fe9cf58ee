#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/error.h"
#include "../../common/fsutil.h"
#include "testutil.h"

int tu_tmpdir(char *dir, size_t size)
{
	int n = snprintf(dir, size, "/tmp/%s.XXXXXX", program_invocation_short_name);

	assert_true(n > 0 && (size_t)n < size);
	assert_non_null(mkdtemp(dir));
	return 0;
}

int tu_tmpdir_remove(const char *dir)
{
	struct rt_error err = RT_ERROR_INIT;

	rt_rmtree_at(AT_FDCWD, dir, &err);
	rt_error_release(&err);
	return 0;
}

int tu_fake_cgroup(char *dir, size_t size, const char *const *files, size_t n_files)
{
	int dirfd;

	tu_tmpdir(dir, size);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	for (size_t i = 0; i < n_files; i++) {
		int fd = openat(dirfd, files[i], O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

		assert_true(fd >= 0);
		close(fd);
	}
	return dirfd;
}

const char *tu_read_at(int dirfd, const char *file)
{
	static char buf[256];
	struct rt_error err = RT_ERROR_INIT;
	char *data = NULL;

	if (rt_read_file_at(dirfd, file, &data, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	snprintf(buf, sizeof(buf), "%s", data);
	free(data);
	return buf;
}

void tu_write_at(int dirfd, const char *file, const char *text)
{
	struct rt_error err = RT_ERROR_INIT;

	if (rt_write_file_at(dirfd, file, text, strlen(text), O_CREAT | O_TRUNC, &err) < 0)
		fail_msg("%s", err.msg);
}

int tu_run_child(void (*fn)(const void *arg), const void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL); /* the child must not print cmocka's buffered output again */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka catches SIGSYS in the parent: a child a filter kills must die by it */
		signal(SIGSYS, SIG_DFL);
		fn(arg);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

void tu_assert_exit_ok(int status)
{
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child exited %d (a failed CHILD_CHECK printed its line)",
			 WEXITSTATUS(status));
}

void tu_assert_child_ok(void (*fn)(const void *arg), const void *arg)
{
	tu_assert_exit_ok(tu_run_child(fn, arg));
}
