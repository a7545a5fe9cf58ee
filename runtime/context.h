/* What every room of runtime/ is handed: the parsed global options and the cgroup manager.
 * The command line (cli/) fills it once; the library reads it and never includes cli/. */
#ifndef HUSK_RUNTIME_CONTEXT_H
#define HUSK_RUNTIME_CONTEXT_H

enum rt_cgroup_manager {
	RT_CGROUP_MANAGER_CGROUPFS,
	RT_CGROUP_MANAGER_SYSTEMD,
	RT_CGROUP_MANAGER_DISABLED
};

/* Parsed global options (the only process-wide state besides logging). */
struct rt_globals {
	const char *root;  /* --root, default /run/husk: container and pod state */
	const char *store; /* --store, default /var/lib/husk: images and layers */
	const char *log;   /* --log FILE or NULL */
	int log_json;	   /* --log-format json */
	int debug;	   /* --debug */
	enum rt_cgroup_manager cgroup_manager; /* --systemd-cgroup / --cgroup-manager */
	int skip_unavailable_limits;	       /* --skip-unavailable-limits (see README) */
	const char *argv0;
};

#endif
