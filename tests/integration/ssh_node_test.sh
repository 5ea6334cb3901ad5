#!/usr/bin/env bash
# The ssh node: a namespace running Debian's sshd (host and client keys made here, listening
# only on a management veth in 198.18.0.0/15) stands in for the remote machine; svcbench runs in
# a second namespace standing in for the generator machine, its af_packet ports on the other
# ends of the remote's two data links. Links carrying the default route are refused; a dual-stack
# sweep in iptables-legacy and nftables DNATs every packet of both families (iptables grows with
# the Services, nftables does not); the sweep (IPv6 forwarding and router advertisements
# included), and SIGINT in the middle of one, leave the remote as it was before. The
# README's kubectl apply hook drives a sweep over ssh (a fake kubectl keeps the objects, the
# stand-in kube-proxy programs the node through SVCBENCH_NODE_EXEC, ssh's command line).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test ssh_node
[[ -x /usr/sbin/sshd ]] || { echo "ssh_node: openssh-server not installed; skipped"; exit 77; }
remote=svcb-rmt
gen=svcb-rgen
standin_pid=""
cleanup() {
  [[ -n $standin_pid ]] && kill "$standin_pid" 2>/dev/null && wait "$standin_pid" 2>/dev/null
  [[ -f $work/sshd.pid ]] && kill "$(cat "$work/sshd.pid")" 2>/dev/null
  ip netns delete "$remote" 2>/dev/null
  ip netns delete "$gen" 2>/dev/null
  "$svcbench" testbed down >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$remote" && ip netns add "$gen" || fail "namespaces"
ip link add svcb-rm0 netns "$gen" type veth peer name svcb-rm1 netns "$remote"  # management
ip link add svcb-rg0 netns "$gen" type veth peer name svcb-ri netns "$remote"   # generator TX -> node IN
ip link add svcb-rg1 netns "$gen" type veth peer name svcb-ro netns "$remote"   # node OUT -> generator RX
for ns in "$remote" "$gen"; do
  ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip -n "$gen" addr add 198.18.250.2/30 dev svcb-rm0
ip -n "$remote" addr add 198.18.250.1/30 dev svcb-rm1
for l in svcb-rm0 svcb-rg0 svcb-rg1; do ip -n "$gen" link set "$l" up; done
ip -n "$remote" link set svcb-rm1 up
ip -n "$remote" route add default via 198.18.250.2 dev svcb-rm1  # the node's own default route

ssh-keygen -q -t ed25519 -N '' -f "$work/host_key" && ssh-keygen -q -t ed25519 -N '' -f "$work/id" || fail "keys"
cp "$work/id.pub" "$work/authorized_keys"
cat >"$work/sshd_config" <<CFG
ListenAddress 198.18.250.1
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
CFG
mkdir -p /run/sshd
ip netns exec "$remote" /usr/sbin/sshd -f "$work/sshd_config" -E "$work/sshd.log" || fail "sshd: $(cat "$work/sshd.log")"

ssh_args=(--node ssh --ssh-target root@198.18.250.1 --ssh-identity "$work/id" --ssh-option StrictHostKeyChecking=no
          --ssh-option UserKnownHostsFile=/dev/null --ssh-option LogLevel=ERROR)
eal=(--tx-port net_af_packet0 --rx-port net_af_packet1 -- -l 0 --no-huge -m 256 --no-pci
     --vdev net_af_packet0,iface=svcb-rg0 --vdev net_af_packet1,iface=svcb-rg1)
in_gen() { ip netns exec "$gen" "$svcbench" "$@"; }
for _ in $(seq 50); do
  ip netns exec "$gen" ssh -i "$work/id" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR root@198.18.250.1 true 2>/dev/null && break
  sleep 0.1
done
# What svcbench may touch on the node, as the node shows it: links, addresses, routes (both
# families), static neighbours, the links' sysctls, IPv6 forwarding and every link's router
# advertisement setting (svcbench keeps accepting them where they were while it forwards), iptables
# and ip6tables rules and user chains (a table the kernel creates on first use, empty, is no
# change), nftables, its tool folder.
snapshot() {
  ip netns exec "$remote" sh -c 'ip -o addr; ip -o link | sed "s/ qdisc [a-z_]*//; s/ qlen.*//"; ip route; ip -6 route; ip neigh show nud permanent;
    sysctl net.ipv4.conf.svcb-ri.forwarding net.ipv4.conf.svcb-ro.forwarding net.ipv4.conf.svcb-ri.rp_filter net.ipv4.conf.svcb-ro.rp_filter;
    sysctl -a 2>/dev/null | grep -E "^net.ipv6.conf.[^ ]*.(forwarding|accept_ra|accept_dad|disable_ipv6|addr_gen_mode|router_solicitations) ";
    iptables-legacy-save | grep -E "^-|^:[^ ]+ - "; ip6tables-legacy-save | grep -E "^-|^:[^ ]+ - "; nft list ruleset; ls /var/tmp/svcbench 2>&1'
}
before=$(snapshot)
unchanged() { [[ $(snapshot) == "$before" ]] || { diff <(echo "$before") <(snapshot) >&2; return 1; }; }

# Links that carry the node's default route are refused, before anything changes.
msg=$(in_gen sweep "${ssh_args[@]}" --node-links svcb-rm1,svcb-ro --modes iptables-legacy --services 10 \
  --out "$work/refused" "${eal[@]}" 2>&1) && fail "a link carrying the default route was accepted"
[[ $msg == *"default route"* ]] || fail "unclear refusal: $msg"
unchanged || fail "a refused sweep changed the node"

# Both families side by side: the node's links carry 2001:2::/48 as well (IPv6 forwarding on
# for the sweep, off again after it).
in_gen sweep --warmup 0 "${ssh_args[@]}" --node-links svcb-ri,svcb-ro --modes iptables-legacy,nftables --services 10,3000 \
  --ip-family dual --packets 300 --repeats 1 --out "$work/run" "${eal[@]}" 2>"$work/log" \
  || fail "sweep on the ssh node: $(tail -3 "$work/log")"
jq -e '.context.node_kind == "ssh" and .config.node == "ssh" and .context.node_links == ["svcb-ri", "svcb-ro"]
       and .context.node_ip_families == ["ipv4", "ipv6"] and .config.ip_families == ["ipv4", "ipv6"]
       and (.progress.failed | length) == 0 and (.latency | length) == 64
       and ([.latency[] | select(.ip_family == "ipv6")] | length) == 32
       and all(.latency[]; .packets_rx == .packets_tx and .packets_tx == 300 and .misrouted == 0)
       and ([.updates[] | select(.seconds.median > 0)] | length) == 40' "$work/run/results.json" >/dev/null \
  || fail "ssh sweep results: $(jq -c '{c: .context, p: .progress}' "$work/run/results.json")"
# iptables walks KUBE-SERVICES (last of 3,000 costs microseconds more than the first); nftables does
# not; in either family.
slope() {
  jq -r --arg m "$1" --arg f "$2" '[.latency[] | select(.mode == $m and .ip_family == $f and .services == 3000 and .phase == "new-flow")] |
    ((map(select(.target == "last"))[0].latency_ns.min) - (map(select(.target == "first"))[0].latency_ns.min))' \
    "$work/run/results.json"
}
for family in ipv4 ipv6; do
  (($(slope iptables-legacy $family) > 3000)) || fail "iptables-legacy ($family) did not grow with the Services: $(slope iptables-legacy $family) ns"
  (($(slope nftables $family) < 3000)) || fail "nftables ($family) grew with the Services: $(slope nftables $family) ns"
done
unchanged || fail "the sweep left the node changed"

# The README's guide for a real cluster: its hook (kubectl apply/delete of the change's objects)
# and its sweep over ssh, both taken from the README as written — the sweep with this test's
# node, links and ssh options for the README's, and 10 and 50 Services for its 1,000 and 10,000.
# kubectl here is tests/integration/fake_kubectl (the objects kept as an API server would), the
# node's kube-proxy the stand-in, reaching the node by SVCBENCH_NODE_EXEC (ssh's command line).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
eval "$(sed -n "/^hook='case/,/esac'\$/p" "$root/README.md")"
[[ ${hook:-} == *"kubectl apply"* ]] || fail "no kubectl hook in the README"
readme_sweep=$(sed -n '/^svcbench sweep --node ssh --ssh-target root@node-1/,/--out results\/my-cluster$/p' "$root/README.md" |
  sed 's/\\$//' | tr '\n' ' ')
[[ $readme_sweep == *"--apply-hook \"\$hook\""* ]] || fail "no ssh sweep with the hook in the README: $readme_sweep"
readme_sweep=${readme_sweep/root@node-1/root@198.18.250.1}
readme_sweep=${readme_sweep/eth1,eth2/svcb-ri,svcb-ro}
readme_sweep=${readme_sweep/1000,10000/10,50}
readme_sweep=${readme_sweep/results\/my-cluster/\"\$work\/kubectl\"}
mkdir -p "$work/bin" && ln -s "$root/tests/integration/fake_kubectl" "$work/bin/kubectl"
ip netns exec "$gen" env SVCBENCH="$svcbench" "$root/scripts/standin-kube-proxy" run --state "$work/standin" \
  --min-sync-period 0.2 -- --cluster-cidr 10.244.0.0/16 2>"$work/standin.log" &
standin_pid=$!
svcbench() { in_gen "$@" "${ssh_args[@]:4}" --warmup 0 --packets 200 --repeats 1 "${eal[@]}"; }
export PATH="$work/bin:$PATH" FAKE_KUBECTL_STORE="$work/cluster.json" FAKE_KUBECTL_STANDIN="$work/standin"
eval "$readme_sweep" 2>"$work/kubectl.log" \
  || fail "the README's kubectl hook over ssh: $(tail -3 "$work/kubectl.log"; tail -3 "$work/standin.log")"
jq -e '(.progress.failed | length) == 0 and .config.program.by == "external"
       and ([.updates[] | select(.mode == "nftables")] | length) == 8
       and all(.updates[]; [.steps[].name] == ["apply hook", "rules visible"])
       and all(.latency[]; .packets_rx == .packets_tx and .misrouted == 0)' "$work/kubectl/results.json" >/dev/null \
  || fail "kubectl sweep results: $(jq -c '{p: .progress, u: [.updates[] | [.services, .operation]]}' "$work/kubectl/results.json")"
# Each change went to kubectl as the hook says: apply for what adds or alters, delete for what
# removes, and the cluster ended empty (the sweep's reset deleted what it had applied).
for line in "initial-load apply" "add-service apply" "remove-service delete" "change-endpoints apply" "reset delete"; do
  grep -q "^$line " "$work/cluster.json.log" || fail "no '$line' call: $(cat "$work/cluster.json.log")"
done
[[ $(jq '.items | length' "$work/cluster.json") == 0 ]] || fail "objects left in the fake cluster after the sweep"
kill "$standin_pid" && wait "$standin_pid" 2>/dev/null
standin_pid=""
# The programmer's table is the programmer's: kube-proxy --cleanup-proxyrules' part.
ip netns exec "$remote" nft delete table ip kube-proxy 2>/dev/null
unchanged || fail "the kubectl sweep left the node changed"

# SIGINT while the node loads rules: exit 130, and the node is as it was.
# (`sh -c exec` so that the pid signalled is svcbench's, not `ip netns exec`'s.)
ip netns exec "$gen" sh -c 'echo $$ >"$0"; exec "$@"' "$work/int.pid" "$svcbench" sweep "${ssh_args[@]}" \
  --node-links svcb-ri,svcb-ro --modes nftables --services 3000 --packets 300 --repeats 3 --out "$work/int" "${eal[@]}" \
  2>"$work/int.log" &
pid=$!
for _ in $(seq 300); do grep -q "rule updates" "$work/int.log" && break; sleep 0.1; done
sleep 1
kill -INT "$(cat "$work/int.pid")"
wait "$pid"
status=$?
[[ $status == 130 ]] || fail "SIGINT: exit $status, want 130 ($(tail -2 "$work/int.log"))"
unchanged || fail "SIGINT left the node changed"
[[ ! -e /run/svcbench/ssh-node.json ]] || fail "the undo record was left"
echo "ssh_node: ok"
