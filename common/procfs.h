/* A private handle on a real procfs.  Writes that change a process's privileges or
 * limits (uid_map, setgroups, oom_score_adj, sysctl, attr/) go through it and are checked to
 * land on procfs, so a container that over-mounted a /proc path cannot redirect them. */
#ifndef HUSK_COMMON_PROCFS_H
#define HUSK_COMMON_PROCFS_H

#include <stddef.h>

#include "error.h"

/* Open path (normally "/proc") as a directory and verify it is procfs. */
int rt_procfs_open(const char *path, struct rt_error *err);

/* Open relpath below the procfs handle, refusing anything that is not on procfs. */
int rt_procfs_openat(int procfd, const char *relpath, int flags, struct rt_error *err);

/* Write data to relpath below the procfs handle (no O_CREAT, no O_TRUNC: procfs files). */
int rt_procfs_write(int procfd, const char *relpath, const char *data, size_t len,
		    struct rt_error *err);

/* Start time of pid in clock ticks since boot (field 22 of /proc/PID/stat), to tell a live
 * process from a later one that reused its pid.  Returns 0 or -1 with err (ESRCH if gone). */
int rt_proc_start_time(int procfd, int pid, unsigned long long *ret_ticks, char *ret_state,
		       struct rt_error *err);

#endif
