/* Helpers shared by the cgroups/ sources; not part of the library's interface. */
#ifndef HUSK_CGROUPS_INTERNAL_H
#define HUSK_CGROUPS_INTERNAL_H

#include "../common/error.h"

/* Hand an error collected in a scratch rt_error (to look at its errno before deciding it is
 * fatal) over to the caller's err.  Returns -1. */
static inline int error_move(struct rt_error *dst, struct rt_error *src)
{
	if (dst && !dst->msg) {
		*dst = *src;
		src->msg = NULL;
		src->errnum = 0;
	}
	rt_error_release(src);
	return -1;
}

#endif
