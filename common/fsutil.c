#define _GNU_SOURCE
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "syscalls.h"

#define MAX_SYMLINKS 40

static int openat2_support = -1; /* -1 unknown, 0 ENOSYS seen, 1 works */

/* Fallback for kernels without openat2: walk component by component with O_NOFOLLOW,
 * expanding symlinks ourselves and clamping ".." and absolute targets at rootfd. */
static int walk_in_root(int rootfd, const char *path, int flags, mode_t mode, struct rt_error *err)
{
	cleanup_free char *todo = NULL;
	cleanup_close int cur = -1;
	int links = 0;

	/* todo holds the remaining path; it is rebuilt when a symlink is expanded */
	todo = strdup(path);
	if (todo == NULL)
		return rt_error_set(err, ENOMEM, "resolve `%s`", path);
	cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	if (cur < 0)
		return rt_error_set(err, errno, "resolve `%s`: dup root", path);

	char *p = todo;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0') {
			/* the path named the directory itself */
			int fd = openat(cur, ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);
			if (fd < 0)
				return rt_error_set(err, errno, "open `%s`", path);
			return fd;
		}
		char *slash = strchr(p, '/');
		char *rest = NULL;
		if (slash) {
			*slash = '\0';
			rest = slash + 1;
			while (*rest == '/')
				rest++;
			if (*rest == '\0')
				rest = NULL;
		}
		if (strcmp(p, ".") == 0) {
			if (!rest) {
				*p = '\0';
				continue;
			}
			p = rest;
			continue;
		}
		if (strcmp(p, "..") == 0) {
			struct stat a, b;
			/* never climb above the root */
			if (fstat(cur, &a) == 0 && fstat(rootfd, &b) == 0 && a.st_dev == b.st_dev &&
			    a.st_ino == b.st_ino) {
			} else {
				int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (up < 0)
					return rt_error_set(err, errno, "resolve `%s`", path);
				close(cur);
				cur = up;
			}
			if (!rest) {
				static char empty[] = "";
				p = empty;
				continue;
			}
			p = rest;
			continue;
		}
		int last = rest == NULL;
		int oflags = last ? (flags | O_NOFOLLOW) : (O_PATH | O_NOFOLLOW | O_DIRECTORY);
		int fd = openat(cur, p, oflags | O_CLOEXEC, mode);
		if (fd < 0 && (errno == ELOOP || errno == ENOTDIR || errno == EMLINK)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(cur, p, target, sizeof(target) - 1);
			if (n < 0) {
				if (last && errno == EINVAL)
					errno = ELOOP;
				return rt_error_set(err, errno == EINVAL ? ENOTDIR : errno,
						    "open `%s`", path);
			}
			if (last && (flags & O_NOFOLLOW))
				return rt_error_set(err, ELOOP, "open `%s`", path);
			target[n] = '\0';
			if (++links > MAX_SYMLINKS)
				return rt_error_set(err, ELOOP, "open `%s`", path);
			char *joined = NULL;
			if (asprintf(&joined, "%s%s%s", target, rest ? "/" : "", rest ? rest : "") <
			    0)
				return rt_error_set(err, ENOMEM, "open `%s`", path);
			free(todo);
			todo = joined;
			p = todo;
			if (target[0] == '/') {
				int r = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
				if (r < 0)
					return rt_error_set(err, errno, "open `%s`", path);
				close(cur);
				cur = r;
			}
			continue;
		}
		if (fd < 0)
			return rt_error_set(err, errno, "open `%s`", path);
		if (last)
			return fd;
		close(cur);
		cur = fd;
		p = rest;
	}
}

int rt_open_in_root(int rootfd, const char *path, int flags, mode_t mode, struct rt_error *err)
{
	struct open_how how = {
	    .flags = (unsigned long long)(flags | O_CLOEXEC),
	    .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (openat2_support != 0) {
		do
			fd = rt_sys_openat2(rootfd, path, &how, sizeof(how));
		while (fd < 0 && errno == EAGAIN);
		if (fd >= 0) {
			openat2_support = 1;
			return fd;
		}
		if (errno != ENOSYS)
			return rt_error_set(err, errno, "open `%s`", path);
		openat2_support = 0;
	}
	return walk_in_root(rootfd, path, flags, mode, err);
}

/* Split path into components and create them one by one, each resolved from the root again so
 * that a symlink component is followed the way the container would see it. */
static int mkdir_parents(int rootfd, const char *path, mode_t mode, int include_last,
			 struct rt_error *err)
{
	cleanup_free char *copy = strdup(path);
	size_t len;

	if (copy == NULL)
		return rt_error_set(err, ENOMEM, "mkdir `%s`", path);
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	if (!include_last) {
		char *slash = strrchr(copy, '/');
		if (slash == NULL)
			return 0;
		*slash = '\0';
	}
	for (char *p = copy;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (copy[0] != '\0') {
			struct rt_error e = RT_ERROR_INIT;
			int fd = rt_open_in_root(rootfd, copy, O_PATH | O_DIRECTORY, 0, &e);
			if (fd >= 0) {
				close(fd);
			} else if (e.errnum == ENOENT) {
				rt_error_release(&e);
				/* create it in its (resolved) parent */
				char *slash = strrchr(copy, '/');
				const char *name = slash ? slash + 1 : copy;
				cleanup_close int parent = -1;
				if (slash && slash != copy) {
					*slash = '\0';
					parent = rt_open_in_root(rootfd, copy, O_PATH | O_DIRECTORY,
								 0, err);
					*slash = '/';
				} else {
					parent = rt_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY,
								 0, err);
				}
				if (parent < 0)
					return rt_error_wrap(err, "mkdir `%s`", path);
				if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
					return rt_error_set(err, errno, "mkdir `%s`", copy);
			} else {
				*err = e;
				return rt_error_wrap(err, "mkdir `%s`", path);
			}
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	return 0;
}

int rt_mkdir_in_root(int rootfd, const char *path, mode_t mode, struct rt_error *err)
{
	/* fast path: it exists already */
	struct rt_error e = RT_ERROR_INIT;
	int fd = rt_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0, &e);
	if (fd >= 0)
		return fd;
	if (e.errnum != ENOENT) {
		*err = e;
		return -1;
	}
	rt_error_release(&e);
	if (mkdir_parents(rootfd, path, mode, 1, err) < 0)
		return -1;
	return rt_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0, err);
}

int rt_mkfile_in_root(int rootfd, const char *path, mode_t mode, struct rt_error *err)
{
	struct rt_error e = RT_ERROR_INIT;
	int fd = rt_open_in_root(rootfd, path, O_PATH, 0, &e);
	if (fd >= 0)
		return fd;
	if (e.errnum != ENOENT) {
		*err = e;
		return -1;
	}
	rt_error_release(&e);
	if (mkdir_parents(rootfd, path, 0755, 0, err) < 0)
		return -1;
	fd = rt_open_in_root(rootfd, path, O_WRONLY | O_CREAT | O_NOFOLLOW, mode, err);
	if (fd < 0)
		return -1;
	close(fd);
	return rt_open_in_root(rootfd, path, O_PATH, 0, err);
}

int rt_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int rt_read_file_at(int dirfd, const char *path, char **ret_buf, size_t *ret_len,
		    struct rt_error *err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return rt_error_set(err, errno, "open `%s`", path);
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			char *n = realloc(buf, cap);
			if (n == NULL)
				return rt_error_set(err, ENOMEM, "read `%s`", path);
			buf = n;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return rt_error_set(err, errno, "read `%s`", path);
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret_buf = TAKE_PTR(buf);
	return 0;
}

int rt_write_file_at(int dirfd, const char *path, const void *data, size_t len, int flags,
		     struct rt_error *err)
{
	cleanup_close int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | flags, 0644);

	if (fd < 0)
		return rt_error_set(err, errno, "open `%s`", path);
	if (rt_write_all(fd, data, len) < 0)
		return rt_error_set(err, errno, "write `%s`", path);
	return 0;
}

int rt_write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
			    struct rt_error *err)
{
	char tmp[PATH_MAX];
	cleanup_close int fd = -1;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return rt_error_set(err, errno, "create `%s`", tmp);
	if (rt_write_all(fd, data, len) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return rt_error_set(err, e, "write `%s`", tmp);
	}
	if (renameat(dirfd, tmp, dirfd, path) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return rt_error_set(err, e, "rename `%s` to `%s`", tmp, path);
	}
	return 0;
}

static int rmtree_fd(int dfd, struct rt_error *err)
{
	cleanup_dir DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (d == NULL) {
		close(dfd);
		return rt_error_set(err, errno, "opendir");
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		if (errno != EISDIR && errno != EPERM)
			return rt_error_set(err, errno, "unlink `%s`", de->d_name);
		int sub =
		    openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return rt_error_set(err, errno, "open `%s`", de->d_name);
		if (rmtree_fd(sub, err) < 0)
			return rt_error_wrap(err, "%s", de->d_name);
		if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0)
			return rt_error_set(err, errno, "rmdir `%s`", de->d_name);
	}
	return 0;
}

int rt_rmtree_at(int dirfd, const char *path, struct rt_error *err)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR || errno == ELOOP) {
			if (unlinkat(dirfd, path, 0) < 0 && errno != ENOENT)
				return rt_error_set(err, errno, "unlink `%s`", path);
			return 0;
		}
		return rt_error_set(err, errno, "open `%s`", path);
	}
	if (rmtree_fd(fd, err) < 0)
		return rt_error_wrap(err, "remove `%s`", path);
	if (unlinkat(dirfd, path, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return rt_error_set(err, errno, "rmdir `%s`", path);
	return 0;
}

void rt_fd_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}
