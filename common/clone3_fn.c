/* clone3 that runs a function on a stack of the caller's choosing, for children that share
 * the caller's memory (CLONE_VM).  syscall(2) cannot do that: the child would return through
 * the caller's frames on a stack it does not own.  As glibc's internal __clone3, the child's
 * side is a few instructions of assembly that call fn(arg) on the new stack and exit with its
 * result.  Only x86-64 has it here; elsewhere it fails with ENOSYS and callers fork. */
#define _GNU_SOURCE
#include "syscalls.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#endif

#if defined(__x86_64__)
long rt_clone3_raw(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);

/* rdi = args, rsi = size, rdx = fn, rcx = arg.  The kernel keeps rdx and r8 in the child
 * (syscall clobbers only rcx and r11); the child gets rax = 0 and the new stack. */
/* clang-format off */
__asm__(".text\n"
	".globl rt_clone3_raw\n"
	".hidden rt_clone3_raw\n"
	".type rt_clone3_raw,@function\n"
	"rt_clone3_raw:\n"
	"	endbr64\n"
	"	mov %rcx, %r8\n"
	"	mov $" RT_STR(__NR_clone3) ", %eax\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jz 1f\n"
	"	ret\n"
	"1:	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	mov %r8, %rdi\n"
	"	call *%rdx\n"
	"	mov %eax, %edi\n"
	"	mov $" RT_STR(__NR_exit) ", %eax\n"
	"	syscall\n"
	"	hlt\n"
	".size rt_clone3_raw, .-rt_clone3_raw\n");
/* clang-format on */

long rt_sys_clone3_fn(struct clone_args *args, size_t size, int (*fn)(void *), void *arg)
{
	long r = rt_clone3_raw(args, size, fn, arg);

	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}
#else
long rt_sys_clone3_fn(struct clone_args *args, size_t size, int (*fn)(void *), void *arg)
{
	errno = ENOSYS;
	return -1;
}
#endif

long rt_clone_vfork(struct clone_args *args, void *stack, size_t stack_size, int (*fn)(void *),
		    void *arg)
{
	long pid;

	args->flags |= CLONE_VM | CLONE_VFORK;
	args->stack = (uint64_t)(uintptr_t)stack;
	args->stack_size = stack_size;
#if defined(__SANITIZE_ADDRESS__)
	/* what the child allocates stays in our heap once it has exec'd: not a leak of ours (it
	 * shares our thread-local state, so this covers it); and the shadow of its frames, left
	 * poisoned where it stopped, must not flag our later use of that stack */
	__lsan_disable();
#endif
	pid = rt_sys_clone3_fn(args, sizeof(*args), fn, arg);
#if defined(__SANITIZE_ADDRESS__)
	__lsan_enable();
	ASAN_UNPOISON_MEMORY_REGION(stack, stack_size);
#endif
	if (pid < 0) {
		int e = errno;
		args->flags &= ~(uint64_t)(CLONE_VM | CLONE_VFORK);
		args->stack = args->stack_size = 0;
		errno = e;
	}
	return pid;
}
