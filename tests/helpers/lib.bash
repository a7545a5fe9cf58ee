# shellcheck shell=bash
# shellcheck disable=SC2154 # status, output and stderr: set by bats' run in the caller
# Common helpers for the bats integration suites.  Load with `load ../helpers/lib`.
#
# HUSK is the runtime binary under test (absolute path).  Default: build/san/husk if built, else
# build/rel/husk.  HUSK=/usr/sbin/runc runs the same suite against runc, which proves the tests;
# tests of behaviour where husk follows the runtime spec and runc departs call `husk_only`.
#
# Each test gets (from setup_common, called by `setup`):
#   STATE_ROOT  its own --root
#   BUNDLE      its own bundle dir (busybox rootfs + config.json), made by mkbundle
#   ID          a unique container id
#   MARK        a unique marker put in the runtime's environment and in process.env: any
#               process still carrying it after teardown is a leaked process
# and teardown_common force-deletes every container under STATE_ROOT, kills receivers started
# with `bg_start`, and fails the test if a marked process or a mount under the test's tmpdir
# is left behind.

bats_require_minimum_version 1.5.0

HELPERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$HELPERS_DIR/../.." && pwd)
if [ -z "${HUSK:-}" ]; then
	if [ -x "$REPO_DIR/build/san/husk" ]; then
		HUSK=$REPO_DIR/build/san/husk
	else
		HUSK=$REPO_DIR/build/rel/husk
	fi
fi
export HUSK
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The tools compiled by tests/helpers/build-tools (recvtty, enosys).
TOOLS_DIR=${HUSK_TEST_TOOLS:-${HUSK_TEST_CACHE:-/tmp/husk-test-cache}/tools}

is_runc() {
	case "${HUSK_IS_RUNC:-}" in
	1 | yes | true) return 0 ;;
	0 | no | false) return 1 ;;
	esac
	case "$(basename "$(readlink -f "$HUSK")")" in
	runc*) return 0 ;;
	esac
	return 1
}

# Skip (with the reason) a test of behaviour where husk follows the spec and runc departs.
husk_only() {
	if is_runc; then
		skip "husk-only: ${1:?husk_only needs a reason} (runc departs from the spec here)"
	fi
}

# Skip unless the kernel/host offers something; the reason is always printed.
requires() {
	local what
	for what in "$@"; do
		case "$what" in
		userns)
			[ -e /proc/self/ns/user ] || skip "requires user namespaces"
			[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -gt 0 ] ||
				skip "requires user namespaces (user.max_user_namespaces is 0)"
			;;
		timens)
			[ -e /proc/self/ns/time ] || skip "requires time namespaces (kernel >= 5.6)"
			;;
		cgroupns)
			[ -e /proc/self/ns/cgroup ] || skip "requires cgroup namespaces"
			;;
		tools)
			build_tools
			;;
		*)
			echo "requires: unknown feature $what" >&2
			return 1
			;;
		esac
	done
}

build_tools() {
	"$HELPERS_DIR/build-tools" "$TOOLS_DIR" >/dev/null ||
		fail "tests/helpers/build-tools failed (needs cc)"
}

fail() {
	echo "FAIL: $*" >&2
	return 1
}

# --- per-test setup / teardown ---------------------------------------------------------------

setup_common() {
	[ -x "$HUSK" ] || fail "HUSK=$HUSK is not an executable (build it, or set HUSK)"
	STATE_ROOT=$BATS_TEST_TMPDIR/state
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	ID=t$$-${BATS_SUITE_TEST_NUMBER:-0}-$RANDOM
	MARK=husk-test-$ID-$RANDOM
	export STATE_ROOT BUNDLE ID MARK
	mkdir -p "$STATE_ROOT"
	# The default bundle runs `sh`; tests set process.args with set_args / update_config.
	"$HELPERS_DIR/mkbundle" -e "HUSK_TEST_MARK=$MARK" "$BUNDLE" sh
}

# The runtime with this test's state root (and the marker in its environment).
husk() {
	HUSK_TEST_MARK=$MARK "$HUSK" --root "$STATE_ROOT" "$@"
}

# The containers this test left under its root: what `list -q` reports plus any entry of the
# state dir (a broken list must not hide a leak).
leftover_ids() {
	{
		husk list -q 2>/dev/null
		find "$STATE_ROOT" -mindepth 1 -maxdepth 1 ! -name '.*' -printf '%f\n' 2>/dev/null
	} | sort -u
}

# pids of live processes carrying $MARK, or $STATE_ROOT (runc's init has a clean environment
# with _LIBCONTAINER_STATEDIR=<root>/<id>); zombies have an empty environ.
marked_pids() {
	# without setup_common's marks every process would match (and teardown kills them)
	[ -n "${MARK:-}" ] && [ -n "${STATE_ROOT:-}" ] || return 0
	grep -lsaF -e "HUSK_TEST_MARK=$MARK" -e "$STATE_ROOT/" /proc/[0-9]*/environ 2>/dev/null |
		sed -e 's|/proc/||' -e 's|/environ||' | grep -vx "$$" || true
}

leaked_mounts() { # host mounts under the test's tmpdir
	grep -F "$BATS_TEST_TMPDIR" /proc/self/mountinfo || true
}

bg_start() { # run a helper (receiver, ...) in the background, killed at teardown
	"$@" &
	echo $! >>"$BATS_TEST_TMPDIR/bg.pids"
}

teardown_common() {
	local id pid errors="" ids mounts m
	if [ -f "$BATS_TEST_TMPDIR/bg.pids" ]; then
		while read -r pid; do
			kill -9 "$pid" 2>/dev/null || true
		done <"$BATS_TEST_TMPDIR/bg.pids"
	fi
	ids=$(leftover_ids)
	for id in $ids; do
		husk delete --force "$id" >/dev/null 2>&1 || true
	done
	# A killed container's processes need a moment to die; then anything still marked leaked.
	for _ in $(seq 1 50); do
		[ -z "$(marked_pids)" ] && break
		sleep 0.1
	done
	for pid in $(marked_pids); do
		errors="$errors leaked process $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null));"
		kill -9 "$pid" 2>/dev/null || true
	done
	mounts=$(leaked_mounts)
	if [ -n "$mounts" ]; then
		while read -r m; do
			errors="$errors leaked mount: $m;"
		done <<<"$mounts"
		# Undo leaked mounts (deepest first) so that bats can remove the tmpdir.
		awk '{print $5}' <<<"$mounts" | sort -r | while read -r m; do
			umount -l "$m" 2>/dev/null || true
		done
	fi
	# (only what list reports: --root may hold entries that are not containers, e.g. pods/)
	if [ -n "$ids" ] && [ -n "$(husk list -q 2>/dev/null)" ]; then
		errors="$errors containers left after delete --force: $(husk list -q | tr '\n' ' ');"
	fi
	if [ -n "$errors" ]; then
		echo "teardown: $errors" >&2
		return 1
	fi
}

setup() { setup_common; }
teardown() { teardown_common; }

# --- the bundle ------------------------------------------------------------------------------

# update_config [jq args...] JQ_FILTER: edit $BUNDLE/config.json in place.
update_config() {
	local filter=${!#}
	jq "${@:1:$#-1}" "$filter" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" &&
		mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# set_args ARG...: process.args
set_args() {
	local json
	json=$(jq -cn '$ARGS.positional' --args -- "$@")
	update_config ".process.args = $json"
}

# set_cmd 'shell script': process.args = ["sh", "-c", SCRIPT]
set_cmd() {
	set_args sh -c "$1"
}

add_mount() { # add_mount JSON_OBJECT
	update_config ".mounts += [$1]"
}

# --- running containers ----------------------------------------------------------------------

# husk_run [run flags...]: foreground `run` of $ID from $BUNDLE, stdin from /dev/null.
husk_run() {
	husk run --bundle "$BUNDLE" "$@" "$ID" </dev/null
}

# husk_bg CMD [ARGS...] ID: a runtime command that leaves the container running (create,
# run -d).  The container inherits stdio, so it must not hold bats' `run` pipe: its stdout and
# stderr go to $BATS_TEST_TMPDIR/io-ID.out / io-ID.err; what the runtime itself printed is
# copied back to this function's stdout/stderr when the command returns.
husk_bg() {
	local id=${!#} out err rc
	out=$BATS_TEST_TMPDIR/io-$id.out
	err=$BATS_TEST_TMPDIR/io-$id.err
	husk "$@" </dev/null >"$out" 2>"$err"
	rc=$?
	cat "$out"
	cat "$err" >&2
	return $rc
}

husk_create() {
	husk_bg create --bundle "$BUNDLE" "$@" "$ID"
}

# husk_create_start [create flags...]: create $ID, then start it, each asserted to succeed: the
# two-step run (containerd's and docker's way) that most tests only need as their first step.
husk_create_start() {
	run husk_create "$@"
	assert_success || return
	run husk start "$ID"
	assert_success
}

# state_field ID JQ_PATH
state_field() {
	husk state "$1" | jq -r "$2"
}

# wait_status ID STATUS [TIMEOUT_TENTHS]: poll `state` until status is STATUS.
wait_status() {
	local s
	for _ in $(seq 1 "${3:-100}"); do
		s=$(husk state "$1" 2>/dev/null | jq -r .status 2>/dev/null)
		[ "$s" = "$2" ] && return 0
		sleep 0.1
	done
	fail "container $1: status is '$s', waited for '$2'"
}

# --- assertions (bats has no assert library in Debian) ---------------------------------------

assert_success() {
	if [ "$status" -ne 0 ]; then
		fail "expected success, got status $status; output: $output"
	fi
}

assert_failure() {
	if [ "$status" -eq 0 ]; then
		fail "expected failure, got status 0; output: $output"
	fi
}

assert_output_contains() {
	if [[ "$output" != *"$1"* ]]; then
		fail "output does not contain '$1'; output: $output"
	fi
}

assert_output_not_contains() {
	if [[ "$output" == *"$1"* ]]; then
		fail "output contains '$1'; output: $output"
	fi
}

assert_output_matches() { # bash ERE
	if ! [[ "$output" =~ $1 ]]; then
		fail "output does not match /$1/; output: $output"
	fi
}

assert_eq() { # ACTUAL EXPECTED [what]
	if [ "$1" != "$2" ]; then
		fail "${3:-value}: expected '$2', got '$1'"
	fi
}

# A failed command must print its error as one clear line on stderr.  Takes $stderr of
# `run --separate-stderr`.  Sanitizer reports would also show up here.
assert_one_error_line() {
	local n
	n=$(printf '%s' "$stderr" | grep -c . || true)
	if [ "$n" -ne 1 ]; then
		fail "expected exactly one line on stderr, got $n: $stderr"
	fi
}

# After a failed create/run of $1 (default $ID): nothing left behind.
assert_nothing_left() {
	local id=${1:-$ID}
	if husk state "$id" >/dev/null 2>&1; then
		fail "container $id still exists after the failure"
	fi
	if husk list -q 2>/dev/null | grep -qx "$id"; then
		fail "container $id still listed after the failure"
	fi
	if [ -n "$(find "$STATE_ROOT" -name "*$id*" 2>/dev/null)" ]; then
		fail "state left under --root: $(find "$STATE_ROOT" -name "*$id*")"
	fi
	if [ -n "$(leaked_mounts)" ]; then
		fail "mounts left: $(leaked_mounts)"
	fi
	for _ in $(seq 1 20); do
		[ -z "$(marked_pids)" ] && break
		sleep 0.1
	done
	if [ -n "$(marked_pids)" ]; then
		fail "processes left: $(marked_pids | tr '\n' ' ')"
	fi
}

# The namespace link of the host (this shell) for TYPE (pid, net, ...).
host_ns() {
	readlink "/proc/self/ns/$1"
}

# add_shared_dir: bind-mount $SHARED (a host dir of this test) at /shared in the container, so
# the container can leave observations for the test and the test can signal it.
add_shared_dir() {
	SHARED=$BATS_TEST_TMPDIR/shared
	mkdir -p "$SHARED"
	chmod 777 "$SHARED"
	add_mount "{\"destination\": \"/shared\", \"type\": \"bind\", \"source\": \"$SHARED\", \"options\": [\"rbind\", \"rw\"]}"
}

# wait_file PATH [TIMEOUT_TENTHS]
wait_file() {
	for _ in $(seq 1 "${2:-100}"); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	fail "timed out waiting for $1"
}

# pid_alive PID: a live (not zombie) process
pid_alive() {
	local st
	st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Skip a test of a feature runc 1.1.5 (the runc on this host) does not have, with the reason.
# Not for spec departures (husk_only is for those).
not_in_runc() {
	if is_runc; then
		skip "runc 1.1.5 lacks this: ${1:?not_in_runc needs a reason}"
	fi
}

# drop_ns TYPE...: remove namespaces from linux.namespaces (the container shares the host's)
drop_ns() {
	local t
	for t in "$@"; do
		update_config --arg t "$t" '.linux.namespaces |= map(select(.type != $t))'
	done
}

# add_ns TYPE [PATH]
add_ns() {
	if [ -n "${2:-}" ]; then
		update_config --arg t "$1" --arg p "$2" '.linux.namespaces = (.linux.namespaces | map(select(.type != $t))) + [{type: $t, path: $p}]'
	else
		update_config --arg t "$1" '.linux.namespaces = (.linux.namespaces | map(select(.type != $t))) + [{type: $t}]'
	fi
}

# Make the path down to the bundle traversable for a container root mapped to another host uid.
open_bundle_path() {
	local d=$BUNDLE
	while [ "$d" != / ] && [ "$d" != /tmp ]; do
		chmod a+x "$d"
		d=$(dirname "$d")
	done
}

# mountinfo_line MOUNTPOINT < mountinfo: the last line for that mount point
mountinfo_line() {
	awk -v mp="$1" '$5 == mp { line = $0 } END { print line }'
}

# map_userns: a new user namespace mapping the container's 0..65535 to host 100000..165535,
# the path to the bundle traversable and the rootfs owned by the mapped root (who writes to
# it; reading works as "nobody").
map_userns() {
	requires userns
	add_ns user
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	open_bundle_path
	chown -R 100000:100000 "$BUNDLE/rootfs"
}
