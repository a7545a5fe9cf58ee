/* Named crash points: the crash-safety tests make husk die at a chosen step, as a client's
 * timeout, the OOM killer or a power cut would, and then check that the client's cleanup
 * (`delete --force`, `pod delete --force`, ...) leaves nothing behind.
 *
 * HUSK_CRASH_AT=NAME makes the process that reaches rt_crashpoint("NAME") send itself
 * SIGKILL: no handler, no atexit, no unwinding, exactly what a kill -9 does.  Unset (always,
 * outside the tests) the cost is one getenv per point. */
#ifndef HUSK_COMMON_CRASHPOINT_H
#define HUSK_COMMON_CRASHPOINT_H

void rt_crashpoint(const char *name);

#endif
