#define _GNU_SOURCE
#include "state.h"

#include "cgroup_rt.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/fsutil.h"
#include "../../common/procfs.h"
#include "../../common/timefmt.h"

int rt_validate_id(const char *id, struct rt_error *err)
{
	size_t len = strlen(id);

	if (len == 0)
		return rt_error_set(err, 0, "container id must not be empty");
	if (len > 1024)
		return rt_error_set(err, 0, "invalid container id: longer than 1024 bytes");
	/* pods/ and networks/ live beside the containers under --root */
	if (strcmp(id, "pods") == 0 || strcmp(id, "networks") == 0)
		return rt_error_set(err, 0,
				    "invalid container id `%s`: reserved for husk's own state", id);
	for (const char *p = id; *p; p++) {
		unsigned char c = (unsigned char)*p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') ||
			 (p != id && (c == '_' || c == '-' || c == '.' || c == '+'));
		if (!ok)
			return rt_error_set(
			    err, 0,
			    "invalid container id `%s`: only letters, digits and _ . + - "
			    "(not first) are allowed",
			    id);
	}
	return 0;
}

int rt_state_root_open(const char *root, struct rt_error *err)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return rt_error_set(err, errno, "open state root `%s`", root);
	/* create missing parents too: --root may point into a fresh tmpdir (a host path, so a
	 * plain walk is right here) */
	cleanup_free char *copy = strdup(root);
	if (copy == NULL)
		return rt_error_set(err, ENOMEM, "state root");
	for (char *p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, saved ? 0755 : 0700) < 0 && errno != EEXIST)
			return rt_error_set(err, errno, "create state root `%s`", copy);
		*p = saved;
		if (saved == '\0')
			break;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return rt_error_set(err, errno, "open state root `%s`", root);
	return fd;
}

static int dir_lock_open(const char *root, const char *id, int create, struct rt_container_dir *ret,
			 struct rt_error *err)
{
	cleanup_close int rootfd = -1, dirfd = -1;

	if (rt_validate_id(id, err) < 0)
		return -1;
	rootfd = rt_state_root_open(root, err);
	if (rootfd < 0)
		return -1;
	if (create && mkdirat(rootfd, id, 0711) < 0) {
		if (errno == EEXIST)
			return rt_error_set(err, 0, "container with id `%s` already exists", id);
		return rt_error_set(err, errno, "create state dir `%s/%s`", root, id);
	}
	dirfd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0) {
		if (errno == ENOENT)
			return rt_error_set(err, ENOENT, "container `%s` does not exist", id);
		return rt_error_set(err, errno, "open state dir `%s/%s`", root, id);
	}
	if (flock(dirfd, LOCK_EX) < 0)
		return rt_error_set(err, errno, "lock state dir `%s/%s`", root, id);
	if (!create) {
		/* a concurrent delete may have removed it while we waited for the lock */
		struct stat st;
		if (fstat(dirfd, &st) == 0 && st.st_nlink == 0)
			return rt_error_set(err, ENOENT, "container `%s` does not exist", id);
	}
	if (asprintf(&ret->path, "%s/%s", root, id) < 0)
		return rt_error_set(err, ENOMEM, "state dir path");
	ret->rootfd = TAKE_FD(rootfd);
	ret->dirfd = TAKE_FD(dirfd);
	return 0;
}

int rt_container_dir_create(const char *root, const char *id, struct rt_container_dir *ret,
			    struct rt_error *err)
{
	return dir_lock_open(root, id, 1, ret, err);
}

int rt_container_dir_open(const char *root, const char *id, struct rt_container_dir *ret,
			  struct rt_error *err)
{
	return dir_lock_open(root, id, 0, ret, err);
}

void rt_container_dir_close(struct rt_container_dir *d)
{
	if (d->dirfd >= 0)
		close(d->dirfd);
	if (d->rootfd >= 0)
		close(d->rootfd);
	free(d->path);
	d->dirfd = d->rootfd = -1;
	d->path = NULL;
}

int rt_container_dir_remove(struct rt_container_dir *d, struct rt_error *err)
{
	/* the state last: a delete killed half-way leaves it for the next one to go by */
	static const char *const known[] = {RT_EXEC_FIFO, RT_CONFIG_COPY, RT_CREATING_FILE,
					    RT_STATE_FILE};
	const char *id = strrchr(d->path, '/') + 1;

	/* the files husk keeps there by name, then the directory: a tree walk (open, stat,
	 * readdir twice) only when something else is left, such as an image bundle */
	for (size_t i = 0; d->dirfd >= 0 && i < ARRAY_SIZE(known); i++)
		unlinkat(d->dirfd, known[i], 0);
	if (unlinkat(d->rootfd, id, AT_REMOVEDIR) == 0)
		return 0;
	return rt_rmtree_at(d->rootfd, id, err);
}

char *rt_now_rfc3339(void)
{
	char buf[64];

	rt_time_rfc3339(1, buf, sizeof(buf));
	return strdup(buf);
}

static json_t *annotations_json(const struct rt_state *st)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < st->n_annotations; i++)
		json_object_set_new(o, st->annotations[i].key,
				    json_string(st->annotations[i].value));
	return o;
}

int rt_state_write(const struct rt_container_dir *d, const struct rt_state *st,
		   struct rt_error *err)
{
	json_auto_t *o = json_object();
	cleanup_free char *text = NULL;

	json_object_set_new(o, "id", json_string(st->id));
	json_object_set_new(o, "pid", json_integer(st->pid));
	json_object_set_new(o, "start_time", json_integer((json_int_t)st->start_time));
	json_object_set_new(o, "bundle", json_string(st->bundle));
	json_object_set_new(o, "rootfs", json_string(st->rootfs));
	json_object_set_new(o, "created", json_string(st->created));
	json_object_set_new(o, "owner", json_integer(st->owner));
	json_object_set_new(o, "annotations", annotations_json(st));
	if (st->cgroup_path)
		json_object_set_new(o, "cgroup_path", json_string(st->cgroup_path));
	if (st->pod)
		json_object_set_new(o, "pod", json_string(st->pod));
	if (st->image_bundle)
		json_object_set_new(o, "image_bundle", json_string(st->image_bundle));
	if (st->systemd_cgroup)
		json_object_set_new(o, "systemd_cgroup", json_true());
	/* the record's one-digit mark, last, flipped in place by rt_state_mark_cgroup_made */
	if (st->creating)
		json_object_set_new(o, RT_CGROUP_MADE_KEY, json_integer(0));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL)
		return rt_error_set(err, ENOMEM, "encode state of `%s`", st->id);
	if (rt_write_file_atomic_at(d->dirfd, st->creating ? RT_CREATING_FILE : RT_STATE_FILE, text,
				    strlen(text), 0600, err) < 0)
		return rt_error_wrap(err, "write state of `%s`", st->id);
	if (!st->creating) {
		/* committed: the state says it all (a reader prefers it to a record left here) */
		unlinkat(d->dirfd, RT_CREATING_FILE, 0);
	}
	return 0;
}

int rt_state_mark_cgroup_made(const struct rt_container_dir *d, struct rt_error *err)
{
	static const char mark[] = "\"" RT_CGROUP_MADE_KEY "\":0}";
	char tail[64];
	struct stat st;
	ssize_t n;
	cleanup_close int fd = openat(d->dirfd, RT_CREATING_FILE, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

	/* one byte written in place, where a new marker file cost an inode allocation (0.9 ms
	 * on this ext4): the write of a byte is whole or not at all, and the record stays
	 * valid JSON either way.  The mark is the record's last member (rt_state_write). */
	if (fd < 0 || fstat(fd, &st) < 0)
		return rt_error_set(err, errno, "record the cgroup of `%s`", d->path);
	off_t from = st.st_size > (off_t)sizeof(tail) ? st.st_size - (off_t)sizeof(tail) : 0;
	if ((n = pread(fd, tail, sizeof(tail), from)) < 0)
		return rt_error_set(err, errno, "record the cgroup of `%s`", d->path);
	if ((size_t)n < sizeof(mark) - 1 ||
	    memcmp(tail + n - (sizeof(mark) - 1), mark, sizeof(mark) - 1) != 0)
		return rt_error_set(err, EINVAL, "record of `%s` does not end in its cgroup mark",
				    d->path);
	if (pwrite(fd, "1", 1, from + n - 2) != 1)
		return rt_error_set(err, errno, "record the cgroup of `%s`", d->path);
	return 0;
}

static char *dup_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? strdup(s) : NULL;
}

int rt_state_read(const struct rt_container_dir *d, struct rt_state *ret, struct rt_error *err)
{
	cleanup_free char *text = NULL;
	json_auto_t *o = NULL;
	json_error_t jerr;
	json_t *ann;
	const char *key;
	json_t *val;

	memset(ret, 0, sizeof(*ret));
	if (rt_read_file_at(d->dirfd, RT_STATE_FILE, &text, NULL, err) < 0) {
		if (err->errnum != ENOENT)
			return -1;
		/* a create in progress (list takes no lock), or killed before it committed */
		rt_error_release(err);
		if (rt_read_file_at(d->dirfd, RT_CREATING_FILE, &text, NULL, err) < 0) {
			if (err->errnum != ENOENT)
				return -1;
			/* killed before its first record: only the dir (and maybe the fifo) */
			rt_error_release(err);
			return rt_error_set(
			    err, ENOENT, "container `%s` has no state (create failed?)", d->path);
		}
		ret->creating = 1;
	} else {
		/* a committed state's cgroup is the container's own */
		ret->cgroup_made = 1;
	}
	o = json_loads(text, 0, &jerr);
	if (o == NULL)
		return rt_error_set(err, EINVAL, "state of `%s` is corrupt: %s", d->path,
				    jerr.text);
	if (ret->creating)
		ret->cgroup_made = json_integer_value(json_object_get(o, RT_CGROUP_MADE_KEY)) == 1;
	ret->id = dup_str(o, "id");
	ret->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	ret->start_time = (unsigned long long)json_integer_value(json_object_get(o, "start_time"));
	ret->bundle = dup_str(o, "bundle");
	ret->rootfs = dup_str(o, "rootfs");
	ret->created = dup_str(o, "created");
	ret->owner = (uid_t)json_integer_value(json_object_get(o, "owner"));
	ret->cgroup_path = dup_str(o, "cgroup_path");
	ret->pod = dup_str(o, "pod");
	ret->image_bundle = dup_str(o, "image_bundle");
	ret->systemd_cgroup = json_is_true(json_object_get(o, "systemd_cgroup"));
	ann = json_object_get(o, "annotations");
	if (json_object_size(ann) > 0) {
		ret->annotations = calloc(json_object_size(ann), sizeof(*ret->annotations));
		if (ret->annotations == NULL)
			return rt_error_set(err, ENOMEM, "read state");
		json_object_foreach (ann, key, val) {
			struct rt_kv *a = &ret->annotations[ret->n_annotations++];
			if (rt_strdup(&a->key, key, "read state: annotations", err) < 0 ||
			    rt_strdup(&a->value, json_string_value(val) ?: "",
				      "read state: annotations", err) < 0)
				return -1;
		}
	}
	if (ret->id == NULL)
		return rt_error_set(err, EINVAL, "state of `%s` is corrupt: no id", d->path);
	return 0;
}

void rt_state_clear(struct rt_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->cgroup_path);
	free(st->pod);
	free(st->image_bundle);
	for (size_t i = 0; i < st->n_annotations; i++) {
		free(st->annotations[i].key);
		free(st->annotations[i].value);
	}
	free(st->annotations);
	memset(st, 0, sizeof(*st));
}

enum rt_status rt_state_status(const struct rt_container_dir *d, const struct rt_state *st)
{
	struct rt_error err = RT_ERROR_INIT;
	unsigned long long ticks;
	char pstate = 0;

	/* a create in progress, or one that was killed before it committed the state (seen by a
	 * command holding the lock, which a live create keeps until then) */
	if (st->creating)
		return RT_STATUS_CREATING;
	if (st->pid <= 0)
		return RT_STATUS_STOPPED;
	/* /proc of the host: the stored pid is a host pid */
	int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return RT_STATUS_STOPPED;
	int r = rt_proc_start_time(procfd, st->pid, &ticks, &pstate, &err);
	close(procfd);
	rt_error_release(&err);
	if (r < 0 || ticks != st->start_time || pstate == 'Z' || pstate == 'X')
		return RT_STATUS_STOPPED;
	if (faccessat(d->dirfd, RT_EXEC_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return RT_STATUS_CREATED;
	if (st->cgroup_path && rt_cgroup_paused(st))
		return RT_STATUS_PAUSED;
	return RT_STATUS_RUNNING;
}

const char *rt_status_name(enum rt_status s)
{
	static const char *const names[] = {"creating", "created", "running", "paused", "stopped"};
	return names[s];
}

char *rt_state_to_json(const struct rt_state *st, enum rt_status status, int pretty)
{
	json_auto_t *o = json_object();

	json_object_set_new(o, "ociVersion", json_string("1.2.0"));
	json_object_set_new(o, "id", json_string(st->id));
	json_object_set_new(o, "pid", json_integer(status == RT_STATUS_STOPPED ? 0 : st->pid));
	json_object_set_new(o, "status", json_string(rt_status_name(status)));
	json_object_set_new(o, "bundle", json_string(st->bundle ? st->bundle : ""));
	json_object_set_new(o, "rootfs", json_string(st->rootfs ? st->rootfs : ""));
	json_object_set_new(o, "created", json_string(st->created ? st->created : ""));
	json_object_set_new(o, "owner", json_string(""));
	json_object_set_new(o, "annotations", annotations_json(st));
	return json_dumps(o, pretty ? JSON_INDENT(2) | JSON_PRESERVE_ORDER
				    : JSON_COMPACT | JSON_PRESERVE_ORDER);
}
