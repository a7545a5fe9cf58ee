/* Logging: a process-wide sink set once by main (the only global mutable state besides parsed
 * global options).  Library code may log debug lines; it never prints to stdout/stderr. */
#ifndef HUSK_COMMON_LOG_H
#define HUSK_COMMON_LOG_H

enum rt_log_level { RT_LOG_ERROR, RT_LOG_WARNING, RT_LOG_INFO, RT_LOG_DEBUG };
enum rt_log_format { RT_LOG_TEXT, RT_LOG_JSON };

/* fd: the --log file (or -1), format: --log-format, debug: --debug. */
void rt_log_init(int fd, enum rt_log_format format, int debug);
int rt_log_fd(void);
int rt_log_debug_enabled(void);

void rt_log(enum rt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define rt_debug(...)                                      \
	do {                                               \
		if (rt_log_debug_enabled())                \
			rt_log(RT_LOG_DEBUG, __VA_ARGS__); \
	} while (0)
#define rt_warn(...) rt_log(RT_LOG_WARNING, __VA_ARGS__)

/* Write one log record to the log sink only (no stderr copy). */
void rt_log_record(enum rt_log_level level, const char *msg);

#endif
