#!/usr/bin/env bats
# linux.namespaces: new ones, absent ones (shared with the host), joining by path, timeOffsets.

load ../helpers/lib

ns_script='for n in pid net ipc uts mnt cgroup user time; do echo "$n $(readlink /proc/self/ns/$n)"; done; echo "pid1 $$"'

ns_of() { # NAME <<< output
	awk -v n="$1" '$1 == n { print $2 }'
}

@test "namespaces: pid, network, ipc, uts, mount, cgroup are new; pid 1 inside" {
	requires cgroupns
	add_ns cgroup
	set_cmd "$ns_script"
	run husk_run
	assert_success
	local n
	for n in pid net ipc uts mnt cgroup; do
		local inside
		inside=$(ns_of "$n" <<<"$output")
		[ -n "$inside" ] || fail "no $n namespace link inside: $output"
		[ "$inside" != "$(host_ns "$n")" ] || fail "$n namespace is the host's ($inside)"
	done
	assert_eq "$(ns_of user <<<"$output")" "$(host_ns user)" "user ns (not requested)"
	assert_eq "$(ns_of pid1 <<<"$output")" 1 "pid of the init inside"
}

@test "namespaces: a namespace not listed is shared with the host" {
	drop_ns network ipc uts
	set_cmd "$ns_script"
	run husk_run
	assert_success
	local n
	for n in net ipc uts; do
		assert_eq "$(ns_of "$n" <<<"$output")" "$(host_ns "$n")" "$n ns"
	done
	[ "$(ns_of mnt <<<"$output")" != "$(host_ns mnt)" ] || fail "mnt ns is the host's"
}

@test "namespaces: join another container's network, ipc and uts namespaces by path" {
	set_args sleep 1000
	local first=${ID}-first
	run husk_bg create --bundle "$BUNDLE" "$first"
	assert_success
	local pid
	pid=$(state_field "$first" .pid)
	add_ns network "/proc/$pid/ns/net"
	add_ns ipc "/proc/$pid/ns/ipc"
	add_ns uts "/proc/$pid/ns/uts"
	set_cmd "$ns_script"
	run husk_run
	assert_success
	assert_eq "$(ns_of net <<<"$output")" "$(readlink "/proc/$pid/ns/net")" "joined net ns"
	assert_eq "$(ns_of ipc <<<"$output")" "$(readlink "/proc/$pid/ns/ipc")" "joined ipc ns"
	assert_eq "$(ns_of uts <<<"$output")" "$(readlink "/proc/$pid/ns/uts")" "joined uts ns"
	[ "$(ns_of pid <<<"$output")" != "$(readlink "/proc/$pid/ns/pid")" ] || fail "pid ns was joined too"
}

@test "namespaces: a new network namespace has only a loopback device, down" {
	set_cmd 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "'
	run husk_run
	assert_success
	assert_eq "$output" lo "links in the new netns"
}

@test "namespaces: time namespace with timeOffsets shifts monotonic and boottime" {
	requires timens
	not_in_runc "time namespaces and timeOffsets (runc 1.2)"
	add_ns time
	update_config '.linux.timeOffsets = {"monotonic": {"secs": 864000, "nanosecs": 0}, "boottime": {"secs": 1728000, "nanosecs": 0}}'
	set_cmd 'cat /proc/uptime; readlink /proc/self/ns/time'
	run husk_run
	assert_success
	local up host_up
	up=$(head -1 <<<"$output" | cut -d. -f1)
	host_up=$(cut -d. -f1 /proc/uptime)
	# /proc/uptime shows boottime: shifted by 20 days
	[ "$up" -ge $((host_up + 1728000 - 5)) ] || fail "uptime inside $up, host $host_up"
	[ "$(sed -n 2p <<<"$output")" != "$(host_ns time)" ] || fail "time ns is the host's"
}
