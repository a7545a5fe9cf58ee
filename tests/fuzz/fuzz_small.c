/* The small parsers of outside input, one per value of the first byte (mod the table size);
 * the rest of the input is the text, NUL-terminated in a buffer of its exact size so that an
 * overread shows.  Cpu and memory node lists, cgroupsPath (plain and systemd), cgroup
 * controller lists, container IDs, image references, digests, transport names, tar member
 * names and whiteouts, IP prefixes, the cgroup files `events`/`ps` read (the same text as
 * cpu.stat, memory.stat, memory.events and io.stat of a scratch directory) and /proc/PID/stat
 * (read from a scratch directory standing in for /proc), and the cgroup v1 mounts of a
 * mountinfo text. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "../../cgroups/cgroup.h"
#include "../../cgroups/v1.h"
#include "../../common/fsutil.h"
#include "../../common/procfs.h"
#include "../../images/digest.h"
#include "../../images/source.h"
#include "../../images/store.h"
#include "../../images/unpack.h"
#include "../../netns/prefix.h"
#include "../../runtime/core/state.h"
#include "fuzz.h"

static int cpulist(char *s, struct rt_error *err)
{
	/* "LIST\nAVAIL": the cpuset and the cpus the kernel offers */
	char *nl = strchr(s, '\n');
	int r;

	if (nl)
		*nl = '\0';
	r = cg_cpulist_check(s, "cpus", err);
	if (r == 0 && nl)
		(void)cg_cpulist_first_outside(s, nl + 1);
	return r;
}

static int cgroups_path(char *s, struct rt_error *err)
{
	char *ret = NULL;
	int r = cg_path_resolve(s, "fuzz-id", "/user.slice/session-1.scope", 0, &ret, err);
	free(ret);
	return r;
}

static int systemd_path(char *s, struct rt_error *err)
{
	char *ret = NULL;
	int r = cg_path_resolve(s, "fuzz-id", "/", CG_PATH_SYSTEMD, &ret, err);
	free(ret);
	return r;
}

static int controllers(char *s, struct rt_error *err)
{
	(void)cg_controllers_parse(s);
	return 0;
}

static int ref(char *s, struct rt_error *err)
{
	char *ret = NULL;
	int r = img_ref_normalize(s, &ret, err);
	free(ret);
	return r;
}

static int digest(char *s, struct rt_error *err)
{
	return img_digest_validate(s, "digest", err);
}

static int transport(char *s, struct rt_error *err)
{
	enum img_source_kind kind;
	char *path = NULL, *tag = NULL;
	int r = img_source_split(s, &kind, &path, &tag, err);
	free(path);
	free(tag);
	return r;
}

static int member(char *s, struct rt_error *err)
{
	enum img_whiteout_kind kind;
	const char *target;

	if (img_member_name_normalize(s, err) < 0)
		return -1;
	return img_whiteout_classify(s, &kind, &target, err);
}

static int prefix(char *s, struct rt_error *err)
{
	struct net_prefix p, q;
	char buf[NET_PREFIX_STRLEN];

	if (net_prefix_parse(s, &p, err) < 0)
		return -1;
	net_prefix_format(&p, buf, sizeof(buf));
	if (net_prefix_parse(buf, &q, err) < 0) {
		fprintf(stderr, "fuzz: `%s` formats as `%s`, which does not parse\n", s, buf);
		abort();
	}
	(void)net_prefix_size(&p);
	return 0;
}

static int stats(char *s, struct rt_error *err)
{
	static const char *const files[] = {"cpu.stat", "memory.stat",	  "memory.events",
					    "io.stat",	"memory.current", "memory.max"};
	char *dir = fuzz_tmpdir();
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct cg_stats st = {0};
	int r;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (dfd < 0 || rt_write_file_at(dfd, files[i], s, strlen(s), O_CREAT, err) < 0)
			abort();
	r = cg_read_stats_at(dfd, &st, err);
	cg_stats_clear(&st);
	close(dfd);
	fuzz_tmpdir_remove(dir);
	return r;
}

/* /proc/PID/stat: comm is the process's own name (prctl PR_SET_NAME), with spaces and ')' */
static int proc_stat(char *s, struct rt_error *err)
{
	char *dir = fuzz_tmpdir();
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	unsigned long long ticks;
	char state;
	int r;

	if (dfd < 0 || mkdirat(dfd, "42", 0755) < 0 ||
	    rt_write_file_at(dfd, "42/stat", s, strlen(s), O_CREAT, err) < 0)
		abort();
	r = rt_proc_start_time(dfd, 42, &ticks, &state, err);
	close(dfd);
	fuzz_tmpdir_remove(dir);
	return r;
}

/* /proc/self/mountinfo as the v1 backend reads it to find the hierarchies (layout.c) */
static int v1_mountinfo(char *s, struct rt_error *err)
{
	struct cg_v1 *v = NULL;
	int r = cg_v1_parse_mountinfo(s, &v, err);

	if (r < 0 && v != NULL)
		abort(); /* a failure hands nothing back */
	if (v)
		cg_v1_free(v, 0);
	return r;
}

static int container_id(char *s, struct rt_error *err)
{
	return rt_validate_id(s, err);
}

static int (*const parsers[])(char *, struct rt_error *) = {
    cpulist,   cgroups_path, systemd_path, controllers, container_id, ref,	    digest,
    transport, member,	     prefix,	   stats,	proc_stat,    v1_mountinfo,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_error err = RT_ERROR_INIT;
	char *s;
	int r;

	if (size == 0)
		return 0;
	s = malloc(size);
	if (s == NULL)
		abort();
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	r = parsers[data[0] % (sizeof(parsers) / sizeof(parsers[0]))](s, &err);
	fuzz_check_result(r, &err);
	free(s);
	return 0;
}
