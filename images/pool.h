/* Unpacking an image's layers on the machine's cores.  Layers are independent (each unpacks
 * into its own store directory), so they are handed to worker threads; each worker has its own
 * readers, hashers and error, and a failure stops the others early. */
#ifndef HUSK_IMAGES_POOL_H
#define HUSK_IMAGES_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "store.h"
#include "unpack.h"

struct img_layer_job {
	struct img_layer_src src; /* src.cancel is set by img_layers_ensure */
	const char *diff_id;
	uint64_t unpacked; /* out: bytes of the tar stream */
	int done_now;	   /* out: this import unpacked it (it was not in the store) */
	struct rt_error err;
};

/* img_layer_ensure for every job, on at most as many threads as this process may run on.  On
 * failure err holds the first failing layer's error (in job order; the error names the layer),
 * the layers being unpacked at the time are abandoned and removed, and no temporary directory
 * is left.  Layers completed before the failure stay in the store: verified, as after a failed
 * sequential import, and unreferenced until an image uses them or prune removes them. */
int img_layers_ensure(struct img_store *s, struct img_layer_job *jobs, size_t n,
		      struct rt_error *err);

/* Workers for n jobs: min(n, CPUs in our affinity mask), at least 1.  Exposed for tests. */
size_t img_pool_workers(size_t n);

#endif
