#!/usr/bin/env bats
# mounts as config.md and config-linux.md ask: the default devices whatever /dev is, no mount
# namespace, /sys/fs/cgroup without a cgroup namespace, rootfsPropagation and per-mount
# propagation in both directions.

load ../helpers/lib

teardown() {
	# host-side mounts the tests made themselves (deepest first), before the leak check
	local m
	for m in ${HOST_MOUNTS:-}; do umount -l "$m" 2>/dev/null || true; done
	teardown_common
}

# no_dev_mounts: config.json mounts nothing on /dev (nor below it)
no_dev_mounts() {
	update_config '.mounts |= map(select(.destination | startswith("/dev") | not))'
}

@test "mounts spec: without a /dev mount the default devices and links are still made" {
	no_dev_mounts
	set_cmd 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done
		readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdin
		echo x > /dev/null && echo null-ok'
	run husk_run
	assert_success
	local d
	for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
		assert_output_contains "/dev/${d%%:*} character special file ${d#*:}"
	done
	assert_eq "${lines[6]}" pts/ptmx "/dev/ptmx"
	assert_eq "${lines[7]}" /proc/self/fd "/dev/fd"
	assert_eq "${lines[8]}" /proc/self/fd/0 "/dev/stdin"
	assert_output_contains null-ok
}

@test "mounts spec: an image's /dev/null symlink to a host file is replaced, never followed" {
	husk_only "runc 1.1 keeps an image's /dev/null and /dev/zero when they exist as symlinks"
	local victim=$BATS_TEST_TMPDIR/victim
	echo host-data >"$victim"
	no_dev_mounts
	mkdir -p "$BUNDLE/rootfs/dev"
	# absolute (resolved in the container's root) and relative (climbing out of the rootfs)
	ln -s "$victim" "$BUNDLE/rootfs/dev/null"
	ln -s "../../../../../../../../../..$victim" "$BUNDLE/rootfs/dev/zero"
	ln -s "$victim" "$BUNDLE/rootfs/dev/ptmx"
	set_cmd 'echo overwritten > /dev/null; echo overwritten > /dev/zero
		stat -c "%n %F %t:%T" /dev/null /dev/zero; readlink /dev/ptmx'
	run husk_run
	assert_success
	assert_output_contains "/dev/null character special file 1:3"
	assert_output_contains "/dev/zero character special file 1:5"
	assert_eq "${lines[2]}" pts/ptmx "/dev/ptmx"
	assert_eq "$(cat "$victim")" host-data "the host file behind the image's symlinks"
}

@test "mounts spec: a bind of the host's /dev gets no default devices made in it" {
	no_dev_mounts
	add_mount '{"destination": "/dev", "type": "bind", "source": "/dev", "options": ["rbind", "ro"]}'
	set_cmd 'stat -c "%n %F %t:%T" /dev/null; echo x > /dev/null && echo null-ok'
	run husk_run
	assert_success
	assert_output_contains "/dev/null character special file 1:3"
	assert_output_contains null-ok
}
