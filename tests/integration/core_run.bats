#!/usr/bin/env bats
# `run`: foreground exit codes, stdio, --detach.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

@test "run: foreground returns the container's exit code" {
	set_cmd 'exit 42'
	run husk_run
	[ "$status" -eq 42 ] || fail "status $status, want 42; output: $output"
	assert_nothing_left
}

@test "run: exit code 0 and the container's stdout and stderr pass through" {
	set_cmd 'echo to-stdout; echo to-stderr >&2'
	run --separate-stderr husk_run
	assert_success
	assert_eq "$output" to-stdout "stdout"
	assert_eq "$stderr" to-stderr "stderr"
	assert_nothing_left
}

@test "run: stdin passes through to the container" {
	set_args cat
	run bash -c 'echo piped-in | HUSK_TEST_MARK=$MARK "$HUSK" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$ID"'
	assert_success
	assert_eq "$output" piped-in "stdin copied to stdout"
}

@test "run: death by a signal gives 128+N (self-inflicted, no pid namespace)" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'kill -USR1 $$; sleep 5'
	run husk_run
	[ "$status" -eq 138 ] || fail "status $status, want 138 (128+SIGUSR1); output: $output"
}

@test "run: SIGKILL from 'kill' gives 137 to the foreground run" {
	set_args sleep 1000
	local rcfile=$BATS_TEST_TMPDIR/rc
	(
		rc=0 # bats runs tests with errexit, also in this subshell
		husk run --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 || rc=$?
		echo $rc >"$rcfile"
	) &
	wait_status "$ID" running
	run husk kill "$ID" KILL
	assert_success
	wait_file "$rcfile" 100
	assert_eq "$(cat "$rcfile")" 137 "exit code of run (output: $(cat "$BATS_TEST_TMPDIR/run.out"))"
	assert_nothing_left
}

@test "run: --detach returns at once with the container running, --pid-file written" {
	set_args sleep 1000
	run husk_bg run --detach --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
	assert_success
	assert_eq "$(state_field "$ID" .status)" running "status"
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	assert_eq "$pid" "$(state_field "$ID" .pid)" "pid file"
	pid_alive "$pid" || fail "pid $pid not alive"
	run husk delete --force "$ID"
	assert_success
	assert_nothing_left
}

@test "run: a duplicate id is refused and the first container is untouched" {
	set_args sleep 1000
	run husk_bg run -d --bundle "$BUNDLE" "$ID"
	assert_success
	local pid
	pid=$(state_field "$ID" .pid)
	run --separate-stderr husk_run
	assert_failure
	assert_one_error_line
	assert_eq "$(state_field "$ID" .status)" running "status of the first"
	assert_eq "$(state_field "$ID" .pid)" "$pid" "pid of the first"
}

@test "run: --preserve-fds passes fds 3.. on, nothing else leaks into the container" {
	echo three >"$BATS_TEST_TMPDIR/f3"
	echo four >"$BATS_TEST_TMPDIR/f4"
	set_cmd 'cat /proc/self/fd/3 /proc/self/fd/4; for n in 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do [ -e /proc/$$/fd/$n ] && echo "leaked fd $n"; done; true'
	# fds 5 and 9 are open too, and not preserved
	run bash -c 'exec 3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4" 5</dev/null 9</dev/null
		HUSK_TEST_MARK=$MARK "$HUSK" --root "$STATE_ROOT" run --preserve-fds 2 --bundle "$BUNDLE" "$ID" </dev/null'
	assert_success
	assert_eq "$output" "three
four" "output"
}
