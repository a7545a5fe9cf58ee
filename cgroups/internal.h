/* Helpers shared by the cgroups/ sources; not part of the library's interface. */
#ifndef HUSK_CGROUPS_INTERNAL_H
#define HUSK_CGROUPS_INTERNAL_H

#include <dirent.h>
#include <stdint.h>

#include "../common/error.h"

/* Hand an error collected in a scratch rt_error (to look at its errno before deciding it is
 * fatal) over to the caller's err.  Returns -1. */
static inline int error_move(struct rt_error *dst, struct rt_error *src)
{
	if (dst && !dst->msg) {
		*dst = *src;
		src->msg = NULL;
		src->errnum = 0;
	}
	rt_error_release(src);
	return -1;
}

/* One write of an interface file (v1_limits.c): open, write, close.  The kernel takes each
 * write as one command, so a value is written in a single write(2). */
int cg_write_at(int dirfd, const char *file, const char *value, struct rt_error *err);
/* The same with a number (limits.c). */
int cg_write_u64_at(int dirfd, const char *file, uint64_t v, struct rt_error *err);

/* A directory stream of its own on a cgroup's directory fd (dirfd stays the caller's); where
 * names the cgroup in errors (NULL: the caller's message says which). */
int cg_opendir_at(int dirfd, const char *where, DIR **ret, struct rt_error *err);

/* stats.c's readers, for the v1 ones: a file of the cgroup, NULL in *ret when missing; the
 * value of key in a flat keyed file ("key value" lines), 0 when absent; memory.stat into
 * s->memory_stat (buf is cut up). */
struct cg_stats;
int cg_read_optional(int dirfd, const char *file, char **ret, struct rt_error *err);
uint64_t cg_keyed(const char *buf, const char *key);
int cg_parse_memory_stat(char *buf, struct cg_stats *s, struct rt_error *err);

/* One entry of s->hugetlb for each page size whose file hugetlb.<size><suffix> dirfd holds
 * (the v2 and v1 files differ only in their names), filled in by fill. */
struct cg_hugetlb_stat;
typedef int (*cg_hugetlb_read_fn)(int dirfd, struct cg_hugetlb_stat *h, struct rt_error *err);
int cg_hugetlb_scan(int dirfd, const char *where, const char *suffix, cg_hugetlb_read_fn fill,
		    struct cg_stats *s, struct rt_error *err);

#endif
