#!/usr/bin/env bats
# Containers from images: `husk run|create --image` on images imported in the three formats;
# the rootfs is checked from inside the container against what the layers mean; two
# containers share every lower layer and nothing else; delete leaves no mount and no upper
# dir; a device node shipped in an image is denied by the device policy; 150-layer images;
# the fallbacks for kernels without the new mount API and openat2, forced with a seccomp shim
# that makes those calls fail with ENOSYS (as crun tests its fallbacks).  Root.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

MKIMAGE="$BATS_TEST_DIRNAME/../helpers/mkimage"

# img-probe: what busybox cannot show from inside a container.  Static: it runs in the image.
#   img-probe xattrs PATH              every xattr of PATH (not followed) as NAME=HEX, sorted
#   img-probe setxattr PATH NAME HEX   set one (the host has no setfattr)
write_probe() {
	cat >"$1" <<'EOF'
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(int argc, char **argv)
{
	char names[4096], val[4096], *v[256];
	int n = 0;

	if (argc == 5 && strcmp(argv[1], "setxattr") == 0) {
		size_t len = strlen(argv[4]) / 2;
		for (size_t i = 0; i < len; i++)
			sscanf(argv[4] + 2 * i, "%2hhx", (unsigned char *)&val[i]);
		if (lsetxattr(argv[2], argv[3], val, len, 0) < 0) { perror("lsetxattr"); return 1; }
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "xattrs") != 0) { fputs("usage\n", stderr); return 2; }
	ssize_t len = llistxattr(argv[2], names, sizeof(names));
	if (len < 0) { perror("llistxattr"); return 1; }
	for (char *p = names; p < names + len && n < 256; p += strlen(p) + 1)
		v[n++] = p;
	qsort(v, n, sizeof(char *), cmp);
	for (int i = 0; i < n; i++) {
		ssize_t l = lgetxattr(argv[2], v[i], val, sizeof(val));
		if (l < 0) { perror(v[i]); return 1; }
		printf("%s=", v[i]);
		for (ssize_t k = 0; k < l; k++)
			printf("%02x", (unsigned char)val[k]);
		putchar('\n');
	}
	return 0;
}
EOF
}

# security.capability v2 of cap_net_raw+ep: magic|effective, permitted bit 13, the rest zero
CAPHEX=0100000200200000000000000000000000000000

setup_file() {
	T=$BATS_FILE_TMPDIR
	write_probe "$T/probe.c"
	cc -static -O2 -o "$T/img-probe" "$T/probe.c"
	build_tools
	L=$T/layers
	mkdir -p $L/1/bin $L/1/etc $L/1/data/keep $L/1/opq $L/1/dirgone/sub $L/1/dev
	cp /bin/busybox "$T/img-probe" $L/1/bin/
	for a in $(busybox --list); do [ "$a" = busybox ] || ln -s busybox "$L/1/bin/$a"; done
	printf 'root:x:0:0::/root:/bin/sh\n' >$L/1/etc/passwd
	printf 'root:x:0:\nstaff:x:50:\n' >$L/1/etc/group
	echo old >$L/1/etc/motd
	echo old >$L/1/data/gone
	echo keep >$L/1/data/keep/f
	ln $L/1/data/keep/f $L/1/data/hard
	chown 123:456 $L/1/data/keep/f
	echo a >$L/1/opq/a
	echo x >$L/1/dirgone/sub/x
	echo file >$L/1/file-then-dir
	echo x >$L/1/data/x
	"$T/img-probe" setxattr $L/1/data/x user.test 68656c6c6f
	"$T/img-probe" setxattr $L/1/data/x security.capability $CAPHEX

	mkdir -p $L/2/etc $L/2/data $L/2/opq $L/2/file-then-dir $L/2/dev
	echo new >$L/2/etc/motd
	touch $L/2/data/.wh.gone $L/2/.wh.dirgone $L/2/opq/.wh..wh..opq $L/2/.wh.file-then-dir
	echo b >$L/2/opq/b
	echo inner >$L/2/file-then-dir/inner
	cp /bin/busybox $L/2/suid && chmod 4755 $L/2/suid
	cp /bin/busybox $L/2/sgid && chgrp 50 $L/2/sgid && chmod 2755 $L/2/sgid
	truncate -s 2G $L/2/sparse && echo tail >>$L/2/sparse
	# a /dev/mem-like node; /dev/mem itself too (the container's /dev tmpfs hides it)
	mknod $L/2/data/mem c 1 1
	mknod $L/2/dev/mem c 1 1
	mknod $L/2/data/zero c 1 5

	mkdir -p $L/3/etc $L/3/data
	echo third >$L/3/etc/motd
	ln -s ../data/keep/f $L/3/data/rel-link
	ln -s /etc/motd $L/3/data/abs-link

	"$MKIMAGE" --tag v1 "$T/oci" $L/1 $L/2 $L/3
	"$MKIMAGE" --format oci-archive --compress zstd --tag v2 "$T/oa.tar" $L/1 $L/2 $L/3
	"$MKIMAGE" --format docker-archive --compress none --name dock --tag v3 "$T/da.tar" \
		$L/1 $L/2 $L/3
	export T
}

setup() {
	setup_common
	S=$BATS_TEST_TMPDIR/store
}

teardown() {
	teardown_common
	# no overlay of this test's store may outlive its containers
	if [ -n "${S:-}" ] && grep -F "$S/" /proc/self/mountinfo; then
		echo "teardown: overlay left mounted" >&2
		return 1
	fi
}

h() { husk --store "$S" "$@"; }

# image_bg ID ARGS...: `husk ARGS` (run -d, create) leaving container ID running, the
# container's stdio in files so that it does not hold bats' pipes
image_bg() {
	local id=$1
	shift
	husk --store "$S" "$@" </dev/null >"$BATS_TEST_TMPDIR/io-$id.out" 2>"$BATS_TEST_TMPDIR/io-$id.err" ||
		{ cat "$BATS_TEST_TMPDIR/io-$id.err" >&2; return 1; }
}

# What the three layers mean, as the container sees it.  One line per fact.
INSIDE='
cat /etc/motd
for p in /data/gone /dirgone /dirgone/sub/x; do [ -e $p ] && echo "$p present" || echo "$p gone"; done
echo opq: $(ls -A /opq)
echo file-then-dir: $(stat -c %F /file-then-dir) $(cat /file-then-dir/inner)
[ "$(stat -c %i /data/hard)" = "$(stat -c %i /data/keep/f)" ] && echo hardlink: same inode $(stat -c %h /data/hard)
echo owner: $(stat -c %u:%g /data/keep/f)
echo modes: $(stat -c %a /suid) $(stat -c %a:%g /sgid)
echo links: $(readlink /bin/sh) $(readlink /data/rel-link) $(cat /data/rel-link) $(readlink /data/abs-link) $(cat /data/abs-link)
echo sparse: $(stat -c %s /sparse) $(( $(stat -c %b /sparse) < 2048 )) $(tail -c5 /sparse)
/bin/img-probe xattrs /data/x
echo mem: $(stat -c "%F %t:%T" /data/mem)
'

expected_inside() {
	cat <<-EOF
		third
		/data/gone gone
		/dirgone gone
		/dirgone/sub/x gone
		opq: b
		file-then-dir: directory inner
		hardlink: same inode 2
		owner: 123:456
		modes: 4755 2755:50
		links: busybox ../data/keep/f keep /etc/motd third
		sparse: 2147483653 1 tail
		security.capability=$CAPHEX
		user.test=68656c6c6f
		mem: character special file 1:1
	EOF
}

# $output (of the INSIDE script) against expected_inside, with a diff when they differ
assert_inside() {
	local want
	want=$(expected_inside)
	if [ "$output" != "$want" ]; then
		diff <(echo "$want") <(echo "$output") >&2 || true
		fail "rootfs seen from inside differs (diff above: - expected, + seen)"
	fi
}

# Nothing of container $1 left: no mount of the store, no upper dir, no state dir.
assert_container_gone() {
	! grep -F "$S/" /proc/self/mountinfo || fail "a mount of the store is left"
	[ -z "$(ls -A "$S/bundles")" ]
	[ ! -e "$STATE_ROOT/$1" ]
}

pid_of() { husk state "$1" | jq -r .pid; }

# the lowerdirs of the root mount of process $1, one per line, top first
lowerdirs_of() {
	awk '$5 == "/" {print $NF}' "/proc/$1/mountinfo" | tr ',' '\n' |
		sed -n -e 's/^lowerdir+=//p' -e 's/^lowerdir=//p' | tr ':' '\n'
}
upperdir_of() {
	awk '$5 == "/" {print $NF}' "/proc/$1/mountinfo" | tr ',' '\n' | sed -n 's/^upperdir=//p'
}

@test "run --image: oci, oci-archive (zstd) and docker-archive; the rootfs from inside" {
	h image import "oci:$T/oci:v1" one
	h image import "oci-archive:$T/oa.tar:v2" two
	h image import "docker-archive:$T/da.tar"
	# gzip, zstd and plain blobs of one tar share the store's layers (layer 2's tar differs
	# per mkimage run: GNU tar names sparse members GNUSparseFile.PID)
	[ "$(ls "$S/layers" | wc -l)" -le 5 ]
	for img in one two dock:v3; do
		run husk --store "$S" run --image $img "$ID" -- /bin/sh -c "$INSIDE" </dev/null
		echo "$img: $output"
		[ "$status" -eq 0 ]
		assert_inside
		assert_container_gone "$ID"
	done
}

@test "create --image: the image's config is the container's; delete removes the bundle" {
	"$MKIMAGE" --cmd '["echo","from-cmd"]' --entrypoint '["/bin/busybox"]' --env FOO=bar \
		--workdir /data "$BATS_TEST_TMPDIR/img" $T/layers/1
	h image import "oci:$BATS_TEST_TMPDIR/img" img
	run h run --image img "$ID" </dev/null
	[ "$status" -eq 0 ] && [ "$output" = from-cmd ]
	run h run --image img "$ID" -- sh -c 'echo $FOO $(pwd)' </dev/null
	[ "$status" -eq 0 ] && [ "$output" = "bar /data" ]
	image_bg "$ID" create --image img "$ID" -- sleep 100
	[ "$(state_field "$ID" .bundle)" = "$STATE_ROOT/$ID/bundle" ]
	findmnt "$STATE_ROOT/$ID/bundle/rootfs"
	[ "$(ls "$S/bundles" | wc -l)" -eq 1 ]
	h delete --force "$ID"
	assert_container_gone "$ID"
}

# docker's --entrypoint: it replaces the image's Entrypoint ("" removes it) and drops the
# image's Cmd, which was written for that Entrypoint; arguments after -- still follow it.
@test "run --image --entrypoint: replaces the Entrypoint, \"\" removes it, the image's Cmd goes" {
	husk_only "images (--image, bundle create) are husk's"
	"$MKIMAGE" --entrypoint '["/bin/sh","-c"]' --cmd '["echo from-cmd"]' \
		"$BATS_TEST_TMPDIR/img" $T/layers/1
	h image import "oci:$BATS_TEST_TMPDIR/img" img
	run h run --image img "$ID" </dev/null
	[ "$status" -eq 0 ] && [ "$output" = from-cmd ]
	# docker's rule without the flag: `sh -c echo hi` runs echo with $0=hi: an empty line
	run h run --image img "$ID" -- echo hi </dev/null
	[ "$status" -eq 0 ] && [ "$output" = "" ]
	run h run --image img --entrypoint "" "$ID" -- echo hi </dev/null
	[ "$status" -eq 0 ] && [ "$output" = hi ] || fail "--entrypoint \"\": $status $output"
	run h run --image img --entrypoint /bin/echo "$ID" -- a b </dev/null
	[ "$status" -eq 0 ] && [ "$output" = "a b" ] || fail "--entrypoint echo: $status $output"
	# the image's Cmd is not appended to another entrypoint
	run h run --image img --entrypoint /bin/echo "$ID" </dev/null
	[ "$status" -eq 0 ] && [ "$output" = "" ] || fail "Cmd kept: $status $output"
	image_bg "$ID" create --image img --entrypoint /bin/sleep "$ID" -- 100
	assert_eq "$(jq -c .process.args "$STATE_ROOT/$ID/bundle/config.json")" '["/bin/sleep","100"]' "args"
	h delete --force "$ID"
	assert_container_gone "$ID"
}

@test "--entrypoint refused with no command left, and without --image; nothing left" {
	husk_only "images (--image, bundle create) are husk's"
	"$MKIMAGE" --entrypoint '["/bin/sh","-c"]' --cmd '["echo from-cmd"]' \
		"$BATS_TEST_TMPDIR/img" $T/layers/1
	h image import "oci:$BATS_TEST_TMPDIR/img" img
	run --separate-stderr h run --image img --entrypoint "" "$ID" </dev/null
	assert_failure
	assert_one_error_line
	[[ "$stderr" == *"give a command"* ]] || fail "stderr: $stderr"
	assert_container_gone "$ID"
	[ -z "$(ls "$S/bundles")" ] || fail "bundle left: $(ls "$S/bundles")"
	run --separate-stderr h run --bundle "$BUNDLE" --entrypoint /bin/echo "$ID" </dev/null
	assert_failure
	assert_one_error_line
	[[ "$stderr" == *"--entrypoint needs --image"* ]] || fail "stderr: $stderr"
	assert_container_gone "$ID"
}

@test "bundle create --entrypoint writes docker's args into config.json" {
	husk_only "images (--image, bundle create) are husk's"
	"$MKIMAGE" --entrypoint '["/bin/sh","-c"]' --cmd '["echo from-cmd"]' \
		"$BATS_TEST_TMPDIR/img" $T/layers/1
	h image import "oci:$BATS_TEST_TMPDIR/img" img
	local b=$BATS_TEST_TMPDIR/b
	h bundle create --image img --entrypoint /bin/echo "$b" -- x y
	assert_eq "$(jq -c .process.args "$b/config.json")" '["/bin/echo","x","y"]' "args"
	h bundle delete "$b"
	h bundle create --image img --entrypoint "" "$b" -- /bin/true
	assert_eq "$(jq -c .process.args "$b/config.json")" '["/bin/true"]' "args"
	h bundle delete "$b"
	h bundle create --image img "$b"
	assert_eq "$(jq -c .process.args "$b/config.json")" '["/bin/sh","-c","echo from-cmd"]' "args"
	h bundle delete "$b"
}

# layer.md: a whiteout applies to lower layers only; what its own layer holds of that name
# stays, whichever member comes first.  The upper layer is a tar with its members in the order
# given: a file and its whiteout, a directory and its whiteout, an opaque marker among files.
@test "whiteouts hide only lower layers: the same layer's file, directory and opaque dir stay" {
	husk_only "images (--image, bundle create) are husk's"
	local low=$BATS_TEST_TMPDIR/low up=$BATS_TEST_TMPDIR/up order
	mkdir -p "$low/etc/app/d" "$low/opq" "$up/etc/app/d" "$up/opq"
	echo old >"$low/etc/app/recreated.txt"
	echo old >"$low/etc/app/gone.txt"
	echo old >"$low/etc/app/d/lowerfile"
	echo old >"$low/opq/lowerfile"
	echo new >"$up/etc/app/recreated.txt"
	echo mine >"$up/etc/app/d/mine"
	echo mine >"$up/opq/mine"
	touch "$up/etc/app/.wh.recreated.txt" "$up/etc/app/.wh.gone.txt" "$up/etc/app/.wh.d" \
		"$up/opq/.wh..wh..opq"
	for order in after before; do
		local members=(./etc ./etc/app ./etc/app/.wh.gone.txt)
		if [ $order = after ]; then
			members+=(./etc/app/recreated.txt ./etc/app/.wh.recreated.txt
				./etc/app/d ./etc/app/d/mine ./etc/app/.wh.d
				./opq ./opq/mine ./opq/.wh..wh..opq)
		else
			members+=(./etc/app/.wh.recreated.txt ./etc/app/recreated.txt
				./etc/app/.wh.d ./etc/app/d ./etc/app/d/mine
				./opq ./opq/.wh..wh..opq ./opq/mine)
		fi
		tar -cf "$BATS_TEST_TMPDIR/up-$order.tar" -C "$up" --no-recursion "${members[@]}"
		"$MKIMAGE" --tag $order "$BATS_TEST_TMPDIR/img-$order" $T/layers/1 "$low" \
			"$BATS_TEST_TMPDIR/up-$order.tar"
		h image import "oci:$BATS_TEST_TMPDIR/img-$order:$order" "wh-$order"
		run h run --image "wh-$order" "$ID" -- /bin/sh -c \
			'cat /etc/app/recreated.txt; ls -a /etc/app /etc/app/d /opq' </dev/null
		[ "$status" -eq 0 ] || fail "$order: $status $output"
		assert_eq "$(echo $output)" "new /etc/app: . .. d recreated.txt /etc/app/d: . .. mine /opq: . .. mine" "$order: the container's view"
		assert_container_gone "$ID"
	done
}

# ".wh..wh..opq" at the top of a layer hides every lower layer; overlayfs ignores the opaque
# mark on a layer's root, so the layers below it must stay out of the mount.
@test "an opaque marker at a layer's root hides every lower layer" {
	husk_only "images (--image, bundle create) are husk's"
	local top=$BATS_TEST_TMPDIR/top mid=$BATS_TEST_TMPDIR/mid
	mkdir -p "$top/bin" "$mid/junk"
	cp /bin/busybox "$top/bin/"
	ln -s busybox "$top/bin/sh"
	ln -s busybox "$top/bin/ls"
	echo top >"$top/top"
	echo mid >"$mid/junk/f"
	touch "$top/.wh..wh..opq"
	"$MKIMAGE" "$BATS_TEST_TMPDIR/img" $T/layers/1 "$mid" "$top"
	h image import "oci:$BATS_TEST_TMPDIR/img" img
	run h run --image img "$ID" -- /bin/ls / </dev/null
	[ "$status" -eq 0 ] || fail "run: $status $output"
	[[ " $(echo $output) " == *" top "* ]] || fail "the top layer is missing: $output"
	[[ " $(echo $output) " != *" junk "* && " $(echo $output) " != *" data "* ]] ||
		fail "a lower layer shows through: $output"
	assert_container_gone "$ID"
}

@test "two containers from one image share every lower layer and see each other's writes nowhere" {
	h image import "oci:$T/oci:v1" img
	local a=$ID-a b=$ID-b
	# b looks from inside once a has written and told the test (file /go, made from the host)
	image_bg "$a" run -d --image img "$a" -- sh -c \
		'echo mine >/data/new; rm /etc/motd; echo changed >/data/keep/f; touch /written; sleep 100'
	image_bg "$b" run -d --image img "$b" -- sh -c \
		'while [ ! -e /go ]; do sleep 0.05; done
		 { [ -e /data/new ] && echo LEAK new; cat /etc/motd /data/keep/f; } >/seen 2>&1
		 touch /done; sleep 100'
	pa=$(pid_of "$a") pb=$(pid_of "$b")
	wait_file "/proc/$pa/root/written"
	touch "/proc/$pb/root/go"
	wait_file "/proc/$pb/root/done"
	[ "$(cat "/proc/$pb/root/seen")" = "$(printf 'third\nkeep')" ]
	# and a does not see b's files
	[ ! -e "/proc/$pa/root/go" ] && [ ! -e "/proc/$pa/root/seen" ]
	# same lowerdirs, each a layer of the store, three of them; private uppers
	lowerdirs_of "$pa" >"$BATS_TEST_TMPDIR/la"
	lowerdirs_of "$pb" >"$BATS_TEST_TMPDIR/lb"
	cat "$BATS_TEST_TMPDIR/la"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/la")" -eq 3 ]
	diff "$BATS_TEST_TMPDIR/la" "$BATS_TEST_TMPDIR/lb"
	while read -r l; do [[ $l == "$S/layers/"*/root ]]; done <"$BATS_TEST_TMPDIR/la"
	ua=$(upperdir_of "$pa") ub=$(upperdir_of "$pb")
	[ -n "$ua" ] && [ "$ua" != "$ub" ]
	# the writes went to a's upper only: no layer changed
	[ "$(cat "$ua/data/new")" = mine ] && [ ! -e "$ub/data/new" ]
	! grep -rqs changed "$S/layers"/*/root/data/keep/f || fail "a write reached a layer of the store"
	h delete --force "$a"
	[ ! -e "$ua" ]
	# b is untouched by a's delete
	[ "$(cat "/proc/$pb/root/etc/motd")" = third ]
	h delete --force "$b"
	assert_container_gone "$a"
	assert_container_gone "$b"
}

@test "image rm and prune keep the layers of a running container's bundle" {
	h image import "oci:$T/oci:v1" img
	image_bg "$ID" run -d --image img "$ID" -- sleep 100
	n=$(ls "$S/layers" | wc -l)
	run h image rm img
	# docker refuses; husk drops the name and keeps what the bundle uses
	[ "$status" -eq 0 ]
	h image prune
	[ "$(ls "$S/layers" | wc -l)" -eq "$n" ]
	[ -z "$(h image list -q)" ]
	# the container's rootfs is intact and the layers are still reachable for new readers
	[ "$(cat "/proc/$(pid_of "$ID")/root/etc/motd")" = third ]
	h delete --force "$ID"
	h image prune
	[ -z "$(ls "$S/layers")" ]
	assert_container_gone "$ID"
}

@test "a /dev/mem-like node shipped in an image cannot be opened inside the container" {
	h image import "oci:$T/oci:v1" img
	# denied by the device program: EPERM before the driver is reached (without the policy
	# the open reaches the mem driver: ENXIO without CONFIG_DEVMEM, or it succeeds)
	run h run --image img "$ID" -- sh -c 'head -c1 /data/mem; echo x >/data/mem; ls /dev; head -c1 /data/zero | od -An -tx1' </dev/null
	echo "$output"
	[ "$(grep -c "/data/mem: Operation not permitted" <<<"$output")" -eq 2 ]   # read, write
	# the image's /dev/mem is hidden under the runtime's /dev; 1:5 is a standard device
	! grep -qx mem <<<"$output" || fail "the image's /dev/mem shows in /dev"
	[[ $output == *" 00"* ]]
	# control: the same node with a policy that allows it, and CAP_SYS_RAWIO as /dev/mem wants
	h bundle create --image img "$BATS_TEST_TMPDIR/b" -- head -c1 /data/mem
	jq '.linux.resources.devices = [{"allow": true, "access": "rwm"}] |
	    .process.capabilities.bounding += ["CAP_SYS_RAWIO"] |
	    .process.capabilities.effective += ["CAP_SYS_RAWIO"] |
	    .process.capabilities.permitted += ["CAP_SYS_RAWIO"]' \
		"$BATS_TEST_TMPDIR/b/config.json" >"$BATS_TEST_TMPDIR/c.json"
	mv "$BATS_TEST_TMPDIR/c.json" "$BATS_TEST_TMPDIR/b/config.json"
	run husk run --bundle "$BATS_TEST_TMPDIR/b" "$ID" </dev/null
	echo "control: $output"
	[[ $output != *"Operation not permitted"* ]]
	h bundle delete "$BATS_TEST_TMPDIR/b"
}

@test "a bundle's rootfs is out of reach of local users: the image's setuid files and devices" {
	h image import "oci:$T/oci:v1" img
	# a world-traversable parent, as a user's DIR may be; the bundle dir itself becomes 0700
	P=$(mktemp -d /var/tmp/husk-img-bundle.XXXXXX)
	chmod 755 "$P"
	mkdir -m 755 "$P/existing"
	h bundle create --image img "$P/existing"
	h bundle create --image img "$P/new"
	local r=0
	for b in existing new; do
		[ "$(stat -c %a "$P/$b")" = 700 ] || r=1
		[ -u "$P/$b/rootfs/suid" ] || r=1
		# nobody cannot reach the setuid-root copy of busybox nor the 1:5 node
		setpriv --reuid=65534 --regid=65534 --clear-groups /bin/busybox stat "$P/$b/rootfs/suid" && r=1
		setpriv --reuid=65534 --regid=65534 --clear-groups /bin/busybox head -c1 "$P/$b/rootfs/data/zero" && r=1
	done
	h bundle delete "$P/existing"
	h bundle delete "$P/new"
	rm -rf "$P"
	[ $r -eq 0 ]
}

# make_layers N DIR: N small layers; each adds layers/I and replaces /top; every tenth deletes
# the previous layer's file (a whiteout deep in the stack)
make_layers() {
	local n=$1 d=$2 i
	for ((i = 1; i <= n; i++)); do
		mkdir -p "$d/$i/layers"
		echo "$i" >"$d/$i/layers/$i"
		echo "$i" >"$d/$i/top"
		((i % 10 == 0)) && touch "$d/$i/layers/.wh.$((i - 1))"
	done
}

@test "150 layers import and run (lowerdir+), and with the new mount API and openat2 gone" {
	local d=$BATS_TEST_TMPDIR/many
	make_layers 150 "$d"
	layers=("$T/layers/1")
	for ((i = 1; i <= 150; i++)); do layers+=("$d/$i"); done
	"$MKIMAGE" "$BATS_TEST_TMPDIR/img" "${layers[@]}"
	h image import "oci:$BATS_TEST_TMPDIR/img" many
	[ "$(ls "$S/layers" | wc -l)" -eq 151 ]
	check='echo $(cat /top) $(ls /layers | wc -l) $(grep -c " / / .*overlay" /proc/self/mountinfo)'
	run h run --image many "$ID" -- sh -c "$check" </dev/null
	[ "$status" -eq 0 ] && [ "$output" = "150 135 1" ]
	image_bg "$ID" run -d --image many "$ID" -- sleep 100
	[ "$(lowerdirs_of "$(pid_of "$ID")" | wc -l)" -eq 151 ]
	h delete --force "$ID"
	# a kernel without fsopen & co: mount(2), whose one page holds 151 short names
	run "$TOOLS_DIR/enosys" fsopen,fsconfig,fsmount,move_mount,open_tree,openat2 \
		env HUSK_TEST_MARK="$MARK" "$HUSK" --root "$STATE_ROOT" --store "$S" \
		run --image many "$ID" -- sh -c "$check" </dev/null
	[ "$status" -eq 0 ] && [ "$output" = "150 135 1" ]
	"$TOOLS_DIR/enosys" fsopen,fsconfig,fsmount,move_mount,open_tree,openat2 \
		env HUSK_TEST_MARK="$MARK" "$HUSK" --root "$STATE_ROOT" --store "$S" \
		run -d --image many "$ID" -- sleep 100 </dev/null >/dev/null 2>&1
	lowerdirs_of "$(pid_of "$ID")" >"$BATS_TEST_TMPDIR/l"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/l")" -eq 151 ]
	# short names, relative to the store's l/, each a link to a layer
	while read -r l; do [[ $l =~ ^[0-9a-f]{16}$ ]] && [ -d "$S/l/$l" ]; done <"$BATS_TEST_TMPDIR/l"
	h delete --force "$ID"
	assert_container_gone "$ID"
}

@test "without the new mount API and openat2: import (unpack walk), run, hostile member refused" {
	local X="$TOOLS_DIR/enosys fsopen,fsconfig,fsmount,move_mount,open_tree,openat2"
	$X "$HUSK" --store "$S" image import "oci:$T/oci:v1" img
	run $X env HUSK_TEST_MARK="$MARK" "$HUSK" --root "$STATE_ROOT" --store "$S" \
		run --image img "$ID" -- /bin/sh -c "$INSIDE" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	assert_inside
	assert_container_gone "$ID"
	# the component walk that replaces openat2 still refuses a member through a symlink
	local w=$BATS_TEST_TMPDIR/h
	mkdir -p "$w/x" "$w/outside"
	echo x >"$w/x/f"
	ln -s "$w/outside" "$w/link"
	tar -C "$w" -cf "$w/through.tar" link
	tar -C "$w" -rf "$w/through.tar" --transform 's,^x/f,link/pwned,' x/f
	"$MKIMAGE" "$w/img" "$w/through.tar"
	run $X "$HUSK" --store "$S" image import "oci:$w/img" hostile
	[ "$status" -ne 0 ] && [[ $output == *"link/pwned"* ]]
	[ ! -e "$w/outside/pwned" ] && [ -z "$(ls "$S/tmp")" ]
}
