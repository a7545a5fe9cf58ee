#!/usr/bin/env bats
# hostname, domainname, sysctl.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

@test "hostname is set in the new uts namespace, the host's is untouched" {
	local host_hn
	host_hn=$(hostname)
	update_config '.hostname = "box1"'
	set_cmd 'hostname'
	run husk_run
	assert_success
	assert_eq "${lines[0]}" box1 "hostname"
	assert_eq "$(hostname)" "$host_hn" "host hostname"
}

@test "domainname is set in the new uts namespace, the host's is untouched" {
	not_in_runc "the domainname field (runc 1.2)"
	local host_dn
	host_dn=$(cat /proc/sys/kernel/domainname)
	update_config '.hostname = "box1" | .domainname = "example.test"'
	set_cmd 'hostname; cat /proc/sys/kernel/domainname'
	run husk_run
	assert_success
	assert_eq "${lines[0]}" box1 "hostname"
	assert_eq "${lines[1]}" example.test "domainname"
	assert_eq "$(cat /proc/sys/kernel/domainname)" "$host_dn" "host domainname"
}

@test "hostname without a uts namespace is refused, nothing left" {
	drop_ns uts
	update_config '.hostname = "nope"'
	local host_hn
	host_hn=$(hostname)
	run --separate-stderr husk_run
	assert_failure
	assert_one_error_line
	assert_eq "$(hostname)" "$host_hn" "host hostname"
	assert_nothing_left
}

@test "sysctl: namespaced net and ipc sysctls are applied inside only" {
	local host_fwd host_shm
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	host_shm=$(cat /proc/sys/kernel/shmmni)
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234", "net.ipv4.ping_group_range": "0 0"}'
	set_cmd 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ping_group_range'
	run husk_run
	assert_success
	assert_eq "${lines[0]}" 1 "ip_forward"
	assert_eq "${lines[1]}" 1234 "shmmni"
	[[ "${lines[2]}" =~ ^0[[:space:]]+0$ ]] || fail "ping_group_range: ${lines[2]}"
	assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_fwd" "host ip_forward"
	assert_eq "$(cat /proc/sys/kernel/shmmni)" "$host_shm" "host shmmni"
}

@test "sysctl: a non-namespaced sysctl is refused with one clear line, nothing left" {
	update_config '.linux.sysctl = {"vm.swappiness": "10"}'
	local before
	before=$(cat /proc/sys/vm/swappiness)
	run --separate-stderr husk_run
	assert_failure
	assert_one_error_line
	[[ "$stderr" == *vm.swappiness* ]] || fail "error does not name the sysctl: $stderr"
	assert_eq "$(cat /proc/sys/vm/swappiness)" "$before" "host swappiness"
	assert_nothing_left
}

@test "sysctl: a net sysctl without a network namespace is refused, nothing left" {
	drop_ns network
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	local before
	before=$(cat /proc/sys/net/ipv4/ip_forward)
	run --separate-stderr husk_run
	assert_failure
	assert_one_error_line
	assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$before" "host ip_forward"
	assert_nothing_left
}
