#!/usr/bin/env bash
# The capacity search against real nodes whose answer is known: a node policed on purpose to
# a known packet rate (an nftables limit in its namespace) is found at that rate within the search's
# width; a node that drops everything ends with NDR 0 and says so, in bounded time; SIGINT in
# the middle of a sweep's search leaves no node and a results.json that parses.
# The searches use a shorter duration sum than CSIT's 21 s (the same algorithm, fewer trials
# per load) so the test stays quick; the width is CSIT's.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test throughput
search=(--throughput --duration-sum 3 --phase established --target last --packets 200)

"$svcbench" testbed up >/dev/null 2>&1 || fail "testbed up"
"$svcbench" rules --base-jumps | ip netns exec svcb-node iptables-legacy-restore --noflush || fail "base jumps"
"$svcbench" rules --services 10 | ip netns exec svcb-node iptables-legacy-restore --noflush || fail "rules"

# 1. Policed at 20,000 packets/s as the node forwards (a bucket of 64 packets: two of the
# trials' 32-packet bursts): an nftables limit in a table of its own inside the node's
# namespace (this machine class's kernel has no tc police or gact).
rate=20000
ip netns exec svcb-node nft -f - <<NFT || fail "nft limit"
table ip svcb_police {
  chain forward {
    type filter hook forward priority -10; policy accept;
    limit rate over $rate/second burst 64 packets drop
  }
}
NFT
timeout 600 "$svcbench" run --mode iptables-legacy "${search[@]}" --out "$work/policed.json" 2>"$work/policed.log" \
  || fail "policed search: $(tail -3 "$work/policed.log")"
jq -c '.throughput[0] | {goals: (.goals | map_values({lower_pps, upper_pps, conditional_pps})), trials: .search.trials}' "$work/policed.json"
# Zero loss is found within 5% below the policed rate: a sanitized generator paces its 32-frame
# bursts less evenly, and two bunched bursts overflow the 64-packet bucket (a clean-clone run's
# sanitized pass found 19,480).
jq -e --argjson r $rate '.throughput[0].goals.ndr as $g
  | ($g.lower_pps <= $r * 1.01) and ($g.lower_pps >= $r * 0.95) and ($g.upper_pps > $g.lower_pps)
    and (($g.upper_pps - $g.lower_pps) / $g.upper_pps <= 0.005)' "$work/policed.json" >/dev/null \
  || fail "policed at $rate pps, the search found: $(jq -c '.throughput[0].goals' "$work/policed.json")"
# PDR tolerates 0.5% loss: at or a little above the policed rate, never below NDR.
jq -e --argjson r $rate '.throughput[0].goals as $g | $g.pdr.lower_pps >= $g.ndr.lower_pps and $g.pdr.lower_pps <= $r * 1.02' \
  "$work/policed.json" >/dev/null || fail "PDR: $(jq -c '.throughput[0].goals.pdr' "$work/policed.json")"
# Below the PDR the node loses no more than the PDR's own 0.5%: a generator that stalls for a few
# ms (a sanitized one, on a busy core) sends the packets it owes back to back, and more than 64
# of them overflow the policer's bucket (a clean-clone sanitized run lost 40 of 10,000 at 50%).
jq -e '.throughput[0] | .latency_at_load | length == 3
       and all(.[]; .packets_lost <= .packets_tx * 0.005 and .misrouted == 0)' \
  "$work/policed.json" >/dev/null || fail "latency at 10/50/90% of the PDR lost packets: $(jq -c '.throughput[0].latency_at_load | map({fraction, rate_pps, packets_tx, packets_lost})' "$work/policed.json")"

# 2. A node that drops everything: NDR 0 and a clear message, not a hang.
ip netns exec svcb-node nft flush chain ip svcb_police forward || fail "nft flush"
ip netns exec svcb-node nft add rule ip svcb_police forward drop || fail "nft drop"
timeout 300 "$svcbench" run --mode iptables-legacy "${search[@]}" --out "$work/dropping.json" 2>"$work/dropping.log" \
  || fail "search against a dropping node: exit $?: $(tail -3 "$work/dropping.log")"
jq -e '.throughput[0] | .goals.ndr.lower_pps == 0 and .goals.pdr.lower_pps == 0 and (.message | test("lost frames even at"))' \
  "$work/dropping.json" >/dev/null || fail "dropping node: $(jq -c '.throughput[0] | {goals, message}' "$work/dropping.json")"
grep -q "lost frames even at" "$work/dropping.log" || fail "the message is not on stderr: $(tail -3 "$work/dropping.log")"
"$svcbench" testbed down >/dev/null 2>&1

# 3. SIGINT during a sweep's search: exit 130, no node left, results that parse.
"$svcbench" sweep --warmup 0 --throughput --duration-sum 3 --modes iptables-legacy --services 10 --packets 200 --repeats 1 \
  --out "$work/interrupted" 2>"$work/sweep.log" &
pid=$!
wait_for "$work/sweep.log" ": capacity " 60 || fail "the sweep never started a search: $(tail -3 "$work/sweep.log")"
sleep 2
kill -INT $pid
wait $pid
code=$?
[[ $code == 130 ]] || fail "sweep after SIGINT: exit $code, want 130: $(tail -3 "$work/sweep.log")"
jq -e '.progress.state == "interrupted" and (.throughput // [] | length) == 0' "$work/interrupted/results.json" >/dev/null \
  || fail "results after SIGINT: $(jq -c .progress "$work/interrupted/results.json" 2>&1)"
[[ -z $(ip netns list | grep '^svcb-') ]] || fail "namespaces left after SIGINT: $(ip netns list | grep '^svcb-')"
compgen -G "/run/dpdk/svcb-*" >/dev/null && fail "DPDK runtime files left"
echo "throughput: policed node found at its rate, dropping node NDR 0, SIGINT clean"
