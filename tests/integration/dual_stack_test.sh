#!/usr/bin/env bash
# IPv6 and dual-stack on the netns node, with the README's commands: the IPv6 proxier's rules
# (ip6tables on both backends, table ip6 kube-proxy) load as kube-proxy writes them, every IPv6
# UDP datagram and TCP SYN to them is DNAT-ed to its Service's endpoints, and a dual-stack sweep
# measures both families side by side (the back-to-back baseline too), each entry saying its
# ip_family, with plots per family.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test dual_stack
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# every latency entry of FILE: all packets back, none misrouted, IPv6, N entries
check_run() {
  jq -e --argjson n "$2" '[.latency[] | .packets_tx == .packets_rx and .misrouted == 0 and .ip_family == "ipv6"] | all and length == $n' \
    "$1" >/dev/null || fail "$3: $(jq -c '[.latency[] | [.ip_family, .target, .phase, .packets_tx, .packets_rx, .misrouted]]' "$1")"
}

"$svcbench" testbed up 2>/dev/null || fail "testbed up"
for backend in legacy nft; do
  "$svcbench" rules --base-jumps | ip netns exec svcb-node ip6tables-$backend-restore --noflush || fail "ip6tables base jumps ($backend)"
  "$svcbench" rules --ip-family ipv6 --services 1000 --nodeport-share 0.3 --cluster-cidr 2001:2:0:8000::/64 \
    --pcap "$work/v6.pcap" | ip netns exec svcb-node ip6tables-$backend-restore --noflush || fail "IPv6 rules ($backend)"
  saved6=$(ip netns exec svcb-node ip6tables-$backend-save -t nat)  # (grep -q on a pipe: SIGPIPE under pipefail)
  grep -q -- '-d 2001:2:0:1::3e8/128 .*-j KUBE-SVC-' <<<"$saved6" || fail "the 1,000th IPv6 ClusterIP is not in KUBE-SERVICES ($backend)"
  grep -q -- '^-A KUBE-SERVICES ! -d ::1/128 .*--dst-type LOCAL -j KUBE-NODEPORTS$' <<<"$saved6" || fail "no IPv6 NodePorts jump ($backend)"
  "$svcbench" run --mode iptables-$backend --ip-family ipv6 --target all --phase both --packets 300 \
    --out "$work/run6-$backend.json" || fail "IPv6 run ($backend)"
  check_run "$work/run6-$backend.json" 8 "IPv6 traffic through ip6tables-$backend"
  # The capture `rules --pcap` wrote beside them: one IPv6 packet per frontend, replayed.
  "$svcbench" pcap inspect "$work/v6.pcap" | jq -e '.ipv6 == 1000 and .ipv4 == 0' >/dev/null || fail "IPv6 pcap ($backend)"
  "$svcbench" run --mode iptables-$backend --ip-family ipv6 --pcap "$work/v6.pcap" --phase new-flow \
    --out "$work/pcap6-$backend.json" || fail "IPv6 pcap replay ($backend)"
  check_run "$work/pcap6-$backend.json" 1 "IPv6 capture through ip6tables-$backend"
  "$svcbench" testbed down 2>/dev/null && "$svcbench" testbed up 2>/dev/null || fail "testbed cycle"
done

"$svcbench" rules --mode nftables --ip-family ipv6 --services 1000 --cluster-cidr 2001:2:0:8000::/64 \
  | ip netns exec svcb-node nft -f - || fail "table ip6 kube-proxy"
listed=$(ip netns exec svcb-node nft list map ip6 kube-proxy service-ips)
grep -q '2001:2:0:1::3e8 . ' <<<"$listed" || fail "the 1,000th IPv6 ClusterIP is not in service-ips"
"$svcbench" run --mode nftables --ip-family ipv6 --target all --phase both --packets 300 --out "$work/run6-nft.json" \
  || fail "IPv6 run (nftables)"
check_run "$work/run6-nft.json" 8 "IPv6 traffic through table ip6 kube-proxy"
"$svcbench" testbed down 2>/dev/null || fail "testbed down"

# The dual-stack sweep: both families per mode and count, plots per family.
"$svcbench" sweep --quick --ip-family dual --modes iptables-legacy,nftables --services 10,100 --out "$work/sweep" \
  2>"$work/sweep.err" || fail "dual-stack sweep: $(tail -3 "$work/sweep.err")"
r="$work/sweep/results.json"
jq -e '.config.ip_families == ["ipv4", "ipv6"] and (.progress.completed | index("nftables/ipv6/100") != null)
       and ([.latency[] | select(.ip_family == "ipv6")] | length == 32)
       and ([.updates[] | select(.ip_family == "ipv6")] | length == 20)
       and ([.latency[] | .packets_lost == 0 and .misrouted == 0] | all)
       and .baseline.ip_family == "ipv4" and .baseline_ipv6.ip_family == "ipv6"
       and .baseline_ipv6.packets_rx == .baseline_ipv6.packets_tx and .baseline_ipv6.packets_tx > 0
       and .baseline_end_ipv6.ip_family == "ipv6" and (.baseline_drift_ipv6.ratio > 0)' "$r" >/dev/null \
  || fail "dual-stack results: $(jq -c '.progress, .config.ip_families, [.baseline_ipv6, .baseline_drift_ipv6]' "$r")"
# The baseline in both families: summary rows, the report's sentence, each family's plot its own.
[[ $(grep -cE '^baseline(-end)?,baseline,ipv6,' "$work/sweep/summary.csv") == 2 ]] || fail "no IPv6 baseline rows in summary.csv"
/usr/bin/python3 "$root/scripts/plot_results.py" "$work/sweep" >/dev/null || fail "plots"
for plot in families_vs_services latency_vs_services_ipv4 latency_vs_services_ipv6 update_time_vs_services_ipv6; do
  [[ -s "$work/sweep/$plot.png" ]] || fail "no $plot.png"
done
grep -q 'latency_vs_services_ipv6.png' "$work/sweep/report.html" || fail "the report does not show the IPv6 plots"
grep -q 'IPv6: back-to-back baseline (no node) at the start' "$work/sweep/report.html" || fail "the report does not give IPv6's baseline"
echo "dual_stack: ok"
