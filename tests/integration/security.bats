#!/usr/bin/env bats
# Security: each defence of SECURITY.md attacked from a hostile bundle or a hostile container.
# The probes (tests/helpers/hostile/probe.c) are static binaries copied into the rootfs.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

setup() {
	setup_common
	PROBES=$("$HELPERS_DIR/hostile/build") || fail "tests/helpers/hostile/build failed"
	cp "$PROBES/probe" "$BUNDLE/rootfs/bin/probe"
}
teardown() { teardown_common; }

# The host's mounts where a escaped mount would land: on /, /mnt, or under this test's tmpdir
# (the bundle, the host directories behind the hostile symlinks).  Not the whole table: other
# suites running at the same time mount and unmount elsewhere.
host_mounts() {
	awk -v t="$BATS_TEST_TMPDIR" '$5 == "/" || $5 == "/mnt" || index($5, t) == 1 {print $5, $9}' \
		/proc/self/mountinfo | sort
}

# A rootfs whose /dev is the image's own directory (no tmpfs over it): its entries are hostile.
no_dev_tmpfs() {
	update_config '.mounts |= map(select(.destination != "/dev" and (.destination | startswith("/dev/") | not)))'
}

# --- 2. leaked file descriptors (the 2024 class) --------------------------------------------

@test "fds: only stdio reaches the container" {
	set_args /bin/probe fds
	run --separate-stderr husk_run 7</etc/hostname 8<"$BUNDLE/config.json"
	assert_success
	assert_eq "$(cut -d' ' -f1 <<<"$output" | tr '\n' ' ')" "0 1 2 " "fds in the container"
}

@test "fds: --preserve-fds N passes exactly fds 3..3+N-1" {
	set_args /bin/probe fds
	run --separate-stderr husk_run --preserve-fds 2 3</etc/hostname 4<"$BUNDLE/config.json" 5</etc/passwd
	assert_success
	assert_eq "$(cut -d' ' -f1 <<<"$output" | tr '\n' ' ')" "0 1 2 3 4 " "fds in the container"
	assert_output_contains "3 -> /etc/hostname"
}

@test "fds: process.cwd = /proc/self/fd/N never escapes (N = 3..12)" {
	local n
	for n in 3 4 5 6 7 8 9 10 11 12; do
		update_config ".process.cwd = \"/proc/self/fd/$n\""
		set_cmd 'pwd; ls .. | head -3; cat ../../../../etc/hostname'
		run --separate-stderr husk_run
		if [ "$status" -eq 0 ]; then
			# it started: the cwd must be inside the container (the test rootfs' hostname)
			[[ "$output" != *"$(cat /etc/hostname)"* ]] || [ "$(cat /etc/hostname)" = husk-test ] ||
				fail "fd $n: host file read from the container: $output"
			[[ "${lines[0]}" == /* ]] || fail "fd $n: cwd outside the root: $output"
		else
			assert_one_error_line
			assert_output_not_contains "$(cat /etc/hostname)"
		fi
		assert_nothing_left
	done
}

# --- 3. paths resolved inside the rootfs (the 2021 and 2025 classes) -----------------------

@test "paths: a mount destination that is a symlink to / or ../../.. lands inside the rootfs" {
	local hostdir=$BATS_TEST_TMPDIR/hosttarget before
	mkdir -p "$hostdir"
	ln -s / "$BUNDLE/rootfs/toroot"
	ln -s ../../../../../../../../.. "$BUNDLE/rootfs/up"
	add_mount '{"destination": "/toroot/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
	add_mount "{\"destination\": \"/up$hostdir\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=1m\"]}"
	set_cmd "grep -E ' /mnt | $hostdir ' /proc/self/mountinfo | awk '{print \$5, \$9}'"
	before=$(host_mounts)
	run --separate-stderr husk_run
	assert_success
	assert_output_contains "/mnt tmpfs"
	assert_output_contains "$hostdir tmpfs"
	assert_eq "$(host_mounts)" "$before" "host mount table"
	[ -d "$BUNDLE/rootfs$hostdir" ] || fail "destination not created inside the rootfs"
	assert_eq "$(ls -A "$hostdir")" "" "host directory"
}

@test "paths: a masked path is masked with the host's /dev/null, not the image's (symlink or file)" {
	no_dev_tmpfs
	mkdir -p "$BUNDLE/rootfs/dev"
	echo SECRET-HOST >"$BATS_TEST_TMPDIR/secret"
	echo image-null-file >"$BUNDLE/rootfs/etc/not-null"
	update_config '.linux.maskedPaths = ["/etc/hostname", "/etc/passwd"]'
	set_cmd 'cat /etc/hostname /etc/passwd; stat -c "%F %t:%T" /etc/hostname'
	local variant
	for variant in symlink-out symlink-in file; do
		rm -f "$BUNDLE/rootfs/dev/null"
		case $variant in
		symlink-out) ln -s "../../../../../..$BATS_TEST_TMPDIR/secret" "$BUNDLE/rootfs/dev/null" ;;
		symlink-in) ln -s /etc/not-null "$BUNDLE/rootfs/dev/null" ;;
		file) echo image-null-file >"$BUNDLE/rootfs/dev/null" ;;
		esac
		run --separate-stderr husk_run
		assert_success
		assert_output_not_contains SECRET-HOST
		assert_output_not_contains image-null-file
		assert_output_not_contains husk-test
		assert_output_contains "character special file 1:3"
		assert_eq "$(cat "$BATS_TEST_TMPDIR/secret")" SECRET-HOST "host file"
	done
}

@test "paths: a bind source that is a symlink on the host is followed there (the bundle's choice)" {
	mkdir -p "$BATS_TEST_TMPDIR/real"
	echo bound >"$BATS_TEST_TMPDIR/real/f"
	ln -s real "$BATS_TEST_TMPDIR/link"
	add_mount "{\"destination\": \"/b\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/link\", \"options\": [\"bind\", \"ro\"]}"
	set_cmd 'cat /b/f; touch /b/g 2>&1 || true'
	run --separate-stderr husk_run
	assert_success
	assert_output_contains bound
	[ ! -e "$BATS_TEST_TMPDIR/real/g" ] || fail "ro bind written"
}

@test "paths: device nodes whose path goes through a symlink are made inside the rootfs" {
	no_dev_tmpfs
	local hostdir=$BATS_TEST_TMPDIR/devhost
	# the symlink's target exists both on the host and inside the rootfs
	mkdir -p "$hostdir" "$BUNDLE/rootfs/dev" "$BUNDLE/rootfs$hostdir"
	ln -s "../../../../../../../..$hostdir" "$BUNDLE/rootfs/dev/evil"
	update_config '.linux.devices = [{"path": "/dev/evil/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 438}]'
	set_cmd 'stat -c "%F %t:%T" /dev/evil/mynull'
	run --separate-stderr husk_run
	assert_success
	assert_output_contains "character special file 1:3"
	assert_eq "$(ls -A "$hostdir")" "" "host directory"
	[ -c "$BUNDLE/rootfs$hostdir/mynull" ] || fail "device not in the rootfs"
}

@test "paths: readonlyPaths through symlinks stay inside the rootfs" {
	local hostdir=$BATS_TEST_TMPDIR/rohost
	mkdir -p "$hostdir" "$BUNDLE/rootfs/data"
	ln -s "../../../../../../../..$hostdir" "$BUNDLE/rootfs/rolink"
	ln -s /data "$BUNDLE/rootfs/rodata"
	update_config '.linux.readonlyPaths += ["/rolink", "/rodata"]'
	set_cmd 'touch /data/x 2>/dev/null && echo data-writable || echo data-ro; grep -c " /data " /proc/self/mountinfo'
	local before
	before=$(host_mounts)
	run --separate-stderr husk_run
	assert_success
	assert_eq "$(host_mounts)" "$before" "host mount table"
	assert_eq "$(ls -A "$hostdir")" "" "host directory"
	assert_output_contains data-ro
}

@test "paths: cwd through a symlink to ../../.. stays inside the container" {
	ln -s ../../../../../../.. "$BUNDLE/rootfs/cwdlink"
	update_config '.process.cwd = "/cwdlink/etc"'
	set_cmd 'pwd; cat hostname'
	run --separate-stderr husk_run
	assert_success
	assert_eq "${lines[0]}" /etc "cwd"
	assert_eq "${lines[1]}" husk-test "hostname file read from the cwd"
}

@test "paths: /dev/console planted as a symlink by the image is replaced, not followed" {
	requires tools
	no_dev_tmpfs
	update_config '.mounts += [{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["newinstance", "ptmxmode=0666"]}]'
	local hostfile=$BATS_TEST_TMPDIR/console-target
	echo host-content >"$hostfile"
	mkdir -p "$BUNDLE/rootfs/dev"
	ln -s "../../../../../../../..$hostfile" "$BUNDLE/rootfs/dev/console"
	ln -s pts/ptmx "$BUNDLE/rootfs/dev/ptmx"
	update_config '.process.terminal = true'
	set_cmd 'readlink /dev/console; stat -c "%F" /dev/console'
	local sock=$BATS_TEST_TMPDIR/console.sock out=$BATS_TEST_TMPDIR/tty
	mkdir -p "$out"
	bg_start "$TOOLS_DIR/recvtty" "$sock" "$out" >/dev/null 2>&1
	wait_file "$sock"
	run --separate-stderr timeout 20 "$HUSK" --root "$STATE_ROOT" run --bundle "$BUNDLE" --console-socket "$sock" "$ID" </dev/null
	assert_success
	wait_file "$out/done" 100
	grep -q "character special file" "$out/output" || fail "console: $(cat "$out/output")"
	assert_eq "$(cat "$hostfile")" host-content "host file behind the symlink"
	[ -z "$(grep -F "$hostfile" /proc/self/mountinfo)" ] || fail "host file over-mounted"
}

# --- 5. capabilities and noNewPrivileges ------------------------------------------------------

# caps_json BOUNDING EFFECTIVE PERMITTED INHERITABLE AMBIENT: each a space-separated list of names
caps_json() {
	local set out="" names=(bounding effective permitted inheritable ambient) i=0
	for set in "$@"; do
		out="$out${out:+,}\"${names[$i]}\": $(jq -cn '$ARGS.positional' --args -- $set)"
		i=$((i + 1))
	done
	echo "{$out}"
}

# mask NAMES...: the /proc/PID/status hex mask of these capabilities
mask() {
	local n v=0 c
	for n in "$@"; do
		case $n in
		CAP_CHOWN) c=0 ;; CAP_DAC_OVERRIDE) c=1 ;; CAP_KILL) c=5 ;; CAP_SETGID) c=6 ;;
		CAP_SETUID) c=7 ;; CAP_NET_BIND_SERVICE) c=10 ;; CAP_NET_RAW) c=13 ;;
		CAP_SYS_ADMIN) c=21 ;; CAP_AUDIT_WRITE) c=29 ;; *) fail "mask: $n" ;;
		esac
		v=$((v | (1 << c)))
	done
	printf '%016x' "$v"
}

@test "caps: the five sets in the container follow the config (root and non-root)" {
	local cfg cb ce cp ci ca uid
	for cfg in \
		"CAP_CHOWN CAP_KILL|CAP_CHOWN|CAP_CHOWN CAP_KILL|CAP_KILL|" \
		"CAP_NET_RAW CAP_SETUID CAP_SETGID|CAP_NET_RAW|CAP_NET_RAW CAP_SETUID|CAP_NET_RAW CAP_SETUID|CAP_NET_RAW" \
		"CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE|CAP_KILL|CAP_KILL CAP_NET_BIND_SERVICE|CAP_KILL CAP_NET_BIND_SERVICE|CAP_KILL CAP_NET_BIND_SERVICE" \
		"||||"; do
		IFS='|' read -r cb ce cp ci ca <<<"$cfg"
		update_config ".process.capabilities = $(caps_json "$cb" "$ce" "$cp" "$ci" "$ca")"
		set_args /bin/probe ids
		for uid in 0 1000; do
			update_config ".process.user = {\"uid\": $uid, \"gid\": $uid}"
			run --separate-stderr husk_run
			assert_success
			grep -q "^CapBnd:	$(mask $cb)$" <<<"$output" || fail "[$cfg] uid $uid CapBnd: $output"
			grep -q "^CapInh:	$(mask $ci)$" <<<"$output" || fail "[$cfg] uid $uid CapInh: $output"
			grep -q "^CapAmb:	$(mask $ca)$" <<<"$output" || fail "[$cfg] uid $uid CapAmb: $output"
			# execve recomputes permitted and effective: for root they become bounding |
			# inheritable (no SECBIT_NOROOT), cut down to what was permitted before because
			# of noNewPrivileges; for anybody else exactly the ambient set
			if [ "$uid" = 0 ]; then
				local want
				want=$(printf '%016x' $(((0x$(mask $cb $ci) & 0x$(mask $cp $ca)) | 0x$(mask $ca))))
				grep -q "^CapPrm:	$want$" <<<"$output" || fail "[$cfg] uid 0 CapPrm (want $want): $output"
				grep -q "^CapEff:	$want$" <<<"$output" || fail "[$cfg] uid 0 CapEff (want $want): $output"
			else
				grep -q "^CapPrm:	$(mask $ca)$" <<<"$output" || fail "[$cfg] uid $uid CapPrm: $output"
				grep -q "^CapEff:	$(mask $ca)$" <<<"$output" || fail "[$cfg] uid $uid CapEff: $output"
			fi
		done
	done
}

@test "caps: inheritable outside the bounding set is refused with one line" {
	update_config ".process.capabilities = $(caps_json "" "" "" "CAP_SYS_ADMIN" "")"
	run --separate-stderr husk_run
	assert_failure
	assert_one_error_line
	assert_nothing_left
}

@test "nnp: a setuid-root binary gains euid 0 without noNewPrivileges, not with it" {
	cp "$PROBES/probe" "$BUNDLE/rootfs/bin/suid-probe"
	chown 0:0 "$BUNDLE/rootfs/bin/suid-probe"
	chmod 4755 "$BUNDLE/rootfs/bin/suid-probe"
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_args /bin/suid-probe ids
	update_config '.process.noNewPrivileges = false'
	run --separate-stderr husk_run
	assert_success
	assert_eq "${lines[0]}" "uid=1000/0/0 gid=1000/1000/1000" "ids without noNewPrivileges"
	grep -q "^CapEff:	$(mask CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)$" <<<"$output" ||
		fail "setuid root did not get the bounding set: $output"
	update_config '.process.noNewPrivileges = true'
	run --separate-stderr husk_run
	assert_success
	assert_eq "${lines[0]}" "uid=1000/1000/1000 gid=1000/1000/1000" "ids with noNewPrivileges"
	grep -q "^CapEff:	0000000000000000$" <<<"$output" || fail "caps gained: $output"
	grep -q "^NoNewPrivs:	1$" <<<"$output" || fail "no_new_privs not set: $output"
}

# --- 6. user namespaces -----------------------------------------------------------------------

@test "userns: root inside is host uid 100000 and cannot write a host-owned file bound in" {
	requires userns
	chown -R 100000:100000 "$BUNDLE/rootfs"
	# the container's root (host uid 100000) resolves the rootfs path itself, as runc's does:
	# every directory above it must be searchable by others
	local d=$BUNDLE
	while [ "$d" != / ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	echo host-owned >"$BATS_TEST_TMPDIR/hostfile"
	chmod 0644 "$BATS_TEST_TMPDIR/hostfile"
	add_shared_dir
	add_mount "{\"destination\": \"/hostfile\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/hostfile\", \"options\": [\"bind\", \"rw\"]}"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	set_cmd 'id -u > /shared/id; /bin/probe write /hostfile > /shared/write; touch /shared/ready; exec sleep 1000'
	run husk_bg run --detach --bundle "$BUNDLE" "$ID"
	assert_success
	wait_file "$SHARED/ready"
	local pid
	pid=$(state_field "$ID" .pid)
	assert_eq "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")" "100000 100000 100000 100000" "host uids of the container process"
	assert_eq "$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")" "100000 100000 100000 100000" "host gids"
	assert_eq "$(cat "$SHARED/id")" 0 "uid inside"
	assert_eq "$(cat "$SHARED/write")" EACCES "write to the host-owned file"
	assert_eq "$(cat "$BATS_TEST_TMPDIR/hostfile")" host-owned "host file"
	assert_eq "$(stat -c %u "$SHARED/ready")" 100000 "owner of a file the container made"
}

# --- 7. seccomp: the filter in the init, the seccomp agent (listenerPath) ---------------------

# seccomp_notify_getppid: getppid goes to the agent at $AGENT_SOCK; everything else allowed
seccomp_notify_getppid() {
	AGENT_SOCK=$BATS_TEST_TMPDIR/agent.sock
	AGENT_OUT=$BATS_TEST_TMPDIR/agent.out
	update_config ".linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\",
		\"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"],
		\"listenerPath\": \"$AGENT_SOCK\", \"listenerMetadata\": \"meta-$ID\",
		\"syscalls\": [{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	bg_start "$PROBES/probe" agent "$AGENT_SOCK" "$AGENT_OUT" >/dev/null 2>&1
	wait_file "$AGENT_SOCK"
}

check_agent_message() { # $1: expected pid
	local msg
	msg=$(head -1 "$AGENT_OUT")
	assert_eq "$(jq -r '.fds[0]' <<<"$msg")" seccompFd "fds"
	assert_eq "$(jq -r .metadata <<<"$msg")" "meta-$ID" "metadata"
	assert_eq "$(jq -r .state.id <<<"$msg")" "$ID" "state.id"
	assert_eq "$(jq -r .state.bundle <<<"$msg")" "$BUNDLE" "state.bundle"
	assert_eq "$(jq -r .pid <<<"$msg")" "$1" "pid"
	assert_eq "$(jq -r .state.pid <<<"$msg")" "$1" "state.pid"
	grep -q "^answered syscall" "$AGENT_OUT" || fail "agent did not answer: $(cat "$AGENT_OUT")"
}

@test "seccomp: listenerPath with run: the agent gets the fd and the state and answers" {
	seccomp_notify_getppid
	add_shared_dir
	set_cmd 'echo $PPID > /shared/ppid'
	run --separate-stderr husk_run --pid-file "$BATS_TEST_TMPDIR/pid"
	assert_success
	assert_eq "$(cat "$SHARED/ppid")" 4242 "getppid() answered by the agent"
	check_agent_message "$(cat "$BATS_TEST_TMPDIR/pid")"
}

@test "seccomp: listenerPath with create + start (the runtime parent is gone by then)" {
	seccomp_notify_getppid
	add_shared_dir
	set_cmd 'echo $PPID > /shared/ppid; exec sleep 1000'
	husk_create_start
	local pid
	pid=$(state_field "$ID" .pid)
	wait_file "$SHARED/ppid"
	assert_eq "$(cat "$SHARED/ppid")" 4242 "getppid() answered by the agent"
	check_agent_message "$pid"
}

@test "seccomp: a full profile (errno, args, masked_eq, flags) is enforced in the container" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
		"syscalls": [
			{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28},
			{"names": ["chmod"], "action": "SCMP_ACT_ERRNO",
			 "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]},
			{"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO",
			 "args": [{"index": 2, "value": 511, "op": "SCMP_CMP_EQ"}]},
			{"names": ["chmod"], "action": "SCMP_ACT_ERRNO",
			 "args": [{"index": 1, "value": 2048, "valueTwo": 2048, "op": "SCMP_CMP_MASKED_EQ"}]},
			{"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO",
			 "args": [{"index": 2, "value": 2048, "valueTwo": 2048, "op": "SCMP_CMP_MASKED_EQ"}]},
			{"names": ["no_such_syscall_at_all"], "action": "SCMP_ACT_KILL"}
		]}'
	set_cmd 'mkdir /tmp/x 2>&1; touch /tmp/f; chmod 0777 /tmp/f 2>&1; chmod 0644 /tmp/f && echo chmod-644-ok; chmod 4755 /tmp/f 2>&1; echo done'
	run --separate-stderr husk_run
	assert_success
	assert_output_contains "No space left on device"
	assert_output_contains "chmod-644-ok"
	assert_output_contains "done"
	[ "$(grep -c "Operation not permitted" <<<"$output")" -eq 2 ] || fail "chmod 0777 and 4755 must fail: $output"
}

@test "seccomp: bad input is refused with one line and nothing left behind" {
	local bad
	for bad in \
		'{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}' \
		'{"defaultAction": "SCMP_ACT_FROBNICATE"}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOPE"}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_WHATEVER"}]}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["close"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 3, "value": 1, "op": "SCMP_CMP_EQ"}]}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/nonexistent/agent.sock", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]}'; do
		update_config ".linux.seccomp = $bad"
		set_args true
		run --separate-stderr husk_run
		assert_failure
		assert_one_error_line
		[[ "$stderr" == *seccomp* ]] || fail "error does not name linux.seccomp: $stderr"
		assert_nothing_left
	done
}

# --- 8. idmapped mounts and tmpcopyup -----------------------------------------------------------

@test "mounts: idmap shows a host root-owned tree as the mapped owner, host untouched" {
	mkdir -p "$BATS_TEST_TMPDIR/idm/sub"
	echo data >"$BATS_TEST_TMPDIR/idm/sub/f"
	chown -R 0:0 "$BATS_TEST_TMPDIR/idm"
	add_mount "{\"destination\": \"/idm\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/idm\",
		\"options\": [\"rbind\", \"rw\", \"ridmap\"],
		\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1234, \"size\": 1}],
		\"gidMappings\": [{\"containerID\": 0, \"hostID\": 4321, \"size\": 1}]}"
	set_cmd 'stat -c "%u:%g" /idm /idm/sub/f; grep " /idm " /proc/self/mountinfo | grep -c idmapped'
	run --separate-stderr husk_run
	assert_success
	assert_eq "${lines[0]}" "1234:4321" "owner of the mount's root"
	assert_eq "${lines[1]}" "1234:4321" "owner of a file below"
	assert_eq "${lines[2]}" 1 "mount flagged idmapped"
	assert_eq "$(stat -c %u:%g "$BATS_TEST_TMPDIR/idm/sub/f")" "0:0" "host owner"
}

@test "mounts: idmap without mappings is one clear error" {
	add_mount "{\"destination\": \"/idm\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR\", \"options\": [\"rbind\", \"idmap\"]}"
	set_args true
	run --separate-stderr husk_run
	assert_failure
	assert_one_error_line
	assert_output_contains ""
	[[ "$stderr" == *idmap* ]] || fail "error does not say idmap: $stderr"
	assert_nothing_left
}

@test "mounts: tmpcopyup copies the image's directory into the new tmpfs, symlinks not followed" {
	mkdir -p "$BUNDLE/rootfs/opt/app/sub"
	echo hello >"$BUNDLE/rootfs/opt/app/sub/file"
	chmod 0604 "$BUNDLE/rootfs/opt/app/sub/file"
	chown 7:8 "$BUNDLE/rootfs/opt/app/sub/file"
	ln -s "$BATS_TEST_TMPDIR/hostdir-target" "$BUNDLE/rootfs/opt/app/escape"
	mkdir -p "$BATS_TEST_TMPDIR/hostdir-target"
	chmod 0751 "$BUNDLE/rootfs/opt/app"
	add_mount '{"destination": "/opt/app", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "size=1m"]}'
	set_cmd 'cat /opt/app/sub/file; stat -c "%a %u:%g" /opt/app/sub/file /opt/app; readlink /opt/app/escape; grep " /opt/app " /proc/self/mountinfo | cut -d" " -f9; echo new > /opt/app/new'
	run --separate-stderr husk_run
	assert_success
	assert_eq "${lines[0]}" hello "copied content"
	assert_eq "${lines[1]}" "604 7:8" "mode and owner of a copied file"
	assert_eq "${lines[2]}" "751 0:0" "mode of the tmpfs root"
	assert_eq "${lines[3]}" "$BATS_TEST_TMPDIR/hostdir-target" "symlink copied as a symlink"
	assert_eq "${lines[4]}" tmpfs "fs type"
	assert_eq "$(cat "$BUNDLE/rootfs/opt/app/sub/file")" hello "image file untouched"
	assert_eq "$(ls -A "$BATS_TEST_TMPDIR/hostdir-target")" "" "symlink target untouched"
}

# --- 1. the runtime binary (the 2019 /proc/self/exe class) ----------------------------------

# make_bundle_b: a second bundle ($BUNDLE_B) whose container joins the pid namespace of pid $1,
# with the shared dir of the first and the probe
make_bundle_b() {
	BUNDLE_B=$BATS_TEST_TMPDIR/bundle-b
	"$HELPERS_DIR/mkbundle" -e "HUSK_TEST_MARK=$MARK" "$BUNDLE_B" sh >/dev/null
	cp "$PROBES/probe" "$BUNDLE_B/rootfs/bin/probe"
	jq --arg ns "/proc/$1/ns/pid" --arg sh "$SHARED" '
		.linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)
		| .mounts += [{"destination": "/shared", "type": "bind", "source": $sh, "options": ["rbind", "rw"]}]' \
		"$BUNDLE_B/config.json" >"$BUNDLE_B/c" && mv "$BUNDLE_B/c" "$BUNDLE_B/config.json"
}

husk_sum() { sha256sum "$(readlink -f "$HUSK")" | cut -d' ' -f1; }

@test "exe: a waiting init is not reachable through /proc/PID/exe (non-dumpable, no CAP_SYS_PTRACE)" {
	add_shared_dir
	set_args sleep 1000
	run husk_create
	assert_success
	make_bundle_b "$(state_field "$ID" .pid)"
	jq '.process.args = ["sh", "-c", "/bin/probe exe 1 > /shared/result"]' "$BUNDLE_B/config.json" >"$BUNDLE_B/c" &&
		mv "$BUNDLE_B/c" "$BUNDLE_B/config.json"
	run husk run --bundle "$BUNDLE_B" "$ID-b" </dev/null
	assert_success
	grep -q "^open-path E" "$SHARED/result" || fail "O_PATH open of the init's exe: $(cat "$SHARED/result")"
	grep -q "^open-write E" "$SHARED/result" || fail "write open of the init's exe: $(cat "$SHARED/result")"
	grep -q "^readlink E" "$SHARED/result" || fail "readlink of the init's exe: $(cat "$SHARED/result")"
}

@test "exe: with CAP_SYS_PTRACE, a held /proc/PID/exe of the init cannot be reopened for writing" {
	add_shared_dir
	set_args sleep 1000
	run husk_create
	assert_success
	local pid sum
	pid=$(state_field "$ID" .pid)
	sum=$(husk_sum)
	make_bundle_b "$pid"
	jq '.process.args = ["sh", "-c", "/bin/probe exe-hold 1 /shared/go > /shared/result"]
		| .process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])' \
		"$BUNDLE_B/config.json" >"$BUNDLE_B/c" && mv "$BUNDLE_B/c" "$BUNDLE_B/config.json"
	run husk_bg run --detach --bundle "$BUNDLE_B" "$ID-b"
	assert_success
	wait_file "$SHARED/result"
	grep -q "^open-path ok" "$SHARED/result" || fail "CAP_SYS_PTRACE should reach the exe: $(cat "$SHARED/result")"
	# the init leaves husk's image: from now on only the file itself protects the binary
	run husk start "$ID"
	assert_success
	local i
	for i in $(seq 1 50); do
		[[ "$(readlink "/proc/$pid/exe")" == *busybox* ]] && break
		sleep 0.1
	done
	touch "$SHARED/go"
	for i in $(seq 1 50); do
		grep -q reopen-write "$SHARED/result" && break
		sleep 0.1
	done
	grep -q "^reopen-write E" "$SHARED/result" || fail "the husk binary was opened for writing: $(cat "$SHARED/result")"
	assert_eq "$(husk_sum)" "$sum" "husk binary"
}

@test "exe: an entrypoint '#!/proc/self/exe' run next to a hostile process cannot get husk written" {
	add_shared_dir
	set_cmd '/bin/probe exe-scan 4 > /shared/scan; exec sleep 1000'
	run husk_bg run --detach --bundle "$BUNDLE" "$ID"
	assert_success
	local sum
	sum=$(husk_sum)
	make_bundle_b "$(state_field "$ID" .pid)"
	printf '#!/proc/self/exe\n' >"$BUNDLE_B/rootfs/evil"
	chmod 755 "$BUNDLE_B/rootfs/evil"
	jq '.process.args = ["/evil"]' "$BUNDLE_B/config.json" >"$BUNDLE_B/c" && mv "$BUNDLE_B/c" "$BUNDLE_B/config.json"
	local i
	for i in $(seq 1 15); do
		husk run --bundle "$BUNDLE_B" "$ID-b$i" </dev/null >/dev/null 2>&1 || true
	done
	wait_file "$SHARED/scan" 100
	for i in $(seq 1 60); do
		[ "$(grep -c reopen-write "$SHARED/scan")" -ge "$(sed -n 's/^caught //p' "$SHARED/scan")" ] && break
		sleep 0.1
	done
	echo "# scan: $(tr '\n' ' ' <"$SHARED/scan")" >&3
	! grep -q "^reopen-write ok" "$SHARED/scan" || fail "the husk binary was opened for writing: $(cat "$SHARED/scan")"
	assert_eq "$(husk_sum)" "$sum" "husk binary"
}
