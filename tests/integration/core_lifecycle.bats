#!/usr/bin/env bats
# Lifecycle: create / start / state / kill / delete, and the state JSON transitions.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

@test "lifecycle: create leaves the process waiting, start releases it, state follows" {
	add_shared_dir
	set_cmd 'echo started > /shared/started; exec sleep 1000'

	run husk_create
	assert_success

	run husk state "$ID"
	assert_success
	local st=$output
	assert_eq "$(jq -r .status <<<"$st")" created "status after create"
	assert_eq "$(jq -r .id <<<"$st")" "$ID" "id"
	assert_eq "$(jq -r .bundle <<<"$st")" "$BUNDLE" "bundle"
	[[ "$(jq -r .ociVersion <<<"$st")" =~ ^1\.[0-9]+\.[0-9]+ ]] || fail "ociVersion: $(jq -r .ociVersion <<<"$st")"
	local pid
	pid=$(jq -r .pid <<<"$st")
	[[ "$pid" =~ ^[0-9]+$ ]] && [ "$pid" -gt 0 ] || fail "pid: $pid"
	pid_alive "$pid" || fail "pid $pid from state is not a live process"
	# The process is waiting in the container's namespaces, and has not run the user program.
	[ "$(readlink /proc/"$pid"/ns/pid)" != "$(host_ns pid)" ] || fail "init shares the host pid ns"
	[ "$(readlink /proc/"$pid"/ns/mnt)" != "$(host_ns mnt)" ] || fail "init shares the host mount ns"
	sleep 0.3
	[ ! -e "$SHARED/started" ] || fail "the user process ran before start"
	# create returned: the waiting process is no child of a lingering runtime process.
	local ppid
	ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
	[ "$(readlink -f "/proc/$ppid/exe")" != "$(readlink -f "$HUSK")" ] || fail "init's parent $ppid is the runtime"

	run husk start "$ID"
	assert_success
	wait_file "$SHARED/started"
	run husk state "$ID"
	assert_eq "$(jq -r .status <<<"$output")" running "status after start"
	assert_eq "$(jq -r .pid <<<"$output")" "$pid" "pid stays the same"

	run husk kill "$ID" KILL
	assert_success
	wait_status "$ID" stopped
	run husk state "$ID"
	assert_eq "$(jq -r .pid <<<"$output")" 0 "pid of a stopped container"

	run husk delete "$ID"
	assert_success
	run husk state "$ID"
	assert_failure
	pid_alive "$pid" && fail "process $pid survived kill+delete"
	assert_nothing_left
}

@test "lifecycle: state carries rootfs, created (RFC 3339) and owner as runc prints them" {
	set_args sleep 1000
	run husk_create
	assert_success
	run husk state "$ID"
	assert_success
	local rootfs created
	rootfs=$(jq -r .rootfs <<<"$output")
	assert_eq "$rootfs" "$BUNDLE/rootfs" "rootfs"
	created=$(jq -r .created <<<"$output")
	[[ "$created" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$ ]] ||
		fail "created is not RFC 3339: $created"
	jq -e 'has("owner")' <<<"$output" >/dev/null || fail "no owner field: $output"
}

@test "lifecycle: a container that exits by itself becomes stopped" {
	set_args true
	husk_create_start
	wait_status "$ID" stopped
	run husk delete "$ID"
	assert_success
	assert_nothing_left
}

@test "lifecycle: start of a running or stopped container fails" {
	set_args sleep 1000
	husk_create_start
	run --separate-stderr husk start "$ID"
	assert_failure
	assert_eq "$(state_field "$ID" .status)" running "status after a second start"
	run husk kill "$ID" KILL
	wait_status "$ID" stopped
	run husk start "$ID"
	assert_failure
}

@test "lifecycle: delete of a created container succeeds (as runc) and ends its process" {
	set_args sleep 1000
	run husk_create
	assert_success
	local pid
	pid=$(state_field "$ID" .pid)
	run husk delete "$ID"
	assert_success
	for _ in $(seq 1 30); do pid_alive "$pid" || break; sleep 0.1; done
	pid_alive "$pid" && fail "process $pid of the deleted container is alive"
	assert_nothing_left
}

@test "lifecycle: delete of a running container needs --force" {
	set_args sleep 1000
	husk_create_start
	run --separate-stderr husk delete "$ID"
	assert_failure
	assert_one_error_line
	assert_eq "$(state_field "$ID" .status)" running "status after a refused delete"
	run husk delete --force "$ID"
	assert_success
	assert_nothing_left
}

@test "lifecycle: delete --force of a container that does not exist exits 0" {
	run husk delete --force nosuchcontainer
	assert_success
}

@test "lifecycle: state, start, kill, delete of an unknown id fail with 'does not exist'" {
	local cmd
	for cmd in state start kill delete; do
		run --separate-stderr husk $cmd nosuchcontainer
		assert_failure
		[[ "$stderr" == *"does not exist"* ]] || fail "$cmd: stderr: $stderr"
	done
}

@test "lifecycle: pid-file holds the pid, digits only" {
	set_args sleep 1000
	run husk_create --pid-file "$BATS_TEST_TMPDIR/pid"
	assert_success
	local content
	content=$(cat "$BATS_TEST_TMPDIR/pid"; echo x)
	content=${content%x}
	[[ "$content" =~ ^[0-9]+$ ]] || fail "pid file is not digits only: '$(od -c "$BATS_TEST_TMPDIR/pid")'"
	assert_eq "$content" "$(state_field "$ID" .pid)" "pid file vs state"
}

@test "lifecycle: a relative --pid-file is relative to the cwd" {
	set_args sleep 1000
	cd "$BATS_TEST_TMPDIR"
	run husk_create --pid-file relpid
	assert_success
	[ -s "$BATS_TEST_TMPDIR/relpid" ] || fail "no pid file at $BATS_TEST_TMPDIR/relpid"
}

@test "lifecycle: create takes the bundle from the cwd without --bundle" {
	set_args sleep 1000
	cd "$BUNDLE"
	run husk_bg create "$ID"
	assert_success
	assert_eq "$(state_field "$ID" .bundle)" "$BUNDLE" "bundle"
}
