#!/usr/bin/env bash
# Endpoint profiles on a real node: `svcbench profile` reads a cluster's endpoints-per-Service
# histogram, `rules --endpoints-profile file:` draws Services in its shape and they load and carry
# traffic, and a sweep with the ClusterLoader2 mix records it and every target's endpoints.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test endpoint_profile
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# A cluster of 40 selector-less Services: 30 with 3 endpoints, 9 with 12, 1 with 60.
python3 - "$work/cluster.json" <<'PY'
import json, sys
items = []
for i in range(40):
    n = 3 if i < 30 else 12 if i < 39 else 60
    items.append({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "shop", "name": f"s{i}"},
                  "spec": {"type": "ClusterIP", "clusterIP": f"10.96.0.{i + 1}",
                           "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}})
    items.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                  "metadata": {"namespace": "shop", "name": f"s{i}-a", "labels": {"kubernetes.io/service-name": f"s{i}"}},
                  "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                  "endpoints": [{"addresses": [f"10.1.{i}.{e + 1}"], "conditions": {"ready": True}} for e in range(n)]})
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[1], "w"))
PY
"$svcbench" profile --from "$work/cluster.json" --out "$work/profile.txt" || fail "profile"
[[ $(grep -v '^#' "$work/profile.txt") == $'3 30\n12 9\n60 1' ]] || fail "profile: $(cat "$work/profile.txt")"

"$svcbench" testbed up 2>/dev/null || fail "testbed up"
"$svcbench" rules --base-jumps | ip netns exec svcb-node iptables-legacy-restore --noflush || fail "base jumps"
"$svcbench" rules --services 300 --endpoints-profile "file:$work/profile.txt" --cluster-cidr 198.18.128.0/17 \
  --out "$work/drawn.rules" || fail "rules from the profile"
seps=$(grep -c '^:KUBE-SEP-' "$work/drawn.rules")
((seps > 300 * 4 && seps < 300 * 10)) || fail "300 Services drawn from a 6.7-endpoint profile have $seps endpoints"
grep -q -- '--probability 0.0166666667 ' "$work/drawn.rules" || fail "no Service drew the 60-endpoint bucket"
ip netns exec svcb-node iptables-legacy-restore --noflush <"$work/drawn.rules" || fail "loading the drawn rules"
"$svcbench" run --target all --phase new-flow --packets 300 --out "$work/run.json" || fail "run"
jq -e '[.latency[] | .packets_tx == .packets_rx and .misrouted == 0] | all' "$work/run.json" >/dev/null \
  || fail "traffic: $(jq -c '[.latency[] | [.target, .packets_rx, .misrouted]]' "$work/run.json")"
jq -e '[.latency[] | select(.target != "uniform") | .target_endpoints > 0] | all' "$work/run.json" >/dev/null \
  || fail "no target_endpoints in run entries"
# The Services differ in endpoints: `--target all` adds the one with the most (the 60-endpoint one).
jq -e '[.latency[] | select(.target == "most-endpoints") | .target_endpoints] == [60]' "$work/run.json" >/dev/null \
  || fail "most-endpoints target: $(jq -c '[.latency[] | [.target, .target_endpoints]]' "$work/run.json")"
"$svcbench" testbed down 2>/dev/null || fail "testbed down"

# The ClusterLoader2 mix in a sweep: recorded, resumable, every packet to its endpoints.
"$svcbench" sweep --quick --modes iptables-legacy --services 10,170 --endpoints-profile cl2 --out "$work/sweep" \
  2>"$work/sweep.err" || fail "cl2 sweep: $(tail -3 "$work/sweep.err")"
jq -e '.config.endpoints_profile.name == "cl2" and .config.endpoints_per_service == [5, 250]
       and ([.latency[] | .packets_lost == 0 and .misrouted == 0] | all)
       and ([.latency[] | select(.target != "uniform") | .target_endpoints] | all(. == 5 or . == 30 or . == 250))
       and ([.latency[] | select(.target == "most-endpoints") | [.services, .target_endpoints]] == [[170, 250], [170, 250]])' \
  "$work/sweep/results.json" >/dev/null || fail "cl2 sweep results: $(jq -c '.config.endpoints_profile, .progress' "$work/sweep/results.json")"
/usr/bin/python3 "$root/scripts/plot_results.py" "$work/sweep" >/dev/null || fail "plots"
grep -q 'endpoints per Service: cl2' "$work/sweep/report.html" || fail "the report does not name the profile"
# first/middle/last are 5-endpoint Services at both sizes; most-endpoints (250) lets the report
# split what a new flow pays per KUBE-SERVICES rule from what it pays per endpoint.
grep -q 'ns per endpoint of the target' "$work/sweep/report.html" || fail "the report has no per-endpoint cost"
grep -q 'most-endpoints (250 endpoints)' "$work/sweep/report.html" || fail "the report does not name the target's endpoints"
echo "endpoint_profile: ok"
