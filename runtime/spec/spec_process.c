#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "../../common/syscalls.h"
#include "../../common/cleanup.h"
#include "../../common/cpulist.h"
#include "spec_internal.h"

#define RT_IOPRIO_CLASS_RT   1
#define RT_IOPRIO_CLASS_BE   2
#define RT_IOPRIO_CLASS_IDLE 3

struct name_value {
	const char *name;
	int value;
};

static const struct name_value rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static const struct name_value sched_policies[] = {
    {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_IDLE", SCHED_IDLE},
    {"SCHED_FIFO", SCHED_FIFO},	  {"SCHED_RR", SCHED_RR},	{"SCHED_DEADLINE", SCHED_DEADLINE},
};

/* SCHED_FLAG_* of linux/sched.h (sched_setattr(2)) */
static const struct name_value sched_flags[] = {
    {"SCHED_FLAG_RESET_ON_FORK", 0x01},	 {"SCHED_FLAG_RECLAIM", 0x02},
    {"SCHED_FLAG_DL_OVERRUN", 0x04},	 {"SCHED_FLAG_KEEP_POLICY", 0x08},
    {"SCHED_FLAG_KEEP_PARAMS", 0x10},	 {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
};

static const struct name_value ioprio_classes[] = {
    {"IOPRIO_CLASS_RT", RT_IOPRIO_CLASS_RT},
    {"IOPRIO_CLASS_BE", RT_IOPRIO_CLASS_BE},
    {"IOPRIO_CLASS_IDLE", RT_IOPRIO_CLASS_IDLE},
};

static int lookup(const struct name_value *t, size_t n, const char *name, int *ret)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0) {
			*ret = t[i].value;
			return 0;
		}
	return -1;
}

void rt_process_clear(struct rt_process *proc)
{
	free(proc->user.additional_gids);
	free(proc->user.username);
	rt_strv_free(proc->args);
	rt_strv_free(proc->env);
	free(proc->cwd);
	for (size_t i = 0; i < proc->n_rlimits; i++)
		free(proc->rlimits[i].name);
	free(proc->rlimits);
	free(proc->apparmor_profile);
	free(proc->selinux_label);
	free(proc->exec_cpu_affinity.initial);
	free(proc->exec_cpu_affinity.final);
	memset(proc, 0, sizeof(*proc));
}

static int parse_console_size(json_t *obj, const struct rt_jpath *pp, struct rt_process *proc,
			      struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "consoleSize");
	json_t *cs = NULL;
	uint64_t h = 0, w = 0;
	int r;

	r = rt_json_get_object(obj, "consoleSize", pp, &cs, err);
	if (r <= 0)
		return r;
	if (rt_json_get_uint64(cs, "height", &p, UINT_MAX, &h, err) < 0 ||
	    rt_json_get_uint64(cs, "width", &p, UINT_MAX, &w, err) < 0)
		return -1;
	/* The spec says to ignore consoleSize without a terminal. */
	if (proc->terminal) {
		proc->has_console_size = 1;
		proc->console_size.height = (unsigned)h;
		proc->console_size.width = (unsigned)w;
	}
	return 0;
}

static int parse_user(json_t *obj, const struct rt_jpath *pp, struct rt_user *user,
		      struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "user");
	json_t *u = NULL, *gids = NULL;
	uint64_t v;
	int r;

	r = rt_json_get_object(obj, "user", pp, &u, err);
	if (r <= 0)
		return r;
	/* (uid_t)-1 means "unchanged" to setresuid(2): never a real id. */
	if ((r = rt_json_get_uint64(u, "uid", &p, UINT32_MAX - 1, &v, err)) < 0)
		return -1;
	user->uid = r ? (uid_t)v : 0;
	if ((r = rt_json_get_uint64(u, "gid", &p, UINT32_MAX - 1, &v, err)) < 0)
		return -1;
	user->gid = r ? (gid_t)v : 0;
	if ((r = rt_json_get_uint64(u, "umask", &p, 0777, &v, err)) < 0)
		return -1;
	if (r) {
		user->has_umask = 1;
		user->umask = (mode_t)v;
	}
	if (rt_json_get_strdup(u, "username", &p, &user->username, err) < 0)
		return -1;
	if ((r = rt_json_get_array(u, "additionalGids", &p, &gids, err)) <= 0)
		return r;
	struct rt_jpath gp = RT_JPATH_KEY(&p, "additionalGids");
	size_t n = json_array_size(gids);
	user->additional_gids = calloc(n ? n : 1, sizeof(gid_t));
	if (user->additional_gids == NULL)
		return rt_error_set(err, ENOMEM, "allocate additionalGids");
	for (size_t i = 0; i < n; i++) {
		struct rt_jpath ep = RT_JPATH_IDX(&gp, i);
		if (rt_json_uint64(json_array_get(gids, i), &ep, UINT32_MAX - 1, &v, err) < 0)
			return -1;
		user->additional_gids[i] = (gid_t)v;
	}
	user->n_additional_gids = n;
	return 0;
}

static int parse_args(json_t *obj, const struct rt_jpath *pp, struct rt_process *proc,
		      struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "args");
	int r;

	r = rt_json_get_strv(obj, "args", pp, &proc->args, &proc->n_args, err);
	if (r < 0)
		return -1;
	if (r == 0 || proc->n_args == 0)
		return rt_json_error(err, &p, "must be a non-empty array of strings");
	if (proc->args[0][0] == '\0')
		return rt_json_error(err, &p, "the program (args[0]) must not be empty");
	return 0;
}

static int parse_env(json_t *obj, const struct rt_jpath *pp, struct rt_process *proc,
		     struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "env");

	if (rt_json_get_strv(obj, "env", pp, &proc->env, &proc->n_env, err) < 0)
		return -1;
	for (size_t i = 0; i < proc->n_env; i++) {
		const char *eq = strchr(proc->env[i], '=');
		if (eq == NULL || eq == proc->env[i]) {
			struct rt_jpath ep = RT_JPATH_IDX(&p, i);
			return rt_json_error(err, &ep, "\"%s\" is not of the form KEY=VALUE",
					     proc->env[i]);
		}
	}
	return 0;
}

static int parse_cwd(json_t *obj, const struct rt_jpath *pp, struct rt_process *proc,
		     struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "cwd");
	int r;

	r = rt_json_get_strdup(obj, "cwd", pp, &proc->cwd, err);
	if (r < 0)
		return -1;
	if (r == 0) {
		/* runc spec always writes "/", and that is what a missing cwd means in runc. */
		proc->cwd = strdup("/");
		if (proc->cwd == NULL)
			return rt_error_set(err, ENOMEM, "allocate process.cwd");
		return 0;
	}
	if (!rt_spec_is_abs(proc->cwd))
		return rt_json_error(err, &p, "\"%s\" must be an absolute path", proc->cwd);
	return 0;
}

static int parse_cap_set(json_t *caps, const char *key, const struct rt_jpath *pp, uint64_t *ret,
			 struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, key);
	json_t *arr = NULL;
	uint64_t mask = 0;
	int r;

	r = rt_json_get_array(caps, key, pp, &arr, err);
	if (r <= 0)
		return r;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct rt_jpath ep = RT_JPATH_IDX(&p, i);
		const char *name = NULL;
		cap_value_t cap;

		if (rt_json_string(json_array_get(arr, i), &ep, &name, err) < 0)
			return -1;
		/* cap_from_name also takes "chown" or a number; the spec says CAP_ names. */
		if (strncmp(name, "CAP_", 4) != 0 || cap_from_name(name, &cap) < 0 || cap < 0 ||
		    cap >= 64)
			return rt_json_error(err, &ep, "unknown capability \"%s\"", name);
		mask |= 1ULL << cap;
	}
	*ret = mask;
	return 0;
}

static int parse_capabilities(json_t *obj, const struct rt_jpath *pp, struct rt_process *proc,
			      struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "capabilities");
	json_t *caps = NULL;
	int r;

	r = rt_json_get_object(obj, "capabilities", pp, &caps, err);
	if (r <= 0)
		return r;
	proc->has_caps = 1;
	if (parse_cap_set(caps, "bounding", &p, &proc->caps.bounding, err) < 0 ||
	    parse_cap_set(caps, "effective", &p, &proc->caps.effective, err) < 0 ||
	    parse_cap_set(caps, "inheritable", &p, &proc->caps.inheritable, err) < 0 ||
	    parse_cap_set(caps, "permitted", &p, &proc->caps.permitted, err) < 0 ||
	    parse_cap_set(caps, "ambient", &p, &proc->caps.ambient, err) < 0)
		return -1;
	return 0;
}

static int parse_rlimit(json_t *v, const struct rt_jpath *p, struct rt_process *proc,
			struct rt_error *err)
{
	struct rt_jpath tp = RT_JPATH_KEY(p, "type");
	struct rt_rlimit *rl = &proc->rlimits[proc->n_rlimits];
	const char *type = NULL;
	int r;

	if (rt_json_check_object(v, p, err) < 0)
		return -1;
	if ((r = rt_json_get_string(v, "type", p, &type, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, &tp, "is required");
	if (lookup(rlimit_names, ARRAY_SIZE(rlimit_names), type, &rl->resource) < 0)
		return rt_json_error(err, &tp, "unknown rlimit \"%s\"", type);
	for (size_t i = 0; i < proc->n_rlimits; i++)
		if (proc->rlimits[i].resource == rl->resource)
			return rt_json_error(err, &tp, "duplicate rlimit \"%s\"", type);
	if ((r = rt_json_get_uint64(v, "soft", p, UINT64_MAX, &rl->soft, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, p, "soft is required");
	if ((r = rt_json_get_uint64(v, "hard", p, UINT64_MAX, &rl->hard, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, p, "hard is required");
	if (rl->soft > rl->hard)
		return rt_json_error(err, p,
				     "%s: soft limit %" PRIu64 " exceeds hard limit %" PRIu64, type,
				     rl->soft, rl->hard);
	rl->name = strdup(type);
	if (rl->name == NULL)
		return rt_error_set(err, ENOMEM, "allocate rlimit name");
	proc->n_rlimits++;
	return 0;
}

static int parse_rlimits(json_t *obj, const struct rt_jpath *pp, struct rt_process *proc,
			 struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "rlimits");
	json_t *arr = NULL;
	int r;

	r = rt_json_get_array(obj, "rlimits", pp, &arr, err);
	if (r <= 0)
		return r;
	proc->rlimits = calloc(json_array_size(arr) + 1, sizeof(*proc->rlimits));
	if (proc->rlimits == NULL)
		return rt_error_set(err, ENOMEM, "allocate rlimits");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct rt_jpath ep = RT_JPATH_IDX(&p, i);
		if (parse_rlimit(json_array_get(arr, i), &ep, proc, err) < 0)
			return -1;
	}
	return 0;
}

static int parse_sched_flags(json_t *s, const struct rt_jpath *p, struct rt_scheduler *sc,
			     struct rt_error *err)
{
	struct rt_jpath fp = RT_JPATH_KEY(p, "flags");
	json_t *arr = NULL;
	int r, f;

	if ((r = rt_json_get_array(s, "flags", p, &arr, err)) <= 0)
		return r;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct rt_jpath ep = RT_JPATH_IDX(&fp, i);
		const char *name = NULL;
		if (rt_json_string(json_array_get(arr, i), &ep, &name, err) < 0)
			return -1;
		if (lookup(sched_flags, ARRAY_SIZE(sched_flags), name, &f) < 0)
			return rt_json_error(err, &ep, "unknown scheduler flag \"%s\"", name);
		sc->flags |= (unsigned)f;
	}
	return 0;
}

static int parse_scheduler(json_t *obj, const struct rt_jpath *pp, struct rt_process *proc,
			   struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "scheduler");
	struct rt_jpath polp = RT_JPATH_KEY(&p, "policy");
	struct rt_scheduler *sc = &proc->scheduler;
	const char *policy = NULL;
	json_t *s = NULL;
	int64_t v;
	int r;

	if ((r = rt_json_get_object(obj, "scheduler", pp, &s, err)) <= 0)
		return r;
	if ((r = rt_json_get_string(s, "policy", &p, &policy, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, &polp, "is required");
	if (lookup(sched_policies, ARRAY_SIZE(sched_policies), policy, &sc->policy) < 0)
		return rt_json_error(err, &polp, "unknown scheduling policy \"%s\"", policy);
	if ((r = rt_json_get_int64(s, "nice", &p, -20, 19, &v, err)) < 0)
		return -1;
	sc->nice = r ? (int)v : 0;
	if ((r = rt_json_get_int64(s, "priority", &p, INT32_MIN, INT32_MAX, &v, err)) < 0)
		return -1;
	sc->priority = r ? (int)v : 0;
	if (rt_json_get_uint64(s, "runtime", &p, UINT64_MAX, &sc->runtime, err) < 0 ||
	    rt_json_get_uint64(s, "deadline", &p, UINT64_MAX, &sc->deadline, err) < 0 ||
	    rt_json_get_uint64(s, "period", &p, UINT64_MAX, &sc->period, err) < 0 ||
	    parse_sched_flags(s, &p, sc, err) < 0)
		return -1;
	/* sched_setattr(2) rules, checked here so the error names the field rather than
	 * surfacing as EINVAL from inside the container. */
	if (sc->policy == SCHED_FIFO || sc->policy == SCHED_RR) {
		if (sc->priority < 1 || sc->priority > 99)
			return rt_json_error(err, &p, "priority %d must be in [1, 99] for %s",
					     sc->priority, policy);
	} else if (sc->priority != 0) {
		return rt_json_error(err, &p,
				     "priority is only allowed for SCHED_FIFO and SCHED_RR");
	}
	if (sc->policy != SCHED_DEADLINE && (sc->runtime || sc->deadline || sc->period))
		return rt_json_error(err, &p,
				     "runtime/deadline/period are only allowed for SCHED_DEADLINE");
	proc->has_scheduler = 1;
	return 0;
}

static int parse_io_priority(json_t *obj, const struct rt_jpath *pp, struct rt_process *proc,
			     struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "ioPriority");
	struct rt_jpath cp = RT_JPATH_KEY(&p, "class");
	const char *klass = NULL;
	json_t *io = NULL;
	int64_t v = 0;
	int r;

	if ((r = rt_json_get_object(obj, "ioPriority", pp, &io, err)) <= 0)
		return r;
	if ((r = rt_json_get_string(io, "class", &p, &klass, err)) < 0)
		return -1;
	if (r == 0)
		return rt_json_error(err, &cp, "is required");
	if (lookup(ioprio_classes, ARRAY_SIZE(ioprio_classes), klass, &proc->io_priority.klass) < 0)
		return rt_json_error(err, &cp, "unknown I/O priority class \"%s\"", klass);
	if (rt_json_get_int64(io, "priority", &p, 0, 7, &v, err) < 0)
		return -1;
	proc->io_priority.priority = (int)v;
	proc->has_io_priority = 1;
	return 0;
}

int rt_cpu_list_check(const char *list, const char **ret_why)
{
	struct rt_cpulist it = RT_CPULIST(list);
	unsigned long a, b;
	int r;

	if (*list == '\0') {
		*ret_why = "is empty";
		return -1;
	}
	while ((r = rt_cpulist_next(&it, &a, &b)) > 0) {
		if (a > INT_MAX || b > INT_MAX)
			break;
		if (b < a) {
			*ret_why = "has a range whose end is below its start";
			return -1;
		}
	}
	if (r == 0)
		return 0;
	*ret_why = "is not a cpu list like \"0-3,7\"";
	return -1;
}

static int parse_cpu_affinity(json_t *obj, const struct rt_jpath *pp, struct rt_process *proc,
			      struct rt_error *err)
{
	struct rt_jpath p = RT_JPATH_KEY(pp, "execCPUAffinity");
	struct rt_cpu_affinity *a = &proc->exec_cpu_affinity;
	const char *why;
	json_t *o = NULL;
	int r;

	if ((r = rt_json_get_object(obj, "execCPUAffinity", pp, &o, err)) <= 0)
		return r;
	proc->has_exec_cpu_affinity = 1;
	if (rt_json_get_strdup(o, "initial", &p, &a->initial, err) < 0 ||
	    rt_json_get_strdup(o, "final", &p, &a->final, err) < 0)
		return -1;
	if (a->initial && rt_cpu_list_check(a->initial, &why) < 0) {
		struct rt_jpath ip = RT_JPATH_KEY(&p, "initial");
		return rt_json_error(err, &ip, "\"%s\" %s", a->initial, why);
	}
	if (a->final && rt_cpu_list_check(a->final, &why) < 0) {
		struct rt_jpath fp = RT_JPATH_KEY(&p, "final");
		return rt_json_error(err, &fp, "\"%s\" %s", a->final, why);
	}
	return 0;
}

static int parse_misc(json_t *obj, const struct rt_jpath *p, struct rt_process *proc,
		      struct rt_error *err)
{
	int64_t v;
	int r;

	if (rt_json_get_bool(obj, "noNewPrivileges", p, &proc->no_new_privileges, err) < 0 ||
	    rt_json_get_strdup(obj, "apparmorProfile", p, &proc->apparmor_profile, err) < 0 ||
	    rt_json_get_strdup(obj, "selinuxLabel", p, &proc->selinux_label, err) < 0)
		return -1;
	if ((r = rt_json_get_int64(obj, "oomScoreAdj", p, -1000, 1000, &v, err)) < 0)
		return -1;
	if (r) {
		proc->has_oom_score_adj = 1;
		proc->oom_score_adj = (int)v;
	}
	return 0;
}

int rt_spec_process_from_json(json_t *obj, const struct rt_jpath *p, struct rt_process *proc,
			      struct rt_error *err)
{
	if (rt_json_check_object(obj, p, err) < 0)
		return -1;
	if (rt_json_get_bool(obj, "terminal", p, &proc->terminal, err) < 0 ||
	    parse_console_size(obj, p, proc, err) < 0 || parse_user(obj, p, &proc->user, err) < 0 ||
	    parse_args(obj, p, proc, err) < 0 || parse_env(obj, p, proc, err) < 0 ||
	    parse_cwd(obj, p, proc, err) < 0 || parse_capabilities(obj, p, proc, err) < 0 ||
	    parse_rlimits(obj, p, proc, err) < 0 || parse_misc(obj, p, proc, err) < 0 ||
	    parse_scheduler(obj, p, proc, err) < 0 || parse_io_priority(obj, p, proc, err) < 0 ||
	    parse_cpu_affinity(obj, p, proc, err) < 0)
		return -1;
	return 0;
}
