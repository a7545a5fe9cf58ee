#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/log.h"
#include "../core/cgroup_rt.h"
#include "commands.h"
#include "../container/container.h"

/* Go's time.ParseDuration, which runc's --interval takes: "5s", "500ms", "1m30s", "1.5h". */
static int parse_duration(const char *s, long long *ret_ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {{"ns", 1},	 {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6},
		     {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	double total = 0;
	int neg = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ret_ns = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s) {
		char *end;
		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return -1;
		double v = strtod(s, &end);
		if (end == s)
			return -1;
		s = end;
		size_t ul = strcspn(s, "0123456789.");
		size_t i;
		for (i = 0; i < ARRAY_SIZE(units); i++)
			if (strlen(units[i].unit) == ul && strncmp(s, units[i].unit, ul) == 0)
				break;
		if (i == ARRAY_SIZE(units))
			return -1;
		total += v * units[i].ns;
		s += ul;
	}
	if (total > 9.2e18)
		return -1;
	*ret_ns = (long long)(neg ? -total : total);
	return 0;
}

static int print_stats(struct cg_cgroup *cg, const char *id, struct rt_error *err)
{
	cleanup_free char *json = NULL;

	if (rt_cgroup_stats_json(cg, id, &json, err) < 0)
		return -1;
	fputs(json, stdout);
	return fflush(stdout) == 0 ? 0 : rt_error_set(err, errno, "events: write stdout");
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Stream: stats every interval, an oom event whenever the OOM kill count rises, until the
 * container's cgroup is empty (runc stops when its OOM notifier sees the cgroup go).  The
 * library's watch fds wake us when either may have changed. */
static int stream(struct cg_cgroup *cg, const char *id, long long interval_ns, struct rt_error *err)
{
	struct cg_watch *w = NULL;
	long long next = now_ns() + interval_ns;
	uint64_t ooms = 0, n = 0;
	int alive = 0, rc = 0;

	if (cg_watch_open(cg, &w, err) < 0)
		return rt_error_wrap(err, "events");
	cg_watch_read(w, &alive, &ooms);
	while (alive) {
		struct pollfd p[2];
		int np = cg_watch_pollfds(w, p);
		long long left = next - now_ns();
		if (left <= 0) {
			struct rt_error e2 = RT_ERROR_INIT;
			/* a failed read (the cgroup going away) is logged and retried, as runc does
			 */
			if (print_stats(cg, id, &e2) < 0) {
				rt_log(RT_LOG_ERROR, "%s", e2.msg);
				rt_error_release(&e2);
			}
			next += interval_ns;
			continue;
		}
		/* wake at least every second: a missed wakeup must not hide the end for long */
		int timeout = left / 1000000 > 1000 ? 1000 : (int)(left / 1000000) + 1;
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR) {
			rc = rt_error_set(err, errno, "events: poll");
			break;
		}
		cg_watch_read(w, &alive, &n);
		if (n > ooms) {
			printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
			if (fflush(stdout) != 0) {
				rc = rt_error_set(err, errno, "events: write stdout");
				break;
			}
		}
		if (n > ooms)
			ooms = n;
	}
	cg_watch_free(w);
	return rc;
}

static int run_events(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const struct option opts[] = {{"stats", no_argument, NULL, 's'},
					     {"interval", required_argument, NULL, 'i'},
					     {NULL, 0, NULL, 0}};
	struct rt_container_dir d = {.rootfd = -1, .dirfd = -1};
	struct rt_state st;
	struct rt_cgroup cg;
	enum rt_status status;
	long long interval = 5000000000LL;
	int c, once = 0, rc = -1;

	while ((c = rt_getopt(argc, argv, "", opts)) != -1) {
		if (c == 's') {
			once = 1;
		} else if (c == 'i') {
			if (parse_duration(optarg, &interval) < 0)
				return rt_error_set(err, 0,
						    "events: --interval: invalid duration `%s` "
						    "(like 5s, 500ms, 1m)",
						    optarg);
		} else {
			return rt_cmd_bad_option("events", c, argv, err);
		}
	}
	if (optind != argc - 1)
		return rt_error_set(err, 0, "events: expects exactly one container id");
	if (interval <= 0)
		return rt_error_set(err, 0, "duration interval must be greater than 0");
	const char *id = argv[optind];
	if (rt_cmd_cgroup_open(g, id, "events", &d, &st, &status, &cg, err) < 0)
		return -1;
	/* the stream may run for hours: it must not hold the lock that delete needs */
	rt_container_dir_close(&d);
	if (status == RT_STATUS_STOPPED)
		rt_error_set(err, 0, "container with id %s is not running", id);
	else if (once)
		rc = print_stats(cg.cg, id, err);
	else
		rc = stream(cg.cg, id, interval, err);
	rt_cgroup_close(&cg);
	rt_state_clear(&st);
	return rc;
}

const struct rt_command rt_cmd_events = {
    .name = "events",
    .summary = "print a container's resource statistics and OOM events as JSON",
    .usage =
	"usage: husk events [--stats] [--interval DURATION] ID\n"
	"Prints runc's event JSON, one object a line: {\"type\":\"stats\",\"id\":ID,\"data\":\n"
	"{cpu, memory, pids, blkio, hugetlb...}} every interval, and {\"type\":\"oom\",\"id\":ID}\n"
	"whenever the kernel OOM-kills a process of the container, until it stops.\n"
	"  --stats                print the statistics once and exit\n"
	"  --interval DURATION    time between statistics (Go syntax: 5s, 500ms; default 5s)\n",
    .run = run_events,
};
