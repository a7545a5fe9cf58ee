#!/usr/bin/env bats
# The init's and exec's last steps: which calls run under the seccomp filter (a profile written
# for runc allows only those), which fds a created init and an exec'd process hold (the
# CVE-2024-21626 class), and the error texts clients parse to pick 127 or 126.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

# What busybox `sh -c` (echo, sleep) calls, on x86_64 and the others.
BUSYBOX_CALLS='"arch_prctl","brk","mmap","munmap","mprotect","execve","exit","exit_group",
	"getcwd","getpid","getppid","getrandom","getuid","geteuid","prctl","prlimit64","readlink",
	"readlinkat","rseq","rt_sigaction","rt_sigprocmask","rt_sigreturn","set_robust_list",
	"set_tid_address","uname","write","writev","clock_nanosleep","nanosleep"'
# What runc makes once its filter is in place (libcontainer's standard_init_linux.go and
# setns_init_linux.go): switching ids, capabilities, chdir, the fcntl walk, the fifo's open,
# the sync pipe's read and write, execve, and Go's futex.
RUNC_CALLS='"setgroups","setresgid","setresuid","setgid","setuid","capget","capset","chdir",
	"fcntl","openat","read","write","execve","futex"'

# allow_list_profile DEFAULT_ACTION: only the two lists above are allowed.
allow_list_profile() {
	local errno_ret=""
	[ "$1" = SCMP_ACT_ERRNO ] && errno_ret='"defaultErrnoRet": 1,'
	update_config ".linux.seccomp = {\"defaultAction\": \"$1\", $errno_ret
		\"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_AARCH64\"],
		\"syscalls\": [{\"names\": [$BUSYBOX_CALLS, $RUNC_CALLS], \"action\": \"SCMP_ACT_ALLOW\"}]}"
}

# The runtime with a time limit: one that breaks under a filter may hang instead of failing.
husk_t() {
	HUSK_TEST_MARK=$MARK timeout 30 "$HUSK" --root "$STATE_ROOT" "$@"
}

# run, create+start and exec of `sh -c` under the current profile all work.
check_run_create_exec() {
	husk_only "runc 1.1 makes more calls under its filter (close, fstatfs, getdents64, Go's runtime)"
	local out=$BATS_TEST_TMPDIR/io-$ID.out
	set_cmd 'echo run-ok'
	run husk_t run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ] || fail "run: status $status: $output"
	assert_output_contains run-ok

	set_cmd 'echo started; sleep 30'
	husk_t create --bundle "$BUNDLE" "$ID" </dev/null >"$out" 2>&1 || fail "create: $(cat "$out")"
	run husk_t start "$ID"
	[ "$status" -eq 0 ] || fail "start: status $status: $output"
	wait_status "$ID" running
	run husk_t exec "$ID" sh -c 'echo exec-ok' </dev/null
	[ "$status" -eq 0 ] || fail "exec: status $status: $output"
	assert_output_contains exec-ok
	grep -q started "$out" || fail "the started init printed nothing: $(cat "$out")"
}

@test "init order: allow-list profile (ERRNO default), noNewPrivileges false" {
	allow_list_profile SCMP_ACT_ERRNO
	update_config '.process.noNewPrivileges = false'
	check_run_create_exec
}

@test "init order: allow-list profile (ERRNO default), noNewPrivileges true" {
	allow_list_profile SCMP_ACT_ERRNO
	update_config '.process.noNewPrivileges = true'
	check_run_create_exec
}

@test "init order: allow-list profile (KILL_PROCESS default), noNewPrivileges false" {
	allow_list_profile SCMP_ACT_KILL_PROCESS
	update_config '.process.noNewPrivileges = false'
	check_run_create_exec
}

@test "init order: allow-list profile (KILL_PROCESS default), noNewPrivileges true" {
	allow_list_profile SCMP_ACT_KILL_PROCESS
	update_config '.process.noNewPrivileges = true'
	check_run_create_exec
}

@test "init order: a profile denying getcwd, mkdir, close_range, openat2: the program sees EPERM" {
	husk_only "runc 1.1 checks its cwd with getcwd under the filter and fails"
	update_config '.process.noNewPrivileges = false | .process.cwd = "/made/by/husk"
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names":
		["getcwd", "mkdir", "mkdirat", "close_range", "openat2"],
		"action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	set_cmd 'mkdir /x 2>&1; echo mkdir=$?; pwd -P 2>&1; echo started'
	run husk_t run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ] || fail "run: status $status: $output"
	assert_output_contains "mkdir=1"
	assert_output_contains "Operation not permitted"
	assert_output_contains started

	set_cmd 'sleep 30'
	husk_t create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 || fail "create failed"
	run husk_t start "$ID"
	[ "$status" -eq 0 ] || fail "start: status $status: $output"
	run husk_t exec --cwd /made/for/exec "$ID" sh -c 'mkdir /y 2>&1; echo mkdir=$?' </dev/null
	[ "$status" -eq 0 ] || fail "exec: status $status: $output"
	assert_output_contains "mkdir=1"
}

# --- fds ---------------------------------------------------------------------------------------

# fd_targets PID: "N -> target" for each fd of PID.
fd_targets() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		echo "${fd##*/} -> $(readlink "$fd")"
	done
}

@test "init fds: a created init holds none of the caller's or husk's directories" {
	set_cmd 'true'
	husk create --bundle "$BUNDLE" --preserve-fds 1 "$ID" 3</ 7</etc 8<"$BATS_TEST_TMPDIR" \
		</dev/null >/dev/null 2>&1 || fail "create failed"
	local pid fds
	pid=$(state_field "$ID" .pid)
	fds=$(fd_targets "$pid")
	echo "$fds"
	grep -qx '3 -> /' <<<"$fds" || fail "--preserve-fds 1: fd 3 must stay: $fds"
	# everything else: stdio, the sync socket, the exec fifo (runc: Go's own pipes and epoll)
	local bad
	bad=$(grep -vE -e '^[0-3] -> ' -e ' -> (socket|pipe|anon_inode):' -e '/exec\.fifo$' \
		<<<"$fds" || true)
	[ -z "$bad" ] || fail "the created init holds: $bad"
}

@test "init fds: without close_range, a created init still holds nothing of the host" {
	husk_only "tests husk's fallback; runc's init is a fresh execve of runc"
	requires tools
	set_cmd 'true'
	HUSK_TEST_MARK=$MARK "$TOOLS_DIR/enosys" close_range "$HUSK" --root "$STATE_ROOT" create \
		--bundle "$BUNDLE" "$ID" 7</etc 8<"$BATS_TEST_TMPDIR" </dev/null >/dev/null 2>&1 ||
		fail "create under the enosys shim failed"
	local fds bad
	fds=$(fd_targets "$(state_field "$ID" .pid)")
	echo "$fds"
	bad=$(grep -vE -e '^[0-2] -> ' -e ' -> socket:' -e '/exec\.fifo$' <<<"$fds" || true)
	[ -z "$bad" ] || fail "the created init holds: $bad"
}

@test "init fds: run's and exec's program get only stdio and --preserve-fds" {
	set_cmd 'ls /proc/self/fd; sleep 30'
	husk run -d --bundle "$BUNDLE" "$ID" 7</etc 8<"$BATS_TEST_TMPDIR" </dev/null \
		>"$BATS_TEST_TMPDIR/out" 2>&1 || fail "run -d failed: $(cat "$BATS_TEST_TMPDIR/out")"
	wait_status "$ID" running
	local pid
	pid=$(state_field "$ID" .pid)
	run fd_targets "$pid"
	assert_eq "$(grep -cvE '^[0-2] -> ' <<<"$output")" 0 "fds past stdio of run's program: $output"
	run husk exec --preserve-fds 1 "$ID" ls /proc/self/fd 3</ 7</etc 8<"$BATS_TEST_TMPDIR" </dev/null
	assert_success
	# 0-2, the preserved 3, and ls's own directory fd (4)
	assert_eq "$(tr '\n' ' ' <<<"$output")" "0 1 2 3 4 " "exec's fds"
}

# --- error texts -----------------------------------------------------------------------------

# The texts Docker and podman look for (Go's errno strings and exec.ErrNotFound's): 127 for
# the first two, 126 for the third.
NOT_FOUND="executable file not found in \$PATH"
NO_FILE="no such file or directory"
NO_PERM="permission denied"

prepare_bad_programs() {
	mkdir -p "$BUNDLE/rootfs/adir"
	printf 'hello\n' >"$BUNDLE/rootfs/noexec"
	chmod 0644 "$BUNDLE/rootfs/noexec"
}

@test "errors: run and create word a bad program as runc does" {
	prepare_bad_programs
	local args want cmd
	for cmd in run create; do
		for args in "nonexist|$NOT_FOUND" "/nonexistent|$NO_FILE" "/adir|$NO_PERM" \
			"/noexec|$NO_PERM"; do
			want=${args#*|}
			set_args "${args%%|*}"
			run --separate-stderr husk "$cmd" --bundle "$BUNDLE" "$ID" </dev/null
			[ "$status" -ne 0 ] || fail "$cmd ${args%%|*}: succeeded"
			[[ $stderr == *"$want"* ]] || fail "$cmd ${args%%|*}: want '$want' in: $stderr"
			[[ $stderr == *"${args%%|*}"* ]] || fail "$cmd: the program is named: $stderr"
			assert_nothing_left
		done
	done
}

@test "errors: exec words a bad program as runc does" {
	prepare_bad_programs
	set_cmd 'sleep 30'
	husk_create_start
	local args want
	for args in "nonexist|$NOT_FOUND" "/nonexistent|$NO_FILE" "/adir|$NO_PERM" \
		"/noexec|$NO_PERM"; do
		want=${args#*|}
		run --separate-stderr husk exec "$ID" "${args%%|*}" </dev/null
		[ "$status" -ne 0 ] || fail "exec ${args%%|*}: succeeded"
		[[ $stderr == *"$want"* ]] || fail "exec ${args%%|*}: want '$want' in: $stderr"
	done
}

@test "errors: a program the user may not execute: create or start says permission denied" {
	printf '#!/bin/sh\necho hi\n' >"$BUNDLE/rootfs/rootonly"
	chmod 0700 "$BUNDLE/rootfs/rootonly"
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_args /rootonly
	run --separate-stderr husk_create
	if [ "$status" -eq 0 ]; then
		# husk looks the program up before the switch to the user: execve refuses it after
		# `start`, and `start` reports the text the init wrote to the exec fifo
		run --separate-stderr husk start "$ID"
		[ "$status" -ne 0 ] || fail "start of a program uid 1000 may not run succeeded"
	fi
	[[ $stderr == *"$NO_PERM"* ]] || fail "want '$NO_PERM' in: $stderr"
	[[ $stderr == *"/rootonly"* ]] || fail "the program is named: $stderr"
}
