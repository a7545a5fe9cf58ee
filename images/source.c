#define _GNU_SOURCE
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "unpack.h"

struct tar_member {
	char *name;
	char *link; /* symlink target, or NULL */
	off_t offset;
	int64_t size;
};

struct img_source {
	enum img_source_kind kind;
	char *path;
	char *tag;
	int fd; /* the layout directory, or the archive file */
	/* archives: the member index */
	struct tar_member *members;
	size_t n_members;
	/* layout directories: fds of opened blobs, closed with the source */
	int *fds;
	size_t n_fds;
};

int img_source_split(const char *spec, enum img_source_kind *ret_kind, char **ret_path,
		     char **ret_tag, struct rt_error *err)
{
	static const struct {
		const char *prefix;
		enum img_source_kind kind;
	} transports[] = {
	    {"oci:", IMG_SOURCE_OCI_DIR},
	    {"oci-archive:", IMG_SOURCE_OCI_ARCHIVE},
	    {"docker-archive:", IMG_SOURCE_DOCKER_ARCHIVE},
	};
	const char *rest = NULL;
	cleanup_free char *path = NULL;
	cleanup_free char *tag = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(transports); i++) {
		size_t n = strlen(transports[i].prefix);
		if (strncmp(spec, transports[i].prefix, n) == 0) {
			*ret_kind = transports[i].kind;
			rest = spec + n;
			break;
		}
	}
	if (rest == NULL)
		return rt_error_set(
		    err, EINVAL,
		    "source `%s`: expected oci:DIR[:TAG], oci-archive:FILE[:TAG] or "
		    "docker-archive:FILE",
		    spec);
	path = strdup(rest);
	if (path == NULL)
		return rt_error_set(err, ENOMEM, "source `%s`", spec);
	/* as in skopeo: the last ':' starts a tag unless a '/' follows it */
	char *colon = strrchr(path, ':');
	if (*ret_kind != IMG_SOURCE_DOCKER_ARCHIVE && colon && !strchr(colon, '/')) {
		*colon = '\0';
		if (colon[1] == '\0')
			return rt_error_set(err, EINVAL, "source `%s`: empty tag", spec);
		tag = strdup(colon + 1);
		if (tag == NULL)
			return rt_error_set(err, ENOMEM, "source `%s`", spec);
	}
	if (path[0] == '\0')
		return rt_error_set(err, EINVAL, "source `%s`: empty path", spec);
	*ret_path = TAKE_PTR(path);
	*ret_tag = TAKE_PTR(tag);
	return 0;
}

void img_source_free(struct img_source *src)
{
	int saved = errno;

	if (src == NULL)
		return;
	for (size_t i = 0; i < src->n_members; i++) {
		free(src->members[i].name);
		free(src->members[i].link);
	}
	free(src->members);
	for (size_t i = 0; i < src->n_fds; i++)
		close(src->fds[i]);
	free(src->fds);
	if (src->fd >= 0)
		close(src->fd);
	free(src->path);
	free(src->tag);
	free(src);
	errno = saved;
}

enum img_source_kind img_source_kind(const struct img_source *src)
{
	return src->kind;
}
const char *img_source_tag(const struct img_source *src)
{
	return src->tag;
}
const char *img_source_path(const struct img_source *src)
{
	return src->path;
}

/* ---------------------------------------------------------------- tar header walk */

static int64_t tar_number(const unsigned char *p, size_t n)
{
	int64_t v = 0;

	if (p[0] & 0x80) { /* GNU base-256 for sizes past 8 GiB */
		v = p[0] & 0x3f;
		for (size_t i = 1; i < n; i++) {
			if (v > INT64_MAX >> 8) /* 12 bytes hold 94 bits: no archive is that big */
				return -1;
			v = (v << 8) | p[i];
		}
		return v;
	}
	for (size_t i = 0; i < n && p[i]; i++) {
		if (p[i] == ' ')
			continue;
		if (p[i] < '0' || p[i] > '7')
			return -1;
		v = v * 8 + (p[i] - '0');
	}
	return v;
}

static int tar_checksum_ok(const unsigned char *h)
{
	int64_t want = tar_number(h + 148, 8);
	unsigned sum = 0;

	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return want == (int64_t)sum;
}

static int block_is_zero(const unsigned char *h)
{
	for (int i = 0; i < 512; i++)
		if (h[i])
			return 0;
	return 1;
}

static char *field(const unsigned char *p, size_t n)
{
	return strndup((const char *)p, n);
}

/* pax records "LEN key=value\n": only path, linkpath and size matter for locating members */
static void pax_parse(const char *buf, size_t len, char **path, char **link, int64_t *size)
{
	size_t i = 0;

	while (i < len) {
		char *end;
		/* strtoul() would take a sign or spaces, and "-1" as ULONG_MAX: digits only */
		if (buf[i] < '0' || buf[i] > '9')
			return;
		unsigned long rl = strtoul(buf + i, &end, 10);
		if (rl == 0 || rl > len - i || *end != ' ')
			return;
		const char *kv = end + 1, *rec_end = buf + i + rl - 1; /* at '\n' */
		if (kv > rec_end) /* the length ends inside "LEN " itself */
			return;
		const char *eq = memchr(kv, '=', (size_t)(rec_end - kv));
		if (eq) {
			size_t kl = (size_t)(eq - kv);
			char *val = strndup(eq + 1, (size_t)(rec_end - eq - 1));
			if (kl == 4 && memcmp(kv, "path", 4) == 0) {
				free(*path);
				*path = val;
			} else if (kl == 8 && memcmp(kv, "linkpath", 8) == 0) {
				free(*link);
				*link = val;
			} else {
				if (kl == 4 && memcmp(kv, "size", 4) == 0 && val)
					*size = strtoll(val, NULL, 10);
				free(val);
			}
		}
		i += rl;
	}
}

static int read_exact(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? (errno = EIO, -1) : -1;
		done += (size_t)n;
	}
	return 0;
}

static int index_archive(struct img_source *src, struct rt_error *err)
{
	unsigned char h[512];
	off_t off = 0;
	struct stat st;
	cleanup_free char *long_name = NULL;
	cleanup_free char *long_link = NULL;
	cleanup_free char *pax_path = NULL;
	cleanup_free char *pax_link = NULL;
	int64_t pax_size = -1;
	size_t cap = 0;

	if (fstat(src->fd, &st) < 0)
		return rt_error_set(err, errno, "stat `%s`", src->path);
	for (;;) {
		if (off + 512 > st.st_size)
			return rt_error_set(err, EBADMSG, "`%s`: truncated tar archive", src->path);
		if (read_exact(src->fd, h, 512, off) < 0)
			return rt_error_set(err, errno, "read `%s`", src->path);
		if (block_is_zero(h))
			return 0;
		if (!tar_checksum_ok(h)) {
			if (off == 0 &&
			    ((h[0] == 0x1f && h[1] == 0x8b) || (h[0] == 0x28 && h[1] == 0xb5)))
				return rt_error_set(err, ENOTSUP,
						    "`%s`: compressed archive; decompress it first",
						    src->path);
			return rt_error_set(err, EBADMSG,
					    "`%s`: not a tar archive (bad header at %lld)",
					    src->path, (long long)off);
		}
		int64_t size = tar_number(h + 124, 12);
		char type = (char)h[156];
		off_t data = off + 512;
		if (size < 0 || size > st.st_size - data)
			return rt_error_set(err, EBADMSG, "`%s`: truncated tar archive", src->path);
		off = data + ((size + 511) & ~(int64_t)511);
		if (type == 'L' || type == 'K' || type == 'x') {
			if (size > 1 << 20)
				return rt_error_set(err, EBADMSG, "`%s`: oversized header",
						    src->path);
			cleanup_free char *buf = malloc((size_t)size + 1);
			if (buf == NULL)
				return rt_error_set(err, ENOMEM, "`%s`", src->path);
			if (read_exact(src->fd, buf, (size_t)size, data) < 0)
				return rt_error_set(err, errno, "read `%s`", src->path);
			buf[size] = '\0';
			if (type == 'L') {
				free(long_name);
				long_name = strdup(buf);
			} else if (type == 'K') {
				free(long_link);
				long_link = strdup(buf);
			} else {
				pax_parse(buf, (size_t)size, &pax_path, &pax_link, &pax_size);
			}
			continue;
		}
		if (type == 'g')
			continue;
		char *name = pax_path ? TAKE_PTR(pax_path) : long_name ? TAKE_PTR(long_name) : NULL;
		if (name == NULL) {
			cleanup_free char *base = field(h, 100);
			if (memcmp(h + 257, "ustar", 5) == 0 && h[345]) {
				cleanup_free char *prefix = field(h + 345, 155);
				if (asprintf(&name, "%s/%s", prefix, base) < 0)
					name = NULL;
			} else {
				name = TAKE_PTR(base);
			}
		}
		char *link = pax_link ? TAKE_PTR(pax_link) : long_link ? TAKE_PTR(long_link) : NULL;
		if (pax_size >= 0 && (type == '0' || type == '\0' || type == '7')) {
			/* a pax size overrides the header's; the data starts where it did */
			if (pax_size > st.st_size - data) {
				free(name);
				free(link);
				return rt_error_set(err, EBADMSG, "`%s`: truncated", src->path);
			}
			off = data + ((pax_size + 511) & ~(int64_t)511);
			size = pax_size;
		}
		pax_size = -1;
		if (name == NULL) {
			free(link);
			return rt_error_set(err, ENOMEM, "`%s`", src->path);
		}
		if (type != '0' && type != '\0' && type != '7' && type != '2') {
			free(name);
			free(link);
			continue;
		}
		if (type == '2' && link == NULL)
			link = field(h + 157, 100);
		if (src->n_members == cap) {
			cap = cap ? cap * 2 : 32;
			struct tar_member *nm = realloc(src->members, cap * sizeof(*nm));
			if (nm == NULL) {
				free(name);
				free(link);
				return rt_error_set(err, ENOMEM, "`%s`", src->path);
			}
			src->members = nm;
		}
		struct rt_error e = RT_ERROR_INIT;
		if (img_member_name_normalize(name, &e) < 0)
			rt_error_release(&e); /* such a member is never looked up */
		src->members[src->n_members++] = (struct tar_member){
		    .name = name,
		    .link = type == '2' ? link : (free(link), NULL),
		    .offset = data,
		    .size = size,
		};
	}
}

int img_source_open(const char *spec, struct img_source **ret, struct rt_error *err)
{
	cleanup_free struct img_source *src = calloc(1, sizeof(*src));

	if (src == NULL)
		return rt_error_set(err, ENOMEM, "source `%s`", spec);
	src->fd = -1;
	if (img_source_split(spec, &src->kind, &src->path, &src->tag, err) < 0)
		return -1;
	if (src->kind == IMG_SOURCE_OCI_DIR)
		src->fd = open(src->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else
		src->fd = open(src->path, O_RDONLY | O_CLOEXEC);
	if (src->fd < 0) {
		int e = errno;
		img_source_free(TAKE_PTR(src));
		return rt_error_set(err, e, "open `%s`", spec + strcspn(spec, ":") + 1);
	}
	if (src->kind != IMG_SOURCE_OCI_DIR && index_archive(src, err) < 0) {
		img_source_free(TAKE_PTR(src));
		return -1;
	}
	*ret = TAKE_PTR(src);
	return 0;
}

static struct tar_member *find_member(struct img_source *src, const char *name)
{
	for (size_t i = src->n_members; i-- > 0;) /* the last copy of a name wins, as in tar */
		if (strcmp(src->members[i].name, name) == 0)
			return &src->members[i];
	return NULL;
}

int img_source_member(struct img_source *src, const char *path, struct img_member *ret,
		      struct rt_error *err)
{
	if (src->kind == IMG_SOURCE_OCI_DIR) {
		struct stat st;
		/* the layout is opened like any tree we do not control: confined to DIR */
		int fd = rt_open_in_root(src->fd, path, O_RDONLY, 0, err);
		if (fd < 0)
			return rt_error_wrap(err, "%s", src->path);
		int *nf = realloc(src->fds, (src->n_fds + 1) * sizeof(int));
		if (nf == NULL) {
			close(fd);
			return rt_error_set(err, ENOMEM, "%s", path);
		}
		src->fds = nf;
		src->fds[src->n_fds++] = fd;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			return rt_error_set(err, EINVAL, "%s: `%s` is not a regular file",
					    src->path, path);
		*ret = (struct img_member){.fd = fd, .offset = 0, .size = st.st_size};
		return 0;
	}
	cleanup_free char *name = strdup(path);
	if (name == NULL)
		return rt_error_set(err, ENOMEM, "%s", path);
	for (int hops = 0; hops < 8; hops++) {
		struct rt_error e = RT_ERROR_INIT;
		if (img_member_name_normalize(name, &e) < 0) {
			*err = e;
			return rt_error_wrap(err, "%s", src->path);
		}
		struct tar_member *m = find_member(src, name);
		if (m == NULL)
			return rt_error_set(err, ENOENT, "%s: no member `%s`", src->path, path);
		if (m->link == NULL) {
			*ret = (struct img_member){
			    .fd = src->fd, .offset = m->offset, .size = m->size};
			return 0;
		}
		/* docker save links a repeated layer: "../OTHER/layer.tar", relative to the
		 * member's directory; ".." may climb only to the archive's top */
		char *slash = strrchr(name, '/');
		cleanup_free char *dir = slash ? strndup(name, (size_t)(slash - name)) : strdup("");
		char *next = NULL;
		const char *t = m->link;
		if (dir == NULL)
			return rt_error_set(err, ENOMEM, "%s", path);
		while (strncmp(t, "../", 3) == 0) {
			char *s = strrchr(dir, '/');
			if (dir[0] == '\0')
				return rt_error_set(err, EPERM, "%s: member `%s` links outside",
						    src->path, path);
			if (s)
				*s = '\0';
			else
				dir[0] = '\0';
			t += 3;
		}
		if (t[0] == '/' || asprintf(&next, "%s%s%s", dir, dir[0] ? "/" : "", t) < 0)
			return rt_error_set(err, EPERM, "%s: member `%s`: bad link", src->path,
					    path);
		free(name);
		name = next;
	}
	return rt_error_set(err, ELOOP, "%s: member `%s`", src->path, path);
}

int img_source_read(struct img_source *src, const char *path, size_t max, char **ret_buf,
		    size_t *ret_len, struct rt_error *err)
{
	struct img_member m;
	cleanup_free char *buf = NULL;

	if (img_source_member(src, path, &m, err) < 0)
		return -1;
	if (m.size < 0 || (size_t)m.size > max)
		return rt_error_set(err, EFBIG, "%s: `%s` is larger than %zu bytes", src->path,
				    path, max);
	buf = malloc((size_t)m.size + 1);
	if (buf == NULL)
		return rt_error_set(err, ENOMEM, "%s: %s", src->path, path);
	if (read_exact(m.fd, buf, (size_t)m.size, m.offset) < 0)
		return rt_error_set(err, errno, "%s: read `%s`", src->path, path);
	buf[m.size] = '\0';
	*ret_buf = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = (size_t)m.size;
	return 0;
}
