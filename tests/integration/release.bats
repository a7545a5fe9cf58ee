#!/usr/bin/env bats
# The husk that `make` builds and `make install` installs is a static PIE that loads libmnl
# when a command first opens a netlink socket (Makefile, netns/mnl_load.c).  The rest of the
# suite runs the ASan+UBSan build, which is linked dynamically.  These tests run the release
# binary, HUSK_RELEASE (tests/helpers/run-tests sets it to the first build dir's husk), through
# what the link changes: the binary itself, a container's start, and a pod's network.
#
# Network safety: the pod test runs husk in a network namespace of its own ("the host" of the
# test), so the bridge, the veth and the rules vanish with it.  Root.

load ../helpers/lib

setup() {
	[ -n "${HUSK_RELEASE:-}" ] || skip "HUSK_RELEASE is not set (tests/helpers/run-tests sets it)"
	HUSK=$HUSK_RELEASE
	setup_common
}

teardown() {
	[ -n "${HUSK_RELEASE:-}" ] || return 0
	if [ -n "${TNS:-}" ]; then
		in_host "$HUSK" --root "$STATE_ROOT" pod delete --force rel >/dev/null 2>&1 || true
		umount "$TNS" 2>/dev/null || true
	fi
	rm -rf "$STATE_ROOT/pods" "$STATE_ROOT/networks" "$STATE_ROOT/pods.lock" 2>/dev/null || true
	teardown_common
}

in_host() { nsenter --net="$TNS" "$@"; }

@test "release: husk is a static PIE: no program interpreter, no shared library" {
	run readelf -lhd "$HUSK"
	assert_success
	assert_output_contains "DYN (Position-Independent Executable file)"
	assert_output_not_contains "INTERP"
	assert_output_not_contains "(NEEDED)"
}

@test "release: run starts a container; a running husk maps no shared object" {
	set_args sh -c 'hostname; exit 7'
	update_config '.hostname = "rel-box"'
	run husk_run
	assert_eq "$status" 7 "exit code"
	assert_eq "$output" rel-box "hostname inside"

	# a foreground run waits for its container: its own mappings are all husk's
	set_args sleep 1000
	HUSK_TEST_MARK=$MARK "$HUSK" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$ID" \
		</dev/null >/dev/null 2>&1 &
	local pid=$!
	for _ in $(seq 1 50); do
		[ "$(state_field "$ID" .status 2>/dev/null)" = running ] && break
		sleep 0.1
	done
	assert_eq "$(state_field "$ID" .status)" running "status"
	grep -q husk "/proc/$pid/maps" || fail "pid $pid is not husk: $(cat "/proc/$pid/cmdline")"
	! grep -E '\.so(\.[0-9]+)*$' "/proc/$pid/maps" || fail "husk run maps shared objects"
	husk kill "$ID" KILL
	wait "$pid" || true
}

@test "release: a pod gets its veth and address through the libmnl loaded at run time" {
	TNS=$BATS_TEST_TMPDIR/netns-host
	touch "$TNS"
	unshare --net="$TNS" ip link set lo up
	run in_host "$HUSK" --root "$STATE_ROOT" pod create rel
	assert_success
	local ip veth
	ip=$(in_host "$HUSK" --root "$STATE_ROOT" pod inspect rel | jq -r '.ips[0].address | split("/")[0]')
	veth=$(in_host "$HUSK" --root "$STATE_ROOT" pod inspect rel | jq -r '.interfaces[1].name')
	in_host ip -o link show "$veth" | grep -q "master husk0"
	in_host busybox ping -c 1 -W 2 "$ip"
	# a second create of the name is refused, the first pod untouched
	run --separate-stderr in_host "$HUSK" --root "$STATE_ROOT" pod create rel
	assert_failure
	assert_one_error_line
	in_host busybox ping -c 1 -W 2 "$ip"
	in_host "$HUSK" --root "$STATE_ROOT" pod delete rel
	for _ in $(seq 1 50); do
		in_host ip link show "$veth" >/dev/null 2>&1 || break
		sleep 0.1
	done
	! in_host ip link show "$veth" 2>/dev/null || fail "pod delete left $veth"
	[ ! -e "$STATE_ROOT/pods/rel" ]
}
