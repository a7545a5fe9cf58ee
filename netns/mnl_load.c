/* libmnl, loaded on first use.
 *
 * husk is linked statically (see the Makefile: the dynamic loader's work is a large share of the
 * start-up of `husk run` on a VM), and Debian ships libmnl only as a shared object.  Only the
 * commands that configure networks need it, so nl_open() loads it with dlopen(), and every libmnl
 * function that husk or libnftnl calls is defined here as a forwarder to the loaded one.  The
 * declarations come from <libmnl/libmnl.h>, so a forwarder whose signature drifts from the
 * library's does not compile.
 *
 * In a static binary, dlopen() brings its own copy of libc.so.6 along with libmnl.so.0, and
 * libmnl sets that copy's errno.  The forwarders of functions that report through errno copy it
 * back to ours.  What libmnl allocates (its socket, a batch) it also frees, so the two heaps never
 * see each other's memory.  In a dynamic build (the sanitizer build, unit tests) both are the same
 * libc and the copy is skipped.
 *
 * dlopen() looks the library up in the caller's mount namespace: it must never run after husk
 * joined a container's, where an image's own libmnl.so.0 would run as root on the host.  The
 * callers (pod and network commands) never do; containers set up lo with an ioctl, not here. */
#define _GNU_SOURCE
#include "nl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#define MNL_SONAME "libmnl.so.0"

/* X(ret, name, params, args): functions that report failure through errno. */
#define MNL_ERRNO_FUNCS(X)                                                                         \
	X(struct mnl_socket *, mnl_socket_open, (int bus), (bus))                                  \
	X(struct mnl_socket *, mnl_socket_open2, (int bus, int flags), (bus, flags))               \
	X(int, mnl_socket_bind, (struct mnl_socket * nl, unsigned int groups, pid_t pid),          \
	  (nl, groups, pid))                                                                       \
	X(int, mnl_socket_close, (struct mnl_socket * nl), (nl))                                   \
	X(ssize_t, mnl_socket_sendto, (const struct mnl_socket *nl, const void *req, size_t siz),  \
	  (nl, req, siz))                                                                          \
	X(ssize_t, mnl_socket_recvfrom, (const struct mnl_socket *nl, void *buf, size_t siz),      \
	  (nl, buf, siz))                                                                          \
	X(int, mnl_socket_setsockopt,                                                              \
	  (const struct mnl_socket *nl, int type, void *buf, socklen_t len), (nl, type, buf, len)) \
	X(int, mnl_cb_run,                                                                         \
	  (const void *buf, size_t numbytes, unsigned int seq, unsigned int portid,                \
	   mnl_cb_t cb_data, void *data),                                                          \
	  (buf, numbytes, seq, portid, cb_data, data))                                             \
	X(int, mnl_attr_type_valid, (const struct nlattr *attr, uint16_t maxtype),                 \
	  (attr, maxtype))                                                                         \
	X(int, mnl_attr_validate, (const struct nlattr *attr, enum mnl_attr_data_type type),       \
	  (attr, type))                                                                            \
	X(int, mnl_attr_parse,                                                                     \
	  (const struct nlmsghdr *nlh, unsigned int offset, mnl_attr_cb_t cb, void *data),         \
	  (nlh, offset, cb, data))                                                                 \
	X(int, mnl_attr_parse_nested, (const struct nlattr *attr, mnl_attr_cb_t cb, void *data),   \
	  (attr, cb, data))                                                                        \
	X(struct mnl_nlmsg_batch *, mnl_nlmsg_batch_start, (void *buf, size_t bufsiz),             \
	  (buf, bufsiz))

/* Functions that only compute on the caller's buffers. */
#define MNL_PURE_FUNCS(X)                                                                        \
	X(unsigned int, mnl_socket_get_portid, (const struct mnl_socket *nl), (nl))              \
	X(size_t, mnl_nlmsg_size, (size_t len), (len))                                           \
	X(struct nlmsghdr *, mnl_nlmsg_put_header, (void *buf), (buf))                           \
	X(void *, mnl_nlmsg_put_extra_header, (struct nlmsghdr * nlh, size_t size), (nlh, size)) \
	X(bool, mnl_nlmsg_ok, (const struct nlmsghdr *nlh, int len), (nlh, len))                 \
	X(struct nlmsghdr *, mnl_nlmsg_next, (const struct nlmsghdr *nlh, int *len), (nlh, len)) \
	X(void *, mnl_nlmsg_get_payload, (const struct nlmsghdr *nlh), (nlh))                    \
	X(bool, mnl_nlmsg_batch_next, (struct mnl_nlmsg_batch * b), (b))                         \
	X(size_t, mnl_nlmsg_batch_size, (struct mnl_nlmsg_batch * b), (b))                       \
	X(void *, mnl_nlmsg_batch_head, (struct mnl_nlmsg_batch * b), (b))                       \
	X(void *, mnl_nlmsg_batch_current, (struct mnl_nlmsg_batch * b), (b))                    \
	X(uint16_t, mnl_attr_get_type, (const struct nlattr *attr), (attr))                      \
	X(uint16_t, mnl_attr_get_payload_len, (const struct nlattr *attr), (attr))               \
	X(void *, mnl_attr_get_payload, (const struct nlattr *attr), (attr))                     \
	X(uint8_t, mnl_attr_get_u8, (const struct nlattr *attr), (attr))                         \
	X(uint16_t, mnl_attr_get_u16, (const struct nlattr *attr), (attr))                       \
	X(uint32_t, mnl_attr_get_u32, (const struct nlattr *attr), (attr))                       \
	X(uint64_t, mnl_attr_get_u64, (const struct nlattr *attr), (attr))                       \
	X(const char *, mnl_attr_get_str, (const struct nlattr *attr), (attr))                   \
	X(bool, mnl_attr_ok, (const struct nlattr *attr, int len), (attr, len))                  \
	X(struct nlattr *, mnl_attr_next, (const struct nlattr *attr), (attr))                   \
	X(struct nlattr *, mnl_attr_nest_start, (struct nlmsghdr * nlh, uint16_t type), (nlh, type))

/* Functions without a result. */
#define MNL_VOID_FUNCS(X)                                                                    \
	X(void, mnl_nlmsg_batch_stop, (struct mnl_nlmsg_batch * b), (b))                     \
	X(void, mnl_attr_put,                                                                \
	  (struct nlmsghdr * nlh, uint16_t type, size_t len, const void *data),              \
	  (nlh, type, len, data))                                                            \
	X(void, mnl_attr_put_u8, (struct nlmsghdr * nlh, uint16_t type, uint8_t data),       \
	  (nlh, type, data))                                                                 \
	X(void, mnl_attr_put_u16, (struct nlmsghdr * nlh, uint16_t type, uint16_t data),     \
	  (nlh, type, data))                                                                 \
	X(void, mnl_attr_put_u32, (struct nlmsghdr * nlh, uint16_t type, uint32_t data),     \
	  (nlh, type, data))                                                                 \
	X(void, mnl_attr_put_u64, (struct nlmsghdr * nlh, uint16_t type, uint64_t data),     \
	  (nlh, type, data))                                                                 \
	X(void, mnl_attr_put_str, (struct nlmsghdr * nlh, uint16_t type, const char *data),  \
	  (nlh, type, data))                                                                 \
	X(void, mnl_attr_put_strz, (struct nlmsghdr * nlh, uint16_t type, const char *data), \
	  (nlh, type, data))                                                                 \
	X(void, mnl_attr_nest_end, (struct nlmsghdr * nlh, struct nlattr * start), (nlh, start))

/* The loaded library's entry points.  Written once, by the first nl_mnl_load(), before any
 * forwarder can be reached (a loader's table, like the GOT of a dynamically linked husk). */
static struct {
	bool loaded;
	/* errno of the libc that libmnl calls */
	int *(*errno_location)(void);
	/* clang-format off: macro lists, one entry each */
#define MNL_PTR(ret, name, params, args) __typeof__(name) *name;
	MNL_ERRNO_FUNCS(MNL_PTR)
	MNL_PURE_FUNCS(MNL_PTR)
	MNL_VOID_FUNCS(MNL_PTR)
#undef MNL_PTR
	/* clang-format on */
} mnl;

int nl_mnl_load(struct rt_error *err)
{
	void *h;

	if (mnl.loaded)
		return 0;
	h = dlopen(MNL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return rt_error_set(err, ELIBACC, "load `%s` (Debian package libmnl0): %s",
				    MNL_SONAME, dlerror());
	/* dlsym on libmnl's handle also searches its dependencies: this is the libc it uses. */
	mnl.errno_location = (int *(*)(void))dlsym(h, "__errno_location");
	if (mnl.errno_location == NULL) {
		dlclose(h);
		return rt_error_set(err, ELIBBAD, "`%s`: no __errno_location in its libc",
				    MNL_SONAME);
	}
	/* clang-format off */
#define MNL_SYM(ret, name, params, args)                                                           \
	mnl.name = (__typeof__(name) *)dlsym(h, #name);                                            \
	if (mnl.name == NULL) {                                                                    \
		dlclose(h);                                                                        \
		return rt_error_set(err, ELIBBAD, "`%s`: no symbol %s", MNL_SONAME, #name);        \
	}
	MNL_ERRNO_FUNCS(MNL_SYM)
	MNL_PURE_FUNCS(MNL_SYM)
	MNL_VOID_FUNCS(MNL_SYM)
#undef MNL_SYM
	/* clang-format on */
	/* The handle stays open for the life of the process: the forwarders point into it. */
	mnl.loaded = true;
	return 0;
}

/* Every path that builds or sends a netlink message starts with nl_open(), which loads the
 * library or fails with a message; unit tests call builders directly and get it loaded here.
 * A failure at this point has nobody to report to. */
static void need_mnl(void)
{
	struct rt_error err = {0};

	if (__builtin_expect(!mnl.loaded, 0) && nl_mnl_load(&err) < 0)
		abort();
}

/* Clear libmnl's errno before a call and copy what it set afterwards.  Clearing (instead of
 * copying unconditionally) keeps an errno that our own callback set inside mnl_cb_run. */
static int *errno_before(void)
{
	int *e = mnl.errno_location();

	if (e == &errno)
		return NULL;
	*e = 0;
	return e;
}

static void errno_after(const int *e)
{
	if (e != NULL && *e != 0)
		errno = *e;
}

#define MNL_FWD_ERRNO(ret, name, params, args) \
	ret name params                        \
	{                                      \
		int *e;                        \
		ret r;                         \
		need_mnl();                    \
		e = errno_before();            \
		r = mnl.name args;             \
		errno_after(e);                \
		return r;                      \
	}
#define MNL_FWD(ret, name, params, args) \
	ret name params                  \
	{                                \
		need_mnl();              \
		return mnl.name args;    \
	}
#define MNL_FWD_VOID(ret, name, params, args) \
	ret name params                       \
	{                                     \
		need_mnl();                   \
		mnl.name args;                \
	}
MNL_ERRNO_FUNCS(MNL_FWD_ERRNO)
MNL_PURE_FUNCS(MNL_FWD)
MNL_VOID_FUNCS(MNL_FWD_VOID)
