# shellcheck shell=bash
# shellcheck disable=SC2154 # status, output and stderr: set by bats' run in the caller
# Helpers for the client suites (podman.bats, containerd.bats, docker.bats): real orchestrators
# driving the runtime, each scenario first with runc (which proves the test) and then with husk.
#
# Everything lives under the suite's $BATS_FILE_TMPDIR: the clients' roots, configs, sockets,
# the images built from busybox-static, and one argv-recording wrapper per runtime.  The
# wrapper is what the client is told to run: it appends the argv of every call to
# $CT/argv-NAME.log (tab-separated, one call a line) and execs the real binary.  After each
# scenario check_argv fails with the name of any option husk does not know, so a client
# release that starts passing a new flag shows up here first.

bats_require_minimum_version 1.5.0

CLIENT_HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$CLIENT_HELPERS/../.." && pwd)
if [ -z "${HUSK:-}" ]; then
	if [ -x "$REPO_DIR/build/san/husk" ]; then
		HUSK=$REPO_DIR/build/san/husk
	else
		HUSK=$REPO_DIR/build/rel/husk
	fi
fi
HUSK=$(readlink -f "$HUSK")
export HUSK
RUNC=${RUNC:-$(command -v runc || true)}
# the sanitizers report leaks of the runtime's short-lived processes to the client's log
# files, where nobody reads them: make them fatal only through the exit code
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

fail() {
	echo "FAIL: $*" >&2
	return 1
}

assert_success() {
	[ "$status" -eq 0 ] || fail "expected success, got status $status; output: $output"
}

assert_eq() { # ACTUAL EXPECTED [what]
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

assert_output_contains() {
	[[ "$output" == *"$1"* ]] || fail "output does not contain '$1'; output: $output"
}

# The runtime binary for a scenario name: runc or husk.  runc scenarios are skipped (with the
# reason) where runc is not installed.
runtime_binary() {
	case "$1" in
	runc)
		[ -n "$RUNC" ] && [ -x "$RUNC" ] || skip "runc is not installed (it proves the test)"
		echo "$RUNC"
		;;
	husk)
		[ -x "$HUSK" ] || fail "HUSK=$HUSK is not built"
		echo "$HUSK"
		;;
	esac
}

# make_wrapper NAME REAL: $CT/bin/NAME records its argv and execs REAL.  Absolute paths only:
# podman runs the runtime without PATH for some calls.
make_wrapper() {
	mkdir -p "$CT/bin"
	cat >"$CT/bin/$1" <<-EOF
		#!/bin/sh
		# argv recorder for the client tests (tests/clients/lib.bash)
		{ for a in "\$@"; do printf '%s\t' "\$a"; done; printf '\n'; } >>"$CT/argv-$1.log"
		exec "$2" "\$@"
	EOF
	chmod 755 "$CT/bin/$1"
	: >"$CT/argv-$1.log"
}

# The options husk's commands take (runc's names).  A client passing anything else fails
# check_argv with the option's name: add it to husk, then here.
GLOBAL_OPTS=" --root= --log= --log-format= --debug --systemd-cgroup --cgroup-manager= --version -v --help -h "
declare -gA CMD_OPTS=(
	[create]=" --bundle= -b= --pid-file= --console-socket= --preserve-fds= --no-pivot --no-new-keyring "
	[run]=" --bundle= -b= --pid-file= --console-socket= --preserve-fds= --no-pivot --no-new-keyring --detach -d --keep "
	[start]=" "
	[state]=" "
	[kill]=" --all -a "
	[delete]=" --force -f "
	[exec]=" --process= -p= --tty -t --console-socket= --detach -d --pid-file= --cwd= --env= -e= --user= -u= --additional-gids= -g= --cap= -c= --no-new-privs --preserve-fds= --ignore-paused --process-label= --apparmor= "
	[pause]=" "
	[resume]=" "
	[ps]=" --format= -f= "
	[events]=" --stats --interval= "
	[update]=" --resources= -r= "
	[features]=" "
	[list]=" --format= -f= --quiet -q "
)

# check_argv NAME: every recorded call of wrapper NAME uses only options husk knows.
check_argv() {
	local log=$CT/argv-$1.log line bad=""
	[ -f "$log" ] || return 0
	while IFS= read -r line; do
		local -a argv
		IFS=$'\t' read -r -a argv <<<"$line"
		local i=0 cmd="" known=$GLOBAL_OPTS a name
		while [ $i -lt ${#argv[@]} ]; do
			a=${argv[$i]}
			i=$((i + 1))
			case "$a" in
			--) break ;;
			-?*)
				name=${a%%=*}
				# go-runc passes long options with one dash
				[[ $name == -[!-]?* ]] && name=-$name
				if [[ $known == *" $name= "* ]]; then
					[[ $a == *=* ]] || i=$((i + 1)) # its value
				elif [[ $known != *" $name "* ]]; then
					bad="$bad ${cmd:-global} $name;"
				fi
				;;
			*)
				if [ -z "$cmd" ]; then
					cmd=$a
					if [ -z "${CMD_OPTS[$cmd]+x}" ]; then
						bad="$bad unknown command $cmd;"
						break
					fi
					known="$GLOBAL_OPTS${CMD_OPTS[$cmd]}"
				else
					break # the container id: what follows is the exec'd command's
				fi
				;;
			esac
		done
	done <"$log"
	[ -z "$bad" ] || fail "the client passed options husk does not know:$bad (see $log)"
}

# called WRAPPER CMD: the wrapper saw a call of runtime command CMD.
called() {
	grep -qP "(^|\t)$2\t" "$CT/argv-$1.log"
}

# rootfs of busybox-static for the images (cached template of tests/helpers/mkbundle)
make_rootfs() {
	"$REPO_DIR/tests/helpers/mkbundle" --rootfs-only "$1" >/dev/null
}

# wait_for CMD...: retry a command for up to 10 s
wait_for() {
	local i
	for i in $(seq 1 100); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "timed out waiting for: $*"
}

# --- cgroup limits on a cgroup v1 host (issue 15) ---
# host_cgroup_layout: v2 when /sys/fs/cgroup is one cgroup2 hierarchy, else v1 (legacy or
# hybrid: the resource controllers are v1 hierarchies, whatever sits at .../unified).
host_cgroup_layout() {
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo v2; else echo v1; fi
}

# HUSK_HAS_V1 says whether the husk under test has a cgroup v1 backend: yes, no, or auto (the
# default), which reads linux.cgroup.v1 of `husk features`.
husk_has_v1() {
	case "${HUSK_HAS_V1:-auto}" in
	yes | 1 | true) return 0 ;;
	no | 0 | false) return 1 ;;
	esac
	"$HUSK" features 2>/dev/null | jq -e '.linux.cgroup.v1 == true' >/dev/null
}

# needs_cgroup_limits RT: called first by a scenario that sets resource limits.  On a v1 host
# with a husk that has no v1 backend, the husk scenario FAILS here with the reason: a missing
# feature is a failure, never a skip.  HUSK_HAS_V1=yes runs it regardless.
needs_cgroup_limits() {
	[ "$1" = husk ] || return 0
	[ "$(host_cgroup_layout)" = v1 ] || return 0
	husk_has_v1 && return 0
	fail "this host's cgroup controllers are v1 and $HUSK has no cgroup v1 backend" \
		"(HUSK_HAS_V1=${HUSK_HAS_V1:-auto}; husk features: linux.cgroup.v1 is not true): resource limits cannot work"
}

# --- what the daemons write outside the suite's directories ---
# containerd 1.6 keeps the shims' sockets and the stdio fifos under fixed paths, whatever its
# root and state dirs say (children first, for remove_if_ours)
# shellcheck disable=SC2034 # for the suites that load this file
CONTAINERD_FIXED_DIRS="/run/containerd/s /run/containerd/fifo /run/containerd"

# note_preexisting PATH...: record which PATHs exist before the suite starts its daemons
note_preexisting() {
	local p
	for p in "$@"; do
		[ -e "$p" ] && echo "$p"
	done >>"$CT/preexisting"
	return 0
}

# is_preexisting PATH: PATH was there before the suite (note_preexisting)
is_preexisting() {
	grep -qxF "$1" "$CT/preexisting" 2>/dev/null
}

# remove_if_ours DIR...: remove each DIR that the suite made, once empty
remove_if_ours() {
	local p
	for p in "$@"; do
		is_preexisting "$p" || rmdir "$p" 2>/dev/null || true
	done
}
