#define _GNU_SOURCE
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"

static int is_procfs(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

int rt_procfs_open(const char *path, struct rt_error *err)
{
	cleanup_close int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return rt_error_set(err, errno, "open `%s`", path);
	if (!is_procfs(fd))
		return rt_error_set(err, EXDEV, "`%s` is not a procfs", path);
	return TAKE_FD(fd);
}

int rt_procfs_openat(int procfd, const char *relpath, int flags, struct rt_error *err)
{
	cleanup_close int fd = openat(procfd, relpath, flags | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return rt_error_set(err, errno, "open `/proc/%s`", relpath);
	if (!is_procfs(fd))
		return rt_error_set(err, EXDEV, "`/proc/%s` is not on procfs (over-mounted?)",
				    relpath);
	return TAKE_FD(fd);
}

int rt_procfs_write(int procfd, const char *relpath, const char *data, size_t len,
		    struct rt_error *err)
{
	cleanup_close int fd = rt_procfs_openat(procfd, relpath, O_WRONLY, err);

	if (fd < 0)
		return -1;
	if (rt_write_all(fd, data, len) < 0)
		return rt_error_set(err, errno, "write `/proc/%s`", relpath);
	return 0;
}

int rt_proc_start_time(int procfd, int pid, unsigned long long *ret_ticks, char *ret_state,
		       struct rt_error *err)
{
	char path[64], buf[1024];
	cleanup_close int fd = -1;
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "%d/stat", pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_error_set(err, errno == ENOENT ? ESRCH : errno, "open `/proc/%s`", path);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return rt_error_set(err, n < 0 ? errno : ESRCH, "read `/proc/%s`", path);
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: the fields start after the last ')' */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return rt_error_set(err, EINVAL, "parse `/proc/%s`", path);
	p += 2;
	if (ret_state)
		*ret_state = *p;
	/* state is field 3; starttime is field 22 */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return rt_error_set(err, EINVAL, "parse `/proc/%s`", path);
		p++;
	}
	*ret_ticks = strtoull(p, NULL, 10);
	return 0;
}
