/* RFC 3339 timestamps in UTC, as runc writes them in its state and logs. */
#ifndef HUSK_COMMON_TIMEFMT_H
#define HUSK_COMMON_TIMEFMT_H

#include <stddef.h>
#include <time.h>

/* "2026-11-26T18:06:51.123456789Z" (nanos) or "2026-11-26T18:06:51Z"; len >= 32 always fits. */
void rt_time_rfc3339_at(const struct timespec *ts, int nanos, char *buf, size_t len);
/* The same for CLOCK_REALTIME now. */
void rt_time_rfc3339(int nanos, char *buf, size_t len);

#endif
