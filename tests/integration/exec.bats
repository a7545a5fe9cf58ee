#!/usr/bin/env bats
# `exec`: a new process in a running container: namespaces, cgroup, capabilities, user, cwd,
# env, rlimits, seccomp, exit codes, signals, terminal, --detach, --pid-file, --process, and
# the refusals that leave the container as it was.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

# start_container: run $BUNDLE detached as $ID (process: sleep), and set PID to its init.
start_container() {
	set_args sleep 1000
	run husk_bg run -d --bundle "$BUNDLE" "$ID"
	assert_success
	PID=$(state_field "$ID" .pid)
}

# xc CMD...: foreground exec in $ID, stdin from /dev/null.
xc() {
	husk exec "$ID" "$@" </dev/null
}

# After a refused exec: the container runs on, with the same init, and no exec'd process.
assert_container_untouched() {
	assert_eq "$(state_field "$ID" .status)" running "status after the refused exec"
	assert_eq "$(state_field "$ID" .pid)" "$PID" "pid after the refused exec"
	local kids
	kids=$(cat "/proc/$PID/task/$PID/children" 2>/dev/null)
	assert_eq "$kids" "" "children of the init"
}

hex_has_cap() { # MASK CAPNUM
	(((0x$1 >> $2) & 1))
}

@test "exec: joins every namespace of the container's init" {
	start_container
	run xc sh -c 'for n in cgroup ipc mnt net pid time user uts; do echo "$n $(readlink /proc/self/ns/$n)"; done'
	assert_success
	local n line
	for n in cgroup ipc mnt net pid time user uts; do
		[ -e "/proc/$PID/ns/$n" ] || continue
		line=$(grep "^$n " <<<"$output")
		assert_eq "$line" "$n $(readlink "/proc/$PID/ns/$n")" "$n namespace"
	done
	# the namespaces are the container's, not the host's
	[ "$(readlink "/proc/$PID/ns/pid")" != "$(host_ns pid)" ] || fail "the init shares the host pid namespace"
}

@test "exec: joins the user namespace and the uid mapping of a user-namespaced container" {
	requires userns
	update_config '.linux.namespaces += [{"type": "user"}] |
		.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
		.linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	open_bundle_path
	chown -R 100000:100000 "$BUNDLE/rootfs"
	start_container
	run xc sh -c 'readlink /proc/self/ns/user; cat /proc/self/uid_map; id -u'
	assert_success
	assert_output_contains "$(readlink "/proc/$PID/ns/user")"
	assert_output_matches "0 +100000 +65536"
	assert_eq "${lines[-1]}" 0 "uid in the container"
}

@test "exec: runs in the container's cgroup" {
	start_container
	run xc cat /proc/self/cgroup
	assert_success
	assert_eq "$output" "$(cat "/proc/$PID/cgroup")" "/proc/self/cgroup"
}

@test "exec: the pid in the container's pid namespace and the process tree" {
	start_container
	run xc sh -c 'echo $$; cat /proc/1/cmdline | tr "\0" " "'
	assert_success
	[ "${lines[0]}" -gt 1 ] || fail "pid in the container: ${lines[0]}"
	assert_output_contains "sleep 1000"
}

@test "exec: capabilities default to the config's; --cap adds to bounding, effective, permitted, never inheritable" {
	start_container
	local want_bnd
	want_bnd=$(awk '/^CapBnd/ {print $2}' "/proc/$PID/status")
	run xc grep ^Cap /proc/self/status
	assert_success
	assert_output_contains "CapBnd:	$want_bnd"
	assert_output_contains "CapEff:	$(awk '/^CapEff/ {print $2}' "/proc/$PID/status")"
	hex_has_cap "$want_bnd" 21 && fail "test config already has CAP_SYS_ADMIN"
	run husk exec --cap CAP_SYS_ADMIN --cap CAP_NET_RAW "$ID" grep ^Cap /proc/self/status </dev/null
	assert_success
	local set mask
	for set in Bnd Eff Prm; do
		mask=$(awk "/^Cap$set/ {print \$2}" <<<"$output")
		hex_has_cap "$mask" 21 || fail "CAP_SYS_ADMIN not in Cap$set ($mask)"
		hex_has_cap "$mask" 13 || fail "CAP_NET_RAW not in Cap$set ($mask)"
		hex_has_cap "$mask" 5 || fail "CAP_KILL (from the config) not in Cap$set ($mask)"
	done
	mask=$(awk '/^CapInh/ {print $2}' <<<"$output")
	hex_has_cap "$mask" 21 && fail "CAP_SYS_ADMIN in CapInh ($mask)"
	# the init keeps its own set
	assert_eq "$(awk '/^CapBnd/ {print $2}' "/proc/$PID/status")" "$want_bnd" "init's CapBnd"
}

@test "exec: --user, --additional-gids, --cwd, --env" {
	start_container
	run husk exec --user 1000:1001 -g 10 -g 20 --cwd /tmp --env FOO=bar --env PATH=/bin:/sbin "$ID" \
		sh -c 'id -u; id -g; id -G; pwd; echo "$FOO"; echo "$PATH"; env | grep -c "^PATH="' </dev/null
	assert_success
	assert_eq "${lines[0]}" 1000 "uid"
	assert_eq "${lines[1]}" 1001 "gid"
	assert_eq "${lines[2]}" "1001 10 20" "groups"
	assert_eq "${lines[3]}" /tmp "cwd"
	assert_eq "${lines[4]}" bar "env FOO"
	assert_eq "${lines[5]}" /bin:/sbin "--env replaces PATH"
	assert_eq "${lines[6]}" 1 "PATH once in the environment"
}

@test "exec: the config's env, cwd and user are the defaults" {
	update_config '.process.env += ["FROMCONFIG=yes"] | .process.cwd = "/root"'
	start_container
	run xc sh -c 'echo "$FROMCONFIG"; pwd; id -u'
	assert_success
	assert_eq "${lines[0]}" yes "env from the config"
	assert_eq "${lines[1]}" /root "cwd from the config"
	assert_eq "${lines[2]}" 0 "uid"
}

@test "exec: the config's rlimits apply" {
	husk_only "runc 1.1 leaves an exec'd process the soft NOFILE its Go runtime raised"
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 512, "soft": 256}]'
	start_container
	run xc sh -c 'ulimit -Sn; ulimit -Hn'
	assert_success
	assert_eq "${lines[0]}" 256 "soft NOFILE"
	assert_eq "${lines[1]}" 512 "hard NOFILE"
}

@test "exec: noNewPrivileges from the config, --no-new-privs on top" {
	update_config '.process.noNewPrivileges = false'
	start_container
	run xc awk '/^NoNewPrivs/ {print $2}' /proc/self/status
	assert_success
	assert_eq "$output" 0 "NoNewPrivs without the flag"
	run husk exec --no-new-privs "$ID" awk '/^NoNewPrivs/ {print $2}' /proc/self/status </dev/null
	assert_success
	assert_eq "$output" 1 "NoNewPrivs with --no-new-privs"
}

@test "exec: the container's seccomp filter applies" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	start_container
	run xc sh -c 'mkdir /tmp/x 2>&1; echo rc=$?; grep ^Seccomp: /proc/self/status'
	assert_output_contains "rc=1"
	assert_output_matches "Seccomp:[[:space:]]+2"
}

@test "exec: foreground exit codes, 128+N for a signal" {
	start_container
	run xc sh -c 'exit 42'
	[ "$status" -eq 42 ] || fail "status $status, want 42"
	run xc sh -c 'kill -USR1 $$; sleep 5'
	[ "$status" -eq 138 ] || fail "status $status, want 138 (128+SIGUSR1)"
	run xc true
	assert_success
	assert_eq "$(state_field "$ID" .status)" running "status after the execs"
}

@test "exec: signals to a foreground exec reach the process" {
	start_container
	local rcfile=$BATS_TEST_TMPDIR/rc out=$BATS_TEST_TMPDIR/out
	(
		rc=0
		HUSK_TEST_MARK=$MARK "$HUSK" --root "$STATE_ROOT" exec "$ID" sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.1; done' </dev/null >"$out" 2>&1 || rc=$?
		echo $rc >"$rcfile"
	) &
	local xpid=$!
	for _ in $(seq 1 100); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
	grep -q ready "$out" || fail "exec did not start: $(cat "$out")"
	# the runtime process of the exec: the child of our subshell
	local rt
	rt=$(pgrep -P "$xpid")
	[ -n "$rt" ] || fail "no runtime process under $xpid"
	kill -TERM $rt
	wait_file "$rcfile" 100
	assert_eq "$(cat "$rcfile")" 9 "exit code"
	grep -q got-term "$out" || fail "trap did not run: $(cat "$out")"
}

@test "exec: stdin and stdout pass through" {
	start_container
	run bash -c 'echo piped-in | HUSK_TEST_MARK=$MARK "$HUSK" --root "$STATE_ROOT" exec "$ID" cat'
	assert_success
	assert_eq "$output" piped-in "stdin copied to stdout"
}

@test "exec: --tty with --console-socket: a pty of the container" {
	requires tools
	start_container
	local sock=$BATS_TEST_TMPDIR/tty.sock out=$BATS_TEST_TMPDIR/tty
	mkdir -p "$out"
	bg_start "$TOOLS_DIR/recvtty" "$sock" "$out"
	wait_file "$sock"
	# --detach: runc takes a console socket only then (husk either way)
	run husk exec --detach --tty --console-socket "$sock" "$ID" sh -c 'tty; test -t 0 && echo stdin-is-tty; ls -l /proc/self/fd/1' </dev/null
	assert_success
	wait_file "$out/done" 100
	grep -q '^/dev/pts/[0-9]' "$out/output" || fail "tty: $(cat "$out/output")"
	grep -q stdin-is-tty "$out/output" || fail "stdin not a tty: $(cat "$out/output")"
	grep -qi 'tty' "$out/info" || fail "info: $(cat "$out/info")"
}

@test "exec: --process FILE is the whole process spec" {
	start_container
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'EOF'
		{
			"terminal": false,
			"user": {"uid": 7, "gid": 8, "additionalGids": [9]},
			"args": ["sh", "-c", "id -u; id -g; id -G; pwd; echo $ONLY; grep ^CapBnd /proc/self/status"],
			"env": ["PATH=/bin", "ONLY=from-file"],
			"cwd": "/tmp",
			"capabilities": {"bounding": ["CAP_CHOWN"], "effective": [], "permitted": [], "inheritable": []}
		}
	EOF
	run husk exec --process "$BATS_TEST_TMPDIR/process.json" "$ID" </dev/null
	assert_success
	assert_eq "${lines[0]}" 7 "uid"
	assert_eq "${lines[1]}" 8 "gid"
	assert_eq "${lines[2]}" "8 9" "groups"
	assert_eq "${lines[3]}" /tmp "cwd"
	assert_eq "${lines[4]}" from-file "env"
	assert_output_matches "CapBnd:[[:space:]]+0+1$"
}

@test "exec: --detach returns at once, --pid-file holds digits only, the process outlives the runtime" {
	start_container
	local pidfile=$BATS_TEST_TMPDIR/exec.pid
	run husk_bg exec --detach --pid-file "$pidfile" "$ID" sleep 1000
	assert_success
	[ -f "$pidfile" ] || fail "no pid file"
	local content
	content=$(od -An -c "$pidfile" | tr -d ' ')
	[[ "$(cat "$pidfile")" =~ ^[0-9]+$ ]] || fail "pid file content: $content"
	[[ "$content" != *'\n'* ]] || fail "pid file ends with a newline: $content"
	local xpid
	xpid=$(cat "$pidfile")
	pid_alive "$xpid" || fail "exec'd process $xpid not alive"
	assert_eq "$(readlink "/proc/$xpid/ns/pid")" "$(readlink "/proc/$PID/ns/pid")" "pid namespace"
	assert_eq "$(tr '\0' ' ' <"/proc/$xpid/cmdline")" "sleep 1000 " "cmdline"
	# not a child of the container's init: the caller's side reaps it
	local ppid
	ppid=$(awk '/^PPid/ {print $2}' "/proc/$xpid/status")
	[ "$ppid" != "$PID" ] || fail "the exec'd process was re-parented into the container"
}

@test "exec: --detach: the process is re-parented to the caller's subreaper" {
	start_container
	local pidfile=$BATS_TEST_TMPDIR/exec.pid
	# perl as a subreaper (prctl PR_SET_CHILD_SUBREAPER = 36, syscall 157 on x86_64) runs the
	# runtime, as containerd's shim and conmon do, and reports the exec'd process's parent
	run perl -e '
		syscall(157, 36, 1, 0, 0, 0) == 0 or die "prctl: $!";
		my $pid = fork();
		if ($pid == 0) {
			open(STDIN, "<", "/dev/null"); open(STDOUT, ">", "/dev/null");
			exec($ENV{HUSK}, "--root", $ENV{STATE_ROOT}, "exec", "--detach", "--pid-file", $ARGV[0], $ARGV[1], "sleep", "1000") or die;
		}
		waitpid($pid, 0);
		exit 1 if $? != 0;
		open(my $f, "<", $ARGV[0]) or die; my $x = <$f>;
		open(my $s, "<", "/proc/$x/status") or die;
		while (<$s>) { print "$1\n" if /^PPid:\s+(\d+)/ }
		print "$$\n";
		kill 9, $x; waitpid($x, 0);
	' "$pidfile" "$ID"
	assert_success
	assert_eq "${lines[0]}" "${lines[1]}" "parent of the detached exec (want the subreaper)"
}

@test "exec: --preserve-fds passes fds to the process" {
	start_container
	echo preserved-data >"$BATS_TEST_TMPDIR/data"
	run bash -c 'exec 3<"$1"; HUSK_TEST_MARK=$MARK "$HUSK" --root "$STATE_ROOT" exec --preserve-fds 1 "$ID" sh -c "cat <&3; ls /proc/self/fd | wc -l" </dev/null' _ "$BATS_TEST_TMPDIR/data"
	assert_success
	assert_eq "${lines[0]}" preserved-data "fd 3"
	# 0 1 2 3 and the fd ls itself opens for /proc/self/fd
	assert_eq "${lines[1]}" 5 "fds in the process"
}

@test "exec: into a created container" {
	set_args sleep 1000
	run husk_create
	assert_success
	run husk exec "$ID" echo in-created </dev/null
	assert_success
	assert_eq "$output" in-created "output"
	assert_eq "$(state_field "$ID" .status)" created "status"
}

@test "exec: bad input: one error line, non-zero exit, container untouched" {
	start_container
	echo '{"args": ["true"' >"$BATS_TEST_TMPDIR/bad.json"
	run --separate-stderr husk exec --process "$BATS_TEST_TMPDIR/bad.json" "$ID"
	assert_failure
	assert_one_error_line
	assert_container_untouched

	run --separate-stderr husk exec --process "$BATS_TEST_TMPDIR/missing.json" "$ID"
	assert_failure
	assert_one_error_line
	assert_container_untouched

	run --separate-stderr husk exec --detach --tty --console-socket "$BATS_TEST_TMPDIR/no.sock" "$ID" true
	assert_failure
	assert_one_error_line
	assert_container_untouched

	: >"$BATS_TEST_TMPDIR/plain-file"
	run --separate-stderr husk exec --detach --tty --console-socket "$BATS_TEST_TMPDIR/plain-file" "$ID" true
	assert_failure
	assert_one_error_line
	assert_container_untouched

	run --separate-stderr husk exec "$ID" /no/such/program
	assert_failure
	assert_one_error_line
	assert_container_untouched

	run --separate-stderr husk exec no-such-container true
	assert_failure
	assert_one_error_line
}

@test "exec: an unknown capability is refused" {
	husk_only "runc 1.1 only warns about an unknown capability and runs the process"
	start_container
	run --separate-stderr husk exec --cap CAP_NOT_A_CAP "$ID" true
	assert_failure
	assert_one_error_line
	[[ "$stderr" == *CAP_NOT_A_CAP* ]] || fail "error does not name the capability: $stderr"
	assert_container_untouched
}

@test "exec: --apparmor on a host without AppArmor is refused" {
	husk_only "runc 1.1 ignores the profile where AppArmor is off"
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] || skip "AppArmor is enabled here"
	start_container
	run --separate-stderr husk exec --apparmor some-profile "$ID" true
	assert_failure
	assert_one_error_line
	[[ "$stderr" == *AppArmor* ]] || fail "error does not say AppArmor: $stderr"
	assert_container_untouched
}

@test "exec: a missing program fails with runc's wording" {
	start_container
	run --separate-stderr husk exec "$ID" no-such-program
	assert_failure
	[[ "$stderr" == *'executable file not found in $PATH'* ]] || fail "stderr: $stderr"
	assert_container_untouched
}

@test "exec: into a stopped container is refused" {
	set_args true
	run husk_bg run -d --bundle "$BUNDLE" "$ID"
	assert_success
	wait_status "$ID" stopped
	run --separate-stderr husk exec "$ID" true
	assert_failure
	assert_one_error_line
	assert_output_not_contains panic
	assert_eq "$(state_field "$ID" .status)" stopped "status"
}

# Freeze the container: `pause` where the runtime has it, else its cgroup v2 directly.
freeze() {
	if husk pause "$ID" 2>/dev/null; then
		return 0
	fi
	is_runc && skip "runc pause failed"
	local cg mnt
	cg=$(awk -F: '$1 == 0 {print $3}' "/proc/$PID/cgroup")
	mnt=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
	[ -n "$mnt" ] && [ -n "$cg" ] && [ "$cg" != / ] || skip "the container has no cgroup v2"
	echo 1 >"$mnt$cg/cgroup.freeze"
	THAW=$mnt$cg/cgroup.freeze
}

thaw() {
	if [ -n "${THAW:-}" ]; then
		echo 0 >"$THAW"
	else
		husk resume "$ID"
	fi
}

@test "exec: into a paused container is refused without --ignore-paused" {
	start_container
	freeze
	wait_status "$ID" paused
	run --separate-stderr husk exec "$ID" true
	assert_failure
	assert_one_error_line
	[[ "$stderr" == *paused* ]] || fail "error does not say paused: $stderr"
	assert_eq "$(state_field "$ID" .status)" paused "status"
	# --ignore-paused: the process starts frozen and runs once the container is resumed
	local rcfile=$BATS_TEST_TMPDIR/rc
	(
		rc=0
		HUSK_TEST_MARK=$MARK "$HUSK" --root "$STATE_ROOT" exec --ignore-paused "$ID" sh -c 'exit 3' </dev/null >/dev/null 2>&1 || rc=$?
		echo $rc >"$rcfile"
	) &
	sleep 0.5
	[ ! -e "$rcfile" ] || fail "exec into a frozen container finished: $(cat "$rcfile")"
	thaw
	wait_file "$rcfile" 100
	assert_eq "$(cat "$rcfile")" 3 "exit code after resume"
}

@test "exec: usage errors" {
	run --separate-stderr husk exec
	assert_failure
	assert_one_error_line
	run --separate-stderr husk exec --user nobody:x "$ID" true
	assert_failure
	assert_one_error_line
}
