/* process.terminal: the pty is made inside the container (its own devpts) and the master is
 * handed to the --console-socket listener, as runc does for conmon and containerd's shim. */
#ifndef HUSK_RUNTIME_TERMINAL_H
#define HUSK_RUNTIME_TERMINAL_H

#include "../../common/error.h"
#include "../spec/spec.h"

/* In the container, after pivot_root: open /dev/ptmx (the container's devpts), size it,
 * send the master over console_fd, bind the slave on /dev/console (bind_console: the init;
 * exec leaves /dev/console alone), make it the controlling terminal and stdio. */
int rt_terminal_setup(int console_fd, const struct rt_process *p, int bind_console,
		      struct rt_error *err);

/* Connect to the --console-socket path (host side, before the container exists). */
int rt_console_socket_connect(const char *path, struct rt_error *err);

/* Send a pty master over a console socket with SCM_RIGHTS (payload "/dev/ptmx"). */
int rt_terminal_send_master(int sock, int master);

/* Receive a pty master sent with SCM_RIGHTS on fd. */
int rt_terminal_recv_master(int fd, int *ret_master, struct rt_error *err);

#endif
