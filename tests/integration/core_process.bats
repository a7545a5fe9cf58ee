#!/usr/bin/env bats
# process: user, umask, additionalGids, cwd, env, capabilities, noNewPrivileges, rlimits,
# oomScoreAdj, personality, ioPriority, scheduler, execCPUAffinity.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

status_field() { awk -v k="$1:" '$1 == k { print $2 }'; }

capsh_has_sys_resource() { # CAP_SYS_RESOURCE (24) in this shell's bounding set
	local bnd
	bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
	(((0x$bnd >> 24) & 1))
}

@test "process: uid, gid, additionalGids, umask" {
	update_config '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [10, 20], "umask": 23}'
	set_cmd 'id -u; id -g; id -G; umask; grep ^Groups: /proc/self/status'
	run husk_run
	assert_success
	assert_eq "${lines[0]}" 1000 "uid"
	assert_eq "${lines[1]}" 1001 "gid"
	[[ " ${lines[2]} " == *" 10 "* && " ${lines[2]} " == *" 20 "* ]] || fail "groups: ${lines[2]}"
	assert_eq "${lines[3]}" 0027 "umask (23 decimal = 027)"
	[[ "${lines[4]}" =~ Groups:[[:space:]]+10[[:space:]]+20 ]] || fail "Groups: ${lines[4]}"
}

@test "process: cwd is entered (and created when missing), env is exactly passed" {
	update_config '.process.cwd = "/work/dir" | .process.env += ["FOO=bar baz", "EMPTY="]'
	set_cmd 'pwd; echo "FOO=$FOO"; env | grep -c "^EMPTY=$"; echo "PATH=$PATH"'
	run husk_run
	assert_success
	assert_eq "${lines[0]}" /work/dir "cwd"
	assert_eq "${lines[1]}" "FOO=bar baz" "env with a space"
	assert_eq "${lines[2]}" 1 "empty variable"
	assert_eq "${lines[3]}" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "PATH"
}

@test "process: args[0] is looked up in the container's PATH" {
	set_args echo via-path
	run husk_run
	assert_success
	assert_eq "$output" via-path "output"
}

@test "capabilities: the five sets show in /proc/self/status" {
	# CAP_CHOWN(0) CAP_KILL(5) CAP_NET_BIND_SERVICE(10): 0x421; CAP_KILL alone: 0x20
	update_config '.process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_CHOWN", "CAP_KILL"],
		"inheritable": ["CAP_KILL"],
		"ambient": ["CAP_KILL"]}'
	set_cmd 'cat /proc/self/status'
	run husk_run
	assert_success
	assert_eq "$(status_field CapBnd <<<"$output")" 0000000000000421 "CapBnd"
	assert_eq "$(status_field CapPrm <<<"$output")" 0000000000000421 "CapPrm"
	# uid 0: execve makes the effective set the permitted one (capabilities(7))
	assert_eq "$(status_field CapEff <<<"$output")" 0000000000000421 "CapEff"
	assert_eq "$(status_field CapInh <<<"$output")" 0000000000000020 "CapInh"
	assert_eq "$(status_field CapAmb <<<"$output")" 0000000000000020 "CapAmb"
}

@test "capabilities: none given means none held, and a denied operation fails" {
	update_config '.process.capabilities = {"bounding": [], "permitted": [], "effective": [], "inheritable": [], "ambient": []}'
	set_cmd 'grep ^Cap /proc/self/status; chown 1 /tmp 2>/dev/null && echo chown-ok; true'
	run husk_run
	assert_success
	local s
	for s in CapInh CapPrm CapEff CapBnd CapAmb; do
		assert_eq "$(status_field $s <<<"$output")" 0000000000000000 "$s"
	done
	assert_output_not_contains chown-ok
}

@test "capabilities: a non-root user keeps the ambient set" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {"bounding": ["CAP_NET_BIND_SERVICE"], "permitted": ["CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_NET_BIND_SERVICE"], "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}'
	set_cmd 'cat /proc/self/status'
	run husk_run
	assert_success
	assert_eq "$(status_field CapEff <<<"$output")" 0000000000000400 "CapEff"
	assert_eq "$(status_field CapAmb <<<"$output")" 0000000000000400 "CapAmb"
}

@test "noNewPrivileges: true and false show in NoNewPrivs" {
	set_cmd 'grep ^NoNewPrivs: /proc/self/status'
	update_config '.process.noNewPrivileges = true'
	run husk_run
	assert_success
	assert_eq "$(status_field NoNewPrivs <<<"$output")" 1 "NoNewPrivs with true"
	update_config '.process.noNewPrivileges = false'
	run husk_run
	assert_success
	assert_eq "$(status_field NoNewPrivs <<<"$output")" 0 "NoNewPrivs with false"
}

@test "rlimits: soft and hard limits are applied" {
	update_config '.process.rlimits = [
		{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
		{"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
		{"type": "RLIMIT_NPROC", "soft": 500, "hard": 600}]'
	set_cmd 'ulimit -n; ulimit -Hn; ulimit -c; ulimit -u; ulimit -Hu'
	run husk_run
	assert_success
	assert_eq "$(tr '\n' ' ' <<<"$output")" "100 200 0 500 600 " "limits"
}

@test "rlimits: raising a hard limit beyond the host's fails clearly without CAP_SYS_RESOURCE" {
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "the host's RLIMIT_NOFILE hard limit is unlimited"
	update_config --argjson h $((hard + 1)) '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": $h}]'
	set_cmd 'ulimit -Hn'
	run --separate-stderr husk_run
	if capsh_has_sys_resource; then
		assert_success
	else
		assert_failure
		assert_one_error_line
		[[ "$stderr" == *RLIMIT_NOFILE* || "$stderr" == *rlimit* ]] || fail "error does not name the rlimit: $stderr"
		assert_nothing_left
	fi
}

@test "oomScoreAdj is applied" {
	update_config '.process.oomScoreAdj = 432'
	set_cmd 'cat /proc/self/oom_score_adj'
	run husk_run
	assert_success
	assert_eq "$output" 432 "oom_score_adj"
}

@test "personality LINUX32 changes uname -m" {
	not_in_runc "linux.personality (runc 1.2)"
	update_config '.linux.personality = {"domain": "LINUX32"}'
	set_cmd 'uname -m; cat /proc/self/personality'
	run husk_run
	assert_success
	assert_eq "${lines[0]}" i686 "uname -m"
	assert_eq "${lines[1]}" 00000008 "personality (PER_LINUX32, as setarch i686 shows)"
}

@test "ioPriority, scheduler and execCPUAffinity are applied" {
	not_in_runc "process.ioPriority, process.scheduler, process.execCPUAffinity (runc 1.2)"
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}
		| .process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}
		| .process.execCPUAffinity = {"initial": "0", "final": "0"}'
	set_cmd 'ionice -p $$; grep -E "^policy" /proc/self/sched; cut -d" " -f19 /proc/self/stat; grep ^Cpus_allowed_list: /proc/self/status'
	run husk_run
	assert_success
	assert_output_contains "best-effort: prio 6"
	[[ "$output" =~ policy[[:space:]]+:[[:space:]]+3 ]] || fail "SCHED_BATCH (3) not set: $output"
	assert_eq "${lines[-2]}" 7 "nice"
	[[ "${lines[-1]}" =~ Cpus_allowed_list:[[:space:]]+0$ ]] || fail "affinity: ${lines[-1]}"
}

@test "signals: the program starts with default dispositions and nothing blocked, whatever the caller had" {
	# nohup and some supervisors start the runtime with SIGHUP ignored; ignored signals survive
	# execve, and a shell cannot even trap a signal ignored at entry.  runc resets them all.
	set_args grep -E "^Sig(Ign|Blk):" /proc/self/status # no shell: ash itself ignores SIGQUIT
	run bash -c 'trap "" HUP PIPE USR1; "$@"' _ "$HUSK" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output_contains "SigIgn:	0000000000000000"
	assert_output_contains "SigBlk:	0000000000000000"
}
