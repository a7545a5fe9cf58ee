/* Signal names for `husk kill` and friends: runc's forms plus real-time signals. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/cleanup.h"
#include "../../runtime/core/signals.h"

static void test_parse_ok(void **state)
{
	static const struct {
		const char *s;
		int sig;
	} cases[] = {
	    {"KILL", SIGKILL},	  {"SIGKILL", SIGKILL},
	    {"kill", SIGKILL},	  {"sigkill", SIGKILL},
	    {"SigTerm", SIGTERM}, {"9", SIGKILL},
	    {"15", SIGTERM},	  {"HUP", SIGHUP},
	    {"SIGUSR1", SIGUSR1}, {"USR2", SIGUSR2},
	    {"WINCH", SIGWINCH},  {"CHLD", SIGCHLD},
	    {"CLD", SIGCHLD},	  {"IOT", SIGABRT},
	    {"POLL", SIGIO},	  {"SIGSTKFLT", SIGSTKFLT},
	    {"PWR", SIGPWR},	  {"SYS", SIGSYS},
	    {"RTMIN", 0},	  {"SIGRTMIN+1", 1},
	    {"rtmin+3", 3},	  {"RTMAX", 100},
	    {"SIGRTMAX-2", 98},	  {"64", 64},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rt_error err = RT_ERROR_INIT;
		int want = cases[i].sig, sig = -1;

		/* real-time ones are relative: 0.. from SIGRTMIN, 100.. down from SIGRTMAX */
		if (strcasestr(cases[i].s, "RTMIN"))
			want = SIGRTMIN + cases[i].sig;
		else if (strcasestr(cases[i].s, "RTMAX"))
			want = SIGRTMAX - (100 - cases[i].sig);
		if (rt_signal_parse(cases[i].s, &sig, &err) < 0)
			fail_msg("\"%s\": %s", cases[i].s, err.msg);
		if (sig != want)
			fail_msg("\"%s\": got %d, want %d", cases[i].s, sig, want);
	}
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
	    "",		  "0",	    "65",      "-9",
	    "+9",	  "9x",	    "SIG",     "KILLL",
	    "SIGSIGKILL", "FOO",    "RTMIN-1", "RTMAX+1",
	    "RTMIN+31",	  "RTMIN+", "SIG 9",   "99999999999999999999",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct rt_error err = RT_ERROR_INIT;
		int sig = -1;

		if (rt_signal_parse(bad[i], &sig, &err) == 0)
			fail_msg("accepted \"%s\" as %d", bad[i], sig);
		assert_non_null(strstr(err.msg, "signal"));
		assert_non_null(strstr(err.msg, bad[i]));
		rt_error_release(&err);
	}
}

static void test_names(void **state)
{
	assert_string_equal(rt_signal_name(SIGKILL), "SIGKILL");
	assert_string_equal(rt_signal_name(SIGTERM), "SIGTERM");
	assert_string_equal(rt_signal_name(SIGCHLD), "SIGCHLD");
	assert_string_equal(rt_signal_name(SIGSYS), "SIGSYS");
	assert_string_equal(rt_signal_name(SIGRTMIN), "SIGRTMIN");
	assert_string_equal(rt_signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
	assert_string_equal(rt_signal_name(SIGRTMAX), "SIGRTMAX");
	assert_string_equal(rt_signal_name(SIGRTMAX - 1), "SIGRTMAX-1");
	assert_null(rt_signal_name(0));
	assert_null(rt_signal_name(-1));
	assert_null(rt_signal_name(SIGRTMAX + 1));
}

/* Every name maps back to its number: the two tables agree. */
static void test_round_trip(void **state)
{
	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		struct rt_error err = RT_ERROR_INIT;
		const char *name = rt_signal_name(sig);
		int back = -1;

		if (name == NULL)
			continue; /* 32 and 33: glibc's own */
		assert_int_equal(rt_signal_parse(name, &back, &err), 0);
		assert_int_equal(back, sig);
		assert_int_equal(rt_signal_parse(name + 3, &back, &err), 0);
		assert_int_equal(back, sig);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_ok),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
