#define _GNU_SOURCE
#include "ipam.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/crashpoint.h"
#include "../common/fsutil.h"

#define OWNER_MAX 256

struct net_ipam {
	int dirfd;
	int leasesfd;
	int lockfd;
	char *dir;
	struct net_prefix subnet; /* masked */
	struct net_prefix gateway;
	uint64_t first, last; /* allocatable host offsets */
	uint64_t gateway_off;
};

static int lock(struct net_ipam *ipam, struct rt_error *err)
{
	while (flock(ipam->lockfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return rt_error_set(err, errno, "lock `%s/ipam.lock`", ipam->dir);
	return ipam->lockfd;
}

static int open_dir(int at, const char *path, struct rt_error *err)
{
	int fd;

	if (mkdirat(at, path, 0700) < 0 && errno != EEXIST)
		return rt_error_set(err, errno, "create directory `%s`", path);
	fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return rt_error_set(err, errno, "open directory `%s`", path);
	return fd;
}

int net_ipam_open(const char *dir, const struct net_prefix *subnet,
		  const struct net_prefix *gateway, struct net_ipam **ret, struct rt_error *err)
{
	cleanup_free struct net_ipam *ipam = calloc(1, sizeof(*ipam));
	cleanup_close int dirfd = -1, leasesfd = -1, lockfd = -1;
	char text[NET_PREFIX_STRLEN];
	uint64_t size;

	if (ipam == NULL)
		return rt_error_set(err, ENOMEM, "allocate IPAM");
	ipam->subnet = *subnet;
	net_prefix_mask(&ipam->subnet);
	net_prefix_format(&ipam->subnet, text, sizeof(text));
	size = net_prefix_size(&ipam->subnet);
	if (size < 4)
		return rt_error_set(err, EINVAL, "subnet %s is too small (at most /30 or /126)",
				    text);
	if (!net_prefix_contains(&ipam->subnet, gateway))
		return rt_error_set(err, EINVAL, "gateway is outside subnet %s", text);
	ipam->gateway = *gateway;
	ipam->gateway_off = net_prefix_offset(&ipam->subnet, gateway);
	ipam->first = 1;
	/* IPv4 keeps the all-ones broadcast address; IPv6 has none */
	ipam->last = subnet->family == AF_INET ? size - 2 : size - 1;

	dirfd = open_dir(AT_FDCWD, dir, err);
	if (dirfd < 0)
		return -1;
	leasesfd = open_dir(dirfd, "leases", err);
	if (leasesfd < 0)
		return rt_error_wrap(err, "IPAM in `%s`", dir);
	lockfd = openat(dirfd, "ipam.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lockfd < 0)
		return rt_error_set(err, errno, "open `%s/ipam.lock`", dir);
	ipam->dir = strdup(dir);
	if (ipam->dir == NULL)
		return rt_error_set(err, ENOMEM, "allocate IPAM");
	ipam->dirfd = TAKE_FD(dirfd);
	ipam->leasesfd = TAKE_FD(leasesfd);
	ipam->lockfd = TAKE_FD(lockfd);
	*ret = TAKE_PTR(ipam);
	return 0;
}

void net_ipam_close(struct net_ipam *ipam)
{
	int saved = errno;

	close(ipam->dirfd);
	close(ipam->leasesfd);
	close(ipam->lockfd);
	free(ipam->dir);
	free(ipam);
	errno = saved;
}

static uint64_t read_cursor(struct net_ipam *ipam)
{
	char buf[32];
	ssize_t n = pread(ipam->lockfd, buf, sizeof(buf) - 1, 0);
	unsigned long long v;

	if (n <= 0)
		return ipam->first - 1;
	buf[n] = '\0';
	/* a hint: whatever is out of range (torn write, subnet changed) restarts the walk */
	if (sscanf(buf, "%llu", &v) != 1 || v < ipam->first || v > ipam->last)
		return ipam->first - 1;
	return v;
}

static void write_cursor(struct net_ipam *ipam, uint64_t off)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%020" PRIu64 "\n", off);

	/* fixed width: one small pwrite either lands or not, and a torn one is ignored above */
	if (pwrite(ipam->lockfd, buf, (size_t)n, 0) < 0)
		return; /* only a hint: the next allocation walks from elsewhere */
}

static int check_owner(const char *owner, struct rt_error *err)
{
	if (owner[0] == '\0' || strlen(owner) >= OWNER_MAX || strchr(owner, '\n'))
		return rt_error_set(err, EINVAL, "`%s`: invalid lease owner", owner);
	return 0;
}

/* Create the lease file of addr for owner.  0, or -1 with errno EEXIST when taken. */
static int create_lease(struct net_ipam *ipam, const struct net_prefix *addr, const char *owner,
			struct rt_error *err)
{
	char name[NET_PREFIX_STRLEN], line[OWNER_MAX + 1];
	cleanup_close int fd = -1;
	int n;

	net_addr_format(addr, name, sizeof(name));
	fd = openat(ipam->leasesfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0)
		return rt_error_set(err, errno, "create lease `%s/leases/%s`", ipam->dir, name);
	rt_crashpoint("net.lease.empty");
	n = snprintf(line, sizeof(line), "%s\n", owner);
	/* an empty lease (crash right here) has no live owner and is reclaimed like any other */
	if (rt_write_all(fd, line, (size_t)n) < 0) {
		int e = errno;
		unlinkat(ipam->leasesfd, name, 0);
		return rt_error_set(err, e, "write lease `%s/leases/%s`", ipam->dir, name);
	}
	return 0;
}

static int read_owner(struct net_ipam *ipam, const char *name, char *buf, size_t len)
{
	cleanup_close int fd = openat(ipam->leasesfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int is_reserved(struct net_ipam *ipam, uint64_t off)
{
	return off < ipam->first || off > ipam->last || off == ipam->gateway_off;
}

static int allocate_static(struct net_ipam *ipam, const char *owner,
			   const struct net_prefix *request, net_ipam_alive_fn alive,
			   void *userdata, struct net_prefix *ret, struct rt_error *err)
{
	char text[NET_PREFIX_STRLEN], subnet[NET_PREFIX_STRLEN], holder[OWNER_MAX];
	uint64_t off;

	net_addr_format(request, text, sizeof(text));
	net_prefix_format(&ipam->subnet, subnet, sizeof(subnet));
	if (!net_prefix_contains(&ipam->subnet, request))
		return rt_error_set(err, EADDRNOTAVAIL, "address %s is outside subnet %s", text,
				    subnet);
	off = net_prefix_offset(&ipam->subnet, request);
	if (is_reserved(ipam, off))
		return rt_error_set(err, EADDRNOTAVAIL,
				    "address %s is reserved in subnet %s (network, broadcast or "
				    "gateway)",
				    text, subnet);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (create_lease(ipam, request, owner, err) == 0) {
			*ret = *request;
			ret->prefixlen = ipam->subnet.prefixlen;
			return 0;
		}
		if (err->errnum != EEXIST)
			return -1;
		rt_error_release(err);
		if (read_owner(ipam, text, holder, sizeof(holder)) < 0)
			continue; /* released meanwhile */
		if (alive == NULL || (holder[0] != '\0' && alive(holder, userdata)))
			return rt_error_set(err, EADDRINUSE, "address %s is already leased to `%s`",
					    text, holder);
		/* the holder is gone (crash): take its lease over */
		if (unlinkat(ipam->leasesfd, text, 0) < 0 && errno != ENOENT)
			return rt_error_set(err, errno, "remove stale lease `%s`", text);
	}
	return rt_error_set(err, EADDRINUSE, "address %s is already leased", text);
}

static int reclaim_locked(struct net_ipam *ipam, net_ipam_alive_fn alive, void *userdata,
			  unsigned *ret_count, struct rt_error *err);

/* One pass of next fit from the cursor over the whole range. */
static int next_fit(struct net_ipam *ipam, const char *owner, struct net_prefix *ret,
		    struct rt_error *err)
{
	uint64_t range = ipam->last - ipam->first + 1;
	uint64_t off = read_cursor(ipam);

	for (uint64_t i = 0; i < range; i++) {
		struct net_prefix cand;

		off = off >= ipam->last ? ipam->first : off + 1;
		if (is_reserved(ipam, off))
			continue;
		if (net_prefix_nth(&ipam->subnet, off, &cand, err) < 0)
			return -1;
		if (create_lease(ipam, &cand, owner, err) == 0) {
			write_cursor(ipam, off);
			*ret = cand;
			return 0;
		}
		if (err->errnum != EEXIST)
			return -1;
		rt_error_release(err);
	}
	return rt_error_set(err, ENOSPC, "no free address");
}

int net_ipam_allocate(struct net_ipam *ipam, const char *owner, const struct net_prefix *request,
		      net_ipam_alive_fn alive, void *userdata, struct net_prefix *ret,
		      struct rt_error *err)
{
	cleanup_unlock int locked = -1;
	char subnet[NET_PREFIX_STRLEN];
	unsigned reclaimed = 0;

	if (check_owner(owner, err) < 0)
		return -1;
	if (request && request->family != ipam->subnet.family) {
		net_prefix_format(&ipam->subnet, subnet, sizeof(subnet));
		return rt_error_set(err, EADDRNOTAVAIL,
				    "requested address is not of the family of "
				    "subnet %s",
				    subnet);
	}
	locked = lock(ipam, err);
	if (locked < 0)
		return -1;
	if (request)
		return allocate_static(ipam, owner, request, alive, userdata, ret, err);
	if (next_fit(ipam, owner, ret, err) == 0)
		return 0;
	if (err->errnum != ENOSPC)
		return -1;
	rt_error_release(err);
	/* full: leases of owners that died in a crash may be all that is left */
	if (alive) {
		if (reclaim_locked(ipam, alive, userdata, &reclaimed, err) < 0)
			return -1;
		if (reclaimed && next_fit(ipam, owner, ret, err) == 0)
			return 0;
		rt_error_release(err);
	}
	net_prefix_format(&ipam->subnet, subnet, sizeof(subnet));
	return rt_error_set(err, ENOSPC, "subnet %s is exhausted: every address is leased", subnet);
}

int net_ipam_release(struct net_ipam *ipam, const struct net_prefix *addr, const char *owner,
		     struct rt_error *err)
{
	cleanup_unlock int locked = lock(ipam, err);
	char name[NET_PREFIX_STRLEN], holder[OWNER_MAX];

	if (locked < 0)
		return -1;
	net_addr_format(addr, name, sizeof(name));
	if (owner) {
		if (read_owner(ipam, name, holder, sizeof(holder)) < 0)
			return errno == ENOENT ? 0
					       : rt_error_set(err, errno, "read lease `%s`", name);
		if (strcmp(holder, owner) != 0)
			return 0; /* someone else's now: not ours to free */
	}
	if (unlinkat(ipam->leasesfd, name, 0) < 0 && errno != ENOENT)
		return rt_error_set(err, errno, "remove lease `%s/leases/%s`", ipam->dir, name);
	return 0;
}

int net_ipam_owner(struct net_ipam *ipam, const struct net_prefix *addr, char *buf, size_t len,
		   struct rt_error *err)
{
	char name[NET_PREFIX_STRLEN];

	net_addr_format(addr, name, sizeof(name));
	if (read_owner(ipam, name, buf, len) < 0)
		return rt_error_set(err, errno, "lease of %s", name);
	return 0;
}

/* Call fn for each lease; fn returns 1 to remove it.  The caller holds the lock. */
static int walk(struct net_ipam *ipam, int (*fn)(const char *owner, void *ud), void *ud,
		unsigned *ret_removed, unsigned *ret_seen, struct rt_error *err)
{
	cleanup_close int fd = openat(ipam->leasesfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	unsigned removed = 0, seen = 0;

	if (fd < 0)
		return rt_error_set(err, errno, "open `%s/leases`", ipam->dir);
	d = fdopendir(fd);
	if (d == NULL)
		return rt_error_set(err, errno, "open `%s/leases`", ipam->dir);
	fd = -1;
	while ((errno = 0, de = readdir(d)) != NULL) {
		char holder[OWNER_MAX];

		if (de->d_name[0] == '.')
			continue;
		seen++;
		if (fn == NULL)
			continue;
		if (read_owner(ipam, de->d_name, holder, sizeof(holder)) < 0)
			continue;
		if (fn(holder, ud) == 1) {
			if (unlinkat(ipam->leasesfd, de->d_name, 0) < 0 && errno != ENOENT)
				return rt_error_set(err, errno, "remove lease `%s`", de->d_name);
			removed++;
		}
	}
	if (errno)
		return rt_error_set(err, errno, "read `%s/leases`", ipam->dir);
	if (ret_removed)
		*ret_removed = removed;
	if (ret_seen)
		*ret_seen = seen;
	return 0;
}

struct reclaim_ctx {
	net_ipam_alive_fn alive;
	void *userdata;
	const char *owner;
};

static int reclaim_one(const char *owner, void *ud)
{
	struct reclaim_ctx *c = ud;

	return owner[0] == '\0' || c->alive(owner, c->userdata) == 0;
}

static int reclaim_locked(struct net_ipam *ipam, net_ipam_alive_fn alive, void *userdata,
			  unsigned *ret_count, struct rt_error *err)
{
	struct reclaim_ctx c = {alive, userdata, NULL};

	return walk(ipam, reclaim_one, &c, ret_count, NULL, err);
}

int net_ipam_reclaim(struct net_ipam *ipam, net_ipam_alive_fn alive, void *userdata,
		     unsigned *ret_count, struct rt_error *err)
{
	cleanup_unlock int locked = lock(ipam, err);

	if (locked < 0)
		return -1;
	return reclaim_locked(ipam, alive, userdata, ret_count, err);
}

/* An empty lease is one whose creator was killed between the create and the write (only a
 * dead process can leave one: both happen under the lock we hold).  It may have been the
 * owner's: it goes with the owner's leases, or a pod delete --force after such a crash would
 * leave it behind. */
static int owned_by(const char *owner, void *ud)
{
	struct reclaim_ctx *c = ud;

	return owner[0] == '\0' || strcmp(owner, c->owner) == 0;
}

int net_ipam_release_owner(struct net_ipam *ipam, const char *owner, unsigned *ret_count,
			   struct rt_error *err)
{
	cleanup_unlock int locked = lock(ipam, err);
	struct reclaim_ctx c = {NULL, NULL, owner};

	if (locked < 0)
		return -1;
	return walk(ipam, owned_by, &c, ret_count, NULL, err);
}

int net_ipam_count(struct net_ipam *ipam, unsigned *ret_count, struct rt_error *err)
{
	return walk(ipam, NULL, NULL, NULL, ret_count, err);
}
