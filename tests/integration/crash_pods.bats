#!/usr/bin/env bats
# Crash safety of the pod, network, image and bundle commands (issue 14): husk is killed at
# named crash points (HUSK_CRASH_AT), at chosen system calls (strace) and after random delays,
# the test cleans up as a client would (pod delete --force, network delete, image prune,
# bundle delete), and then nothing may be left: no veth, bridge, address, route, lease, nft
# rule, mount of a pod's namespace files, process, store entry (tmp/ included) or state.
# Refused commands are checked the same way.  Container commands are crash.bats'.
#
# "Nothing left" is a snapshot of everything husk can make, compared with the one taken before
# the trials.  A network's bridge stays from its first complete pod until network delete (as
# after any pod delete): the baselines are taken after one pod has come and gone.
#
# Volume: the trials run $HUSK_RELEASE (the static release husk; tests/helpers/run-tests sets
# it, else the build's rel/husk next to $HUSK): under ASan a pod create or delete took 2.5 times
# as long here (48 against 19 ms), and the ~170 trials, with a cleanup and a snapshot each,
# would not fit in about a minute on two shared cores.  The concurrency test and the refusals
# run $HUSK.
#
# Network safety: husk runs in a network namespace of the test ($TNS, "the host"), which
# takes every link and rule with it at teardown.  Root.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

setup() {
	not_in_runc "pods, networks, images and bundles are husk's own commands"
	command -v strace >/dev/null || skip "requires strace (to kill husk at a chosen system call)"
	setup_common
	FAST=${HUSK_RELEASE:-$(dirname "$(dirname "$HUSK")")/rel/husk}
	[ -x "$FAST" ] || FAST=$HUSK
	TNS=$BATS_TEST_TMPDIR/netns-host
	touch "$TNS"
	unshare --net="$TNS" ip link set lo up
	# the fast husk in the test's namespace, as a command line that env, strace and
	# timeout can run (env execs nsenter, which execs husk: one pid)
	FASTCMD=(env HUSK_TEST_MARK="$MARK" nsenter --net="$TNS" "$FAST" --root "$STATE_ROOT")
	S=$BATS_TEST_TMPDIR/store
	TRIALS=0 KILLED=0 RANDOM_KILLS=0
	UNREACHED=
}

teardown() {
	local p
	for p in "$STATE_ROOT"/pods/*; do
		[ -d "$p" ] || continue
		p=${p##*/}
		husk pod delete --force "$p" >/dev/null 2>&1 || true
	done
	for b in "$BATS_TEST_TMPDIR"/bundle-*; do
		[ -d "$b" ] && "$HUSK" --store "$S" bundle delete "$b" >/dev/null 2>&1 || true
	done
	umount "$TNS" 2>/dev/null || true
	TNS_GONE=1
	rm -rf "$STATE_ROOT/pods" "$STATE_ROOT/networks" "$STATE_ROOT/pods.lock" 2>/dev/null || true
	teardown_common
}

husk() {
	if [ -n "${TNS_GONE:-}" ]; then
		HUSK_TEST_MARK=$MARK "$HUSK" --root "$STATE_ROOT" "$@"
	else
		HUSK_TEST_MARK=$MARK nsenter --net="$TNS" "$HUSK" --root "$STATE_ROOT" "$@"
	fi
}
fast() { "${FASTCMD[@]}" "$@"; }
in_host() { nsenter --net="$TNS" "$@"; }
store() { HUSK_TEST_MARK=$MARK "$FAST" --store "$S" "$@"; }

# Everything of the test's host namespace and state root that a pod or network command can
# make (a network's directory holds its record, leases/ and ipam.lock from network create on).
# IPv6 link-local addresses and routes, and "linkdown", follow the bridge's carrier,
# not husk: left out.
net_snapshot() {
	in_host sh -c '
		ip -o link show | awk "{sub(/@.*/, \"\", \$2); print \"link\", \$2}"
		ip -o addr show | awk "{print \"addr\", \$2, \$4}" | grep -v " fe80:"
		ip route show | sed -e "s/ linkdown//" -e "s/^/route /"
		ip -6 route show | grep -v "^fe80:" | sed -e "s/ linkdown//" -e "s/^/route6 /"
		nft list ruleset | sed "s/^/nft /"'
	# (the pods/ and networks/ directories themselves are the state root's, like its locks)
	find "$STATE_ROOT" -mindepth 1 ! -name '*.lock' -printf 'state %P\n' |
		grep -vx -e 'state pods' -e 'state networks' | sort
	grep -F "$STATE_ROOT/" /proc/self/mountinfo | awk '{print "mount", $5}'
	marked_pids | sed 's/^/process /'
}

# wait_veths N: until the host namespace has N veths (a deleted pod's pair goes with its
# namespace, a moment after the delete): for a baseline without a pair about to vanish.
wait_veths() {
	local i
	for i in $(seq 1 50); do
		[ "$(in_host ip -o link show type veth | wc -l)" -eq "$1" ] && return 0
		sleep 0.1
	done
	fail "expected $1 veths: $(in_host ip -o link show type veth)"
}

store_snapshot() {
	find "$S" -mindepth 1 ! -name lock -printf 'store %P\n' | sort
	grep -F "$BATS_TEST_TMPDIR/" /proc/self/mountinfo | awk '{print "mount", $5}'
	find "$BATS_TEST_TMPDIR" -maxdepth 1 -name 'bundle-*' -printf 'bundle dir %P\n'
	marked_pids | sed 's/^/process /'
}

# expect_as_before BASELINE SNAPSHOT_FN WHAT: the snapshot equals the baseline (a killed pod's
# veth pair goes with its namespace, which the kernel destroys a moment later: retried).
expect_as_before() {
	local i now
	for i in $(seq 1 40); do
		now=$($2)
		[ "$now" = "$1" ] && return 0
		sleep 0.05
	done
	fail "$3: left behind (< missing, > extra):
$(diff <(echo "$1") <(echo "$now") | grep '^[<>]')"
}

# kill_at SYSCALL N CMD...: run CMD under strace, SIGKILLed at the Nth SYSCALL.  LeakSanitizer
# cannot run under ptrace.
kill_at() {
	local sc=$1 n=$2
	shift 2
	# (in a subshell that does not exec strace, which dies of the same signal: its "Killed"
	# notice goes to /dev/null with the rest)
	(ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -o /dev/null -e trace="$sc" -e inject="$sc":signal=SIGKILL:when="$n" "$@" ||
		true) >/dev/null 2>&1
}

# kill_randomly VAR CMD...: run CMD, SIGKILL it after a random delay of 1 to $VAR
# microseconds if still running.  timeout(1) times it: a fork of the big bats shell takes
# longer than some of these commands.  VAR starts as the command's duration (as measured from
# here: more than the command's own) and adapts (halved after a kill that came too late, a
# quarter longer after one that landed), so that the kills spread over the command's run
# whatever the load.  A run that finished also caps VAR at twice the time it took from here:
# one start-up measured during a stall of the machine would otherwise take many halvings to
# come down, and every trial until then would test nothing.  KILLED counts the kills that
# landed before CMD was done, RANDOM_KILLS the attempts; LAST_DELAY is the delay in
# microseconds.  (Never a delay of 0: timeout(1) takes that as no timeout at all.)
kill_randomly() {
	local -n max=$1
	local us=$(((RANDOM * 32768 + RANDOM) % max + 1)) rc=0 t0=${EPOCHREALTIME/./} took
	shift
	LAST_DELAY=$us
	timeout --foreground --preserve-status -s KILL \
		"$((us / 1000000)).$(printf '%06d' $((us % 1000000)))" "$@" >/dev/null 2>&1 || rc=$?
	took=$((${EPOCHREALTIME/./} - t0))
	RANDOM_KILLS=$((RANDOM_KILLS + 1))
	if [ "$rc" -eq 137 ]; then
		KILLED=$((KILLED + 1))
		max=$((max * 5 / 4 + 1))
	else
		max=$((max / 2 + 1))
		[ "$max" -le $((2 * took)) ] || max=$((2 * took))
	fi
}

# duration_us CMD...: how long CMD takes here and now, in microseconds (without a fork of
# date(1), which takes longer than some of these commands): the range of the random delays.
duration_us() {
	local t0=${EPOCHREALTIME/./} t1
	"$@" >/dev/null
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0))
}

# The end of a test with random kills: most must have landed mid-command, or the delays no
# longer fit the commands and the trials test nothing.
report() { # WHAT START
	echo "# $TRIALS $1 trials in $((SECONDS - $2)) s; $KILLED of $RANDOM_KILLS random kills landed mid-command" >&3
	[ "$KILLED" -ge $((RANDOM_KILLS / 3)) ] || fail "only $KILLED of $RANDOM_KILLS random kills landed"
}

# A client's cleanup may find the object gone already: that one error is fine.
tolerate_missing() { # CMD...
	local out
	out=$("$@" 2>&1) && return 0
	[[ $out == *"does not exist"* || $out == *"not found"* ]] ||
		fail "cleanup \`$*\` failed: $out"
}

# after_kill WHAT SNAPSHOT_FN CLEANUP...: one trial's end: the client's cleanup, then the
# snapshot must equal $base.
after_kill() {
	local what=$1 snap=$2
	shift 2
	tolerate_missing "$@"
	expect_as_before "$base" "$snap" "$what"
	TRIALS=$((TRIALS + 1))
}

# crash_at POINT CMD...: run CMD with HUSK_CRASH_AT=POINT.
crash_at() {
	local point=$1
	shift
	run env HUSK_CRASH_AT="$point" "$@"
	[ "$status" -eq 137 ] || UNREACHED="$UNREACHED $point"
}

# A named crash point that did not kill husk is a point that is gone (or misnamed): reported
# at the end of the test, after the leftovers the other trials may have found.
check_points() {
	[ -z "$UNREACHED" ] || fail "crash points that did not kill husk:$UNREACHED"
}

POD_POINTS="pod.dir pod.state pod.ns net.lease.empty pod.lease pod.network net.veth pod.veth pod.etc"

@test "pod create and pod delete killed anywhere: pod delete --force leaves nothing" {
	local base p point start=$SECONDS create_us delete_us
	fast network create n1 --subnet 10.60.0.0/24
	# a pod of another network, publishing a port: the NAT table stays while the trials run,
	# so a network's rules that outlive its last pod show
	fast network create keep --subnet 10.61.0.0/24
	fast pod create keeper --network keep --publish 8080:80 >/dev/null
	fast pod create warm --network n1 >/dev/null
	fast pod delete warm
	create_us=$(duration_us fast pod create warm --network n1 --publish 9091:91)
	delete_us=$(duration_us fast pod delete warm)
	wait_veths 1
	base=$(net_snapshot)

	# pod create at every named point, at every netlink request and state write, and after
	# random delays (one pod of the two publishes a port)
	for point in $POD_POINTS; do
		crash_at "$point" "${FASTCMD[@]}" pod create c --network n1 --publish 9090:90
		after_kill "pod create killed at $point" net_snapshot fast pod delete --force c
	done
	for n in 1 2 3 4 5 6 7 8; do
		kill_at sendto "$n" "${FASTCMD[@]}" pod create c --network n1 --publish 9090:90
		after_kill "pod create killed at sendto #$n" net_snapshot fast pod delete --force c
	done
	for n in $(seq 1 45); do
		p=r$((n % 2))
		if [ "$p" = r0 ]; then
			kill_randomly create_us "${FASTCMD[@]}" pod create "$p" --network n1 --publish 9091:91
		else
			kill_randomly create_us "${FASTCMD[@]}" pod create "$p" --network n1
		fi
		after_kill "pod create killed after ${LAST_DELAY} us" net_snapshot fast pod delete --force "$p"
	done

	# pod delete, killed, then finished by the client's delete --force
	for point in pod.teardown.veth pod.teardown.lease pod.teardown.rules pod.teardown.ns; do
		fast pod create d --network n1 --publish 9092:92 >/dev/null
		crash_at "$point" "${FASTCMD[@]}" pod delete d
		after_kill "pod delete killed at $point" net_snapshot fast pod delete --force d
	done
	for n in $(seq 1 15); do
		fast pod create d --network n1 --publish 9092:92 >/dev/null
		kill_randomly delete_us "${FASTCMD[@]}" pod delete d
		after_kill "pod delete killed after ${LAST_DELAY} us" net_snapshot fast pod delete --force d
	done
	fast pod delete keeper
	check_points
	report "pod create/delete" "$start"
}

@test "network create and delete killed anywhere: network delete leaves nothing" {
	local base n start=$SECONDS delete_us
	# a neighbour network with a pod: the NAT table exists throughout
	fast network create keep --subnet 10.61.0.0/24
	fast pod create keeper --network keep >/dev/null
	fast network create nd --subnet 10.63.0.0/24
	fast pod create pd --network nd >/dev/null
	fast pod delete pd
	wait_veths 1
	# shellcheck disable=SC2034 # kill_randomly reads it by name
	delete_us=$(duration_us fast network delete nd)
	base=$(net_snapshot)
	crash_at network.dir "${FASTCMD[@]}" network create nc --subnet 10.62.0.0/24
	after_kill "network create killed at network.dir" net_snapshot fast network delete nc
	# every file step of network create: directories, the record's write and rename
	for sc in mkdir openat write renameat; do
		for n in 1 2 3 4; do
			kill_at "$sc" "$n" "${FASTCMD[@]}" \
				network create nc --subnet 10.62.0.0/24
			after_kill "network create killed at $sc #$n" net_snapshot fast network delete nc
		done
	done
	# network delete of a network whose first pod made its bridge and rules
	for n in $(seq 1 8); do
		fast network create nd --subnet 10.63.0.0/24
		fast pod create pd --network nd >/dev/null
		fast pod delete pd
		wait_veths 1
		if [ "$n" = 1 ]; then
			crash_at network.delete.rules "${FASTCMD[@]}" network delete nd
		else
			kill_randomly delete_us "${FASTCMD[@]}" network delete nd
		fi
		after_kill "network delete killed (trial $n)" net_snapshot fast network delete nd
	done
	# the first pod of a new network, killed after it made the bridge: the bridge goes with
	# it (it stays from the first complete pod on)
	local base_all=$base
	fast network create nf --subnet 10.68.0.0/24
	base=$(net_snapshot)
	for point in pod.network net.veth pod.veth; do
		crash_at "$point" "${FASTCMD[@]}" pod create f --network nf
		after_kill "first pod of a network killed at $point" net_snapshot fast pod delete --force f
	done
	fast network delete nf
	base=$base_all
	expect_as_before "$base" net_snapshot "network nf deleted"
	fast pod delete keeper
	check_points
	report "network create/delete" "$start"
}

# A small two-layer image in an OCI layout.
mk_test_image() {
	mkdir -p "$BATS_TEST_TMPDIR/l1/bin" "$BATS_TEST_TMPDIR/l1/etc" "$BATS_TEST_TMPDIR/l2/data"
	cp /bin/busybox "$BATS_TEST_TMPDIR/l1/bin/busybox"
	echo 'root:x:0:0::/root:/bin/sh' >"$BATS_TEST_TMPDIR/l1/etc/passwd"
	for i in $(seq 1 200); do echo "$i" >"$BATS_TEST_TMPDIR/l2/data/f$i"; done
	"$BATS_TEST_DIRNAME/../helpers/mkimage" "$BATS_TEST_TMPDIR/img" \
		"$BATS_TEST_TMPDIR/l1" "$BATS_TEST_TMPDIR/l2"
}

@test "image import and image rm killed anywhere: image prune leaves nothing" {
	local base point n start=$SECONDS import_us rm_us
	mk_test_image
	# shellcheck disable=SC2034 # kill_randomly reads it by name
	import_us=$(duration_us store image import "oci:$BATS_TEST_TMPDIR/img" img)
	# shellcheck disable=SC2034 # kill_randomly reads it by name
	rm_us=$(duration_us store image rm img)
	store image prune >/dev/null
	base=$(store_snapshot)
	# import: the client does not know whether it got through: rm (if there) and prune
	cleanup_import() {
		tolerate_missing store image rm img:latest
		store image prune >/dev/null
	}
	for point in image.layer.tmp image.layer image.blob image.index; do
		crash_at "$point" "$FAST" --store "$S" image import "oci:$BATS_TEST_TMPDIR/img" img
		after_kill "image import killed at $point" store_snapshot cleanup_import
	done
	for sc in renameat symlinkat; do
		for n in 1 2 3; do
			kill_at "$sc" "$n" "$FAST" --store "$S" image import "oci:$BATS_TEST_TMPDIR/img" img
			after_kill "image import killed at $sc #$n" store_snapshot cleanup_import
		done
	done
	for n in $(seq 1 15); do
		kill_randomly import_us "$FAST" --store "$S" image import "oci:$BATS_TEST_TMPDIR/img" img
		after_kill "image import killed after ${LAST_DELAY} us" store_snapshot cleanup_import
	done

	# rm, killed, then finished by the client: rm again, prune
	for point in image.rm.record image.rm.layer; do
		store image import "oci:$BATS_TEST_TMPDIR/img" img >/dev/null
		crash_at "$point" "$FAST" --store "$S" image rm img
		after_kill "image rm killed at $point" store_snapshot cleanup_import
	done
	for n in 1 2 3; do
		store image import "oci:$BATS_TEST_TMPDIR/img" img >/dev/null
		kill_at unlinkat "$n" "$FAST" --store "$S" image rm img
		after_kill "image rm killed at unlinkat #$n" store_snapshot cleanup_import
	done
	for n in $(seq 1 6); do
		store image import "oci:$BATS_TEST_TMPDIR/img" img >/dev/null
		kill_randomly rm_us "$FAST" --store "$S" image rm img
		after_kill "image rm killed after ${LAST_DELAY} us" store_snapshot cleanup_import
	done
	check_points
	report "image import/rm" "$start"
}

@test "bundle create killed anywhere: bundle delete leaves nothing" {
	local base point n b=$BATS_TEST_TMPDIR/bundle-x start=$SECONDS create_us
	mk_test_image
	store image import "oci:$BATS_TEST_TMPDIR/img" img >/dev/null
	store bundle create --image img "$b" >/dev/null
	store bundle delete "$b"
	# shellcheck disable=SC2034 # kill_randomly reads it by name
	create_us=$(duration_us store bundle create --image img "$b")
	store bundle delete "$b"
	base=$(store_snapshot)
	# refused: no such image; the directory it made goes again
	run --separate-stderr store bundle create --image nope "$b"
	assert_failure
	assert_one_error_line
	expect_as_before "$base" store_snapshot "bundle create refused for a missing image"
	for point in bundle.dir bundle.record bundle.mount; do
		crash_at "$point" "$FAST" --store "$S" bundle create --image img "$b"
		after_kill "bundle create killed at $point" store_snapshot store bundle delete "$b"
	done
	# the bundle record's and config.json's writes and renames, the overlay mount
	for sc in write renameat mount; do
		for n in 1 2; do
			kill_at "$sc" "$n" "$FAST" --store "$S" bundle create --image img "$b"
			after_kill "bundle create killed at $sc #$n" store_snapshot store bundle delete "$b"
		done
	done
	for n in $(seq 1 20); do
		kill_randomly create_us "$FAST" --store "$S" bundle create --image img "$b"
		after_kill "bundle create killed after ${LAST_DELAY} us" store_snapshot store bundle delete "$b"
	done
	check_points
	report "bundle create" "$start"
}

@test "refused pod creates leave nothing: taken host port, bad or taken --ip, exhausted subnet, name" {
	local base
	husk network create a --subnet 10.64.0.0/24
	husk network create b --subnet 10.65.0.0/24
	husk network create tiny --subnet 10.66.0.0/30
	husk pod create pa --network a --publish 8080:80 >/dev/null
	husk pod create t1 --network tiny >/dev/null
	base=$(net_snapshot)
	# the first pod of network b: its bridge and masquerade rules are made for it, and must
	# go again with it
	run --separate-stderr husk pod create pb --network b --publish 8080:80
	assert_failure
	assert_one_error_line
	[[ $stderr == *"host port 8080/tcp is already published"* ]]
	expect_as_before "$base" net_snapshot "pod create refused for a taken host port"
	run --separate-stderr husk pod create pb --network b --ip 10.65.0.300
	assert_failure
	assert_one_error_line
	run --separate-stderr husk pod create pb --network a --ip 10.64.0.2
	assert_failure
	assert_one_error_line
	[[ $stderr == *"already leased to \`pa\`"* ]]
	run --separate-stderr husk pod create t2 --network tiny
	assert_failure
	assert_one_error_line
	[[ $stderr == *"exhausted"* ]]
	run --separate-stderr husk pod create pa --network b
	assert_failure
	assert_one_error_line
	[[ $stderr == *"already exists"* ]]
	expect_as_before "$base" net_snapshot "refused pod creates"
	husk pod delete pa
	husk pod delete t1
}

@test "a refused first pod create does not leave the default network it made" {
	local base
	base=$(net_snapshot)
	run --separate-stderr husk pod create p --ip not-an-ip
	assert_failure
	assert_one_error_line
	[[ $stderr == *"--ip"* ]]
	run --separate-stderr husk pod create p --ip 10.99.0.2
	assert_failure
	assert_one_error_line
	[[ $stderr == *"outside subnet"* ]]
	expect_as_before "$base" net_snapshot "refused first pod creates"
}

@test "a refused import leaves nothing in the store, not even its good layers" {
	local base
	mk_test_image
	mkdir -p "$BATS_TEST_TMPDIR/l3"
	echo x >"$BATS_TEST_TMPDIR/l3/x"
	"$BATS_TEST_DIRNAME/../helpers/mkimage" --corrupt-layer 3 "$BATS_TEST_TMPDIR/bad" \
		"$BATS_TEST_TMPDIR/l1" "$BATS_TEST_TMPDIR/l2" "$BATS_TEST_TMPDIR/l3"
	"$HUSK" --store "$S" image prune >/dev/null
	base=$(store_snapshot)
	run --separate-stderr "$HUSK" --store "$S" image import "oci:$BATS_TEST_TMPDIR/bad" bad
	assert_failure
	assert_one_error_line
	expect_as_before "$base" store_snapshot "refused import"
}

@test "50 concurrent pod creates on one network: distinct addresses; concurrent deletes leave nothing" {
	local base i pids=() bad=0
	husk network create many --subnet 10.67.0.0/24
	husk pod create warm --network many >/dev/null
	husk pod delete warm
	wait_veths 0
	base=$(net_snapshot)
	for i in $(seq 1 50); do
		husk pod create "m$i" --network many >"$BATS_TEST_TMPDIR/m$i.json" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || bad=$((bad + 1)); done
	[ "$bad" -eq 0 ] || fail "$bad of 50 pod creates failed: $(grep -h husk: "$BATS_TEST_TMPDIR"/m*.json)"
	[ "$(jq -r '.name' "$BATS_TEST_TMPDIR"/m*.json | sort -u | wc -l)" -eq 50 ]
	[ "$(jq -r '.ips[0].address' "$BATS_TEST_TMPDIR"/m*.json | sort -u | wc -l)" -eq 50 ]
	[ "$(ls "$STATE_ROOT/networks/many/leases" | wc -l)" -eq 50 ]
	[ "$(in_host ip -o link show type veth | wc -l)" -eq 50 ]
	pids=()
	for i in $(seq 1 50); do
		husk pod delete "m$i" 2>"$BATS_TEST_TMPDIR/d$i.err" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || bad=$((bad + 1)); done
	[ "$bad" -eq 0 ] || fail "$bad of 50 pod deletes failed: $(cat "$BATS_TEST_TMPDIR"/d*.err)"
	expect_as_before "$base" net_snapshot "50 pods deleted concurrently"
}
