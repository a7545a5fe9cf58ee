/* rt_time_rfc3339_at against glibc's gmtime_r + strftime, over the calendar's corners. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../common/timefmt.h"

static void expect_like_libc(time_t t, long nsec)
{
	struct timespec ts = {.tv_sec = t, .tv_nsec = nsec};
	struct tm tm;
	char want[64], got[64], got_ns[64];
	size_t n;

	assert_non_null(gmtime_r(&t, &tm));
	n = strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(want + n, sizeof(want) - n, "Z");
	rt_time_rfc3339_at(&ts, 0, got, sizeof(got));
	assert_string_equal(got, want);
	snprintf(want + n, sizeof(want) - n, ".%09ldZ", nsec);
	rt_time_rfc3339_at(&ts, 1, got_ns, sizeof(got_ns));
	assert_string_equal(got_ns, want);
}

static void known_values(void **state)
{
	struct timespec ts = {.tv_sec = 1795716463, .tv_nsec = 873287000};
	char buf[64];

	rt_time_rfc3339_at(&ts, 1, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-26T18:07:43.873287000Z");
	ts.tv_sec = 0;
	ts.tv_nsec = 5;
	rt_time_rfc3339_at(&ts, 1, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000000005Z");
}

static void calendar_corners(void **state)
{
	/* leap days (2000: divisible by 400; 2100: by 100 only; 2024), year ends, negative */
	const time_t corners[] = {0,	      -1,	    951782400,	 951868800,
				  4107456000, 4107542400,   1709164800,	 1735689599,
				  1735689600, -86400 * 366, 253402300799};

	for (size_t i = 0; i < sizeof(corners) / sizeof(corners[0]); i++)
		for (time_t d = -2; d <= 2; d++)
			expect_like_libc(corners[i] + d * 43200, 123456789);
}

static void every_day_of_four_centuries(void **state)
{
	/* from 1900 to 2300, noon and the last second of each day */
	for (time_t t = -2208988800; t < 10413792000; t += 86400) {
		expect_like_libc(t + 43200, 0);
		expect_like_libc(t + 86399, 999999999);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(known_values),
	    cmocka_unit_test(calendar_corners),
	    cmocka_unit_test(every_day_of_four_centuries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
