/* Scope-bound ownership of fds and allocations (systemd's and crun's cleanup attributes). */
#ifndef HUSK_COMMON_CLEANUP_H
#define HUSK_COMMON_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

/* Every helper accepts NULL / -1 and preserves errno, so it can run on any exit path. */
static inline void rt_freep(void *p)
{
	int saved = errno;
	free(*(void **)p);
	errno = saved;
}

static inline void rt_closep(int *fd)
{
	int saved = errno;
	if (*fd >= 0)
		close(*fd);
	errno = saved;
}

static inline void rt_fclosep(FILE **f)
{
	int saved = errno;
	if (*f)
		fclose(*f);
	errno = saved;
}

static inline void rt_closedirp(DIR **d)
{
	int saved = errno;
	if (*d)
		closedir(*d);
	errno = saved;
}

/* A NULL-terminated array of strings owned together. */
static inline void rt_strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static inline void rt_strv_freep(char ***v)
{
	int saved = errno;
	rt_strv_free(*v);
	errno = saved;
}

/* flock() cleanups, two meanings under two names.  cleanup_unlock: an flock()ed fd that its
 * owner closes (a handle's lock file): only the lock is released.  cleanup_lockfile: a lock
 * file opened for this scope: released, then closed.  The explicit LOCK_UN matters even before
 * a close: a child forked meanwhile shares the open file description, and with it the lock. */
static inline void rt_unlockp(int *fd)
{
	int saved = errno;
	if (*fd >= 0)
		flock(*fd, LOCK_UN);
	errno = saved;
}

static inline void rt_unlock_closep(int *fd)
{
	int saved = errno;
	if (*fd >= 0) {
		flock(*fd, LOCK_UN);
		close(*fd);
	}
	errno = saved;
}

/* FUNCp(TYPE *p): the cleanup of a TYPE (a pointer) that FUNC releases, as the helpers above
 * behave: NULL is skipped, errno kept.  Each resource type gets one, next to its FUNC:
 *	DEFINE_CLEANUP_FUNC(struct img_store *, img_store_close)
 *	#define cleanup_store __attribute__((cleanup(img_store_closep))) */
#define DEFINE_CLEANUP_FUNC(TYPE, FUNC)     \
	static inline void FUNC##p(TYPE *p) \
	{                                   \
		int saved_errno_ = errno;   \
		if (*p)                     \
			FUNC(*p);           \
		errno = saved_errno_;       \
	}

#define cleanup_free	 __attribute__((cleanup(rt_freep)))
#define cleanup_close	 __attribute__((cleanup(rt_closep)))
#define cleanup_fclose	 __attribute__((cleanup(rt_fclosep)))
#define cleanup_dir	 __attribute__((cleanup(rt_closedirp)))
#define cleanup_strv	 __attribute__((cleanup(rt_strv_freep)))
#define cleanup_unlock	 __attribute__((cleanup(rt_unlockp)))
#define cleanup_lockfile __attribute__((cleanup(rt_unlock_closep)))

/* Move ownership out of a cleanup-managed variable. */
#define TAKE_PTR(p)                      \
	({                               \
		__typeof__(p) _tp = (p); \
		(p) = NULL;              \
		_tp;                     \
	})
#define TAKE_FD(fd)             \
	({                      \
		int _tf = (fd); \
		(fd) = -1;      \
		_tf;            \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
