#!/usr/bin/env bats
# `kill`: signal names with and without SIG, numbers, --all, and states.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

# A container whose init records every USR1/USR2/HUP it gets into /shared/sigs.
start_trapper() {
	add_shared_dir
	set_cmd 'for s in USR1 USR2 HUP; do trap "echo $s >> /shared/sigs" $s; done; touch /shared/ready; while :; do sleep 0.05; done'
	husk_create_start
	wait_file "$SHARED/ready"
}

wait_sigs() { # N: wait until /shared/sigs has N lines (20 s: ASan builds on a loaded host)
	for _ in $(seq 1 200); do
		[ "$(wc -l <"$SHARED/sigs" 2>/dev/null || echo 0)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "signals received: $(cat "$SHARED/sigs" 2>/dev/null)"
}

@test "kill: signal by name with SIG, without SIG, and by number" {
	start_trapper
	run husk kill "$ID" SIGUSR1
	assert_success
	wait_sigs 1
	run husk kill "$ID" USR2
	assert_success
	wait_sigs 2
	run husk kill "$ID" 1
	assert_success
	wait_sigs 3
	assert_eq "$(tr '\n' ' ' <"$SHARED/sigs")" "USR1 USR2 HUP " "signals in order"
}

@test "kill: default signal is SIGTERM" {
	set_args sleep 1000
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	husk_create_start
	run husk kill "$ID"
	assert_success
	wait_status "$ID" stopped
}

@test "kill: an unknown signal is refused with one error line, container untouched" {
	set_args sleep 1000
	husk_create_start
	run --separate-stderr husk kill "$ID" SIGNOPE
	assert_failure
	assert_one_error_line
	run --separate-stderr husk kill "$ID" 99999
	assert_failure
	assert_eq "$(state_field "$ID" .status)" running "status"
}

@test "kill: KILL of a created container stops it" {
	set_args sleep 1000
	run husk_create
	assert_success
	run husk kill "$ID" KILL
	assert_success
	wait_status "$ID" stopped
}

# podman stop and containerd's shim send TERM first: a created container (its init waiting for
# start, as pid 1 of its pid namespace) must not ignore it.  runc's init dies of it.
@test "kill: TERM or INT of a created container stops it; start then fails" {
	set_args sleep 1000
	local sig
	for sig in TERM INT; do
		run husk_create
		assert_success
		run husk kill "$ID" "$sig"
		assert_success
		wait_status "$ID" stopped
		run husk start "$ID"
		assert_failure
		run husk delete "$ID"
		assert_success
	done
}

@test "kill: a stopped container cannot be signalled" {
	set_args true
	husk_create_start
	wait_status "$ID" stopped
	run --separate-stderr husk kill "$ID" KILL
	assert_failure
	[[ "$stderr" == *"not running"* ]] || fail "stderr: $stderr"
}

@test "kill --all reaches every process of the container (no pid namespace)" {
	add_shared_dir
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	# runc needs a cgroup of the container to find every process; so do we: skip if unsupported.
	set_cmd 'sleep 1000 & echo $! > /shared/child; wait'
	husk_create_start
	wait_file "$SHARED/child"
	local init child
	init=$(state_field "$ID" .pid)
	for _ in $(seq 1 20); do child=$(pgrep -P "$init" sleep) && break; sleep 0.1; done
	[ -n "$child" ] || fail "no child sleep of $init"
	run husk kill --all "$ID" KILL
	assert_success
	wait_status "$ID" stopped
	for _ in $(seq 1 30); do pid_alive "$child" || break; sleep 0.1; done
	pid_alive "$child" && fail "child $child survived kill --all"
	true
}

# containerd's shim, once the init of a container without its own pid namespace has exited,
# sends `kill --all ID 9` to end what is left of it, and fails the task's delete if that
# fails.  runc signals what is left in the cgroup and exits 0; a plain kill says "not running".
@test "kill --all of a stopped container succeeds (runc, containerd's shim); plain kill does not" {
	set_args true
	husk_create_start
	wait_status "$ID" stopped
	run --separate-stderr husk kill --all "$ID" 9
	assert_success
	run --separate-stderr husk kill -a "$ID"
	assert_success
	run --separate-stderr husk kill "$ID" KILL
	assert_failure
	assert_one_error_line
	[[ "$stderr" == *"container not running"* ]] || fail "stderr: $stderr"
	run --separate-stderr husk kill --all "nope-$ID" KILL
	assert_failure
	[[ "$stderr" == *"does not exist"* ]] || fail "stderr: $stderr"
}

@test "kill --all of a stopped container reaches the processes left in its cgroup" {
	add_shared_dir
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'sleep 1000 & echo $! > /shared/child; exit 0'
	husk_create_start
	wait_status "$ID" stopped
	wait_file "$SHARED/child"
	local child
	child=$(cat "$SHARED/child")
	pid_alive "$child" || fail "the orphan $child is already gone"
	run --separate-stderr husk kill --all "$ID" KILL
	assert_success
	for _ in $(seq 1 30); do pid_alive "$child" || break; sleep 0.1; done
	pid_alive "$child" && fail "orphan $child survived kill --all"
	true
}

@test "kill ID 0 probes the init: 0 while it runs, \"container not running\" once stopped" {
	set_args sleep 1000
	run husk_create
	assert_success
	run --separate-stderr husk kill "$ID" 0
	assert_success
	run husk start "$ID"
	assert_success
	run --separate-stderr husk kill "$ID" 0
	assert_success
	assert_eq "$(state_field "$ID" .status)" running "status after the probe"
	run husk kill "$ID" KILL
	assert_success
	wait_status "$ID" stopped
	run --separate-stderr husk kill "$ID" 0
	assert_failure
	assert_one_error_line
	[[ "$stderr" == *"container not running"* ]] || fail "stderr: $stderr"
}
