/* An image archive through `image import`: the input is the archive file, imported once as an
 * oci-archive and once as a docker-archive.  This reaches images/source.c's walk over the tar
 * headers (ustar, GNU and pax long names, symlinked members, sizes and offsets) and, for
 * docker-archive whose manifest.json names blobs by path, the manifest, config and layers. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>

#include "../../common/fsutil.h"
#include "../../images/image.h"
#include "fuzz.h"

static void import(struct img_store *s, const char *kind, const char *file)
{
	struct rt_error err = RT_ERROR_INIT;
	char *source = NULL, *digest = NULL, *ref = NULL;
	int r;

	if (asprintf(&source, "%s:%s", kind, file) < 0)
		abort();
	r = img_import(s, source, "fuzz:latest", NULL, &digest, &ref, &err);
	fuzz_check_result(r, &err);
	free(source);
	free(digest);
	free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_error err = RT_ERROR_INIT;
	char *dir = fuzz_tmpdir(), *file = NULL, *store = NULL;
	struct img_store *s = NULL;
	uint8_t *tar = malloc(size ? size : 1);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (tar == NULL)
		abort();
	memcpy(tar, data, size);
	fuzz_tar_fix_checksums(tar, size);
	if (dfd < 0 || asprintf(&file, "%s/image.tar", dir) < 0 ||
	    asprintf(&store, "%s/store", dir) < 0 ||
	    rt_write_file_at(dfd, "image.tar", tar, size, O_CREAT | O_TRUNC, &err) < 0 ||
	    img_store_open(store, &s, &err) < 0)
		abort();
	import(s, "oci-archive", file);
	import(s, "docker-archive", file);
	img_store_close(s);
	fuzz_check_store_tmp(store);
	close(dfd);
	free(file);
	free(store);
	free(tar);
	fuzz_tmpdir_remove(dir);
	return 0;
}
