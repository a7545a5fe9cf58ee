#define _GNU_SOURCE
#include "caps.h"

#include "../../common/syscalls.h"
#include "../../common/log.h"

#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>

#include "../../common/cleanup.h"

/* Indexed by capability number (linux/capability.h); newer kernels' capabilities are added here
 * when husk learns about them.  Our own table rather than libcap's cap_to_name(), which spells
 * them lower case and numbers the ones it does not know. */
static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
    NULL,
};

_Static_assert(ARRAY_SIZE(cap_names) - 1 <= 64, "struct rt_caps masks are 64 bits");

const char *const *rt_cap_names(void)
{
	return cap_names;
}

int rt_cap_last_cap(void)
{
	return (int)cap_max_bits() - 1;
}

static const char *cap_name(int cap)
{
	return cap >= 0 && (size_t)cap < ARRAY_SIZE(cap_names) - 1 ? cap_names[cap] : "unknown";
}

int rt_cap_from_name(const char *name, int *ret_cap, struct rt_error *err)
{
	for (size_t i = 0; cap_names[i]; i++) {
		if (strcmp(cap_names[i], name) == 0) {
			*ret_cap = (int)i;
			return 0;
		}
	}
	return rt_error_set(err, EINVAL, "unknown capability \"%s\"", name);
}

int rt_caps_drop_bounding(const struct rt_caps *caps, struct rt_error *err)
{
	int last = rt_cap_last_cap();

	for (int cap = 0; cap <= last && cap < 64; cap++) {
		if (caps->bounding & (UINT64_C(1) << cap))
			continue;
		/* PR_CAPBSET_DROP of a capability already gone is a no-op, not an error. */
		if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0)
			return rt_error_set(err, errno, "drop %s (%d) from the bounding set",
					    cap_name(cap), cap);
	}
	return 0;
}

static int set_flag_from_mask(cap_t state, cap_flag_t flag, uint64_t mask, int last,
			      const char *set_name, struct rt_error *err)
{
	for (int cap = 0; cap <= last && cap < 64; cap++) {
		cap_value_t value = cap;

		if (!(mask & (UINT64_C(1) << cap)))
			continue;
		if (cap_set_flag(state, flag, 1, &value, CAP_SET) < 0)
			return rt_error_set(err, errno, "add %s to the %s set", cap_name(cap),
					    set_name);
	}
	return 0;
}

int rt_caps_apply(const struct rt_caps *caps, struct rt_error *err)
{
	cleanup_cap cap_t state = cap_init();
	int last = rt_cap_last_cap();

	if (state == NULL)
		return rt_error_set(err, errno, "allocate a capability state");
	if (set_flag_from_mask(state, CAP_PERMITTED, caps->permitted, last, "permitted", err) < 0 ||
	    set_flag_from_mask(state, CAP_EFFECTIVE, caps->effective, last, "effective", err) < 0 ||
	    set_flag_from_mask(state, CAP_INHERITABLE, caps->inheritable, last, "inheritable",
			       err) < 0)
		return -1;

	/* Ambient first cleared: a capability raised by whoever started us must not leak into
	 * the container when the config does not ask for it. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return rt_error_set(err, errno, "clear the ambient capability set");
	if (cap_set_proc(state) < 0)
		return rt_error_set(
		    err, errno,
		    "set capabilities (permitted %#llx, effective %#llx, inheritable "
		    "%#llx)",
		    (unsigned long long)caps->permitted, (unsigned long long)caps->effective,
		    (unsigned long long)caps->inheritable);

	for (int cap = 0; cap <= last && cap < 64; cap++) {
		if (!(caps->ambient & (UINT64_C(1) << cap)))
			continue;
		/* The kernel requires it in permitted and inheritable: EPERM otherwise.  runc only
		 * warns then, and configs written for it (runc spec's own, with ambient but no
		 * inheritable set) depend on that: do the same. */
		/* a debug record, not a warning: this runs in the container's init, whose stderr is
		 * the container's own */
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0, 0) < 0)
			rt_debug(
			    "cannot raise %s in the ambient set (it must be in the permitted and "
			    "inheritable sets too): %s",
			    cap_name(cap), strerror(errno));
	}
	return 0;
}
