/* clone3 that runs a function on a stack of the caller's choosing, for children that share
 * the caller's memory (CLONE_VM).  syscall(2) cannot do that: the child would return through
 * the caller's frames on a stack it does not own.  As glibc's internal __clone3, the child's
 * side is a few instructions of assembly that call fn(arg) on the new stack and exit with its
 * result.  Only x86-64 has it here; elsewhere it fails with ENOSYS and callers fork. */
#define _GNU_SOURCE
#include "syscalls.h"

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
