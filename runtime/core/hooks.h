/* OCI hooks: fork+exec with the state JSON on stdin, bounded by the hook's timeout. */
#ifndef HUSK_RUNTIME_HOOKS_H
#define HUSK_RUNTIME_HOOKS_H

#include "../../common/error.h"
#include "../spec/spec.h"

/* Run every hook of the list in order; the first failure stops and fills err naming the hook
 * kind, index and path.  state_json goes to each hook's stdin. */
int rt_hooks_run(const struct rt_hook_list *list, enum rt_hook_kind kind, const char *state_json,
		 struct rt_error *err);

/* Same, but a failing hook is only logged as a warning and the rest still run (poststart and
 * poststop, as the spec asks). */
void rt_hooks_run_warn(const struct rt_hook_list *list, enum rt_hook_kind kind,
		       const char *state_json);

#endif
