#!/usr/bin/env bats
# hooks: all six kinds, the state on stdin, args/env, timeout, failure semantics of the spec.
# runc departs from the spec (poststart during create, a failing poststart/poststop fails the
# lifecycle, wrong status in the state): those tests are husk_only.

load ../helpers/lib

setup() {
	setup_common
	# The hooks log into HOOKDIR, bind-mounted at the same path in the container, so that a
	# hook runs the same command in the runtime's and in the container's namespaces.
	HOOKDIR=$BATS_TEST_TMPDIR/hooks
	mkdir -p "$HOOKDIR"
	chmod 777 "$HOOKDIR"
	add_mount "{\"destination\": \"$HOOKDIR\", \"type\": \"bind\", \"source\": \"$HOOKDIR\", \"options\": [\"rbind\", \"rw\"]}"
	update_config '.annotations = {"org.husk.test": "hooked"}'
}

# recording_hook NAME: a hook that appends NAME to order and saves its stdin as NAME.json
recording_hook() {
	jq -cn --arg n "$1" --arg d "$HOOKDIR" \
		'{path: "/bin/sh", args: ["sh", "-c", "echo \($n) >> \($d)/order; cat > \($d)/\($n).json"]}'
}

add_hook() { # KIND HOOK_JSON
	update_config --arg k "$1" --argjson h "$2" '.hooks[$k] += [$h]'
}

add_all_recording_hooks() {
	local k
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		add_hook "$k" "$(recording_hook "$k")"
	done
}

order() { tr '\n' ' ' <"$HOOKDIR/order" 2>/dev/null; }

@test "hooks: all six run, in order, with the state JSON on stdin" {
	add_all_recording_hooks
	set_args sleep 1000
	run husk_create
	assert_success
	# runc also runs poststart here (it departs from the spec); ignore it in this test.
	assert_eq "$(order | sed 's/poststart //')" "prestart createRuntime createContainer " "hooks after create"
	local pid
	pid=$(state_field "$ID" .pid)
	run husk start "$ID"
	assert_success
	[[ "$(order)" == *"startContainer "* ]] || fail "no startContainer: $(order)"
	[[ "$(order)" == *"poststart "* ]] || fail "no poststart after start: $(order)"
	run husk delete --force "$ID"
	assert_success
	[[ "$(order)" == *"poststop " ]] || fail "poststop not last: $(order)"
	local k f
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		f=$HOOKDIR/$k.json
		jq -e . "$f" >/dev/null || fail "$k: stdin is not JSON: $(cat "$f")"
		assert_eq "$(jq -r .id "$f")" "$ID" "$k: id"
		assert_eq "$(jq -r .bundle "$f")" "$BUNDLE" "$k: bundle"
		[[ "$(jq -r .ociVersion "$f")" =~ ^1\. ]] || fail "$k: ociVersion"
		assert_eq "$(jq -r '.annotations["org.husk.test"]' "$f")" hooked "$k: annotations"
		# runc passes pid 1 (the pid inside) to the hooks it runs in the container; see below.
		case "$k" in prestart | createRuntime | poststart)
			assert_eq "$(jq -r .pid "$f")" "$pid" "$k: pid"
			;;
		esac
	done
}

@test "hooks: path, args (with args[0]) and env are passed as given" {
	# sh -c SCRIPT A B: $0=A, $1=B; argv[0] shows in /proc/$$/cmdline.  The hook's environment is
	# exactly env: nothing of the runtime's (HUSK_TEST_MARK) leaks into it.
	add_hook prestart "$(jq -cn --arg d "$HOOKDIR" '{path: "/bin/sh", args: ["my-argv0", "-c", "echo \"$(tr \"\\0\" \" \" < /proc/$$/cmdline | cut -d\" \" -f1)|$0|$1|$FOO|${HUSK_TEST_MARK:-unset}\" > \($d)/argv", "first", "second"], env: ["FOO=bar"]}')"
	set_args true
	run husk_run
	assert_success
	assert_eq "$(cat "$HOOKDIR/argv")" "my-argv0|first|second|bar|unset" "hook argv/env"
}

@test "hooks: prestart and createRuntime run in the runtime namespace, createContainer and startContainer in the container's" {
	local k
	for k in prestart createRuntime createContainer startContainer; do
		add_hook "$k" "$(jq -cn --arg n "$k" --arg d "$HOOKDIR" '{path: "/bin/sh", args: ["sh", "-c", "readlink /proc/self/ns/mnt > \($d)/\($n).mnt"]}')"
	done
	set_args true
	run husk_run
	assert_success
	assert_eq "$(cat "$HOOKDIR/prestart.mnt")" "$(host_ns mnt)" "prestart mount ns"
	assert_eq "$(cat "$HOOKDIR/createRuntime.mnt")" "$(host_ns mnt)" "createRuntime mount ns"
	[ "$(cat "$HOOKDIR/createContainer.mnt")" != "$(host_ns mnt)" ] || fail "createContainer ran in the host mount ns"
	[ "$(cat "$HOOKDIR/startContainer.mnt")" != "$(host_ns mnt)" ] || fail "startContainer ran in the host mount ns"
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing behind" {
	add_hook createRuntime '{"path": "/bin/false"}'
	set_args sleep 1000
	run --separate-stderr husk_create
	assert_failure
	assert_nothing_left
}

@test "hooks: a failing prestart hook fails run and leaves nothing behind" {
	add_hook prestart '{"path": "/bin/sh", "args": ["sh", "-c", "exit 7"]}'
	set_args sleep 1000
	run --separate-stderr husk_run
	assert_failure
	assert_nothing_left
}

@test "hooks: a hook past its timeout is killed and fails create, nothing left" {
	local secs=30.$RANDOM # a unique command line to look for afterwards
	add_hook createRuntime "$(jq -cn --arg s "$secs" '{path: "/bin/sleep", args: ["sleep", $s], timeout: 1}')"
	set_args sleep 1000
	local t0=$SECONDS
	run --separate-stderr husk_create
	assert_failure
	[ $((SECONDS - t0)) -lt 10 ] || fail "create took $((SECONDS - t0))s with a 1s hook timeout"
	assert_nothing_left
	if pgrep -xf "sleep $secs" >/dev/null; then
		fail "the timed-out hook still runs"
	fi
}

@test "hooks: a failing startContainer hook fails start (spec)" {
	husk_only "runc 1.1.5's start succeeds although a startContainer hook failed"
	add_hook startContainer '{"path": "/bin/false"}'
	set_args sleep 1000
	run husk_create
	assert_success
	run --separate-stderr husk start "$ID"
	assert_failure
	run husk delete --force "$ID"
	assert_nothing_left
}

@test "hooks: poststart runs after start, not during create (spec)" {
	husk_only "runc runs poststart hooks during create"
	add_all_recording_hooks
	set_args sleep 1000
	run husk_create
	assert_success
	assert_eq "$(order)" "prestart createRuntime createContainer " "hooks after create"
	run husk start "$ID"
	assert_success
	assert_eq "$(order)" "prestart createRuntime createContainer startContainer poststart " "hooks after start"
}

# runtime.md: `created` is "the runtime has finished the create operation (after step 2)";
# prestart, createRuntime and createContainer are steps 3-5, so they see `created` (runc 1.1
# passes `creating`).  pid is required while created or running, and it is the host's pid for
# every hook husk runs (runc passes createContainer and startContainer pid 1).
@test "hooks: the state on stdin has the status and pid of the spec for each hook" {
	husk_only "runc passes hooks a wrong status and, in the container, pid 1"
	add_all_recording_hooks
	set_args sleep 1000
	husk_create_start
	local pid
	pid=$(state_field "$ID" .pid)
	run husk delete --force "$ID"
	assert_success
	local k want f
	for k in prestart:created createRuntime:created createContainer:created \
		startContainer:created poststart:running poststop:stopped; do
		want=${k#*:} k=${k%%:*} f=$HOOKDIR/$k.json
		assert_eq "$(jq -r .status "$f")" "$want" "$k status"
		if [ "$want" = stopped ]; then
			assert_eq "$(jq -r '.pid // 0' "$f")" 0 "$k pid"
		else
			assert_eq "$(jq -r .pid "$f")" "$pid" "$k pid"
		fi
	done
}

@test "hooks: a failing poststart hook is a warning; the container runs (spec)" {
	husk_only "runc fails the lifecycle on a failing poststart hook"
	add_hook poststart '{"path": "/bin/false"}'
	add_hook poststart "$(recording_hook poststart2)"
	set_args sleep 1000
	husk_create_start
	assert_eq "$(state_field "$ID" .status)" running "status"
	assert_eq "$(order)" "poststart2 " "the remaining poststart hooks ran"
}

@test "hooks: a failing poststop hook is a warning; delete succeeds (spec)" {
	husk_only "runc fails delete on a failing poststop hook"
	add_hook poststop '{"path": "/bin/false"}'
	add_hook poststop "$(recording_hook poststop2)"
	set_args true
	husk_create_start
	wait_status "$ID" stopped
	run husk delete "$ID"
	assert_success
	assert_eq "$(order)" "poststop2 " "the remaining poststop hooks ran"
	assert_nothing_left
}

# A hook need not read its stdin: one that exits at once leaves the runtime writing a state
# bigger than the pipe into a closed pipe (EPIPE, and SIGPIPE unless it is handled).
@test "hooks: a hook that does not read the state (larger than a pipe) does not kill the runtime" {
	update_config --arg big "$(head -c 100000 /dev/zero | tr '\0' x)" '.annotations.big = $big'
	add_hook poststop '{"path": "/bin/true"}'
	add_hook poststop "$(recording_hook poststop2)"
	set_args true
	husk_create_start
	wait_status "$ID" stopped
	run --separate-stderr husk delete "$ID"
	assert_success
	assert_eq "$(order)" "poststop2 " "the next hook ran"
	assert_eq "$(jq -r '.annotations.big | length' "$HOOKDIR/poststop2.json")" 100000 "its state"
	assert_nothing_left
}

# The state handed to the container's own hooks (createContainer, startContainer) travels over
# the init's socket in one message; a state larger than that (tens of KiB of annotations, which
# runc takes) must not fail create.
@test "hooks: a state larger than a sync message reaches every hook, create succeeds" {
	update_config --arg big "$(head -c 40000 /dev/zero | tr '\0' x)" '.annotations.big = $big'
	add_all_recording_hooks
	set_args true
	husk_create_start
	wait_status "$ID" stopped
	run husk delete "$ID"
	assert_success
	local k
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		assert_eq "$(jq -r '.annotations.big | length' "$HOOKDIR/$k.json")" 40000 "$k's state"
		assert_eq "$(jq -r .id "$HOOKDIR/$k.json")" "$ID" "$k's id"
	done
}

@test "annotations are carried into state" {
	update_config '.annotations += {"a.b/c": "d e", "empty": ""}'
	set_args sleep 1000
	run husk_create
	assert_success
	run husk state "$ID"
	assert_success
	assert_eq "$(jq -r '.annotations["a.b/c"]' <<<"$output")" "d e" "annotation"
	assert_eq "$(jq -r '.annotations["org.husk.test"]' <<<"$output")" hooked "annotation"
	assert_eq "$(jq -r '.annotations | has("empty")' <<<"$output")" true "empty annotation"
}
