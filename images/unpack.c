#define _GNU_SOURCE
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../common/log.h"
#include "../common/syscalls.h"

/* Big reads keep the syscall count low; 1 MiB stays in L2 for the hashing that follows. */
#define READ_CHUNK (1u << 20)

DEFINE_CLEANUP_FUNC(struct archive *, archive_read_free)
#define cleanup_archive_read __attribute__((cleanup(archive_read_freep)))

/* ---------------------------------------------------------------- member names */

int img_member_name_normalize(char *name, struct rt_error *err)
{
	char *w = name;
	const char *r = name;

	if (name[0] == '/')
		return rt_error_set(err, EPERM, "member `%s`: absolute path refused", name);
	while (*r) {
		const char *end = strchrnul(r, '/');
		size_t len = (size_t)(end - r);
		if (len == 2 && r[0] == '.' && r[1] == '.')
			return rt_error_set(err, EPERM, "member `%s`: `..` component refused",
					    name);
		if (len > 0 && !(len == 1 && r[0] == '.')) {
			if (w != name)
				*w++ = '/';
			memmove(w, r, len);
			w += len;
		}
		r = *end ? end + 1 : end;
	}
	*w = '\0';
	return 0;
}

int img_whiteout_classify(const char *name, enum img_whiteout_kind *ret_kind,
			  const char **ret_target, struct rt_error *err)
{
	const char *slash = strrchr(name, '/');
	const char *base = slash ? slash + 1 : name;

	*ret_kind = IMG_WHITEOUT_NONE;
	if (ret_target)
		*ret_target = NULL;
	if (strncmp(base, ".wh.", 4) != 0)
		return 0;
	if (strcmp(base, ".wh..wh..opq") == 0) {
		*ret_kind = IMG_WHITEOUT_OPAQUE;
		return 0;
	}
	if (strncmp(base, ".wh..wh.", 8) == 0) {
		*ret_kind = IMG_WHITEOUT_META;
		return 0;
	}
	base += 4;
	/* "sub/.wh.." must not become a whiteout of "sub/.." (umoci removes the whole rootfs). */
	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return rt_error_set(err, EPERM, "member `%s`: whiteout of `%s` refused", name,
				    base);
	*ret_kind = IMG_WHITEOUT_FILE;
	if (ret_target)
		*ret_target = base;
	return 0;
}

/* ---------------------------------------------------------------- extraction */

struct dir_time {
	char *path;
	struct timespec ts[2];
};

struct extractor {
	int rootfd;	 /* the layer directory (O_RDONLY|O_DIRECTORY, owned by the caller) */
	int is_root;	 /* euid 0: owners and device nodes can be set */
	char *cache_dir; /* parent of the previous member, and an O_PATH fd of it */
	int cache_fd;
	struct dir_time *dirs; /* directory times, applied last: children change them */
	size_t n_dirs, cap_dirs;
	struct archive *ar;
};

static void cache_drop(struct extractor *x)
{
	free(x->cache_dir);
	x->cache_dir = NULL;
	if (x->cache_fd >= 0)
		close(x->cache_fd);
	x->cache_fd = -1;
}

static void extractor_free(struct extractor *x)
{
	cache_drop(x);
	for (size_t i = 0; i < x->n_dirs; i++)
		free(x->dirs[i].path);
	free(x->dirs);
}

/* overlayfs's whiteout: a 0:0 character device */
static int is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* Hide a lower layer's directory of that name under this layer's: trusted.overlay.opaque. */
static int mark_opaque_fd(int dirfd, const char *member, struct rt_error *err)
{
	if (fsetxattr(dirfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
		return rt_error_set(err, errno, "member `%s`: mark opaque", member);
	return 0;
}

/* A directory this layer needs where it has a whiteout of the same name (".wh.d" then "d/" or
 * "d/f"): the whiteout hides the lower d, the layer's own d stays (layer.md: whiteouts apply
 * to lower layers only).  In overlay form that is d made opaque: 1 done, 0 not a whiteout. */
static int dir_over_whiteout(int parent, const char *name, const char *member, struct rt_error *err)
{
	cleanup_close int fd = -1;
	struct stat st;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !is_whiteout(&st))
		return 0;
	if (unlinkat(parent, name, 0) < 0 || mkdirat(parent, name, 0755) < 0)
		return rt_error_set(err, errno, "member `%s`: directory over whiteout `%s`", member,
				    name);
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return rt_error_set(err, errno, "member `%s`: open `%s`", member, name);
	return mark_opaque_fd(fd, member, err) < 0 ? -1 : 1;
}

/* The layer tree is ours alone while it is unpacked, but its content is hostile: a member
 * "a/b" after a member "a -> /etc" must not write to /etc, nor (as RESOLVE_IN_ROOT would do)
 * quietly into the layer's own etc/.  So every parent is resolved with no symlink at all and
 * a symlink on the way refuses the member.  Missing parents are created (0755, like tar). */
static int walk_dir(int rootfd, const char *member, const char *dir, int create,
		    struct rt_error *err)
{
	struct open_how how = {
	    .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	cleanup_free char *copy = NULL;
	cleanup_close int cur = -1;
	int fd;

	fd = rt_sys_openat2(rootfd, dir, &how, sizeof(how));
	if (fd >= 0)
		return fd;
	if (errno == ELOOP)
		return rt_error_set(err, EPERM, "member `%s`: path goes through a symlink", member);
	/* ENOTDIR: maybe a whiteout on the way, which the walk below turns into a directory */
	if (errno != ENOENT && errno != ENOSYS && errno != EAGAIN && !(errno == ENOTDIR && create))
		return rt_error_set(err, errno, "member `%s`: open `%s`", member, dir);
	if (errno == ENOENT && !create)
		return rt_error_set(err, ENOENT, "member `%s`: open `%s`", member, dir);

	/* component walk: kernels without openat2, and parents that do not exist yet */
	copy = strdup(dir);
	if (copy == NULL)
		return rt_error_set(err, ENOMEM, "member `%s`", member);
	cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	if (cur < 0)
		return rt_error_set(err, errno, "member `%s`: dup", member);
	for (char *save = NULL, *c = strtok_r(copy, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		int next = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST)
				return rt_error_set(err, errno, "member `%s`: mkdir `%s`", member,
						    c);
			next = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0 && errno == ENOTDIR && create) {
			int r = dir_over_whiteout(cur, c, member, err);
			if (r < 0)
				return -1;
			if (r > 0)
				next =
				    openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			else
				errno = ENOTDIR;
		}
		if (next < 0) {
			struct stat st;
			int e = errno;
			if (fstatat(cur, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				return rt_error_set(
				    err, EPERM, "member `%s`: path goes through a symlink", member);
			return rt_error_set(err, e, "member `%s`: open `%s`", member, c);
		}
		close(cur);
		cur = next;
	}
	return TAKE_FD(cur);
}

/* Borrowed fd of the member's parent directory; consecutive members of a tar mostly share it. */
static int parent_fd(struct extractor *x, const char *member, const char *dir, struct rt_error *err)
{
	if (dir[0] == '\0')
		return x->rootfd;
	if (x->cache_dir && strcmp(x->cache_dir, dir) == 0)
		return x->cache_fd;
	int fd = walk_dir(x->rootfd, member, dir, 1, err);
	if (fd < 0)
		return -1;
	cache_drop(x);
	x->cache_dir = strdup(dir);
	if (x->cache_dir == NULL) {
		close(fd);
		return rt_error_set(err, ENOMEM, "member `%s`", member);
	}
	x->cache_fd = fd;
	return fd;
}

/* Something of the member's name exists already (an earlier member of this layer): the later
 * member replaces it, as tar does.  Never follows it. */
static int remove_existing(struct extractor *x, int parent, const char *base, const char *member,
			   struct rt_error *err)
{
	if (unlinkat(parent, base, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return rt_error_set(err, errno, "member `%s`: remove existing", member);
	/* A directory goes away.  The cached fd stays valid when it is this member's parent;
	 * otherwise it may be below the removed tree and must not be written into. */
	if (parent != x->cache_fd)
		cache_drop(x);
	if (rt_rmtree_at(parent, base, err) < 0)
		return rt_error_wrap(err, "member `%s`", member);
	return 0;
}

static int set_xattrs(struct archive_entry *e, int fd, int parent, const char *base,
		      const char *member, struct rt_error *err)
{
	const char *name;
	const void *value;
	size_t size;
	char path[64 + 4096];

	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	path[0] = '\0';
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		int r;
		/* overlayfs reads trusted.overlay.* (and user.overlay.* with userxattr) from
		 * lower layers: redirect and metacopy markers forged by an image could point a
		 * file at another layer's content.  Opaque dirs come from .wh..wh..opq only. */
		if (strncmp(name, "trusted.overlay.", 16) == 0 ||
		    strncmp(name, "user.overlay.", 13) == 0)
			continue;
		if (fd >= 0) {
			r = fsetxattr(fd, name, value, size, 0);
		} else {
			if (path[0] == '\0')
				snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", parent, base);
			r = lsetxattr(path, name, value, size, 0);
		}
		if (r < 0) {
			if ((errno == ENOTSUP || errno == EPERM) &&
			    strcmp(name, "security.capability") != 0) {
				rt_debug("member `%s`: xattr %s not kept: %s", member, name,
					 strerror(errno));
				continue;
			}
			return rt_error_set(err, errno, "member `%s`: set xattr %s", member, name);
		}
	}
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
}

/* Owner before mode before xattrs: chown clears setuid/setgid and security.capability. */
static int set_meta_fd(struct extractor *x, struct archive_entry *e, int fd, const char *member,
		       int times, struct rt_error *err)
{
	if (x->is_root && fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
		return rt_error_set(err, errno, "member `%s`: chown", member);
	if (fchmod(fd, archive_entry_perm(e)) < 0)
		return rt_error_set(err, errno, "member `%s`: chmod", member);
	if (set_xattrs(e, fd, -1, NULL, member, err) < 0)
		return -1;
	if (times) {
		struct timespec ts[2];
		entry_times(e, ts);
		if (futimens(fd, ts) < 0)
			return rt_error_set(err, errno, "member `%s`: set times", member);
	}
	return 0;
}

/* For nodes that cannot be opened without side effects (symlinks, devices, FIFOs). */
static int set_meta_at(struct extractor *x, struct archive_entry *e, int parent, const char *base,
		       const char *member, int chmod_too, struct rt_error *err)
{
	struct timespec ts[2];

	if (x->is_root && fchownat(parent, base, (uid_t)archive_entry_uid(e),
				   (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
		return rt_error_set(err, errno, "member `%s`: chown", member);
	/* fchmodat follows symlinks, but chmod_too is only set for the device or FIFO that was
	 * just created here, in a tree nobody else writes to */
	if (chmod_too && fchmodat(parent, base, archive_entry_perm(e), 0) < 0)
		return rt_error_set(err, errno, "member `%s`: chmod", member);
	if (set_xattrs(e, -1, parent, base, member, err) < 0)
		return -1;
	entry_times(e, ts);
	if (utimensat(parent, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return rt_error_set(err, errno, "member `%s`: set times", member);
	return 0;
}

static int write_data(struct extractor *x, struct archive_entry *e, int fd, const char *member,
		      struct rt_error *err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int64_t end = 0;

	for (;;) {
		int r = archive_read_data_block(x->ar, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return rt_error_set(err,
					    archive_errno(x->ar) > 0 ? archive_errno(x->ar) : EIO,
					    "member `%s`: %s", member, archive_error_string(x->ar));
		/* sparse members come as blocks at offsets: the gaps stay holes */
		const char *p = buf;
		while (len > 0) {
			ssize_t n = pwrite(fd, p, len, off);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return rt_error_set(err, errno, "member `%s`: write", member);
			}
			p += n;
			off += n;
			len -= (size_t)n;
		}
		if (off > end)
			end = off;
	}
	if (archive_entry_size(e) > end && ftruncate(fd, archive_entry_size(e)) < 0)
		return rt_error_set(err, errno, "member `%s`: truncate", member);
	return 0;
}

static int extract_file(struct extractor *x, struct archive_entry *e, int parent, const char *base,
			const char *member, struct rt_error *err)
{
	cleanup_close int fd = -1;

	for (int tries = 0; fd < 0; tries++) {
		fd = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd < 0 && errno == EEXIST && tries == 0) {
			if (remove_existing(x, parent, base, member, err) < 0)
				return -1;
			continue;
		}
		if (fd < 0)
			return rt_error_set(err, errno, "member `%s`: create", member);
	}
	if (write_data(x, e, fd, member, err) < 0)
		return -1;
	return set_meta_fd(x, e, fd, member, 1, err);
}

static int extract_dir(struct extractor *x, struct archive_entry *e, int parent, const char *base,
		       const char *member, struct rt_error *err)
{
	cleanup_close int fd = -1;
	int opaque = 0;

	if (base[0] == '\0') { /* the layer root itself ("./") */
		fd = openat(x->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		if (mkdirat(parent, base, 0700) < 0) {
			struct stat st;
			if (errno != EEXIST)
				return rt_error_set(err, errno, "member `%s`: mkdir", member);
			if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
				return rt_error_set(err, errno, "member `%s`: stat", member);
			if (!S_ISDIR(st.st_mode)) {
				opaque = is_whiteout(&st);
				if (remove_existing(x, parent, base, member, err) < 0)
					return -1;
				if (mkdirat(parent, base, 0700) < 0)
					return rt_error_set(err, errno, "member `%s`: mkdir",
							    member);
			}
		}
		fd = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return rt_error_set(err, errno, "member `%s`: open", member);
	/* an earlier whiteout of this name hid the lower directory: this one must not merge */
	if (opaque && mark_opaque_fd(fd, member, err) < 0)
		return -1;
	if (set_meta_fd(x, e, fd, member, 0, err) < 0)
		return -1;
	if (x->n_dirs == x->cap_dirs) {
		size_t cap = x->cap_dirs ? x->cap_dirs * 2 : 64;
		struct dir_time *n = realloc(x->dirs, cap * sizeof(*n));
		if (n == NULL)
			return rt_error_set(err, ENOMEM, "member `%s`", member);
		x->dirs = n;
		x->cap_dirs = cap;
	}
	struct dir_time *d = &x->dirs[x->n_dirs];
	d->path = strdup(member);
	if (d->path == NULL)
		return rt_error_set(err, ENOMEM, "member `%s`", member);
	entry_times(e, d->ts);
	x->n_dirs++;
	return 0;
}

/* Create a node with mk(); an earlier member of the same name is replaced. */
#define CREATE_REPLACING(x, call, parent, base, member, what, err)                            \
	({                                                                                    \
		int _r = (call);                                                              \
		if (_r < 0 && errno == EEXIST) {                                              \
			if (remove_existing((x), (parent), (base), (member), (err)) < 0)      \
				_r = -2;                                                      \
			else                                                                  \
				_r = (call);                                                  \
		}                                                                             \
		if (_r == -1)                                                                 \
			_r = rt_error_set((err), errno, "member `%s`: %s", (member), (what)); \
		_r < 0 ? -1 : 0;                                                              \
	})

static int extract_hardlink(struct extractor *x, const char *target_in, int parent,
			    const char *base, const char *member, struct rt_error *err)
{
	cleanup_free char *target = strdup(target_in);
	cleanup_close int tparent = -1;
	const char *tbase;
	int tfd;

	if (target == NULL)
		return rt_error_set(err, ENOMEM, "member `%s`", member);
	if (img_member_name_normalize(target, err) < 0)
		return rt_error_wrap(err, "member `%s`: hardlink target", member);
	if (target[0] == '\0')
		return rt_error_set(err, EPERM, "member `%s`: hardlink to the layer root", member);
	char *slash = strrchr(target, '/');
	if (slash) {
		*slash = '\0';
		tbase = slash + 1;
		/* resolved like any member path: a symlink on the way refuses it */
		tparent = walk_dir(x->rootfd, member, target, 0, err);
		if (tparent < 0)
			return -1;
		tfd = tparent;
	} else {
		tbase = target;
		tfd = x->rootfd;
	}
	/* a name this layer only whites out is no file of it: linking the 0:0 device would
	 * make a second whiteout, hiding the link's name in the lower layers instead */
	struct stat st;
	if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) == 0 && is_whiteout(&st))
		return rt_error_set(err, ENOENT,
				    "member `%s`: hardlink target `%s` is not in this layer "
				    "(only its whiteout is)",
				    member, target_in);
	/* linkat without AT_SYMLINK_FOLLOW links a symlink itself, never what it points to */
	if (CREATE_REPLACING(x, linkat(tfd, tbase, parent, base, 0), parent, base, member,
			     "hardlink", err) < 0) {
		if (err->errnum == ENOENT)
			return rt_error_wrap(err, "target `%s` is not in this layer", target_in);
		return -1;
	}
	return 0;
}

/* ".wh.NAME": overlayfs's whiteout, a 0:0 character device of the hidden name.  layer.md: a
 * whiteout applies to the lower layers only; what this layer itself has of that name (an
 * earlier member: the layer dir started empty) stays.  A file or other non-directory of the
 * layer hides the lower one by itself; a directory would merge with a lower one, so it is
 * made opaque. */
static int add_whiteout(int parent, const char *name, const char *member, struct rt_error *err)
{
	cleanup_close int fd = -1;
	struct stat st;

	if (mknodat(parent, name, S_IFCHR, makedev(0, 0)) == 0)
		return 0;
	if (errno != EEXIST)
		return rt_error_set(err, errno, "member `%s`: whiteout", member);
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return rt_error_set(err, errno, "member `%s`: stat `%s`", member, name);
	if (!S_ISDIR(st.st_mode))
		return 0;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return rt_error_set(err, errno, "member `%s`: open `%s`", member, name);
	return mark_opaque_fd(fd, member, err);
}

static int extract_entry(struct extractor *x, struct archive_entry *e, struct rt_error *err)
{
	const char *raw = archive_entry_pathname(e);
	cleanup_free char *member = NULL;
	enum img_whiteout_kind wk;
	const char *wtarget;
	char *dir, *base;
	int parent;

	if (raw == NULL)
		return rt_error_set(err, EINVAL, "member without a name");
	member = strdup(raw);
	if (member == NULL)
		return rt_error_set(err, ENOMEM, "member `%s`", raw);
	if (img_member_name_normalize(member, err) < 0)
		return -1;
	if (img_whiteout_classify(member, &wk, &wtarget, err) < 0)
		return -1;
	if (wk == IMG_WHITEOUT_META)
		return 0;

	/* split into parent directory and base name; work on a second copy for dir */
	cleanup_free char *dircopy = strdup(member);
	if (dircopy == NULL)
		return rt_error_set(err, ENOMEM, "member `%s`", member);
	base = strrchr(dircopy, '/');
	if (base) {
		*base++ = '\0';
		dir = dircopy;
	} else {
		base = dircopy;
		dir = (char *)"";
	}

	if (member[0] == '\0') {
		if (archive_entry_filetype(e) != AE_IFDIR || archive_entry_hardlink(e))
			return rt_error_set(err, EPERM,
					    "member `%s`: the layer root must be a directory", raw);
		return extract_dir(x, e, x->rootfd, "", "", err);
	}

	parent = parent_fd(x, member, dir, err);
	if (parent < 0)
		return -1;

	if (wk == IMG_WHITEOUT_OPAQUE) {
		char path[64];
		rt_fd_path(parent, path, sizeof(path));
		if (setxattr(path, "trusted.overlay.opaque", "y", 1, 0) < 0)
			return rt_error_set(err, errno, "member `%s`: mark opaque", member);
		return 0;
	}
	if (wk == IMG_WHITEOUT_FILE)
		return add_whiteout(parent, wtarget, member, err);

	const char *hl = archive_entry_hardlink(e);
	if (hl)
		return extract_hardlink(x, hl, parent, base, member, err);

	switch (archive_entry_filetype(e)) {
	case AE_IFREG: return extract_file(x, e, parent, base, member, err);
	case AE_IFDIR: return extract_dir(x, e, parent, base, member, err);
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(e);
		if (target == NULL)
			return rt_error_set(err, EINVAL, "member `%s`: symlink without target",
					    member);
		/* the target is not checked: it is resolved inside the container's root */
		if (CREATE_REPLACING(x, symlinkat(target, parent, base), parent, base, member,
				     "symlink", err) < 0)
			return -1;
		return set_meta_at(x, e, parent, base, member, 0, err);
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO: {
		mode_t type = archive_entry_filetype(e);
		dev_t dev = type == AE_IFIFO ? 0 : archive_entry_rdev(e);
		/* device nodes are kept, as the image spec allows; the container's device policy
		 * (cgroup device filter, nodev) decides whether they can be used */
		if (CREATE_REPLACING(x, mknodat(parent, base, type | 0600, dev), parent, base,
				     member, "mknod", err) < 0)
			return -1;
		return set_meta_at(x, e, parent, base, member, 1, err);
	}
	default:
		return rt_error_set(err, ENOTSUP, "member `%s`: unsupported file type 0%o", member,
				    (unsigned)archive_entry_filetype(e));
	}
}

static int apply_dir_times(struct extractor *x, struct rt_error *err)
{
	/* children first (reverse order) would not matter: futimens on a dir does not touch
	 * its parent */
	for (size_t i = 0; i < x->n_dirs; i++) {
		struct dir_time *d = &x->dirs[i];
		struct open_how how = {
		    .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		cleanup_close int fd = -1;
		if (d->path[0] == '\0')
			fd = openat(x->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		else
			fd = rt_sys_openat2(x->rootfd, d->path, &how, sizeof(how));
		if (fd < 0 && errno == ENOSYS) {
			struct rt_error e = RT_ERROR_INIT;
			cleanup_close int p = walk_dir(x->rootfd, d->path, d->path, 0, &e);
			rt_error_release(&e);
			if (p >= 0)
				fd = openat(p, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		if (fd < 0)
			continue; /* replaced or removed by a later member */
		if (futimens(fd, d->ts) < 0)
			return rt_error_set(err, errno, "member `%s`: set times", d->path);
	}
	return 0;
}

/* ---------------------------------------------------------------- the stream */

struct stream {
	const struct img_layer_src *src;
	off_t pos, end; /* end < 0: read to end of file */
	char *buf;
	struct img_hasher *blob_hash;
	uint64_t blob_bytes;
	struct archive *outer; /* decompressor (format "raw") */
	struct img_hasher *tar_hash;
	uint64_t tar_bytes;
	int outer_eof;
};

static la_ssize_t outer_read(struct archive *a, void *opaque, const void **ret_buf)
{
	struct stream *s = opaque;
	size_t want = READ_CHUNK;
	ssize_t n;

	if (s->end >= 0) {
		if (s->pos >= s->end)
			return 0;
		if ((off_t)want > s->end - s->pos)
			want = (size_t)(s->end - s->pos);
	}
	do
		n = pread(s->src->fd, s->buf, want, s->pos);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (a)
			archive_set_error(a, errno, "read");
		return -1;
	}
	s->pos += n;
	s->blob_bytes += (uint64_t)n;
	img_hasher_update(s->blob_hash, s->buf, (size_t)n);
	*ret_buf = s->buf;
	return n;
}

/* The tar reader pulls the decompressed stream through here: the diff_id is hashed on the
 * very bytes the tar parser sees, without a copy (the block stays valid until the next call). */
static la_ssize_t inner_read(struct archive *a, void *opaque, const void **ret_buf)
{
	struct stream *s = opaque;
	const void *b;
	size_t len;
	la_int64_t off;

	while (!s->outer_eof) {
		int r = archive_read_data_block(s->outer, &b, &len, &off);
		if (r == ARCHIVE_EOF) {
			s->outer_eof = 1;
			break;
		}
		if (r < ARCHIVE_WARN) {
			if (a)
				archive_set_error(
				    a, archive_errno(s->outer) > 0 ? archive_errno(s->outer) : EIO,
				    "%s", archive_error_string(s->outer));
			return -1;
		}
		if (len == 0)
			continue;
		img_hasher_update(s->tar_hash, b, len);
		s->tar_bytes += len;
		*ret_buf = b;
		return (la_ssize_t)len;
	}
	return 0;
}

static const char *compression_name(enum img_compression c)
{
	switch (c) {
	case IMG_COMPRESSION_GZIP: return "gzip";
	case IMG_COMPRESSION_ZSTD: return "zstd";
	case IMG_COMPRESSION_NONE: return "uncompressed";
	default: return "auto";
	}
}

static int open_outer(struct stream *s, struct archive **ret, struct rt_error *err)
{
	cleanup_archive_read struct archive *a = archive_read_new();
	struct archive_entry *e;
	const char *name = s->src->name;
	int want = -1;

	if (a == NULL)
		return rt_error_set(err, ENOMEM, "%s", name);
	switch (s->src->compression) {
	case IMG_COMPRESSION_GZIP:
		archive_read_support_filter_gzip(a);
		want = ARCHIVE_FILTER_GZIP;
		break;
	case IMG_COMPRESSION_ZSTD:
		archive_read_support_filter_zstd(a);
		want = ARCHIVE_FILTER_ZSTD;
		break;
	case IMG_COMPRESSION_NONE: want = ARCHIVE_FILTER_NONE; break;
	case IMG_COMPRESSION_AUTO:
		archive_read_support_filter_gzip(a);
		archive_read_support_filter_zstd(a);
		archive_read_support_filter_xz(a);
		break;
	}
	archive_read_support_format_raw(a);
	if (archive_read_open(a, s, NULL, outer_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK)
		return rt_error_set(err, EBADMSG, "%s: %s", name,
				    archive_error_string(a) ? archive_error_string(a) : "empty");
	/* libarchive falls back to "no filter" on anything it does not recognise */
	if (want >= 0 && archive_filter_code(a, 0) != want)
		return rt_error_set(err, EBADMSG, "%s: data is not %s as its media type says", name,
				    compression_name(s->src->compression));
	*ret = TAKE_PTR(a);
	return 0;
}

static int check_digest(const char *name, const char *what, const char *want, const char *got,
			struct rt_error *err)
{
	if (want && strcmp(want, got) != 0)
		return rt_error_set(err, EBADMSG, "%s: %s mismatch: expected %s, got %s", name,
				    what, want, got);
	return 0;
}

int img_unpack_layer(const struct img_layer_src *src, int dirfd, struct img_unpack_stats *ret_stats,
		     struct rt_error *err)
{
	cleanup_free char *buf = malloc(READ_CHUNK);
	cleanup_hasher struct img_hasher *blob_hash = NULL;
	cleanup_hasher struct img_hasher *tar_hash = NULL;
	cleanup_archive_read struct archive *outer = NULL;
	cleanup_archive_read struct archive *inner = NULL;
	struct extractor x = {.rootfd = dirfd, .is_root = geteuid() == 0, .cache_fd = -1};
	struct stream s = {.src = src, .pos = src->offset};
	struct img_unpack_stats st = {0};
	const char *name = src->name;
	int r = -1;

	if (buf == NULL)
		return rt_error_set(err, ENOMEM, "%s", name);
	if (img_hasher_new(&blob_hash, err) < 0 || img_hasher_new(&tar_hash, err) < 0)
		return -1;
	s.buf = buf;
	s.blob_hash = blob_hash;
	s.tar_hash = tar_hash;
	s.end = src->size >= 0 ? src->offset + src->size : -1;
	posix_fadvise(src->fd, src->offset, src->size >= 0 ? src->size : 0, POSIX_FADV_SEQUENTIAL);

	if (open_outer(&s, &outer, err) < 0)
		return -1;
	s.outer = outer;
	inner = archive_read_new();
	if (inner == NULL)
		return rt_error_set(err, ENOMEM, "%s", name);
	archive_read_support_format_tar(inner);
	if (archive_read_open(inner, &s, NULL, inner_read, NULL) != ARCHIVE_OK)
		return rt_error_set(err, EBADMSG, "%s: %s", name, archive_error_string(inner));
	x.ar = inner;

	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(inner, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			rt_error_set(err, archive_errno(inner) > 0 ? archive_errno(inner) : EBADMSG,
				     "%s: %s", name, archive_error_string(inner));
			goto out;
		}
		if (src->cancel && atomic_load_explicit(src->cancel, memory_order_relaxed)) {
			rt_error_set(err, ECANCELED, "%s: abandoned, another layer failed", name);
			goto out;
		}
		if (extract_entry(&x, e, err) < 0) {
			rt_error_wrap(err, "%s", name);
			goto out;
		}
		st.entries++;
	}
	if (apply_dir_times(&x, err) < 0) {
		rt_error_wrap(err, "%s", name);
		goto out;
	}
	/* The digests cover every byte, also what follows the tar's end marker (padding) and the
	 * gzip trailer: drain both streams. */
	for (;;) {
		const void *b;
		la_ssize_t n = inner_read(NULL, &s, &b);
		if (n == 0)
			break;
		if (n < 0) {
			rt_error_set(err, EBADMSG, "%s: %s", name, archive_error_string(outer));
			goto out;
		}
	}
	for (;;) {
		const void *b;
		la_ssize_t n = outer_read(NULL, &s, &b);
		if (n == 0)
			break;
		if (n < 0) {
			rt_error_set(err, errno, "%s: read", name);
			goto out;
		}
	}
	img_hasher_final(blob_hash, st.digest);
	img_hasher_final(tar_hash, st.diff_id);
	st.compressed_size = s.blob_bytes;
	st.uncompressed_size = s.tar_bytes;
	if (src->size >= 0 && (int64_t)s.blob_bytes != src->size) {
		rt_error_set(err, EBADMSG, "%s: truncated: %llu of %lld bytes", name,
			     (unsigned long long)s.blob_bytes, (long long)src->size);
		goto out;
	}
	if (check_digest(name, "digest", src->digest, st.digest, err) < 0 ||
	    check_digest(name, "diff_id", src->diff_id, st.diff_id, err) < 0)
		goto out;
	if (ret_stats)
		*ret_stats = st;
	r = 0;
out:
	extractor_free(&x);
	return r;
}
