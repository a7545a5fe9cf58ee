#define _GNU_SOURCE
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/cleanup.h"
#include "seccomp_default.h"
#include "spec.h"

/* The builders lean on json_object_set_new and json_array_append_new accepting NULL (they
 * fail and drop it): the only failure is running out of memory while building a few
 * kilobytes for `husk spec`, and the top-level calls turn that into a NULL result. */
static json_t *strv(const char *first, ...)
{
	json_t *a = json_array();
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		json_array_append_new(a, json_string(s));
	va_end(ap);
	return a;
}

static json_t *mount(const char *dest, const char *type, const char *source, json_t *options)
{
	json_t *m = json_object();

	json_object_set_new(m, "destination", json_string(dest));
	json_object_set_new(m, "type", json_string(type));
	json_object_set_new(m, "source", json_string(source));
	if (options)
		json_object_set_new(m, "options", options);
	return m;
}

static json_t *default_mounts(int rootless)
{
	json_t *m = json_array();

	json_array_append_new(m, mount("/proc", "proc", "proc", NULL));
	json_array_append_new(
	    m, mount("/dev", "tmpfs", "tmpfs",
		     strv("nosuid", "strictatime", "mode=755", "size=65536k", NULL)));
	/* A rootless container has no group 5 mapped: devpts would refuse gid=5. */
	json_array_append_new(m,
			      mount("/dev/pts", "devpts", "devpts",
				    rootless ? strv("nosuid", "noexec", "newinstance",
						    "ptmxmode=0666", "mode=0620", NULL)
					     : strv("nosuid", "noexec", "newinstance",
						    "ptmxmode=0666", "mode=0620", "gid=5", NULL)));
	json_array_append_new(
	    m, mount("/dev/shm", "tmpfs", "shm",
		     strv("nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL)));
	json_array_append_new(
	    m, mount("/dev/mqueue", "mqueue", "mqueue", strv("nosuid", "noexec", "nodev", NULL)));
	/* sysfs can only be mounted by the owner of the network namespace; a rootless
	 * container shares the host's, so it gets a read-only bind of /sys instead. */
	if (rootless)
		json_array_append_new(
		    m, mount("/sys", "none", "/sys",
			     strv("rbind", "nosuid", "noexec", "nodev", "ro", NULL)));
	else
		json_array_append_new(m, mount("/sys", "sysfs", "sysfs",
					       strv("nosuid", "noexec", "nodev", "ro", NULL)));
	json_array_append_new(m, mount("/sys/fs/cgroup", "cgroup", "cgroup",
				       strv("nosuid", "noexec", "nodev", "relatime", "ro", NULL)));
	return m;
}

static json_t *caps(void)
{
	json_t *c = json_object();
	static const char *const sets[] = {"bounding", "effective", "permitted"};

	for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
		json_object_set_new(
		    c, sets[i], strv("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL));
	return c;
}

static json_t *process(void)
{
	json_t *p = json_object(), *user = json_object(), *rl = json_object();

	json_object_set_new(p, "terminal", json_true());
	json_object_set_new(user, "uid", json_integer(0));
	json_object_set_new(user, "gid", json_integer(0));
	json_object_set_new(p, "user", user);
	json_object_set_new(p, "args", strv("sh", NULL));
	json_object_set_new(
	    p, "env",
	    strv("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
		 NULL));
	json_object_set_new(p, "cwd", json_string("/"));
	json_object_set_new(p, "capabilities", caps());
	json_object_set_new(rl, "type", json_string("RLIMIT_NOFILE"));
	json_object_set_new(rl, "hard", json_integer(1024));
	json_object_set_new(rl, "soft", json_integer(1024));
	json_object_set_new(p, "rlimits", json_pack("[o]", rl));
	json_object_set_new(p, "noNewPrivileges", json_true());
	return p;
}

static json_t *namespaces(int rootless)
{
	/* A rootless container cannot configure a network namespace of its own without help
	 * (slirp, pasta), so like runc it keeps the host's. */
	static const char *const types[] = {"pid", "network", "ipc", "uts", "mount", "cgroup"};
	json_t *a = json_array();

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		if (rootless && strcmp(types[i], "network") == 0)
			continue;
		json_array_append_new(a, json_pack("{ss}", "type", types[i]));
	}
	if (rootless)
		json_array_append_new(a, json_pack("{ss}", "type", "user"));
	return a;
}

static json_t *id_map(unsigned long host_id)
{
	return json_pack("[{sisIsi}]", "containerID", 0, "hostID", (json_int_t)host_id, "size", 1);
}

static json_t *linux_section(int rootless, uid_t uid, gid_t gid)
{
	json_t *lx = json_object();
	json_t *seccomp;

	if (rootless) {
		json_object_set_new(lx, "uidMappings", id_map(uid));
		json_object_set_new(lx, "gidMappings", id_map(gid));
	} else {
		/* Deny every device; the runtime adds the standard ones (null, zero, tty...). */
		json_object_set_new(
		    lx, "resources",
		    json_pack("{s[{sbss}]}", "devices", "allow", 0, "access", "rwm"));
	}
	json_object_set_new(lx, "namespaces", namespaces(rootless));
	json_object_set_new(lx, "maskedPaths",
			    strv("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
				 "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
				 "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
				 "/sys/devices/virtual/powercap", NULL));
	json_object_set_new(
	    lx, "readonlyPaths",
	    strv("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL));
	seccomp = json_loads(rt_seccomp_default_profile(), 0, NULL);
	if (seccomp == NULL) {
		json_decref(lx);
		return NULL;
	}
	json_object_set_new(lx, "seccomp", seccomp);
	return lx;
}

char *rt_spec_default_json(int rootless, uid_t uid, gid_t gid)
{
	json_auto_t *spec = json_object();
	json_t *lx = linux_section(rootless, uid, gid);

	if (spec == NULL || lx == NULL) {
		json_decref(lx);
		return NULL;
	}
	if (json_object_set_new(spec, "ociVersion", json_string("1.2.0")) < 0 ||
	    json_object_set_new(spec, "process", process()) < 0 ||
	    json_object_set_new(spec, "root",
				json_pack("{sssb}", "path", "rootfs", "readonly", 1)) < 0 ||
	    json_object_set_new(spec, "hostname", json_string("husk")) < 0 ||
	    json_object_set_new(spec, "mounts", default_mounts(rootless)) < 0 ||
	    json_object_set_new(spec, "linux", lx) < 0)
		return NULL;
	return json_dumps(spec, JSON_INDENT(2));
}
