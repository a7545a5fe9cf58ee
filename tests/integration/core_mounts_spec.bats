#!/usr/bin/env bats
# mounts as config.md and config-linux.md ask: the default devices whatever /dev is, no mount
# namespace, /sys/fs/cgroup without a cgroup namespace, rootfsPropagation and per-mount
# propagation in both directions.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
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

# shared_volume: $VOL, a host directory bound on itself and made shared (called outside
# `run`: teardown undoes its mounts).
shared_volume() {
	VOL=$BATS_TEST_TMPDIR/vol
	mkdir -p "$VOL"
	mount --bind "$VOL" "$VOL"
	HOST_MOUNTS="$VOL/c $VOL/h $VOL"
	mount --make-shared "$VOL"
	mkdir -p "$VOL/c" "$VOL/h"
}

# propagation_case ROOTFS_PROPAGATION VOLUME_PROPAGATION: $VOL is bound at /vol with
# VOLUME_PROPAGATION; the container mounts a tmpfs on /vol/c, the host one on $VOL/h.  Prints
# "c2h=yes|no h2c=yes|no": which of the two crossed.
propagation_case() {
	update_config --arg p "$1" '.linux.rootfsPropagation = $p'
	add_mount "{\"destination\": \"/vol\", \"type\": \"bind\", \"source\": \"$VOL\", \"options\": [\"rbind\", \"$2\"]}"
	update_config '.process.capabilities[] += ["CAP_SYS_ADMIN"]'
	set_cmd 'mount -t tmpfs -o size=64k ctmp /vol/c && touch /vol/c/from-container /vol/ready
		while [ ! -e /vol/go ]; do sleep 0.05; done
		[ -e /vol/h/from-host ] && echo h2c=yes >/vol/result || echo h2c=no >/vol/result'
	husk_bg run -d --bundle "$BUNDLE" "$ID" || return 1
	wait_file "$VOL/ready" || return 1
	local c2h=no
	[ -e "$VOL/c/from-container" ] && c2h=yes
	mount -t tmpfs -o size=64k htmp "$VOL/h"
	touch "$VOL/h/from-host" "$VOL/go"
	wait_file "$VOL/result" || return 1
	echo "c2h=$c2h $(cat "$VOL/result")"
}

@test "mounts spec: rootfsPropagation rshared, rshared volume: mounts cross both ways" {
	shared_volume
	run propagation_case rshared rshared
	assert_success
	assert_eq "$output" "c2h=yes h2c=yes" "propagation"
}

@test "mounts spec: rootfsPropagation rshared, rslave volume: host to container only" {
	shared_volume
	run propagation_case rshared rslave
	assert_success
	assert_eq "$output" "c2h=no h2c=yes" "propagation"
}

@test "mounts spec: rootfsPropagation rshared, rprivate volume: nothing crosses" {
	shared_volume
	run propagation_case rshared rprivate
	assert_success
	assert_eq "$output" "c2h=no h2c=no" "propagation"
}

@test "mounts spec: default rootfsPropagation (rslave), rshared volume: host to container only" {
	shared_volume
	run propagation_case rslave rshared
	assert_success
	assert_eq "$output" "c2h=no h2c=yes" "propagation"
}

@test "mounts spec: rootfsPropagation rprivate: nothing crosses, even with an rshared volume" {
	shared_volume
	run propagation_case rprivate rshared
	assert_success
	assert_eq "$output" "c2h=no h2c=no" "propagation"
}

@test "mounts spec: a spec mount nested in an rprivate volume never reaches the host" {
	shared_volume
	update_config '.linux.rootfsPropagation = "rshared"'
	add_mount "{\"destination\": \"/vol\", \"type\": \"bind\", \"source\": \"$VOL\", \"options\": [\"rbind\", \"rprivate\"]}"
	add_mount '{"destination": "/vol/c", "type": "tmpfs", "source": "nested", "options": ["size=64k"]}'
	set_cmd 'grep -c " /vol/c " /proc/self/mountinfo'
	run husk_run
	assert_success
	assert_eq "$output" 1 "the nested mount in the container"
	run grep -F " $VOL/c " /proc/self/mountinfo
	assert_eq "$output" "" "the nested mount on the host"
}

# host_rootfs_mounts: the host's mounts on or under this test's rootfs
host_rootfs_mounts() {
	awk -v r="$BUNDLE/rootfs" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo
}

@test "mounts spec: without a mount namespace the rootfs is the caller's, delete unmounts it" {
	husk_only "runc 1.1 leaves the rootfs and its mounts on the host after delete"
	drop_ns mount
	touch "$BUNDLE/rootfs/in-the-rootfs"
	set_cmd '[ -e /in-the-rootfs ] && echo rootfs-ok; stat -c "%F %t:%T" /dev/null; grep -c " /proc " /proc/self/mountinfo'
	run husk_create
	assert_success
	# the container's mounts are in this (the caller's) namespace
	[[ "$(host_rootfs_mounts)" == *"$BUNDLE/rootfs/proc"* ]] || fail "no host mount under the rootfs: $(host_rootfs_mounts)"
	# exec enters the container's root too
	run husk exec "$ID" ls /in-the-rootfs
	assert_success
	assert_eq "$output" /in-the-rootfs "exec's view"
	run husk start "$ID"
	assert_success
	wait_status "$ID" stopped
	assert_eq "$(cat "$BATS_TEST_TMPDIR/io-$ID.out" | head -2 | tr '\n' ' ')" "rootfs-ok character special file 1:3 " "the container's view"
	run husk delete "$ID"
	assert_success
	assert_eq "$(host_rootfs_mounts)" "" "mounts left on the host"
	run husk_run
	assert_success
	assert_eq "$(host_rootfs_mounts)" "" "mounts left on the host after run"
}

@test "mounts spec: without a mount namespace delete --force undoes a create killed half-way" {
	husk_only "runc 1.1 leaves the rootfs and its mounts on the host"
	drop_ns mount
	# the createRuntime hook runs in husk's create once the init has mounted the rootfs: it
	# kills that create as a client's timeout would
	update_config '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "kill -9 $PPID"]}]'
	run husk_create
	assert_failure
	[ -n "$(host_rootfs_mounts)" ] || fail "the create did not get as far as mounting"
	run husk delete --force "$ID"
	assert_success
	assert_eq "$(host_rootfs_mounts)" "" "mounts left on the host"
	assert_nothing_left
}

@test "mounts spec: a failing hook that reads no stdin fails create cleanly, not by SIGPIPE" {
	# the state is larger than a pipe holds, so its write to the hook fails with EPIPE
	update_config '.annotations.big = ("x" * 200000) | .hooks.createRuntime = [{"path": "/bin/false"}]'
	run --separate-stderr husk_create
	[ "$status" -eq 1 ] || fail "expected exit status 1, got $status: $stderr"
	assert_nothing_left
}

@test "mounts spec: without a mount namespace a failed create leaves no mount behind" {
	husk_only "runc 1.1 refuses maskedPaths without a mount namespace; the message is husk's"
	drop_ns mount
	# a hook that fails without reading its stdin, and a state larger than a pipe holds:
	# writing the state to it fails with EPIPE (which once killed create with SIGPIPE,
	# before its rollback)
	update_config '.annotations.big = ("x" * 200000) | .hooks.createRuntime = [{"path": "/bin/false"}]'
	run --separate-stderr husk_create
	[ "$status" -eq 1 ] || fail "expected exit status 1, got $status: $stderr"
	assert_one_error_line
	[[ "$stderr" == *"hook \`/bin/false\` exited with status 1"* ]] || fail "error: $stderr"
	assert_eq "$(host_rootfs_mounts)" "" "mounts left on the host"
	assert_nothing_left
}

# add_cgroup_mount OPTION...: a cgroup mount on /sys/fs/cgroup (runc spec's, with OPTIONs)
add_cgroup_mount() {
	local opts
	opts=$(jq -cn '$ARGS.positional' --args -- nosuid noexec nodev relatime "$@")
	add_mount "{\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\", \"options\": $opts}"
}

skip_runc_hybrid() {
	if is_runc && [ -d /sys/fs/cgroup/unified ]; then
		skip "runc 1.1 on a hybrid host places containers in v1 and binds no unified"
	fi
}

# own_cgroup_view ro|rw: run the container (a cgroup mount on /sys/fs/cgroup, no cgroup
# namespace) and check its cgroup2 directory as it sees it: its own (pid 1 in cgroup.procs,
# no cgroup below) and mounted ro or rw, as /sys/fs/cgroup itself.
own_cgroup_view() {
	skip_runc_hybrid
	drop_ns cgroup
	if [ "$1" = rw ]; then add_cgroup_mount rw; else add_cgroup_mount; fi
	set_cmd 'd=/sys/fs/cgroup; [ -d $d/unified ] && d=$d/unified
		echo "procs: $(tr "\n" " " < $d/cgroup.procs)"
		echo "subdirs: $(find $d -mindepth 1 -type d | wc -l)"
		echo "flags: $(awk -v d=$d "\$5 == d { print \$6 }" /proc/self/mountinfo)"
		echo "top: $(awk "\$5 == \"/sys/fs/cgroup\" { print \$6 }" /proc/self/mountinfo)"'
	run husk_run
	assert_success
	[[ "$output" == *"procs: 1 "* ]] || fail "the container's pid 1 is not in the cgroup.procs it sees: $output"
	assert_output_contains "subdirs: 0"
	[[ "$(grep flags: <<<"$output")" == "flags: $1,"* ]] || fail "cgroup not $1: $output"
	[[ "$(grep top: <<<"$output")" == "top: $1,"* ]] || fail "/sys/fs/cgroup not $1: $output"
}

@test "mounts spec: without a cgroup namespace /sys/fs/cgroup shows only the container's cgroup, ro" {
	own_cgroup_view ro
}

@test "mounts spec: without a cgroup namespace the rw option makes the container's cgroup writable" {
	own_cgroup_view rw
}

@test "mounts spec: in a user namespace without a cgroup namespace, the container's cgroup only" {
	map_userns
	own_cgroup_view ro
}

@test "mounts spec: on a unified host (cgroup2 on /sys/fs/cgroup) the container's cgroup is bound there" {
	husk_only "runc 1.1 mounts the whole cgroup2 hierarchy there without a cgroup namespace"
	[ -d /sys/fs/cgroup/unified ] || skip "a unified host: the tests above cover it"
	drop_ns cgroup
	add_cgroup_mount
	set_cmd 'awk "\$5 == \"/sys/fs/cgroup\" { print \$4, \$6, \$9 }" /proc/self/mountinfo
		echo "procs: $(tr "\n" " " < /sys/fs/cgroup/cgroup.procs)"
		echo "subdirs: $(find /sys/fs/cgroup -mindepth 1 -type d | wc -l)"'
	# a unified host in a private mount namespace of this test: cgroup2 over the hybrid tmpfs
	run unshare -m --propagation private sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' sh \
		env HUSK_TEST_MARK="$MARK" "$HUSK" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	[[ "${lines[0]}" == "/"*"$ID ro,"* ]] || fail "not the container's cgroup, read-only: ${lines[0]}"
	assert_output_contains "procs: 1 "
	assert_output_contains "subdirs: 0"
}

@test "mounts spec: a hybrid host's v1 hierarchies appear at the init's own cgroups" {
	[ -d /sys/fs/cgroup/unified ] || skip "not a hybrid host"
	drop_ns cgroup
	add_cgroup_mount
	set_cmd 'for h in /sys/fs/cgroup/*/; do h=${h%/}; echo "$(basename $h) $(awk -v d=$h "\$5 == d { print \$4, \$9 }" /proc/self/mountinfo)"; done; cat /proc/self/cgroup'
	run husk_run
	assert_success
	local line name root
	# every v1 hierarchy the init is in is bound at the path /proc/self/cgroup names
	while IFS=: read -r _ ctl path; do
		[ -n "$ctl" ] || continue
		name=${ctl#name=}
		line=$(grep "^$name " <<<"$output") || fail "no /sys/fs/cgroup/$name: $output"
		read -r _ root _ <<<"$line"
		assert_eq "$root" "$path" "the root of /sys/fs/cgroup/$name"
	done < <(grep -v '^0::' <<<"$output" | grep -E '^[0-9]+:')
}

@test "mounts spec: in a user namespace a block device of linux.devices is the host's node bound" {
	[ -b /dev/loop0 ] || skip "no /dev/loop0 on the host"
	map_userns
	update_config '.linux.devices = [{"path": "/dev/loop0", "type": "b", "major": 7, "minor": 0}]'
	set_cmd 'stat -c "%n %F %t:%T" /dev/loop0'
	run husk_run
	assert_success
	assert_eq "$output" "/dev/loop0 block special file 7:0" "the device"
}

@test "mounts spec: in a user namespace a fifo of linux.devices is made, with its mode and owner" {
	husk_only "runc 1.1 binds the host's node for a fifo too, and the host has none at that path"
	map_userns
	update_config '.linux.devices = [{"path": "/dev/myfifo", "type": "p", "fileMode": 416, "uid": 1, "gid": 2}]'
	set_cmd 'stat -c "%n %F %a %u:%g" /dev/myfifo'
	run husk_run
	assert_success
	assert_eq "$output" "/dev/myfifo fifo 640 1:2" "the fifo"
}

@test "mounts spec: rootfsPropagation runbindable makes the container's mounts unbindable" {
	husk_only "runc 1.1 makes / unbindable before it binds the rootfs, and that bind then fails"
	update_config '.linux.rootfsPropagation = "runbindable"'
	set_cmd 'awk "\$5 == \"/\" || \$5 == \"/proc\"" /proc/self/mountinfo'
	run husk_run
	assert_success
	[ "${#lines[@]}" -eq 2 ] || fail "expected / and /proc: $output"
	local l
	for l in "${lines[@]}"; do
		[[ "$l" == *" unbindable "* ]] || fail "not unbindable: $l"
	done
}

@test "mounts spec: a masked path that is a symlink masks its target inside the rootfs" {
	echo image-secret >"$BUNDLE/rootfs/etc/secret"
	mkdir -p "$BUNDLE/rootfs/etc/secretdir"
	echo image-secret >"$BUNDLE/rootfs/etc/secretdir/f"
	ln -s /etc/secret "$BUNDLE/rootfs/etc/secret-link"
	ln -s ../etc/secretdir "$BUNDLE/rootfs/etc/secretdir-link"
	# climbing out resolves inside the rootfs too
	ln -s ../../../../../../../etc/secret "$BUNDLE/rootfs/etc/secret-up"
	update_config '.linux.maskedPaths = ["/etc/secret-link", "/etc/secretdir-link", "/etc/secret-up"]'
	set_cmd 'cat /etc/secret /etc/secretdir/f 2>&1; ls /etc/secretdir | wc -l'
	run husk_run
	assert_success
	assert_output_not_contains image-secret
	assert_eq "${lines[-1]}" 0 "entries of the masked directory"
	assert_eq "$(cat "$BUNDLE/rootfs/etc/secret")" image-secret "the image's file"
}
