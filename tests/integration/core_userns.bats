#!/usr/bin/env bats
# User namespaces: uid/gid mappings, process user inside a mapped namespace.

load ../helpers/lib

setup() {
	setup_common
	map_userns
}

@test "userns: uid_map and gid_map inside hold the mappings; root inside" {
	set_cmd 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; readlink /proc/self/ns/user'
	run husk_run
	assert_success
	[[ "${lines[0]}" =~ ^[[:space:]]*0[[:space:]]+100000[[:space:]]+65536$ ]] || fail "uid_map: ${lines[0]}"
	[[ "${lines[1]}" =~ ^[[:space:]]*0[[:space:]]+100000[[:space:]]+65536$ ]] || fail "gid_map: ${lines[1]}"
	assert_eq "${lines[2]}" 0 "uid inside"
	assert_eq "${lines[3]}" 0 "gid inside"
	[ "${lines[4]}" != "$(host_ns user)" ] || fail "user ns is the host's"
}

@test "userns: the container's process runs as the mapped host uid" {
	set_args sleep 1000
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	husk_create_start
	local pid
	pid=$(state_field "$ID" .pid)
	for _ in $(seq 1 20); do
		grep -q 'sleep' "/proc/$pid/comm" && break
		sleep 0.1
	done
	assert_eq "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" 101000 "host uid of the process"
	assert_eq "$(awk '/^Gid:/ {print $2}' "/proc/$pid/status")" 101000 "host gid of the process"
}

@test "userns: several mapping ranges" {
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}, {"containerID": 1000, "hostID": 300000, "size": 1000}]'
	set_cmd 'cat /proc/self/uid_map'
	run husk_run
	assert_success
	[ "${#lines[@]}" -eq 2 ] || fail "uid_map: $output"
	[[ "${lines[1]}" =~ ^[[:space:]]*1000[[:space:]]+300000[[:space:]]+1000$ ]] || fail "uid_map: $output"
}

@test "userns: CAP_SYS_ADMIN in the container's user namespace lets it mount a tmpfs" {
	update_config '.process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"] | .process.capabilities.bounding += ["CAP_SYS_ADMIN"]'
	# mount works inside (caps over the userns-owned mount ns)
	set_cmd 'mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && echo mounted'
	run husk_run
	assert_success
	assert_output_contains mounted
}
