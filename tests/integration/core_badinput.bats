#!/usr/bin/env bats
# Bad input: each error is one line on stderr, a non-zero exit, and nothing left behind
# (no state under --root, no mount, no process).

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

# create_fails: create of the bundle as the test left it must fail cleanly
create_fails() {
	run --separate-stderr husk_create
	assert_failure
	assert_one_error_line
	assert_nothing_left
}

# create_fails_naming WORD: create_fails, and its one error line names WORD (the bad field or
# value), so that a user can tell what to fix
create_fails_naming() {
	create_fails
	[[ "$stderr" == *"$1"* ]] || fail "error does not name '$1': $stderr"
}

@test "bad input: a missing bundle directory" {
	run --separate-stderr husk create --bundle "$BATS_TEST_TMPDIR/nonexistent" "$ID" </dev/null
	assert_failure
	assert_one_error_line
	assert_nothing_left
}

@test "bad input: a bundle without config.json" {
	rm "$BUNDLE/config.json"
	create_fails_naming config.json
}

@test "bad input: malformed JSON" {
	echo '{"ociVersion": "1.0.2", "process": ' >"$BUNDLE/config.json"
	create_fails
}

@test "bad input: config.json is not an object" {
	echo '[1, 2]' >"$BUNDLE/config.json"
	create_fails
}

@test "bad input: unknown ociVersion major" {
	not_in_runc "runc does not check ociVersion"
	update_config '.ociVersion = "2.0.0"'
	create_fails_naming ociVersion
}

@test "bad input: unknown namespace type" {
	update_config '.linux.namespaces += [{"type": "bogus"}]'
	create_fails_naming bogus
}

@test "bad input: a value with a newline and an escape is still one error line" {
	# the fuzzers' contract: whatever the input quotes into the message stays on one line
	update_config '.linux.namespaces += [{"type": "bo\ngus\u001b[2J"}]'
	create_fails_naming bo
	[[ "$stderr" != *$'\e'* ]] || fail "a raw escape character reached stderr: $stderr"
}

@test "bad input: a relative namespace path" {
	update_config '.linux.namespaces = (.linux.namespaces | map(select(.type != "network"))) + [{"type": "network", "path": "proc/1/ns/net"}]'
	create_fails
}

@test "bad input: a namespace path that is not a namespace of that type" {
	update_config --arg p "$BUNDLE/config.json" '.linux.namespaces = (.linux.namespaces | map(select(.type != "network"))) + [{"type": "network", "path": $p}]'
	run --separate-stderr husk_create
	assert_failure
	if is_runc; then
		# runc reports this one from its init in three lines; the one-line rule is husk's.
		echo "# runc: $(grep -c . <<<"$stderr") lines on stderr, one-line check not applied" >&3
	else
		assert_one_error_line
	fi
	assert_nothing_left
}

@test "bad input: a relative hook path" {
	update_config '.hooks.createRuntime = [{"path": "bin/true"}]'
	create_fails
}

@test "bad input: process.args empty" {
	update_config '.process.args = []'
	create_fails_naming args
}

@test "bad input: the executable does not exist in the rootfs" {
	set_args /no/such/binary
	run --separate-stderr husk_run
	assert_failure
	assert_one_error_line
	[[ "$stderr" == */no/such/binary* ]] || fail "error does not name the binary: $stderr"
	assert_nothing_left
}

# Clients read the reason in the runtime's message, case and all: the docker CLI exits 127
# for "no such file or directory" and 126 for "permission denied" (Go's words), else 125.
@test "bad input: a program missing or not executable gets runc's lower-case reason" {
	set_args /no/such/binary
	run --separate-stderr husk_run
	assert_failure
	[[ "$stderr" == */no/such/binary*"no such file or directory"* ]] || fail "missing: $stderr"
	set_args /etc/passwd
	run --separate-stderr husk_run
	assert_failure
	[[ "$stderr" == */etc/passwd*"permission denied"* ]] || fail "not executable: $stderr"
	set_args /tmp
	run --separate-stderr husk_run
	assert_failure
	[[ "$stderr" == */tmp*"permission denied"* ]] || fail "a directory: $stderr"
	assert_nothing_left
}

@test "bad input: a missing rootfs" {
	rm -rf "$BUNDLE/rootfs"
	create_fails
}

@test "bad input: an unknown mount type fails and leaves no mount" {
	add_mount '{"destination": "/x", "type": "nosuchfs", "source": "none"}'
	create_fails
}

@test "bad input: a bind mount of a missing source" {
	add_mount "{\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/missing\", \"options\": [\"bind\"]}"
	create_fails
}

@test "bad input: an unknown capability" {
	not_in_runc "runc 1.1.5 only warns about an unknown capability name"
	update_config '.process.capabilities.bounding += ["CAP_BOGUS"]'
	create_fails_naming CAP_BOGUS
}

@test "bad input: an unknown rlimit" {
	update_config '.process.rlimits += [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	create_fails_naming RLIMIT_BOGUS
}

@test "bad input: invalid container ids (slash, dot-dot, too long, empty)" {
	local bad long
	long=$(printf 'x%.0s' $(seq 1 1100))
	for bad in "a/b" ".." "../escape" "$long"; do
		run --separate-stderr husk create --bundle "$BUNDLE" "$bad" </dev/null
		assert_failure
		assert_one_error_line
		[ ! -e "$STATE_ROOT/../escape" ] || fail "state written outside --root"
	done
	run --separate-stderr husk create --bundle "$BUNDLE" "" </dev/null
	assert_failure
	[ -z "$(husk list -q)" ] || fail "containers listed: $(husk list -q)"
	assert_nothing_left
}

@test "bad input: a duplicate id is refused, the first container untouched" {
	set_args sleep 1000
	run husk_create
	assert_success
	local pid
	pid=$(state_field "$ID" .pid)
	run --separate-stderr husk_create
	assert_failure
	assert_one_error_line
	[[ "$stderr" == *exist* ]] || fail "error: $stderr"
	assert_eq "$(state_field "$ID" .status)" created "status of the first"
	assert_eq "$(state_field "$ID" .pid)" "$pid" "pid of the first"
	[ "$(marked_pids | wc -l)" -eq 1 ] || fail "processes: $(marked_pids | tr '\n' ' ')"
}

@test "bad input: unknown command and unknown flag" {
	run --separate-stderr husk no-such-command
	assert_failure
	assert_one_error_line
	run --separate-stderr husk create --no-such-flag "$ID"
	assert_failure
	assert_nothing_left
}

@test "bad input: a command's unknown option, one without its value, a value for a flag: one line each" {
	husk_only "runc's errors here are its CLI library's (usage text, several lines)"
	local args want n=0
	# the cases on fd 3: a husk that read its stdin could not swallow the rest of them
	while IFS='|' read -r -u 3 args want; do
		n=$((n + 1))
		# shellcheck disable=SC2086 # the arguments are words
		run --separate-stderr husk $args
		assert_failure
		assert_one_error_line
		[[ $stderr == *"$want"* ]] || fail "husk $args: expected \`$want\` in: $stderr"
	done 3<<EOF
create --no-such-flag $ID|create: unknown option \`--no-such-flag\`
create --bundle|create: option \`--bundle\` needs a value
run -Z $ID|run: unknown option \`-Z\`
exec -u|exec: option \`-u\` needs a value
delete -fz $ID|delete: unknown option \`-z\`
kill --all=3 $ID|kill: option \`--all\` takes no value
start --x $ID|start: unknown option \`--x\`
update --memory|update: option \`--memory\` needs a value
pod create p --network|pod create: option \`--network\` needs a value (see husk pod --help)
EOF
	assert_eq "$n" 9 "cases run"
	assert_nothing_left
}

@test "bad input: an unknown global option, one without its value, a log file that cannot open" {
	husk_only "runc's errors here are its CLI library's (usage text, several lines)"
	run --separate-stderr husk --no-such-option list
	assert_failure
	assert_one_error_line
	[[ $stderr == *"unknown global option \`--no-such-option\`"* ]] || fail "$stderr"
	run --separate-stderr "$HUSK" --root
	assert_failure
	assert_one_error_line
	[[ $stderr == *"global option \`--root\` needs a value"* ]] || fail "$stderr"
	run --separate-stderr husk --log "$BATS_TEST_TMPDIR/no/such/dir/log" list
	assert_failure
	assert_one_error_line
	[[ $stderr == *"open log file"* ]] || fail "$stderr"
}

@test "husk --help lists every global option, and each one it lists is accepted" {
	husk_only "--store, --cgroup-manager and --skip-unavailable-limits are husk's own"
	run "$HUSK" --help
	assert_success
	local opt
	for opt in --root --store --log --log-format --debug --systemd-cgroup --cgroup-manager \
		--skip-unavailable-limits --version --help; do
		grep -qE -- "^  $opt( |,|\$)" <<<"$output" || fail "husk --help does not list $opt"
	done
	# each option listed, with a value of the form it shows, works in front of a command
	local line arg
	while read -r line; do
		[[ $line =~ ^(--[a-z-]+)(\ ([A-Za-z|]+))?(\ |,|$) ]] || continue
		opt=${BASH_REMATCH[1]} arg=${BASH_REMATCH[3]}
		case $arg in
		"") set -- ;;
		DIR | FILE) set -- "$BATS_TEST_TMPDIR/${opt#--}" ;;
		*) set -- "${arg%%|*}" ;;
		esac
		run --separate-stderr husk "$opt" "$@" list
		[ "$status" -eq 0 ] || fail "husk $opt $* list: status $status: $stderr"
	done < <(sed -n '/^global options:/,/^$/p' <<<"$output")
}
