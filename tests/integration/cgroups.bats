#!/usr/bin/env bats
# cgroups on this host: every container in its own cgroup of the cgroup2 hierarchy (on a
# hybrid host, beside its v1 cgroups: cgroups_v1.bats), ps, pause/resume, kill --all, removal
# at delete; a limit whose controller the host lacks (in cgroup2 on a unified host, in the v1
# hierarchies on a hybrid one such as this development host) is refused, or skipped with a
# warning on request; bad input is refused before anything is made.  Enforcement of limits is
# proven in cgroups_v1.bats on a v1 host and in the VM (tests/vm), where cgroup2 has them all.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

# The cgroup2 mount: /sys/fs/cgroup on a pure v2 host, /sys/fs/cgroup/unified on a hybrid one.
cg2_root() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo /sys/fs/cgroup
	elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		echo /sys/fs/cgroup/unified
	else
		return 1
	fi
}

setup() {
	setup_common
	CG2=$(cg2_root) || skip "no cgroup2 hierarchy on this host"
	# a cgroupsPath of this test's own, below the hierarchy root
	CGPATH=/husk-bats/$ID
	CGDIR=$CG2$CGPATH
	update_config ".linux.cgroupsPath = \"$CGPATH\""
}

teardown() {
	teardown_common
	local rc=$? m
	rmdir "$CGDIR" "$CG2/husk-bats" 2>/dev/null || true
	# (runc also makes one in the name=systemd hierarchy)
	for m in $(v1_mounts) /sys/fs/cgroup/systemd; do
		rmdir "$m$CGPATH" "$m/husk-bats" 2>/dev/null || true
	done
	return $rc
}

# The v1 hierarchies with a controller (none on a unified host): mount points.
v1_mounts() {
	[ "$CG2" = /sys/fs/cgroup ] && return 0
	findmnt -rn -t cgroup -o TARGET,FS-OPTIONS | grep -v 'name=' | awk '{ print $1 }'
}

# Does the host give containers CONTROLLER: in cgroup2 on a unified host, in v1 otherwise.
has_controller() {
	if [ "$CG2" = /sys/fs/cgroup ] || [ -z "$(v1_mounts)" ]; then
		grep -qw "$1" "$CG2/cgroup.controllers"
	else
		findmnt -rn -t cgroup -o FS-OPTIONS | tr ',' '\n' | grep -qx "$1"
	fi
}

# The file of a limit: in the container's cgroup2 directory, or in its v1 one.
limit_file() { # CONTROLLER FILE
	if [ "$CG2" = /sys/fs/cgroup ] || [ -z "$(v1_mounts)" ]; then
		echo "$CGDIR/$2"
	else
		echo "/sys/fs/cgroup/$1$CGPATH/$2"
	fi
}

# A controller the host does not offer here, or skip.
missing_controller() {
	local c
	for c in memory pids cpu io blkio hugetlb net_cls; do
		[ "$c" = hugetlb ] && [ ! -e /sys/kernel/mm/hugepages/hugepages-2048kB ] && continue
		# io is cgroup2's name, blkio v1's; net_cls has no cgroup2 counterpart
		if [ "$CG2" = /sys/fs/cgroup ] || [ -z "$(v1_mounts)" ]; then
			case $c in blkio | net_cls) continue ;; esac
		else
			[ "$c" = io ] && continue
		fi
		has_controller "$c" || {
			echo "$c"
			return 0
		}
	done
	return 1
}

# limit_missing_controller: process.args `true` and a limit of MISSING, a controller the host
# does not offer here (or skip): the setup of the tests of what create does with such a limit.
limit_missing_controller() {
	MISSING=$(missing_controller) || skip "the host has every controller here"
	update_config ".linux.resources = $(resources_for "$MISSING")"
	set_args true
}

resources_for() { # CONTROLLER -> a linux.resources object that needs it
	case "$1" in
	memory) echo '{"memory": {"limit": 67108864}}' ;;
	pids) echo '{"pids": {"limit": 64}}' ;;
	cpu) echo '{"cpu": {"shares": 512}}' ;;
	io | blkio) echo '{"blockIO": {"weight": 500}}' ;;
	hugetlb) echo '{"hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}]}' ;;
	net_cls) echo '{"network": {"classID": 1048577}}' ;;
	esac
}

# Nothing made for $ID: no state, no cgroup.
assert_no_cgroup_left() {
	local m
	assert_nothing_left
	[ ! -e "$CGDIR" ] || fail "cgroup $CGDIR left behind"
	for m in $(v1_mounts); do
		[ ! -e "$m$CGPATH" ] || fail "cgroup $m$CGPATH left behind"
	done
}

@test "cgroups: the container has its own cgroup in the unified hierarchy, gone after delete" {
	husk_only "on a hybrid host runc manages v1 controllers"
	set_args sleep 1000
	run husk_create
	assert_success
	local pid
	pid=$(state_field "$ID" .pid)
	run grep '^0::' "/proc/$pid/cgroup"
	assert_success
	assert_eq "$output" "0::$CGPATH" "0:: line of the container's init"
	[ -d "$CGDIR" ] || fail "no cgroup dir $CGDIR"
	grep -qx "$pid" "$CGDIR/cgroup.procs" || fail "init $pid not in $CGDIR/cgroup.procs"
	run husk delete --force "$ID"
	assert_success
	[ ! -e "$CGDIR" ] || fail "delete left $CGDIR behind"
}

@test "cgroups: ps lists the container's processes (table and json)" {
	set_cmd 'sleep 1000 & sleep 1000 & touch /tmp/ready; wait'
	husk_create_start
	local pid
	pid=$(state_field "$ID" .pid)
	for _ in $(seq 1 50); do
		[ "$(pgrep -P "$pid" | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	run husk ps --format json "$ID"
	assert_success
	assert_eq "$(echo "$output" | jq length)" 3 "pids in ps --format json: $output"
	echo "$output" | jq -e --argjson p "$pid" 'index($p) != null' >/dev/null ||
		fail "init $pid missing from $output"
	run husk ps "$ID"
	assert_success
	assert_output_matches '^UID +PID'
	assert_eq "$(echo "$output" | grep -c 'sleep 1000$')" 2 "sleep lines in the table"
	run husk ps "$ID" -o pid,comm
	assert_success
	assert_output_matches '^ *PID +COMMAND'
	assert_eq "$(echo "$output" | grep -c ' sleep$')" 2 "sleep lines with -o pid,comm"
	run --separate-stderr husk ps --format yaml "$ID"
	assert_failure
	assert_one_error_line
}

@test "cgroups: pause freezes a busy loop, state says paused, resume lets it go on" {
	add_shared_dir
	set_cmd 'i=0; while :; do i=$((i + 1)); echo $i >/shared/c.new; mv /shared/c.new /shared/count; done'
	husk_create_start
	wait_file "$SHARED/count"
	run husk pause "$ID"
	assert_success
	assert_eq "$(state_field "$ID" .status)" paused "status after pause"
	local a b c
	a=$(cat "$SHARED/count")
	sleep 1
	b=$(cat "$SHARED/count")
	assert_eq "$b" "$a" "counter while paused"
	run --separate-stderr husk pause "$ID"
	assert_failure
	[[ "$stderr" == *"container not running"* ]] || fail "pause twice: $stderr"
	run husk resume "$ID"
	assert_success
	assert_eq "$(state_field "$ID" .status)" running "status after resume"
	sleep 1
	c=$(cat "$SHARED/count")
	[ "$c" -gt "$b" ] || fail "counter did not move after resume ($b -> $c)"
	run --separate-stderr husk resume "$ID"
	assert_failure
	[[ "$stderr" == *"container not paused"* ]] || fail "resume twice: $stderr"
}

@test "cgroups: kill --all reaches a background process, then delete removes the cgroup" {
	# without a pid namespace the background sleep survives its parent's death: only the
	# cgroup knows it belongs to the container
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'sleep 1000 & touch /tmp/ready; while :; do sleep 1; done'
	husk_create_start
	local pid sleeper
	pid=$(state_field "$ID" .pid)
	for _ in $(seq 1 50); do
		sleeper=$(pgrep -P "$pid" -x sleep | head -n 1)
		[ -n "$sleeper" ] && ! grep -q 'sleep 1$' "/proc/$sleeper/cmdline" 2>/dev/null &&
			tr '\0' ' ' <"/proc/$sleeper/cmdline" | grep -q 'sleep 1000' && break
		sleeper=
		sleep 0.1
	done
	[ -n "$sleeper" ] || fail "no background sleep 1000 under $pid"
	run husk kill --all "$ID" KILL
	assert_success
	wait_status "$ID" stopped
	for _ in $(seq 1 50); do
		pid_alive "$sleeper" || break
		sleep 0.1
	done
	pid_alive "$sleeper" && fail "background sleep $sleeper survived kill --all"
	if ! is_runc; then
		for _ in $(seq 1 50); do
			[ -s "$CGDIR/cgroup.procs" ] || break
			sleep 0.1
		done
		[ ! -s "$CGDIR/cgroup.procs" ] || fail "processes left in $CGDIR: $(cat "$CGDIR/cgroup.procs")"
	fi
	run husk delete "$ID"
	assert_success
	[ ! -e "$CGDIR" ] || fail "delete left $CGDIR behind"
}

@test "cgroups: events --stats prints runc's stats JSON" {
	set_args sleep 1000
	husk_create_start
	run --separate-stderr husk events --stats "$ID"
	assert_success
	echo "$output" | jq -e --arg id "$ID" '.type == "stats" and .id == $id' >/dev/null ||
		fail "not a stats event: $output"
	echo "$output" | jq -e '.data.cpu.usage | has("kernel") and has("user")' >/dev/null ||
		fail "cpu.usage: $output"
	echo "$output" | jq -e '.data | has("memory") and has("pids") and has("blkio") and has("hugetlb")' >/dev/null ||
		fail "sections: $output"
	run --separate-stderr husk events --interval 0s "$ID"
	assert_failure
	assert_one_error_line
}

@test "cgroups: events streams stats at --interval and ends when the container stops" {
	set_args sleep 1000
	husk_create_start
	"$HUSK" --root "$STATE_ROOT" events --interval 200ms "$ID" >"$BATS_TEST_TMPDIR/ev" 2>&1 &
	local ev=$!
	echo $ev >>"$BATS_TEST_TMPDIR/bg.pids"
	for _ in $(seq 1 50); do
		[ "$(grep -c '"type":"stats"' "$BATS_TEST_TMPDIR/ev")" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(grep -c '"type":"stats"' "$BATS_TEST_TMPDIR/ev")" -ge 2 ] ||
		fail "fewer than 2 stats events: $(cat "$BATS_TEST_TMPDIR/ev")"
	run husk kill "$ID" KILL
	assert_success
	# runc on a hybrid host watches the v1 memory cgroup, which ends only when it is removed
	if is_runc; then
		wait_status "$ID" stopped
		run husk delete "$ID"
		assert_success
	fi
	for _ in $(seq 1 50); do
		kill -0 "$ev" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$ev" 2>/dev/null && fail "events still running after the container stopped"
	wait "$ev" || fail "events exited with $?: $(cat "$BATS_TEST_TMPDIR/ev")"
}

@test "cgroups: the cgroup commands refuse a stopped container with runc's words" {
	set_args true
	husk_create_start
	wait_status "$ID" stopped
	run --separate-stderr husk pause "$ID"
	assert_failure
	[[ "$stderr" == *"not running"* ]] || fail "pause: $stderr"
	run --separate-stderr husk update --pids-limit 10 "$ID"
	assert_failure
	[[ "$stderr" == *"not running"* ]] || fail "update: $stderr"
	run --separate-stderr husk events --stats "$ID"
	assert_failure
	[[ "$stderr" == *"not running"* ]] || fail "events: $stderr"
}

@test "cgroups: --cgroup-manager=disabled runs without a cgroup; the cgroup commands say so" {
	husk_only "husk's --cgroup-manager=disabled"
	set_args sleep 1000
	run husk_bg --cgroup-manager=disabled create --bundle "$BUNDLE" "$ID"
	assert_success
	[ ! -e "$CGDIR" ] || fail "a cgroup was made: $CGDIR"
	local cmd
	for cmd in pause ps "events --stats" "update --pids-limit 5"; do
		# shellcheck disable=SC2086
		run --separate-stderr husk $cmd "$ID"
		assert_failure
		assert_one_error_line
		[[ "$stderr" == *"has no cgroup"* ]] || fail "$cmd: $stderr"
	done
}

@test "cgroups: a limit of a controller the host lacks fails create, naming it, leaving nothing" {
	husk_only "husk's error wording"
	limit_missing_controller
	run --separate-stderr husk_create
	assert_failure
	assert_one_error_line
	[[ "$stderr" == *"$MISSING controller"* ]] || fail "error does not name the $MISSING controller: $stderr"
	assert_no_cgroup_left
	run --separate-stderr husk_run
	assert_failure
	[[ "$stderr" == *"$MISSING controller"* ]] || fail "run: $stderr"
	assert_no_cgroup_left
}

@test "cgroups: --skip-unavailable-limits runs it and warns in --log" {
	husk_only "husk's --skip-unavailable-limits"
	limit_missing_controller
	run --separate-stderr husk --skip-unavailable-limits --log "$BATS_TEST_TMPDIR/log" run \
		--bundle "$BUNDLE" "$ID"
	assert_success
	grep -q "warning.*$MISSING.*not applied" "$BATS_TEST_TMPDIR/log" ||
		fail "no warning in --log: $(cat "$BATS_TEST_TMPDIR/log")"
	assert_no_cgroup_left
}

# bad_input JQ_RESOURCES_OR_CONFIG_EDIT EXPECTED_FIELD: create fails naming the field, nothing made
bad_input() {
	update_config "$1"
	set_args true
	run --separate-stderr husk_create
	assert_failure
	assert_one_error_line
	[[ "$stderr" == *"$2"* ]] || fail "error for $1 does not name $2: $stderr"
	assert_no_cgroup_left
}

@test "cgroups: bad values are refused naming the field, nothing created" {
	husk_only "husk's error wording"
	bad_input '.linux.resources = {"memory": {"limit": -5}}' "linux.resources.memory.limit"
	bad_input '.linux.resources = {"memory": {"limit": 67108864, "swap": 1024}}' "linux.resources.memory.swap"
	bad_input '.linux.resources = {"cpu": {"shares": 1}}' "linux.resources.cpu.shares"
	bad_input '.linux.resources = {"cpu": {"quota": -7, "period": 100000}}' "linux.resources.cpu.quota"
	bad_input '.linux.resources = {"cpu": {"period": 10}}' "linux.resources.cpu.period"
	bad_input '.linux.resources = {"blockIO": {"weight": 5}}' "linux.resources.blockIO.weight"
	# realtime bandwidth exists in cgroup v1 only
	if [ "$CG2" = /sys/fs/cgroup ] || [ -z "$(v1_mounts)" ]; then
		bad_input '.linux.resources = {"cpu": {"realtimeRuntime": 1000}}' "linux.resources.cpu.realtimeRuntime"
	fi
}

@test "cgroups: a cpuset of CPUs or nodes the host lacks is refused naming the field" {
	husk_only "husk's error wording"
	bad_input '.linux.resources = {"cpu": {"cpus": "0-4096"}}' "linux.resources.cpu.cpus"
	bad_input '.linux.resources = {"cpu": {"mems": "63"}}' "linux.resources.cpu.mems"
	bad_input '.linux.resources = {"cpu": {"cpus": "0-a"}}' "linux.resources.cpu.cpus"
}

@test "cgroups: unified keys with / or .. and a cgroupsPath with .. are refused, nothing created" {
	husk_only "husk's error wording"
	bad_input '.linux.resources = {"unified": {"../cgroup.procs": "1"}}' 'linux.resources.unified'
	bad_input '.linux.resources = {"unified": {"a/memory.max": "1"}}' 'linux.resources.unified'
	bad_input '.linux.resources = {"unified": {"..": "1"}}' 'linux.resources.unified'
	bad_input '.linux.resources = {"unified": {"cgroup.procs": "1"}}' 'linux.resources.unified'
	bad_input "del(.linux.resources) | .linux.cgroupsPath = \"/husk-bats/../../$ID\"" \
		'linux.cgroupsPath'
	bad_input ".linux.cgroupsPath = \"husk-bats/../../../$ID\"" 'linux.cgroupsPath'
	[ ! -e "$CG2/$ID" ] || fail "a cgroup was made at $CG2/$ID"
}

@test "cgroups: update refuses bad values naming the flag, and a limit it cannot apply here" {
	husk_only "husk's error wording"
	set_args sleep 1000
	run husk_create
	assert_success
	local a
	for a in "--memory -5" "--memory 12x" "--cpu-period 10" "--cpu-shares 1" \
		"--blkio-weight 5" "--cpuset-cpus 0-4096"; do
		# shellcheck disable=SC2086
		run --separate-stderr husk update $a "$ID"
		assert_failure
		assert_one_error_line
		[[ "$stderr" == *"${a%% *}"* || "$stderr" == *"cpu.cpus"* ]] || fail "update $a: $stderr"
	done
	run --separate-stderr husk update --memory 64m -r - "$ID" </dev/null
	assert_failure
	assert_one_error_line
	local c
	if c=$(missing_controller); then
		run --separate-stderr husk update -r - "$ID" <<<"$(resources_for "$c")"
		assert_failure
		[[ "$stderr" == *"$c controller"* ]] || fail "update of $c: $stderr"
	fi
}

# What `docker update` hands the runtime (moby's libcontainerd marshals a whole
# specs.LinuxResources; containerd's shim passes it to `update --resources -`): every limit
# the user did not give is 0, which runc takes as "leave it as it is".
DOCKER_ZEROS='"memory": {"limit": 0, "reservation": 0, "kernel": 0}, "cpu": {"shares": 0, "quota": 0, "period": 0}, "blockIO": {"weight": 0}'

# The limit files of the container's cgroups (v2, and v1 where runc puts them), name=value.
limits_snapshot() {
	local d
	for d in /sys/fs/cgroup/*"$CGPATH" /sys/fs/cgroup/*/"${CGPATH#/}"; do
		[ -d "$d" ] || continue
		(cd "$d" && grep -s . ./*.max ./*.low ./*.high ./*.weight ./*.shares ./*limit_in_bytes \
			./*cfs_quota_us ./*cfs_period_us ./cpuset.cpus ./cpuset.mems 2>/dev/null) |
			sed "s|^|$d/|"
	done
}

@test "cgroups: update -r with Docker's all-zero document (docker update --restart) changes nothing" {
	set_args sleep 1000
	run husk_create
	assert_success
	local before
	before=$(limits_snapshot)
	run --separate-stderr husk update -r - "$ID" <<<"{$DOCKER_ZEROS}"
	assert_success
	assert_eq "$(limits_snapshot)" "$before" "the cgroup's limits"
	assert_eq "$(state_field "$ID" .status)" created "status"
}

@test "cgroups: update -r with Docker's document for --pids-limit gets to the pids controller" {
	set_args sleep 1000
	run husk_create
	assert_success
	run --separate-stderr husk update -r - "$ID" <<<"{$DOCKER_ZEROS, \"pids\": {\"limit\": 200}}"
	if is_runc || has_controller pids; then
		assert_success
		local f
		f=$(limit_file pids pids.max)
		is_runc && f=/sys/fs/cgroup/pids$CGPATH/pids.max
		assert_eq "$(cat "$f")" 200 "pids.max"
	else
		# the zeros pass, the one limit needs a controller the host lacks
		assert_failure
		assert_one_error_line
		[[ "$stderr" == *"pids controller"* ]] || fail "not the controller check: $stderr"
	fi
}

@test "cgroups: zeros in config.json's memory are 'not set', as runc takes them" {
	update_config '.linux.resources = {"memory": {"limit": 0, "reservation": 0, "swap": 0}, "pids": {"limit": 0}, "cpu": {"shares": 0, "quota": 0, "period": 0}}'
	set_args sleep 1000
	run --separate-stderr husk_create
	assert_success
	assert_eq "$(state_field "$ID" .status)" created "status"
}

# moby writes cpu.quota without cpu.period for `docker run --cpu-quota N`; runc takes the
# kernel's default period.
@test "cgroups: a cpu quota without a period is taken (docker run --cpu-quota), as runc does" {
	update_config '.linux.resources = {"cpu": {"quota": 50000}}'
	set_args sleep 1000
	run --separate-stderr husk_create
	if is_runc; then
		assert_success
		assert_eq "$(cat "/sys/fs/cgroup/cpu$CGPATH/cpu.cfs_quota_us")" 50000 "cfs quota"
	elif has_controller cpu && [ -n "$(v1_mounts)" ]; then
		assert_success
		assert_eq "$(cat "$(limit_file cpu cpu.cfs_quota_us)")" 50000 "cfs quota"
		assert_eq "$(cat "$(limit_file cpu cpu.cfs_period_us)")" 100000 "cfs period"
	elif has_controller cpu; then
		assert_success
		assert_eq "$(cat "$CGDIR/cpu.max")" "50000 100000" "cpu.max"
	else
		# refused only for the controller this host lacks, not for the value
		assert_failure
		assert_one_error_line
		[[ "$stderr" == *"cpu controller"* ]] || fail "not the controller check: $stderr"
		assert_no_cgroup_left
	fi
}
