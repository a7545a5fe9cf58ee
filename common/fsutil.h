/* Path resolution confined to a root directory fd, and small file helpers.  Everything that
 * touches a tree a container or an image controls goes through rt_open_in_root(), so that a
 * symlink planted in the tree can never lead outside it (the 2021 and 2025 mount-race CVEs). */
#ifndef HUSK_COMMON_FSUTIL_H
#define HUSK_COMMON_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Open path (absolute or relative, both taken inside the root) beneath rootfd as if rootfd were
 * "/": symlinks are followed but clamped to the root, magic links refused.  openat2 with
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, or a component walk where the kernel lacks it.
 * Returns the fd or -1 with err set.  O_CLOEXEC is always added. */
int rt_open_in_root(int rootfd, const char *path, int flags, mode_t mode, struct rt_error *err);

/* Make every missing directory of path beneath rootfd (mode for the new ones) and return an
 * O_PATH|O_DIRECTORY fd of the last one.  An existing non-directory component is an error. */
int rt_mkdir_in_root(int rootfd, const char *path, mode_t mode, struct rt_error *err);

/* Make the parent directories of path beneath rootfd and an empty regular file at path if
 * nothing is there yet; return an O_PATH fd of what is there. */
int rt_mkfile_in_root(int rootfd, const char *path, mode_t mode, struct rt_error *err);

/* Whole-file helpers relative to dirfd (AT_FDCWD allowed).  rt_read_file_at returns a
 * NUL-terminated heap buffer in *ret_buf and its length in *ret_len (may be NULL). */
int rt_read_file_at(int dirfd, const char *path, char **ret_buf, size_t *ret_len,
		    struct rt_error *err);
int rt_write_file_at(int dirfd, const char *path, const void *data, size_t len, int flags,
		     struct rt_error *err);
/* Write to a temporary name beside path, fsync-free rename over path: readers see the old or
 * the new content, never a partial one. */
int rt_write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
			    struct rt_error *err);

/* write(2) until done, retrying EINTR; returns 0 or -1 with errno. */
int rt_write_all(int fd, const void *buf, size_t len);

/* Remove path and everything below it, relative to dirfd, without following symlinks. */
int rt_rmtree_at(int dirfd, const char *path, struct rt_error *err);

/* "/proc/self/fd/N" for mount(2) and friends that only take paths. */
void rt_fd_path(int fd, char *buf, size_t len);

#endif
