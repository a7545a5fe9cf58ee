/* config.json as typed structs.  The spec*.c files are the only readers of the OCI JSON (spec.c
 * the document, spec_process.c, spec_linux.c, spec_mounts.c, spec_resources.c and
 * spec_seccomp.c one part each; `update -r` goes through spec_resources.c too); everything else
 * in husk works on these.  Strings are heap-owned; arrays carry their length.  Optional
 * scalars have a has_* flag. */
#ifndef HUSK_RUNTIME_SPEC_H
#define HUSK_RUNTIME_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../common/error.h"

struct cg_limits; /* cgroups/cgroup.h: linux.resources translated for cgroup v2 */

struct rt_kv {
	char *key;
	char *value;
};

struct rt_id_mapping {
	uint32_t container_id, host_id, size;
};

/* --- process --- */
struct rt_rlimit {
	int resource; /* RLIMIT_* */
	char *name;   /* as written, e.g. "RLIMIT_NOFILE" */
	uint64_t soft, hard;
};

struct rt_caps {
	/* bitmasks of CAP_* numbers (1ULL << cap); has_* set when the set was given */
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct rt_user {
	uid_t uid;
	gid_t gid;
	int has_umask;
	mode_t umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
	char *username; /* process.user.username (Windows only in the spec; kept for errors) */
};

struct rt_console_size {
	unsigned height, width;
};

struct rt_scheduler {
	int policy; /* SCHED_* */
	int nice;
	int priority;
	unsigned flags; /* SCHED_FLAG_* */
	uint64_t runtime, deadline, period;
};

struct rt_io_priority {
	int klass; /* IOPRIO_CLASS_* */
	int priority;
};

struct rt_cpu_affinity {
	char *initial; /* cpu list as in the spec, e.g. "0-3,7" */
	char *final;
};

struct rt_process {
	int terminal;
	int has_console_size;
	struct rt_console_size console_size;
	struct rt_user user;
	char **args; /* NULL-terminated, n_args entries */
	size_t n_args;
	char **env; /* NULL-terminated */
	size_t n_env;
	char *cwd;
	int has_caps;
	struct rt_caps caps;
	struct rt_rlimit *rlimits;
	size_t n_rlimits;
	int no_new_privileges;
	char *apparmor_profile;
	char *selinux_label;
	int has_oom_score_adj;
	int oom_score_adj;
	int has_scheduler;
	struct rt_scheduler scheduler;
	int has_io_priority;
	struct rt_io_priority io_priority;
	int has_exec_cpu_affinity;
	struct rt_cpu_affinity exec_cpu_affinity;
};

/* --- mounts --- */
enum rt_mount_kind {
	RT_MOUNT_BIND, /* type "bind" or options contain bind/rbind */
	RT_MOUNT_FS,   /* a filesystem by type: proc, sysfs, tmpfs, devpts, mqueue, cgroup2, ... */
};

struct rt_mount {
	char *destination; /* absolute inside the container */
	char *type;	   /* may be NULL for bind mounts */
	char *source; /* host path for binds (made absolute against the bundle), else fs source */
	enum rt_mount_kind kind;
	int recursive;		   /* rbind */
	unsigned long flags;	   /* MS_* to set; binds have MS_BIND (| MS_REC for rbind) */
	unsigned long clear_flags; /* MS_* explicitly cleared (rw, suid, dev, exec, ...) */
	unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) */
	uint64_t attr_set;	   /* MOUNT_ATTR_* for recursive flags (rro, rnosuid...) */
	uint64_t attr_clr;
	int idmap; /* idmap / ridmap requested (or mappings given) */
	int recursive_idmap;
	int tmpcopyup; /* runc/crun extension: copy the rootfs dir into the tmpfs */
	char *data;    /* remaining options for the fs, comma separated, or NULL */
	/* uidMappings/gidMappings for idmapped mounts */
	struct rt_id_mapping *uid_mappings;
	size_t n_uid_mappings;
	struct rt_id_mapping *gid_mappings;
	size_t n_gid_mappings;
};

/* --- hooks --- */
struct rt_hook {
	char *path;
	char **args; /* NULL-terminated (may be NULL: then argv is just path) */
	char **env;  /* NULL-terminated or NULL */
	int has_timeout;
	int timeout; /* seconds, > 0 */
};

enum rt_hook_kind {
	RT_HOOK_PRESTART,
	RT_HOOK_CREATE_RUNTIME,
	RT_HOOK_CREATE_CONTAINER,
	RT_HOOK_START_CONTAINER,
	RT_HOOK_POSTSTART,
	RT_HOOK_POSTSTOP,
	RT_HOOK_KINDS
};

struct rt_hook_list {
	struct rt_hook *hooks;
	size_t n;
};

/* --- linux --- */
enum rt_ns_type {
	RT_NS_PID,
	RT_NS_NET,
	RT_NS_MNT,
	RT_NS_IPC,
	RT_NS_UTS,
	RT_NS_USER,
	RT_NS_CGROUP,
	RT_NS_TIME,
	RT_NS_TYPES
};

struct rt_namespace {
	int present; /* listed in linux.namespaces */
	char *path;  /* join this namespace instead of creating one (NULL: new) */
};

struct rt_device {
	char *path; /* absolute inside the container */
	char type;  /* 'c', 'b', 'u' (= 'c'), 'p' */
	int64_t major, minor;
	int has_file_mode;
	mode_t file_mode;
	int has_uid, has_gid;
	uid_t uid;
	gid_t gid;
};

struct rt_time_offset {
	int clock; /* CLOCK_MONOTONIC or CLOCK_BOOTTIME */
	int64_t secs;
	uint32_t nanosecs;
};

/* linux.seccomp (enforced by seccomp.c; parsed and validated here) */
enum rt_seccomp_action {
	RT_SCMP_KILL, /* SCMP_ACT_KILL == KILL_THREAD */
	RT_SCMP_KILL_PROCESS,
	RT_SCMP_KILL_THREAD,
	RT_SCMP_TRAP,
	RT_SCMP_ERRNO,
	RT_SCMP_TRACE,
	RT_SCMP_ALLOW,
	RT_SCMP_LOG,
	RT_SCMP_NOTIFY,
};

enum rt_seccomp_op {
	RT_SCMP_CMP_NE,
	RT_SCMP_CMP_LT,
	RT_SCMP_CMP_LE,
	RT_SCMP_CMP_EQ,
	RT_SCMP_CMP_GE,
	RT_SCMP_CMP_GT,
	RT_SCMP_CMP_MASKED_EQ,
};

struct rt_seccomp_arg {
	unsigned index;
	uint64_t value;
	uint64_t value_two;
	enum rt_seccomp_op op;
};

struct rt_seccomp_rule {
	char **names; /* NULL-terminated */
	size_t n_names;
	enum rt_seccomp_action action;
	int has_errno_ret;
	unsigned errno_ret;
	struct rt_seccomp_arg *args;
	size_t n_args;
};

struct rt_seccomp {
	enum rt_seccomp_action default_action;
	int has_default_errno_ret;
	unsigned default_errno_ret;
	char **architectures; /* "SCMP_ARCH_X86_64", ... NULL-terminated */
	size_t n_architectures;
	char **flags; /* "SECCOMP_FILTER_FLAG_*", NULL-terminated */
	size_t n_flags;
	char *listener_path;
	char *listener_metadata;
	struct rt_seccomp_rule *rules;
	size_t n_rules;
};

struct rt_personality {
	unsigned long domain; /* PER_LINUX or PER_LINUX32 */
	char **flags;
	size_t n_flags;
};

struct rt_linux {
	struct rt_namespace ns[RT_NS_TYPES];
	struct rt_id_mapping *uid_mappings;
	size_t n_uid_mappings;
	struct rt_id_mapping *gid_mappings;
	size_t n_gid_mappings;
	struct rt_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct cg_limits *resources; /* NULL when linux.resources is absent */
	struct rt_kv *sysctl;
	size_t n_sysctl;
	char **masked_paths;
	size_t n_masked_paths;
	char **readonly_paths;
	size_t n_readonly_paths;
	unsigned long rootfs_propagation; /* MS_* | MS_REC, 0 when not given */
	char *mount_label;
	struct rt_seccomp *seccomp; /* NULL when absent */
	int has_personality;
	struct rt_personality personality;
	struct rt_time_offset *time_offsets;
	size_t n_time_offsets;
	char *intel_rdt_clos_id; /* accepted only for a clear error today */
};

struct rt_spec {
	char *oci_version;
	char *bundle;	 /* absolute bundle directory */
	char *root_path; /* absolute rootfs path (root.path made absolute against the bundle) */
	int root_readonly;
	int has_process;
	struct rt_process process;
	char *hostname;
	char *domainname;
	struct rt_mount *mounts;
	size_t n_mounts;
	struct rt_hook_list hooks[RT_HOOK_KINDS];
	struct rt_kv *annotations;
	size_t n_annotations;
	struct rt_linux linux_cfg; /* "linux" is a predefined macro in gnu11 */
	/* rt_spec_load: the config.json text this was parsed from, byte for byte, for the state
	 * dir's copy (the bundle's file may change after the parse) */
	char *source;
	size_t source_len;
};

/* Parse config.json in bundle_dir (which may be relative; it is made absolute).  Validates every
 * field it reads; on failure err names the field: "config.json: process.args: must be a
 * non-empty array". */
int rt_spec_load(const char *bundle_dir, struct rt_spec **ret_spec, struct rt_error *err);

/* Same, from a JSON text (the bundle path is used to make relative paths absolute; a
 * relative bundle_dir is joined to the cwd, without resolving symlinks).  Unknown members are
 * ignored, as the spec asks; linux.resources is not translated yet (resources stays NULL). */
int rt_spec_parse(const char *json_text, size_t len, const char *bundle_dir,
		  struct rt_spec **ret_spec, struct rt_error *err);

/* Parse a bare process object (exec --process FILE) with the same rules as config's process.
 * Messages read "process.cwd: ..." without a file name: the caller wraps with it. */
int rt_spec_parse_process(const char *json_text, size_t len, struct rt_process **ret_process,
			  struct rt_error *err);

void rt_spec_free(struct rt_spec *spec);
void rt_process_free(struct rt_process *process);

/* Names used by several commands. */
const char *rt_ns_type_name(enum rt_ns_type t);	    /* "pid", "network", "mount", ... */
int rt_ns_clone_flag(enum rt_ns_type t);	    /* CLONE_NEWPID, ... */
const char *rt_hook_kind_name(enum rt_hook_kind k); /* "prestart", "createRuntime", ... */

/* Default config.json text for `husk spec` (rootless variant with user namespace mapping):
 * heap string without a final newline, free() it; NULL only when out of memory. */
char *rt_spec_default_json(int rootless, uid_t uid, gid_t gid);

#endif
