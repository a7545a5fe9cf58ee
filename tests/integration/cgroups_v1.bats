#!/usr/bin/env bats
# The cgroup v1 backend, on a host that keeps its controllers in v1 (hybrid or legacy): the
# container gets its cgroup in every v1 hierarchy and is born in it, and the limits are
# enforced: a memory hog is OOM-killed and `events` says so, a fork bomb stops at pids.max,
# a cpu quota throttles, a cpuset is honoured, devices are denied, pause freezes, update
# changes limits live.  Every test passes against runc 1.1 (HUSK=/usr/sbin/runc), which uses
# the v1 hierarchies on such a host, except where husk_only says why.  On a pure v2 host the
# file skips: the VM's legacy mode runs it there.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

cg_layout() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo unified
	elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		echo hybrid
	else
		echo legacy
	fi
}

# The mount point of the v1 hierarchy that carries CONTROLLER ("" when none).
v1_mount() {
	findmnt -rn -t cgroup -o TARGET,FS-OPTIONS |
		awk -v c="$1" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $1; exit } }'
}

# The v1 hierarchies with a controller (not the named ones such as name=systemd): mount points.
v1_mounts() {
	findmnt -rn -t cgroup -o TARGET,FS-OPTIONS | grep -v 'name=' | awk '{ print $1 }'
}

need_v1() {
	local c
	for c in "$@"; do
		[ -n "$(v1_mount "$c")" ] || skip "the $c controller is not mounted in cgroup v1 here"
	done
}

# The container's directory in the hierarchy of CONTROLLER.
v1_dir() {
	echo "$(v1_mount "$1")$CGPATH"
}

setup() {
	setup_common
	LAYOUT=$(cg_layout)
	[ "$LAYOUT" != unified ] || skip "a pure cgroup v2 host: no v1 hierarchy to test"
	CGPATH=/husk-bats-v1/$ID
	update_config ".linux.cgroupsPath = \"$CGPATH\""
}

teardown() {
	teardown_common
	local rc=$? m
	for m in $(v1_mounts) /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
		rmdir "$m$CGPATH" "$m/husk-bats-v1" 2>/dev/null || true
	done
	return $rc
}

# Nothing made for $ID in any hierarchy.
assert_no_v1_cgroup_left() {
	local m
	for m in $(v1_mounts); do
		[ ! -e "$m$CGPATH" ] || fail "cgroup $m$CGPATH left behind"
	done
}

@test "cgroups v1: the init is in its cgroup in every v1 hierarchy, so is exec; all gone after delete" {
	set_args sleep 1000
	run husk_create
	assert_success
	local pid m c
	pid=$(state_field "$ID" .pid)
	for m in $(v1_mounts); do
		[ -d "$m$CGPATH" ] || fail "no cgroup $m$CGPATH"
		grep -qx "$pid" "$m$CGPATH/cgroup.procs" || fail "init $pid not in $m$CGPATH/cgroup.procs"
	done
	for c in memory pids cpu; do
		[ -n "$(v1_mount "$c")" ] || continue
		grep -Eq "^[0-9]+:([a-z_]+,)*$c(,[a-z_]+)*:$CGPATH\$" "/proc/$pid/cgroup" ||
			fail "no $c line for $CGPATH in /proc/$pid/cgroup: $(cat "/proc/$pid/cgroup")"
	done
	run husk start "$ID"
	assert_success
	run husk exec "$ID" cat /proc/self/cgroup
	assert_success
	for c in memory pids; do
		[ -n "$(v1_mount "$c")" ] || continue
		echo "$output" | grep -Eq "^[0-9]+:([a-z_]+,)*$c(,[a-z_]+)*:$CGPATH\$" ||
			fail "exec is not in the $c cgroup: $output"
	done
	run husk delete --force "$ID"
	assert_success
	assert_no_v1_cgroup_left
}

@test "cgroups v1: with a cgroup namespace the init sees its own cgroups as the root" {
	need_v1 memory
	# the namespace is made after the init joined its cgroups: its root is the container's
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	set_args sleep 1000
	run husk_create
	assert_success
	local pid
	pid=$(state_field "$ID" .pid)
	grep -Eq "^[0-9]+:([a-z_]+,)*memory(,[a-z_]+)*:$CGPATH\$" "/proc/$pid/cgroup" ||
		fail "the init is not in $CGPATH: $(cat "/proc/$pid/cgroup")"
	run husk exec "$ID" cat /proc/self/cgroup
	assert_success
	echo "$output" | grep -Eq '^[0-9]+:([a-z_]+,)*memory(,[a-z_]+)*:/$' ||
		fail "the memory line is not the namespace's root: $output"
}

@test "cgroups v1: a memory hog is OOM-killed, memory.oom_control counts it, events reports it" {
	need_v1 memory
	local mem
	mem=$(v1_mount memory)
	if [ -e "$mem/memory.memsw.limit_in_bytes" ]; then
		update_config '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
	else
		update_config '.linux.resources.memory = {"limit": 16777216}'
	fi
	# the shell holds the 64 MiB it reads in its own memory
	set_cmd 'sleep 0.5; x=$(dd if=/dev/zero bs=1M count=64 2>/dev/null | tr "\0" a); echo survived ${#x}'
	run husk_create
	assert_success
	assert_eq "$(cat "$(v1_dir memory)/memory.limit_in_bytes")" 16777216 "memory.limit_in_bytes"
	bg_start husk events --interval 1s "$ID" >"$BATS_TEST_TMPDIR/events"
	sleep 0.2
	run husk start "$ID"
	assert_success
	for _ in $(seq 1 100); do
		grep -q '"type":"oom"' "$BATS_TEST_TMPDIR/events" && break
		sleep 0.1
	done
	grep -q "\"type\":\"oom\",\"id\":\"$ID\"" "$BATS_TEST_TMPDIR/events" ||
		fail "no oom event: $(cat "$BATS_TEST_TMPDIR/events")"
	if [ -e "$(v1_dir memory)/memory.oom_control" ]; then
		grep -Eq '^oom_kill [1-9]' "$(v1_dir memory)/memory.oom_control" ||
			fail "no OOM kill counted: $(cat "$(v1_dir memory)/memory.oom_control")"
	fi
	! grep -q survived "$BATS_TEST_TMPDIR/io-$ID.out" || fail "the io-bound task survived the OOM kill"
}

@test "cgroups v1: a fork bomb stops at pids.max" {
	need_v1 pids
	update_config '.linux.resources.pids = {"limit": 10}'
	# the shell and 9 sleeps make 10 tasks: the 10th sleep cannot fork (and ash gives up)
	set_cmd 'i=0; while [ $i -lt 40 ]; do sleep 1000 & i=$((i+1)); echo $i >/tmp/n; done; wait'
	run husk_create
	assert_success
	local d
	d=$(v1_dir pids)
	assert_eq "$(cat "$d/pids.max")" 10 "pids.max"
	run husk start "$ID"
	assert_success
	wait_status "$ID" stopped
	assert_eq "$(cat "$BUNDLE/rootfs/tmp/n")" 9 "sleeps started"
	grep -Eq '^max [1-9]' "$d/pids.events" || fail "no fork refused: $(cat "$d/pids.events")"
}

@test "cgroups v1: a cpu quota throttles a busy loop; events --stats reports the throttling" {
	need_v1 cpu
	update_config '.linux.resources.cpu = {"quota": 10000, "period": 100000, "shares": 512}'
	set_cmd 'while :; do :; done'
	run husk_create
	assert_success
	local d
	d=$(v1_dir cpu)
	assert_eq "$(cat "$d/cpu.cfs_quota_us")" 10000 "cpu.cfs_quota_us"
	assert_eq "$(cat "$d/cpu.cfs_period_us")" 100000 "cpu.cfs_period_us"
	assert_eq "$(cat "$d/cpu.shares")" 512 "cpu.shares"
	run husk start "$ID"
	assert_success
	sleep 1.5
	local throttled
	throttled=$(awk '$1 == "nr_throttled" { print $2 }' "$d/cpu.stat")
	[ "$throttled" -gt 0 ] || fail "not throttled: $(cat "$d/cpu.stat")"
	run --separate-stderr husk events --stats "$ID"
	assert_success
	echo "$output" | jq -e '.type == "stats" and .data.cpu.throttling.throttledPeriods > 0 and .data.cpu.usage.total > 0 and .data.pids.current == 1 and (.data.cpu.usage.percpu | length) > 0 and (.data.cpuset.cpus | length) > 0' >/dev/null ||
		fail "stats: $output"
}

@test "cgroups v1: a cpuset is honoured (Cpus_allowed_list)" {
	need_v1 cpuset
	local last
	last=$(($(nproc) - 1))
	update_config ".linux.resources.cpu = {\"cpus\": \"$last\", \"mems\": \"0\"}"
	set_args grep Cpus_allowed_list /proc/self/status
	run husk_run
	assert_success
	[[ "$output" == *"Cpus_allowed_list:"*"$last" ]] || fail "cpus: $output"
}

@test "cgroups v1: a device outside the allow-list is denied, the defaults work" {
	need_v1 devices
	update_config '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
	set_args sleep 1000
	run husk_create
	assert_success
	local list
	list=$(cat "$(v1_dir devices)/devices.list")
	[[ "$list" != *"a *:* rwm"* && "$list" == *"c 1:3 rwm"* ]] || fail "devices.list: $list"
	run husk delete --force "$ID"
	assert_success
	set_cmd 'mknod /dev/ok c 1 3 && echo x >/dev/ok && echo null-ok; mknod /dev/mem2 c 1 1 && head -c 1 /dev/mem2'
	run husk_run
	assert_failure
	[[ "$output" == *"null-ok"* ]] || fail "the default /dev/null rule: $output"
	[[ "$output" == *"Operation not permitted"* ]] || fail "c 1:1 was not denied: $output"
}

@test "cgroups v1: pause freezes the container (freezer.state), resume thaws it" {
	need_v1 freezer
	set_cmd 'i=0; while :; do i=$((i+1)); echo $i >>/tmp/c; done'
	husk_create_start
	local f=$BUNDLE/rootfs/tmp/c a b
	sleep 0.3
	run husk pause "$ID"
	assert_success
	assert_eq "$(cat "$(v1_dir freezer)/freezer.state")" FROZEN "freezer.state"
	assert_eq "$(state_field "$ID" .status)" paused "status"
	a=$(wc -l <"$f")
	sleep 0.5
	b=$(wc -l <"$f")
	assert_eq "$b" "$a" "lines written while frozen"
	run husk resume "$ID"
	assert_success
	assert_eq "$(cat "$(v1_dir freezer)/freezer.state")" THAWED "freezer.state"
	assert_eq "$(state_field "$ID" .status)" running "status"
	sleep 0.3
	b=$(wc -l <"$f")
	[ "$b" -gt "$a" ] || fail "nothing written after resume: $a -> $b"
}

@test "cgroups v1: update changes memory, swap, pids, cpu and cpuset live" {
	need_v1 memory pids cpu cpuset
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 100}, "cpu": {"shares": 512}}'
	set_args sleep 1000
	run husk_create
	assert_success
	local mem
	mem=$(v1_dir memory)
	run husk update --memory 134217728 --pids-limit 50 --cpu-share 1024 --cpu-quota 20000 \
		--cpu-period 100000 --cpuset-cpus 0 "$ID"
	assert_success
	assert_eq "$(cat "$mem/memory.limit_in_bytes")" 134217728 "memory.limit_in_bytes"
	assert_eq "$(cat "$(v1_dir pids)/pids.max")" 50 "pids.max"
	assert_eq "$(cat "$(v1_dir cpu)/cpu.shares")" 1024 "cpu.shares"
	assert_eq "$(cat "$(v1_dir cpu)/cpu.cfs_quota_us")" 20000 "cpu.cfs_quota_us"
	assert_eq "$(cat "$(v1_dir cpuset)/cpuset.cpus")" 0 "cpuset.cpus"
	if [ -e "$mem/memory.memsw.limit_in_bytes" ]; then
		# what `docker update --memory 256m --memory-swap 512m` sends: raising both needs
		# memsw first, lowering both memory first
		run husk update -r - "$ID" <<<'{"memory": {"limit": 268435456, "swap": 536870912}}'
		assert_success
		assert_eq "$(cat "$mem/memory.memsw.limit_in_bytes")" 536870912 "memsw"
		assert_eq "$(cat "$mem/memory.limit_in_bytes")" 268435456 "memory"
		run husk update --memory 33554432 --memory-swap 33554432 "$ID"
		assert_success
		assert_eq "$(cat "$mem/memory.memsw.limit_in_bytes")" 33554432 "memsw"
		assert_eq "$(cat "$mem/memory.limit_in_bytes")" 33554432 "memory"
	fi
	run --separate-stderr husk events --stats "$ID"
	assert_success
	echo "$output" | jq -e '.data.memory.usage.limit > 0 and .data.pids.limit == 50' >/dev/null ||
		fail "stats: $output"
}

@test "cgroups v1: memory swappiness, reservation, disableOOMKiller and blkio throttles are written" {
	need_v1 memory blkio
	local dev
	dev=$(cat "$(find /sys/block -mindepth 1 -maxdepth 1 ! -name 'loop*' ! -name 'zram*' | head -1)/dev" 2>/dev/null)
	[ -n "$dev" ] || skip "no block device to throttle"
	update_config ".linux.resources = {\"memory\": {\"limit\": 67108864, \"reservation\": 33554432, \"swappiness\": 10, \"disableOOMKiller\": true}, \"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": ${dev%:*}, \"minor\": ${dev#*:}, \"rate\": 1048576}], \"throttleWriteIOPSDevice\": [{\"major\": ${dev%:*}, \"minor\": ${dev#*:}, \"rate\": 100}]}}"
	set_args sleep 1000
	run husk_create
	assert_success
	local mem blk
	mem=$(v1_dir memory)
	blk=$(v1_dir blkio)
	assert_eq "$(cat "$mem/memory.soft_limit_in_bytes")" 33554432 "memory.soft_limit_in_bytes"
	assert_eq "$(cat "$mem/memory.swappiness")" 10 "memory.swappiness"
	grep -qx 'oom_kill_disable 1' "$mem/memory.oom_control" ||
		fail "OOM killer not disabled: $(cat "$mem/memory.oom_control")"
	assert_eq "$(cat "$blk/blkio.throttle.read_bps_device")" "$dev 1048576" "read_bps_device"
	assert_eq "$(cat "$blk/blkio.throttle.write_iops_device")" "$dev 100" "write_iops_device"
	# a rate of 0 removes the rule (runc's update leaves throttles alone)
	is_runc && return 0
	run husk update -r - "$ID" <<<"{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": ${dev%:*}, \"minor\": ${dev#*:}, \"rate\": 0}]}}"
	assert_success
	assert_eq "$(cat "$blk/blkio.throttle.read_bps_device")" "" "read_bps_device after rate 0"
}

@test "cgroups v1: kill --all and delete reach every process of the cgroup" {
	set_cmd 'sleep 1000 & sleep 1000 & wait'
	husk_create_start
	local m
	m=$(v1_mounts | head -1)
	[ -d "$m$CGPATH" ] || fail "no cgroup $m$CGPATH"
	for _ in $(seq 1 50); do
		[ "$(wc -l <"$m$CGPATH/cgroup.procs")" -ge 3 ] && break
		sleep 0.1
	done
	run husk ps --format json "$ID"
	assert_success
	[ "$(echo "$output" | jq length)" -ge 3 ] || fail "ps: $output"
	run husk kill --all "$ID" KILL
	assert_success
	wait_status "$ID" stopped
	run husk delete "$ID"
	assert_success
	assert_no_v1_cgroup_left
}

@test "cgroups v1: a limit of a controller no v1 hierarchy has fails create naming it and the layout" {
	husk_only "husk's error wording"
	local json=""
	if [ -z "$(v1_mount hugetlb)" ] && [ -e /sys/kernel/mm/hugepages/hugepages-2048kB ]; then
		json='{"hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}]}' c=hugetlb
	elif [ -z "$(v1_mount net_cls)" ]; then
		json='{"network": {"classID": 1048577}}' c=net_cls
	fi
	[ -n "$json" ] || skip "every controller is mounted here"
	update_config ".linux.resources = $json"
	set_args true
	run --separate-stderr husk_create
	assert_failure
	assert_one_error_line
	[[ "$stderr" == *"$c controller"*"layout $LAYOUT"* ]] || fail "error: $stderr"
	assert_no_v1_cgroup_left
	assert_nothing_left
	# --skip-unavailable-limits: runs, with a warning naming it
	run --separate-stderr husk --skip-unavailable-limits --log "$BATS_TEST_TMPDIR/log" run \
		--bundle "$BUNDLE" "$ID"
	assert_success
	grep -q "warning.*$c.*not applied" "$BATS_TEST_TMPDIR/log" ||
		fail "no warning in --log: $(cat "$BATS_TEST_TMPDIR/log")"
	assert_no_v1_cgroup_left
}

@test "cgroups v1: the clients' defaults need no flag (podman's pids_limit, CRI's cpu shares)" {
	need_v1 pids cpu
	update_config '.linux.resources = {"pids": {"limit": 2048}, "cpu": {"shares": 2}}'
	set_args true
	run --separate-stderr husk_run
	assert_success
	update_config '.linux.resources = {"cpu": {"shares": 1024}}'
	run --separate-stderr husk_run
	assert_success
}

@test "cgroups v1: features and --debug name the host's layout" {
	husk_only "husk's annotation and debug record"
	run --separate-stderr husk features
	assert_success
	assert_eq "$(echo "$output" | jq -r '.annotations["org.husk.cgroup.layout"]')" "$LAYOUT" "layout"
	assert_eq "$(echo "$output" | jq -r '.linux.cgroup.v1')" true "linux.cgroup.v1"
	set_args true
	run --separate-stderr husk --debug --log "$BATS_TEST_TMPDIR/log" run --bundle "$BUNDLE" "$ID"
	assert_success
	grep -q "cgroup layout $LAYOUT" "$BATS_TEST_TMPDIR/log" ||
		fail "no layout in --debug: $(cat "$BATS_TEST_TMPDIR/log")"
}
