#!/usr/bin/env bash
# `svcbench run` against a node loaded by hand: the pcap `rules --pcap` writes replays through
# the node DNAT-ed to the right endpoints, and a capture aimed elsewhere is mapped onto the
# loaded Services with --map-services (and refused without it).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test run_pcap

"$svcbench" testbed up 2>/dev/null || fail "testbed up"
"$svcbench" rules --base-jumps | ip netns exec svcb-node iptables-legacy-restore --noflush || fail "base jumps"
"$svcbench" rules --services 40 --cluster-cidr 198.18.128.0/17 --pcap "$work/services.pcap" \
  | ip netns exec svcb-node iptables-legacy-restore --noflush --counters || fail "loading rules"

"$svcbench" run --pcap "$work/services.pcap" --loops 25 --phase new-flow --rate 20000 --out "$work/asis.json" \
  || fail "replay as captured"
jq -e '.latency[0] | .packets_tx == 1000 and .packets_rx == 1000 and .misrouted == 0 and .target == "pcap"' \
  "$work/asis.json" >/dev/null || fail "as-captured replay: $(jq -c '.latency[0]' "$work/asis.json")"

# A capture of traffic to a real cluster's Services (10.96.0.x), which the node does not have.
cat >"$work/cluster.json" <<'JSON'
{"apiVersion": "v1", "kind": "List", "items": [
 {"kind": "Service", "metadata": {"namespace": "shop", "name": "web"},
  "spec": {"clusterIP": "10.96.0.10", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}},
 {"kind": "Service", "metadata": {"namespace": "kube-system", "name": "dns"},
  "spec": {"clusterIP": "10.96.0.53", "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}]}},
 {"kind": "EndpointSlice", "metadata": {"namespace": "shop", "name": "web-1", "labels": {"kubernetes.io/service-name": "web"}},
  "addressType": "IPv4", "endpoints": [{"addresses": ["10.244.0.5"]}], "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]},
 {"kind": "EndpointSlice", "metadata": {"namespace": "kube-system", "name": "dns-1", "labels": {"kubernetes.io/service-name": "dns"}},
  "addressType": "IPv4", "endpoints": [{"addresses": ["10.244.0.9"]}], "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}]}
]}
JSON
"$svcbench" rules --from "$work/cluster.json" --out "$work/cluster.rules" --pcap "$work/foreign.pcap" || fail "rules --from"
grep -q -- "-d 10.96.0.53 --dport 53" "$work/cluster.rules" || fail "imported Service not rendered"
"$svcbench" run --pcap "$work/foreign.pcap" --phase new-flow --out "$work/none.json" 2>"$work/err" \
  && fail "a capture that targets no loaded Service was replayed without --map-services"
grep -q "map-services" "$work/err" || fail "no hint to --map-services: $(cat "$work/err")"
"$svcbench" run --pcap "$work/foreign.pcap" --map-services --loops 100 --phase new-flow --capture-timing --speed 10 \
  --out "$work/mapped.json" || fail "mapped replay"
jq -e '.latency[0] | .packets_tx == 200 and .packets_rx == 200 and .misrouted == 0' "$work/mapped.json" >/dev/null \
  || fail "mapped replay: $(jq -c '.latency[0]' "$work/mapped.json")"
# A node loaded by hand with a real cluster's addresses: svcbench refuses to aim at them.
ip netns exec svcb-node iptables-legacy-restore --noflush --counters <"$work/cluster.rules" || fail "loading the cluster's rules"
if "$svcbench" run --pcap "$work/foreign.pcap" --phase new-flow --out "$work/outside.json" 2>"$work/err"; then
  fail "sent to 10.96.0.0/12 addresses without --allow-any-address"
fi
grep -q "outside the benchmarking range" "$work/err" || fail "no clear refusal: $(cat "$work/err")"
[[ ! -e $work/outside.json ]] || fail "a refused run wrote its output"
echo "run_pcap: ok"
