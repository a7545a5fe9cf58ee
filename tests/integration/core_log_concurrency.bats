#!/usr/bin/env bats
# --log / --log-format json, --version, and concurrent use of one --root.

load ../helpers/lib

@test "log: a failed create leaves exactly one JSON error line in --log (json)" {
	update_config '.process.args = []'
	local log=$BATS_TEST_TMPDIR/log.json
	run --separate-stderr husk --log "$log" --log-format json create --bundle "$BUNDLE" "$ID"
	assert_failure
	[ -s "$log" ] || fail "log file empty"
	local line n=0
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		jq -e 'type == "object" and has("level") and has("msg") and has("time")' <<<"$line" >/dev/null ||
			fail "not a {level,msg,time} JSON line: $line"
		n=$((n + 1))
	done <"$log"
	[ "$n" -ge 1 ] || fail "no lines"
	assert_eq "$(jq -r 'select(.level == "error") | .level' "$log" | wc -l)" 1 "error lines"
	[ -n "$(jq -r 'select(.level == "error") | .msg' "$log")" ] || fail "empty error msg"
	assert_nothing_left
}

@test "log: json lines for a successful run with --debug are JSON too" {
	set_args true
	local log=$BATS_TEST_TMPDIR/log.json
	run husk --log "$log" --log-format json --debug run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	local line
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		jq -e 'has("level") and has("msg") and has("time")' <<<"$line" >/dev/null || fail "not JSON: $line"
	done <"$log"
	[ -z "$(jq -r 'select(.level == "error")' "$log")" ] || fail "error lines in a successful run: $(cat "$log")"
}

@test "log: text format writes the error to the log file" {
	update_config '.process.args = []'
	local log=$BATS_TEST_TMPDIR/log.txt
	run --separate-stderr husk --log "$log" create --bundle "$BUNDLE" "$ID"
	assert_failure
	[ -s "$log" ] || fail "log file empty"
	grep -qi error "$log" || fail "no error in the log: $(cat "$log")"
}

@test "version: --version names the spec version" {
	run husk --version
	assert_success
	[[ "$output" =~ version ]] || fail "$output"
	[[ "$output" =~ spec:\ 1\. ]] || fail "no spec line: $output"
}

@test "concurrency: parallel creates and deletes of many containers on one root" {
	set_args sleep 1000
	local n=16 i
	for i in $(seq 1 $n); do
		husk_bg create --bundle "$BUNDLE" "$ID-$i" >/dev/null 2>"$BATS_TEST_TMPDIR/create-$i.err" &
	done
	wait
	for i in $(seq 1 $n); do
		[ ! -s "$BATS_TEST_TMPDIR/create-$i.err" ] || fail "create $i: $(cat "$BATS_TEST_TMPDIR/create-$i.err")"
	done
	run husk list -q
	assert_success
	assert_eq "$(wc -l <<<"$output")" "$n" "containers listed"
	run husk list --format json
	assert_eq "$(jq '[.[] | select(.status == "created")] | length' <<<"$output")" "$n" "created containers"
	for i in $(seq 1 $n); do
		[ "$(state_field "$ID-$i" .status)" = created ] || fail "state of $ID-$i"
	done
	# half start while the other half are deleted, all at once
	for i in $(seq 1 $n); do
		if [ $((i % 2)) -eq 0 ]; then
			husk start "$ID-$i" &
		else
			husk delete --force "$ID-$i" &
		fi
	done
	wait
	run husk list --format json
	assert_eq "$(jq '[.[] | select(.status == "running")] | length' <<<"$output")" $((n / 2)) "running containers"
	for i in $(seq 2 2 $n); do
		husk delete --force "$ID-$i" &
	done
	wait
	run husk list -q
	assert_eq "$output" "" "containers left"
	for i in $(seq 1 $n); do
		assert_nothing_left "$ID-$i"
	done
}

@test "concurrency: parallel creates of one id: exactly one wins" {
	set_args sleep 1000
	local i ok=0
	for i in $(seq 1 8); do
		(
			if husk_bg create --bundle "$BUNDLE" "$ID" >/dev/null 2>&1; then
				touch "$BATS_TEST_TMPDIR/won-$i"
			fi
		) &
	done
	wait
	ok=$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name 'won-*' | wc -l)
	assert_eq "$ok" 1 "successful creates"
	assert_eq "$(state_field "$ID" .status)" created "status"
	local pid
	pid=$(state_field "$ID" .pid)
	pid_alive "$pid" || fail "the winner's process $pid is gone"
	for _ in $(seq 1 20); do [ "$(marked_pids | wc -l)" -le 1 ] && break; sleep 0.1; done
	assert_eq "$(marked_pids | tr '\n' ' ')" "$pid " "processes of the losers left"
}
