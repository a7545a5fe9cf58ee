#define _GNU_SOURCE
#include "last_steps.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "process.h"

static void die_of_signal(int sig)
{
	_exit(128 + sig);
}

/* Until exec the init is pid 1 of the container's pid namespace, where the kernel drops every
 * signal it has no handler for (but KILL and STOP), also from the host: a created container
 * would ignore the TERM with which podman and containerd's shim stop it first (runc's init, a
 * Go program, has handlers and dies of it).  So the signals that end a process by default get
 * a handler that ends us.  execve puts them back to SIG_DFL for the program, and these
 * sigaction calls come before any seccomp filter. */
static int catch_stop_signals(struct rt_error *err)
{
	static const int sigs[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1,
				   SIGUSR2, SIGPIPE, SIGALRM, SIGTERM};
	struct sigaction sa = {.sa_handler = die_of_signal};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return rt_error_set(err, errno, "handle signal %d until exec", sigs[i]);
	return 0;
}

int rt_last_steps_run(const struct rt_last_steps *s, struct rt_error *err)
{
	const struct rt_process *p = s->p;
	char exe[PATH_MAX];
	int cwd_later = 0;

	if (rt_process_prepare_cwd(p, &cwd_later, err) < 0 ||
	    rt_process_lookup_exec(p, exe, sizeof(exe), err) < 0)
		return -1;
	if (s->checked && s->checked(s->data, err) < 0)
		return -1;
	if (p->has_exec_cpu_affinity &&
	    rt_process_set_affinity(p->exec_cpu_affinity.final, err) < 0)
		return -1;
	rt_process_set_umask(p);
	/* nothing of the runtime's may reach the program: every fd past stdio and the preserved
	 * ones is close-on-exec (the sync socket stays open until exec: its EOF tells the parent
	 * that exec happened) */
	if (rt_process_reset_signals(err) < 0 ||
	    (s->catch_stop_signals && catch_stop_signals(err) < 0) ||
	    rt_process_cloexec_from(3 + s->preserve_fds, err) < 0)
		return -1;
	if (s->disarm_death_signal)
		prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (!p->no_new_privileges && s->load_filter(s->data, 0, err) < 0)
		return -1;
	if (rt_process_set_user(p, err) < 0)
		return -1;
	if (cwd_later && rt_process_enter_cwd_late(p, err) < 0)
		return -1;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return rt_error_set(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	if (s->wait && s->wait(s->data, err) < 0)
		return -1;
	if (p->no_new_privileges && s->load_filter(s->data, 1, err) < 0)
		return -1;
	execve(exe, p->args, p->env);
	return rt_error_set(err, errno, "exec: \"%s\"", exe);
}
