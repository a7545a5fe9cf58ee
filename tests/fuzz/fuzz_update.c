/* `update -r FILE`: a LinuxResources object -> struct cg_limits. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>

#include "../../cgroups/cgroup.h"
#include "../../runtime/spec/spec_resources.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = NULL;
	int r;

	r = rt_resources_parse_update((const char *)data, size, "fuzz", &l, &err);
	fuzz_check_result(r, &err);
	if (r == 0) {
		(void)cg_limits_controllers(l);
		cg_limits_free(l);
	}
	return 0;
}
