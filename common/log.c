#define _GNU_SOURCE
#include "log.h"
#include "timefmt.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1;
static enum rt_log_format log_format = RT_LOG_TEXT;
static int log_debug;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void rt_log_init(int fd, enum rt_log_format format, int debug)
{
	log_fd = fd;
	log_format = format;
	log_debug = debug;
}

int rt_log_fd(void)
{
	return log_fd;
}

int rt_log_debug_enabled(void)
{
	return log_debug;
}

void rt_log_record(enum rt_log_level level, const char *msg)
{
	char when[64];
	char *line = NULL;
	int n;

	if (log_fd < 0)
		return;
	rt_time_rfc3339(1, when, sizeof(when));
	if (log_format == RT_LOG_JSON) {
		/* runc's shape, which containerd's shim and podman parse back on failure */
		json_t *o = json_pack("{s:s,s:s,s:s}", "level", level_names[level], "msg", msg,
				      "time", when);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		n = s ? asprintf(&line, "%s\n", s) : -1;
		free(s);
	} else {
		n = asprintf(&line, "time=\"%s\" level=%s msg=\"%s\"\n", when, level_names[level],
			     msg);
	}
	if (n > 0) {
		/* one write per record: O_APPEND keeps concurrent writers' lines whole */
		if (write(log_fd, line, (size_t)n) < 0) {
			/* nothing sensible to do if the log itself fails */
		}
	}
	free(line);
}

void rt_log(enum rt_log_level level, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	if (level == RT_LOG_DEBUG && !log_debug)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	rt_log_record(level, msg);
	/* as runc's logrus: without --log a warning must still reach the user (an unenforced
	 * limit, say); clients always pass --log, so their stderr stays clean */
	if (log_fd < 0 && level <= RT_LOG_WARNING)
		fprintf(stderr, "husk: %s: %s\n", level_names[level], msg);
	free(msg);
}
