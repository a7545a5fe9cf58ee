/* linux.resources (OCI JSON) -> struct cg_limits (cgroups/cgroup.h): the one translator, used
 * for config.json and for `update -r FILE`. */
#ifndef HUSK_RUNTIME_SPEC_RESOURCES_H
#define HUSK_RUNTIME_SPEC_RESOURCES_H

#include <jansson.h>
#include <stddef.h>

#include "../../common/error.h"

struct cg_limits;

/* Translate the linux.resources object of config.json (resources may be NULL or JSON null:
 * *ret = NULL).  Errors name the field: "linux.resources.memory.limit: must be positive, or
 * -1 for no limit" (the caller prefixes "config.json: ").  Values are validated here, so a bad
 * value is refused before anything is created.  Fields without a cgroup v2 counterpart
 * (memory.kernel, memory.kernelTCP, memory.swappiness, blockIO.leafWeight, network,
 * memory.disableOOMKiller) are accepted and ignored, as runc does on v2; cpu.realtime* are
 * refused (cgroup v2 has no RT bandwidth control). */
int rt_spec_parse_resources(json_t *resources, struct cg_limits **ret, struct rt_error *err);

/* `update -r FILE` (runc's format: a LinuxResources object).  Same rules, except that
 * memory.swap alone is allowed (the cgroup keeps its memory limit).  Errors: "FILE:
 * memory.limit: ...". */
int rt_resources_parse_update(const char *json_text, size_t len, const char *source,
			      struct cg_limits **ret, struct rt_error *err);

#endif
