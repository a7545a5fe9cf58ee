/* <root>/<id>/state.json: read back by every command that finds a container.  The file is
 * husk's own, but anything that can write the state root can put any bytes there. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>

#include "../../common/fsutil.h"
#include "../../runtime/core/state.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_error err = RT_ERROR_INIT;
	struct rt_state st;
	char *dir = fuzz_tmpdir();
	struct rt_container_dir d = {.rootfd = -1, .path = dir};
	int r;

	d.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d.dirfd < 0 ||
	    rt_write_file_at(d.dirfd, RT_STATE_FILE, data, size, O_CREAT | O_TRUNC, &err) < 0)
		abort();
	r = rt_state_read(&d, &st, &err);
	fuzz_check_result(r, &err);
	if (r == 0)
		free(rt_state_to_json(&st, RT_STATUS_STOPPED, 1));
	rt_state_clear(&st);
	close(d.dirfd);
	fuzz_tmpdir_remove(dir);
	return 0;
}
