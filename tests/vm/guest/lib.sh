# shellcheck shell=dash # busybox ash, which shellcheck has no mode for: dash is the nearest
# Helpers for the guest tests (POSIX sh for busybox ash).  Sourced by tests.sh.
#
# The runtime is driven only through runc's command-line contract, so the same tests prove
# themselves against runc and then hold husk to the same behaviour.

RT=/usr/bin/runtime
RT_ROOT=/run/rt-state
CG_ROOT=/sys/fs/cgroup
CG_PARENT=husk-vm   # every test container lives in /sys/fs/cgroup/husk-vm/<id>
BUNDLES=/tmp/bundles
# runc's default set plus what the device test needs (CAP_MKNOD) and file ownership
CAPS='"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_MKNOD", "CAP_CHOWN",
	"CAP_DAC_OVERRIDE", "CAP_FOWNER"'

rt() { "$RT" --root "$RT_ROOT" "$@"; }

fail() {
	echo "FAIL: $*"
	exit 1
}

# wait_until TENTHS CMD...: run CMD every 0.1 s until it succeeds; fail after TENTHS tries.
wait_until() {
	_n=$1
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		usleep 100000
		_n=$((_n - 1))
	done
	return 1
}

# CG_MODE: v2 (one cgroup2 hierarchy) or legacy (a v1 hierarchy per controller, under
# $CG_ROOT/CONTROLLER), set by tests/vm/run (VM_CGROUP).  The tests name cgroup v2's files; the
# helpers below read the v1 file that holds the same value in legacy mode.
CG_MODE=$(cat /etc/vm-cgroup 2>/dev/null || echo v2)

# cg_dir ID [CONTROLLER]: the container's cgroup; in legacy mode, the one in CONTROLLER's
# hierarchy (default pids, whose cgroup.procs lists every process).
cg_dir() {
	if [ "$CG_MODE" = legacy ]; then
		echo "$CG_ROOT/${2:-pids}/$CG_PARENT/$1"
	else
		echo "$CG_ROOT/$CG_PARENT/$1"
	fi
}

# cg_dirs ID: every cgroup directory of the container that exists (one per hierarchy).
cg_dirs() {
	if [ "$CG_MODE" = legacy ]; then
		for _h in "$CG_ROOT"/*/; do
			[ -L "${_h%/}" ] && continue # cpu -> cpu,cpuacct
			[ -d "$_h$CG_PARENT/$1" ] && echo "$_h$CG_PARENT/$1"
		done
	else
		[ -d "$(cg_dir "$1")" ] && cg_dir "$1"
	fi
	return 0
}

# cg_path ID FILE: the path of the file that holds, in this mode, what cgroup v2's FILE holds.
cg_path() {
	if [ "$CG_MODE" != legacy ]; then
		echo "$(cg_dir "$1")/$2"
		return
	fi
	case $2 in
	memory.max) echo "$(cg_dir "$1" memory)/memory.limit_in_bytes" ;;
	memory.events) echo "$(cg_dir "$1" memory)/memory.oom_control" ;; # its oom_kill line
	cpu.stat) echo "$(cg_dir "$1" cpu)/cpu.stat" ;;
	pids.* | cgroup.procs) echo "$(cg_dir "$1" pids)/$2" ;;
	*) echo "$(cg_dir "$1")/no-v1-counterpart-of-$2" ;;
	esac
}

# cg_read ID FILE: the value of a cgroup v2 FILE (see cg_path), plus two that v1 spreads over
# several files: cpu.max ("QUOTA PERIOD", QUOTA max when unlimited) and memory.swap.max (the
# swap allowed on top of memory: memory.memsw.limit_in_bytes minus memory.limit_in_bytes).
cg_read() {
	if [ "$CG_MODE" = legacy ]; then
		case $2 in
		cpu.max)
			_q=$(cat "$(cg_dir "$1" cpu)/cpu.cfs_quota_us") || return 1
			[ "$_q" = -1 ] && _q=max
			echo "$_q $(cat "$(cg_dir "$1" cpu)/cpu.cfs_period_us")"
			return
			;;
		memory.swap.max)
			_m=$(cat "$(cg_dir "$1" memory)/memory.limit_in_bytes") || return 1
			_s=$(cat "$(cg_dir "$1" memory)/memory.memsw.limit_in_bytes") || return 1
			echo $((_s - _m))
			return
			;;
		esac
	fi
	cat "$(cg_path "$1" "$2")"
}

# cg_key FILE KEY ID: the value of "KEY value" in a flat-keyed cgroup file (cpu.stat, memory.events).
cg_key() {
	_k=$2
	[ "$CG_MODE" = legacy ] && [ "$_k" = throttled_usec ] && _k=throttled_time # ns in v1
	awk -v k="$_k" '$1 == k {print $2}' "$(cg_path "$3" "$1")"
}

# cg_frozen ID: 1 when the container's cgroup is frozen, else 0.
cg_frozen() {
	if [ "$CG_MODE" = legacy ]; then
		[ "$(cat "$(cg_dir "$1" freezer)/freezer.state")" = FROZEN ] && echo 1 || echo 0
	else
		awk '$1 == "frozen" {print $2}' "$(cg_dir "$1")/cgroup.events"
	fi
}

# make_bundle ID RESOURCES_JSON ARG...: a busybox bundle in $BUNDLES/ID whose process runs ARG...
# with linux.resources = RESOURCES_JSON and cgroupsPath /husk-vm/ID.
make_bundle() {
	_id=$1
	_res=$2
	shift 2
	_b=$BUNDLES/$_id
	mkdir -p "$_b/rootfs/bin" "$_b/rootfs/proc" "$_b/rootfs/dev" "$_b/rootfs/sys" \
		"$_b/rootfs/tmp" "$_b/rootfs/cmd"
	cp /bin/busybox "$_b/rootfs/bin/busybox"
	chroot "$_b/rootfs" /bin/busybox --install -s /bin
	cp /agent.sh "$_b/rootfs/agent.sh"
	_args=""
	for _a in "$@"; do
		_a=$(printf '%s' "$_a" | awk '{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t");
			printf "%s%s", (NR > 1 ? "\\n" : ""), $0 }')
		_args="$_args${_args:+, }\"$_a\""
	done
	cat >"$_b/config.json" <<JSON
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": {"uid": 0, "gid": 0},
		"args": [$_args],
		"env": ["PATH=/bin", "HOME=/"],
		"cwd": "/",
		"capabilities": {
			"bounding": [$CAPS], "effective": [$CAPS], "permitted": [$CAPS]
		},
		"noNewPrivileges": true
	},
	"root": {"path": "rootfs", "readonly": false},
	"hostname": "$_id",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{"destination": "/dev/pts", "type": "devpts", "source": "devpts",
		 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
		{"destination": "/sys", "type": "sysfs", "source": "sysfs",
		 "options": ["nosuid", "noexec", "nodev", "ro"]}
	],
	"linux": {
		"cgroupsPath": "/$CG_PARENT/$_id",
		"resources": $_res,
		"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"},
			       {"type": "mount"}, {"type": "network"}]
	}
}
JSON
}

rootfs() { echo "$BUNDLES/$1/rootfs"; }

# ct_run ID: start the bundle detached; its stdio goes to $BUNDLES/ID/out.
ct_run() {
	echo "$1" >>/tmp/containers
	rt run -d --bundle "$BUNDLES/$1" "$1" </dev/null >"$BUNDLES/$1/out" 2>&1 ||
		fail "run $1: $(cat "$BUNDLES/$1/out")"
	[ -d "$(cg_dir "$1")" ] || fail "run $1: no cgroup $(cg_dir "$1")"
	if [ "$CG_MODE" = legacy ]; then
		for _c in memory cpu pids freezer devices; do
			[ -d "$(cg_dir "$1" $_c)" ] || fail "run $1: no cgroup $(cg_dir "$1" $_c)"
		done
	fi
}

# ct_delete ID: delete -f, then the container's cgroup must be gone.
ct_delete() {
	rt delete -f "$1" || fail "delete -f $1"
	[ -z "$(cg_dirs "$1")" ] || fail "delete $1 left $(cg_dirs "$1") behind"
	rt state "$1" >/dev/null 2>&1 && fail "state $1 still works after delete"
	return 0
}

# agent_do ID N SCRIPT: run SCRIPT inside the container through /agent.sh (a poor man's exec
# that needs no exec support), wait for it and print its exit status.
agent_do() {
	_c=$(rootfs "$1")/cmd
	printf '%s\n' "$3" >"$_c/$2.tmp"
	mv "$_c/$2.tmp" "$_c/$2.sh"
	wait_until 300 test -e "$_c/$2.rc" || fail "agent $1: command $2 did not finish"
	cat "$_c/$2.rc"
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}
