/* process.capabilities: the container process drops its bounding set while still root, changes
 * uid/gid with PR_SET_KEEPCAPS, then sets permitted/effective/inheritable and ambient (runc's
 * order).  Masks are struct rt_caps (spec.h): bit N is capability N. */
#ifndef HUSK_RUNTIME_CAPS_H
#define HUSK_RUNTIME_CAPS_H

#include <errno.h>
#include <sys/capability.h>

#include "../../common/cleanup.h"
#include "../../common/error.h"
#include "../spec/spec.h"

DEFINE_CLEANUP_FUNC(cap_t, cap_free)
#define cleanup_cap __attribute__((cleanup(cap_freep)))

/* Drop every capability not in caps->bounding from the bounding set (needs CAP_SETPCAP, so
 * call it before giving up root).  Capabilities the running kernel does not know are ignored:
 * a config written for a newer kernel still runs, and the kernel cannot grant them anyway. */
int rt_caps_drop_bounding(const struct rt_caps *caps, struct rt_error *err);

/* Set permitted, effective and inheritable with capset, then make the ambient set exactly
 * caps->ambient (cleared first; each raised capability must be permitted and inheritable).
 * Call it after the uid/gid change (done with PR_SET_KEEPCAPS so permitted survives it). */
int rt_caps_apply(const struct rt_caps *caps, struct rt_error *err);

/* "CAP_SYS_ADMIN" -> CAP_SYS_ADMIN.  The OCI spelling only: upper case with the CAP_ prefix. */
int rt_cap_from_name(const char *name, int *ret_cap, struct rt_error *err);

/* Every capability name husk knows, indexed by number, NULL-terminated (for `husk features`). */
const char *const *rt_cap_names(void);

/* The highest capability the running kernel supports (from libcap's probe). */
int rt_cap_last_cap(void);

#endif
