#!/usr/bin/env bats
# /dev: the default devices, symlinks, /dev/shm, linux.devices.

load ../helpers/lib

@test "devices: default character devices with their numbers, usable" {
	set_cmd 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done
		echo x > /dev/null && echo null-ok
		head -c 4 /dev/zero | od -An -tx1 | tr -d " "
		head -c 8 /dev/urandom | wc -c
		echo x > /dev/full 2>/dev/null || echo full-enospc'
	run husk_run
	assert_success
	assert_output_contains "/dev/null character special file 1:3"
	assert_output_contains "/dev/zero character special file 1:5"
	assert_output_contains "/dev/full character special file 1:7"
	assert_output_contains "/dev/random character special file 1:8"
	assert_output_contains "/dev/urandom character special file 1:9"
	assert_output_contains "/dev/tty character special file 5:0"
	assert_output_contains null-ok
	assert_output_contains 00000000
	assert_output_contains full-enospc
}

@test "devices: /dev/ptmx, /dev/fd and stdio symlinks, /dev/shm is a tmpfs" {
	set_cmd 'readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdin; readlink /dev/stdout; readlink /dev/stderr
		ls /dev/pts/ptmx >/dev/null && echo pts-ptmx
		awk "\$5 == \"/dev/shm\" { for (i = 7; \$i != \"-\"; i++); print \$(i + 1) }" /proc/self/mountinfo
		[ -e /dev/console ] && echo has-console || echo no-console'
	run husk_run
	assert_success
	assert_eq "${lines[0]}" pts/ptmx "/dev/ptmx"
	assert_eq "${lines[1]}" /proc/self/fd "/dev/fd"
	assert_eq "${lines[2]}" /proc/self/fd/0 "/dev/stdin"
	assert_eq "${lines[3]}" /proc/self/fd/1 "/dev/stdout"
	assert_eq "${lines[4]}" /proc/self/fd/2 "/dev/stderr"
	assert_output_contains pts-ptmx
	assert_eq "${lines[6]}" tmpfs "/dev/shm type"
	assert_output_contains no-console
}

@test "devices: linux.devices creates char, block and fifo nodes with mode and owner" {
	update_config '.linux.devices = [
		{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 384, "uid": 0, "gid": 1},
		{"path": "/dev/sub/myloop", "type": "b", "major": 7, "minor": 0, "fileMode": 432},
		{"path": "/dev/myfifo", "type": "p", "fileMode": 420}]'
	set_cmd 'stat -c "%n %F %t:%T %a %u:%g" /dev/mynull /dev/sub/myloop /dev/myfifo; echo data > /dev/mynull && echo write-ok'
	run husk_run
	assert_success
	assert_output_contains "/dev/mynull character special file 1:3 600 0:1"
	assert_output_contains "/dev/sub/myloop block special file 7:0 660 0:0"
	assert_output_contains "/dev/myfifo fifo 0:0 644 0:0"
	assert_output_contains write-ok
}

# The cgroup's eBPF device program is attached by a helper thread while the init of a `run`
# sets up, and before the clone for create.  Major 240 is for local use and has no driver here:
# the program refuses the open before the kernel looks for a driver (EPERM); allowed, the open
# reaches the missing driver (ENXIO).  No device is touched either way.  The node is made with
# mknod in the container (allowed for any device by runc's defaults): linux.devices would add
# an allow rule of its own.
@test "devices: the cgroup's device program refuses an unlisted device; a resources rule allows it" {
	husk_only
	update_config '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
	set_cmd 'mknod /dev/nodrv c 240 0 && cat /dev/nodrv 2>&1; true'
	run husk_run
	assert_success
	assert_output_contains "Operation not permitted"

	# create + start: attached before the clone
	add_shared_dir
	set_cmd 'mknod /dev/nodrv c 240 0 && cat /dev/nodrv >/shared/out 2>&1; echo done >/shared/done'
	husk_create_start
	wait_file "$SHARED/done"
	grep -q "Operation not permitted" "$SHARED/out" || fail "create/start: $(cat "$SHARED/out")"
	wait_status "$ID" stopped
	run husk delete "$ID"
	assert_success

	update_config '.linux.resources.devices = [{"allow": true, "type": "c", "major": 240, "minor": 0, "access": "r"}]'
	set_cmd 'mknod /dev/nodrv c 240 0 && cat /dev/nodrv 2>&1; true'
	run husk_run
	assert_success
	assert_output_contains "No such device or address"
	assert_output_not_contains "Operation not permitted"
}
