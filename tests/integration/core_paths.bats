#!/usr/bin/env bats
# maskedPaths and readonlyPaths.

load ../helpers/lib

@test "maskedPaths: files read empty, directories are empty, missing paths are ignored" {
	echo secret >"$BUNDLE/rootfs/etc/secret"
	mkdir -p "$BUNDLE/rootfs/secretdir"
	echo hidden >"$BUNDLE/rootfs/secretdir/f"
	update_config '.linux.maskedPaths += ["/etc/secret", "/secretdir", "/does/not/exist"]'
	set_cmd 'echo "keys=$(wc -c < /proc/keys)"; echo "secret=$(cat /etc/secret)"; echo "dir=$(ls /secretdir)"; echo "fw=$(ls /sys/firmware | wc -l)"; ( echo hacked > /secretdir/g ) 2>/dev/null && echo dir-writable; true'
	run husk_run
	assert_success
	assert_output_contains "keys=0"
	assert_output_contains "secret="
	assert_output_not_contains "secret=secret"
	assert_output_contains "dir="
	assert_output_not_contains "dir=f"
	assert_output_contains "fw=0"
	assert_output_not_contains dir-writable
	assert_eq "$(cat "$BUNDLE/rootfs/etc/secret")" secret "the masked file on disk"
}

@test "readonlyPaths: read-only mounts, the rest stays writable" {
	mkdir -p "$BUNDLE/rootfs/rodir"
	update_config '.linux.readonlyPaths += ["/rodir"]'
	set_cmd '( echo 1 > /proc/sys/kernel/ns_last_pid ) 2>/dev/null && echo procsys-writable
		( touch /rodir/x ) 2>/dev/null && echo rodir-writable
		touch /tmp/y && echo tmp-writable
		awk "\$5 == \"/rodir\" || \$5 == \"/proc/sys\" {print \$5, \$6}" /proc/self/mountinfo'
	run husk_run
	assert_success
	assert_output_not_contains procsys-writable
	assert_output_not_contains rodir-writable
	assert_output_contains tmp-writable
	[[ "$output" =~ /rodir\ ro ]] || fail "/rodir not ro: $output"
	[[ "$output" =~ /proc/sys\ ro ]] || fail "/proc/sys not ro: $output"
}
