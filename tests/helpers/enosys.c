/* enosys NAME[,NAME...] CMD [ARG...]: run CMD with those system calls failing with ENOSYS, as
 * on a kernel that predates them (crun tests its fallbacks the same way).  The seccomp filter
 * is inherited by husk and by its containers.  Root with CAP_SYS_ADMIN: no no_new_privs, so
 * setuid files keep working.  Compiled by tests/helpers/build-tools. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	const char *name;
	int nr;
} calls[] = {
    {"open_tree", 428}, {"move_mount", 429},  {"fsopen", 430},	   {"fsconfig", 431},
    {"fsmount", 432},	{"fspick", 433},      {"openat2", 437},	   {"mount_setattr", 442},
    {"clone3", 435},	{"close_range", 436}, {"pidfd_open", 434}, {"pidfd_send_signal", 424},
};

int main(int argc, char **argv)
{
	struct sock_filter f[64];
	int n = 0;

	if (argc < 3) {
		fputs("usage: enosys NAME[,NAME...] CMD [ARG...]\n", stderr);
		return 2;
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (char *tok = strtok(argv[1], ","); tok; tok = strtok(NULL, ",")) {
		size_t i;
		for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
			if (strcmp(calls[i].name, tok) == 0)
				break;
		if (i == sizeof(calls) / sizeof(calls[0]) || n > 60) {
			fprintf(stderr, "enosys: unknown system call %s\n", tok);
			return 2;
		}
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, calls[i].nr, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("enosys: seccomp");
		return 1;
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
