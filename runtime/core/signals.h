/* Signal names as `husk kill` and the OCI process take them. */
#ifndef HUSK_RUNTIME_SIGNALS_H
#define HUSK_RUNTIME_SIGNALS_H

#include "../../common/error.h"

/* "KILL", "SIGKILL", "kill", "9", "RTMIN+3", "SIGRTMAX-1" -> the signal number.  Like runc,
 * names are case-insensitive and "SIG" is optional.  Numbers must be valid signals
 * (1..SIGRTMAX). */
int rt_signal_parse(const char *s, int *ret_sig, struct rt_error *err);

/* "SIGKILL", "SIGRTMIN+3", ...; NULL for a number that is not a signal. */
const char *rt_signal_name(int sig);

#endif
