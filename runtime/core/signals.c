#define _GNU_SOURCE
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../common/cleanup.h"

static const struct {
	const char *name; /* without "SIG"; the first of a number is its canonical name */
	int sig;
} signals[] = {
    {"HUP", SIGHUP},	   {"INT", SIGINT},	{"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP},	   {"ABRT", SIGABRT},	{"IOT", SIGIOT},   {"BUS", SIGBUS},
    {"FPE", SIGFPE},	   {"KILL", SIGKILL},	{"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},	   {"PIPE", SIGPIPE},	{"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},	{"CLD", SIGCHLD},  {"CONT", SIGCONT},
    {"STOP", SIGSTOP},	   {"TSTP", SIGTSTP},	{"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
    {"URG", SIGURG},	   {"XCPU", SIGXCPU},	{"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},	   {"WINCH", SIGWINCH}, {"IO", SIGIO},	   {"POLL", SIGPOLL},
    {"PWR", SIGPWR},	   {"SYS", SIGSYS},
};

/* SIGRTMIN is glibc's (34: it keeps 32 and 33 for itself), as docker and runc count. */
static const char *const rt_names[] = {
    "SIGRTMIN",	   "SIGRTMIN+1",  "SIGRTMIN+2",	 "SIGRTMIN+3",	"SIGRTMIN+4",  "SIGRTMIN+5",
    "SIGRTMIN+6",  "SIGRTMIN+7",  "SIGRTMIN+8",	 "SIGRTMIN+9",	"SIGRTMIN+10", "SIGRTMIN+11",
    "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14", "SIGRTMIN+15", "SIGRTMAX-14", "SIGRTMAX-13",
    "SIGRTMAX-12", "SIGRTMAX-11", "SIGRTMAX-10", "SIGRTMAX-9",	"SIGRTMAX-8",  "SIGRTMAX-7",
    "SIGRTMAX-6",  "SIGRTMAX-5",  "SIGRTMAX-4",	 "SIGRTMAX-3",	"SIGRTMAX-2",  "SIGRTMAX-1",
    "SIGRTMAX",
};

const char *rt_signal_name(int sig)
{
	static const char *const names[] = {
	    "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",  "SIGTRAP",   "SIGABRT", "SIGBUS",
	    "SIGFPE",  "SIGKILL",   "SIGUSR1", "SIGSEGV", "SIGUSR2",   "SIGPIPE", "SIGALRM",
	    "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",   "SIGTSTP", "SIGTTIN",
	    "SIGTTOU", "SIGURG",    "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
	    "SIGIO",   "SIGPWR",    "SIGSYS",
	};

	if (sig >= 1 && sig <= (int)ARRAY_SIZE(names))
		return names[sig - 1];
	/* The table names by the nearer end, as kill -l does: RTMIN+15, then RTMAX-14. */
	if (SIGRTMAX - SIGRTMIN + 1 == (int)ARRAY_SIZE(rt_names) && sig >= SIGRTMIN &&
	    sig <= SIGRTMAX)
		return rt_names[sig - SIGRTMIN];
	return NULL;
}

static int parse_number(const char *s, int *ret)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > SIGRTMAX)
		return -1;
	*ret = (int)v;
	return 0;
}

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" (s without "SIG"). */
static int parse_realtime(const char *s, int *ret)
{
	int base, sign, n = 0;

	if (strncasecmp(s, "RTMIN", 5) == 0) {
		base = SIGRTMIN;
		sign = '+';
	} else if (strncasecmp(s, "RTMAX", 5) == 0) {
		base = SIGRTMAX;
		sign = '-';
	} else {
		return -1;
	}
	s += 5;
	if (*s) {
		if (*s != sign || parse_number(s + 1, &n) < 0)
			return -1;
	}
	n = sign == '+' ? base + n : base - n;
	if (n < SIGRTMIN || n > SIGRTMAX)
		return -1;
	*ret = n;
	return 0;
}

int rt_signal_parse(const char *s, int *ret_sig, struct rt_error *err)
{
	const char *name = s;
	int sig;

	if (parse_number(s, &sig) == 0) {
		if (sig < 1)
			return rt_error_set(err, 0, "invalid signal \"%s\"", s);
		*ret_sig = sig;
		return 0;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (strcasecmp(signals[i].name, name) == 0) {
			*ret_sig = signals[i].sig;
			return 0;
		}
	if (parse_realtime(name, &sig) == 0) {
		*ret_sig = sig;
		return 0;
	}
	return rt_error_set(err, 0, "unknown signal \"%s\"", s);
}
