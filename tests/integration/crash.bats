#!/usr/bin/env bats
# A killed container command leaves nothing behind (SECURITY.md, "After a crash").
#
# An orchestrator kills a runtime that takes too long, the OOM killer picks it, a node loses
# power.  Each test here kills `create`, `run` (-d and in the foreground), `exec`, `start` or
# `delete` with SIGKILL, at random moments of its first milliseconds and at each named crash
# point (HUSK_CRASH_AT, common/crashpoint.h), then cleans up as a client would
# (`delete --force ID`) and looks for every kind of leftover: processes (the test's marker in
# their environment), cgroups (in the cgroup2 hierarchy, named after the container), host
# mounts, state dirs.  About 480 random trials and 60 at crash points.
#
# The volume runs the release binary (HUSK_RELEASE, set by tests/helpers/run-tests) where there
# is one: the ASan build starts several times slower, and hundreds of its trials would not fit
# in the minute this file may take.  The named crash points and a smaller random sample run
# the ASan binary ($HUSK) as well.

load ../helpers/lib
load ../helpers/crash

setup() {
	setup_common
	crash_setup
	# a container that lives until it is killed: a leaked one stays visible
	set_args sleep 1000
}

teardown() {
	crash_teardown
	teardown_common
}

# random_trials BINARY KIND N MAX_US CMD...: N trials of CMD (create, run...) for containers
# $ID-KIND1..N, each killed after a random delay below MAX_US (adapted to the command's time:
# adapt_delay) and then force-deleted.
random_trials() {
	local bin=$1 kind=$2 n=$3 i id
	delays "$4"
	shift 4
	for i in $(seq 1 "$n"); do
		id=$ID-$kind$i
		kill_after "$(random_delay)" "$bin" "$@" "$id"
		adapt_delay
		delete_force "$bin" "$id" || return 1
	done
}

@test "crash: create killed at random moments, then delete --force: nothing left" {
	# runc 1.1.5 leaves the cgroup of a killed create now and then (0 to 4 in 120 here)
	not_in_runc "a killed create can leave its cgroup behind"
	random_trials "$FAST" c 120 12000 create --bundle "$BUNDLE"
	assert_no_leftovers "killed create"
	assert_some_killed 40
}

@test "crash: run -d killed at random moments, then delete --force: nothing left" {
	# runc 1.1.5 leaves the cgroup of a killed run -d now and then (2 in 100 here)
	not_in_runc "a killed run -d can leave its cgroup behind"
	random_trials "$FAST" d 100 12000 run -d --bundle "$BUNDLE"
	assert_no_leftovers "killed run -d"
	assert_some_killed 35
}

@test "crash: run in the foreground killed at random moments, then delete --force: nothing left" {
	# the container outlives a killed foreground run (as with runc) until the client deletes it
	random_trials "$FAST" f 40 12000 run --bundle "$BUNDLE"
	assert_no_leftovers "killed foreground run"
	assert_some_killed 40
}

@test "crash: the ASan binary, create and run -d killed at random moments: nothing left" {
	is_runc && skip "the volume test above runs runc already"
	random_trials "$HUSK" c 15 40000 create --bundle "$BUNDLE"
	random_trials "$HUSK" d 15 40000 run -d --bundle "$BUNDLE"
	assert_no_leftovers "killed create and run -d (ASan)"
	assert_some_killed 10
}

@test "crash: exec killed at random moments leaves no process outside the container's cgroup" {
	local i pid cg cid=$ID-x0 stray=""
	runtime "$FAST" run -d --bundle "$BUNDLE" "$cid" >/dev/null 2>&1
	wait_status "$cid" running
	cg=$(grep '^0::' "/proc/$(state_field "$cid" .pid)/cgroup")
	delays 6000
	for i in $(seq 1 50); do
		kill_after "$(random_delay)" "$FAST" exec "$cid" sleep 1000
		adapt_delay
		# an exec killed half-way may leave its process, but only in the container (a
		# look every fifth trial: the scan of every process's environment is slow)
		[ $((i % 5)) -eq 0 ] || continue
		for pid in $(marked_pids); do
			[ "$(grep '^0::' "/proc/$pid/cgroup" 2>/dev/null)" = "$cg" ] ||
				stray="$stray $pid($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null))"
		done
		[ -z "$stray" ] || fail "after $(tail -n 1 "$TRIALS"): processes outside $cg:$stray"
	done
	delete_force "$FAST" "$cid"
	assert_no_leftovers "killed exec"
	assert_some_killed 20
}

@test "crash: start killed at random moments, then delete --force: nothing left" {
	local i id
	for i in $(seq 1 30); do
		id=$ID-s$i
		runtime "$FAST" create --bundle "$BUNDLE" "$id" >/dev/null 2>&1
		kill_after $((RANDOM % 3000)) "$FAST" start "$id"
		delete_force "$FAST" "$id"
	done
	assert_no_leftovers "killed start"
}

@test "crash: delete killed at random moments, then a second delete --force finishes" {
	local i id
	delays 8000
	for i in $(seq 1 40); do
		id=$ID-r$i
		runtime "$FAST" run -d --bundle "$BUNDLE" "$id" >/dev/null 2>&1
		kill_after "$(random_delay)" "$FAST" delete --force "$id"
		adapt_delay
		delete_force "$FAST" "$id"
	done
	assert_no_leftovers "killed delete"
	assert_some_killed 10
}

# crash_points BINARY KIND POINT... -- CMD...: CMD killed at each named point, then deleted
crash_points() {
	local bin=$1 kind=$2 n=0 p points=()
	shift 2
	while [ "$1" != -- ]; do
		points+=("$1")
		shift
	done
	shift
	for p in "${points[@]}"; do
		n=$((n + 1))
		HUSK_CRASH_AT=$p kill_after 20000000 "$bin" "$@" "$ID-$kind$n"
		grep -q "^$p: .* -> exit 137" <(tail -n 1 "$TRIALS") ||
			fail "$(tail -n 1 "$TRIALS"): the command did not reach crash point $p"
		delete_force "$bin" "$ID-$kind$n" || return 1
	done
}

CREATE_POINTS=(create.dir create.record create.cgroup create.cgroup-recorded create.cloned
	create.ready create.state)

@test "crash: create killed at each crash point, then delete --force: nothing left" {
	is_runc && skip "named crash points (HUSK_CRASH_AT) are husk's"
	crash_points "$HUSK" c "${CREATE_POINTS[@]}" create.committed -- create --bundle "$BUNDLE"
	assert_no_leftovers "create killed at its crash points"
}

@test "crash: run -d and run killed at each crash point, then delete --force: nothing left" {
	is_runc && skip "named crash points (HUSK_CRASH_AT) are husk's"
	crash_points "$HUSK" d "${CREATE_POINTS[@]}" run.started -- run -d --bundle "$BUNDLE"
	crash_points "$HUSK" f "${CREATE_POINTS[@]}" run.started -- run --bundle "$BUNDLE"
	assert_no_leftovers "run killed at its crash points"
}

@test "crash: run with a new user namespace (no vfork) killed at each crash point: nothing left" {
	is_runc && skip "named crash points (HUSK_CRASH_AT) are husk's"
	requires userns
	add_ns user
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	open_bundle_path
	crash_points "$HUSK" u "${CREATE_POINTS[@]}" run.started -- run -d --bundle "$BUNDLE"
	assert_no_leftovers "run (user namespace) killed at its crash points"
}

# noclone3 BINARY NAME: a wrapper script NAME that runs BINARY with clone3 failing (ENOSYS)
noclone3() {
	printf '#!/bin/sh\nexec "%s" clone3 "%s" "$@"\n' "$TOOLS_DIR/enosys" "$1" >"$BATS_TEST_TMPDIR/$2"
	chmod +x "$BATS_TEST_TMPDIR/$2"
	echo "$BATS_TEST_TMPDIR/$2"
}

@test "crash: create and run -d without clone3 (clone(2), the cgroup joined after) killed: nothing left" {
	is_runc && skip "named crash points (HUSK_CRASH_AT) are husk's"
	# the init starts outside its cgroup, which husk joins it to right after the clone
	random_trials "$(noclone3 "$FAST" fast)" c 20 12000 create --bundle "$BUNDLE"
	random_trials "$(noclone3 "$FAST" fast)" d 20 12000 run -d --bundle "$BUNDLE"
	crash_points "$(noclone3 "$HUSK" asan)" p "${CREATE_POINTS[@]}" create.committed \
		-- create --bundle "$BUNDLE"
	crash_points "$(noclone3 "$HUSK" asan)" q "${CREATE_POINTS[@]}" run.started \
		-- run -d --bundle "$BUNDLE"
	assert_no_leftovers "create and run -d without clone3"
	assert_some_killed 20
}

@test "crash: run -d --image killed at random moments and at each crash point: nothing left" {
	local s=$BATS_TEST_TMPDIR/store
	is_runc && skip "images (--image, --store) are husk's"
	"$BATS_TEST_DIRNAME/../helpers/mkimage" --cmd '["sleep","1000"]' --env "HUSK_TEST_MARK=$MARK" \
		"$BATS_TEST_TMPDIR/img" "$BUNDLE/rootfs" >/dev/null
	# shellcheck disable=SC2034 # the global options of crash.bash's runtime commands
	RT_OPTS=(--store "$s")
	runtime "$HUSK" image import "oci:$BATS_TEST_TMPDIR/img" img >/dev/null
	random_trials "$FAST" i 30 15000 run -d --image img
	crash_points "$HUSK" n create.dir create.image "${CREATE_POINTS[@]:1}" run.started \
		-- run -d --image img
	assert_no_leftovers "run --image killed"
	# the image's bundles (overlays) went with their containers
	assert_eq "$(find "$s/bundles" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" 0 "bundles left"
}

@test "crash: exec and delete killed at each crash point: nothing left, a second delete finishes" {
	is_runc && skip "named crash points (HUSK_CRASH_AT) are husk's"
	local cid=$ID-x0 p n=0
	runtime "$HUSK" run -d --bundle "$BUNDLE" "$cid" >/dev/null 2>&1
	for p in exec.cloned exec.started; do
		HUSK_CRASH_AT=$p kill_after 20000000 "$HUSK" exec "$cid" sleep 1000
		grep -q ' -> exit 137' <(tail -n 1 "$TRIALS") || fail "exec did not reach $p"
	done
	delete_force "$HUSK" "$cid"
	for p in delete.killed delete.cgroup delete.extras; do
		n=$((n + 1))
		runtime "$HUSK" run -d --bundle "$BUNDLE" "$ID-r$n" >/dev/null 2>&1
		HUSK_CRASH_AT=$p kill_after 20000000 "$HUSK" delete --force "$ID-r$n"
		grep -q ' -> exit 137' <(tail -n 1 "$TRIALS") || fail "delete did not reach $p"
		delete_force "$HUSK" "$ID-r$n"
	done
	assert_no_leftovers "exec and delete killed at their crash points"
}

# all_ids CMD...: CMD ID for the 100 containers at once; fails naming the errors if any failed
all_ids() {
	local i pids=() failed=0
	for i in $(seq 1 100); do
		runtime "$FAST" "$@" "$ID-p$i" >/dev/null 2>"$BATS_TEST_TMPDIR/p$i.err" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || failed=$((failed + 1))
	done
	[ "$failed" -eq 0 ] ||
		fail "$failed of 100 \`$1\` failed: $(cat "$BATS_TEST_TMPDIR"/p*.err | sort | uniq -c)"
}

@test "crash: 100 concurrent creates on one --root, then starts and deletes: all succeed" {
	all_ids create --bundle "$BUNDLE"
	assert_eq "$(runtime "$FAST" list -q | grep -c "^$ID-p")" 100 "containers listed"
	assert_eq "$(runtime "$FAST" list --format json | jq '[.[].pid] | unique | length')" 100 \
		"distinct pids"
	all_ids start
	assert_eq "$(runtime "$FAST" list --format json |
		jq '[.[] | select(.status == "running")] | length')" 100 "containers running"
	all_ids delete --force
	assert_no_leftovers "100 concurrent containers"
}
