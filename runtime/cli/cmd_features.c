#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../cgroups/cgroup.h"
#include "../../common/cleanup.h"
#include "../init/caps.h"
#include "commands.h"
#include "../init/seccomp.h"

/* What spec_mounts.c accepts in mounts[].options. */
static const char *const mount_options[] = {
    "async",	   "atime",	     "bind",	   "defaults",	    "dev",
    "diratime",	   "dirsync",	     "exec",	   "idmap",	    "lazytime",
    "mand",	   "noatime",	     "nodev",	   "nodiratime",    "noexec",
    "nolazytime",  "nomand",	     "norelatime", "nostrictatime", "nosuid",
    "nosymfollow", "notmpcopyup",    "private",	   "ratime",	    "rbind",
    "rdev",	   "rdiratime",	     "relatime",   "remount",	    "rexec",
    "ridmap",	   "rnoatime",	     "rnodev",	   "rnodiratime",   "rnoexec",
    "rnorelatime", "rnostrictatime", "rnosuid",	   "rnosymfollow",  "ro",
    "rprivate",	   "rrelatime",	     "rro",	   "rrw",	    "rshared",
    "rslave",	   "rstrictatime",   "rsuid",	   "rsymfollow",    "runbindable",
    "rw",	   "shared",	     "slave",	   "strictatime",   "suid",
    "symfollow",   "sync",	     "tmpcopyup",  "unbindable",    NULL};

static json_t *strings(const char *const *v)
{
	json_t *a = json_array();
	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static int run_features(struct rt_globals *g, int argc, char **argv, struct rt_error *err)
{
	static const char *const hooks[] = {"prestart",
					    "createRuntime",
					    "createContainer",
					    "startContainer",
					    "poststart",
					    "poststop",
					    NULL};
	static const char *const ns[] = {"cgroup", "ipc",  "mount", "network", "pid",
					 "time",   "user", "uts",   NULL};
	struct rt_seccomp_features sf;
	json_auto_t *o = json_object();
	json_t *linux_o = json_object(), *sec = json_object(), *cg = json_object();
	char *text;

	if (argc > 1)
		return rt_error_set(err, 0, "features: takes no arguments");
	rt_seccomp_features(&sf);
	json_object_set_new(o, "ociVersionMin", json_string("1.0.0"));
	json_object_set_new(o, "ociVersionMax", json_string("1.2.0"));
	json_object_set_new(o, "hooks", strings(hooks));
	json_object_set_new(o, "mountOptions", strings(mount_options));
	json_object_set_new(linux_o, "namespaces", strings(ns));
	json_object_set_new(linux_o, "capabilities", strings(rt_cap_names()));
	json_object_set_new(cg, "v1", json_true());
	json_object_set_new(cg, "v2", json_true());
	json_object_set_new(cg, "systemd", json_false());
	json_object_set_new(cg, "systemdUser", json_false());
	json_object_set_new(cg, "rdma", json_true()); /* linux.resources.rdma -> rdma.max */
	json_object_set_new(linux_o, "cgroup", cg);
	json_object_set_new(sec, "enabled", json_true());
	json_object_set_new(sec, "actions", strings(sf.actions));
	json_object_set_new(sec, "operators", strings(sf.operators));
	json_object_set_new(sec, "archs", strings(sf.archs));
	json_object_set_new(sec, "knownFlags", strings(sf.flags));
	json_object_set_new(sec, "supportedFlags", strings(sf.flags));
	json_object_set_new(linux_o, "seccomp", sec);
	/* features-linux.md: "enabled" says whether the support is built in, not whether the
	 * host has it.  husk applies process.apparmorProfile and process.selinuxLabel
	 * (process.c), and idmapped mounts (mounts[].uidMappings, "idmap"): clients such as
	 * containerd look for mountExtensions.idmap before they ask for one. */
	json_object_set_new(linux_o, "apparmor", json_pack("{s:b}", "enabled", 1));
	json_object_set_new(linux_o, "selinux", json_pack("{s:b}", "enabled", 1));
	json_object_set_new(linux_o, "intelRdt", json_pack("{s:b}", "enabled", 0));
	json_object_set_new(linux_o, "mountExtensions",
			    json_pack("{s:{s:b}}", "idmap", "enabled", 1));
	json_object_set_new(o, "linux", linux_o);
	/* which backend this host gets: unified (v2), hybrid or legacy (v1 controllers) */
	enum cg_layout layout;
	struct rt_error e2 = RT_ERROR_INIT;
	const char *lname = cg_layout_detect(&layout, &e2) == 0 ? cg_layout_name(layout) : "none";
	rt_error_release(&e2);
	json_object_set_new(o, "annotations",
			    json_pack("{s:s,s:s,s:s}", "io.github.seccomp.libseccomp.version",
				      sf.lib_version, "org.husk.version", HUSK_VERSION,
				      "org.husk.cgroup.layout", lname));
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	return 0;
}

const struct rt_command rt_cmd_features = {
    .name = "features",
    .summary = "print the runtime-spec features.json of this husk",
    .usage = "usage: husk features\n"
	     "Prints what husk really supports: hooks, mount options, namespaces, capabilities,\n"
	     "cgroup v1 and v2 (the annotation org.husk.cgroup.layout names this host's\n"
	     "layout: unified, hybrid or legacy), and the seccomp actions, operators, "
	     "architectures and flags of the\n"
	     "linked libseccomp.\n",
    .run = run_features,
};
