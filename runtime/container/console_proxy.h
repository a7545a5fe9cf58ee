/* Foreground `run` of a terminal container without --console-socket: husk receives the pty
 * master itself and copies between its own stdio and the container's terminal, as runc does. */
#ifndef HUSK_RUNTIME_CONSOLE_PROXY_H
#define HUSK_RUNTIME_CONSOLE_PROXY_H

#include "../../common/error.h"

/* A socketpair: *ret_local receives the master, *ret_remote goes to the init as its console
 * socket. */
int rt_console_proxy_pair(int *ret_local, int *ret_remote, struct rt_error *err);

/* Receive the master on local (call once the init reported READY). */
int rt_console_proxy_recv(int local, int *ret_master, struct rt_error *err);

/* Copy stdin -> master and master -> stdout until pidfd (the container's init) exits; stdin
 * is put in raw mode while it is a terminal and restored after; SIGWINCH resizes the pty. */
void rt_console_proxy_run(int master, int pidfd);

#endif
