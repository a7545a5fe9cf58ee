#define _GNU_SOURCE
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../common/log.h"
#include "../common/syscalls.h"

static int lowerdir_plus = -1; /* -1 unknown, 0 the kernel refused it, 1 works */

/* The fs context keeps the kernel's reason for a failed fsconfig ("e overlay: ..."). */
static void context_message(int fsfd, char *buf, size_t len)
{
	ssize_t n = read(fsfd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

/* 1 mounted, 0 not supported here (fall back), -1 error */
static int mount_new_api(const char *const *lowers, size_t n, const char *upper, const char *work,
			 int targetfd, struct rt_error *err)
{
	cleanup_close int fsfd = rt_sys_fsopen("overlay", FSOPEN_CLOEXEC);
	cleanup_close int mfd = -1;
	char msg[256];

	if (fsfd < 0) {
		if (errno == ENOSYS)
			return 0;
		return rt_error_set(err, errno, "fsopen overlay");
	}
	for (size_t i = 0; i < n; i++) {
		if (rt_sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) < 0) {
			int e = errno;
			if (i == 0 && e == EINVAL && lowerdir_plus < 0) {
				lowerdir_plus = 0;
				return 0;
			}
			context_message(fsfd, msg, sizeof(msg));
			return rt_error_set(err, e, "overlay lowerdir `%s`%s%s", lowers[i],
					    msg[0] ? ": " : "", msg);
		}
	}
	lowerdir_plus = 1;
	if (rt_sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
	    rt_sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0 ||
	    rt_sys_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		int e = errno;
		context_message(fsfd, msg, sizeof(msg));
		return rt_error_set(err, e, "overlay upperdir `%s`%s%s", upper, msg[0] ? ": " : "",
				    msg);
	}
	mfd = rt_sys_fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		return rt_error_set(err, errno, "fsmount overlay");
	if (rt_sys_move_mount(mfd, "", targetfd, "",
			      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return rt_error_set(err, errno, "move_mount overlay");
	return 1;
}

/* mount(2) with the one-page option string.  The kernel resolves relative lowerdirs against
 * the caller's working directory, so entering the short-link directory makes each layer cost
 * 17 bytes ("0123456789abcdef:") instead of a full path: ~230 layers fit where absolute paths
 * allowed ~120 (docker's overlay2 does the same).  husk is single-threaded while it mounts a
 * bundle; the working directory is put back before returning. */
static int mount_legacy(int shortdirfd, const char *const *short_lowers, size_t n,
			const char *upper, const char *work, int targetfd, struct rt_error *err)
{
	cleanup_free char *opts = NULL;
	cleanup_close int cwd = -1;
	size_t len = 0;
	char target[64];
	int r, e;

	for (size_t i = 0; i < n; i++)
		len += strlen(short_lowers[i]) + 1;
	len += strlen(upper) + strlen(work) + 64;
	if (len > (size_t)sysconf(_SC_PAGESIZE))
		return rt_error_set(
		    err, E2BIG,
		    "overlay: %zu layers do not fit in the mount options of a kernel "
		    "without the new mount API",
		    n);
	opts = malloc(len);
	if (opts == NULL)
		return rt_error_set(err, ENOMEM, "overlay options");
	char *p = opts;
	p += sprintf(p, "lowerdir=");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? ":" : "", short_lowers[i]);
	sprintf(p, ",upperdir=%s,workdir=%s", upper, work);
	rt_fd_path(targetfd, target, sizeof(target));
	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0)
		return rt_error_set(err, errno, "overlay: open the working directory");
	if (fchdir(shortdirfd) < 0)
		return rt_error_set(err, errno, "overlay: enter the layers' short-link directory");
	r = mount("overlay", target, "overlay", 0, opts);
	e = errno;
	if (fchdir(cwd) < 0) {
		e = errno;
		if (r == 0)
			umount2(target, MNT_DETACH);
		return rt_error_set(err, e, "overlay: return to the working directory");
	}
	if (r < 0)
		return rt_error_set(err, e, "mount overlay (%s)", opts);
	return 0;
}

int img_overlay_mount(const char *const *lowers, int shortdirfd, const char *const *short_lowers,
		      size_t n, const char *upper, const char *work, int targetfd,
		      struct rt_error *err)
{
	if (n == 0)
		return rt_error_set(err, EINVAL, "overlay: no layers");
	if (lowerdir_plus != 0) {
		int r = mount_new_api(lowers, n, upper, work, targetfd, err);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	return mount_legacy(shortdirfd, short_lowers, n, upper, work, targetfd, err);
}
