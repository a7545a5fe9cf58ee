#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/cleanup.h"
#include "spec_internal.h"

static const char *const action_names[] = {
    [RT_SCMP_KILL] = "SCMP_ACT_KILL",
    [RT_SCMP_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
    [RT_SCMP_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
    [RT_SCMP_TRAP] = "SCMP_ACT_TRAP",
    [RT_SCMP_ERRNO] = "SCMP_ACT_ERRNO",
    [RT_SCMP_TRACE] = "SCMP_ACT_TRACE",
    [RT_SCMP_ALLOW] = "SCMP_ACT_ALLOW",
    [RT_SCMP_LOG] = "SCMP_ACT_LOG",
    [RT_SCMP_NOTIFY] = "SCMP_ACT_NOTIFY",
};

static const char *const op_names[] = {
    [RT_SCMP_CMP_NE] = "SCMP_CMP_NE",
    [RT_SCMP_CMP_LT] = "SCMP_CMP_LT",
    [RT_SCMP_CMP_LE] = "SCMP_CMP_LE",
    [RT_SCMP_CMP_EQ] = "SCMP_CMP_EQ",
    [RT_SCMP_CMP_GE] = "SCMP_CMP_GE",
    [RT_SCMP_CMP_GT] = "SCMP_CMP_GT",
    [RT_SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

/* What the kernel's seccomp(2) takes and husk knows how to apply. */
static const char *const filter_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

static int index_of(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

void rt_seccomp_free(struct rt_seccomp *s)
{
	if (s == NULL)
		return;
	rt_strv_free(s->architectures);
	rt_strv_free(s->flags);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; i < s->n_rules; i++) {
		rt_strv_free(s->rules[i].names);
		free(s->rules[i].args);
	}
	free(s->rules);
	free(s);
}

static int parse_action(json_t *obj, const char *key, const struct rt_jpath *pp, int required,
			enum rt_seccomp_action *ret, struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, key);
	const char *s = NULL;
	int r, a;

	if ((r = rt_json_get_string(obj, key, pp, &s, err)) < 0)
		return -1;
	if (r == 0)
		return required ? rt_json_error(err, &p, "is required") : 0;
	a = index_of(action_names, ARRAY_SIZE(action_names), s);
	if (a < 0)
		return rt_json_error(err, &p, "unknown seccomp action \"%s\"", s);
	*ret = (enum rt_seccomp_action)a;
	return 1;
}

static int parse_errno_ret(json_t *obj, const char *key, const struct rt_jpath *p, int *ret_has,
			   unsigned *ret, struct rt_error *err)
{
	uint64_t v;
	int r;

	/* The filter's return value carries 16 bits of errno (SECCOMP_RET_DATA). */
	if ((r = rt_json_get_uint64(obj, key, p, 0xffff, &v, err)) <= 0)
		return r;
	*ret_has = 1;
	*ret = (unsigned)v;
	return 0;
}

static int parse_architectures(json_t *obj, const struct rt_jpath *pp, struct rt_seccomp *s,
			       struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "architectures");

	if (rt_json_get_strv(obj, "architectures", pp, &s->architectures, &s->n_architectures,
			     err) < 0)
		return -1;
	for (size_t i = 0; i < s->n_architectures; i++) {
		const char *name = s->architectures[i];
		char lower[32];
		size_t j;

		/* libseccomp knows them as "x86_64" for "SCMP_ARCH_X86_64" */
		if (strncmp(name, "SCMP_ARCH_", 10) == 0 && strlen(name + 10) < sizeof(lower)) {
			for (j = 0; name[10 + j]; j++)
				lower[j] = (char)tolower((unsigned char)name[10 + j]);
			lower[j] = '\0';
			if (seccomp_arch_resolve_name(lower) != 0)
				continue;
		}
		struct rt_jpath ep = RT_JPATH_IDX(&p, i);
		return rt_json_error(err, &ep, "unknown architecture \"%s\"", name);
	}
	return 0;
}

static int parse_flags(json_t *obj, const struct rt_jpath *pp, struct rt_seccomp *s,
		       struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "flags");

	if (rt_json_get_strv(obj, "flags", pp, &s->flags, &s->n_flags, err) < 0)
		return -1;
	for (size_t i = 0; i < s->n_flags; i++)
		if (index_of(filter_flags, ARRAY_SIZE(filter_flags), s->flags[i]) < 0) {
			struct rt_jpath ep = RT_JPATH_IDX(&p, i);
			return rt_json_error(err, &ep, "unknown seccomp flag \"%s\"", s->flags[i]);
		}
	return 0;
}

static int parse_arg(json_t *v, const struct rt_jpath *p, struct rt_seccomp_arg *a,
		     struct rt_error *err)
{
	struct rt_jpath opp = RT_JPATH_KEY(p, "op");
	const char *op = NULL;
	uint64_t idx;
	int r, o;

	if (rt_json_check_object(v, p, err) < 0)
		return -1;
	if ((r = rt_json_get_uint64(v, "index", p, 5, &idx, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, p, "index is required");
	a->index = (unsigned)idx;
	if ((r = rt_json_get_uint64(v, "value", p, UINT64_MAX, &a->value, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, p, "value is required");
	if (rt_json_get_uint64(v, "valueTwo", p, UINT64_MAX, &a->value_two, err) < 0)
		return -1;
	if ((r = rt_json_get_string(v, "op", p, &op, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, &opp, "is required");
	if ((o = index_of(op_names, ARRAY_SIZE(op_names), op)) < 0)
		return rt_json_error(err, &opp, "unknown seccomp operator \"%s\"", op);
	a->op = (enum rt_seccomp_op)o;
	return 0;
}

static int parse_rule(json_t *v, const struct rt_jpath *p, struct rt_seccomp_rule *rule,
		      struct rt_error *err)
{
	struct rt_jpath np = RT_JPATH_KEY(p, "names");
	struct rt_jpath ap = RT_JPATH_KEY(p, "args");
	json_t *args = NULL;
	int r;

	if (rt_json_check_object(v, p, err) < 0)
		return -1;
	/* Names the kernel or libseccomp does not know are kept: seccomp.c skips them, so one
	 * profile serves several kernels. */
	if ((r = rt_json_get_strv(v, "names", p, &rule->names, &rule->n_names, err)) < 0)
		return -1;
	if (r == 0 || rule->n_names == 0)
		return rt_json_error(err, &np, "must be a non-empty array of syscall names");
	for (size_t i = 0; i < rule->n_names; i++)
		if (rule->names[i][0] == '\0') {
			struct rt_jpath ep = RT_JPATH_IDX(&np, i);
			return rt_json_error(err, &ep, "must not be empty");
		}
	if (parse_action(v, "action", p, 1, &rule->action, err) < 0 ||
	    parse_errno_ret(v, "errnoRet", p, &rule->has_errno_ret, &rule->errno_ret, err) < 0)
		return -1;
	if ((r = rt_json_get_array(v, "args", p, &args, err)) <= 0)
		return r;
	rule->args = calloc(json_array_size(args) + 1, sizeof(*rule->args));
	if (rule->args == NULL)
		return rt_error_set(err, ENOMEM, "allocate seccomp args");
	for (size_t i = 0; i < json_array_size(args); i++) {
		struct rt_jpath ep = RT_JPATH_IDX(&ap, i);
		if (parse_arg(json_array_get(args, i), &ep, &rule->args[i], err) < 0)
			return -1;
		rule->n_args++;
	}
	return 0;
}

static int parse_rules(json_t *obj, const struct rt_jpath *pp, struct rt_seccomp *s,
		       struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "syscalls");
	json_t *arr = NULL;
	int r;

	if ((r = rt_json_get_array(obj, "syscalls", pp, &arr, err)) <= 0)
		return r;
	s->rules = calloc(json_array_size(arr) + 1, sizeof(*s->rules));
	if (s->rules == NULL)
		return rt_error_set(err, ENOMEM, "allocate seccomp rules");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct rt_jpath ep = RT_JPATH_IDX(&p, i);
		s->n_rules++;
		if (parse_rule(json_array_get(arr, i), &ep, &s->rules[i], err) < 0)
			return -1;
	}
	return 0;
}

static int check_notify(const struct rt_seccomp *s, const struct rt_jpath *p, struct rt_error *err)
{
	/* libseccomp refuses NOTIFY as the default action; and with no listenerPath nobody would
	 * ever receive the notify fd, so the trapped syscalls would block forever. */
	if (s->default_action == RT_SCMP_NOTIFY) {
		struct rt_jpath dp = RT_JPATH_KEY(p, "defaultAction");
		return rt_json_error(err, &dp, "SCMP_ACT_NOTIFY cannot be the default action");
	}
	for (size_t i = 0; i < s->n_rules; i++)
		if (s->rules[i].action == RT_SCMP_NOTIFY && s->listener_path == NULL) {
			struct rt_jpath lp = RT_JPATH_KEY(p, "listenerPath");
			return rt_json_error(err, &lp, "is required when SCMP_ACT_NOTIFY is used");
		}
	return 0;
}

int rt_spec_seccomp_from_json(json_t *obj, const struct rt_jpath *p, struct rt_seccomp **ret,
			      struct rt_error *err)
{
	struct rt_seccomp *s = calloc(1, sizeof(*s));
	struct rt_jpath lp = RT_JPATH_KEY(p, "listenerPath");

	if (s == NULL)
		return rt_error_set(err, ENOMEM, "allocate seccomp");
	/* Owned by the caller from here, so a half-parsed profile is freed with the spec. */
	*ret = s;
	if (parse_action(obj, "defaultAction", p, 1, &s->default_action, err) < 0 ||
	    parse_errno_ret(obj, "defaultErrnoRet", p, &s->has_default_errno_ret,
			    &s->default_errno_ret, err) < 0 ||
	    parse_architectures(obj, p, s, err) < 0 || parse_flags(obj, p, s, err) < 0 ||
	    rt_json_get_strdup(obj, "listenerPath", p, &s->listener_path, err) < 0 ||
	    rt_json_get_strdup(obj, "listenerMetadata", p, &s->listener_metadata, err) < 0)
		return -1;
	if (s->listener_path && !rt_spec_is_abs(s->listener_path))
		return rt_json_error(err, &lp, "\"%s\" must be an absolute path", s->listener_path);
	if (parse_rules(obj, p, s, err) < 0 || check_notify(s, p, err) < 0)
		return -1;
	return 0;
}
