#!/usr/bin/env bash
# kube-proxy's flavours and flags on a real node: kube-proxy 1.12's rules load with
# iptables-legacy-restore and iptables-nft-restore exactly as the README shows, every packet to
# them is DNAT-ed to its Service's endpoints, and a sweep in that flavour records it; today's
# rules with --masquerade-all, --nodeport-addresses and --no-localhost-nodeports load too, and
# --nfacct's rules load over the counters svcbench creates, with traffic through them.
# (IPv6 and dual-stack: dual_stack_test.sh.)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test kube_proxy_flags

"$svcbench" testbed up 2>/dev/null || fail "testbed up"
for backend in legacy nft; do
  # The README's commands, with the 1.12 flavour.
  "$svcbench" rules --base-jumps --kube-proxy-version 1.12 | ip netns exec svcb-node iptables-$backend-restore --noflush \
    || fail "1.12 base jumps ($backend)"
  "$svcbench" rules --services 1000 --kube-proxy-version 1.12 --cluster-cidr 198.18.128.0/17 \
    | ip netns exec svcb-node iptables-$backend-restore --noflush || fail "1.12 rules ($backend)"
  # 1.12 masqueraded off-cluster traffic in KUBE-SERVICES itself (today: in each KUBE-SVC- chain).
  saved=$(ip netns exec svcb-node iptables-$backend-save -t nat)  # (grep -q on a pipe: SIGPIPE under pipefail)
  grep -q -- '^-A KUBE-SERVICES ! -s 198.18.128.0/17 .*-j KUBE-MARK-MASQ$' <<<"$saved" \
    || fail "1.12's rules are not what the node holds ($backend)"
  "$svcbench" run --mode iptables-$backend --target all --phase both --packets 300 --out "$work/run-$backend.json" \
    || fail "run against 1.12's rules ($backend)"
  jq -e '[.latency[] | .packets_tx == .packets_rx and .misrouted == 0] | all and length == 8' \
    "$work/run-$backend.json" >/dev/null || fail "1.12 traffic ($backend): $(jq -c '[.latency[] | [.target, .phase, .packets_tx, .packets_rx, .misrouted]]' "$work/run-$backend.json")"
  # kube_chains_removal takes 1.12's chains (KUBE-XLB-, kubelet's) too: the node is clean again.
  "$svcbench" testbed down 2>/dev/null && "$svcbench" testbed up 2>/dev/null || fail "testbed cycle"
done

# Today's rules with kube-proxy's rule-changing flags load as written.
"$svcbench" rules --base-jumps | ip netns exec svcb-node iptables-legacy-restore --noflush || fail "base jumps"
"$svcbench" rules --services 200 --nodeport-share 0.5 --masquerade-all --nodeport-addresses 198.18.0.0/28 \
  --node-ip 198.18.0.1 --node-ip 198.18.0.9 --no-localhost-nodeports --out "$work/flags.rules" || fail "rules with flags"
ip netns exec svcb-node iptables-legacy-restore --noflush <"$work/flags.rules" || fail "loading rules with flags"
saved=$(ip netns exec svcb-node iptables-legacy-save -t nat)
grep -q -- '-d 198.18.0.1/32 .*-j KUBE-NODEPORTS' <<<"$saved" || fail "no NodePort jump for 198.18.0.1"
grep -q -- '-d 198.18.0.9/32 .*-j KUBE-NODEPORTS' <<<"$saved" || fail "no NodePort jump for 198.18.0.9"
grep -q -- '--dst-type LOCAL -j KUBE-NODEPORTS' <<<"$saved" && fail "the addrtype jump stayed beside --nodeport-addresses"
"$svcbench" run --target all --phase new-flow --packets 300 --out "$work/flags.json" || fail "run against flagged rules"
jq -e '[.latency[] | .packets_tx == .packets_rx and .misrouted == 0] | all' "$work/flags.json" >/dev/null \
  || fail "traffic with --masquerade-all: $(jq -c '[.latency[] | [.target, .packets_rx, .misrouted]]' "$work/flags.json")"
"$svcbench" testbed down 2>/dev/null || fail "testbed down"

# --nfacct: svcbench creates kube-proxy's counters on the node before the first restore (as its
# nfacct Ensure does), so rules naming them load, and traffic crosses them.
"$svcbench" testbed up 2>/dev/null || fail "testbed up (nfacct)"
"$svcbench" run --mode iptables-legacy --during add-service --services 50 --nfacct --convergence-runs 1 \
  --target last --phase new-flow --packets 300 --out "$work/nfacct.json" 2>"$work/nfacct.err" \
  || fail "run --nfacct: $(tail -3 "$work/nfacct.err")"
for counter in ct_state_invalid_dropped_pkts localhost_nps_accepted_pkts; do
  ip netns exec svcb-node nfacct get "$counter" >/dev/null || fail "no nfacct counter $counter on the node"
done
saved=$(ip netns exec svcb-node iptables-legacy-save)
grep -qE -- '--nfacct-name +ct_state_invalid_dropped_pkts' <<<"$saved" || fail "the loaded rules name no nfacct counter"
jq -e '[.latency[] | .packets_tx == .packets_rx and .misrouted == 0] | all and length > 0' "$work/nfacct.json" >/dev/null \
  || fail "traffic through --nfacct rules: $(jq -c '[.latency[] | [.target, .packets_rx, .misrouted]]' "$work/nfacct.json")"
"$svcbench" testbed down 2>/dev/null || fail "testbed down (nfacct)"

# A sweep in the 1.12 flavour: iptables modes only, the flavour in the config and the titles.
"$svcbench" sweep --quick --services 10,100 --kube-proxy-version 1.12 --out "$work/sweep" 2>"$work/sweep.err" \
  || fail "1.12 sweep: $(tail -3 "$work/sweep.err")"
jq -e '.config.kube_proxy.version == "1.12" and (.config.modes | all(startswith("iptables")))
       and (.config.kube_proxy.releases["iptables-legacy"] | startswith("kube-proxy 1.12"))
       and ([.latency[] | .packets_lost == 0] | all) and (.latency | length > 0)' "$work/sweep/results.json" >/dev/null \
  || fail "1.12 sweep results: $(jq -c '.config.kube_proxy, .config.modes' "$work/sweep/results.json")"

# kube-proxy 1.31-1.33's nftables layout (--kube-proxy-version 1.33) loads with nft as docs/kube-proxy.md
# shows, its base chains are the node's, and every packet to it is DNAT-ed to its Service's endpoints.
"$svcbench" testbed up 2>/dev/null || fail "testbed up (1.33)"
"$svcbench" rules --mode nftables --kube-proxy-version 1.33 --services 1000 --cluster-cidr 198.18.128.0/17 \
  | ip netns exec svcb-node nft -f - || fail "1.33 nftables rules"
listed=$(ip netns exec svcb-node nft list chain ip kube-proxy filter-output-post-dnat) \
  || fail "no filter-output-post-dnat chain on the node"
grep -q 'priority dstnat + 10' <<<"$listed" || grep -q 'priority -90' <<<"$listed" \
  || fail "filter-output-post-dnat is not at DNAT+10: $listed"
ip netns exec svcb-node nft list chain ip kube-proxy filter-output-pre-dnat >/dev/null 2>&1 \
  && fail "1.34's filter-output-pre-dnat is on a 1.33 node"
"$svcbench" run --mode nftables --target all --phase both --packets 300 --out "$work/run-1.33.json" \
  || fail "run against 1.33's nftables rules"
jq -e '[.latency[] | .packets_tx == .packets_rx and .misrouted == 0] | all and length == 8' "$work/run-1.33.json" >/dev/null \
  || fail "1.33 traffic: $(jq -c '[.latency[] | [.target, .phase, .packets_tx, .packets_rx, .misrouted]]' "$work/run-1.33.json")"
"$svcbench" testbed down 2>/dev/null || fail "testbed down (1.33)"
# Its sweep takes the nftables mode alone and names the release.
"$svcbench" sweep --quick --services 10,100 --kube-proxy-version 1.33 --out "$work/sweep-1.33" 2>"$work/sweep-1.33.err" \
  || fail "1.33 sweep: $(tail -3 "$work/sweep-1.33.err")"
jq -e '.config.kube_proxy.version == "1.33" and .config.modes == ["nftables"]
       and (.config.kube_proxy.releases.nftables | startswith("kube-proxy 1.31-1.33"))
       and ([.latency[] | .packets_lost == 0] | all) and (.latency | length > 0)' "$work/sweep-1.33/results.json" >/dev/null \
  || fail "1.33 sweep results: $(jq -c '.config.kube_proxy, .config.modes' "$work/sweep-1.33/results.json")"
echo "kube_proxy_flags: ok"
