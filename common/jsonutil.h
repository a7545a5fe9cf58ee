/* Small jansson helpers for the parsers at the edge (config.json, state, manifests).  Errors
 * name the JSON path of the offending value ("process.args[2]: must be a string"); the path is
 * a chain of stack nodes that is only formatted when an error is reported, so walking a valid
 * document costs nothing for it. */
#ifndef HUSK_COMMON_JSONUTIL_H
#define HUSK_COMMON_JSONUTIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct rt_jpath {
	const struct rt_jpath *parent;
	const char *key; /* member name, or NULL for an array element */
	size_t index;
};

#define RT_JPATH_KEY(parent_, key_) ((struct rt_jpath){.parent = (parent_), .key = (key_)})
#define RT_JPATH_IDX(parent_, i_)   ((struct rt_jpath){.parent = (parent_), .index = (i_)})

/* Seed jansson's hash function from getrandom(2) before any JSON object exists: jansson would
 * open and read /dev/urandom itself (three system calls) on the first object. */
void rt_json_seed(void);

/* "linux.namespaces[3].type"; members that are not identifiers are written ["net.ipv4.x"].
 * Truncates to len; returns buf. */
char *rt_jpath_format(const struct rt_jpath *p, char *buf, size_t len);

/* Set err to "<path>: <message>" (errnum 0) and return -1.  p may be NULL. */
int rt_json_error(struct rt_error *err, const struct rt_jpath *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parse a whole JSON text.  Integers beyond int64 (e.g. 18446744073709551615, Go's way of
 * writing "unlimited") make jansson fail; the text is then parsed again with integers as
 * reals and rt_json_uint64 maps 2^64 back to UINT64_MAX.  Error: "line L column C: why". */
int rt_json_load(const char *text, size_t len, json_t **ret, struct rt_error *err);

/* Type checks of a value at path p.  Return 0, or -1 with "<path>: must be ..." in err. */
int rt_json_check_object(json_t *v, const struct rt_jpath *p, struct rt_error *err);
int rt_json_check_array(json_t *v, const struct rt_jpath *p, struct rt_error *err);
int rt_json_string(json_t *v, const struct rt_jpath *p, const char **ret, struct rt_error *err);
int rt_json_strdup(json_t *v, const struct rt_jpath *p, char **ret, struct rt_error *err);
int rt_json_bool(json_t *v, const struct rt_jpath *p, int *ret, struct rt_error *err);
int rt_json_int64(json_t *v, const struct rt_jpath *p, int64_t min, int64_t max, int64_t *ret,
		  struct rt_error *err);
int rt_json_uint64(json_t *v, const struct rt_jpath *p, uint64_t max, uint64_t *ret,
		   struct rt_error *err);
/* Array of strings -> heap NULL-terminated vector (an empty array gives a vector with just
 * NULL).  ret_n may be NULL. */
int rt_json_strv(json_t *v, const struct rt_jpath *p, char ***ret, size_t *ret_n,
		 struct rt_error *err);

/* Member getters: a missing member or a JSON null is "absent".  Return 0 when absent (ret is
 * left untouched), 1 when present and valid, -1 with err set (path parent.key) otherwise. */
int rt_json_get_object(json_t *obj, const char *key, const struct rt_jpath *parent, json_t **ret,
		       struct rt_error *err);
int rt_json_get_array(json_t *obj, const char *key, const struct rt_jpath *parent, json_t **ret,
		      struct rt_error *err);
int rt_json_get_string(json_t *obj, const char *key, const struct rt_jpath *parent,
		       const char **ret, struct rt_error *err);
int rt_json_get_strdup(json_t *obj, const char *key, const struct rt_jpath *parent, char **ret,
		       struct rt_error *err);
int rt_json_get_bool(json_t *obj, const char *key, const struct rt_jpath *parent, int *ret,
		     struct rt_error *err);
int rt_json_get_int64(json_t *obj, const char *key, const struct rt_jpath *parent, int64_t min,
		      int64_t max, int64_t *ret, struct rt_error *err);
int rt_json_get_uint64(json_t *obj, const char *key, const struct rt_jpath *parent, uint64_t max,
		       uint64_t *ret, struct rt_error *err);
int rt_json_get_strv(json_t *obj, const char *key, const struct rt_jpath *parent, char ***ret,
		     size_t *ret_n, struct rt_error *err);

#endif
