#define _GNU_SOURCE
#include "jsonutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cleanup.h"

void rt_json_seed(void)
{
	uint32_t seed;

	/* left to jansson (urandom, then time and pid) when getrandom cannot answer at once */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed) && seed != 0)
		json_object_seed(seed);
}

static int is_identifier(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* Writes the path of p at buf+off; returns the new offset (may exceed len: then truncated). */
static size_t jpath_append(const struct rt_jpath *p, char *buf, size_t len, size_t off)
{
	int n;

	if (p == NULL)
		return off;
	off = jpath_append(p->parent, buf, len, off);
	if (p->key && is_identifier(p->key))
		n = snprintf(buf + (off < len ? off : len), off < len ? len - off : 0, "%s%s",
			     p->parent ? "." : "", p->key);
	else if (p->key)
		n = snprintf(buf + (off < len ? off : len), off < len ? len - off : 0, "[\"%s\"]",
			     p->key);
	else
		n = snprintf(buf + (off < len ? off : len), off < len ? len - off : 0, "[%zu]",
			     p->index);
	return off + (n > 0 ? (size_t)n : 0);
}

char *rt_jpath_format(const struct rt_jpath *p, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	buf[0] = '\0';
	jpath_append(p, buf, len, 0);
	buf[len - 1] = '\0';
	return buf;
}

int rt_json_error(struct rt_error *err, const struct rt_jpath *p, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	char path[512];
	va_list ap;

	if (err == NULL || err->msg != NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return rt_error_set(err, ENOMEM, "format JSON error");
	if (p == NULL)
		return rt_error_set_raw(err, 0, msg);
	return rt_error_set(err, 0, "%s: %s", rt_jpath_format(p, path, sizeof(path)), msg);
}

int rt_json_load(const char *text, size_t len, json_t **ret, struct rt_error *err)
{
	json_error_t jerr;
	json_t *j;

	/* JSON_REJECT_DUPLICATES: two "args" members would let one reader see different values
	 * than another. */
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL && strstr(jerr.text, "too big integer"))
		j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
	if (j == NULL)
		return rt_error_set(err, 0, "line %d column %d: %s", jerr.line, jerr.column,
				    jerr.text);
	*ret = j;
	return 0;
}

int rt_json_check_object(json_t *v, const struct rt_jpath *p, struct rt_error *err)
{
	if (!json_is_object(v))
		return rt_json_error(err, p, "must be an object");
	return 0;
}

int rt_json_check_array(json_t *v, const struct rt_jpath *p, struct rt_error *err)
{
	if (!json_is_array(v))
		return rt_json_error(err, p, "must be an array");
	return 0;
}

int rt_json_string(json_t *v, const struct rt_jpath *p, const char **ret, struct rt_error *err)
{
	if (!json_is_string(v))
		return rt_json_error(err, p, "must be a string");
	*ret = json_string_value(v);
	return 0;
}

int rt_json_strdup(json_t *v, const struct rt_jpath *p, char **ret, struct rt_error *err)
{
	const char *s = NULL;
	char *d;

	if (rt_json_string(v, p, &s, err) < 0)
		return -1;
	d = strdup(s);
	if (d == NULL)
		return rt_error_set(err, ENOMEM, "copy JSON string");
	*ret = d;
	return 0;
}

int rt_json_bool(json_t *v, const struct rt_jpath *p, int *ret, struct rt_error *err)
{
	if (!json_is_boolean(v))
		return rt_json_error(err, p, "must be true or false");
	*ret = json_is_true(v);
	return 0;
}

/* 2^53: above it a double no longer holds every integer exactly. */
#define EXACT_DOUBLE_LIMIT 9007199254740992.0

/* Only reached for documents reparsed with JSON_DECODE_INT_AS_REAL (see rt_json_load). */
static int real_as_integer(json_t *v, const struct rt_jpath *p, double *ret, struct rt_error *err)
{
	double d = json_real_value(v);

	if (d == 18446744073709551616.0) {
		/* 18446744073709551615 rounds to 2^64: the "unlimited" of Go writers */
		*ret = d;
		return 0;
	}
	if (!(d >= -EXACT_DOUBLE_LIMIT && d <= EXACT_DOUBLE_LIMIT))
		return rt_json_error(err, p, "integer %.0f cannot be read exactly", d);
	if ((double)(int64_t)d != d)
		return rt_json_error(err, p, "must be an integer, not %g", d);
	*ret = d;
	return 0;
}

int rt_json_int64(json_t *v, const struct rt_jpath *p, int64_t min, int64_t max, int64_t *ret,
		  struct rt_error *err)
{
	int64_t i;

	if (json_is_integer(v)) {
		i = json_integer_value(v);
	} else if (json_is_real(v)) {
		double d;
		if (real_as_integer(v, p, &d, err) < 0)
			return -1;
		if (d >= 9223372036854775808.0)
			return rt_json_error(
			    err, p, "%.0f is out of range [%" PRId64 ", %" PRId64 "]", d, min, max);
		i = (int64_t)d;
	} else {
		return rt_json_error(err, p, "must be an integer");
	}
	if (i < min || i > max)
		return rt_json_error(
		    err, p, "%" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]", i, min, max);
	*ret = i;
	return 0;
}

int rt_json_uint64(json_t *v, const struct rt_jpath *p, uint64_t max, uint64_t *ret,
		   struct rt_error *err)
{
	uint64_t u;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0)
			return rt_json_error(err, p, "%lld must not be negative", (long long)i);
		u = (uint64_t)i;
	} else if (json_is_real(v)) {
		double d;
		if (real_as_integer(v, p, &d, err) < 0)
			return -1;
		if (d < 0)
			return rt_json_error(err, p, "%.0f must not be negative", d);
		u = d >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)d;
	} else {
		return rt_json_error(err, p, "must be an integer");
	}
	if (u > max)
		return rt_json_error(err, p, "%" PRIu64 " is out of range [0, %" PRIu64 "]", u,
				     max);
	*ret = u;
	return 0;
}

int rt_json_strv(json_t *v, const struct rt_jpath *p, char ***ret, size_t *ret_n,
		 struct rt_error *err)
{
	cleanup_strv char **strv = NULL;
	size_t n, i;

	if (rt_json_check_array(v, p, err) < 0)
		return -1;
	n = json_array_size(v);
	strv = calloc(n + 1, sizeof(char *));
	if (strv == NULL)
		return rt_error_set(err, ENOMEM, "allocate string array");
	for (i = 0; i < n; i++) {
		struct rt_jpath ep = RT_JPATH_IDX(p, i);
		if (rt_json_strdup(json_array_get(v, i), &ep, &strv[i], err) < 0)
			return -1;
	}
	*ret = TAKE_PTR(strv);
	if (ret_n)
		*ret_n = n;
	return 0;
}

static json_t *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

int rt_json_get_object(json_t *obj, const char *key, const struct rt_jpath *parent, json_t **ret,
		       struct rt_error *err)
{
	json_t *v = member(obj, key);
	struct rt_jpath p = RT_JPATH_KEY(parent, key);

	if (v == NULL)
		return 0;
	if (rt_json_check_object(v, &p, err) < 0)
		return -1;
	*ret = v;
	return 1;
}

int rt_json_get_array(json_t *obj, const char *key, const struct rt_jpath *parent, json_t **ret,
		      struct rt_error *err)
{
	json_t *v = member(obj, key);
	struct rt_jpath p = RT_JPATH_KEY(parent, key);

	if (v == NULL)
		return 0;
	if (rt_json_check_array(v, &p, err) < 0)
		return -1;
	*ret = v;
	return 1;
}

int rt_json_get_string(json_t *obj, const char *key, const struct rt_jpath *parent,
		       const char **ret, struct rt_error *err)
{
	json_t *v = member(obj, key);
	struct rt_jpath p = RT_JPATH_KEY(parent, key);

	if (v == NULL)
		return 0;
	return rt_json_string(v, &p, ret, err) < 0 ? -1 : 1;
}

int rt_json_get_strdup(json_t *obj, const char *key, const struct rt_jpath *parent, char **ret,
		       struct rt_error *err)
{
	json_t *v = member(obj, key);
	struct rt_jpath p = RT_JPATH_KEY(parent, key);

	if (v == NULL)
		return 0;
	return rt_json_strdup(v, &p, ret, err) < 0 ? -1 : 1;
}

int rt_json_get_bool(json_t *obj, const char *key, const struct rt_jpath *parent, int *ret,
		     struct rt_error *err)
{
	json_t *v = member(obj, key);
	struct rt_jpath p = RT_JPATH_KEY(parent, key);

	if (v == NULL)
		return 0;
	return rt_json_bool(v, &p, ret, err) < 0 ? -1 : 1;
}

int rt_json_get_int64(json_t *obj, const char *key, const struct rt_jpath *parent, int64_t min,
		      int64_t max, int64_t *ret, struct rt_error *err)
{
	json_t *v = member(obj, key);
	struct rt_jpath p = RT_JPATH_KEY(parent, key);

	if (v == NULL)
		return 0;
	return rt_json_int64(v, &p, min, max, ret, err) < 0 ? -1 : 1;
}

int rt_json_get_uint64(json_t *obj, const char *key, const struct rt_jpath *parent, uint64_t max,
		       uint64_t *ret, struct rt_error *err)
{
	json_t *v = member(obj, key);
	struct rt_jpath p = RT_JPATH_KEY(parent, key);

	if (v == NULL)
		return 0;
	return rt_json_uint64(v, &p, max, ret, err) < 0 ? -1 : 1;
}

int rt_json_get_strv(json_t *obj, const char *key, const struct rt_jpath *parent, char ***ret,
		     size_t *ret_n, struct rt_error *err)
{
	json_t *v = member(obj, key);
	struct rt_jpath p = RT_JPATH_KEY(parent, key);

	if (v == NULL)
		return 0;
	return rt_json_strv(v, &p, ret, ret_n, err) < 0 ? -1 : 1;
}
