#!/usr/bin/env bats
# Kernels without the newer system calls, or a seccomp profile that answers them with ENOSYS
# (as container engines do for calls they do not know): husk detects each by ENOSYS and falls
# back (clone3 -> clone(2), and a fork of the init where `run` would share husk's memory;
# openat2 -> a walk with O_NOFOLLOW; close_range -> fd by fd; the mount API -> mount(2)).
# tests/helpers/enosys makes those calls fail with ENOSYS for husk and everything it starts.
# pidfd_open (Linux 5.3) stays: start, kill and exec need it.  Root.

load ../helpers/lib

NEW_CALLS=clone3,openat2,close_range,open_tree,move_mount,mount_setattr,fsopen,fsconfig,fsmount

setup() {
	setup_common
	requires tools
}

# husk under the shim: every call in $1 fails with ENOSYS
old_kernel_husk() { # CALLS ARGS...
	local calls=$1
	shift
	HUSK_TEST_MARK=$MARK "$TOOLS_DIR/enosys" "$calls" "$HUSK" --root "$STATE_ROOT" "$@"
}

@test "fallbacks: the shim really takes the calls away" {
	run "$TOOLS_DIR/enosys" clone3 busybox sh -c 'echo in-shim'
	assert_success
	assert_eq "$output" in-shim "a command under the shim"
	run "$TOOLS_DIR/enosys" nosuchcall true
	[ "$status" -eq 2 ] || fail "unknown call accepted: $output"
}

@test "fallbacks: run without clone3 forks the init and still passes exit code and stdout" {
	set_cmd 'echo "pid $$"; exit 7'
	run old_kernel_husk clone3 run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 7 ] || fail "status $status, want 7; output: $output"
	assert_eq "$output" "pid 1" "output"
	assert_nothing_left
}

@test "fallbacks: run with none of the new calls makes the same container as with them" {
	# mount points with their types and flags (masked and read-only paths, /dev, /proc, /sys),
	# capabilities, and the default devices
	set_cmd 'awk "{print \$5, \$6, \$(NF-2)}" /proc/self/mountinfo; grep ^Cap /proc/self/status; ls -l /dev | awk "{print \$1, \$5, \$6, \$NF}"'
	run husk_run
	assert_success
	local want=$output
	[ "$(grep -c "^/sys/firmware " <<<"$want")" -eq 1 ] || fail "no masked path in: $want"
	run old_kernel_husk "$NEW_CALLS" run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_eq "$output" "$want" "the container's view without the new calls"
	assert_nothing_left
}

@test "fallbacks: create, start, kill and delete with none of the new calls" {
	set_args sleep 1000
	old_kernel_husk "$NEW_CALLS" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	assert_eq "$(state_field "$ID" .status)" created "status after create"
	old_kernel_husk "$NEW_CALLS" start "$ID"
	assert_eq "$(state_field "$ID" .status)" running "status after start"
	old_kernel_husk "$NEW_CALLS" kill "$ID" KILL
	wait_status "$ID" stopped
	old_kernel_husk "$NEW_CALLS" delete "$ID"
	assert_nothing_left
}
