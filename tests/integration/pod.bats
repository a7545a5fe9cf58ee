#!/usr/bin/env bats
# husk pod / husk network: pods reach each other and the host, containers of a pod share
# localhost, published ports forward, delete removes everything, 200 pods get 200 addresses,
# bad input leaves nothing behind, a crash half-way through create is repaired by delete.
#
# Network safety: every test makes its own network namespace ($TNS, "the host" of the test)
# and runs husk inside it, so the bridge, the veths and the nftables table live there and
# vanish with it; traffic only flows between that namespace, its pods and a second test
# namespace.  Root.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../helpers/lib

setup() {
	setup_common
	TNS=$BATS_TEST_TMPDIR/netns-host
	mk_netns "$TNS"
	WWW_PAGE="hello from a husk pod"
	mkdir -p "$BUNDLE/rootfs/www"
	echo "$WWW_PAGE" >"$BUNDLE/rootfs/www/index.html"
}

teardown() {
	local p id ns
	for p in "$STATE_ROOT"/pods/*; do
		[ -d "$p" ] || continue
		p=${p##*/}
		husk pod delete --force "$p" >/dev/null 2>&1 || true
	done
	for id in $(leftover_ids); do
		[ "$id" = pods ] || [ "$id" = networks ] || husk delete --force "$id" >/dev/null 2>&1 || true
	done
	# the namespaces take every link and rule of the test with them
	for ns in "$BATS_TEST_TMPDIR"/netns-*; do
		umount "$ns" 2>/dev/null || true
	done
	TNS_GONE=1
	rm -rf "$STATE_ROOT/pods" "$STATE_ROOT/networks" "$STATE_ROOT/pods.lock" 2>/dev/null || true
	teardown_common
}

# A network namespace held by a bind mount on FILE (what `ip netns add` does), lo up.
mk_netns() {
	touch "$1"
	unshare --net="$1" ip link set lo up
}

# husk runs in the test's namespace: that is "the host" of everything it sets up.
husk() {
	if [ -n "${TNS_GONE:-}" ]; then
		HUSK_TEST_MARK=$MARK "$HUSK" --root "$STATE_ROOT" "$@"
	else
		HUSK_TEST_MARK=$MARK nsenter --net="$TNS" "$HUSK" --root "$STATE_ROOT" "$@"
	fi
}
in_host() { nsenter --net="$TNS" "$@"; }
in_pod() {
	local p=$1
	shift
	nsenter --net="$STATE_ROOT/pods/$p/ns/net" "$@"
}
pod_json() { husk pod inspect "$1"; }
pod_ip() { pod_json "$1" | jq -r '.ips[0].address | split("/")[0]'; }
pod_veth() { pod_json "$1" | jq -r '.interfaces[1].name'; }

# fetch NS-RUNNER URL: GET with retries (a server started with run -d may not listen yet)
fetch() {
	local i
	for i in $(seq 1 30); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
host_get() { fetch in_host timeout 3 busybox wget -q -O - "$1"; }

# Counts in the test namespace, for "nothing left behind".
n_veths() { in_host ip -o link show type veth | wc -l; }
n_leases() { find "$STATE_ROOT/networks" -path '*/leases/*' -type f 2>/dev/null | wc -l; }
n_port_maps() {
	local n
	n=$(in_host nft -j list map inet husk ports 2>/dev/null |
		jq '[.nftables[] | select(.map) | .map.elem // [] | length] | add // 0')
	echo "${n:-0}"
}
pod_mounts() { grep -c -F "$STATE_ROOT/pods/$1/" /proc/self/mountinfo || true; }

# Everything a pod NAME could hold is gone: state, mounts, lease, and (through the counts
# given) veths and port maps.  The veth pair goes with the pod's namespace, which the kernel
# destroys asynchronously: give it a moment.
assert_pod_gone() { # NAME VETHS_EXPECTED PORTMAPS_EXPECTED
	local i
	[ ! -e "$STATE_ROOT/pods/$1" ] || fail "pod $1: state dir left: $(ls -R "$STATE_ROOT/pods/$1")"
	[ "$(pod_mounts "$1")" -eq 0 ] || fail "pod $1: mounts left: $(grep -F "/pods/$1/" /proc/self/mountinfo)"
	! grep -rlx -- "$1" "$STATE_ROOT"/networks/*/leases/ 2>/dev/null || fail "pod $1: lease left"
	for i in $(seq 1 50); do
		[ "$(n_veths)" -eq "$2" ] && break
		sleep 0.1
	done
	[ "$(n_veths)" -eq "$2" ] || fail "pod $1: expected $2 veths, have: $(in_host ip -o link show type veth)"
	[ "$(n_port_maps)" -eq "$3" ] || fail "pod $1: expected $3 port maps: $(in_host nft list map inet husk ports)"
}

@test "pod create prints a CNI result; two pods reach each other by IP; inspect and list" {
	run --separate-stderr husk pod create a
	assert_success
	[ "$(jq -r .cniVersion <<<"$output")" = 1.0.0 ]
	[ "$(jq -r '.ips[0].address' <<<"$output")" = 10.88.0.2/16 ]
	[ "$(jq -r '.ips[0].gateway' <<<"$output")" = 10.88.0.1 ]
	[ "$(jq -r '.interfaces[2].name' <<<"$output")" = eth0 ]
	[ "$(jq -r '.interfaces[2].sandbox' <<<"$output")" = "$STATE_ROOT/pods/a/ns/net" ]
	[ "$(jq -r '.routes[0].dst' <<<"$output")" = 0.0.0.0/0 ]
	[ "$(jq -r '.namespaces.uts' <<<"$output")" = "$STATE_ROOT/pods/a/ns/uts" ]
	mac=$(jq -r '.interfaces[2].mac' <<<"$output")
	husk pod create b --hostname bee >/dev/null
	a=$(pod_ip a) b=$(pod_ip b)
	[ "$a" != "$b" ]
	# what the pod itself sees: its address, MAC, default route, lo
	run in_pod a ip -o -4 addr show dev eth0
	assert_output_contains "inet $a/16"
	run in_pod a ip -o link show dev eth0
	assert_output_contains "link/ether $mac "
	run in_pod a ip route show default
	assert_output_contains "via 10.88.0.1 dev eth0"
	in_pod a ip -o link show lo | grep -q 'UP'
	# the host end is a bridge port with hairpin on
	run in_host bridge -d link show dev "$(pod_veth a)"
	assert_output_contains "master husk0"
	assert_output_contains "hairpin on"
	run in_pod a busybox ping -c 1 -W 2 "$b"
	assert_success
	run in_pod b busybox ping -c 1 -W 2 "$a"
	assert_success
	run husk pod list
	assert_success
	assert_output_matches "a +husk0 +$a +ready +0"
	assert_output_matches "b +husk0 +$b +ready +0"
	[ "$(husk pod list --format json | jq -r '[.[].name] | sort | join(",")')" = a,b ]
	[ "$(husk pod inspect b | jq -r .hostname)" = bee ]
	[ "$(cat "$STATE_ROOT/pods/b/hostname")" = bee ]
	run husk network list
	assert_output_matches "husk0 +husk0 +10.88.0.0/16"
	husk pod delete a
	husk pod delete b
	assert_pod_gone a 0 0
	assert_pod_gone b 0 0
}

@test "the host reaches a TCP server in a pod (husk run -d --pod)" {
	husk pod create web >/dev/null
	ip=$(pod_ip web)
	set_args httpd -f -p 80 -h /www
	husk_bg run -d --pod web --bundle "$BUNDLE" "$ID"
	run host_get "http://$ip/"
	assert_success
	assert_eq "$output" "$WWW_PAGE" "page fetched from the pod"
	# the container is in the pod's namespaces, with the pod's /etc files
	pid=$(state_field "$ID" .pid)
	[ "$(readlink "/proc/$pid/ns/net")" = "$(in_pod web readlink /proc/self/ns/net)" ]
	[ "$(nsenter -t "$pid" -m -u hostname)" = web ]
	run nsenter -t "$pid" -m cat /etc/hosts
	assert_output_contains "$ip	web"
	[ "$(husk pod inspect web | jq -r '.containers[0]')" = "$ID" ]
}

@test "two containers of a pod share localhost, hostname and IPC; delete --force removes them" {
	husk pod create duo --hostname duo-host >/dev/null
	set_args httpd -f -p 127.0.0.1:9000 -h /www
	husk_bg run -d --pod duo --bundle "$BUNDLE" "$ID"
	b2=$BATS_TEST_TMPDIR/bundle2
	"$HELPERS_DIR/mkbundle" -e "HUSK_TEST_MARK=$MARK" "$b2" sh -c 'for i in $(seq 1 50); do wget -q -O - http://127.0.0.1:9000/ && break; sleep 0.1; done; echo "hostname=$(hostname)"; readlink /proc/self/ns/ipc'
	run husk run --pod duo --bundle "$b2" "$ID-2" </dev/null
	assert_success
	assert_output_contains "$WWW_PAGE"
	assert_output_contains "hostname=duo-host"
	pid=$(state_field "$ID" .pid)
	assert_output_contains "$(readlink "/proc/$pid/ns/ipc")"
	# a server bound to the pod's lo is not reachable from the host
	run in_host timeout 3 busybox wget -q -O - "http://$(pod_ip duo):9000/"
	assert_failure
	# the pod outlives the foreground container, which left it on delete
	[ "$(husk pod inspect duo | jq -c .containers)" = "[\"$ID\"]" ]
	run --separate-stderr husk pod delete duo
	assert_failure
	assert_one_error_line
	[[ $stderr == *"pod \`duo\` has 1 container(s)"* ]]
	husk pod delete --force duo
	run husk state "$ID"
	assert_failure
	assert_pod_gone duo 0 0
}

@test "a published port forwards from another test namespace" {
	husk pod create pub --publish 8080:80 --publish 5353:53/udp >/dev/null
	ip=$(pod_ip pub)
	[ "$(husk pod inspect pub | jq -c '[.portMappings[] | [.hostPort, .containerPort, .protocol]]')" = '[[8080,80,"tcp"],[5353,53,"udp"]]' ]
	set_args httpd -f -p 80 -h /www
	husk_bg run -d --pod pub --bundle "$BUNDLE" "$ID"
	# a client namespace wired to the test's host namespace by a veth of its own
	CNS=$BATS_TEST_TMPDIR/netns-client
	mk_netns "$CNS"
	in_host ip link add hskt-host type veth peer name hskt-client
	in_host ip link set hskt-client netns "$CNS"
	in_host ip addr add 192.0.2.1/24 dev hskt-host
	in_host ip link set hskt-host up
	nsenter --net="$CNS" ip addr add 192.0.2.2/24 dev hskt-client
	nsenter --net="$CNS" ip link set hskt-client up
	run fetch nsenter --net="$CNS" timeout 3 busybox wget -q -O - http://192.0.2.1:8080/
	assert_success
	assert_eq "$output" "$WWW_PAGE" "page through the published port"
	# the host itself reaches it through its own address too (output chain)
	run host_get http://192.0.2.1:8080/
	assert_eq "$output" "$WWW_PAGE" "page through the published port from the host"
	# and the pod reaches itself through the published port (hairpin)
	run fetch in_pod pub timeout 3 busybox wget -q -O - http://192.0.2.1:8080/
	assert_eq "$output" "$WWW_PAGE" "page through the published port from the pod itself"
	# the rules: one map element per port, masquerade for the subnet
	run in_host nft list table inet husk
	assert_output_contains "tcp . 8080 : $ip . 80"
	assert_output_contains "udp . 5353 : $ip . 53"
	assert_output_contains 'ip saddr 10.88.0.0/16 oifname != "husk0" masquerade'
	assert_output_contains 'ip saddr 10.88.0.0/16 oifname "husk0" ct status dnat masquerade'
}

@test "pod delete removes its veth, lease, port rules and bind mounts" {
	husk pod create keep >/dev/null # keeps the nft table alive, to see the rules go one by one
	husk pod create gone --publish 8081:81 --publish 8082:82/udp >/dev/null
	ip=$(pod_ip gone) veth=$(pod_veth gone)
	# everything is there first
	in_host ip link show "$veth" >/dev/null
	in_host ip -o link show "$veth" | grep -q "master husk0"
	[ "$(cat "$STATE_ROOT/networks/husk0/leases/$ip")" = gone ]
	[ "$(n_port_maps)" -eq 2 ]
	# the net, ipc and uts namespaces bound onto files of a tmpfs of the pod's own
	[ "$(pod_mounts gone)" -eq 4 ]
	[ "$(grep -F "$STATE_ROOT/pods/gone/ns " /proc/self/mountinfo | awk '{print $(NF-2)}')" = tmpfs ]
	[ "$(grep -F "$STATE_ROOT/pods/gone/ns/" /proc/self/mountinfo | awk '{print $(NF-2)}' | sort | uniq -c | awk '{print $1, $2}')" = "3 nsfs" ]
	[ "$(n_veths)" -eq 2 ]
	husk pod delete gone
	assert_pod_gone gone 1 0
	! in_host ip link show "$veth" 2>/dev/null || fail "pod delete left $veth"
	[ ! -e "$STATE_ROOT/networks/husk0/leases/$ip" ]
	! in_host nft list map inet husk ports | grep -q 808 || fail "pod delete left its port maps"
	# the other pod is untouched
	in_pod keep busybox ping -c 1 -W 2 10.88.0.1
	# with the last pod gone the whole table goes; the bridge stays for the next pod
	husk pod delete keep
	assert_pod_gone keep 0 0
	! in_host nft list table inet husk 2>/dev/null || fail "the last pod delete left table inet husk"
	in_host ip link show husk0 >/dev/null
	# a pod re-created under the same name right away gets a working veth again
	husk pod create gone >/dev/null
	in_pod gone busybox ping -c 1 -W 2 10.88.0.1
}

# The kernel destroys a deleted pod's veth pair with its namespace, tens of milliseconds later;
# somebody may also still hold that namespace.  A pod re-created under the same name meanwhile
# takes the next generation's name instead of deleting the old pair (which waits out an RCU
# barrier), and delete --force without a readable state finds whichever generation it had.
@test "pod re-created while its old veth is still there takes the next name; --force finds it" {
	husk pod create re >/dev/null
	old=$(pod_veth re)
	# hold the old namespace: the old pair stays until we let go
	exec 8<"$STATE_ROOT/pods/re/ns/net"
	husk pod delete re
	in_host ip link show "$old" >/dev/null
	husk pod create re >/dev/null
	new=$(pod_veth re)
	[ "$new" != "$old" ] || fail "re-created pod reuses the veth name $old"
	[ "$(jq -r .hostVeth "$STATE_ROOT/pods/re/pod.json")" = "$new" ]
	in_host ip -o link show "$new" | grep -q "master husk0"
	in_pod re busybox ping -c 1 -W 2 10.88.0.1
	husk pod delete re
	assert_pod_gone re 1 0 # the old pair, still held
	exec 8<&-
	assert_pod_gone re 0 0

	# a state that names no veth (a crash, or a corrupt file): --force tries every generation
	husk pod create re >/dev/null
	exec 8<"$STATE_ROOT/pods/re/ns/net"
	husk pod delete re
	husk pod create re >/dev/null
	new=$(pod_veth re)
	echo garbage >"$STATE_ROOT/pods/re/pod.json"
	run husk pod delete re
	assert_failure
	husk pod delete --force re
	exec 8<&-
	! in_host ip link show "$new" 2>/dev/null || fail "--force left $new"
	assert_pod_gone re 0 0
}

@test "200 pods get 200 distinct addresses" {
	for i in $(seq 1 200); do
		husk pod create "p$i" | jq -r '.ips[0].address'
	done >"$BATS_TEST_TMPDIR/ips"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ips")" -eq 200 ]
	[ "$(sort -u "$BATS_TEST_TMPDIR/ips" | wc -l)" -eq 200 ]
	! grep -v '^10\.88\.[0-9]*\.[0-9]*/16$' "$BATS_TEST_TMPDIR/ips" || fail "an address outside 10.88.0.0/16"
	[ "$(n_leases)" -eq 200 ]
	[ "$(n_veths)" -eq 200 ]
	# each address is configured where the lease says
	for i in 1 100 200; do
		in_pod "p$i" ip -o -4 addr show dev eth0 | grep -q "inet $(sed -n "${i}p" "$BATS_TEST_TMPDIR/ips") "
	done
	in_pod p1 busybox ping -c 1 -W 2 "$(pod_ip p200)"
	for i in $(seq 1 200); do
		husk pod delete "p$i"
	done
	[ "$(n_leases)" -eq 0 ]
	[ -z "$(ls "$STATE_ROOT/pods")" ]
	[ "$(grep -c -F "$STATE_ROOT/pods/" /proc/self/mountinfo)" -eq 0 ]
}

# A failed pod create: one error line naming the problem, and nothing of pod $2 left.
expect_create_error() { # MESSAGE NAME ARGS... (VETHS and MAPS: what must remain)
	local msg=$1 name=$2
	shift 2
	run --separate-stderr husk pod create "$name" "$@"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"$msg"* ]] || fail "expected '$msg' in: $stderr"
	[ -z "$output" ] || fail "stdout of a failed create: $output"
	assert_pod_gone "$name" "${VETHS:-0}" "${MAPS:-0}"
}

@test "bad input: overlapping and invalid subnets, exhausted subnet, bad or taken IP" {
	husk network create n1 --subnet 10.50.0.0/16
	run --separate-stderr husk network create n2 --subnet 10.50.128.0/17
	assert_failure
	assert_one_error_line
	[[ $stderr == *"subnet 10.50.128.0/17 overlaps subnet 10.50.0.0/16 of network \`n1\`"* ]]
	[ ! -e "$STATE_ROOT/networks/n2" ]
	! in_host ip link show hsk-n2 2>/dev/null || fail "a failed network create left bridge hsk-n2"
	run --separate-stderr husk network create n3 --subnet 10.50.0.0/33
	assert_failure
	assert_one_error_line
	[ ! -e "$STATE_ROOT/networks/n3" ]
	run --separate-stderr husk network create n1 --subnet 10.60.0.0/16
	assert_failure
	[[ $stderr == *"network \`n1\` already exists"* ]]

	# a /30 has one address for pods (network, gateway, broadcast taken)
	husk network create tiny --subnet 10.51.0.0/30
	husk pod create t1 --network tiny >/dev/null
	VETHS=1 expect_create_error "subnet 10.51.0.0/30 is exhausted" t2 --network tiny
	VETHS=1 expect_create_error "address 10.88.5.5 is outside subnet 10.51.0.0/30" t3 --network tiny --ip 10.88.5.5
	VETHS=1 expect_create_error "network \`nope\` does not exist" t4 --network nope

	husk pod create s1 --ip 10.50.0.10 --network n1 >/dev/null
	[ "$(pod_ip s1)" = 10.50.0.10 ]
	VETHS=2 expect_create_error "address 10.50.0.10 is already leased to \`s1\`" s2 --network n1 --ip 10.50.0.10
	VETHS=2 expect_create_error "address 10.50.0.1 is reserved" s3 --network n1 --ip 10.50.0.1
	VETHS=2 expect_create_error "not-an-ip" s4 --network n1 --ip not-an-ip
	# a network in use cannot go
	run --separate-stderr husk network delete n1
	assert_failure
	[[ $stderr == *"network \`n1\` is used by 1 pod(s)"* ]]
	husk pod delete s1
	husk network delete n1
	! in_host ip link show hsk-n1 2>/dev/null || fail "network delete left bridge hsk-n1"
	[ ! -e "$STATE_ROOT/networks/n1" ]
}

@test "bad input: host port already published, bridge that is not a bridge, pod names" {
	husk pod create web1 --publish 8080:80 >/dev/null
	VETHS=1 MAPS=1 expect_create_error "host port 8080/tcp is already published" web2 --publish 8090:80 --publish 8080:80
	# the same port number over udp is another port
	husk pod create web3 --publish 8080:80/udp >/dev/null
	MAPS=2 VETHS=2 expect_create_error "--publish" web4 --publish 80
	VETHS=2 MAPS=2 expect_create_error "host port 9000/tcp given twice" web5 --publish 9000:1 --publish 9000:2

	# a bridge name taken by another kind of interface
	in_host ip link add hskt-dummy type ifb
	run --separate-stderr husk network create nb --subnet 10.52.0.0/24 --bridge hskt-dummy
	assert_failure
	assert_one_error_line
	[[ $stderr == *"interface \`hskt-dummy\` exists and is not a bridge"* ]]
	[ ! -e "$STATE_ROOT/networks/nb" ]
	# ...or that became one after the network was made: pod create undoes everything
	husk network create nb2 --subnet 10.53.0.0/24 --bridge hskt-br2
	in_host ip link add hskt-br2 type ifb
	VETHS=2 MAPS=2 expect_create_error "link \`hskt-br2\` exists and is not a bridge" nb2pod --network nb2
	[ "$(in_host ip -o link show type ifb | wc -l)" -eq 2 ]

	# names
	run --separate-stderr husk pod create web1
	assert_failure
	assert_one_error_line
	[[ $stderr == *"pod \`web1\` already exists"* ]]
	# the existing pod is untouched
	[ "$(n_veths)" -eq 2 ] && [ "$(n_port_maps)" -eq 2 ] && [ "$(n_leases)" -eq 2 ]
	[ "$(husk pod inspect web1 | jq -r .status)" = ready ]
	in_pod web1 busybox ping -c 1 -W 2 10.88.0.1
	for bad in ../x .x _x 'a/b' 'a b' "$(printf 'x%.0s' $(seq 1 65))"; do
		VETHS=2 MAPS=2 expect_create_error "invalid pod name" "$bad"
	done
	[ "$(ls "$STATE_ROOT/pods" | sort | tr '\n' ' ')" = "web1 web3 " ]
}

@test "a pod left 'creating' by a crash is refused to containers and repaired by pod delete" {
	husk pod create half --publish 8085:80 >/dev/null
	ip=$(pod_ip half)
	# the state a crash after the address was configured leaves: status creating, no /etc files
	jq '.status = "creating"' "$STATE_ROOT/pods/half/pod.json" >"$BATS_TEST_TMPDIR/pod.json"
	mv "$BATS_TEST_TMPDIR/pod.json" "$STATE_ROOT/pods/half/pod.json"
	rm "$STATE_ROOT/pods/half/hosts" "$STATE_ROOT/pods/half/resolv.conf"
	run --separate-stderr husk run --pod half --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	[[ $stderr == *"pod \`half\` is not ready (creating)"* ]]
	run husk pod list
	assert_output_matches "half +husk0 +$ip +creating"
	husk pod delete half
	assert_pod_gone half 0 0
	[ ! -e "$STATE_ROOT/networks/husk0/leases/$ip" ]
	# a pod.json lost altogether: delete still finds the mounts, veth and lease by name
	husk pod create lost >/dev/null
	rm "$STATE_ROOT/pods/lost/pod.json"
	husk pod delete lost
	assert_pod_gone lost 0 0
}

@test "husk killed at each step of pod create: pod delete repairs it" {
	command -v strace >/dev/null || skip "requires strace (to kill husk at a chosen system call)"
	local sc n killed=0 created
	husk pod create other >/dev/null # a neighbour that must survive every repair
	# Every step that changes something: directories, namespaces, mounts, netlink requests,
	# lease and state files.  Kill husk at the Nth call of each in turn until create gets
	# through; after each kill, pod delete must leave nothing of the pod.
	for sc in mkdir unshare mount setns sendto write renameat; do
		created=0
		for n in $(seq 1 40); do
			# LeakSanitizer cannot run under ptrace: it would abort every traced run at exit
			if HUSK_TEST_MARK=$MARK ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
				nsenter --net="$TNS" strace -f -qq -o /dev/null \
				-e trace="$sc" -e inject="$sc":signal=SIGKILL:when="$n" \
				"$HUSK" --root "$STATE_ROOT" pod create crash --publish 8086:86 >/dev/null 2>&1; then
				created=1
			else
				killed=$((killed + 1))
			fi
			husk pod delete crash 2>"$BATS_TEST_TMPDIR/err" ||
				grep -q 'pod `crash` does not exist' "$BATS_TEST_TMPDIR/err" ||
				fail "kill at $sc #$n: pod delete failed: $(cat "$BATS_TEST_TMPDIR/err")"
			assert_pod_gone crash 1 0 || fail "kill at $sc #$n: not repaired"
			[ "$created" = 0 ] || break
		done
		[ "$created" = 1 ] || fail "pod create never got past $sc #40"
	done
	[ "$killed" -ge 15 ] || fail "only $killed crash points"
	echo "# husk killed at $killed points of pod create, each repaired by pod delete" >&3
	# the neighbour was never touched
	in_pod other busybox ping -c 1 -W 2 10.88.0.1
	[ "$(n_veths)" -eq 1 ]
}
