#!/usr/bin/env bats
# `list`: table, json, quiet.

load ../helpers/lib

@test "list: empty root lists nothing" {
	run husk list -q
	assert_success
	assert_eq "$output" "" "list -q"
	run husk list --format json
	assert_success
	# runc prints null for an empty list; [] is fine too.
	[[ "$output" == null || "$(jq -c . <<<"$output")" == "[]" ]] || fail "json: $output"
}

@test "list: table, json and quiet list every container with its status" {
	set_args sleep 1000
	local id2=${ID}-b
	run husk_create
	assert_success
	run husk_bg create --bundle "$BUNDLE" "$id2"
	assert_success
	run husk start "$id2"
	assert_success

	run husk list -q
	assert_success
	assert_eq "$(sort <<<"$output" | tr '\n' ' ')" "$(printf '%s\n' "$ID" "$id2" | sort | tr '\n' ' ')" "list -q"

	run husk list --format json
	assert_success
	assert_eq "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$output")" created "json status of $ID"
	assert_eq "$(jq -r --arg id "$id2" '.[] | select(.id == $id) | .status' <<<"$output")" running "json status of $id2"
	assert_eq "$(jq -r --arg id "$id2" '.[] | select(.id == $id) | .bundle' <<<"$output")" "$BUNDLE" "json bundle"
	[ "$(jq -r --arg id "$id2" '.[] | select(.id == $id) | .pid' <<<"$output")" -gt 0 ] || fail "json pid"

	run husk list
	assert_success
	[[ "${lines[0]}" =~ ^ID[[:space:]]+PID[[:space:]]+STATUS[[:space:]]+BUNDLE ]] || fail "table header: ${lines[0]}"
	[[ "$output" =~ ${ID}[[:space:]]+[0-9]+[[:space:]]+created ]] || fail "table row: $output"
	[[ "$output" =~ ${id2}[[:space:]]+[0-9]+[[:space:]]+running ]] || fail "table row: $output"
}
