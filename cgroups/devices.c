#define _GNU_SOURCE
#include "cgroup.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/cleanup.h"

/* cgroup v2 has no devices controller: device access is decided by a BPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup.  It gets struct bpf_cgroup_dev_ctx
 * (access_type = type | access << 16, major, minor) and returns 1 to allow, 0 to deny.  The
 * program is generated here instruction by instruction: no libbpf, no compiler. */

#define ALL_ACCESS (CG_DEV_READ | CG_DEV_WRITE | CG_DEV_MKNOD)

/* runc's default allow-list (libcontainer/specconv AllowedDevices). */
static const struct cg_device_rule default_rules[] = {
    {1, 'c', -1, -1, CG_DEV_MKNOD}, /* mknod of any device; using it needs a rule below */
    {1, 'b', -1, -1, CG_DEV_MKNOD}, {1, 'c', 1, 3, ALL_ACCESS}, /* /dev/null */
    {1, 'c', 1, 5, ALL_ACCESS},					/* /dev/zero */
    {1, 'c', 1, 7, ALL_ACCESS},					/* /dev/full */
    {1, 'c', 1, 8, ALL_ACCESS},					/* /dev/random */
    {1, 'c', 1, 9, ALL_ACCESS},					/* /dev/urandom */
    {1, 'c', 5, 0, ALL_ACCESS},					/* /dev/tty */
    {1, 'c', 5, 1, ALL_ACCESS},					/* /dev/console */
    {1, 'c', 5, 2, ALL_ACCESS},					/* /dev/ptmx */
    {1, 'c', 136, -1, ALL_ACCESS},				/* /dev/pts/N */
    {1, 'c', 10, 200, ALL_ACCESS},				/* /dev/net/tun */
};

const struct cg_device_rule *cg_default_device_rules(size_t *ret_n)
{
	*ret_n = ARRAY_SIZE(default_rules);
	return default_rules;
}

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off)	   INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm)	   INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src)	   INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm)	   INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_IMM(op, dst, imm, off) INSN(BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define EXIT_INSN()		   INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { R0 = 0, R1, R2, R3, R4, R5, R6 };

/* One rule as a block of at most 8 instructions; every "no match" jump lands just past the
 * block (fixed up once the block length is known).  Registers on entry: r2 type, r3 access,
 * r4 major, r5 minor.  *ret_final is set when the block has no "no match" jump: it decides
 * every access, so nothing may follow it (the verifier refuses unreachable instructions with
 * EINVAL). */
static size_t rule_block(const struct cg_device_rule *r, struct bpf_insn *b, int *ret_final)
{
	size_t n = 0;
	size_t jumps[8], nj = 0;

	if (r->type != 'a') {
		int t = r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
		jumps[nj++] = n;
		b[n++] = JMP_IMM(BPF_JNE, R2, t, 0);
	}
	if ((r->access & ALL_ACCESS) != ALL_ACCESS) {
		b[n++] = MOV32_REG(R6, R3);
		if (r->allow) {
			/* an allow rule must cover every access asked for */
			b[n++] = ALU32_IMM(BPF_AND, R6, (int32_t)(~r->access & ALL_ACCESS));
			jumps[nj++] = n;
			b[n++] = JMP_IMM(BPF_JNE, R6, 0, 0);
		} else {
			/* a deny rule applies as soon as it covers one of the accesses asked for:
			 * deny "w" must stop an open for "rw" */
			b[n++] = ALU32_IMM(BPF_AND, R6, (int32_t)r->access);
			jumps[nj++] = n;
			b[n++] = JMP_IMM(BPF_JEQ, R6, 0, 0);
		}
	}
	if (r->major >= 0) {
		jumps[nj++] = n;
		b[n++] = JMP_IMM(BPF_JNE, R4, (int32_t)r->major, 0);
	}
	if (r->minor >= 0) {
		jumps[nj++] = n;
		b[n++] = JMP_IMM(BPF_JNE, R5, (int32_t)r->minor, 0);
	}
	b[n++] = MOV64_IMM(R0, r->allow ? 1 : 0);
	b[n++] = EXIT_INSN();
	for (size_t i = 0; i < nj; i++)
		b[jumps[i]].off = (int16_t)(n - jumps[i] - 1);
	*ret_final = nj == 0;
	return n;
}

int cg_devices_program(const struct cg_device_rule *rules, size_t n, void **ret, size_t *ret_n,
		       struct rt_error *err)
{
	const size_t prologue = 6, epilogue = 2, per_rule = 8;
	cleanup_free struct bpf_insn *p = calloc(prologue + epilogue + n * per_rule, sizeof(*p));
	size_t len = 0;

	if (p == NULL)
		return rt_error_set(err, ENOMEM, "device program");
	p[len++] = LDX_W(R2, R1, 0); /* access_type */
	p[len++] = ALU32_IMM(BPF_AND, R2, 0xffff);
	p[len++] = LDX_W(R3, R1, 0);
	p[len++] = ALU32_IMM(BPF_RSH, R3, 16);
	p[len++] = LDX_W(R4, R1, 4); /* major */
	p[len++] = LDX_W(R5, R1, 8); /* minor */
	/* the last matching rule wins: test from the end of the list */
	int final = 0;
	for (size_t i = n; i-- > 0;) {
		const struct cg_device_rule *r = &rules[i];
		if (r->type != 'a' && r->type != 'c' && r->type != 'b')
			return rt_error_set(err, EINVAL, "devices[%zu]: type `%c` is not a, b or c",
					    i, r->type);
		if (r->major > INT32_MAX || r->minor > INT32_MAX || r->major < -1 || r->minor < -1)
			return rt_error_set(err, EINVAL, "devices[%zu]: major/minor out of range",
					    i);
		if ((r->access & ALL_ACCESS) == 0 || final)
			continue; /* grants or denies nothing, or shadowed by a catch-all */
		len += rule_block(r, p + len, &final);
	}
	/* a catch-all rule (runc's default {"allow": false, "access": "rwm"}) already ended the
	 * program: a default deny after it would be dead code, which the verifier rejects */
	if (!final) {
		p[len++] = MOV64_IMM(R0, 0); /* no rule matched: deny */
		p[len++] = EXIT_INSN();
	}
	*ret_n = len;
	*ret = TAKE_PTR(p);
	return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* A refused BPF_PROG_LOAD: the verifier says why only in its log (EINVAL covers unreachable
 * code, bad jumps, bad registers; EACCES covers unsafe accesses), so load once more with the
 * log on and keep its last line, which names the fault ("unreachable insn 69").  Without
 * CAP_BPF/CAP_SYS_ADMIN (EPERM) there is no log to fetch. */
static int load_error(union bpf_attr *attr, size_t n_insns, struct rt_error *err)
{
	int saved = errno;
	const size_t size = 1 << 16;
	cleanup_free char *log = saved == EPERM ? NULL : calloc(1, size);

	if (log) {
		attr->log_buf = (uint64_t)(uintptr_t)log;
		attr->log_size = (uint32_t)size;
		attr->log_level = 1;
		cleanup_close int fd = sys_bpf(BPF_PROG_LOAD, attr);
		size_t len = strnlen(log, size);
		while (len > 0 && log[len - 1] == '\n')
			log[--len] = '\0';
		char *last = strrchr(log, '\n');
		last = last ? last + 1 : log;
		if (fd < 0 && *last)
			return rt_error_set(err, saved,
					    "load device program (%zu instructions): %s", n_insns,
					    last);
	}
	return rt_error_set(err, saved, "load device program (%zu instructions)", n_insns);
}

/* Detach every device program attached to cgfd except keep_id. */
static int detach_others(int cgfd, uint32_t keep_id, struct rt_error *err)
{
	uint32_t ids[64];
	union bpf_attr q;

	memset(&q, 0, sizeof(q));
	q.query.target_fd = (uint32_t)cgfd;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t)(uintptr_t)ids;
	q.query.prog_cnt = ARRAY_SIZE(ids);
	if (sys_bpf(BPF_PROG_QUERY, &q) < 0)
		return rt_error_set(err, errno, "query device programs");
	for (uint32_t i = 0; i < q.query.prog_cnt && i < ARRAY_SIZE(ids); i++) {
		if (ids[i] == keep_id)
			continue;
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.prog_id = ids[i];
		cleanup_close int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* detached meanwhile */
			return rt_error_set(err, errno, "open device program %u", ids[i]);
		}
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)cgfd;
		a.attach_bpf_fd = (uint32_t)fd;
		a.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
			return rt_error_set(err, errno, "detach device program %u", ids[i]);
	}
	return 0;
}

int cg_devices_build(const struct cg_device_rule *rules, size_t n, int with_defaults, void **ret,
		     size_t *ret_n, struct rt_error *err)
{
	cleanup_free struct cg_device_rule *all = NULL;
	size_t n_all = n + (with_defaults ? ARRAY_SIZE(default_rules) : 0);

	all = calloc(n_all ? n_all : 1, sizeof(*all));
	if (all == NULL)
		return rt_error_set(err, ENOMEM, "device rules");
	if (n)
		memcpy(all, rules, n * sizeof(*all));
	/* the defaults come after the spec's rules, as in runc: a spec cannot take them away */
	if (with_defaults)
		memcpy(all + n, default_rules, sizeof(default_rules));
	return cg_devices_program(all, n_all, ret, ret_n, err);
}

int cg_devices_attach_program(int cgfd, const void *insns, size_t n_insns, int replace,
			      struct rt_error *err)
{
	cleanup_close int prog = -1;
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n_insns;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	prog = sys_bpf(BPF_PROG_LOAD, &attr);
	if (prog < 0)
		return load_error(&attr, n_insns, err);

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgfd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	/* ALLOW_MULTI so an update can attach the new program before detaching the old one:
	 * the cgroup is never without a device policy */
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return rt_error_set(err, errno, "attach device program");
	if (replace) {
		struct bpf_prog_info info;
		memset(&info, 0, sizeof(info));
		memset(&attr, 0, sizeof(attr));
		attr.info.bpf_fd = (uint32_t)prog;
		attr.info.info_len = sizeof(info);
		attr.info.info = (uint64_t)(uintptr_t)&info;
		if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0)
			return rt_error_set(err, errno, "device program info");
		if (detach_others(cgfd, info.id, err) < 0)
			return -1;
	}
	return 0;
}

int cg_devices_apply(int cgfd, const struct cg_device_rule *rules, size_t n, int with_defaults,
		     int replace, struct rt_error *err)
{
	cleanup_free void *insns = NULL;
	size_t n_insns = 0;

	if (cg_devices_build(rules, n, with_defaults, &insns, &n_insns, err) < 0)
		return -1;
	return cg_devices_attach_program(cgfd, insns, n_insns, replace, err);
}
