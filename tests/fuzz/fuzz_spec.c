/* config.json -> struct rt_spec: every section of spec*.c, linux.resources included. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>

#include "../../runtime/spec/spec.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_error err = RT_ERROR_INIT;
	struct rt_spec *spec = NULL;
	int r;

	r = rt_spec_parse((const char *)data, size, "/fuzz/bundle", &spec, &err);
	fuzz_check_result(r, &err);
	if (r == 0)
		rt_spec_free(spec);
	return 0;
}
