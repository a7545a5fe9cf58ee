/* config.json -> struct rt_spec: a full valid document, every validation error (the message
 * must name the field), mount options, the sysctl rule, seccomp, and the default spec. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sched.h>
#include <linux/capability.h>

#include "../../cgroups/cgroup.h"
#include "../../common/cleanup.h"
#include "../../common/jsonutil.h"
#include "../../cgroups/cgroup.h"
#include "../../runtime/spec/spec.h"
#include "../../runtime/spec/spec_internal.h"

static const char full_config[] =
    "{\n"
    "  \"ociVersion\": \"1.2.0\",\n"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    "  \"hostname\": \"box\",\n"
    "  \"domainname\": \"example.org\",\n"
    "  \"process\": {\n"
    "    \"terminal\": true,\n"
    "    \"consoleSize\": {\"height\": 25, \"width\": 80},\n"
    "    \"user\": {\"uid\": 1000, \"gid\": 100, \"umask\": 18, \"additionalGids\": [5, 6]},\n"
    "    \"args\": [\"/bin/sh\", \"-c\", \"echo hi\"],\n"
    "    \"env\": [\"PATH=/usr/bin:/bin\", \"EMPTY=\"],\n"
    "    \"cwd\": \"/work\",\n"
    "    \"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\"],\n"
    "      \"effective\": [\"CAP_KILL\"], \"permitted\": [\"CAP_KILL\"],\n"
    "      \"ambient\": [], \"inheritable\": [\"CAP_SYS_ADMIN\"]},\n"
    "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": 4096},\n"
    "                {\"type\": \"RLIMIT_MEMLOCK\", \"soft\": 18446744073709551615,\n"
    "                 \"hard\": 18446744073709551615}],\n"
    "    \"noNewPrivileges\": true,\n"
    "    \"apparmorProfile\": \"husk-default\",\n"
    "    \"selinuxLabel\": \"system_u:system_r:container_t:s0\",\n"
    "    \"oomScoreAdj\": -500,\n"
    "    \"scheduler\": {\"policy\": \"SCHED_FIFO\", \"priority\": 10,\n"
    "                   \"flags\": [\"SCHED_FLAG_RESET_ON_FORK\"]},\n"
    "    \"ioPriority\": {\"class\": \"IOPRIO_CLASS_BE\", \"priority\": 4},\n"
    "    \"execCPUAffinity\": {\"initial\": \"0-3,7\", \"final\": \"1\"}\n"
    "  },\n"
    "  \"mounts\": [\n"
    "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
    "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
    "    {\"destination\": \"/data\", \"type\": \"none\", \"source\": \"data\",\n"
    "     \"options\": [\"rbind\", \"ro\", \"rprivate\", \"rnoexec\"]},\n"
    "    {\"destination\": \"/abs\", \"type\": \"bind\", \"source\": \"/srv/abs\",\n"
    "     \"options\": [\"idmap\"],\n"
    "     \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}],\n"
    "     \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]}\n"
    "  ],\n"
    "  \"hooks\": {\n"
    "    \"prestart\": [{\"path\": \"/usr/bin/hook\", \"args\": [\"hook\", \"pre\"],\n"
    "                   \"env\": [\"A=1\"], \"timeout\": 5}],\n"
    "    \"createRuntime\": [{\"path\": \"/bin/true\"}],\n"
    "    \"poststop\": [{\"path\": \"/bin/a\"}, {\"path\": \"/bin/b\"}]\n"
    "  },\n"
    "  \"annotations\": {\"z.last\": \"1\", \"a.first\": \"2\", \"m\": \"3\"},\n"
    "  \"linux\": {\n"
    "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": "
    "\"/var/run/netns/x\"},\n"
    "      {\"type\": \"mount\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"user\"},\n"
    "      {\"type\": \"cgroup\"}, {\"type\": \"time\"}],\n"
    "    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
    "    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
    "    \"timeOffsets\": {\"monotonic\": {\"secs\": -10, \"nanosecs\": 5},\n"
    "                    \"boottime\": {\"secs\": 3600}},\n"
    "    \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229,\n"
    "                 \"fileMode\": 438, \"uid\": 0, \"gid\": 0},\n"
    "                {\"path\": \"/dev/myfifo\", \"type\": \"p\"}],\n"
    "    \"cgroupsPath\": \"/husk/ctr\",\n"
    "    \"resources\": {\"memory\": {\"limit\": 1000000}},\n"
    "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\", \"kernel.shmmax\": \"100\",\n"
    "               \"fs.mqueue.msg_max\": \"10\", \"kernel.domainname\": \"x\"},\n"
    "    \"maskedPaths\": [\"/proc/kcore\", \"/sys/firmware\"],\n"
    "    \"readonlyPaths\": [\"/proc/sys\"],\n"
    "    \"rootfsPropagation\": \"rslave\",\n"
    "    \"mountLabel\": \"system_u:object_r:container_file_t:s0\",\n"
    "    \"personality\": {\"domain\": \"LINUX32\", \"flags\": []},\n"
    "    \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,\n"
    "      \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_AARCH64\"],\n"
    "      \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],\n"
    "      \"listenerPath\": \"/run/notify.sock\", \"listenerMetadata\": \"meta\",\n"
    "      \"syscalls\": [\n"
    "        {\"names\": [\"read\", \"write\", \"no_such_syscall_yet\"], \"action\": "
    "\"SCMP_ACT_ALLOW\"},\n"
    "        {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "         \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"},\n"
    "                  {\"index\": 5, \"value\": 255, \"valueTwo\": 4, \"op\": "
    "\"SCMP_CMP_MASKED_EQ\"}]},\n"
    "        {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38},\n"
    "        {\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_NOTIFY\"}\n"
    "      ]}\n"
    "  }\n"
    "}\n";

static struct rt_spec *parse_ok(const char *text, const char *bundle)
{
	struct rt_error err = RT_ERROR_INIT;
	struct rt_spec *spec = NULL;
	int r = rt_spec_parse(text, strlen(text), bundle, &spec, &err);

	if (r < 0)
		fail_msg("unexpected error: %s", err.msg);
	assert_non_null(spec);
	return spec;
}

static void test_full_config(void **state)
{
	struct rt_spec *spec = parse_ok(full_config, "/bundles/b1");
	struct rt_process *p = &spec->process;
	struct rt_linux *lx = &spec->linux_cfg;

	assert_string_equal(spec->oci_version, "1.2.0");
	assert_string_equal(spec->bundle, "/bundles/b1");
	assert_string_equal(spec->root_path, "/bundles/b1/rootfs");
	assert_true(spec->root_readonly);
	assert_string_equal(spec->hostname, "box");
	assert_string_equal(spec->domainname, "example.org");

	assert_true(spec->has_process);
	assert_true(p->terminal);
	assert_true(p->has_console_size);
	assert_int_equal(p->console_size.height, 25);
	assert_int_equal(p->console_size.width, 80);
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 100);
	assert_true(p->user.has_umask);
	assert_int_equal(p->user.umask, 022);
	assert_int_equal(p->user.n_additional_gids, 2);
	assert_int_equal(p->user.additional_gids[1], 6);
	assert_int_equal(p->n_args, 3);
	assert_string_equal(p->args[2], "echo hi");
	assert_null(p->args[3]);
	assert_int_equal(p->n_env, 2);
	assert_string_equal(p->env[1], "EMPTY=");
	assert_null(p->env[2]);
	assert_string_equal(p->cwd, "/work");
	assert_true(p->has_caps);
	assert_int_equal(p->caps.bounding, (1ULL << CAP_KILL) | (1ULL << CAP_CHOWN));
	assert_int_equal(p->caps.effective, 1ULL << CAP_KILL);
	assert_int_equal(p->caps.inheritable, 1ULL << CAP_SYS_ADMIN);
	assert_int_equal(p->caps.ambient, 0);
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_string_equal(p->rlimits[0].name, "RLIMIT_NOFILE");
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[0].hard, 4096);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_MEMLOCK);
	assert_true(p->rlimits[1].soft == UINT64_MAX);
	assert_true(p->rlimits[1].hard == UINT64_MAX);
	assert_true(p->no_new_privileges);
	assert_string_equal(p->apparmor_profile, "husk-default");
	assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0");
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);
	assert_true(p->has_scheduler);
	assert_int_equal(p->scheduler.policy, SCHED_FIFO);
	assert_int_equal(p->scheduler.priority, 10);
	assert_int_equal(p->scheduler.flags, 1);
	assert_true(p->has_io_priority);
	assert_int_equal(p->io_priority.klass, 2);
	assert_int_equal(p->io_priority.priority, 4);
	assert_true(p->has_exec_cpu_affinity);
	assert_string_equal(p->exec_cpu_affinity.initial, "0-3,7");
	assert_string_equal(p->exec_cpu_affinity.final, "1");

	assert_int_equal(spec->n_mounts, 4);
	assert_int_equal(spec->mounts[0].kind, RT_MOUNT_FS);
	assert_string_equal(spec->mounts[0].source, "proc");
	assert_null(spec->mounts[0].data);
	assert_int_equal(spec->mounts[1].flags, MS_NOSUID | MS_STRICTATIME);
	assert_string_equal(spec->mounts[1].data, "mode=755,size=65536k");
	assert_int_equal(spec->mounts[2].kind, RT_MOUNT_BIND);
	assert_true(spec->mounts[2].recursive);
	assert_string_equal(spec->mounts[2].source, "/bundles/b1/data");
	assert_int_equal(spec->mounts[2].flags, MS_BIND | MS_REC | MS_RDONLY);
	assert_int_equal(spec->mounts[2].propagation, MS_PRIVATE | MS_REC);
	assert_int_equal(spec->mounts[2].attr_set, MOUNT_ATTR_NOEXEC);
	assert_int_equal(spec->mounts[3].kind, RT_MOUNT_BIND);
	assert_string_equal(spec->mounts[3].source, "/srv/abs");
	assert_true(spec->mounts[3].idmap);
	assert_false(spec->mounts[3].recursive_idmap);
	assert_int_equal(spec->mounts[3].n_uid_mappings, 1);
	assert_int_equal(spec->mounts[3].uid_mappings[0].host_id, 1000);

	assert_int_equal(spec->hooks[RT_HOOK_PRESTART].n, 1);
	assert_string_equal(spec->hooks[RT_HOOK_PRESTART].hooks[0].path, "/usr/bin/hook");
	assert_string_equal(spec->hooks[RT_HOOK_PRESTART].hooks[0].args[1], "pre");
	assert_string_equal(spec->hooks[RT_HOOK_PRESTART].hooks[0].env[0], "A=1");
	assert_true(spec->hooks[RT_HOOK_PRESTART].hooks[0].has_timeout);
	assert_int_equal(spec->hooks[RT_HOOK_PRESTART].hooks[0].timeout, 5);
	assert_int_equal(spec->hooks[RT_HOOK_CREATE_RUNTIME].n, 1);
	assert_null(spec->hooks[RT_HOOK_CREATE_RUNTIME].hooks[0].args);
	assert_int_equal(spec->hooks[RT_HOOK_CREATE_CONTAINER].n, 0);
	assert_int_equal(spec->hooks[RT_HOOK_POSTSTOP].n, 2);
	assert_string_equal(spec->hooks[RT_HOOK_POSTSTOP].hooks[1].path, "/bin/b");

	assert_int_equal(spec->n_annotations, 3);
	assert_string_equal(spec->annotations[0].key, "z.last");
	assert_string_equal(spec->annotations[1].key, "a.first");
	assert_string_equal(spec->annotations[2].value, "3");

	for (int t = 0; t < RT_NS_TYPES; t++)
		assert_true(lx->ns[t].present);
	assert_string_equal(lx->ns[RT_NS_NET].path, "/var/run/netns/x");
	assert_null(lx->ns[RT_NS_PID].path);
	assert_int_equal(lx->n_uid_mappings, 1);
	assert_int_equal(lx->uid_mappings[0].host_id, 100000);
	assert_int_equal(lx->gid_mappings[0].size, 65536);
	assert_int_equal(lx->n_time_offsets, 2);
	assert_int_equal(lx->time_offsets[0].clock, CLOCK_MONOTONIC);
	assert_int_equal(lx->time_offsets[0].secs, -10);
	assert_int_equal(lx->time_offsets[0].nanosecs, 5);
	assert_int_equal(lx->time_offsets[1].clock, CLOCK_BOOTTIME);
	assert_int_equal(lx->n_devices, 2);
	assert_int_equal(lx->devices[0].type, 'c');
	assert_int_equal(lx->devices[0].major, 10);
	assert_int_equal(lx->devices[0].minor, 229);
	assert_true(lx->devices[0].has_file_mode);
	assert_int_equal(lx->devices[0].file_mode, 0666);
	assert_true(lx->devices[0].has_uid);
	assert_int_equal(lx->devices[1].type, 'p');
	assert_false(lx->devices[1].has_file_mode);
	assert_string_equal(lx->cgroups_path, "/husk/ctr");
	/* linux.devices become allow rules of the cgroup device program: the char device is
	 * there (rwm), the FIFO is not a device to the cgroup */
	assert_non_null(lx->resources);
	assert_int_equal(lx->resources->n_devices, 1);
	assert_true(lx->resources->devices[0].allow);
	assert_int_equal(lx->resources->devices[0].type, 'c');
	assert_int_equal(lx->resources->devices[0].major, 10);
	assert_int_equal(lx->resources->devices[0].minor, 229);
	assert_int_equal(lx->n_sysctl, 4);
	assert_string_equal(lx->sysctl[0].key, "net.ipv4.ip_forward");
	assert_string_equal(lx->sysctl[0].value, "1");
	assert_int_equal(lx->n_masked_paths, 2);
	assert_string_equal(lx->masked_paths[1], "/sys/firmware");
	assert_string_equal(lx->readonly_paths[0], "/proc/sys");
	assert_int_equal(lx->rootfs_propagation, MS_SLAVE | MS_REC);
	assert_string_equal(lx->mount_label, "system_u:object_r:container_file_t:s0");
	assert_true(lx->has_personality);
	assert_int_equal(lx->personality.domain, PER_LINUX32);

	struct rt_seccomp *s = lx->seccomp;
	assert_non_null(s);
	assert_int_equal(s->default_action, RT_SCMP_ERRNO);
	assert_true(s->has_default_errno_ret);
	assert_int_equal(s->default_errno_ret, 1);
	assert_int_equal(s->n_architectures, 2);
	assert_string_equal(s->architectures[1], "SCMP_ARCH_AARCH64");
	assert_string_equal(s->flags[0], "SECCOMP_FILTER_FLAG_LOG");
	assert_string_equal(s->listener_path, "/run/notify.sock");
	assert_string_equal(s->listener_metadata, "meta");
	assert_int_equal(s->n_rules, 4);
	assert_int_equal(s->rules[0].n_names, 3);
	assert_string_equal(s->rules[0].names[2], "no_such_syscall_yet");
	assert_int_equal(s->rules[0].action, RT_SCMP_ALLOW);
	assert_int_equal(s->rules[1].n_args, 2);
	assert_int_equal(s->rules[1].args[0].op, RT_SCMP_CMP_EQ);
	assert_int_equal(s->rules[1].args[0].value, 8);
	assert_int_equal(s->rules[1].args[1].index, 5);
	assert_int_equal(s->rules[1].args[1].value_two, 4);
	assert_int_equal(s->rules[1].args[1].op, RT_SCMP_CMP_MASKED_EQ);
	assert_true(s->rules[2].has_errno_ret);
	assert_int_equal(s->rules[2].errno_ret, 38);
	assert_int_equal(s->rules[3].action, RT_SCMP_NOTIFY);
	rt_spec_free(spec);
}

/* --- errors: a minimal valid config merged with a patch, and the text the message must hold */
static const char base_config[] =
    "{\"ociVersion\": \"1.0.2-dev\", \"root\": {\"path\": \"rootfs\"},"
    " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"},"
    " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}]}}";

struct error_case {
	const char *patch;
	const char *expect;
};

static const struct error_case error_cases[] = {
    /* top level */
    {"{\"ociVersion\": null}", "config.json: ociVersion: is required"},
    {"{\"ociVersion\": 1}", "config.json: ociVersion: must be a string"},
    {"{\"ociVersion\": \"2.0.0\"}", "config.json: ociVersion: \"2.0.0\": major version 2 is not"},
    {"{\"ociVersion\": \"0.9.0\"}", "config.json: ociVersion: \"0.9.0\": major version 0"},
    {"{\"ociVersion\": \"latest\"}", "config.json: ociVersion: \"latest\" is not a version"},
    {"{\"root\": null}", "config.json: root: is required"},
    {"{\"root\": {\"path\": null}}", "config.json: root.path: is required"},
    {"{\"root\": {\"readonly\": 1}}", "config.json: root.readonly: must be true or false"},
    {"{\"hostname\": \"h\"}", "config.json: hostname: \"h\" cannot be set without a uts"},
    {"{\"domainname\": \"d\"}", "config.json: domainname: \"d\" cannot be set without a uts"},
    {"{\"annotations\": {\"io.x\": 1}}", "config.json: annotations[\"io.x\"]: must be a string"},
    {"{\"annotations\": []}", "config.json: annotations: must be an object"},
    /* process */
    {"{\"process\": 3}", "config.json: process: must be an object"},
    {"{\"process\": {\"args\": null}}", "config.json: process.args: must be a non-empty array"},
    {"{\"process\": {\"args\": []}}", "config.json: process.args: must be a non-empty array"},
    {"{\"process\": {\"args\": \"sh\"}}", "config.json: process.args: must be an array"},
    {"{\"process\": {\"args\": [\"sh\", \"-c\", 3]}}",
     "config.json: process.args[2]: must be a string"},
    {"{\"process\": {\"cwd\": \"tmp\"}}",
     "config.json: process.cwd: \"tmp\" must be an absolute path"},
    {"{\"process\": {\"env\": [\"A=1\", \"NOEQUALS\"]}}",
     "config.json: process.env[1]: \"NOEQUALS\" is not of the form KEY=VALUE"},
    {"{\"process\": {\"env\": [\"=x\"]}}", "config.json: process.env[0]: \"=x\" is not"},
    {"{\"process\": {\"terminal\": \"yes\"}}", "config.json: process.terminal: must be true"},
    {"{\"process\": {\"terminal\": true, \"consoleSize\": {\"height\": -1}}}",
     "config.json: process.consoleSize.height: -1 must not be negative"},
    {"{\"process\": {\"user\": {\"uid\": \"root\"}}}",
     "config.json: process.user.uid: must be an integer"},
    {"{\"process\": {\"user\": {\"gid\": 4294967295}}}",
     "config.json: process.user.gid: 4294967295 is out of range"},
    {"{\"process\": {\"user\": {\"uid\": 0, \"additionalGids\": [1, \"x\"]}}}",
     "config.json: process.user.additionalGids[1]: must be an integer"},
    {"{\"process\": {\"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_FLY\"]}}}",
     "config.json: process.capabilities.bounding[1]: unknown capability \"CAP_FLY\""},
    {"{\"process\": {\"capabilities\": {\"ambient\": [\"chown\"]}}}",
     "config.json: process.capabilities.ambient[0]: unknown capability \"chown\""},
    {"{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]}}",
     "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""},
    {"{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": 1, \"hard\": 1},"
     " {\"type\": \"RLIMIT_CORE\", \"soft\": 1, \"hard\": 1}]}}",
     "config.json: process.rlimits[1].type: duplicate rlimit \"RLIMIT_CORE\""},
    {"{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 5}]}}",
     "config.json: process.rlimits[0]: RLIMIT_NOFILE: soft limit 10 exceeds hard limit 5"},
    {"{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10}]}}",
     "config.json: process.rlimits[0]: hard is required"},
    {"{\"process\": {\"noNewPrivileges\": 1}}",
     "config.json: process.noNewPrivileges: must be true or false"},
    {"{\"process\": {\"oomScoreAdj\": 1001}}",
     "config.json: process.oomScoreAdj: 1001 is out of range [-1000, 1000]"},
    {"{\"process\": {\"oomScoreAdj\": -1001}}", "config.json: process.oomScoreAdj: -1001 is out"},
    {"{\"process\": {\"scheduler\": {\"policy\": \"SCHED_FAST\"}}}",
     "config.json: process.scheduler.policy: unknown scheduling policy \"SCHED_FAST\""},
    {"{\"process\": {\"scheduler\": {\"nice\": 1}}}",
     "config.json: process.scheduler.policy: is required"},
    {"{\"process\": {\"scheduler\": {\"policy\": \"SCHED_OTHER\", \"nice\": 20}}}",
     "config.json: process.scheduler.nice: 20 is out of range [-20, 19]"},
    {"{\"process\": {\"scheduler\": {\"policy\": \"SCHED_OTHER\", \"flags\": [\"X\"]}}}",
     "config.json: process.scheduler.flags[0]: unknown scheduler flag \"X\""},
    {"{\"process\": {\"scheduler\": {\"policy\": \"SCHED_OTHER\", \"priority\": 5}}}",
     "config.json: process.scheduler: priority is only allowed for SCHED_FIFO"},
    {"{\"process\": {\"scheduler\": {\"policy\": \"SCHED_RR\"}}}",
     "config.json: process.scheduler: priority 0 must be in [1, 99] for SCHED_RR"},
    {"{\"process\": {\"scheduler\": {\"policy\": \"SCHED_BATCH\", \"runtime\": 5}}}",
     "config.json: process.scheduler: runtime/deadline/period are only allowed"},
    {"{\"process\": {\"ioPriority\": {\"class\": \"IOPRIO_CLASS_FAST\"}}}",
     "config.json: process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_FAST\""},
    {"{\"process\": {\"ioPriority\": {\"class\": \"IOPRIO_CLASS_RT\", \"priority\": 8}}}",
     "config.json: process.ioPriority.priority: 8 is out of range [0, 7]"},
    {"{\"process\": {\"execCPUAffinity\": {\"initial\": \"0-\"}}}",
     "config.json: process.execCPUAffinity.initial: \"0-\" is not a cpu list"},
    {"{\"process\": {\"execCPUAffinity\": {\"final\": \"3-1\"}}}",
     "config.json: process.execCPUAffinity.final: \"3-1\" has a range whose end"},
    {"{\"process\": {\"execCPUAffinity\": {\"final\": \"1,,2\"}}}",
     "config.json: process.execCPUAffinity.final: \"1,,2\" is not a cpu list"},
    /* namespaces and user mappings */
    {"{\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"net\"}]}}",
     "config.json: linux.namespaces[1].type: unknown namespace type \"net\""},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"pid\"}]}}",
     "config.json: linux.namespaces[1].type: namespace \"pid\" is listed twice"},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"network\", \"path\": \"run/netns/x\"}]}}",
     "config.json: linux.namespaces[0].path: \"run/netns/x\" must be an absolute path"},
    {"{\"linux\": {\"namespaces\": [{}]}}", "config.json: linux.namespaces[0].type: is required"},
    {"{\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}}",
     "config.json: linux.uidMappings: given without a user namespace"},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"user\"}]}}",
     "config.json: linux.uidMappings: a new user namespace needs uid mappings"},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"user\"}],"
     " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}}",
     "config.json: linux.gidMappings: a new user namespace needs gid mappings"},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"user\"}],"
     " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 0}]}}",
     "config.json: linux.uidMappings[0]: size must be greater than 0"},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"user\"}],"
     " \"uidMappings\": [{\"containerID\": 0, \"size\": 1}]}}",
     "config.json: linux.uidMappings[0]: hostID is required"},
    {"{\"linux\": {\"timeOffsets\": {\"monotonic\": {\"secs\": 1}}}}",
     "config.json: linux.timeOffsets: given without a time namespace"},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"time\"}],"
     " \"timeOffsets\": {\"realtime\": {\"secs\": 1}}}}",
     "config.json: linux.timeOffsets.realtime: unknown clock"},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"time\"}],"
     " \"timeOffsets\": {\"boottime\": {\"nanosecs\": 1000000000}}}}",
     "config.json: linux.timeOffsets.boottime.nanosecs: 1000000000 is out of range"},
    /* mounts */
    {"{\"mounts\": [{\"destination\": \"/a\", \"type\": \"tmpfs\"}, {\"destination\": \"b\"}]}",
     "config.json: mounts[1].destination: \"b\" must be an absolute path"},
    {"{\"mounts\": [{\"type\": \"tmpfs\"}]}", "config.json: mounts[0].destination: is required"},
    {"{\"mounts\": [{\"destination\": \"/a\", \"type\": \"bind\"}]}",
     "config.json: mounts[0].source: is required for a bind mount of \"/a\""},
    {"{\"mounts\": [{\"destination\": \"/a\", \"options\": [\"ro\", 1]}]}",
     "config.json: mounts[0].options[1]: must be a string"},
    {"{\"mounts\": [{\"destination\": \"/a\", \"source\": \"/x\", \"options\": [\"bind\"],"
     " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}]}",
     "config.json: mounts[0]: uidMappings given without gidMappings"},
    {"{\"mounts\": {}}", "config.json: mounts: must be an array"},
    /* devices */
    {"{\"linux\": {\"devices\": [{\"path\": \"dev/x\", \"type\": \"c\"}]}}",
     "config.json: linux.devices[0].path: \"dev/x\" must be an absolute path"},
    {"{\"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"x\"}]}}",
     "config.json: linux.devices[0].type: \"x\" must be one of c, b, u, p"},
    {"{\"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"b\", \"minor\": 1}]}}",
     "config.json: linux.devices[0]: major is required for type \"b\""},
    {"{\"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"u\", \"major\": 1}]}}",
     "config.json: linux.devices[0]: minor is required for type \"u\""},
    {"{\"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"p\", \"fileMode\": 65535}]}}",
     "config.json: linux.devices[0].fileMode: 65535 is out of range"},
    /* sysctl */
    {"{\"linux\": {\"sysctl\": {\"vm.swappiness\": \"10\"}}}",
     "config.json: linux.sysctl: \"vm.swappiness\" is not namespaced"},
    {"{\"linux\": {\"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}}}",
     "config.json: linux.sysctl: \"net.ipv4.ip_forward\" needs a network namespace"},
    {"{\"linux\": {\"sysctl\": {\"kernel.shmmax\": \"1\"}}}",
     "config.json: linux.sysctl: \"kernel.shmmax\" needs an ipc namespace"},
    {"{\"linux\": {\"sysctl\": {\"fs.mqueue.msg_max\": \"1\"}}}",
     "config.json: linux.sysctl: \"fs.mqueue.msg_max\" needs an ipc namespace"},
    {"{\"linux\": {\"sysctl\": {\"kernel.hostname\": \"x\"}}}",
     "config.json: linux.sysctl: \"kernel.hostname\" needs a uts namespace"},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"ipc\"}], \"sysctl\": {\"kernel.sem\": 1}}}",
     "config.json: linux.sysctl[\"kernel.sem\"]: must be a string"},
    /* paths, propagation, personality, intelRdt */
    {"{\"linux\": {\"maskedPaths\": [\"/proc/kcore\", \"proc/keys\"]}}",
     "config.json: linux.maskedPaths[1]: \"proc/keys\" must be an absolute path"},
    {"{\"linux\": {\"readonlyPaths\": [\"sys\"]}}",
     "config.json: linux.readonlyPaths[0]: \"sys\" must be an absolute path"},
    {"{\"linux\": {\"rootfsPropagation\": \"rshard\"}}",
     "config.json: linux.rootfsPropagation: unknown propagation \"rshard\""},
    {"{\"linux\": {\"personality\": {\"domain\": \"LINUX64\"}}}",
     "config.json: linux.personality.domain: unknown domain \"LINUX64\""},
    {"{\"linux\": {\"intelRdt\": {\"closID\": \"x\"}}}",
     "config.json: linux.intelRdt: Intel RDT is not supported"},
    /* seccomp */
    {"{\"linux\": {\"seccomp\": {}}}", "config.json: linux.seccomp.defaultAction: is required"},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_PANIC\"}}}",
     "config.json: linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_PANIC\""},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_NOTIFY\"}}}",
     "config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default"},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"architectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_VAX\"]}}}",
     "config.json: linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\""},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"architectures\": [\"x86_64\"]}}}",
     "config.json: linux.seccomp.architectures[0]: unknown architecture \"x86_64\""},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"flags\": [\"SECCOMP_FILTER_FLAG_NOPE\"]}}}",
     "config.json: linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_NOPE\""},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"listenerPath\": \"run/x.sock\"}}}",
     "config.json: linux.seccomp.listenerPath: \"run/x.sock\" must be an absolute path"},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"syscalls\": [{\"names\": [], \"action\": \"SCMP_ACT_ERRNO\"}]}}}",
     "config.json: linux.seccomp.syscalls[0].names: must be a non-empty array"},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"syscalls\": [{\"names\": [\"read\"]}]}}}",
     "config.json: linux.seccomp.syscalls[0].action: is required"},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_BLOCK\"}]}}}",
     "config.json: linux.seccomp.syscalls[0].action: unknown seccomp action \"SCMP_ACT_BLOCK\""},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\","
     " \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}}}",
     "config.json: linux.seccomp.syscalls[0].args[0].index: 6 is out of range [0, 5]"},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\","
     " \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_SIMILAR\"}]}]}}}",
     "config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator"},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}}}",
     "config.json: linux.seccomp.listenerPath: is required when SCMP_ACT_NOTIFY is used"},
    /* hooks */
    {"{\"hooks\": {\"prestart\": [{\"path\": \"hook\"}]}}",
     "config.json: hooks.prestart[0].path: \"hook\" must be an absolute path"},
    {"{\"hooks\": {\"poststart\": [{\"args\": [\"x\"]}]}}",
     "config.json: hooks.poststart[0].path: is required"},
    {"{\"hooks\": {\"createContainer\": [{\"path\": \"/h\", \"timeout\": 0}]}}",
     "config.json: hooks.createContainer[0].timeout: 0 is out of range"},
    {"{\"hooks\": {\"startContainer\": [{\"path\": \"/h\", \"args\": [\"h\", 2]}]}}",
     "config.json: hooks.startContainer[0].args[1]: must be a string"},
    {"{\"hooks\": {\"poststop\": [{\"path\": \"/h\", \"env\": [\"X\"]}]}}",
     "config.json: hooks.poststop[0].env[0]: \"X\" is not of the form"},
    {"{\"hooks\": {\"createRuntime\": {}}}", "config.json: hooks.createRuntime: must be an array"},
};

static char *patched_config(const char *patch)
{
	json_auto_t *base = json_loads(base_config, 0, NULL);
	json_auto_t *p = json_loads(patch, 0, NULL);

	assert_non_null(base);
	if (p == NULL)
		fail_msg("bad test patch %s", patch);
	assert_int_equal(json_object_update_recursive(base, p), 0);
	return json_dumps(base, 0);
}

static void test_errors(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(error_cases); i++) {
		cleanup_free char *text = patched_config(error_cases[i].patch);
		struct rt_error err = RT_ERROR_INIT;
		struct rt_spec *spec = NULL;

		if (rt_spec_parse(text, strlen(text), "/b", &spec, &err) == 0) {
			rt_spec_free(spec);
			fail_msg("accepted %s", error_cases[i].patch);
		}
		assert_null(spec);
		assert_non_null(err.msg);
		if (getenv("SHOW_ERRORS")) /* to read the messages as a user would */
			printf("%s\n", err.msg);
		if (strstr(err.msg, error_cases[i].expect) == NULL)
			fail_msg("patch %s\n  got:  %s\n  want: %s", error_cases[i].patch, err.msg,
				 error_cases[i].expect);
		rt_error_release(&err);
	}
}

static void test_base_config_is_valid(void **state)
{
	struct rt_spec *spec = parse_ok(base_config, "/b");

	assert_string_equal(spec->process.cwd, "/");
	assert_false(spec->process.has_caps);
	assert_int_equal(spec->n_mounts, 0);
	assert_null(spec->linux_cfg.seccomp);
	rt_spec_free(spec);
}

static void test_json_syntax_error(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct rt_spec *spec = NULL;
	const char *bad = "{\"ociVersion\": \"1.0.0\",\n \"root\": }";

	assert_int_equal(rt_spec_parse(bad, strlen(bad), "/b", &spec, &err), -1);
	assert_non_null(strstr(err.msg, "config.json: line 2"));
	rt_error_release(&err);
	/* a duplicated member would let two readers disagree on the value */
	bad = "{\"ociVersion\": \"1.0.0\", \"ociVersion\": \"1.0.0\"}";
	assert_int_equal(rt_spec_parse(bad, strlen(bad), "/b", &spec, &err), -1);
	assert_non_null(strstr(err.msg, "duplicate"));
	rt_error_release(&err);
	bad = "[]";
	assert_int_equal(rt_spec_parse(bad, strlen(bad), "/b", &spec, &err), -1);
	assert_non_null(strstr(err.msg, "config.json: the document must be a JSON object"));
	rt_error_release(&err);
}

static void test_big_integers(void **state)
{
	/* Beyond int64 only the "unlimited" value is exact enough to take. */
	const char *ok =
	    "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"},"
	    " \"process\": {\"args\": [\"sh\"], \"rlimits\": [{\"type\": \"RLIMIT_CORE\","
	    " \"soft\": 5, \"hard\": 18446744073709551615}]}}";
	struct rt_spec *spec = parse_ok(ok, "/b");
	assert_true(spec->process.rlimits[0].hard == UINT64_MAX);
	assert_int_equal(spec->process.rlimits[0].soft, 5);
	rt_spec_free(spec);

	const char *bad =
	    "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"},"
	    " \"process\": {\"args\": [\"sh\"], \"oomScoreAdj\": 12345678901234567890}}";
	struct rt_error err = RT_ERROR_INIT;
	spec = NULL;
	assert_int_equal(rt_spec_parse(bad, strlen(bad), "/b", &spec, &err), -1);
	assert_non_null(strstr(err.msg, "config.json: process.oomScoreAdj: integer"));
	rt_error_release(&err);
}

/* --- mount options --- */
struct mount_case {
	const char *opts[6];
	const char *type;
	enum rt_mount_kind kind;
	unsigned long flags, clear;
	unsigned long propagation;
	uint64_t attr_set, attr_clr;
	const char *data;
	int recursive, idmap, ridmap;
};

/* What rro, rnosuid, rnodev, rnoexec and rnosymfollow set (and their opposites clear). */
#define R_ATTRS                                                                         \
	(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | \
	 MOUNT_ATTR_NOSYMFOLLOW)

static const struct mount_case mount_cases[] = {
    {.opts = {"defaults"}, .type = "tmpfs", .kind = RT_MOUNT_FS},
    {.opts = {"ro", "nosuid", "nodev", "noexec"},
     .type = "proc",
     .kind = RT_MOUNT_FS,
     .flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC},
    {.opts = {"ro", "rw"}, .type = "tmpfs", .kind = RT_MOUNT_FS, .clear = MS_RDONLY},
    {.opts = {"rw", "ro"}, .type = "tmpfs", .kind = RT_MOUNT_FS, .flags = MS_RDONLY},
    {.opts = {"suid", "dev", "exec", "async", "nomand"},
     .type = "tmpfs",
     .kind = RT_MOUNT_FS,
     .clear = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_MANDLOCK},
    {.opts = {"sync", "dirsync", "remount", "mand"},
     .type = "tmpfs",
     .kind = RT_MOUNT_FS,
     .flags = MS_SYNCHRONOUS | MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK},
    {.opts = {"noatime", "nodiratime", "relatime", "strictatime", "lazytime", "nosymfollow"},
     .type = "ext4",
     .kind = RT_MOUNT_FS,
     .flags =
	 MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME | MS_NOSYMFOLLOW},
    {.opts = {"atime", "diratime", "norelatime", "nostrictatime", "nolazytime", "symfollow"},
     .type = "ext4",
     .kind = RT_MOUNT_FS,
     .clear =
	 MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME | MS_NOSYMFOLLOW},
    {.opts = {"bind"}, .kind = RT_MOUNT_BIND, .flags = MS_BIND},
    {.opts = {"rbind", "ro"},
     .type = "none",
     .kind = RT_MOUNT_BIND,
     .flags = MS_BIND | MS_REC | MS_RDONLY,
     .recursive = 1},
    {.opts = {"nosuid"}, .type = "bind", .kind = RT_MOUNT_BIND, .flags = MS_BIND | MS_NOSUID},
    {.opts = {"shared"}, .type = "tmpfs", .kind = RT_MOUNT_FS, .propagation = MS_SHARED},
    {.opts = {"rshared"}, .type = "tmpfs", .kind = RT_MOUNT_FS, .propagation = MS_SHARED | MS_REC},
    {.opts = {"slave"}, .type = "tmpfs", .kind = RT_MOUNT_FS, .propagation = MS_SLAVE},
    {.opts = {"rslave"}, .type = "tmpfs", .kind = RT_MOUNT_FS, .propagation = MS_SLAVE | MS_REC},
    {.opts = {"private"}, .type = "tmpfs", .kind = RT_MOUNT_FS, .propagation = MS_PRIVATE},
    {.opts = {"shared", "rprivate"},
     .type = "tmpfs",
     .kind = RT_MOUNT_FS,
     .propagation = MS_PRIVATE | MS_REC},
    {.opts = {"unbindable"}, .type = "tmpfs", .kind = RT_MOUNT_FS, .propagation = MS_UNBINDABLE},
    {.opts = {"runbindable"},
     .type = "tmpfs",
     .kind = RT_MOUNT_FS,
     .propagation = MS_UNBINDABLE | MS_REC},
    {.opts = {"rbind", "rro", "rnosuid", "rnodev", "rnoexec", "rnosymfollow"},
     .kind = RT_MOUNT_BIND,
     .flags = MS_BIND | MS_REC,
     .attr_set = R_ATTRS,
     .recursive = 1},
    {.opts = {"rbind", "rrw", "rsuid", "rdev", "rexec", "rsymfollow"},
     .kind = RT_MOUNT_BIND,
     .flags = MS_BIND | MS_REC,
     .attr_clr = R_ATTRS,
     .recursive = 1},
    {.opts = {"bind", "idmap"}, .kind = RT_MOUNT_BIND, .flags = MS_BIND, .idmap = 1},
    {.opts = {"rbind", "ridmap"},
     .kind = RT_MOUNT_BIND,
     .flags = MS_BIND | MS_REC,
     .recursive = 1,
     .idmap = 1,
     .ridmap = 1},
    {.opts = {"nosuid", "strictatime", "mode=755", "size=65536k"},
     .type = "tmpfs",
     .kind = RT_MOUNT_FS,
     .flags = MS_NOSUID | MS_STRICTATIME,
     .data = "mode=755,size=65536k"},
    {.opts = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
     .type = "devpts",
     .kind = RT_MOUNT_FS,
     .flags = MS_NOSUID | MS_NOEXEC,
     .data = "newinstance,ptmxmode=0666,mode=0620,gid=5"},
    {.opts = {"lowerdir=/a:/b", "", "upperdir=/u"},
     .type = "overlay",
     .kind = RT_MOUNT_FS,
     .data = "lowerdir=/a:/b,upperdir=/u"},
};

/* The mount_setattr(2) attributes of a bind mount of type "bind" (the "r" options): what the
 * options set and clear, and nothing else. */
static const struct {
	const char *opts[2];
	uint64_t attr_set, attr_clr;
} bind_attr_cases[] = {
    {{"rro", "rrw"}, 0, MOUNT_ATTR_RDONLY},
    {{"rnodiratime"}, MOUNT_ATTR_NODIRATIME, 0},
    {{"rdiratime"}, 0, MOUNT_ATTR_NODIRATIME},
    /* atime modes are an enum: the whole field must be cleared to set one */
    {{"rnoatime"}, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
    {{"rstrictatime"}, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
    {{"rnoatime", "rrelatime"}, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {{"rnoatime", "ratime"}, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {{"rstrictatime", "rnostrictatime"}, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {{"rnorelatime"}, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
};

static void check_mount_case(const char *table, size_t i, const struct mount_case *c)
{
	struct rt_error err = RT_ERROR_INIT;
	struct rt_mount m = {0};
	size_t n = 0;

	while (n < ARRAY_SIZE(c->opts) && c->opts[n])
		n++;
	m.type = c->type ? strdup(c->type) : NULL;
	assert_int_equal(rt_mount_options_parse(&m, c->opts, n, &err), 0);
	if (m.kind != c->kind || m.flags != c->flags || m.clear_flags != c->clear ||
	    m.propagation != c->propagation || m.attr_set != c->attr_set ||
	    m.attr_clr != c->attr_clr || m.recursive != c->recursive || m.idmap != c->idmap ||
	    m.recursive_idmap != c->ridmap)
		fail_msg("%s[%zu] (%s...): kind %d flags %#lx clear %#lx prop %#lx set %#llx "
			 "clr %#llx rec %d idmap %d/%d",
			 table, i, c->opts[0], m.kind, m.flags, m.clear_flags, m.propagation,
			 (unsigned long long)m.attr_set, (unsigned long long)m.attr_clr,
			 m.recursive, m.idmap, m.recursive_idmap);
	if (c->data)
		assert_string_equal(m.data, c->data);
	else
		assert_null(m.data);
	rt_mount_clear(&m);
}

static void test_mount_options(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_cases); i++)
		check_mount_case("mount_cases", i, &mount_cases[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bind_attr_cases); i++) {
		struct mount_case c = {
		    .opts = {bind_attr_cases[i].opts[0], bind_attr_cases[i].opts[1]},
		    .type = "bind",
		    .kind = RT_MOUNT_BIND,
		    .flags = MS_BIND,
		    .attr_set = bind_attr_cases[i].attr_set,
		    .attr_clr = bind_attr_cases[i].attr_clr};

		check_mount_case("bind_attr_cases", i, &c);
	}
}

static void test_mount_tmpcopyup(void **state)
{
	static const char *const opts[] = {"tmpcopyup", "mode=1777"};
	struct rt_error err = RT_ERROR_INIT;
	struct rt_mount m = {0};

	assert_int_equal(rt_mount_options_parse(&m, opts, 2, &err), 0);
	assert_true(m.tmpcopyup);
	assert_string_equal(m.data, "mode=1777");
	rt_mount_clear(&m);
}

/* --- the sysctl rule --- */
static void test_sysctl_rule(void **state)
{
	static const struct {
		const char *key;
		int needs; /* namespace type, or -1: never allowed */
	} cases[] = {
	    {"net.ipv4.ip_forward", RT_NS_NET},
	    {"net.core.somaxconn", RT_NS_NET},
	    {"kernel.msgmax", RT_NS_IPC},
	    {"kernel.msgmnb", RT_NS_IPC},
	    {"kernel.msgmni", RT_NS_IPC},
	    {"kernel.sem", RT_NS_IPC},
	    {"kernel.shmall", RT_NS_IPC},
	    {"kernel.shmmax", RT_NS_IPC},
	    {"kernel.shmmni", RT_NS_IPC},
	    {"kernel.shm_rmid_forced", RT_NS_IPC},
	    {"fs.mqueue.queues_max", RT_NS_IPC},
	    {"kernel.hostname", RT_NS_UTS},
	    {"kernel.domainname", RT_NS_UTS},
	    {"vm.swappiness", -1},
	    {"kernel.pid_max", -1},
	    {"kernel.shmmaxx", -1},
	    {"fs.file-max", -1},
	    {"netfilter.x", -1},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rt_error err = RT_ERROR_INIT;
		struct rt_linux all = {0}, none = {0}, only = {0};

		for (int t = 0; t < RT_NS_TYPES; t++)
			all.ns[t].present = 1;
		if (cases[i].needs >= 0) {
			only.ns[cases[i].needs].present = 1;
			assert_int_equal(rt_sysctl_check(&only, cases[i].key, &err), 0);
			/* joining a namespace (path) is fine too */
			only.ns[cases[i].needs].path = (char *)"/proc/1/ns/x";
			assert_int_equal(rt_sysctl_check(&only, cases[i].key, &err), 0);
			assert_int_equal(rt_sysctl_check(&all, cases[i].key, &err), 0);
			assert_int_equal(rt_sysctl_check(&none, cases[i].key, &err), -1);
			assert_non_null(strstr(err.msg, cases[i].key));
			assert_non_null(strstr(err.msg, "linux.sysctl: \""));
			rt_error_release(&err);
		} else {
			assert_int_equal(rt_sysctl_check(&all, cases[i].key, &err), -1);
			assert_non_null(strstr(err.msg, "is not namespaced"));
			rt_error_release(&err);
		}
	}
}

/* --- process file of exec --process --- */
static void test_parse_process(void **state)
{
	const char *text = "{\"args\": [\"ls\", \"-l\"], \"cwd\": \"/tmp\", \"env\": [\"A=b\"],"
			   " \"user\": {\"uid\": 5, \"gid\": 6}, \"terminal\": false,"
			   " \"consoleSize\": {\"height\": 1, \"width\": 2},"
			   " \"capabilities\": {\"bounding\": [\"CAP_NET_RAW\"]}}";
	struct rt_error err = RT_ERROR_INIT;
	struct rt_process *p = NULL;

	assert_int_equal(rt_spec_parse_process(text, strlen(text), &p, &err), 0);
	assert_int_equal(p->n_args, 2);
	assert_string_equal(p->args[1], "-l");
	assert_string_equal(p->cwd, "/tmp");
	assert_int_equal(p->user.uid, 5);
	/* consoleSize is ignored without a terminal, as the spec says */
	assert_false(p->has_console_size);
	assert_int_equal(p->caps.bounding, 1ULL << CAP_NET_RAW);
	rt_process_free(p);

	text = "{\"args\": [\"ls\"], \"cwd\": \"tmp\"}";
	p = NULL;
	assert_int_equal(rt_spec_parse_process(text, strlen(text), &p, &err), -1);
	assert_null(p);
	assert_string_equal(err.msg, "process.cwd: \"tmp\" must be an absolute path");
	rt_error_release(&err);
	text = "{\"cwd\": \"/\"}";
	assert_int_equal(rt_spec_parse_process(text, strlen(text), &p, &err), -1);
	assert_non_null(strstr(err.msg, "process.args: must be a non-empty array"));
	rt_error_release(&err);
	text = "{";
	assert_int_equal(rt_spec_parse_process(text, strlen(text), &p, &err), -1);
	assert_non_null(strstr(err.msg, "process: line 1"));
	rt_error_release(&err);
}

/* --- rt_spec_load with a bundle on disk --- */
static void test_load_bundle(void **state)
{
	char dir[] = "/tmp/husk-spec-XXXXXX";
	cleanup_free char *cfg = NULL, *link = NULL, *real = NULL, *want = NULL;
	struct rt_error err = RT_ERROR_INIT;
	struct rt_spec *spec = NULL;
	const char *text = "{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"./rootfs\"},"
			   " \"mounts\": [{\"destination\": \"/v\", \"type\": \"bind\","
			   " \"source\": \"vol/data\"}]}";

	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&cfg, "%s/config.json", dir) > 0);
	assert_true(asprintf(&link, "%s-link", dir) > 0);
	FILE *f = fopen(cfg, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(symlink(dir, link), 0);

	assert_int_equal(rt_spec_load(link, &spec, &err), 0);
	real = realpath(dir, NULL);
	assert_string_equal(spec->bundle, real);
	assert_true(asprintf(&want, "%s/rootfs", real) > 0);
	assert_string_equal(spec->root_path, want);
	free(want);
	assert_true(asprintf(&want, "%s/vol/data", real) > 0);
	assert_string_equal(spec->mounts[0].source, want);
	assert_false(spec->has_process);
	rt_spec_free(spec);
	spec = NULL;

	unlink(cfg);
	assert_int_equal(rt_spec_load(dir, &spec, &err), -1);
	assert_non_null(strstr(err.msg, "config.json"));
	assert_non_null(strstr(err.msg, "no such file"));
	rt_error_release(&err);
	assert_int_equal(rt_spec_load("/nonexistent/bundle", &spec, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/bundle"));
	rt_error_release(&err);
	unlink(link);
	rmdir(dir);
}

/* --- the default spec (husk spec) parses back --- */
static void test_default_spec(void **state)
{
	cleanup_free char *text = rt_spec_default_json(0, 0, 0);
	struct rt_spec *spec;

	assert_non_null(text);
	assert_non_null(strstr(text, "\n  \"ociVersion\": "));
	assert_int_equal(text[strlen(text) - 1], '}');
	spec = parse_ok(text, "/b");
	assert_string_equal(spec->root_path, "/b/rootfs");
	assert_true(spec->root_readonly);
	assert_string_equal(spec->process.args[0], "sh");
	assert_null(spec->process.args[1]);
	assert_true(spec->process.terminal);
	assert_true(spec->process.no_new_privileges);
	assert_int_equal(spec->process.caps.bounding, (1ULL << CAP_AUDIT_WRITE) |
							  (1ULL << CAP_KILL) |
							  (1ULL << CAP_NET_BIND_SERVICE));
	assert_int_equal(spec->process.caps.effective, spec->process.caps.bounding);
	assert_int_equal(spec->n_mounts, 7);
	assert_string_equal(spec->mounts[0].destination, "/proc");
	assert_string_equal(spec->mounts[2].destination, "/dev/pts");
	assert_string_equal(spec->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
	assert_string_equal(spec->mounts[5].type, "sysfs");
	assert_int_equal(spec->mounts[5].flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
	assert_true(spec->linux_cfg.ns[RT_NS_PID].present);
	assert_true(spec->linux_cfg.ns[RT_NS_NET].present);
	assert_true(spec->linux_cfg.ns[RT_NS_IPC].present);
	assert_true(spec->linux_cfg.ns[RT_NS_UTS].present);
	assert_true(spec->linux_cfg.ns[RT_NS_MNT].present);
	assert_true(spec->linux_cfg.ns[RT_NS_CGROUP].present);
	assert_false(spec->linux_cfg.ns[RT_NS_USER].present);
	assert_true(spec->linux_cfg.n_masked_paths >= 10);
	assert_int_equal(spec->linux_cfg.n_readonly_paths, 5);
	assert_non_null(spec->linux_cfg.seccomp);
	assert_true(spec->linux_cfg.seccomp->n_rules > 0);
	rt_spec_free(spec);
}

static void test_default_spec_rootless(void **state)
{
	cleanup_free char *text = rt_spec_default_json(1, 1234, 567);
	struct rt_spec *spec;

	assert_non_null(text);
	spec = parse_ok(text, "/b");
	assert_true(spec->linux_cfg.ns[RT_NS_USER].present);
	assert_false(spec->linux_cfg.ns[RT_NS_NET].present);
	assert_int_equal(spec->linux_cfg.n_uid_mappings, 1);
	assert_int_equal(spec->linux_cfg.uid_mappings[0].container_id, 0);
	assert_int_equal(spec->linux_cfg.uid_mappings[0].host_id, 1234);
	assert_int_equal(spec->linux_cfg.uid_mappings[0].size, 1);
	assert_int_equal(spec->linux_cfg.gid_mappings[0].host_id, 567);
	assert_int_equal(spec->mounts[5].kind, RT_MOUNT_BIND);
	assert_string_equal(spec->mounts[5].source, "/sys");
	assert_true(spec->mounts[5].recursive);
	assert_null(strstr(spec->mounts[2].data, "gid="));
	assert_null(strstr(text, "\"resources\""));
	rt_spec_free(spec);
}

static void test_names(void **state)
{
	assert_string_equal(rt_ns_type_name(RT_NS_NET), "network");
	assert_string_equal(rt_ns_type_name(RT_NS_MNT), "mount");
	assert_int_equal(rt_ns_clone_flag(RT_NS_USER), CLONE_NEWUSER);
	assert_int_equal(rt_ns_clone_flag(RT_NS_TIME), 0x80);
	assert_null(rt_ns_type_name(RT_NS_TYPES));
	assert_string_equal(rt_hook_kind_name(RT_HOOK_CREATE_CONTAINER), "createContainer");
	assert_string_equal(rt_hook_kind_name(RT_HOOK_POSTSTOP), "poststop");
}

static void test_cpu_list(void **state)
{
	static const char *const good[] = {"0", "0-3", "0-3,7", "1,2,3", "10-10", "0-1023"};
	static const char *const bad[] = {"", "-1", "1-", "a", "1,", ",1", "3-1", "1 ,2", "1-2-3"};
	const char *why;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (rt_cpu_list_check(good[i], &why) < 0)
			fail_msg("rejected \"%s\": %s", good[i], why);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (rt_cpu_list_check(bad[i], &why) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_config),	    cmocka_unit_test(test_base_config_is_valid),
	    cmocka_unit_test(test_errors),	    cmocka_unit_test(test_json_syntax_error),
	    cmocka_unit_test(test_big_integers),    cmocka_unit_test(test_mount_options),
	    cmocka_unit_test(test_mount_tmpcopyup), cmocka_unit_test(test_sysctl_rule),
	    cmocka_unit_test(test_parse_process),   cmocka_unit_test(test_load_bundle),
	    cmocka_unit_test(test_default_spec),    cmocka_unit_test(test_default_spec_rootless),
	    cmocka_unit_test(test_names),	    cmocka_unit_test(test_cpu_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
