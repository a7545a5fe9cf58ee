#!/usr/bin/env bats
# `spec` and `features`.

load ../helpers/lib

@test "spec: writes a sane default config.json into --bundle" {
	local dir=$BATS_TEST_TMPDIR/specdir
	mkdir -p "$dir"
	run husk spec --bundle "$dir"
	assert_success
	local c=$dir/config.json
	jq -e . "$c" >/dev/null || fail "not JSON"
	[[ "$(jq -r .ociVersion "$c")" =~ ^1\. ]] || fail "ociVersion"
	assert_eq "$(jq -r .root.path "$c")" rootfs "root.path"
	assert_eq "$(jq -r '.process.args | length > 0' "$c")" true "process.args"
	local t
	for t in pid network ipc uts mount; do
		jq -e --arg t "$t" '.linux.namespaces | map(.type) | index($t) != null' "$c" >/dev/null ||
			fail "namespace $t missing"
	done
	jq -e '.mounts | map(.destination) | index("/proc") != null' "$c" >/dev/null || fail "no /proc mount"
	jq -e '.linux.maskedPaths | length > 0' "$c" >/dev/null || fail "no maskedPaths"
}

@test "spec: refuses to overwrite an existing config.json" {
	local dir=$BATS_TEST_TMPDIR/specdir
	mkdir -p "$dir"
	echo '{"keep": 1}' >"$dir/config.json"
	run --separate-stderr husk spec --bundle "$dir"
	assert_failure
	assert_eq "$(jq -c . "$dir/config.json")" '{"keep":1}' "config.json untouched"
}

@test "spec --rootless: user namespace with mappings, no network namespace" {
	local dir=$BATS_TEST_TMPDIR/specdir
	mkdir -p "$dir"
	run husk spec --rootless --bundle "$dir"
	assert_success
	local c=$dir/config.json
	jq -e '.linux.namespaces | map(.type) | index("user") != null' "$c" >/dev/null || fail "no user ns"
	jq -e '.linux.namespaces | map(.type) | index("network") == null' "$c" >/dev/null || fail "network ns in rootless"
	jq -e '.linux.uidMappings | length > 0' "$c" >/dev/null || fail "no uidMappings"
	jq -e '.linux.gidMappings | length > 0' "$c" >/dev/null || fail "no gidMappings"
}

@test "spec: the default config runs (terminal off)" {
	local dir=$BATS_TEST_TMPDIR/specbundle
	mkdir -p "$dir"
	run husk spec --bundle "$dir"
	assert_success
	cp -a "$BUNDLE/rootfs" "$dir/rootfs"
	jq '.process.terminal = false | .process.args = ["sh", "-c", "echo spec-ok"] | .process.env += ["HUSK_TEST_MARK='"$MARK"'"]' \
		"$dir/config.json" >"$dir/c.new" && mv "$dir/c.new" "$dir/config.json"
	# the default includes a cgroup v1/v2 mount that depends on the host; keep the test about spec.
	jq 'del(.mounts[] | select(.type == "cgroup" or .type == "cgroup2"))' "$dir/config.json" >"$dir/c.new" &&
		mv "$dir/c.new" "$dir/config.json"
	run husk run --bundle "$dir" "$ID" </dev/null
	assert_success
	assert_eq "$output" spec-ok "output"
}

@test "features: valid runtime-spec features.json" {
	run --separate-stderr husk features
	assert_success
	local f=$output
	jq -e . <<<"$f" >/dev/null || fail "not JSON: $f"
	[[ "$(jq -r .ociVersionMin <<<"$f")" =~ ^1\.[0-9]+\.[0-9]+ ]] || fail "ociVersionMin"
	[[ "$(jq -r .ociVersionMax <<<"$f")" =~ ^1\.[0-9]+\.[0-9]+ ]] || fail "ociVersionMax"
	local h
	for h in prestart createRuntime createContainer startContainer poststart poststop; do
		jq -e --arg h "$h" '.hooks | index($h) != null' <<<"$f" >/dev/null || fail "hook $h missing"
	done
	for h in pid network ipc uts mount user cgroup; do
		jq -e --arg h "$h" '.linux.namespaces | index($h) != null' <<<"$f" >/dev/null || fail "namespace $h missing"
	done
	for h in ro nosuid nodev noexec rbind bind relatime strictatime; do
		jq -e --arg h "$h" '.mountOptions | index($h) != null' <<<"$f" >/dev/null || fail "mount option $h missing"
	done
	jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") != null' <<<"$f" >/dev/null || fail "capabilities"
}

# features-linux.md: each "enabled" says whether the support is built in (not whether the host
# has it); containerd asks for idmapped mounts only when mountExtensions.idmap says so.
@test "features: announces what husk implements: idmap mounts, AppArmor, SELinux, rdma" {
	husk_only "runc 1.1.5's features predate mountExtensions and cgroup.rdma"
	run --separate-stderr husk features
	assert_success
	local q
	for q in .linux.mountExtensions.idmap.enabled .linux.apparmor.enabled \
		.linux.selinux.enabled .linux.cgroup.rdma; do
		assert_eq "$(jq -r "$q" <<<"$output")" true "$q"
	done
	local o
	for o in idmap ridmap tmpcopyup notmpcopyup; do
		jq -e --arg o "$o" '.mountOptions | index($o) != null' <<<"$output" >/dev/null ||
			fail "mount option $o missing"
	done
	assert_eq "$(jq -r .linux.intelRdt.enabled <<<"$output")" false "intelRdt"
}
