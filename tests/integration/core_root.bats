#!/usr/bin/env bats
# root: pivot_root, --no-pivot, readonly, rootfsPropagation, root.path forms.

load ../helpers/lib

# What the container sees of its root: its own files, none of the host's mounts.
root_script='cat /etc/hostname; ls /usr/lib >/dev/null 2>&1 && echo host-usr-lib-visible; grep -c . /proc/self/mountinfo; awk "\$5 == \"/\" {print}" /proc/self/mountinfo'

@test "root: pivot_root into the rootfs, the host's mounts are gone" {
	set_cmd "$root_script"
	run husk_run
	assert_success
	assert_eq "${lines[0]}" husk-test "rootfs /etc/hostname"
	assert_output_not_contains host-usr-lib-visible
	# the host has mounts under /sys/fs/cgroup; the container does not see them
	set_cmd 'cat /proc/self/mountinfo'
	run husk_run
	assert_success
	assert_output_not_contains " /sys/fs/cgroup/cpu "
	# the bundle path may show as the root's source (field 4), never as a mount point
	[ -z "$(awk -v b="$BUNDLE" 'index($5, b)' <<<"$output")" ] || fail "host paths mounted: $output"
}

@test "root: --no-pivot (MS_MOVE + chroot) works too" {
	set_cmd "$root_script"
	run husk_run --no-pivot
	assert_success
	assert_eq "${lines[0]}" husk-test "rootfs /etc/hostname"
	assert_output_not_contains host-usr-lib-visible
}

@test "root: readonly root, writable tmpfs on top" {
	update_config '.root.readonly = true'
	add_mount '{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}'
	set_cmd 'touch /rootfile 2>&1; echo rc=$?; touch /tmp/ok && echo tmp-ok; awk "\$5 == \"/\" {print \$6}" /proc/self/mountinfo'
	run husk_run
	assert_success
	assert_output_contains "Read-only file system"
	assert_output_contains "rc=1"
	assert_output_contains tmp-ok
	[[ "${lines[-1]}" =~ (^|,)ro(,|$) ]] || fail "/ mount flags: ${lines[-1]}"
	[ ! -e "$BUNDLE/rootfs/rootfile" ] || fail "file written into the readonly rootfs"
}

@test "root: absolute root.path" {
	update_config --arg p "$BUNDLE/rootfs" '.root.path = $p'
	set_cmd 'cat /etc/hostname'
	run husk_run
	assert_success
	assert_eq "$output" husk-test "rootfs"
}

@test "root: rootfsPropagation private and shared show in the root's mountinfo tags" {
	update_config '.linux.rootfsPropagation = "private"'
	set_cmd 'awk "\$5 == \"/\"" /proc/self/mountinfo'
	run husk_run
	assert_success
	[[ "$output" != *shared:* && "$output" != *master:* ]] || fail "private root has propagation tags: $output"

	not_in_runc "rootfsPropagation shared: runc 1.1 leaves the pivoted root private when the host's / is private"
	update_config '.linux.rootfsPropagation = "shared"'
	run husk_run
	assert_success
	assert_output_contains "shared:"
}

@test "root: the rootfs is not modified by the runtime's mounts (no leak to the host)" {
	set_cmd 'mount | wc -l'
	run husk_run
	assert_success
	[ -z "$(grep -F "$BUNDLE" /proc/self/mountinfo)" ] || fail "mounts leaked into the host"
}
