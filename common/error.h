/* Error values that travel up the stack: errno plus a message naming the object. */
#ifndef HUSK_COMMON_ERROR_H
#define HUSK_COMMON_ERROR_H

#include <stdarg.h>
#include <stddef.h>

struct rt_error {
	int errnum; /* errno of the failure, 0 when the error is not a system error */
	char *msg;  /* heap string, NULL when no error is set */
};

#define RT_ERROR_INIT   \
	{               \
		0, NULL \
	}

/* errnum's text as runc and Go spell it, which clients match ("no such file or directory",
 * "permission denied"): strerror's with a lower-case first letter.  Returns buf. */
const char *rt_errno_text(int errnum, char *buf, size_t len);

/* Fill err (if it is still empty) and return -1.  The message is formatted; when errnum is
 * non-zero ": " and rt_errno_text(errnum) are appended.  Always returns -1 so callers can write
 * `return rt_error_set(err, errno, "open `%s`", path);`. */
int rt_error_set(struct rt_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int rt_error_setv(struct rt_error *err, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Set an error with a message that is used verbatim (no strerror suffix appended later). */
int rt_error_set_raw(struct rt_error *err, int errnum, const char *msg);

/* Prefix context: "ctx: old message".  Returns -1. */
int rt_error_wrap(struct rt_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Drop an error that the caller decided to tolerate. */
void rt_error_release(struct rt_error *err);

/* The allocation policy: every allocation is checked where it is made, and a failure is
 * ENOMEM in err naming what was being built (never a NULL carried on to a later use).
 * rt_strdup: *ret = a heap copy of s, NULL for NULL; -1 with err "out of memory: WHAT". */
int rt_strdup(char **ret, const char *s, const char *what, struct rt_error *err);

static inline int rt_error_is_set(const struct rt_error *err)
{
	return err && err->msg;
}

#endif
