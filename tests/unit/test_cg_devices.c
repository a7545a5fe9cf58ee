#define _GNU_SOURCE
/* cgroups/devices.c: the generated BPF_PROG_TYPE_CGROUP_DEVICE program, run by a small
 * interpreter of the instructions the generator emits, so the rule semantics (last match wins,
 * wildcards, access subsets, default deny) are checked without root or a kernel. */
#include <linux/bpf.h>
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

#define RWM (CG_DEV_READ | CG_DEV_WRITE | CG_DEV_MKNOD)

/* Run the program on one access; returns r0.  Fails the test on an instruction the generator
 * is not supposed to emit, or on a jump out of the program. */
static int run(const struct bpf_insn *p, size_t n, char type, unsigned access, uint32_t major,
	       uint32_t minor)
{
	uint32_t ctx[3] = {(uint32_t)(type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR) |
			       (access << 16),
			   major, minor};
	uint64_t r[11] = {0};

	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];
		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			assert_int_equal(i->src_reg, 1);
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			r[i->dst_reg] = (uint32_t)(r[i->dst_reg] & (uint32_t)i->imm);
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm;
			break;
		case BPF_ALU | BPF_MOV | BPF_X: r[i->dst_reg] = (uint32_t)r[i->src_reg]; break;
		case BPF_ALU64 | BPF_MOV | BPF_K: r[i->dst_reg] = (uint64_t)(int64_t)i->imm; break;
		case BPF_JMP | BPF_JNE | BPF_K:
			if (r[i->dst_reg] != (uint64_t)(int64_t)i->imm)
				pc += (size_t)i->off;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			if (r[i->dst_reg] == (uint64_t)(int64_t)i->imm)
				pc += (size_t)i->off;
			break;
		case BPF_JMP | BPF_EXIT: return (int)r[0];
		default: fail_msg("unexpected opcode 0x%x at %zu", i->code, pc);
		}
		assert_true(pc + 1 <= n);
	}
	fail_msg("program fell off its end");
	return -1;
}

struct prog {
	struct bpf_insn *insns;
	size_t n;
};

/* What the kernel's verifier checks first (check_cfg): every instruction reachable, every jump
 * inside the program, no path falling off the end.  The default spec's catch-all deny once
 * left the final "deny" unreachable, and the kernel refused the program with EINVAL. */
static void assert_verifiable(const struct prog *p)
{
	char *seen = calloc(p->n, 1);
	size_t *todo = calloc(p->n * 2 + 1, sizeof(*todo)), nt = 0;

	assert_non_null(seen);
	assert_non_null(todo);
	todo[nt++] = 0;
	while (nt) {
		size_t pc = todo[--nt];
		if (pc >= p->n)
			fail_msg("control reaches %zu, past the end (%zu instructions)", pc, p->n);
		if (seen[pc])
			continue;
		seen[pc] = 1;
		const struct bpf_insn *i = &p->insns[pc];
		if (i->code == (BPF_JMP | BPF_EXIT))
			continue;
		todo[nt++] = pc + 1;
		if (BPF_CLASS(i->code) == BPF_JMP)
			todo[nt++] = pc + 1 + (size_t)(ssize_t)i->off;
	}
	for (size_t pc = 0; pc < p->n; pc++)
		if (!seen[pc])
			fail_msg("unreachable instruction %zu of %zu", pc, p->n);
	free(seen);
	free(todo);
}

static struct prog build(const struct cg_device_rule *rules, size_t n, int with_defaults)
{
	struct rt_error err = RT_ERROR_INIT;
	struct cg_device_rule all[64];
	size_t nd = 0;
	const struct cg_device_rule *d = cg_default_device_rules(&nd);
	struct prog p = {NULL, 0};
	void *insns = NULL;

	if (n)
		memcpy(all, rules, n * sizeof(*rules));
	if (with_defaults) {
		memcpy(all + n, d, nd * sizeof(*d));
		n += nd;
	}
	if (cg_devices_program(all, n, &insns, &p.n, &err) < 0)
		fail_msg("%s", err.msg);
	p.insns = insns;
	assert_verifiable(&p);
	return p;
}

static void test_defaults(void **state)
{
	(void)state;
	struct cg_device_rule deny_all = {0, 'a', -1, -1, RWM};
	struct prog p = build(&deny_all, 1, 1);

	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_READ | CG_DEV_WRITE, 1, 3), 1); /* null */
	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_READ, 1, 9), 1);		       /* urandom */
	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_WRITE, 136, 7), 1);	       /* pts/7 */
	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_READ, 5, 2), 1);		       /* ptmx */
	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_READ, 1, 1), 0);		       /* mem */
	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_READ, 1, 11), 0);	       /* kmsg */
	assert_int_equal(run(p.insns, p.n, 'b', CG_DEV_READ, 8, 0), 0);		       /* sda */
	/* mknod of anything, but not opening it */
	assert_int_equal(run(p.insns, p.n, 'b', CG_DEV_MKNOD, 8, 0), 1);
	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_MKNOD, 1, 1), 1);
	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_MKNOD | CG_DEV_READ, 1, 1), 0);
	free(p.insns);
}

static void test_no_rules_denies(void **state)
{
	(void)state;
	struct prog p = build(NULL, 0, 0);

	assert_int_equal(p.n, 8); /* 6 loads/shifts + deny */
	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_READ, 1, 3), 0);
	free(p.insns);
}

static void test_last_match_wins(void **state)
{
	(void)state;
	const struct cg_device_rule rules[] = {
	    {1, 'a', -1, -1, RWM},	  /* privileged: everything */
	    {0, 'b', 8, -1, RWM},	  /* but no sd* disks */
	    {1, 'b', 8, 16, CG_DEV_READ}, /* except reading sdb */
	    {0, 'c', 1, 3, CG_DEV_WRITE}, /* and no writing /dev/null */
	};
	struct prog p = build(rules, ARRAY_SIZE(rules), 0);

	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_READ, 10, 229), 1);
	assert_int_equal(run(p.insns, p.n, 'b', CG_DEV_READ, 8, 0), 0);
	assert_int_equal(run(p.insns, p.n, 'b', CG_DEV_READ, 8, 16), 1);
	assert_int_equal(run(p.insns, p.n, 'b', CG_DEV_WRITE, 8, 16), 0);
	/* an allow rule must cover every access asked for */
	assert_int_equal(run(p.insns, p.n, 'b', CG_DEV_READ | CG_DEV_WRITE, 8, 16), 0);
	/* a deny rule hits as soon as it covers one access asked for */
	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_READ | CG_DEV_WRITE, 1, 3), 0);
	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_READ, 1, 3), 1);
	free(p.insns);
}

/* `husk spec`'s linux.resources.devices, [{"allow": false, "access": "rwm"}], followed by the
 * defaults: the catch-all is tested last and ends the program itself. */
static void test_spec_default_catch_all(void **state)
{
	(void)state;
	struct cg_device_rule deny_all = {0, 'a', -1, -1, RWM};
	struct prog p = build(&deny_all, 1, 1);

	assert_int_equal(p.insns[p.n - 2].imm, 0); /* the catch-all's "deny", then exit */
	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_READ, 1, 1), 0);
	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_WRITE, 1, 5), 1);
	free(p.insns);

	/* a catch-all last in the list decides alone: what comes before it is never tested */
	const struct cg_device_rule rules[] = {{1, 'c', 1, 3, RWM}, {0, 'a', -1, -1, RWM}};
	p = build(rules, ARRAY_SIZE(rules), 0);
	assert_int_equal(p.n, 8); /* 6 loads/shifts + deny */
	assert_int_equal(run(p.insns, p.n, 'c', CG_DEV_READ, 1, 3), 0);
	free(p.insns);

	const struct cg_device_rule allow_all[] = {{1, 'a', -1, -1, RWM}};
	p = build(allow_all, 1, 0);
	assert_int_equal(p.n, 8);
	assert_int_equal(run(p.insns, p.n, 'b', CG_DEV_READ | CG_DEV_WRITE, 8, 0), 1);
	free(p.insns);
}

static void test_bad_rules(void **state)
{
	(void)state;
	struct rt_error err = RT_ERROR_INIT;
	void *insns = NULL;
	size_t n = 0;
	struct cg_device_rule bad_type = {1, 'x', 1, 1, RWM};
	struct cg_device_rule bad_major = {1, 'c', -2, 1, RWM};

	assert_int_equal(cg_devices_program(&bad_type, 1, &insns, &n, &err), -1);
	assert_string_equal(err.msg, "devices[0]: type `x` is not a, b or c: invalid argument");
	rt_error_release(&err);
	assert_int_equal(cg_devices_program(&bad_major, 1, &insns, &n, &err), -1);
	rt_error_release(&err);
	assert_null(insns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	    cmocka_unit_test(test_no_rules_denies),
	    cmocka_unit_test(test_last_match_wins), cmocka_unit_test(test_spec_default_catch_all),
	    cmocka_unit_test(test_bad_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
