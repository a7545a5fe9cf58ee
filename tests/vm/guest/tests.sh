#!/bin/sh
# Guest cgroup tests, on cgroup v2 or (legacy mode) on the v1 hierarchies, where lib.sh reads
# the v1 counterpart of each v2 file the tests name.  Each proves enforcement by the kernel,
# not only that a file was written.  Prints TAP.  Usage: sh tests.sh [NAME...] (default: all);
# sh tests.sh --one NAME runs one test without TAP (the runner runs each so, under a timeout).
. /lib.sh

t_controllers() {
	if [ "$CG_MODE" = legacy ]; then
		[ ! -e $CG_ROOT/cgroup.controllers ] || fail "legacy mode, but cgroup2 is on $CG_ROOT"
		for c in cpuset cpu cpuacct memory pids freezer devices blkio; do
			[ -f "$CG_ROOT/$c/tasks" ] || fail "no v1 hierarchy of the $c controller"
		done
	else
		for c in cpuset cpu io memory pids; do
			grep -qw "$c" $CG_ROOT/cgroup.controllers || fail "kernel lacks the $c controller"
		done
	fi
	rt --version >/dev/null 2>&1 || rt version >/dev/null 2>&1 || fail "runtime does not run"
}

# A memory hog in a 32 MiB container is OOM-killed; memory.events and `events` report it.
t_memory_oom() {
	make_bundle oom '{"memory": {"limit": 33554432, "swap": 33554432}}' \
		sh -c 'while [ ! -e /tmp/go ]; do usleep 50000; done;
			dd if=/dev/zero of=/dev/null bs=64M count=1; echo $? >/tmp/ddrc; sleep 1000'
	ct_run oom
	expect_eq memory.max "$(cg_read oom memory.max)" 33554432
	expect_eq memory.swap.max "$(cg_read oom memory.swap.max)" 0
	rt events oom >/tmp/oom.events 2>&1 &
	evpid=$!
	sleep 1
	touch "$(rootfs oom)/tmp/go"
	wait_until 300 test -s "$(rootfs oom)/tmp/ddrc" || fail "the hog never finished"
	rc=$(cat "$(rootfs oom)/tmp/ddrc")
	[ "$rc" -gt 128 ] || fail "the 64 MiB hog was not killed (exit $rc)"
	n=$(cg_key memory.events oom_kill oom)
	[ "${n:-0}" -ge 1 ] || fail "memory.events oom_kill is '$n'"
	wait_until 50 grep -q '"type":"oom"' /tmp/oom.events ||
		fail "events printed no oom event: $(cat /tmp/oom.events)"
	kill $evpid 2>/dev/null
	wait $evpid 2>/dev/null
	rt events --stats oom >/tmp/oom.stats || fail "events --stats"
	grep -q '"limit":33554432' /tmp/oom.stats || fail "stats lack memory limit: $(cat /tmp/oom.stats)"
	ct_delete oom
}

# A fork loop stops at pids.max.
t_pids_fork_loop() {
	make_bundle pids '{"pids": {"limit": 16}}' \
		sh -c 'sh -c "while :; do sleep 1000 & done"; echo stopped >/tmp/forkdone; sleep 1000'
	ct_run pids
	expect_eq pids.max "$(cg_read pids pids.max)" 16
	wait_until 300 test -e "$(rootfs pids)/tmp/forkdone" || fail "the fork loop never stopped"
	cur=$(cg_read pids pids.current)
	if [ "$cur" -gt 16 ] || [ "$cur" -lt 10 ]; then fail "pids.current $cur, limit 16"; fi
	n=$(cg_key pids.events max pids)
	[ "${n:-0}" -ge 1 ] || fail "pids.events max is '$n'"
	rt events --stats pids >/tmp/pids.stats || fail "events --stats"
	grep -q '"pids":{[^}]*"limit":16' /tmp/pids.stats || fail "stats: $(cat /tmp/pids.stats)"
	ct_delete pids
}

# A busy loop under cpu.max 10ms/100ms gets throttled.
t_cpu_throttle() {
	make_bundle cpu '{"cpu": {"quota": 10000, "period": 100000, "shares": 1024}}' \
		sh -c 'while :; do :; done'
	ct_run cpu
	expect_eq cpu.max "$(cg_read cpu cpu.max)" "10000 100000"
	if [ "$CG_MODE" = legacy ]; then
		expect_eq cpu.shares "$(cat "$(cg_dir cpu cpu)/cpu.shares")" 1024
	else
		expect_eq cpu.weight "$(cg_read cpu cpu.weight)" 39
	fi
	sleep 2
	n=$(cg_key cpu.stat nr_throttled cpu)
	[ "${n:-0}" -ge 1 ] || fail "cpu.stat nr_throttled is '$n'"
	t=$(cg_key cpu.stat throttled_usec cpu)
	[ "${t:-0}" -ge 1 ] || fail "cpu.stat throttled_usec is '$t'"
	rt events --stats cpu >/tmp/cpu.stats || fail "events --stats"
	grep -q '"throttledPeriods":[1-9]' /tmp/cpu.stats || fail "stats: $(cat /tmp/cpu.stats)"
	grep -q '"type":"stats"' /tmp/cpu.stats || fail "stats: $(cat /tmp/cpu.stats)"
	ct_delete cpu
	# a quota alone (docker run --cpu-quota) keeps the kernel's 100 ms period, as in runc
	make_bundle cpuq '{"cpu": {"quota": 20000}}' sleep 100
	ct_run cpuq
	expect_eq "cpu.max of a quota alone" "$(cg_read cpuq cpu.max)" "20000 100000"
	ct_delete cpuq
}

# A frozen container makes no progress; after resume it does.  (The counter is renamed into
# place so that a read never sees a half-written file.)
t_freeze_resume() {
	make_bundle frz '{"cpu": {"quota": 50000, "period": 100000}}' \
		sh -c 'i=0; while :; do i=$((i + 1)); echo $i >/tmp/c.new; mv /tmp/c.new /tmp/count; done'
	ct_run frz
	c=$(rootfs frz)/tmp/count
	wait_until 100 test -s "$c" || fail "the counter never started"
	rt pause frz || fail "pause"
	expect_eq "frozen after pause" "$(cg_frozen frz)" 1
	rt state frz | grep -q '"status": *"paused"' || fail "state is not paused: $(rt state frz)"
	a=$(cat "$c")
	sleep 1
	b=$(cat "$c")
	expect_eq "counter while frozen" "$b" "$a"
	rt resume frz || fail "resume"
	expect_eq "frozen after resume" "$(cg_frozen frz)" 0
	sleep 1
	d=$(cat "$c")
	[ "${d:-0}" -gt "$b" ] 2>/dev/null || fail "counter did not move after resume ($b -> $d)"
	rt state frz | grep -q '"status": *"running"' || fail "state is not running: $(rt state frz)"
	ct_delete frz
}

# update changes live limits, and the new limits hold.
t_update_live() {
	make_bundle upd '{"memory": {"limit": 134217728}, "pids": {"limit": 64}}' sh /agent.sh
	ct_run upd
	wait_until 100 test -e "$(rootfs upd)/cmd/ready" || fail "agent not ready"
	rc=$(agent_do upd 1 'dd if=/dev/zero of=/dev/null bs=48M count=1')
	expect_eq "48 MiB under a 128 MiB limit" "$rc" 0
	rt update --memory 33554432 upd || fail "update --memory"
	expect_eq memory.max "$(cg_read upd memory.max)" 33554432
	rc=$(agent_do upd 2 'dd if=/dev/zero of=/dev/null bs=48M count=1')
	[ "$rc" -gt 128 ] || fail "48 MiB under the updated 32 MiB limit: exit $rc"
	n=$(cg_key memory.events oom_kill upd)
	[ "${n:-0}" -ge 1 ] || fail "memory.events oom_kill is '$n'"
	rt update --pids-limit 8 upd || fail "update --pids-limit"
	expect_eq pids.max "$(cg_read upd pids.max)" 8
	agent_do upd 3 'sh -c "while :; do sleep 1000 & done"' >/dev/null
	cur=$(cg_read upd pids.current)
	[ "$cur" -le 8 ] || fail "pids.current $cur above the updated limit 8"
	n=$(cg_key pids.events max upd)
	[ "${n:-0}" -ge 1 ] || fail "pids.events max is '$n'"
	# what `docker update` sends: a whole object, 0 for every limit it leaves alone
	z='"memory":{"limit":0,"reservation":0,"kernel":0},"cpu":{"shares":0,"quota":0,"period":0}'
	echo "{$z,\"blockIO\":{\"weight\":0}}" | rt update -r - upd || fail "update -r zeros"
	expect_eq "memory.max after zeros" "$(cg_read upd memory.max)" 33554432
	expect_eq "pids.max after zeros" "$(cg_read upd pids.max)" 8
	echo "{$z,\"blockIO\":{\"weight\":0},\"pids\":{\"limit\":16}}" | rt update -r - upd ||
		fail "update -r pids"
	expect_eq "pids.max from docker's document" "$(cg_read upd pids.max)" 16
	expect_eq "memory.max after pids" "$(cg_read upd memory.max)" 33554432
	ct_delete upd
}

# The eBPF device program: the default allow-list lets /dev/null through, mknod of anything
# works, opening an unlisted device does not, and a linux.resources.devices rule opens it.
# /dev/kmsg opened for writing: unlike reading, that needs no CAP_SYSLOG.
t_devices() {
	make_bundle dev '{"devices": [{"allow": false, "access": "rwm"}]}' sh /agent.sh
	ct_run dev
	wait_until 100 test -e "$(rootfs dev)/cmd/ready" || fail "agent not ready"
	expect_eq "write /dev/null" "$(agent_do dev 1 'echo x >/dev/null')" 0
	expect_eq "mknod c 1 11" "$(agent_do dev 2 'mknod /tmp/kmsg c 1 11')" 0
	rc=$(agent_do dev 3 'echo husk-vm-test >/tmp/kmsg')
	[ "$rc" != 0 ] || fail "opening an unlisted device (kmsg) worked"
	grep -q "not permitted" "$(rootfs dev)/cmd/3.out" ||
		fail "kmsg: $(cat "$(rootfs dev)/cmd/3.out")"
	ct_delete dev

	make_bundle dev2 '{"devices": [{"allow": false, "access": "rwm"},
		{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]}' \
		sh -c 'mknod /tmp/kmsg c 1 11; echo husk-vm-test >/tmp/kmsg; echo $? >/tmp/rc; sleep 1000'
	ct_run dev2
	wait_until 100 test -s "$(rootfs dev2)/tmp/rc" || fail "dev2 did not report"
	expect_eq "write kmsg with an allow rule" "$(cat "$(rootfs dev2)/tmp/rc")" 0
	ct_delete dev2
}

# ps lists the container's processes; kill --all reaches every one of them.
t_ps_kill_all() {
	make_bundle psk '{}' sh -c 'sleep 1000 & sleep 1000 & wait'
	ct_run psk
	wait_until 100 sh -c "[ \$(wc -l <$(cg_path psk cgroup.procs)) = 3 ]" ||
		fail "expected 3 processes: $(cg_read psk cgroup.procs)"
	out=$(rt ps --format json psk) || fail "ps --format json"
	for pid in $(cg_read psk cgroup.procs); do
		echo "$out" | grep -qE "[[,]${pid}[],]" || fail "ps: $pid missing from $out"
	done
	rt kill --all psk KILL || fail "kill --all"
	wait_until 100 sh -c "[ ! -s $(cg_path psk cgroup.procs) ]" ||
		fail "processes left after kill --all: $(cg_read psk cgroup.procs)"
	wait_until 50 sh -c "$RT --root $RT_ROOT state psk | grep -q '\"status\": *\"stopped\"'" ||
		fail "state after kill --all: $(rt state psk)"
	ct_delete psk
}

# A CPU the VM does not have (husk refuses it before making anything, runc when the kernel
# refuses the write): run fails and leaves no cgroup and no state behind.
t_bad_cpuset() {
	make_bundle badcpu '{"cpu": {"cpus": "7"}}' sh -c 'sleep 1000'
	echo badcpu >>/tmp/containers
	if rt run -d --bundle "$BUNDLES/badcpu" badcpu </dev/null >/tmp/badcpu.out 2>&1; then
		fail "run with cpus 7 on a 1-CPU VM succeeded"
	fi
	echo "run refused it: $(cat /tmp/badcpu.out)"
	[ -z "$(cg_dirs badcpu)" ] || fail "failed run left $(cg_dirs badcpu) behind"
	rt state badcpu >/dev/null 2>&1 && fail "failed run left state behind"
	return 0
}

# Nothing left behind: no container cgroup, no state.
t_nothing_left() {
	left=$(find "$CG_ROOT/$CG_PARENT" "$CG_ROOT"/*/"$CG_PARENT" -mindepth 1 -type d 2>/dev/null)
	[ -z "$left" ] || fail "cgroups left behind: $left"
	out=$(rt list -q 2>&1) || fail "list: $out"
	[ -z "$out" ] || fail "containers left behind: $out"
}

ALL="controllers memory_oom pids_fork_loop cpu_throttle freeze_resume update_live devices
	ps_kill_all bad_cpuset nothing_left"
TEST_TIMEOUT=90 # seconds per test: a hung runtime fails its test, not the whole VM run

if [ "$1" = --one ]; then
	t_$2
	exit $?
fi

TESTS=${*:-$ALL}
mkdir -p "$RT_ROOT" "$BUNDLES"
set -- $TESTS
echo "1..$#"
i=0
for t in $TESTS; do
	i=$((i + 1))
	: >/tmp/containers
	start=$(date +%s)
	timeout -s KILL $TEST_TIMEOUT sh /tests.sh --one "$t" >/tmp/log.$t 2>&1
	rc=$?
	[ $rc = 137 ] && echo "FAIL: killed after ${TEST_TIMEOUT}s" >>/tmp/log.$t
	# Best-effort cleanup so one failure does not cascade into the next test.
	for id in $(cat /tmp/containers); do rt delete -f "$id" >/dev/null 2>&1; done
	secs=$(($(date +%s) - start))
	if [ $rc = 0 ]; then
		echo "ok $i - $t (${secs}s)"
	else
		echo "not ok $i - $t (${secs}s)"
		sed 's/^/# /' /tmp/log.$t
	fi
done
