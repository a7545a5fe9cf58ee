#define _GNU_SOURCE
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rt_errno_text(int errnum, char *buf, size_t len)
{
	const char *s = strerror(errnum);

	/* Go's spelling ("no such file or directory"): runc prints it, and clients such as
	 * Docker and podman search a runtime's error for it to pick exit code 127 or 126.
	 * Acronyms ("RPC struct is bad") keep their capitals. */
	snprintf(buf, len, "%s", s);
	if (buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a' && buf[1] <= 'z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/* Messages quote what they were given (a key of config.json, a member name of a tar, the
 * kernel's extended ack) and end up as one line on stderr and in the --log JSON: control
 * characters in them are written as escapes (a newline as \n, ESC as \x1b), so a hostile name
 * can neither split the line nor send terminal escapes.  Takes s (heap), returns a heap string. */
static char *one_line(char *s)
{
	size_t n = 0;
	char *out, *o;

	if (s == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += *p < 0x20 || *p == 0x7f;
	if (n == 0)
		return s;
	out = malloc(strlen(s) + 3 * n + 1);
	if (out == NULL) {
		free(s);
		return NULL;
	}
	o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n')
			o += sprintf(o, "\\n");
		else if (*p == '\t')
			o += sprintf(o, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
	free(s);
	return out;
}

int rt_error_setv(struct rt_error *err, int errnum, const char *fmt, va_list ap)
{
	char text[128];
	char *body = NULL, *full = NULL;

	if (err == NULL || err->msg != NULL)
		return -1; /* the first (deepest) error wins; callers wrap it on the way up */
	if (vasprintf(&body, fmt, ap) < 0)
		body = NULL;
	body = one_line(body);
	if (body && errnum) {
		if (asprintf(&full, "%s: %s", body, rt_errno_text(errnum, text, sizeof(text))) < 0)
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
	err->msg = one_line(strdup(msg));
	if (err->msg == NULL)
		err->msg = strdup("out of memory while formatting an error");
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
	ctx = one_line(ctx);
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

int rt_strdup(char **ret, const char *s, const char *what, struct rt_error *err)
{
	*ret = NULL;
	if (s == NULL)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : rt_error_set(err, ENOMEM, "%s", what);
}
