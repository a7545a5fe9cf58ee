# shellcheck shell=bash
# Helpers for the crash-injection tests (tests/integration/crash.bats): kill a runtime command
# at a random moment or at a named crash point (HUSK_CRASH_AT, common/crashpoint.h), clean up as
# a client would (`delete --force ID`), then look for every kind of leftover.  Load after lib.
#
# Every container of a test is named $ID-<kind><n>, so that whatever a trial leaves (a state
# dir, a cgroup, a process whose command line names it) says which trial left it.

# The cgroup v2 hierarchy of this host (hybrid: cgroup2 at /sys/fs/cgroup/unified).
CG2_ROOT=${HUSK_TEST_CG2:-/sys/fs/cgroup/unified}
[ -f /sys/fs/cgroup/cgroup.controllers ] && CG2_ROOT=${HUSK_TEST_CG2:-/sys/fs/cgroup}
# Every hierarchy a container gets a cgroup in: the cgroup2 one and, on hybrid and legacy
# hosts, each mounted v1 hierarchy (fstype "cgroup" in mountinfo).
CG_ROOTS=()
[ -d "$CG2_ROOT" ] && CG_ROOTS+=("$CG2_ROOT")
while read -r _ _ _ _ mp _ _ _ fstype _; do
	[ "$fstype" = cgroup ] && CG_ROOTS+=("$mp")
done < <(sed 's/ - / /' /proc/self/mountinfo)

crash_setup() {
	requires tools
	KILLAFTER=$TOOLS_DIR/killafter
	# The volume trials run the release binary where there is one: the ASan build is several
	# times slower to start, and hundreds of trials of it would not fit in a minute.
	if is_runc || [ -z "${HUSK_RELEASE:-}" ]; then
		FAST=$HUSK
	else
		FAST=$HUSK_RELEASE
	fi
	RT_OPTS=() # global options for every runtime command (--store ...)
	TRIALS=$BATS_TEST_TMPDIR/trials.log
	: >"$TRIALS"
	export FAST KILLAFTER TRIALS
}

# runtime BINARY ARGS...: a runtime command with this test's root and marker, nothing on stdin
runtime() {
	local bin=$1
	shift
	HUSK_TEST_MARK=$MARK "$bin" --root "$STATE_ROOT" "${RT_OPTS[@]}" "$@" </dev/null
}

# kill_after USEC BINARY ARGS...: run a runtime command, SIGKILL it USEC µs after its start (or
# at its crash point: set HUSK_CRASH_AT), and note in $TRIALS what happened.  Its output goes to
# a file: a container that inherits the descriptors must not hold the test's pipes.
kill_after() {
	local usec=$1 bin=$2 rc=0
	shift 2
	(
		export HUSK_TEST_MARK=$MARK
		exec "$KILLAFTER" "$usec" "$bin" --root "$STATE_ROOT" "${RT_OPTS[@]}" "$@"
	) </dev/null >>"$BATS_TEST_TMPDIR/trials.out" 2>"$BATS_TEST_TMPDIR/trial.err" || rc=$?
	echo "${HUSK_CRASH_AT:-after ${usec}us}: $* -> exit $rc$(grep -q '^killed$' "$BATS_TEST_TMPDIR/trial.err" && echo ' (killed)')" >>"$TRIALS"
	return 0
}

# random_delay: a delay in µs below $DELAY_MAX for the next trial.  adapt_delay, after the
# trial: the delays must land inside the command, whose time varies several-fold with the
# machine's load, so a trial that finished first narrows the range and one that was killed
# widens it again, up to the caller's ceiling $DELAY_CAP.  It settles where a little over
# half of the trials are killed mid-way, on a quiet machine as under load.
random_delay() {
	echo $(((RANDOM * 32768 + RANDOM) % DELAY_MAX))
}
adapt_delay() {
	if tail -n 1 "$TRIALS" | grep -q '(killed)$'; then
		DELAY_MAX=$((DELAY_MAX * 5 / 4))
	else
		DELAY_MAX=$((DELAY_MAX * 3 / 4))
	fi
	[ "$DELAY_MAX" -le "$DELAY_CAP" ] || DELAY_MAX=$DELAY_CAP
	[ "$DELAY_MAX" -ge 300 ] || DELAY_MAX=300
}
# delays CAP: start the adaptive range at CAP µs
delays() {
	DELAY_CAP=$1
	DELAY_MAX=$1
}

# delete_force BINARY ID: the client's cleanup; it must succeed
delete_force() {
	local out
	if ! out=$(runtime "$1" delete --force "$2" 2>&1); then
		echo "delete --force $2 failed after: $(tail -n 1 "$TRIALS"): $out" >&2
		return 1
	fi
}

# The leftovers of this test's containers, one line each (nothing when clean): live processes
# with the marker, cgroups, host mounts under the test's dir, state dirs.
crash_leftovers() {
	local pid
	# a killed init's death signal and a killed cgroup need a moment
	for _ in $(seq 1 30); do
		[ -z "$(marked_pids)" ] && break
		sleep 0.1
	done
	for pid in $(marked_pids); do
		echo "process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)($(grep '^0::' "/proc/$pid/cgroup" 2>/dev/null))"
	done
	find "${CG_ROOTS[@]}" -maxdepth 4 -type d -name "$ID-*" -printf 'cgroup %p\n' 2>/dev/null
	leaked_mounts | sed 's/^/mount: /'
	find "$STATE_ROOT" -mindepth 1 -maxdepth 1 -name "$ID-*" -printf 'state dir %p\n' 2>/dev/null
}

# assert_no_leftovers WHAT: fail, with the leftovers and the trials, when anything is left.
assert_no_leftovers() {
	local left
	left=$(crash_leftovers)
	if [ -n "$left" ]; then
		echo "leftovers after $1:" >&2
		echo "$left" >&2
		echo "trials (crash point or delay: command -> exit status):" >&2
		cat "$TRIALS" >&2
		return 1
	fi
}

# assert_some_killed MIN: at least MIN trials were killed before the command finished (the
# random delays must land inside the commands, or the test proves nothing).
assert_some_killed() {
	local n
	n=$(grep -c '(killed)$' "$TRIALS" || true)
	if [ "$n" -lt "$1" ]; then
		fail "only $n of $(wc -l <"$TRIALS") trials were killed mid-way (want >= $1)"
	fi
}

# After the checks: remove what a failing run left, so that the host stays clean (cgroups are
# not under the test's tmpdir; teardown_common handles processes, mounts and state).
crash_teardown() {
	local d
	find "${CG_ROOTS[@]}" -maxdepth 4 -type d -name "$ID-*" 2>/dev/null | sort -r | while read -r d; do
		echo 1 >"$d/cgroup.kill" 2>/dev/null || true
		xargs -r kill -9 <"$d/cgroup.procs" 2>/dev/null || true
		for _ in $(seq 1 20); do
			rmdir "$d" 2>/dev/null && break
			sleep 0.05
		done
	done
}
