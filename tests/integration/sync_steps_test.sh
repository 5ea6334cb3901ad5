#!/usr/bin/env bash
# kube-proxy's syncs step by step on the netns node, with the real tools: every update entry of
# a sweep lists the tools kube-proxy's proxier runs for that sync, each timed with its user and
# kernel CPU time (iptables: ensure-jumps on full syncs, iptables-save -t nat unless large-cluster
# mode read it within the sync period, iptables-restore; nftables: stale-chain transaction,
# listings, transaction), and the nftables variants (--nft-list full-syncs, --nft-split-cold-start)
# change exactly those steps while every packet still reaches its Service's endpoints.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test sync_steps

# 1,500 Services x 2 endpoints: large-cluster mode (more than 1,000 endpoints).
"$svcbench" sweep --quick --modes iptables-legacy,iptables-nft,nftables --services 10,1500 \
  --out "$work/steps" 2>"$work/steps.log" || fail "sweep: $(tail -3 "$work/steps.log")"
r="$work/steps/results.json"
names() { jq -c --arg m "$1" --argjson n "$2" --arg op "$3" \
  '[.updates[] | select(.mode == $m and .services == $n and .operation == $op) | .steps[].name]' "$r"; }
for m in iptables-legacy iptables-nft; do
  [[ $(names $m 10 initial-load) == '["ensure-jumps","iptables-save -t nat","iptables-restore"]' ]] \
    || fail "$m initial-load steps: $(names $m 10 initial-load)"
  [[ $(names $m 10 add-service) == '["iptables-save -t nat","iptables-restore"]' ]] \
    || fail "$m add-service steps at 10: $(names $m 10 add-service)"
  [[ $(names $m 1500 add-service) == '["iptables-restore"]' ]] \
    || fail "$m add-service in large-cluster mode read the table back: $(names $m 1500 add-service)"
done
[[ $(names nftables 1500 initial-load) == '["nft list table","nft -f"]' ]] \
  || fail "nftables initial-load steps: $(names nftables 1500 initial-load)"
jq -e '[.updates[] | select(.mode == "nftables" and .operation == "change-endpoints") | .steps[].name]
       | index("nft -f (stale chains)") != null' "$r" >/dev/null \
  || fail "no stale-chain transaction before change-endpoints: $(names nftables 1500 change-endpoints)"
# Every step was measured: wall time, and the tool's CPU time from its rusage.
jq -e '[.updates[] | .steps[] | .seconds >= 0 and .user_seconds >= 0 and .system_seconds >= 0
        and .invocations >= 1] | all and length > 20' "$r" >/dev/null \
  || fail "a step without its times: $(jq -c '[.updates[] | .steps[] | select(.user_seconds == null)] | .[0]' "$r")"
jq -e '[.updates[] | .sync_seconds.median >= .seconds.median] | all' "$r" >/dev/null \
  || fail "a sync shorter than its writing tool"
jq -e '.config.kube_proxy.nft_list == "every-sync" and .config.kube_proxy.nft_split_cold_start == 0' "$r" >/dev/null \
  || fail "the releases' sync not recorded: $(jq -c .config.kube_proxy "$r")"

# The upstream variants on the nftables mode.
# Services of 1 and 2 endpoints: --nft-single-endpoint-goto rewrites the first kind's dispatch only.
"$svcbench" sweep --quick --modes nftables --services 10,300 --endpoints 1-2 --nft-list full-syncs \
  --nft-split-cold-start 200 --nft-single-endpoint-goto --out "$work/variants" 2>"$work/variants.log" \
  || fail "variant sweep: $(tail -3 "$work/variants.log")"
v="$work/variants/results.json"
jq -e '.config.kube_proxy.nft_list == "full-syncs" and .config.kube_proxy.nft_split_cold_start == 200
       and .config.kube_proxy.nft_single_endpoint_goto' "$v" >/dev/null \
  || fail "variants not recorded: $(jq -c .config.kube_proxy "$v")"
jq -e '[.updates[] | select(.operation == "add-service" or .operation == "remove-service") | .steps[].name]
       | (index("nft list table") == null) and (index("nft -f") != null)' "$v" >/dev/null \
  || fail "a partial sync listed with --nft-list full-syncs: $(jq -c '[.updates[] | [.operation, [.steps[].name]]]' "$v")"
jq -e '[.updates[] | select(.operation == "initial-load" and .services == 300) | .steps[]
        | select(.name == "nft -f") | .invocations] | .[0] > 3' "$v" >/dev/null \
  || fail "the cold start was not split: $(jq -c '[.updates[] | select(.operation == "initial-load") | .steps]' "$v")"
jq -e '[.latency[] | .packets_lost == 0 and .misrouted == 0] | all and length > 0' "$v" >/dev/null \
  || fail "traffic through split-loaded rules: $(jq -c '[.latency[] | [.services, .target, .packets_lost]]' "$v")"
echo "sync_steps: ok"
