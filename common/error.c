#define _GNU_SOURCE
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rt_error_setv(struct rt_error *err, int errnum, const char *fmt, va_list ap)
{
	char *body = NULL, *full = NULL;

	if (err == NULL || err->msg != NULL)
		return -1; /* the first (deepest) error wins; callers wrap it on the way up */
	if (vasprintf(&body, fmt, ap) < 0)
		body = NULL;
	if (body && errnum) {
		if (asprintf(&full, "%s: %s", body, strerror(errnum)) < 0)
			full = NULL;
		free(body);
	} else {
		full = body;
	}
	err->errnum = errnum;
	err->msg = full ? full : strdup("out of memory while formatting an error");
	return -1;
}

int rt_error_set(struct rt_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rt_error_setv(err, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int rt_error_set_raw(struct rt_error *err, int errnum, const char *msg)
{
	if (err == NULL || err->msg != NULL)
		return -1;
	err->errnum = errnum;
	err->msg = strdup(msg);
	return -1;
}

int rt_error_wrap(struct rt_error *err, const char *fmt, ...)
{
	char *ctx = NULL, *full = NULL;
	va_list ap;

	if (err == NULL || err->msg == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0)
		ctx = NULL;
	va_end(ap);
	if (ctx && asprintf(&full, "%s: %s", ctx, err->msg) >= 0) {
		free(err->msg);
		err->msg = full;
	}
	free(ctx);
	return -1;
}

void rt_error_release(struct rt_error *err)
{
	if (err == NULL)
		return;
	free(err->msg);
	err->msg = NULL;
	err->errnum = 0;
}
