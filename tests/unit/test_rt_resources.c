#define _GNU_SOURCE
/* runtime/spec/spec_resources.c: OCI linux.resources -> struct cg_limits, every field and every
 * refusal with the message that names the field. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../cgroups/cgroup.h"
#include "../../common/cleanup.h"
#include "../../runtime/spec/spec_resources.h"

static struct cg_limits *parse_ok(const char *text)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = NULL;
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (j == NULL)
		fail_msg("bad test JSON: %s", jerr.text);
	if (rt_spec_parse_resources(j, &l, &err) < 0)
		fail_msg("%s: %s", text, err.msg);
	json_decref(j);
	return l;
}

static void parse_bad(const char *text, const char *want)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = NULL;
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	assert_int_equal(rt_spec_parse_resources(j, &l, &err), -1);
	assert_null(l);
	if (strcmp(err.msg, want) != 0)
		fail_msg("%s:\n got  `%s`\n want `%s`", text, err.msg, want);
	rt_error_release(&err);
	json_decref(j);
}

static void test_everything(void **state)
{
	(void)state;
	struct cg_limits *l = parse_ok(
	    "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
	    "   {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": "
	    "\"rw\"}],"
	    " \"memory\": {\"limit\": 536870912, \"reservation\": 268435456, \"swap\": 1073741824,"
	    "   \"kernel\": -1, \"kernelTCP\": -1, \"swappiness\": 0, \"disableOOMKiller\": true},"
	    " \"cpu\": {\"shares\": 2048, \"quota\": 50000, \"period\": 100000, \"burst\": 10000,"
	    "   \"idle\": 0, \"cpus\": \"0-1\", \"mems\": \"0\", \"realtimeRuntime\": 0},"
	    " \"pids\": {\"limit\": 100},"
	    " \"blockIO\": {\"weight\": 500, \"leafWeight\": 300,"
	    "   \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 600}],"
	    "   \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}],"
	    "   \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 100}]},"
	    " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 209715200}],"
	    " \"network\": {\"classID\": 1048577},"
	    " \"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}},"
	    " \"unified\": {\"memory.high\": \"400000000\", \"io.latency\": \"8:0 target=60\"}}");

	/* the fields only the v1 backend writes */
	assert_true(l->has_memory_swappiness);
	assert_int_equal(l->memory_swappiness, 0);
	assert_true(l->has_io_leaf_weight);
	assert_int_equal(l->io_leaf_weight, 300);
	assert_true(l->has_net_classid);
	assert_int_equal(l->net_classid, 1048577);
	assert_false(l->has_cpu_rt_runtime);
	assert_int_equal(l->n_devices, 2);
	assert_true(l->has_devices);
	assert_int_equal(l->devices[0].allow, 0);
	assert_int_equal(l->devices[0].type, 'a');
	assert_int_equal(l->devices[0].major, -1);
	assert_int_equal(l->devices[1].type, 'c');
	assert_int_equal(l->devices[1].minor, 229);
	assert_int_equal(l->devices[1].access, CG_DEV_READ | CG_DEV_WRITE);
	assert_true(l->has_memory_limit && l->has_memory_reservation && l->has_memory_swap);
	assert_int_equal(l->memory_limit, 536870912);
	assert_int_equal(l->memory_reservation, 268435456);
	assert_int_equal(l->memory_swap, 1073741824);
	assert_true(l->disable_oom_killer);
	assert_int_equal(l->cpu_shares, 2048);
	assert_int_equal(l->cpu_quota, 50000);
	assert_int_equal(l->cpu_period, 100000);
	assert_int_equal(l->cpu_burst, 10000);
	assert_true(l->has_cpu_idle);
	assert_string_equal(l->cpuset_cpus, "0-1");
	assert_string_equal(l->cpuset_mems, "0");
	assert_int_equal(l->pids_limit, 100);
	assert_int_equal(l->io_weight, 500);
	assert_int_equal(l->n_weight_devices, 1);
	assert_int_equal(l->weight_devices[0].weight, 600);
	assert_int_equal(l->n_throttle_devices, 2);
	assert_int_equal(l->throttle_devices[0].kind, CG_THROTTLE_RBPS);
	assert_int_equal(l->throttle_devices[0].rate, 1048576);
	assert_int_equal(l->throttle_devices[1].kind, CG_THROTTLE_WIOPS);
	assert_int_equal(l->throttle_devices[1].minor, 16);
	assert_int_equal(l->n_hugetlb, 1);
	assert_string_equal(l->hugetlb[0].page_size, "2MB");
	assert_int_equal(l->n_rdma, 1);
	assert_string_equal(l->rdma[0].device, "mlx5_1");
	assert_int_equal(l->rdma[0].hca_objects, 10000);
	assert_int_equal(l->n_unified, 2);
	assert_string_equal(l->unified[1].key, "io.latency");
	assert_int_equal(cg_limits_controllers(l),
			 CG_BIT(CG_MEMORY) | CG_BIT(CG_CPU) | CG_BIT(CG_CPUSET) | CG_BIT(CG_PIDS) |
			     CG_BIT(CG_IO) | CG_BIT(CG_HUGETLB) | CG_BIT(CG_RDMA));
	cg_limits_free(l);
}

static void test_absent_and_unset(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = (void *)1;
	(void)state;

	assert_int_equal(rt_spec_parse_resources(NULL, &l, &err), 0);
	assert_null(l);
	json_t *null = json_null();
	assert_int_equal(rt_spec_parse_resources(null, &l, &err), 0);
	assert_null(l);
	json_decref(null);

	/* runc's "not set" values: 0 shares, 0 pids, "" cpus; -1 means unlimited */
	l = parse_ok("{\"cpu\": {\"shares\": 0, \"cpus\": \"\", \"quota\": -1},"
		     " \"pids\": {\"limit\": 0}, \"memory\": {\"limit\": -1, \"swap\": -1}}");
	assert_false(l->has_cpu_shares);
	assert_null(l->cpuset_cpus);
	assert_true(l->has_cpu_quota);
	assert_int_equal(l->cpu_quota, CG_MAX);
	assert_false(l->has_pids_limit);
	assert_int_equal(l->memory_limit, CG_MAX);
	assert_int_equal(l->memory_swap, CG_MAX);
	assert_false(l->has_devices);
	cg_limits_free(l);
	/* docker run --cpu-quota N without --cpu-period: the cgroup's (kernel default) period */
	l = parse_ok("{\"cpu\": {\"quota\": 20000}}");
	assert_true(l->has_cpu_quota);
	assert_false(l->has_cpu_period);
	cg_limits_free(l);
	l = parse_ok("{\"pids\": {\"limit\": -1}}");
	assert_int_equal(l->pids_limit, CG_MAX);
	cg_limits_free(l);
}

static void test_refusals(void **state)
{
	(void)state;
	parse_bad("[]", "linux.resources: must be an object");
	parse_bad("{\"memory\": {\"limit\": -5}}",
		  "linux.resources.memory.limit: must be positive, or -1 for no limit");
	parse_bad("{\"memory\": {\"limit\": \"1G\"}}",
		  "linux.resources.memory.limit: must be an integer");
	parse_bad(
	    "{\"memory\": {\"limit\": 100, \"swap\": 50}}",
	    "linux.resources.memory.swap: memory+swap 50 must not be below the memory limit 100");
	parse_bad("{\"memory\": {\"swap\": 50}}",
		  "linux.resources.memory.swap: a swap limit needs memory.limit");
	parse_bad("{\"cpu\": {\"quota\": -7, \"period\": 100000}}",
		  "linux.resources.cpu.quota: must be at least 1000 (usec), or -1 for no limit");
	parse_bad("{\"cpu\": {\"period\": 10}}",
		  "linux.resources.cpu.period: 10 is outside 1000..1000000 (usec)");
	parse_bad("{\"cpu\": {\"shares\": 1}}",
		  "linux.resources.cpu.shares: 1 is outside 2..262144");
	parse_bad("{\"cpu\": {\"idle\": 2}}", "linux.resources.cpu.idle: must be 0 or 1");
	parse_bad("{\"network\": {\"priorities\": [{\"name\": \"a b\", \"priority\": 1}]}}",
		  "linux.resources.network.priorities[0].name: must be a network interface name");
	parse_bad("{\"cpu\": {\"cpus\": \"0-a\"}}",
		  "linux.resources.cpu.cpus: `0-a` is not a list like \"0-3,7\"");
	parse_bad("{\"blockIO\": {\"weight\": 5}}",
		  "linux.resources.blockIO.weight: 5 is outside 10..1000");
	parse_bad("{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0}]}}",
		  "linux.resources.blockIO.throttleReadBpsDevice[0].rate: is required");
	parse_bad("{\"blockIO\": {\"weightDevice\": [{\"minor\": 0, \"weight\": 10}]}}",
		  "linux.resources.blockIO.weightDevice[0]: major is required");
	parse_bad(
	    "{\"hugepageLimits\": [{\"pageSize\": \"2MB/../x\", \"limit\": 1}]}",
	    "linux.resources.hugepageLimits[0].pageSize: must be a size like \"2MB\" or \"1GB\"");
	parse_bad("{\"hugepageLimits\": [{\"pageSize\": \"2MB\"}]}",
		  "linux.resources.hugepageLimits[0]: limit is required");
	parse_bad("{\"rdma\": {\"mlx 1\": {\"hcaHandles\": 1}}}",
		  "linux.resources.rdma[\"mlx 1\"]: not a valid RDMA device name");
	parse_bad("{\"unified\": {\"../memory.max\": \"1\"}}",
		  "linux.resources.unified[\"../memory.max\"]: must be a cgroup file name (no "
		  "\"/\", no \"..\")");
	parse_bad(
	    "{\"unified\": {\"..\": \"1\"}}",
	    "linux.resources.unified[\"..\"]: must be a cgroup file name (no \"/\", no \"..\")");
	parse_bad(
	    "{\"unified\": {\"a/b\": \"1\"}}",
	    "linux.resources.unified[\"a/b\"]: must be a cgroup file name (no \"/\", no \"..\")");
	parse_bad("{\"unified\": {\"cgroup.procs\": \"1\"}}",
		  "linux.resources.unified[\"cgroup.procs\"]: is managed by the runtime");
	parse_bad("{\"unified\": {\"memory.high\": 5}}",
		  "linux.resources.unified[\"memory.high\"]: must be a string");
	parse_bad("{\"devices\": [{\"access\": \"rwm\"}]}",
		  "linux.resources.devices[0]: allow is required");
	parse_bad("{\"devices\": [{\"allow\": true, \"type\": \"x\"}]}",
		  "linux.resources.devices[0].type: must be \"a\", \"c\" or \"b\"");
	parse_bad("{\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}",
		  "linux.resources.devices[0].access: must be letters of \"rwm\"");
	parse_bad("{\"devices\": {}}", "linux.resources.devices: must be an array");
}

static void test_update_file(void **state)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = NULL;
	const char *ok = "{\"cpu\": {\"quota\": 20000}, \"memory\": {\"swap\": 300}}";
	const char *bad = "{\"pids\": {\"limit\": \"x\"}}";
	(void)state;

	/* update: a quota alone keeps the cgroup's period; swap alone uses the current limit */
	assert_int_equal(rt_resources_parse_update(ok, strlen(ok), "r.json", &l, &err), 0);
	assert_true(l->has_cpu_quota);
	assert_false(l->has_cpu_period);
	assert_true(l->has_memory_swap);
	cg_limits_free(l);
	assert_int_equal(rt_resources_parse_update(bad, strlen(bad), "r.json", &l, &err), -1);
	assert_string_equal(err.msg, "r.json: pids.limit: must be an integer");
	rt_error_release(&err);
	assert_int_equal(rt_resources_parse_update("{", 1, "r.json", &l, &err), -1);
	assert_non_null(strstr(err.msg, "r.json: line 1"));
	rt_error_release(&err);
	assert_int_equal(rt_resources_parse_update("[]", 2, "r.json", &l, &err), -1);
	assert_string_equal(err.msg, "r.json: must be a JSON object of linux.resources");
	rt_error_release(&err);
}

/* The documents Docker and containerd hand to `update -r -`, in the shape they marshal them
 * (Go's encoding of specs.LinuxResources): every limit the user did not give is 0, which runc
 * takes as "leave it as it is". */
static struct cg_limits *parse_update_ok(const char *text)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_limits *l = NULL;

	if (rt_resources_parse_update(text, strlen(text), "stdin", &l, &err) < 0)
		fail_msg("%s: %s", text, err.msg);
	assert_non_null(l);
	return l;
}

/* docker update's memory and blockIO parts when it changes neither */
#define DOCKER_MEM0   "\"memory\":{\"limit\":0,\"reservation\":0,\"kernel\":0}"
#define DOCKER_BLKIO0 "\"blockIO\":{\"weight\":0}"

static void test_update_zero_is_unchanged(void **state)
{
	struct cg_limits *l;
	(void)state;

	/* `docker update --restart always` (no limit): libcontainerd's toContainerdResources */
	l = parse_update_ok("{" DOCKER_MEM0 ",\"cpu\":{\"shares\":0,\"quota\":0,\"period\":0},"
			    "" DOCKER_BLKIO0 "}");
	assert_int_equal(cg_limits_controllers(l), 0);
	assert_false(l->has_memory_limit || l->has_memory_reservation || l->has_memory_swap);
	assert_false(l->has_cpu_shares || l->has_cpu_quota || l->has_cpu_period);
	assert_false(l->has_io_weight || l->has_pids_limit);
	cg_limits_free(l);

	/* `docker update --pids-limit 200` */
	l = parse_update_ok("{" DOCKER_MEM0 ",\"cpu\":{\"shares\":0,\"quota\":0,\"period\":0},"
			    "" DOCKER_BLKIO0 ",\"pids\":{\"limit\":200}}");
	assert_int_equal(cg_limits_controllers(l), CG_BIT(CG_PIDS));
	assert_int_equal(l->pids_limit, 200);
	cg_limits_free(l);

	/* `docker update --cpus 0.5`: quota and period of 100 ms, the rest 0 */
	l = parse_update_ok("{" DOCKER_MEM0 ",\"cpu\":{\"shares\":0,\"quota\":50000,"
			    "\"period\":100000}," DOCKER_BLKIO0 "}");
	assert_int_equal(cg_limits_controllers(l), CG_BIT(CG_CPU));
	assert_int_equal(l->cpu_quota, 50000);
	assert_int_equal(l->cpu_period, 100000);
	cg_limits_free(l);

	/* `docker update --memory 256m --memory-swap 512m` */
	l = parse_update_ok("{\"memory\":{\"limit\":268435456,\"reservation\":0,\"swap\":536870912,"
			    "\"kernel\":0},\"cpu\":{\"shares\":0,\"quota\":0,\"period\":0},"
			    "\"blockIO\":{\"weight\":0}}");
	assert_int_equal(cg_limits_controllers(l), CG_BIT(CG_MEMORY));
	assert_true(l->has_memory_limit && l->has_memory_swap);
	assert_false(l->has_memory_reservation);
	cg_limits_free(l);

	/* containerd's CRI UpdateContainerResources: the container's whole resources, the deny-all
	 * device rule and pids 0 included (go-runc marshals specs.LinuxResources as it is) */
	l = parse_update_ok("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
			    "\"memory\":{\"limit\":268435456,\"swap\":0},"
			    "\"cpu\":{\"shares\":256,\"quota\":50000,\"period\":100000,"
			    "\"realtimeRuntime\":0,\"realtimePeriod\":0},\"pids\":{\"limit\":0}}");
	assert_true(l->has_memory_limit && l->has_cpu_shares && l->has_cpu_quota);
	assert_false(l->has_memory_swap || l->has_pids_limit);
	cg_limits_free(l);

	/* the same zeros in config.json: not set, as runc takes them (a limit of 0 bytes would
	 * kill the container at once) */
	l = parse_ok("{\"memory\": {\"limit\": 0, \"reservation\": 0, \"swap\": 0}}");
	assert_int_equal(cg_limits_controllers(l), 0);
	cg_limits_free(l);
	/* swappiness -1 as Go's uint64 (Docker's "unset"), as runc takes it; 101 is refused */
	l = parse_update_ok("{\"memory\": {\"swappiness\": 18446744073709551615}}");
	assert_int_equal(cg_limits_controllers(l), 0);
	cg_limits_free(l);
	parse_bad("{\"memory\": {\"swappiness\": 101}}",
		  "linux.resources.memory.swappiness: 101 is out of range [0, 100]");
	/* unlimited memory with swap 0 keeps the v1 rule: swap unlimited too (at apply time) */
	l = parse_update_ok("{\"memory\":{\"limit\":-1,\"swap\":0}}");
	assert_true(l->has_memory_limit);
	assert_false(l->has_memory_swap);
	cg_limits_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_everything),
	    cmocka_unit_test(test_absent_and_unset),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_update_file),
	    cmocka_unit_test(test_update_zero_is_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
