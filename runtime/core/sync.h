/* The parent <-> container-init protocol over a SOCK_SEQPACKET socketpair.  One message per
 * step, so the parent always knows how far the child got, and the child's errors (errno and
 * message) travel back on the same channel that reports success: one reporting path. */
#ifndef HUSK_RUNTIME_SYNC_H
#define HUSK_RUNTIME_SYNC_H

#include <sys/types.h>

#include "../../common/error.h"

enum rt_sync_type {
	RT_SYNC_ERROR = 1,  /* child -> parent: errnum + message; the child exits after it */
	RT_SYNC_USERMAP,    /* child -> parent: write my uid/gid maps; parent replies CONTINUE */
	RT_SYNC_HOOKS,	    /* child -> parent: mounts done, run prestart/createRuntime hooks */
	RT_SYNC_CONTINUE,   /* parent -> child: go on (after HOOKS: text = the state JSON) */
	RT_SYNC_CHILD_PID,  /* intermediate -> parent: pid of the real init (value) */
	RT_SYNC_READY,	    /* child -> parent: everything set up, waiting for start */
	RT_SYNC_START,	    /* parent -> child (run): exec now */
	RT_SYNC_SECCOMP_FD, /* child -> parent: seccomp notify fd attached */
};

struct rt_sync_msg {
	int type;
	int value;	  /* errnum, pid, ... */
	char text[32768]; /* error message, or the state JSON for the container's hooks */
};

int rt_sync_send(int fd, int type, int value, const char *text, int passfd);
/* Receive one message; ret_fd (may be NULL) gets an attached fd or -1.  EOF gives
 * type 0.  Returns -1 with errno on failure. */
int rt_sync_recv(int fd, struct rt_sync_msg *msg, int *ret_fd);
/* Child side, right after PR_SET_PDEATHSIG: 1 when the parent's end of the socket is closed
 * (the parent died before the death signal was armed and will never send it), else 0.
 * getppid() cannot tell in a new pid namespace, where it is 0 whoever the parent is. */
int rt_sync_peer_gone(int fd);
/* Child side, once a seccomp filter may be in place: the same messages (no fd) by write()
 * and read(), the calls runc makes there, which a profile allows where it may not allow
 * sendmsg or recvmsg.  A write to a parent that went away raises SIGPIPE. */
int rt_sync_write(int fd, int type, int value, const char *text);
int rt_sync_read(int fd, struct rt_sync_msg *msg);
/* Child side: write err and exit(1).  Never returns. */
void rt_sync_fail(int fd, const struct rt_error *err) __attribute__((noreturn));
/* Parent side: wait for a message of the given type; an ERROR message or EOF becomes err. */
int rt_sync_expect(int fd, int type, struct rt_sync_msg *msg, int *ret_fd, struct rt_error *err);

#endif
