/* A layer tar (plain, gzip or zstd: the bytes decide, as for docker-archive) through the
 * unpacker into a scratch directory: member names, links, whiteouts, sizes, modes.  The
 * unpacker refuses members that would land outside the layer; the scratch directory is removed
 * after each input, so what it wrote never builds up. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../../common/fsutil.h"
#include "../../images/unpack.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_error err = RT_ERROR_INIT;
	struct img_unpack_stats st;
	char *dir = fuzz_tmpdir();
	int fd = memfd_create("layer", MFD_CLOEXEC);
	int top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), dfd;
	struct img_layer_src src = {
	    .fd = fd, .size = -1, .name = "layer", .compression = IMG_COMPRESSION_AUTO};
	uint8_t *tar = malloc(size ? size : 1);
	int r;

	if (tar == NULL)
		abort();
	memcpy(tar, data, size);
	fuzz_tar_fix_checksums(tar, size);
	/* the layer goes into dir/layer: a member that escapes by a level lands beside it */
	if (top < 0 || mkdirat(top, "layer", 0755) < 0)
		abort();
	dfd = openat(top, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || dfd < 0 || rt_write_all(fd, tar, size) < 0)
		abort();
	free(tar);
	r = img_unpack_layer(&src, dfd, &st, &err);
	fuzz_check_result(r, &err);
	close(fd);
	close(dfd);
	fuzz_check_only_entry(top, "layer");
	close(top);
	fuzz_tmpdir_remove(dir);
	return 0;
}
