/* rt_sys_clone3_fn: a CLONE_VM child runs the function on the stack it was given, shares our
 * memory, and exits with the function's result; the parent gets its pid. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/syscalls.h"

struct shared {
	int seen;
	pid_t child_pid;
	uintptr_t child_sp;
};

static int child(void *p)
{
	struct shared *s = p;
	int local;

	s->seen = 42;
	s->child_pid = getpid();
	s->child_sp = (uintptr_t)&local;
	return 7;
}

static long clone_vm(struct shared *s, char *stack, size_t size, unsigned long long extra)
{
	struct clone_args args = {
	    .flags = CLONE_VM | extra,
	    .exit_signal = SIGCHLD,
	    .stack = (uintptr_t)stack,
	    .stack_size = size,
	};
	return rt_sys_clone3_fn(&args, sizeof(args), child, s);
}

static void vfork_child_shares_memory_and_stack(void **state)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	struct shared s = {0};
	int status;
	long pid = clone_vm(&s, stack, sizeof(stack), CLONE_VFORK);

	if (pid < 0 && errno == ENOSYS)
		skip(); /* no trampoline for this architecture: callers fork instead */
	assert_true(pid > 0);
	/* CLONE_VFORK: it has exited by now, and what it wrote is in our memory */
	assert_int_equal(s.seen, 42);
	assert_int_equal(s.child_pid, (pid_t)pid);
	assert_true(s.child_sp >= (uintptr_t)stack &&
		    s.child_sp < (uintptr_t)stack + sizeof(stack));
	assert_int_equal(waitpid((pid_t)pid, &status, 0), (pid_t)pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
}

static void bad_flags_fail_with_errno(void **state)
{
	static char stack[16 * 1024] __attribute__((aligned(16)));
	struct shared s = {0};
	/* CLONE_SIGHAND without CLONE_VM is refused by the kernel, so only the parent returns */
	struct clone_args args = {
	    .flags = CLONE_SIGHAND,
	    .exit_signal = SIGCHLD,
	    .stack = (uintptr_t)stack,
	    .stack_size = sizeof(stack),
	};
	long r = rt_sys_clone3_fn(&args, sizeof(args), child, &s);

	if (r < 0 && errno == ENOSYS)
		skip();
	assert_int_equal(r, -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(s.seen, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(vfork_child_shares_memory_and_stack),
	    cmocka_unit_test(bad_flags_fail_with_errno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
