/* gmtime_r and strftime load the local time zone (/etc/localtime) on first use although UTC
 * needs none: seven system calls and a parse on every container start.  UTC is plain
 * arithmetic (the proleptic Gregorian days-to-civil conversion), done here. */
#include "timefmt.h"

#include <stdio.h>

void rt_time_rfc3339_at(const struct timespec *ts, int nanos, char *buf, size_t len)
{
	long long secs = ts->tv_sec, days = secs / 86400, rem = secs % 86400;
	long long era, doe, yoe, doy, mp, y;
	unsigned d, m;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	/* days since 1970-01-01 to year/month/day, with March as the year's first month so that
	 * the leap day comes last: eras of 400 years (146097 days) */
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	y += m <= 2;
	if (nanos)
		snprintf(buf, len, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%09ldZ", y, m, d,
			 rem / 3600, rem / 60 % 60, rem % 60, (long)ts->tv_nsec);
	else
		snprintf(buf, len, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", y, m, d, rem / 3600,
			 rem / 60 % 60, rem % 60);
}

void rt_time_rfc3339(int nanos, char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	rt_time_rfc3339_at(&ts, nanos, buf, len);
}
