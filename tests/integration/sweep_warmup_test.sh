#!/usr/bin/env bash
# Against time effects, on the netns node: a sweep warms up until its back-to-back p50 holds
# still and records how (windows, their p50s, seconds), measures the baseline at its start and
# its end (after the node is emptied and the stream settles again) with their drift, and measures its points in the recorded seed's order. SIGINT during
# the warm-up leaves a resumable results.json and nothing running; the resumed sweep warms up
# again (its machine is as cold) and finishes.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test sweep_warmup

args=(--quick --modes iptables-legacy,nftables --services 10,100 --order-seed 7)
"$svcbench" sweep "${args[@]}" --out "$work/run" 2>"$work/run.log" &
pid=$!
wait_for "$work/run.log" "warm-up: " 60 || fail "no warm-up line: $(cat "$work/run.log")"
sleep 1
kill -INT "$pid"
wait "$pid"
code=$?
[[ $code == 130 ]] || fail "SIGINT during the warm-up: exit $code, want 130: $(tail -3 "$work/run.log")"
jq -e '.progress.state == "interrupted" and .progress.completed == [] and .baseline == null' \
  "$work/run/results.json" >/dev/null || fail "after SIGINT: $(jq -c .progress "$work/run/results.json")"
[[ -z $(ip netns list | grep '^svcb-') ]] || fail "namespaces left after SIGINT in the warm-up"

"$svcbench" sweep --resume "$work/run" 2>"$work/resume.log" || fail "resume: $(tail -3 "$work/resume.log")"
grep -q "warm-up stable after\|warm-up NOT stable after" "$work/resume.log" || fail "the resumed sweep did not warm up"
jq -e '.progress.state == "finished" and (.progress.completed | length) == 5
       and .config.order == "shuffled" and .config.order_seed == 7
       and .warmup.window_packets == 5000 and (.warmup.window_p50_ns | length) >= 5
       and (.warmup.seconds > 0) and (.warmup.window_p50_ns | all(. > 0))
       and (.warmup_end.window_p50_ns | length) >= 5
       and .baseline.packets_rx == .baseline.packets_tx and .baseline_end.packets_rx == .baseline_end.packets_tx
       and (.baseline_drift.ratio > 0) and (.baseline_drift | has("flagged"))
       and .baseline_drift.start_p50_ns == .baseline.latency_ns.p50
       and .baseline_drift.end_p50_ns == .baseline_end.latency_ns.p50' "$work/run/results.json" >/dev/null \
  || fail "results: $(jq -c '{warmup, baseline_drift, order: .config.order, seed: .config.order_seed, progress}' "$work/run/results.json")"
grep -q '^baseline-end,' "$work/run/summary.csv" || fail "summary.csv has no baseline-end row"
/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/../../scripts/plot_results.py" "$work/run" >/dev/null || fail "plots"
grep -q "at the end p50" "$work/run/report.html" && grep -q "Warm-up: " "$work/run/report.html" \
  && grep -q "Points measured shuffled (seed 7)" "$work/run/report.html" || fail "the report does not tell the warm-up, both baselines and the order"
# A grouped sweep (the order before shuffling) still runs, and says so.
"$svcbench" sweep --quick --warmup 0 --order grouped --modes iptables-legacy --services 10 --out "$work/grouped" \
  2>"$work/grouped.log" || fail "grouped sweep: $(tail -3 "$work/grouped.log")"
jq -e '.config.order == "grouped" and .warmup == null and .warmup_end == null and .baseline_end != null' "$work/grouped/results.json" >/dev/null \
  || fail "grouped sweep results: $(jq -c '{order: .config.order, warmup}' "$work/grouped/results.json")"
echo "sweep_warmup: ok"
