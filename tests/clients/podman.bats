#!/usr/bin/env bats
# podman (Debian's 4.3, through conmon) with `--runtime /abs/path` = runc, then husk.
#
# Everything under the suite's tmpdir: --root/--runroot/--tmpdir, the vfs storage driver, the
# cgroupfs manager, the file events backend, and a containers.conf (CONTAINERS_CONF) that says
# the same, because conmon's exit command (`podman container cleanup`) is built from both.
# containers.conf lists husk in runtime_supports_json (podman passes --log-format json only to
# those), sets default_ulimits to what this host allows (no CAP_SYS_RESOURCE here: podman's
# defaults would raise hard limits).  podman's default pids_limit (2048) stays: every container
# has a pids limit, which on a cgroup v1 host needs husk's v1 backend, so with_runtime calls
# needs_cgroup_limits (lib.bash).  Networking: --network none, and a pod whose containers
# share the infra container's network namespace (its loopback only).

load lib

setup_file() {
	command -v podman >/dev/null || skip "podman is not installed (make test-deps)"
	command -v conmon >/dev/null || skip "conmon is not installed (make test-deps)"
	export CT=$BATS_FILE_TMPDIR
	mkdir -p "$CT/tmp"
	local rt
	for rt in runc husk; do
		case $rt in
		runc) [ -n "$RUNC" ] && make_wrapper runc "$RUNC" ;;
		husk) make_wrapper husk "$HUSK" ;;
		esac
	done
	cat >"$CT/containers.conf" <<-EOF
		[containers]
		default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
		netns = "none"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		tmp_dir = "$CT/tmp"
		runtime_supports_json = ["husk", "runc", "crun"]
		[engine.runtimes]
		runc = ["$CT/bin/runc"]
		husk = ["$CT/bin/husk"]
	EOF
	export CONTAINERS_CONF=$CT/containers.conf
	make_rootfs "$CT/bb"
	tar -C "$CT/bb/rootfs" -c . | pm_base import - localhost/busybox:test >/dev/null
}

teardown_file() {
	[ -n "${CT:-}" ] || return 0
	pm_base pod rm -af -t 0 >/dev/null 2>&1 || true
	pm_base rm -af -t 0 >/dev/null 2>&1 || true
	pm_base system reset -f >/dev/null 2>&1 || true
	# a container's /dev/shm is a mount under the runroot: nothing may stay mounted
	grep -F "$CT" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
}

pm_base() {
	timeout 120 podman --root "$CT/root" --runroot "$CT/runroot" --tmpdir "$CT/tmp" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend file "$@"
}

# pm ARGS...: podman with this scenario's runtime
pm() {
	pm_base --runtime "$CT/bin/$RT" "$@"
}

# scenario RUNTIME FUNCTION: run FUNCTION with podman driving RUNTIME, then check the argv
with_runtime() {
	RT=$1
	runtime_binary "$RT" >/dev/null
	needs_cgroup_limits "$RT" # the default pids limit
	: >"$CT/argv-$RT.log"
	"$2"
	check_argv "$RT"
}

teardown() {
	# a failed scenario must not leave containers for the next one
	pm_base pod rm -af -t 0 >/dev/null 2>&1 || true
	pm_base rm -af -t 0 >/dev/null 2>&1 || true
}

scn_run_rm_echo() {
	run pm run --rm localhost/busybox:test echo hello-from-podman
	assert_success
	assert_eq "$output" hello-from-podman "output"
	called "$RT" create || fail "the runtime was not used: $(cat "$CT/argv-$RT.log")"
	run pm ps -aq
	assert_eq "$output" "" "containers left"
}

scn_run_d_exec_stop_rm() {
	run pm run -d --name "x-$RT" localhost/busybox:test sleep 1000
	assert_success
	run pm inspect -f '{{.HostConfig.PidsLimit}}' "x-$RT"
	assert_eq "$output" 2048 "podman's default pids limit"
	run pm exec "x-$RT" sh -c 'echo in-exec; cat /proc/1/cmdline | tr "\0" " "'
	assert_success
	assert_eq "${lines[0]}" in-exec "exec output"
	assert_output_contains "sleep 1000"
	run pm exec "x-$RT" sh -c 'exit 5'
	assert_eq "$status" 5 "exit code of podman exec"
	run -127 pm exec "x-$RT" no-such-program
	run -127 pm exec "x-$RT" /no/such/program
	run pm exec --user 1234 "x-$RT" id -u
	assert_success
	assert_eq "$output" 1234 "exec --user"
	called "$RT" exec || fail "podman exec did not call the runtime's exec"
	run pm stop -t 0 "x-$RT"
	assert_success
	run pm inspect -f '{{.State.Status}}' "x-$RT"
	assert_eq "$output" exited "status after stop"
	run pm rm "x-$RT"
	assert_success
	run pm ps -aq
	assert_eq "$output" "" "containers left"
}

scn_run_tty() {
	run pm run --rm -t localhost/busybox:test sh -c 'tty; test -t 1 && echo stdout-is-tty' </dev/null
	assert_success
	assert_output_contains /dev/pts/
	assert_output_contains stdout-is-tty
	run pm run -d -t --name "t-$RT" localhost/busybox:test sleep 1000
	assert_success
	run pm exec -t "t-$RT" tty </dev/null
	assert_success
	assert_output_contains /dev/pts/
	run pm rm -f -t 0 "t-$RT"
	assert_success
}

scn_exit_codes() {
	run pm run --rm localhost/busybox:test sh -c 'exit 7'
	assert_eq "$status" 7 "exit code"
	# pid 1 of a pid namespace cannot SIGKILL itself: kill it from outside
	run pm run -d --name "k-$RT" localhost/busybox:test sleep 1000
	assert_success
	run pm kill -s KILL "k-$RT"
	assert_success
	run pm wait "k-$RT"
	assert_eq "$output" 137 "exit code of a killed container"
	run pm rm "k-$RT"
	assert_success
	run -127 pm run --rm localhost/busybox:test /no/such/program
	run pm ps -aq
	assert_eq "$output" "" "containers left"
}

scn_pod_localhost() {
	run pm pod create --name "p-$RT" --network none
	assert_success
	run pm run -d --pod "p-$RT" --name "srv-$RT" localhost/busybox:test sh -c 'echo pong | nc -l -p 8080'
	assert_success
	for _ in $(seq 1 50); do
		run pm run --rm --pod "p-$RT" localhost/busybox:test sh -c 'nc 127.0.0.1 8080 </dev/null'
		[ "$output" = pong ] && break
		sleep 0.2
	done
	assert_eq "$output" pong "reply over the pod's localhost"
	run pm pod rm -f -t 0 "p-$RT"
	assert_success
}

@test "podman [runc]: run --rm echo" { with_runtime runc scn_run_rm_echo; }
@test "podman [husk]: run --rm echo" { with_runtime husk scn_run_rm_echo; }
@test "podman [runc]: run -d, exec, stop, rm" { with_runtime runc scn_run_d_exec_stop_rm; }
@test "podman [husk]: run -d, exec, stop, rm" { with_runtime husk scn_run_d_exec_stop_rm; }
@test "podman [runc]: run -t and exec -t (terminal through conmon)" { with_runtime runc scn_run_tty; }
@test "podman [husk]: run -t and exec -t (terminal through conmon)" { with_runtime husk scn_run_tty; }
@test "podman [runc]: exit codes" { with_runtime runc scn_exit_codes; }
@test "podman [husk]: exit codes" { with_runtime husk scn_exit_codes; }
@test "podman [runc]: a pod of two containers sharing localhost" { with_runtime runc scn_pod_localhost; }
@test "podman [husk]: a pod of two containers sharing localhost" { with_runtime husk scn_pod_localhost; }
