#!/usr/bin/env bats
# process.terminal: the pty master goes to --console-socket with SCM_RIGHTS; consoleSize.

load ../helpers/lib

setup() {
	setup_common
	requires tools
	update_config '.process.terminal = true'
	SOCK=$BATS_TEST_TMPDIR/console.sock
	TTYOUT=$BATS_TEST_TMPDIR/tty
	mkdir -p "$TTYOUT"
}

# start_receiver [INPUT]: recvtty listening on $SOCK, writing to $TTYOUT
start_receiver() {
	bg_start "$TOOLS_DIR/recvtty" "$SOCK" "$TTYOUT" "$@"
	wait_file "$SOCK" 50
}

@test "terminal: create sends a pty master to the console socket; the container has a tty" {
	update_config '.process.consoleSize = {"height": 40, "width": 100}'
	set_cmd 'tty; stty size; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; [ -c /dev/console ] && echo has-console'
	start_receiver
	run husk_create --console-socket "$SOCK"
	assert_success
	wait_file "$TTYOUT/info"
	run cat "$TTYOUT/info"
	assert_output_contains "isatty=1"
	assert_output_matches "target=/dev/(pts/)?ptmx"
	run husk start "$ID"
	assert_success
	wait_file "$TTYOUT/done"
	run cat "$TTYOUT/output"
	assert_output_matches "/dev/(pts/[0-9]+|console)"
	assert_output_contains "40 100"
	assert_output_contains all-ttys
	assert_output_contains has-console
	wait_status "$ID" stopped
}

@test "terminal: input written to the master reaches the container's shell" {
	set_args sh
	start_receiver $'echo hi-from-$((40 + 2))\nexit 3\n'
	husk_create_start --console-socket "$SOCK"
	wait_file "$TTYOUT/done"
	run cat "$TTYOUT/output"
	assert_output_contains hi-from-42
	wait_status "$ID" stopped
}

@test "terminal: run --detach with a console socket" {
	set_cmd 'echo detached-tty-ok'
	start_receiver
	run husk_bg run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
	assert_success
	wait_file "$TTYOUT/done"
	run cat "$TTYOUT/output"
	assert_output_contains detached-tty-ok
}

@test "terminal: create without --console-socket is refused, nothing left" {
	run --separate-stderr husk_create
	assert_failure
	assert_one_error_line
	assert_nothing_left
}

@test "terminal: a console socket that does not exist is refused, nothing left" {
	run --separate-stderr husk_create --console-socket "$BATS_TEST_TMPDIR/nonexistent.sock"
	assert_failure
	assert_one_error_line
	assert_nothing_left
}

@test "terminal: without terminal there is no /dev/console and stdio are not ttys" {
	update_config '.process.terminal = false'
	set_cmd '[ -t 1 ] && echo stdout-tty; [ -e /dev/console ] && echo has-console; echo done'
	run husk_run
	assert_success
	assert_eq "$output" "done" "output"
}
