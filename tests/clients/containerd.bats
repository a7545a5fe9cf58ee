#!/usr/bin/env bats
# containerd (Debian's 1.6) and ctr, through the io.containerd.runc.v2 shim with
# `--runc-binary` = runc, then husk.
#
# containerd runs with its own config: root, state, gRPC and ttrpc sockets all under the
# suite's tmpdir, the CRI plugin off.  It is started by hand in setup_file and stopped by its
# pid in teardown_file (with any shim left behind, by the pids the shims recorded).  The image
# is an OCI archive of busybox-static made by tests/helpers/mkimage and `ctr image import`ed.
# The runtime's own state goes to --runc-root under the tmpdir too.  What containerd writes
# outside them (/run/containerd/s and fifo) goes at the end when the suite made it.

load lib

NS=husk-clients

setup_file() {
	command -v containerd >/dev/null || skip "containerd is not installed (make test-deps)"
	command -v ctr >/dev/null || skip "ctr is not installed (make test-deps)"
	export CT=$BATS_FILE_TMPDIR
	local d=$CT/ctd
	mkdir -p "$d"
	# shellcheck disable=SC2086
	note_preexisting $CONTAINERD_FIXED_DIRS
	[ -n "$RUNC" ] && make_wrapper runc "$RUNC"
	make_wrapper husk "$HUSK"
	cat >"$d/config.toml" <<-EOF
		version = 2
		root = "$d/root"
		state = "$d/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
			"io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
			"io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
			"io.containerd.tracing.processor.v1.otlp"]
		[grpc]
		  address = "$d/c.sock"
		[ttrpc]
		  address = "$d/c.sock.ttrpc"
		[debug]
		  address = "$d/debug.sock"
		[metrics]
		  address = ""
	EOF
	containerd --config "$d/config.toml" >"$d/containerd.log" 2>&1 &
	echo $! >"$d/containerd.pid"
	export SOCK=$d/c.sock
	wait_for ctr --address "$SOCK" version || {
		cat "$d/containerd.log" >&2
		return 1
	}
	make_rootfs "$CT/bb"
	"$REPO_DIR/tests/helpers/mkimage" --format oci-archive --tag latest "$CT/bb.tar" "$CT/bb/rootfs"
	c image import --base-name localhost/busybox "$CT/bb.tar" >/dev/null
	c image ls -q | grep -q '^localhost/busybox:latest$' || fail "image import: $(c image ls)"
}

teardown_file() {
	[ -n "${CT:-}" ] || return 0
	local d=$CT/ctd pid f
	cleanup_tasks
	if [ -f "$d/containerd.pid" ]; then
		pid=$(cat "$d/containerd.pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	# shims outlive containerd by design: end the ones this suite started
	for f in "$d"/state/io.containerd.runtime.v2.task/*/*/shim.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
	done
	grep -F "$CT" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	# shellcheck disable=SC2086
	remove_if_ours $CONTAINERD_FIXED_DIRS
}

# c ARGS...: ctr against this suite's containerd
c() {
	timeout 60 ctr --address "$SOCK" --namespace "$NS" "$@"
}

cleanup_tasks() {
	local id
	for id in $(c task ls -q 2>/dev/null); do
		c task kill -s SIGKILL "$id" >/dev/null 2>&1 || true
		c task delete -f "$id" >/dev/null 2>&1 || true
	done
	for id in $(c container ls -q 2>/dev/null); do
		c container delete "$id" >/dev/null 2>&1 || true
	done
}

teardown() {
	cleanup_tasks
}

with_runtime() {
	RT=$1
	runtime_binary "$RT" >/dev/null # skips without runc, fails without a built husk
	: >"$CT/argv-$RT.log"
	"$2"
	check_argv "$RT"
}

# the ctr run options of this scenario's runtime
run_opts() {
	echo --runc-binary "$CT/bin/$RT" --runc-root "$CT/runtime-$RT"
}

task_status() { # ID
	c task ls | awk -v id="$1" '$1 == id {print $3}'
}

wait_task_status() { # ID STATUS
	for _ in $(seq 1 100); do
		[ "$(task_status "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	fail "task $1: status '$(task_status "$1")', waited for '$2'"
}

start_detached() { # ID
	# shellcheck disable=SC2046
	run c run -d $(run_opts) localhost/busybox:latest "$1" sleep 1000
	assert_success
	wait_task_status "$1" RUNNING
}

scn_run_rm() {
	# shellcheck disable=SC2046
	run c run --rm $(run_opts) localhost/busybox:latest "r-$RT" echo hello-from-containerd
	assert_success
	assert_eq "$output" hello-from-containerd "output"
	# shellcheck disable=SC2046
	run c run --rm $(run_opts) localhost/busybox:latest "r-$RT" sh -c 'exit 3'
	assert_eq "$status" 3 "exit code of ctr run"
	called "$RT" create || fail "the runtime was not used: $(cat "$CT/argv-$RT.log")"
	run c container ls -q
	assert_eq "$output" "" "containers left"
}

scn_run_d_exec_kill_delete() {
	start_detached "d-$RT"
	run c task exec --exec-id e1 "d-$RT" sh -c 'echo in-exec; cat /proc/1/cmdline | tr "\0" " "'
	assert_success
	assert_eq "${lines[0]}" in-exec "exec output"
	assert_output_contains "sleep 1000"
	run c task exec --exec-id e2 "d-$RT" sh -c 'exit 4'
	assert_eq "$status" 4 "exit code of task exec"
	called "$RT" exec || fail "task exec did not call the runtime's exec"
	run c task kill -s SIGKILL "d-$RT"
	assert_success
	wait_task_status "d-$RT" STOPPED
	run c task delete "d-$RT"
	assert_success
	run c container delete "d-$RT"
	assert_success
	run c task ls -q
	assert_eq "$output" "" "tasks left"
}

scn_pause_resume() {
	start_detached "p-$RT"
	run c task pause "p-$RT"
	assert_success
	wait_task_status "p-$RT" PAUSED
	run c task resume "p-$RT"
	assert_success
	wait_task_status "p-$RT" RUNNING
	run c task exec --exec-id e1 "p-$RT" echo alive
	assert_success
	assert_eq "$output" alive "exec after resume"
}

scn_metrics() {
	start_detached "m-$RT"
	run c task metrics "m-$RT"
	assert_success
	assert_output_contains "m-$RT"
}

scn_ps() {
	start_detached "s-$RT"
	local pid
	pid=$(c task ls | awk -v id="s-$RT" '$1 == id {print $2}')
	run c task ps "s-$RT"
	assert_success
	assert_output_contains "$pid"
}

# cgroup_value PID V1CONTROLLER V1FILE V2FILE: a file of the cgroup PID is in, read from the
# host: the v1 hierarchy of that controller on hybrid and legacy hosts, cgroup2 on unified ones
cgroup_value() {
	local pid=$1 ctrl=$2 p
	p=$(awk -F: -v c="$ctrl" '{n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3}' "/proc/$pid/cgroup")
	if [ -n "$p" ] && [ -d "/sys/fs/cgroup/$ctrl" ]; then
		cat "/sys/fs/cgroup/$ctrl$p/$3"
	else
		p=$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup")
		cat "/sys/fs/cgroup$p/$4"
	fi
}

# what kubelet's pods ask for through the CRI (cpu shares, a quota, a memory limit), by ctr's
# flags: applied to the container's cgroup as runc applies them
scn_limits() {
	needs_cgroup_limits "$RT"
	# shellcheck disable=SC2046
	run c run -d $(run_opts) --memory-limit 67108864 --cpu-shares 512 --cpus 0.5 \
		localhost/busybox:latest "l-$RT" sleep 1000
	assert_success
	wait_task_status "l-$RT" RUNNING
	local pid
	pid=$(c task ls | awk -v id="l-$RT" '$1 == id {print $2}')
	assert_eq "$(cgroup_value "$pid" memory memory.limit_in_bytes memory.max)" 67108864 "memory limit"
	if [ -d /sys/fs/cgroup/cpu ]; then
		assert_eq "$(cgroup_value "$pid" cpu cpu.shares cpu.weight)" 512 "cpu shares"
		assert_eq "$(cgroup_value "$pid" cpu cpu.cfs_quota_us cpu.max)" 50000 "cpu quota"
	else
		assert_eq "$(cgroup_value "$pid" cpu cpu.shares cpu.weight)" 20 "cpu weight"
		assert_eq "$(cgroup_value "$pid" cpu cpu.cfs_quota_us cpu.max)" "50000 100000" "cpu.max"
	fi
	run c task metrics "l-$RT"
	assert_success
	assert_output_contains "67108864"
}

@test "containerd [runc]: ctr run --rm" { with_runtime runc scn_run_rm; }
@test "containerd [husk]: ctr run --rm" { with_runtime husk scn_run_rm; }
@test "containerd [runc]: run -d, task exec, task kill, task delete" { with_runtime runc scn_run_d_exec_kill_delete; }
@test "containerd [husk]: run -d, task exec, task kill, task delete" { with_runtime husk scn_run_d_exec_kill_delete; }
@test "containerd [runc]: task pause and resume" { with_runtime runc scn_pause_resume; }
@test "containerd [husk]: task pause and resume" { with_runtime husk scn_pause_resume; }
@test "containerd [runc]: task metrics" { with_runtime runc scn_metrics; }
@test "containerd [husk]: task metrics" { with_runtime husk scn_metrics; }
@test "containerd [runc]: task ps" { with_runtime runc scn_ps; }
@test "containerd [husk]: task ps" { with_runtime husk scn_ps; }
@test "containerd [runc]: resource limits (memory, cpu shares, quota)" { with_runtime runc scn_limits; }
@test "containerd [husk]: resource limits (memory, cpu shares, quota)" { with_runtime husk scn_limits; }
