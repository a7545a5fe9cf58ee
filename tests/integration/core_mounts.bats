#!/usr/bin/env bats
# mounts: bind/rbind, tmpfs, proc, sysfs, devpts, mqueue, cgroup2, options and flags.

load ../helpers/lib

teardown() {
	# host-side mounts this file's tests made themselves, before the leak check
	if [ -n "${HOST_MOUNT:-}" ]; then umount -l "$HOST_MOUNT" 2>/dev/null || true; fi
	teardown_common
}

# flags MOUNTPOINT <<< mountinfo: per-mount options (field 6)
flags() { awk -v mp="$1" '$5 == mp { f = $6 } END { print f }'; }
# super options and fstype
fstype() { awk -v mp="$1" '$5 == mp { for (i = 7; $i != "-"; i++); t = $(i + 1) } END { print t }'; }
superopts() { awk -v mp="$1" '$5 == mp { for (i = 7; $i != "-"; i++); o = $(i + 3) } END { print o }'; }
has_flag() { [[ ",$1," == *",$2,"* ]]; }

@test "mounts: the default mounts have their types and flags" {
	set_cmd 'cat /proc/self/mountinfo'
	run husk_run
	assert_success
	local mi=$output
	assert_eq "$(fstype /proc <<<"$mi")" proc "/proc type"
	assert_eq "$(fstype /dev <<<"$mi")" tmpfs "/dev type"
	assert_eq "$(fstype /dev/pts <<<"$mi")" devpts "/dev/pts type"
	assert_eq "$(fstype /dev/shm <<<"$mi")" tmpfs "/dev/shm type"
	assert_eq "$(fstype /dev/mqueue <<<"$mi")" mqueue "/dev/mqueue type"
	assert_eq "$(fstype /sys <<<"$mi")" sysfs "/sys type"
	has_flag "$(flags /sys <<<"$mi")" ro || fail "/sys not ro: $(flags /sys <<<"$mi")"
	local f
	f=$(flags /dev/shm <<<"$mi")
	has_flag "$f" nosuid && has_flag "$f" nodev && has_flag "$f" noexec || fail "/dev/shm flags: $f"
	has_flag "$(superopts /dev/pts <<<"$mi")" ptmxmode=666 || fail "devpts options: $(superopts /dev/pts <<<"$mi")"
	has_flag "$(superopts /dev/pts <<<"$mi")" gid=5 || fail "devpts gid: $(superopts /dev/pts <<<"$mi")"
}

@test "mounts: tmpfs with nosuid,nodev,noexec,size,mode and a created destination" {
	add_mount '{"destination": "/a/b/c", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=700"]}'
	set_cmd 'cat /proc/self/mountinfo; stat -c "mode=%a" /a/b/c'
	run husk_run
	assert_success
	local f s
	f=$(flags /a/b/c <<<"$output")
	has_flag "$f" nosuid && has_flag "$f" nodev && has_flag "$f" noexec && has_flag "$f" rw || fail "flags: $f"
	s=$(superopts /a/b/c <<<"$output")
	has_flag "$s" size=1024k || fail "size: $s"
	has_flag "$s" mode=700 || fail "mode: $s"
	assert_output_contains "mode=700"
}

@test "mounts: atime flags: noatime, strictatime, relatime (default)" {
	add_mount '{"destination": "/na", "type": "tmpfs", "source": "tmpfs", "options": ["noatime"]}'
	add_mount '{"destination": "/sa", "type": "tmpfs", "source": "tmpfs", "options": ["strictatime"]}'
	add_mount '{"destination": "/ra", "type": "tmpfs", "source": "tmpfs", "options": ["relatime"]}'
	set_cmd 'cat /proc/self/mountinfo'
	run husk_run
	assert_success
	has_flag "$(flags /na <<<"$output")" noatime || fail "/na: $(flags /na <<<"$output")"
	local sa
	sa=$(flags /sa <<<"$output")
	has_flag "$sa" relatime && fail "/sa has relatime: $sa"
	has_flag "$sa" noatime && fail "/sa has noatime: $sa"
	has_flag "$(flags /ra <<<"$output")" relatime || fail "/ra: $(flags /ra <<<"$output")"
}

@test "mounts: read-only bind of a host directory, read-write bind of a file" {
	local src=$BATS_TEST_TMPDIR/src
	mkdir -p "$src"
	echo hostdata >"$src/f"
	echo hostfile >"$BATS_TEST_TMPDIR/file"
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"bind\", \"ro\"]}"
	add_mount "{\"destination\": \"/etc/single\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/file\", \"options\": [\"bind\", \"rw\"]}"
	set_cmd 'cat /data/f; touch /data/x 2>/dev/null && echo data-writable; cat /etc/single; echo changed > /etc/single; cat /proc/self/mountinfo'
	run husk_run
	assert_success
	assert_eq "${lines[0]}" hostdata "bind content"
	assert_output_not_contains data-writable
	assert_eq "${lines[1]}" hostfile "file bind"
	has_flag "$(flags /data <<<"$output")" ro || fail "/data flags: $(flags /data <<<"$output")"
	assert_eq "$(cat "$BATS_TEST_TMPDIR/file")" changed "write through the file bind"
	[ ! -e "$src/x" ] || fail "file created through a ro bind"
}

@test "mounts: rbind carries submounts, bind does not" {
	local src=$BATS_TEST_TMPDIR/src
	mkdir -p "$src/sub"
	HOST_MOUNT=$src/sub
	mount -t tmpfs -o size=1m none "$src/sub"
	echo inner >"$src/sub/inner"
	add_mount "{\"destination\": \"/r\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"rbind\"]}"
	add_mount "{\"destination\": \"/b\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"bind\"]}"
	set_cmd 'cat /r/sub/inner 2>/dev/null || echo r-missing; cat /b/sub/inner 2>/dev/null || echo b-missing'
	run husk_run
	assert_success
	assert_eq "${lines[0]}" inner "rbind submount"
	assert_eq "${lines[1]}" b-missing "bind without submounts"
}

@test "mounts: rro makes submounts read-only too" {
	local src=$BATS_TEST_TMPDIR/src
	mkdir -p "$src/sub"
	HOST_MOUNT=$src/sub
	mount -t tmpfs -o size=1m none "$src/sub"
	add_mount "{\"destination\": \"/r\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"rbind\", \"rro\"]}"
	set_cmd 'cat /proc/self/mountinfo'
	run husk_run
	assert_success
	has_flag "$(flags /r <<<"$output")" ro || fail "/r: $(flags /r <<<"$output")"
	has_flag "$(flags /r/sub <<<"$output")" ro || fail "/r/sub: $(flags /r/sub <<<"$output")"
}

@test "mounts: propagation option rshared on a bind shows a shared peer group" {
	local src=$BATS_TEST_TMPDIR/src
	mkdir -p "$src"
	add_mount "{\"destination\": \"/p\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"rbind\", \"rshared\"]}"
	add_mount "{\"destination\": \"/q\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"rbind\", \"rprivate\"]}"
	set_cmd 'awk "\$5 == \"/p\" || \$5 == \"/q\"" /proc/self/mountinfo'
	run husk_run
	assert_success
	[[ "$(grep ' /p ' <<<"$output")" == *shared:* ]] || fail "/p not shared: $output"
	[[ "$(grep ' /q ' <<<"$output")" != *shared:* ]] || fail "/q shared: $output"
}

@test "mounts: a second proc and sysfs, mqueue, cgroup2 (private cgroup namespace)" {
	requires cgroupns
	add_ns cgroup
	add_mount '{"destination": "/proc2", "type": "proc", "source": "proc"}'
	add_mount '{"destination": "/mq", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "nodev", "noexec"]}'
	add_mount '{"destination": "/cg", "type": "cgroup2", "source": "cgroup2", "options": ["nosuid", "nodev", "noexec", "ro"]}'
	set_cmd 'cat /proc/self/mountinfo; ls /proc2/self/ >/dev/null && echo proc2-ok'
	run husk_run
	assert_success
	assert_eq "$(fstype /proc2 <<<"$output")" proc "/proc2"
	assert_eq "$(fstype /mq <<<"$output")" mqueue "/mq"
	assert_eq "$(fstype /cg <<<"$output")" cgroup2 "/cg"
	has_flag "$(flags /cg <<<"$output")" ro || fail "/cg flags"
	assert_output_contains proc2-ok
}

@test "mounts: idmap bind mount maps file owners into the container's user namespace" {
	not_in_runc "idmapped mounts (runc 1.2)"
	map_userns
	local src=$BATS_TEST_TMPDIR/src
	mkdir -p "$src"
	chmod 755 "$src"
	touch "$src/rootowned" "$src/userowned"
	chown 1000:1000 "$src/userowned"
	# On disk 0 -> 100000 on the mount -> 0 inside; without idmap, 0 on disk is unmapped inside.
	add_mount "{\"destination\": \"/idm\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"bind\", \"idmap\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]}"
	add_mount "{\"destination\": \"/plain\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"bind\"]}"
	set_cmd 'stat -c "%u:%g" /idm/rootowned /idm/userowned /plain/rootowned'
	run husk_run
	assert_success
	assert_eq "${lines[0]}" "0:0" "root-owned file through the idmapped mount"
	assert_eq "${lines[1]}" "1000:1000" "uid 1000 file through the idmapped mount"
	assert_eq "${lines[2]}" "65534:65534" "root-owned file through a plain bind (unmapped)"
}
