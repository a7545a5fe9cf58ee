#define _GNU_SOURCE
/* runtime/init/seccomp.c: filters built from struct rt_seccomp compile (exported BPF), behave as
 * configured once loaded in a forked child, the default profile blocks what it must, and the
 * seccomp-agent hand-off delivers the notify fd and the state JSON. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/cleanup.h"
#include "../../runtime/init/seccomp.h"
#include "../../runtime/spec/seccomp_default.h"
#include "testutil.h"

#define STRV(...)  ((char *[]){__VA_ARGS__, NULL})
#define NSTRV(...) (sizeof((char *[]){__VA_ARGS__}) / sizeof(char *))

#define RULE(act, ...)                                                                     \
	{                                                                                  \
		.names = STRV(__VA_ARGS__), .n_names = NSTRV(__VA_ARGS__), .action = (act) \
	}

/* A rule for one syscall with an errnoRet, or with the comparisons of an array */
#define ERRNO_RULE(act, name, e)                                                        \
	{                                                                               \
		.names = STRV(name), .n_names = 1, .action = (act), .has_errno_ret = 1, \
		.errno_ret = (e)                                                        \
	}
#define ARGS_RULE(act, name, a)                                                  \
	{                                                                        \
		.names = STRV(name), .n_names = 1, .action = (act), .args = (a), \
		.n_args = ARRAY_SIZE(a)                                          \
	}

/* --- child helpers: run by tu_run_child, checked with CHILD_CHECK (testutil.h) --- */
static void install_or_die(const struct rt_seccomp *cfg, int *notify_fd)
{
	struct rt_error err = RT_ERROR_INIT;
	int fd = -1;

	/* Unprivileged filter loading needs no_new_privs; the runtime sets it from the spec. */
	CHILD_CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	if (rt_seccomp_install(cfg, notify_fd ? notify_fd : &fd, &err) < 0) {
		fprintf(stderr, "install: %s\n", err.msg);
		_exit(99);
	}
}

/* --- a small linux.seccomp JSON -> struct reader, standing in for spec_seccomp.c here --- */
static int action_from_name(const char *name)
{
	for (int a = RT_SCMP_KILL; a <= RT_SCMP_NOTIFY; a++)
		if (strcmp(rt_seccomp_action_name(a), name) == 0)
			return a;
	fail_msg("unknown action %s", name);
	return -1;
}

static int op_from_name(const char *name)
{
	for (int o = RT_SCMP_CMP_NE; o <= RT_SCMP_CMP_MASKED_EQ; o++)
		if (strcmp(rt_seccomp_op_name(o), name) == 0)
			return o;
	fail_msg("unknown op %s", name);
	return -1;
}

static char **strv_from_json(json_t *arr, size_t *ret_n)
{
	size_t n = json_array_size(arr);
	char **v = calloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = strdup(json_string_value(json_array_get(arr, i)));
	*ret_n = n;
	return v;
}

static struct rt_seccomp *seccomp_from_json(const char *text)
{
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr), *rules, *r;
	struct rt_seccomp *cfg = calloc(1, sizeof(*cfg));
	size_t i;

	assert_non_null(root);
	cfg->default_action =
	    action_from_name(json_string_value(json_object_get(root, "defaultAction")));
	if (json_object_get(root, "defaultErrnoRet")) {
		cfg->has_default_errno_ret = 1;
		cfg->default_errno_ret =
		    json_integer_value(json_object_get(root, "defaultErrnoRet"));
	}
	cfg->architectures =
	    strv_from_json(json_object_get(root, "architectures"), &cfg->n_architectures);
	cfg->flags = calloc(1, sizeof(char *));
	rules = json_object_get(root, "syscalls");
	cfg->n_rules = json_array_size(rules);
	cfg->rules = calloc(cfg->n_rules, sizeof(*cfg->rules));
	json_array_foreach (rules, i, r) {
		struct rt_seccomp_rule *rule = &cfg->rules[i];
		json_t *args = json_object_get(r, "args"), *a;
		size_t k;

		rule->names = strv_from_json(json_object_get(r, "names"), &rule->n_names);
		rule->action = action_from_name(json_string_value(json_object_get(r, "action")));
		if (json_object_get(r, "errnoRet")) {
			rule->has_errno_ret = 1;
			rule->errno_ret = json_integer_value(json_object_get(r, "errnoRet"));
		}
		rule->n_args = json_array_size(args);
		rule->args = calloc(rule->n_args + 1, sizeof(*rule->args));
		json_array_foreach (args, k, a) {
			rule->args[k].index = json_integer_value(json_object_get(a, "index"));
			rule->args[k].value =
			    (uint64_t)json_integer_value(json_object_get(a, "value"));
			rule->args[k].value_two =
			    (uint64_t)json_integer_value(json_object_get(a, "valueTwo"));
			rule->args[k].op =
			    op_from_name(json_string_value(json_object_get(a, "op")));
		}
	}
	json_decref(root);
	return cfg;
}

static void seccomp_cfg_free(struct rt_seccomp *cfg)
{
	for (size_t i = 0; i < cfg->n_rules; i++) {
		rt_strv_free(cfg->rules[i].names);
		free(cfg->rules[i].args);
	}
	free(cfg->rules);
	rt_strv_free(cfg->architectures);
	rt_strv_free(cfg->flags);
	free(cfg);
}

/* --- building --- */
static size_t export_size(scmp_filter_ctx ctx)
{
	cleanup_close int fd = memfd_create("bpf", MFD_CLOEXEC);
	struct stat st;

	assert_true(fd >= 0);
	assert_int_equal(seccomp_export_bpf(ctx, fd), 0);
	assert_int_equal(fstat(fd, &st), 0);
	return (size_t)st.st_size;
}

static void test_build_every_action_and_op(void **state)
{
	struct rt_seccomp_arg masked[] = {
	    {.index = 0, .value = 0x7E020000, .value_two = 0, .op = RT_SCMP_CMP_MASKED_EQ}};
	struct rt_seccomp_arg same_index[] = {{.index = 0, .value = 1, .op = RT_SCMP_CMP_EQ},
					      {.index = 0, .value = 10, .op = RT_SCMP_CMP_GT},
					      {.index = 1, .value = 3, .op = RT_SCMP_CMP_LE}};
	struct rt_seccomp_arg distinct[] = {{.index = 0, .value = 5, .op = RT_SCMP_CMP_NE},
					    {.index = 1, .value = 6, .op = RT_SCMP_CMP_LT},
					    {.index = 2, .value = 7, .op = RT_SCMP_CMP_GE}};
	struct rt_seccomp_rule rules[] = {
	    RULE(RT_SCMP_ALLOW, "read", "write", "exit_group", "no_such_syscall", "chown32"),
	    ERRNO_RULE(RT_SCMP_ERRNO, "getcwd", ENOMSG),
	    RULE(RT_SCMP_KILL, "uname"),
	    RULE(RT_SCMP_KILL_PROCESS, "getppid"),
	    RULE(RT_SCMP_KILL_THREAD, "gettid"),
	    RULE(RT_SCMP_TRAP, "getpgrp"),
	    ERRNO_RULE(RT_SCMP_TRACE, "getsid", 7),
	    RULE(RT_SCMP_LOG, "getuid"),
	    RULE(RT_SCMP_NOTIFY, "mkdir"),
	    /* equal to the default action: skipped, not refused */
	    RULE(RT_SCMP_ERRNO, "getgid"),
	    ARGS_RULE(RT_SCMP_ALLOW, "clone", masked),
	    ARGS_RULE(RT_SCMP_ALLOW, "socket", same_index),
	    ARGS_RULE(RT_SCMP_ALLOW, "mkdirat", distinct),
	};
	struct rt_seccomp cfg = {
	    .default_action = RT_SCMP_ERRNO,
	    .architectures = STRV("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
	    .n_architectures = 3,
	    .flags = STRV("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
			  "SECCOMP_FILTER_FLAG_SPEC_ALLOW"),
	    .n_flags = 3,
	    .rules = rules,
	    .n_rules = ARRAY_SIZE(rules),
	};
	cleanup_seccomp scmp_filter_ctx ctx = NULL;
	struct rt_error err = RT_ERROR_INIT;
	size_t size;
	(void)state;

	if (rt_seccomp_build(&cfg, &ctx, &err) < 0)
		fail_msg("build: %s", err.msg);
	size = export_size(ctx);
	assert_true(size > 0);
	assert_int_equal(size % 8, 0); /* whole struct sock_filter instructions */
	uint32_t x86 = 0;
	assert_int_equal(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_TSYNC, &x86), 0);
	assert_int_equal(x86, 1);
	assert_int_equal(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_NNP, &x86), 0);
	assert_int_equal(x86, 0);
	assert_int_equal(seccomp_arch_exist(ctx, SCMP_ARCH_X86), 0);
	assert_int_equal(seccomp_arch_exist(ctx, SCMP_ARCH_NATIVE), 0);
}

static void test_native_arch_only_and_foreign_syscall(void **state)
{
	/* chown32 exists on x86 only: with just the native arch it is a pseudo syscall. */
	struct rt_seccomp_rule rules[] = {RULE(RT_SCMP_ERRNO, "chown32", "getcwd")};
	struct rt_seccomp cfg = {.default_action = RT_SCMP_ALLOW, .rules = rules, .n_rules = 1};
	cleanup_seccomp scmp_filter_ctx ctx = NULL;
	struct rt_error err = RT_ERROR_INIT;
	(void)state;

	if (rt_seccomp_build(&cfg, &ctx, &err) < 0)
		fail_msg("build: %s", err.msg);
	assert_true(export_size(ctx) > 0);
}

static void expect_build_error(const struct rt_seccomp *cfg, const char *needle)
{
	scmp_filter_ctx ctx = NULL;
	struct rt_error err = RT_ERROR_INIT;

	assert_int_equal(rt_seccomp_build(cfg, &ctx, &err), -1);
	assert_null(ctx);
	assert_non_null(err.msg);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err.msg, needle);
	rt_error_release(&err);
}

static void test_build_errors(void **state)
{
	struct rt_seccomp_arg arg0[] = {{.index = 0, .value = 1, .op = RT_SCMP_CMP_EQ}};
	struct rt_seccomp_arg arg2[] = {{.index = 2, .value = 1, .op = RT_SCMP_CMP_EQ}};
	struct rt_seccomp_arg arg6[] = {{.index = 6, .value = 1, .op = RT_SCMP_CMP_EQ}};
	struct rt_seccomp_arg badop[] = {{.index = 0, .value = 1, .op = (enum rt_seccomp_op)42}};
	/* one rule each, and what the refusal of it must say */
	struct {
		struct rt_seccomp_rule rule;
		const char *needle;
	} rule_cases[] = {
	    {ARGS_RULE(RT_SCMP_ERRNO, "getpid", arg0),
	     "syscalls[0] \"getpid\": args[0]: index 0, but getpid takes 0 arguments"},
	    {ARGS_RULE(RT_SCMP_ERRNO, "getcwd", arg2), "index 2, but getcwd takes 2 arguments"},
	    {ARGS_RULE(RT_SCMP_ERRNO, "mmap", arg6), "args[0]: index 6 out of range 0..5"},
	    {ARGS_RULE(RT_SCMP_ERRNO, "mmap", badop), "args[0]: unknown operator 42"},
	    {ERRNO_RULE(RT_SCMP_ALLOW, "getcwd", 5),
	     "syscalls[0]: errnoRet is only valid with SCMP_ACT_ERRNO"},
	    {ERRNO_RULE(RT_SCMP_ERRNO, "getcwd", 70000), "errnoRet 70000: out of range"},
	    {RULE(RT_SCMP_NOTIFY, "write"), "SCMP_ACT_NOTIFY cannot be used for \"write\""},
	    {RULE((enum rt_seccomp_action)77, "getcwd"), "syscalls[0]: unknown action 77"},
	};
	struct rt_seccomp cfg = {.default_action = RT_SCMP_ALLOW};
	(void)state;

	cfg.architectures = STRV("SCMP_ARCH_X86_64", "SCMP_ARCH_VAX");
	cfg.n_architectures = 2;
	expect_build_error(&cfg, "architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
	cfg.n_architectures = 0;

	cfg.flags = STRV("SECCOMP_FILTER_FLAG_BOGUS");
	cfg.n_flags = 1;
	expect_build_error(&cfg, "flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\"");
	cfg.flags = STRV("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
	if (seccomp_version()->minor < 6 && seccomp_version()->major == 2)
		expect_build_error(&cfg, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported "
					 "by libseccomp");
	cfg.n_flags = 0;

	cfg.n_rules = 1;
	for (size_t i = 0; i < ARRAY_SIZE(rule_cases); i++) {
		cfg.rules = &rule_cases[i].rule;
		expect_build_error(&cfg, rule_cases[i].needle);
	}
	cfg.n_rules = 0;

	cfg.default_action = RT_SCMP_NOTIFY;
	expect_build_error(&cfg, "SCMP_ACT_NOTIFY cannot be the default action");
}

/* --- behaviour in a child --- */
static void child_errno_and_args(const void *arg)
{
	struct rt_seccomp_arg mode_700 = {.index = 2, .value = 0700, .op = RT_SCMP_CMP_EQ};
	struct rt_seccomp_arg pers[] = {
	    /* two comparisons of arg 0: either one matching denies (separate rules) */
	    {.index = 0, .value = 0x0040000, .op = RT_SCMP_CMP_EQ}, /* ADDR_NO_RANDOMIZE */
	    {.index = 0,
	     .value = 0x0400000,
	     .value_two = 0x0400000,
	     .op = RT_SCMP_CMP_MASKED_EQ}, /* READ_IMPLIES_EXEC set */
	};
	struct rt_seccomp_rule rules[] = {
	    ERRNO_RULE(RT_SCMP_ERRNO, "getcwd", ENOMSG),
	    {.names = STRV("mkdirat"),
	     .n_names = 1,
	     .action = RT_SCMP_ERRNO,
	     .has_errno_ret = 1,
	     .errno_ret = EXDEV,
	     .args = &mode_700,
	     .n_args = 1},
	    ARGS_RULE(RT_SCMP_ERRNO, "personality", pers),
	    RULE(RT_SCMP_ERRNO, "no_such_syscall_at_all"),
	};
	struct rt_seccomp cfg = {
	    .default_action = RT_SCMP_ALLOW, .rules = rules, .n_rules = ARRAY_SIZE(rules)};
	char buf[256];
	(void)arg;

	install_or_die(&cfg, NULL);
	errno = 0;
	CHILD_CHECK(syscall(SYS_getcwd, buf, sizeof(buf)) == -1 && errno == ENOMSG);
	CHILD_CHECK(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent/husk/x", 0700) == -1 &&
		    errno == EXDEV);
	CHILD_CHECK(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent/husk/x", 0755) == -1 &&
		    errno == ENOENT);
	CHILD_CHECK(syscall(SYS_personality, 0x0040000) == -1 && errno == EPERM);
	CHILD_CHECK(syscall(SYS_personality, 0x0400000 | 0x0008) == -1 && errno == EPERM);
	CHILD_CHECK(syscall(SYS_personality, 0 /* PER_LINUX */) >= 0);
	CHILD_CHECK(syscall(SYS_getpid) == getpid());
}

static void test_install_errno_and_args(void **state)
{
	(void)state;

	tu_assert_child_ok(child_errno_and_args, NULL);
}

static void child_killed_by(const void *arg)
{
	enum rt_seccomp_action action = *(const enum rt_seccomp_action *)arg;
	struct rt_seccomp_rule rule = RULE(action, "uname");
	struct rt_seccomp cfg = {.default_action = RT_SCMP_ALLOW, .rules = &rule, .n_rules = 1};
	char buf[512];

	install_or_die(&cfg, NULL);
	syscall(SYS_uname, buf);
	_exit(42); /* not reached when the filter works */
}

static void test_install_kill_and_trap(void **state)
{
	enum rt_seccomp_action kills[] = {RT_SCMP_KILL, RT_SCMP_KILL_THREAD, RT_SCMP_KILL_PROCESS,
					  RT_SCMP_TRAP};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(kills); i++) {
		int status = tu_run_child(child_killed_by, &kills[i]);

		if (!WIFSIGNALED(status))
			fail_msg("%s: child exited %d instead of dying by SIGSYS",
				 rt_seccomp_action_name(kills[i]), WEXITSTATUS(status));
		assert_int_equal(WTERMSIG(status), SIGSYS);
	}
}

static void child_default_errno_ret(const void *arg)
{
	struct rt_seccomp_rule rule = RULE(RT_SCMP_ALLOW, "exit_group", "exit", "write", "getpid");
	struct rt_seccomp cfg = {.default_action = RT_SCMP_ERRNO,
				 .has_default_errno_ret = 1,
				 .default_errno_ret = ENOLINK,
				 .rules = &rule,
				 .n_rules = 1};
	char buf[64];
	(void)arg;

	/* prctl before: the filter denies it afterwards */
	install_or_die(&cfg, NULL);
	CHILD_CHECK(syscall(SYS_getcwd, buf, sizeof(buf)) == -1 && errno == ENOLINK);
	CHILD_CHECK(syscall(SYS_getpid) > 0);
	syscall(SYS_exit_group, 0);
}

static void test_install_default_errno_ret(void **state)
{
	(void)state;

	tu_assert_child_ok(child_default_errno_ret, NULL);
}

/* --- the default profile --- */
static void test_default_profile_json(void **state)
{
	json_error_t jerr;
	json_t *root = json_loads(rt_seccomp_default_profile(), 0, &jerr);
	json_t *rules, *r;
	size_t i, n_allowed = 0;
	int has_clone3_enosys = 0;
	(void)state;

	if (root == NULL)
		fail_msg("default profile: %s at %d", jerr.text, jerr.position);
	assert_string_equal(json_string_value(json_object_get(root, "defaultAction")),
			    "SCMP_ACT_ERRNO");
	assert_int_equal(json_integer_value(json_object_get(root, "defaultErrnoRet")), EPERM);
	assert_true(json_array_size(json_object_get(root, "architectures")) >= 1);
	rules = json_object_get(root, "syscalls");
	json_array_foreach (rules, i, r) {
		const char *action = json_string_value(json_object_get(r, "action"));
		json_t *names = json_object_get(r, "names"), *n;
		size_t j;

		json_array_foreach (names, j, n) {
			const char *name = json_string_value(n);

			if (strcmp(action, "SCMP_ACT_ALLOW") == 0 &&
			    json_object_get(r, "args") == NULL) {
				n_allowed++;
				/* cap-gated syscalls must not be allowed unconditionally */
				assert_string_not_equal(name, "unshare");
				assert_string_not_equal(name, "setns");
				assert_string_not_equal(name, "mount");
				assert_string_not_equal(name, "keyctl");
				assert_string_not_equal(name, "clone");
			}
			if (strcmp(name, "clone3") == 0 && strcmp(action, "SCMP_ACT_ERRNO") == 0 &&
			    json_integer_value(json_object_get(r, "errnoRet")) == ENOSYS)
				has_clone3_enosys = 1;
		}
	}
	assert_true(n_allowed > 300);
	assert_true(has_clone3_enosys);
	json_decref(root);
}

static void child_default_profile(const void *arg)
{
	const struct rt_seccomp *cfg = arg;
	struct clone_args ca = {.exit_signal = SIGCHLD};
	int fd, status;
	pid_t pid;

	install_or_die(cfg, NULL);
	CHILD_CHECK(syscall(SYS_getpid) == getpid());
	CHILD_CHECK(unshare(CLONE_NEWUSER) == -1 && errno == EPERM);
	CHILD_CHECK(unshare(CLONE_NEWNS) == -1 && errno == EPERM);
	CHILD_CHECK(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0) == -1 &&
		    errno == EPERM);
	CHILD_CHECK(syscall(SYS_clone3, &ca, sizeof(ca)) == -1 && errno == ENOSYS);
	/* clone with a namespace flag is denied; a plain fork (clone) works */
	CHILD_CHECK(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) == -1 &&
		    errno == EPERM);
	pid = fork();
	CHILD_CHECK(pid >= 0);
	if (pid == 0)
		_exit(7);
	CHILD_CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 7);
	CHILD_CHECK(socket(40 /* AF_VSOCK */, SOCK_STREAM, 0) == -1 && errno == EPERM);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHILD_CHECK(fd >= 0);
	close(fd);
	CHILD_CHECK(personality(0xffffffff) >= 0);
	CHILD_CHECK(personality(ADDR_NO_RANDOMIZE) == -1 && errno == EPERM);
	CHILD_CHECK(syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL) == -1 && errno == EPERM);
	CHILD_CHECK(syscall(SYS_setns, 0, 0) == -1 && errno == EPERM);
}

static void test_default_profile_enforced(void **state)
{
	struct rt_seccomp *cfg = seccomp_from_json(rt_seccomp_default_profile());
	int status = tu_run_child(child_default_profile, cfg);
	(void)state;

	seccomp_cfg_free(cfg);
	tu_assert_exit_ok(status);
}

/* --- the seccomp agent protocol --- */
static void test_listener_message(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	cleanup_free char *text = NULL;
	json_t *msg, *st;
	const char *state_json = "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\","
				 "\"pid\":1234,\"bundle\":\"/b\"}";
	(void)state;

	assert_int_equal(rt_seccomp_listener_message(state_json, 1234, "meta data", &text, &err),
			 0);
	msg = json_loads(text, 0, NULL);
	assert_non_null(msg);
	assert_string_equal(json_string_value(json_object_get(msg, "ociVersion")), "1.2.0");
	assert_int_equal(json_array_size(json_object_get(msg, "fds")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(msg, "fds"), 0)),
			    "seccompFd");
	assert_int_equal(json_integer_value(json_object_get(msg, "pid")), 1234);
	assert_string_equal(json_string_value(json_object_get(msg, "metadata")), "meta data");
	st = json_object_get(msg, "state");
	assert_string_equal(json_string_value(json_object_get(st, "id")), "c1");
	assert_string_equal(json_string_value(json_object_get(st, "status")), "creating");
	json_decref(msg);
	free(TAKE_PTR(text));

	assert_int_equal(rt_seccomp_listener_message(state_json, 1, NULL, &text, &err), 0);
	msg = json_loads(text, 0, NULL);
	assert_null(json_object_get(msg, "metadata"));
	json_decref(msg);

	assert_int_equal(rt_seccomp_listener_message("[1]", 1, NULL, &text, &err), -1);
	assert_non_null(strstr(err.msg, "container state: not a JSON object"));
	rt_error_release(&err);
}

struct agent {
	char dir[64];
	char path[128];
	int listen_fd;
};

static void agent_start(struct agent *a)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	strcpy(a->dir, "/tmp/husk-seccomp-test-XXXXXX");
	assert_non_null(mkdtemp(a->dir));
	snprintf(a->path, sizeof(a->path), "%s/agent.sock", a->dir);
	strcpy(addr.sun_path, a->path);
	a->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(a->listen_fd >= 0);
	assert_int_equal(bind(a->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(a->listen_fd, 4), 0);
}

static void agent_stop(struct agent *a)
{
	close(a->listen_fd);
	unlink(a->path);
	rmdir(a->dir);
}

/* Accept one connection; return the fd that came with it and the text in *ret_text. */
static int agent_receive(struct agent *a, char **ret_text)
{
	cleanup_close int conn = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	char *text = calloc(1, 65536);
	struct iovec iov = {.iov_base = text, .iov_len = 65535};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg;
	ssize_t n, off;
	int fd = -1;

	assert_true(conn >= 0);
	n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
	assert_true(n > 0);
	cmsg = CMSG_FIRSTHDR(&mh);
	assert_non_null(cmsg);
	assert_int_equal(cmsg->cmsg_type, SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	for (off = n; (n = read(conn, text + off, 65535 - off)) > 0; off += n)
		;
	*ret_text = text;
	return fd;
}

static void test_send_listener(void **state)
{
	struct agent a;
	struct rt_error err = RT_ERROR_INIT;
	cleanup_free char *msg = NULL, *got = NULL;
	cleanup_close int memfd = memfd_create("probe", MFD_CLOEXEC), recv_fd = -1;
	struct stat st1, st2;
	(void)state;

	agent_start(&a);
	assert_int_equal(rt_seccomp_listener_message("{\"ociVersion\":\"1.2.0\",\"id\":\"x\"}", 99,
						     "m", &msg, &err),
			 0);
	/* the backlog takes the connection; the agent accepts afterwards */
	if (rt_seccomp_send_listener(a.path, msg, memfd, &err) < 0)
		fail_msg("send: %s", err.msg);
	recv_fd = agent_receive(&a, &got);
	assert_string_equal(got, msg);
	assert_int_equal(fstat(memfd, &st1), 0);
	assert_int_equal(fstat(recv_fd, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(st1.st_dev, st2.st_dev);
	assert_int_equal(fcntl(recv_fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

	assert_int_equal(rt_seccomp_send_listener("/nonexistent/agent.sock", msg, memfd, &err), -1);
	assert_non_null(
	    strstr(err.msg, "connect to seccomp listenerPath \"/nonexistent/agent.sock\""));
	rt_error_release(&err);
	agent_stop(&a);
}

/* The init's two-step hand-off: connect while the host's tree is visible, send later. */
static void test_send_listener_two_steps(void **state)
{
	struct agent a;
	struct rt_error err = RT_ERROR_INIT;
	cleanup_free char *got = NULL;
	cleanup_close int memfd = memfd_create("probe", MFD_CLOEXEC), sock = -1, recv_fd = -1;
	char longpath[200];
	const char *msg = "{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"]}";
	(void)state;

	agent_start(&a);
	sock = rt_seccomp_listener_connect(a.path, &err);
	if (sock < 0)
		fail_msg("connect: %s", err.msg);
	assert_int_equal(fcntl(sock, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	if (rt_seccomp_send_listener_sock(sock, msg, memfd, &err) < 0)
		fail_msg("send: %s", err.msg);
	close(sock);
	sock = -1;
	recv_fd = agent_receive(&a, &got);
	assert_true(recv_fd >= 0);
	assert_string_equal(got, msg);

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(rt_seccomp_listener_connect(longpath, &err), -1);
	assert_int_equal(err.errnum, ENAMETOOLONG);
	rt_error_release(&err);
	agent_stop(&a);
}

static void child_notify(const void *arg)
{
	const char *path = arg;
	struct rt_seccomp_rule rule = RULE(RT_SCMP_NOTIFY, "mkdirat");
	struct rt_seccomp cfg = {.default_action = RT_SCMP_ALLOW, .rules = &rule, .n_rules = 1};
	struct rt_error err = RT_ERROR_INIT;
	char *msg = NULL;
	int fd = -1;

	install_or_die(&cfg, &fd);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHILD_CHECK(rt_seccomp_listener_message("{\"ociVersion\":\"1.2.0\"}", getpid(), NULL, &msg,
						&err) == 0);
	CHILD_CHECK(rt_seccomp_send_listener(path, msg, fd, &err) == 0);
	close(fd);
	/* the agent answers EOWNERDEAD for this path */
	CHILD_CHECK(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent/notified", 0700) == -1 &&
		    errno == EOWNERDEAD);
}

static void test_notify_agent_roundtrip(void **state)
{
	struct agent a;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	cleanup_free char *text = NULL;
	cleanup_close int nfd = -1;
	int status;
	pid_t pid;
	json_t *msg;
	(void)state;

	agent_start(&a);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		child_notify(a.path);
		_exit(0);
	}
	nfd = agent_receive(&a, &text);
	msg = json_loads(text, 0, NULL);
	assert_non_null(msg);
	assert_int_equal(json_integer_value(json_object_get(msg, "pid")), pid);
	json_decref(msg);

	assert_int_equal(seccomp_notify_alloc(&req, &resp), 0);
	assert_int_equal(seccomp_notify_receive(nfd, req), 0);
	assert_int_equal(req->data.nr, SYS_mkdirat);
	assert_int_equal(req->pid, pid);
	resp->id = req->id;
	resp->error = -EOWNERDEAD;
	resp->val = 0;
	resp->flags = 0;
	assert_int_equal(seccomp_notify_respond(nfd, resp), 0);
	seccomp_notify_free(req, resp);

	assert_int_equal(waitpid(pid, &status, 0), pid);
	tu_assert_exit_ok(status);
	agent_stop(&a);
}

static int strv_has(const char *const *v, const char *s)
{
	for (; *v; v++)
		if (strcmp(*v, s) == 0)
			return 1;
	return 0;
}

static void test_features(void **state)
{
	struct rt_seccomp_features f;
	(void)state;

	rt_seccomp_features(&f);
	assert_true(f.api_level >= 1);
	assert_true(strv_has(f.actions, "SCMP_ACT_ALLOW"));
	assert_true(strv_has(f.actions, "SCMP_ACT_ERRNO"));
	assert_true(strv_has(f.operators, "SCMP_CMP_MASKED_EQ"));
	assert_true(strv_has(f.archs, "SCMP_ARCH_X86_64"));
	assert_true(strv_has(f.archs, "SCMP_ARCH_AARCH64"));
	if (f.api_level >= 5)
		assert_true(strv_has(f.actions, "SCMP_ACT_NOTIFY"));
	if (f.api_level >= 2)
		assert_true(strv_has(f.flags, "SECCOMP_FILTER_FLAG_TSYNC"));
	if (seccomp_version()->major == 2 && seccomp_version()->minor < 6)
		assert_false(strv_has(f.flags, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
	assert_true(strlen(f.lib_version) >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_every_action_and_op),
	    cmocka_unit_test(test_native_arch_only_and_foreign_syscall),
	    cmocka_unit_test(test_build_errors),
	    cmocka_unit_test(test_install_errno_and_args),
	    cmocka_unit_test(test_install_kill_and_trap),
	    cmocka_unit_test(test_install_default_errno_ret),
	    cmocka_unit_test(test_default_profile_json),
	    cmocka_unit_test(test_default_profile_enforced),
	    cmocka_unit_test(test_listener_message),
	    cmocka_unit_test(test_send_listener),
	    cmocka_unit_test(test_send_listener_two_steps),
	    cmocka_unit_test(test_notify_agent_roundtrip),
	    cmocka_unit_test(test_features),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
