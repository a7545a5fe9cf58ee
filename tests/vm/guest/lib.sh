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

cg_dir() { echo "$CG_ROOT/$CG_PARENT/$1"; }

# cg_key FILE KEY ID: the value of "KEY value" in a flat-keyed cgroup file (cpu.stat, memory.events).
cg_key() {
	awk -v k="$2" '$1 == k {print $2}' "$(cg_dir "$3")/$1"
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
}

# ct_delete ID: delete -f, then the container's cgroup must be gone.
ct_delete() {
	rt delete -f "$1" || fail "delete -f $1"
	[ ! -e "$(cg_dir "$1")" ] || fail "delete $1 left $(cg_dir "$1") behind"
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
