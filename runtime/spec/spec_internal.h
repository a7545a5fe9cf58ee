/* Shared between the spec_*.c translation units (and the unit tests); not for other modules.
 * Every parser takes the JSON path of the value it reads, for its error messages, and fills a
 * caller-owned, zeroed struct that the matching *_clear function releases even when parsing
 * stopped half-way. */
#ifndef HUSK_RUNTIME_SPEC_INTERNAL_H
#define HUSK_RUNTIME_SPEC_INTERNAL_H

#include <jansson.h>

#include "../../common/jsonutil.h"
#include "spec.h"

/* spec_process.c */
int rt_spec_process_from_json(json_t *obj, const struct rt_jpath *p, struct rt_process *proc,
			      struct rt_error *err);
void rt_process_clear(struct rt_process *proc);
/* "0-3,7": comma separated cpu numbers and ranges a-b with a <= b. */
int rt_cpu_list_check(const char *list, const char **ret_why);

/* spec_mounts.c */
int rt_spec_mounts_from_json(json_t *arr, const struct rt_jpath *p, const char *bundle,
			     struct rt_spec *spec, struct rt_error *err);
void rt_mount_clear(struct rt_mount *m);
/* Apply one option as mount(8) does: known flags go to flags/clear_flags, propagation,
 * attr_set/attr_clr, idmap; the rest is appended to m->data (comma separated).  Fails only
 * for lack of memory. */
int rt_mount_option_apply(struct rt_mount *m, const char *opt, struct rt_error *err);
/* All options, then the kind: RT_MOUNT_BIND for type "bind" or a bind/rbind option. */
int rt_mount_options_parse(struct rt_mount *m, const char *const *opts, size_t n,
			   struct rt_error *err);

/* spec_linux.c */
int rt_spec_linux_from_json(json_t *obj, const struct rt_jpath *p, struct rt_linux *lx,
			    struct rt_error *err);
void rt_linux_clear(struct rt_linux *lx);
int rt_spec_id_mappings_from_json(json_t *arr, const struct rt_jpath *p, struct rt_id_mapping **ret,
				  size_t *ret_n, struct rt_error *err);
/* The runc rule: may this sysctl be set given the namespaces in lx->ns?  0 or -1 with a
 * "linux.sysctl: ..." message. */
int rt_sysctl_check(const struct rt_linux *lx, const char *key, struct rt_error *err);

/* spec_seccomp.c */
int rt_spec_seccomp_from_json(json_t *obj, const struct rt_jpath *p, struct rt_seccomp **ret,
			      struct rt_error *err);
void rt_seccomp_free(struct rt_seccomp *s);

/* Helpers shared by the spec_*.c files. */
static inline int rt_spec_is_abs(const char *path)
{
	return path[0] == '/';
}

#endif
