#!/usr/bin/env bats
# husk image / husk bundle: import in three formats, overlay rootfs contents, isolation of two
# bundles, hostile and broken images refused with nothing left behind.  Root.

MKIMAGE="$BATS_TEST_DIRNAME/../helpers/mkimage"

setup() {
	W=$(mktemp -d /var/tmp/husk-image-test.XXXXXX)
	S=$W/store
	h() { "$HUSK" --store "$S" "$@"; }
	L=$W/layers
	mkdir -p $L/1/bin $L/1/etc $L/1/data/keep $L/1/opq $L/2/data $L/2/opq $L/2/etc
	cp /bin/busybox $L/1/bin/busybox
	ln -s busybox $L/1/bin/sh
	printf 'root:x:0:0::/root:/bin/sh\nweb:x:1000:1000::/home/web:/bin/sh\n' >$L/1/etc/passwd
	printf 'root:x:0:\nweb:x:1000:\nextra:x:2000:web\n' >$L/1/etc/group
	echo old >$L/1/data/gone
	echo keep >$L/1/data/keep/f
	ln $L/1/data/keep/f $L/1/data/hard
	echo a >$L/1/opq/a
	chown 123:456 $L/1/data/keep/f
	touch $L/2/data/.wh.gone $L/2/opq/.wh..wh..opq
	echo b >$L/2/opq/b
	echo new >$L/2/etc/motd
	cp /bin/busybox $L/2/suid && chmod 4755 $L/2/suid
	truncate -s 2G $L/2/sparse && echo tail >>$L/2/sparse
}

teardown() {
	for b in "$W"/b*; do [[ -d $b ]] && h bundle delete "$b" || true; done
	rm -rf "$W"
}

check_rootfs() {
	local r=$1
	[ -x "$r/bin/busybox" ]
	[ ! -e "$r/data/gone" ]                       # whiteout of a lower file
	[ "$(ls "$r/opq")" = b ]                      # opaque directory
	[ "$(stat -c %i "$r/data/hard")" = "$(stat -c %i "$r/data/keep/f")" ]
	[ "$(stat -c %u:%g "$r/data/keep/f")" = 123:456 ]
	[ "$(stat -c %a "$r/suid")" = 4755 ]
	[ "$(readlink "$r/bin/sh")" = busybox ]
	[ "$(stat -c %s "$r/sparse")" = 2147483653 ]
	[ "$(du -k "$r/sparse" | cut -f1)" -lt 1024 ]  # still sparse
	[ "$(tail -c5 "$r/sparse")" = tail ]
}

@test "import oci, oci-archive (zstd) and docker-archive; rootfs matches the layers" {
	"$MKIMAGE" --tag v1 --cmd '["/bin/sh","-c","echo hi"]' "$W/oci" $L/1 $L/2
	"$MKIMAGE" --format oci-archive --compress zstd --tag v2 "$W/oa.tar" $L/1 $L/2
	"$MKIMAGE" --format docker-archive --name dock --tag v3 "$W/da.tar" $L/1 $L/2
	run h image import "oci:$W/oci:v1" one
	[ "$status" -eq 0 ] && [[ $output == sha256:* ]]
	h image import "oci-archive:$W/oa.tar:v2" two
	h image import "docker-archive:$W/da.tar"
	run h image list -q
	[ "$output" = "$(printf 'dock:v3\none:latest\ntwo:latest')" ]
	# gzip, zstd and plain blobs of one tar share the store's layer (layer 2's tar differs per
	# mkimage run: GNU tar names sparse members GNUSparseFile.PID)
	[ "$(ls "$S/layers" | wc -l)" -eq 4 ]
	for img in one two dock:v3; do
		h bundle create --image $img "$W/b-$img"
		check_rootfs "$W/b-$img/rootfs"
	done
	h image inspect one | grep -q '"refs": 6'   # 3 images + 3 bundles on the base layer
}

@test "bundle config: args, env, cwd, user through the image's passwd and group, annotations" {
	"$MKIMAGE" --cmd '["/bin/sh"]' --entrypoint '["/bin/busybox"]' --env FOO=bar --user web \
		--workdir /data --label a=b --port 80/tcp "$W/oci" $L/1 $L/2
	h image import "oci:$W/oci" img
	h bundle create --image img "$W/b1" -- echo hello
	c=$W/b1/config.json
	grep -q '"/bin/busybox"' $c && grep -q '"hello"' $c && ! grep -q '"/bin/sh"' $c
	grep -q '"FOO=bar"' $c && grep -q '"cwd": "/data"' $c
	grep -q '"uid": 1000' $c && grep -q '"gid": 1000' $c && grep -A2 additionalGids $c | grep -q 2000
	grep -q '"a": "b"' $c && grep -q '"org.opencontainers.image.exposedPorts": "80/tcp"' $c
}

@test "two bundles share every lower layer and see each other's writes nowhere" {
	"$MKIMAGE" "$W/oci" $L/1 $L/2
	h image import "oci:$W/oci" img
	h bundle create --image img "$W/b1"
	h bundle create --image img "$W/b2"
	echo mine >"$W/b1/rootfs/data/new"
	rm "$W/b1/rootfs/etc/motd"
	[ ! -e "$W/b2/rootfs/data/new" ] && [ -e "$W/b2/rootfs/etc/motd" ]
	[ "$(findmnt -no OPTIONS "$W/b1/rootfs" | grep -o 'lowerdir[^,]*' | sort)" = \
	  "$(findmnt -no OPTIONS "$W/b2/rootfs" | grep -o 'lowerdir[^,]*' | sort)" ]
	h bundle delete "$W/b1"
	run findmnt "$W/b1/rootfs"
	[ "$status" -ne 0 ]   # bundle delete unmounted the rootfs
	[ ! -e "$W/b1" ]
}

@test "rm and prune keep layers in use by another image or a bundle" {
	"$MKIMAGE" "$W/a" $L/1
	"$MKIMAGE" "$W/b" $L/1 $L/2
	h image import "oci:$W/a" a
	h image import "oci:$W/b" b
	h bundle create --image b "$W/b1"
	h image rm a
	[ "$(ls "$S/layers" | wc -l)" -eq 2 ]
	h image rm b
	h image prune
	[ "$(ls "$S/layers" | wc -l)" -eq 2 ]   # the bundle still holds them
	h bundle delete "$W/b1"
	h image prune
	[ "$(ls "$S/layers" | wc -l)" -eq 0 ]
}

@test "broken images: one clear error each, nothing left in the store" {
	"$MKIMAGE" --corrupt-layer 2 "$W/c" $L/1 $L/2
	run h image import "oci:$W/c" c
	[ "$status" -ne 0 ] && [[ $output == *"mismatch"* ]]
	"$MKIMAGE" --platform linux/arm64 "$W/arm" $L/1
	run h image import "oci:$W/arm" arm
	[ "$status" -ne 0 ] && [[ $output == *"no manifest for linux/amd64"* ]]
	h image import --platform linux/arm64 "oci:$W/arm" arm
	"$MKIMAGE" --layer-media-type application/x-foo "$W/mt" $L/1
	run h image import "oci:$W/mt" mt
	[ "$status" -ne 0 ] && [[ $output == *"unknown media type"* ]]
	rm "$W/mt/blobs/sha256/$(ls "$W/mt/blobs/sha256" | head -1)"
	run h image import "oci:$W/mt" mt
	[ "$status" -ne 0 ]
	run h image import "oci-archive:/etc/passwd"
	[ "$status" -ne 0 ] && [[ $output == *"not a tar archive"* ]]
	[ -z "$(ls "$S/tmp")" ]
	# the one image imported: its record and its layer index
	[ "$(ls "$S/images" | tr '\n' ' ')" = "arm:latest.json arm:latest.layers " ]
}

@test "hostile layers are refused naming the member; nothing written outside" {
	mkdir -p "$W/h/x" "$W/outside"
	echo x >"$W/h/x/f"
	# "../outside/pwned" made by GNU tar's name transform with -P
	tar -C "$W/h" -P --transform 's,^x/f,../outside/pwned,' -cf "$W/dotdot.tar" x/f
	"$MKIMAGE" "$W/hostile" "$W/dotdot.tar"
	run h image import "oci:$W/hostile" hostile
	[ "$status" -ne 0 ] && [[ $output == *"../outside/pwned"* ]]
	# a symlink to outside, then a member through it
	ln -s "$W/outside" "$W/h/link"
	tar -C "$W/h" -cf "$W/through.tar" link
	tar -C "$W/h" -rf "$W/through.tar" --transform 's,^x/f,link/pwned,' x/f
	"$MKIMAGE" "$W/hostile2" "$W/through.tar"
	run h image import "oci:$W/hostile2" hostile2
	[ "$status" -ne 0 ] && [[ $output == *"link/pwned"* ]]
	[ ! -e "$W/outside/pwned" ]
	[ -z "$(ls "$S/layers")" ] && [ -z "$(ls "$S/tmp")" ]
}

@test "concurrent imports of one image end with one copy" {
	"$MKIMAGE" "$W/oci" $L/1 $L/2
	h image import "oci:$W/oci" img &
	h image import "oci:$W/oci" img &
	wait %1 && wait %2
	[ "$(ls "$S/layers" | wc -l)" -eq 2 ] && [ -z "$(ls "$S/tmp")" ]
	h bundle create --image img "$W/b1"
	check_rootfs "$W/b1/rootfs"
}

@test "layers unpack in parallel; one failing layer among several: its error, nothing partial left" {
	# big enough that the layers are unpacked at the same time on several cores
	mkdir -p "$W/big1" "$W/big2" "$W/h/x"
	for i in $(seq 300); do echo "$i" >"$W/big1/f$i"; echo "$i" >"$W/big2/g$i"; done
	head -c 8M /dev/urandom >"$W/big1/blob"
	echo x >"$W/h/x/f"
	tar -C "$W/h" -cf "$W/bad.tar" x
	for i in $(seq 200); do tar -C "$W/h" -rf "$W/bad.tar" --transform "s,^x/f,x/f$i," x/f; done
	tar -C "$W/h" -P -rf "$W/bad.tar" --transform 's,^x/f,../outside/pwned,' x/f
	"$MKIMAGE" "$W/par" $L/1 "$W/big1" "$W/bad.tar" "$W/big2" $L/2
	m=$(sed 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/' "$W/par/index.json")
	bad=$(grep -o '"digest":"sha256:[0-9a-f]*"' "$W/par/blobs/sha256/$m" | sed -n 4p | cut -d'"' -f4)
	run h image import "oci:$W/par" par
	[ "$status" -ne 0 ]
	# one error, naming the failing layer and its member, not a cancelled sibling
	[[ $output == *"layer $bad"*"../outside/pwned"* ]]
	[[ $output != *"abandoned"* ]]
	[ -z "$(ls "$S/tmp")" ]
	[ ! -e "$S/layers/$(sha256sum "$W/bad.tar" | cut -d' ' -f1)" ]
	[ -z "$(ls "$S/images")" ]
	# every layer that is in the store is complete: the same image without the bad layer
	# imports, finds them, and gives the right tree
	"$MKIMAGE" "$W/good" $L/1 "$W/big1" "$W/big2" $L/2
	h image import "oci:$W/good" good
	[ "$(ls "$S/layers" | wc -l)" -eq 4 ] && [ -z "$(ls "$S/tmp")" ]
	h bundle create --image good "$W/b1"
	check_rootfs "$W/b1/rootfs"
	cmp "$W/big1/blob" "$W/b1/rootfs/blob"
	[ "$(cat "$W/b1/rootfs/g300")" = 300 ]
}
