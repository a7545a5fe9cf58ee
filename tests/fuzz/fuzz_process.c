/* `exec --process FILE`: a bare process object. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>

#include "../../runtime/spec/spec.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_error err = RT_ERROR_INIT;
	struct rt_process *proc = NULL;
	int r;

	r = rt_spec_parse_process((const char *)data, size, &proc, &err);
	fuzz_check_result(r, &err);
	if (r == 0)
		rt_process_free(proc);
	return 0;
}
