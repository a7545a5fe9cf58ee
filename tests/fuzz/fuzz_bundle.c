/* An image's config and its /etc/passwd and /etc/group through `bundle create`'s config.json
 * writer (images/bundle.c): Entrypoint, Cmd, Env, WorkingDir, User (resolved in the image's
 * files), Labels, ExposedPorts, over husk spec's defaults.  The input is the three files,
 * separated by lines "----"; passwd and group go into a scratch rootfs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "../../common/fsutil.h"
#include "../../images/bundle.h"
#include "../../runtime/spec/spec.h"
#include "fuzz.h"

#define SEPARATOR "\n----\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = {NULL, "etc/passwd", "etc/group"};
	struct rt_error err = RT_ERROR_INIT;
	const char *p = (const char *)data, *end = p + size, *config = p;
	size_t config_len = size;
	char *dir = fuzz_tmpdir(), *base = rt_spec_default_json(0, 0, 0), *json = NULL;
	int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (rootfd < 0 || base == NULL || mkdirat(rootfd, "etc", 0755) < 0)
		abort();
	for (size_t i = 0; i < 3 && p <= end; i++) {
		const char *sep = memmem(p, (size_t)(end - p), SEPARATOR, strlen(SEPARATOR));
		size_t len = sep ? (size_t)(sep - p) : (size_t)(end - p);
		if (i == 0)
			config_len = len;
		else if (rt_write_file_at(rootfd, files[i], p, len, O_CREAT | O_TRUNC, &err) < 0)
			abort();
		if (sep == NULL)
			break;
		p = sep + strlen(SEPARATOR);
	}
	r = img_bundle_config(base, config, config_len, NULL, NULL, rootfd, "fuzz:latest", &json,
			      &err);
	fuzz_check_result(r, &err);
	free(json);
	free(base);
	close(rootfd);
	fuzz_tmpdir_remove(dir);
	return 0;
}
