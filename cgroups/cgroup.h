/* cgroup library: locate the hierarchies, resolve a cgroupsPath, create a container's cgroup
 * with its limits, update, freeze, kill, list, read stats, remove.  Everything works on
 * directory fds (the hierarchy root and the cgroup), files are written with openat on them.
 *
 * One interface, two backends: on a pure cgroup v2 host (layout "unified") the functions below
 * use the cgroup2 files; on a host that keeps its controllers in cgroup v1 hierarchies
 * ("hybrid": v1 controllers plus a cgroup2 mount, "legacy": v1 only) the same calls make and
 * drive one directory per v1 hierarchy (v1_*.c), plus one in the cgroup2 hierarchy for tracking
 * where there is one.  The caller only learns the difference from cg_cgroup_needs_attach: a v1
 * cgroup cannot be joined by clone3(CLONE_INTO_CGROUP), so the process joins with cg_attach.
 * No knowledge of the CLI or of the OCI JSON: runtime/spec/spec_resources.c translates
 * linux.resources into struct cg_limits.
 *
 * Typical start of a container:
 *   cg_hierarchy_open(NULL, &h, err);
 *   cg_path_resolve(spec_path, id, 0, &path, err);
 *   cg_create(h, path, limits, flags, &cg, err);     (mkdir -p, controllers, limits, devices)
 *   clone3 with CLONE_INTO_CGROUP and cgroup = cg->fd (when cg->fd >= 0)
 *   and when cg_cgroup_needs_attach(cg): cg_attach(cg, 0, err) first thing in the child
 * and at delete: cg_open(h, path, &cg, err); cg_remove(cg, err).
 */
#ifndef HUSK_CGROUPS_CGROUP_H
#define HUSK_CGROUPS_CGROUP_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/cleanup.h"
#include "../common/error.h"

/* --- controllers --- */
enum cg_controller {
	CG_CPUSET,
	CG_CPU,
	CG_IO,
	CG_MEMORY,
	CG_HUGETLB,
	CG_PIDS,
	CG_RDMA,
	CG_MISC,
	/* cgroup v1 only */
	CG_CPUACCT,
	CG_DEVICES,
	CG_FREEZER,
	CG_NET_CLS,
	CG_NET_PRIO,
	CG_N_CONTROLLERS
};
#define CG_BIT(c) (1u << (c))

const char *cg_controller_name(enum cg_controller c);
/* The name in a v1 host's terms ("blkio" for CG_IO). */
const char *cg_controller_v1_name(enum cg_controller c);
/* The controller a name ("memory") or an interface file ("memory.max") belongs to, or -1. */
int cg_controller_from_name(const char *name, size_t len);
/* Parse a cgroup.controllers / cgroup.subtree_control line into a CG_BIT mask (unknown names
 * are ignored). */
unsigned cg_controllers_parse(const char *text);

/* --- the hierarchy --- */
enum cg_layout {
	CG_LAYOUT_UNIFIED, /* /sys/fs/cgroup is cgroup2 */
	CG_LAYOUT_HYBRID,  /* v1 controllers, and a cgroup2 at /sys/fs/cgroup/unified */
	CG_LAYOUT_LEGACY,  /* v1 controllers only */
};
const char *cg_layout_name(enum cg_layout l); /* "unified", "hybrid", "legacy" */

struct cg_v1; /* the v1 hierarchies (v1.h) */

struct cg_hierarchy {
	int fd;		      /* O_DIRECTORY of the cgroup2 root we work in; -1 on legacy */
	char *path;	      /* its path, for messages ("/sys/fs/cgroup") */
	unsigned controllers; /* CG_BIT mask: the root's cgroup.controllers, or on hybrid and
				 legacy hosts the controllers of the mounted v1 hierarchies */
	enum cg_layout layout;
	struct cg_v1 *v1; /* NULL on unified */
};

/* root_path NULL: the host's layout, detected from /sys/fs/cgroup and /proc/self/mountinfo.
 * A given root_path is taken as a cgroup2 root as is (tests pass a mkdtemp directory). */
int cg_hierarchy_open(const char *root_path, struct cg_hierarchy **ret, struct rt_error *err);
/* Only the layout, as cg_hierarchy_open(NULL) would find it. */
int cg_layout_detect(enum cg_layout *ret, struct rt_error *err);
void cg_hierarchy_free(struct cg_hierarchy *h);

/* --- cgroupsPath --- */
enum {
	/* path is in the systemd form "slice:prefix:name" (--systemd-cgroup), mapped to the
	 * cgroupfs layout systemd would use, taken from the root, as runc does without systemd:
	 * "system.slice:podman:abc" -> "system.slice/podman-abc.scope"; an empty slice is
	 * system.slice, an empty name the id, an empty path "system.slice:husk:<id>". */
	CG_PATH_SYSTEMD = 1 << 0,
};

/* Resolve the spec's cgroupsPath into a path relative to the hierarchy root (no leading
 * slash): absolute paths are taken from the root, relative ones from the parent of husk's own
 * cgroup (own_cgroup, the "0::" line of /proc/self/cgroup; the own cgroup itself usually holds
 * processes and so cannot get controllers for children), empty gives "husk/<id>" there.
 * A ".." component is refused: a cgroupsPath never leaves the hierarchy. */
int cg_path_resolve(const char *cgroups_path, const char *id, const char *own_cgroup, int flags,
		    char **ret, struct rt_error *err);
/* The "0::" path of /proc/self/cgroup (e.g. "/user.slice/session-1.scope"). */
int cg_own_cgroup(char **ret, struct rt_error *err);
/* Map "slice:prefix:name" to a cgroupfs path ("a-b.slice:p:n" -> "a.slice/a-b.slice/p-n.scope"). */
int cg_systemd_path(const char *spec, const char *id, char **ret, struct rt_error *err);

/* --- limits: linux.resources for cgroup v2 --- */
#define CG_MAX INT64_C(-1) /* "max" for values where the spec uses -1 for unlimited */

struct cg_device_rule {
	int allow;
	char type;	 /* 'a', 'c' or 'b' */
	int64_t major;	 /* -1: any */
	int64_t minor;	 /* -1: any */
	unsigned access; /* CG_DEV_READ | CG_DEV_WRITE | CG_DEV_MKNOD */
};
#define CG_DEV_MKNOD 1u /* the BPF_DEVCG_ACC_* values */
#define CG_DEV_READ  2u
#define CG_DEV_WRITE 4u

struct cg_weight_device {
	int64_t major, minor;
	int has_weight, has_leaf_weight;
	uint16_t weight;      /* blkio scale 10..1000 */
	uint16_t leaf_weight; /* v1 only */
};

enum cg_throttle_kind { CG_THROTTLE_RBPS, CG_THROTTLE_WBPS, CG_THROTTLE_RIOPS, CG_THROTTLE_WIOPS };

struct cg_throttle_device {
	enum cg_throttle_kind kind;
	int64_t major, minor;
	uint64_t rate; /* 0: no limit ("max") */
};

struct cg_hugetlb_limit {
	char *page_size; /* "2MB", "1GB" */
	uint64_t limit;
};

struct cg_rdma_limit {
	char *device;
	int has_hca_handles, has_hca_objects;
	uint32_t hca_handles, hca_objects;
};

struct cg_kv {
	char *key;
	char *value;
};

struct cg_limits {
	/* memory: bytes, CG_MAX for unlimited */
	int has_memory_limit, has_memory_reservation, has_memory_swap;
	int64_t memory_limit;	    /* memory.max */
	int64_t memory_reservation; /* memory.low */
	int64_t memory_swap;	    /* OCI memory+swap total (v1 memsw); memory.swap.max gets
				       memory_swap - memory_limit, as runc and crun compute it */
	/* disableOOMKiller has no v2 counterpart (memory.oom.group kills the whole group instead
	 * of not killing): accepted and ignored on v2, as runc does; memory.oom_control on v1. */
	int disable_oom_killer;
	int has_memory_swappiness;
	uint64_t memory_swappiness; /* v1 memory.swappiness, 0..100; ignored on v2 as by runc */

	/* cpu */
	int has_cpu_shares, has_cpu_quota, has_cpu_period, has_cpu_burst, has_cpu_idle;
	uint64_t cpu_shares;			   /* 2..262144, converted to cpu.weight */
	int64_t cpu_quota;			   /* usec, CG_MAX for no limit */
	uint64_t cpu_period;			   /* usec */
	uint64_t cpu_burst;			   /* usec, cpu.max.burst */
	int64_t cpu_idle;			   /* cpu.idle, 0 or 1 */
	int has_cpu_rt_runtime, has_cpu_rt_period; /* v1 cpu.rt_*_us; refused on v2 */
	int64_t cpu_rt_runtime;
	uint64_t cpu_rt_period;
	char *cpuset_cpus; /* cpuset.cpus or NULL */
	char *cpuset_mems; /* cpuset.mems or NULL */

	/* pids */
	int has_pids_limit;
	int64_t pids_limit; /* CG_MAX for no limit */

	/* io (blockIO) */
	int has_io_weight, has_io_leaf_weight;
	uint16_t io_weight;	 /* blkio scale 10..1000 */
	uint16_t io_leaf_weight; /* v1 blkio.leaf_weight; ignored on v2 as by runc */
	struct cg_weight_device *weight_devices;
	size_t n_weight_devices;
	struct cg_throttle_device *throttle_devices;
	size_t n_throttle_devices;

	struct cg_hugetlb_limit *hugetlb;
	size_t n_hugetlb;
	struct cg_rdma_limit *rdma;
	size_t n_rdma;
	/* network: v1 net_cls and net_prio; ignored on v2 as by runc */
	int has_net_classid;
	uint32_t net_classid;
	struct cg_kv *net_priorities; /* interface name -> priority */
	size_t n_net_priorities;

	struct cg_kv *unified; /* written last, so they override the typed fields; v2 only */
	size_t n_unified;

	/* devices: the rules in order, the last matching rule wins, no match denies.  When
	 * has_devices is set (always at create), runc's default allow-list is appended (null,
	 * zero, full, random, urandom, tty, console, ptmx, pts, tun, mknod of anything). */
	int has_devices;
	struct cg_device_rule *devices;
	size_t n_devices;
};

struct cg_limits *cg_limits_new(void);
void cg_limits_free(struct cg_limits *l);
DEFINE_CLEANUP_FUNC(struct cg_limits *, cg_limits_free)
#define cleanup_limits __attribute__((cleanup(cg_limits_freep)))
/* Append one device rule (the runtime adds linux.devices entries as allow rwm). */
int cg_limits_add_device(struct cg_limits *l, const struct cg_device_rule *rule,
			 struct rt_error *err);
/* The controllers the set fields of l need (CG_BIT mask). */
unsigned cg_limits_controllers(const struct cg_limits *l);

/* Conversions (exported for the unit tests and for `update`). */
uint64_t cg_cpu_shares_to_weight(uint64_t shares);	/* 1 + ((shares - 2) * 9999) / 262142 */
uint64_t cg_blkio_weight_to_io_weight(uint64_t weight); /* 1 + ((weight - 10) * 9999) / 990 */
/* memory.swap.max from the OCI memory+swap total and memory limit; ret CG_MAX for "max", 0 when
 * swap is left alone (swap 0 = unset). */
int cg_memory_swap_v2(int64_t memory_swap, int64_t memory_limit, int64_t *ret,
		      struct rt_error *err);
/* Validate a cpu/mem list ("0-3,7"); returns 0 or -1 with err naming field. */
int cg_cpulist_check(const char *list, const char *field, struct rt_error *err);
/* The first number of list (a valid list) that avail (the kernel's format, e.g. the content of
 * /sys/devices/system/cpu/online) lacks, or -1 when list is within avail. */
long cg_cpulist_first_outside(const char *list, const char *avail);

/* --- a container's cgroup --- */
struct cg_cgroup {
	int fd;	     /* O_DIRECTORY of the cgroup: clone3's cgroup for CLONE_INTO_CGROUP */
	int root_fd; /* the hierarchy root (not owned: the cg_hierarchy outlives the handle) */
	char *path;  /* relative to the root */
	unsigned controllers; /* CG_BIT mask of the cgroup's own cgroup.controllers */
	unsigned skipped;     /* limits dropped by CG_SKIP_UNAVAILABLE: CG_BIT mask */
	enum cg_layout layout;
	struct cg_v1 *v1; /* the directories in the v1 hierarchies; NULL on unified.  On legacy
			     hosts fd and root_fd are -1. */
};

enum {
	/* A limit whose controller is not in the hierarchy is dropped (and its controller set
	 * in cg->skipped for the caller to warn) instead of failing. */
	CG_SKIP_UNAVAILABLE = 1 << 0,
	/* cg_create: an existing cgroup that has processes is fine (joining a pod's or a
	 * user's cgroup); without it only an empty existing cgroup is reused. */
	CG_CREATE_EXISTING_OK = 1 << 1,
	/* cg_create: enable in the ancestors only the controllers the limits need, instead of
	 * every available one (then `update` cannot add a limit of another controller). */
	CG_ENABLE_NEEDED_ONLY = 1 << 2,
	/* cg_create: no device program (rootless, where bpf() is not permitted, or a caller
	 * that installs its own). */
	CG_NO_DEVICE_PROGRAM = 1 << 3,
};

/* mkdir -p path below h (enabling every available controller in each ancestor's
 * cgroup.subtree_control), apply limits (may be NULL: only the default device program) and
 * return the handle.  Availability is checked first, so a refused limit creates nothing; a
 * failure after that removes the directories this call made. */
int cg_create(struct cg_hierarchy *h, const char *path, const struct cg_limits *limits, int flags,
	      struct cg_cgroup **ret, struct rt_error *err);
int cg_open(struct cg_hierarchy *h, const char *path, struct cg_cgroup **ret, struct rt_error *err);
void cg_cgroup_free(struct cg_cgroup *cg);
/* 1 when clone3(CLONE_INTO_CGROUP) with cg->fd does not place a process in all of the cgroup
 * (v1 hierarchies): it must then cg_attach before it runs anything of the container's.  The
 * fd for CLONE_INTO_CGROUP, where there is one, is cg->fd (>= 0). */
int cg_cgroup_needs_attach(const struct cg_cgroup *cg);
/* Move pid (0: the caller itself, which is what a process in another pid namespace must use)
 * into the cgroup in every hierarchy.  No allocation but an error's message: a vforked child
 * may call it.  pid 0 must be a single-threaded caller: it joins each v1 hierarchy through
 * `tasks`, which moves the calling thread alone, and the kernel then skips the global
 * cgroup_threadgroup_rwsem whose write side a `cgroup.procs` write takes, waiting a whole RCU
 * grace period (6-15 ms on a 2-core VM) when no other writer came just before.  The cgroup2
 * cgroup, which only a `cgroup.procs` write can join, is left alone when the caller is in it
 * already (clone3 put it there). */
int cg_attach(const struct cg_cgroup *cg, pid_t pid, struct rt_error *err);

/* Write the set fields of l to the cgroup (update).  Unset fields keep their value; a swap
 * without memory limit uses the cgroup's current memory.max. */
int cg_update(struct cg_cgroup *cg, const struct cg_limits *l, int flags, struct rt_error *err);
/* The same writers on a bare directory fd (unit tests; controllers: what to treat as
 * available). */
int cg_apply_at(int dirfd, const char *name, const struct cg_limits *l, unsigned controllers,
		int flags, unsigned *ret_skipped, struct rt_error *err);

/* Freeze (1) or thaw (0) and wait, bounded, until cgroup.events says so. */
int cg_freeze(struct cg_cgroup *cg, int frozen, struct rt_error *err);
/* 1 when cgroup.events says frozen 1. */
int cg_is_frozen(struct cg_cgroup *cg, int *ret, struct rt_error *err);
/* SIGKILL every process in the cgroup and below (cgroup.kill, or a loop over cgroup.procs on
 * kernels before 5.14), without waiting. */
int cg_kill(struct cg_cgroup *cg, struct rt_error *err);
/* Signal every process (for `kill --all SIG`): cgroup.kill for SIGKILL, else cgroup.procs. */
int cg_signal(struct cg_cgroup *cg, int sig, struct rt_error *err);
/* Pids of the cgroup (and its descendants when recursive), in a heap array. */
int cg_pids(struct cg_cgroup *cg, int recursive, pid_t **ret, size_t *ret_n, struct rt_error *err);
/* Kill everything, then remove the cgroup and its children, retrying rmdir (bounded) while
 * the kernel still reaps.  Frees nothing: the handle stays valid for cg_cgroup_free. */
int cg_remove(struct cg_cgroup *cg, struct rt_error *err);
/* Remove by path without a handle; a missing cgroup is not an error. */
int cg_remove_path(struct cg_hierarchy *h, const char *path, struct rt_error *err);
/* rmdir the cgroup at path only when it is empty and has no children: a cgroup that a crashed
 * create recorded but may not have made (it may be someone else's) is never killed.  Missing,
 * populated or with children: left as it is, and 0. */
int cg_remove_if_empty(struct cg_hierarchy *h, const char *path, struct rt_error *err);

/* --- devices --- */
/* runc's default allow-list (static storage). */
const struct cg_device_rule *cg_default_device_rules(size_t *ret_n);
/* Generate the BPF_PROG_TYPE_CGROUP_DEVICE program for rules (the last matching rule wins, no
 * match denies); *ret is a heap array of struct bpf_insn, *ret_n its length. */
int cg_devices_program(const struct cg_device_rule *rules, size_t n, void **ret, size_t *ret_n,
		       struct rt_error *err);
/* The program for rules, followed by runc's defaults when with_defaults (heap, as above). */
int cg_devices_build(const struct cg_device_rule *rules, size_t n, int with_defaults, void **ret,
		     size_t *ret_n, struct rt_error *err);
/* Load a program from cg_devices_build and attach it to the cgroup dir fd with
 * BPF_F_ALLOW_MULTI; with replace, programs attached before are detached after.  Only system
 * calls (nothing allocated but an error's message): a helper thread may run it. */
int cg_devices_attach_program(int cgfd, const void *insns, size_t n_insns, int replace,
			      struct rt_error *err);
/* cg_devices_build + cg_devices_attach_program. */
int cg_devices_apply(int cgfd, const struct cg_device_rule *rules, size_t n, int with_defaults,
		     int replace, struct rt_error *err);

/* --- stats (`events --stats`) ---
 * How runc (libcontainer/cgroups/fs2) fills its JSON from these, for the same field names:
 *   {"type":"stats","id":ID,"data":{...}}, {"type":"oom","id":ID} when oom_kill rises.
 *   cpu.usage.total/user/kernel          cpu_usage_ns / cpu_user_ns / cpu_system_ns
 *   cpu.throttling.periods/throttledPeriods/throttledTime   cpu_nr_periods / nr_throttled /
 *                                        throttled_ns
 *   memory.usage.usage / .limit / .failcnt   memory_current / memory_max / events_max
 *   memory.usage.max                     memory_peak
 *   memory.swap.usage / .limit           swap_current + memory_current / swap_max + memory_max
 *                                        (v1 reports memory+swap; limit stays max if max)
 *   memory.cache                         memory.stat "file";  memory.raw: all of memory.stat
 *   pids.current / pids.limit            pids_current / pids_max
 *   blkio.ioServiceBytesRecursive        per io entry {major, minor, op "Read", rbytes} and
 *                                        {.., op "Write", wbytes}; ioServicedRecursive: rios/wios
 *   hugetlb["2MB"].usage / .failcnt      current / failcnt
 * "max" is UINT64_MAX (18446744073709551615) in runc's output. */
struct cg_io_stat {
	uint64_t major, minor;
	uint64_t rbytes, wbytes, rios, wios, dbytes, dios;
};

struct cg_hugetlb_stat {
	char page_size[16];		/* "2MB" */
	uint64_t current, max, failcnt; /* max UINT64_MAX for "max"; failcnt: events "max" */
};

#define CG_STAT_MAX UINT64_MAX /* a limit file that says "max" */

struct cg_stats {
	/* cpu.stat (always there), nanoseconds as runc reports them */
	uint64_t cpu_usage_ns, cpu_user_ns, cpu_system_ns;
	int has_cpu_throttling;
	uint64_t cpu_nr_periods, cpu_nr_throttled, cpu_throttled_ns;

	int has_memory;
	uint64_t memory_current, memory_max, memory_swap_current, memory_swap_max;
	uint64_t memory_peak; /* memory.peak (kernel 5.19+), 0 when absent */
	uint64_t memory_events_low, memory_events_high, memory_events_max, memory_events_oom,
	    memory_events_oom_kill;
	struct cg_kv *memory_stat; /* memory.stat as key/value strings */
	size_t n_memory_stat;

	int has_pids;
	uint64_t pids_current, pids_max; /* CG_STAT_MAX for "max" */

	struct cg_io_stat *io;
	size_t n_io;
	struct cg_hugetlb_stat *hugetlb;
	size_t n_hugetlb;

	/* v1 only, as runc reports them there: cpuacct's per-CPU times (ns, one heap array of
	 * 3 * n_cpu_percpu: total, then user, then system), kernel memory, swap peaks */
	uint64_t *cpu_percpu_ns;
	size_t n_cpu_percpu;
	uint64_t kmem_usage, kmem_max, kmem_limit, kmem_failcnt;
	uint64_t kmem_tcp_usage, kmem_tcp_max, kmem_tcp_limit, kmem_tcp_failcnt;
	uint64_t memory_swap_peak, memory_swap_failcnt;
	/* the cpuset's lists (heap, NULL without a cpuset hierarchy) and its flag files in the
	 * order of cg_cpuset_flag_names */
	char *cpuset_cpus, *cpuset_mems;
	int64_t cpuset_flags[9];
};
/* "cpu_exclusive", "mem_hardwall", ..., "sched_relax_domain_level": runc's cpuset keys, each
 * the file cpuset.<name>. */
extern const char *const cg_cpuset_flag_names[9];

int cg_read_stats(struct cg_cgroup *cg, struct cg_stats *ret, struct rt_error *err);
/* Same on a bare directory fd (unit tests). */
int cg_read_stats_at(int dirfd, struct cg_stats *ret, struct rt_error *err);
void cg_stats_clear(struct cg_stats *s);
/* memory.events oom_kill (v1: memory.oom_control oom_kill), for `events` to notice an OOM
 * kill; 0 without memory controller. */
int cg_oom_kill_count(struct cg_cgroup *cg, uint64_t *ret, struct rt_error *err);

/* --- watching a cgroup (`events`) ---
 * Pollable fds that wake up when the cgroup may have emptied or seen an OOM kill: on v2
 * cgroup.events and memory.events (POLLPRI); on v1 an eventfd registered for memory OOM
 * notifications through cgroup.event_control (POLLIN), which the kernel also signals when the
 * cgroup is removed.  After a wakeup, cg_watch_read says what is true now. */
struct cg_watch;
int cg_watch_open(struct cg_cgroup *cg, struct cg_watch **ret, struct rt_error *err);
/* Fill up to 2 pollfds; returns how many. */
int cg_watch_pollfds(struct cg_watch *w, struct pollfd *p);
/* *ret_populated: processes left (0 also when the cgroup is gone); *ret_oom_kills: the OOM
 * kill count so far. */
void cg_watch_read(struct cg_watch *w, int *ret_populated, uint64_t *ret_oom_kills);
void cg_watch_free(struct cg_watch *w);

#endif
