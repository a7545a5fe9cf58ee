/* common/cpulist.c: the one cpu-list parser of husk (spec checks, affinity, cpuset checks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/cpulist.h"

/* The ranges of list as "a-b;" text, then "|end" or "|bad" for how the list stopped. */
static void ranges(const char *list, char *buf, size_t len)
{
	struct rt_cpulist it = RT_CPULIST(list);
	unsigned long a, b;
	size_t n = 0;
	int r;

	buf[0] = '\0';
	while ((r = rt_cpulist_next(&it, &a, &b)) > 0)
		n += (size_t)snprintf(buf + n, len - n, "%lu-%lu;", a, b);
	snprintf(buf + n, len - n, "%s", r == 0 ? "|end" : "|bad");
}

static void well_formed(void **state)
{
	static const struct {
		const char *list, *want;
	} cases[] = {
	    {"", "|end"},
	    {"0", "0-0;|end"},
	    {"0-3,7", "0-3;7-7;|end"},
	    {"9-10,2,4-4", "9-10;2-2;4-4;|end"},
	    {"5-3", "5-3;|end"},   /* reversed: the caller's to refuse */
	    {"0-1\n", "0-1;|bad"}, /* as the kernel writes it: the ranges come before the stop */
	    {"4294967296", "4294967296-4294967296;|end"},
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ranges(cases[i].list, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

static void malformed(void **state)
{
	static const char *bad[] = {",",  "0,",	   ",0",  "0,,1", "-1",
				    "1-", "1-x",   " 1",  "+1",	  "1 ",
				    "a",  "1-2-3", "0x1", "1;2",  "99999999999999999999999"};
	char buf[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ranges(bad[i], buf, sizeof(buf));
		assert_non_null(strstr(buf, "|bad"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(well_formed),
	    cmocka_unit_test(malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
