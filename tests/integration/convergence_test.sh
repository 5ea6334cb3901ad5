#!/usr/bin/env bash
# Rule updates under a held load against the real netns node (iptables-legacy):
#  1. every operation: probes converge after the update starts and by the time it returns,
#     removed endpoints stop receiving new flows and (with kube-proxy's conntrack deletion)
#     the established UDP flow, nothing misrouted, a timeline and the buckets written;
#  2. without the deletion the UDP flow keeps reaching the removed endpoint to the end;
#  3. an update the node rejects (a chain of ours holds kube-proxy's endpoint chains, so the
#     restore deleting them fails) ends the run at once with the tool's error, exit 2,
#     nothing written, nothing left running;
#  4. SIGINT in the middle of a timeline: exit 130, "interrupted", nothing left running;
#  5. `sweep --under-load`: convergence rows in results.json and summary.csv, the config
#     recorded, and the plots drawn.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test convergence
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
common=(--mode iptables-legacy --phase established --target last --packets 200 --services 20
        --load-rate 2000)
no_svcbench_left() {
  pgrep -x svcbench >/dev/null && fail "an svcbench process is still running after $1"
  compgen -G "/run/dpdk/svcb-*" >/dev/null && fail "DPDK runtime files left after $1"
  return 0
}

"$svcbench" testbed up >/dev/null 2>&1 || fail "testbed up"

# 1. Every operation, three runs each.
timeout 300 "$svcbench" run "${common[@]}" --during all --convergence-runs 3 --out "$work/all.json" \
  2>"$work/all.log" || fail "run --during all: $(tail -3 "$work/all.log")"
jq -c '.convergence[] | {operation, conv: .convergence_seconds.p50, tool: .tool_seconds.p50,
  stale: .stale_seconds.p50, udp: .udp_stale_seconds.p50, lost: .background_lost}' "$work/all.json"
jq -e '[.convergence[].operation] == ["add-service", "remove-service", "change-endpoints", "full-resync"]
  and all(.convergence[]; .runs == 3 and .background_misrouted == 0 and .probe_misrouted == 0
    and .background_lost <= .background_sent / 100
    and (.timeline | (.sent | length) > 2000 and (.sent | length) == (.p99_ns | length)))' \
  "$work/all.json" >/dev/null || fail "entries: $(jq -c '[.convergence[] | {operation, runs, background_lost, background_misrouted, probe_misrouted}]' "$work/all.json")"
# The first DNAT-ed probe arrives after the update starts and no later than a probe interval
# (1 ms) after it returned, plus 5 ms and the generator's worst lag behind its schedule.
jq -e 'all(.convergence[] | select(.operation == "add-service" or .operation == "change-endpoints")
    | (.max_send_lag_ms / 1000) as $lag | .per_run[] | . + {lag: $lag};
    .convergence_s != null and .convergence_s > 0 and .convergence_s <= .update_s + 0.006 + .lag)' \
  "$work/all.json" >/dev/null || fail "convergence outside its update: $(jq -c '[.convergence[] | {operation, per_run: [.per_run[] | {convergence_s, tool_s, update_s}]}]' "$work/all.json")"
jq -e 'all(.convergence[] | select(.operation == "add-service" or .operation == "change-endpoints");
    .network_programming_buckets.counts[-1] == .runs and (.network_programming_buckets.le | length) == 80)' \
  "$work/all.json" >/dev/null || fail "network programming buckets"
# Removed endpoints: new flows stop by the time the restore returns; the established UDP flow
# stays until its conntrack entry is deleted (after the restore) and stops right after.
jq -e 'all(.convergence[] | select(.operation == "remove-service" or .operation == "change-endpoints")
    | (.max_send_lag_ms / 1000) as $lag | .per_run[] | . + {lag: $lag};
      .stale_s != null and .stale_s <= .update_s + 0.006 + .lag
      and .udp_stale_s != null and .udp_stale_s >= .update_s - .cleanup_s - 0.006 - .lag
      and .udp_stale_s <= .update_s + 0.006 + .lag and .udp_still_stale == false and .cleanup_s > 0)' \
  "$work/all.json" >/dev/null || fail "stale times: $(jq -c '[.convergence[] | {operation, per_run: [.per_run[] | {stale_s, udp_stale_s, update_s, cleanup_s}]}]' "$work/all.json")"
jq -e '.convergence[] | select(.operation == "full-resync") | .convergence_seconds == null and .probe_misrouted == 0' \
  "$work/all.json" >/dev/null || fail "full resync has a convergence"

# 2. Without kube-proxy's deletion the established UDP flow never leaves the removed endpoint.
timeout 120 "$svcbench" run "${common[@]}" --during change-endpoints --convergence-runs 2 --keep-udp-conntrack \
  --out "$work/kept.json" 2>"$work/kept.log" || fail "run --keep-udp-conntrack: $(tail -3 "$work/kept.log")"
jq -e '.convergence[0] | .udp_conntrack_cleanup == false and .udp_still_stale_runs == 2
  and all(.per_run[]; .cleanup_s == 0 and .udp_stale_s > .update_s + 0.5)' "$work/kept.json" >/dev/null \
  || fail "UDP without the deletion: $(jq -c '.convergence[0] | {udp_still_stale_runs, per_run}' "$work/kept.json")"

# 3. A rejected update. While add-service runs (the first operation; it deletes no chain of
# the base), a chain of ours starts jumping to every endpoint chain, so the change-endpoints
# restore that deletes two of them fails.
"$svcbench" run "${common[@]}" --during add-service,change-endpoints --convergence-runs 2 \
  --out "$work/rejected.json" 2>"$work/rejected.log" &
pid=$!
wait_for "$work/rejected.log" "under load: add-service, run 1" 30 || fail "never reached add-service: $(tail -3 "$work/rejected.log")"
{
  echo "*nat"
  echo ":SVCB-HOLD - [0:0]"
  ip netns exec svcb-node iptables-legacy-save -t nat | sed -n 's/^:\(KUBE-SEP-[A-Z0-9]*\) .*/-A SVCB-HOLD -j \1/p'
  echo "COMMIT"
} | ip netns exec svcb-node iptables-legacy-restore --noflush || fail "planting the references"
timeout 60 tail --pid=$pid -f /dev/null || fail "the run did not end after the rejected update"
wait $pid
code=$?
[[ $code == 2 ]] || fail "rejected update: exit $code, want 2: $(tail -3 "$work/rejected.log")"
# The error is svcbench's last line (a sanitized build's LSan may print its suppression
# statistics after it).
grep '^svcbench' "$work/rejected.log" | tail -1 | grep -q "^svcbench run: .*partial sync: the kernel rejected the ruleset" \
  || fail "rejected update, last line: $(grep '^svcbench' "$work/rejected.log" | tail -1)"
[[ ! -e $work/rejected.json ]] || fail "a rejected run wrote results"
no_svcbench_left "a rejected update"
ip netns exec svcb-node iptables-legacy -t nat -F SVCB-HOLD
ip netns exec svcb-node iptables-legacy -t nat -X SVCB-HOLD

# 4. SIGINT in the middle of a timeline.
"$svcbench" run "${common[@]}" --during all --convergence-runs 10 --out "$work/interrupted.json" \
  2>"$work/interrupted.log" &
pid=$!
wait_for "$work/interrupted.log" "under load: add-service, run 2" 30 || fail "never reached run 2: $(tail -3 "$work/interrupted.log")"
sleep 0.7  # inside run 2's window
kill -INT $pid
timeout 30 tail --pid=$pid -f /dev/null || fail "the run did not stop after SIGINT"
wait $pid
code=$?
[[ $code == 130 ]] || fail "SIGINT mid-timeline: exit $code, want 130: $(tail -3 "$work/interrupted.log")"
jq -e '.progress.state == "interrupted" and ((.convergence // []) | length) == 0' "$work/interrupted.json" >/dev/null \
  || fail "results after SIGINT: $(jq -c '{progress, n: (.convergence // [] | length)}' "$work/interrupted.json" 2>&1)"
no_svcbench_left "SIGINT"
"$svcbench" testbed down >/dev/null 2>&1

# 5. The sweep, its summary row, its config and its plots.
timeout 300 "$svcbench" sweep --warmup 0 --under-load --operations add-service,change-endpoints --convergence-runs 2 \
  --load-rate 1000 --probe-rate 500 --modes iptables-legacy --services 10 --packets 200 --repeats 1 --out "$work/sweep" \
  2>"$work/sweep.log" || fail "sweep --under-load: $(tail -3 "$work/sweep.log")"
jq -e '(.convergence | length) == 2 and .config.under_load.operations == ["add-service", "change-endpoints"]
  and .config.under_load.load_pps == 1000 and .config.under_load.probe_pps == 500
  and all(.convergence[]; .load.probe_pps >= 490 and .load.probe_pps <= 510) and .progress.state == "finished"' "$work/sweep/results.json" >/dev/null \
  || fail "sweep results: $(jq -c '{n: (.convergence | length), config: .config.under_load, progress}' "$work/sweep/results.json")"
[[ $(grep -c '^convergence,iptables-legacy,ipv4,10,' "$work/sweep/summary.csv") == 2 ]] || fail "summary.csv: $(cat "$work/sweep/summary.csv")"
# The 1 ms timelines live beside results.json, gzip-compressed, keyed by their entry.
jq -e 'all(.convergence[]; .timeline.in == "timelines.json.gz" and (.timeline.key | startswith("iptables-legacy/ipv4/10/")))' \
  "$work/sweep/results.json" >/dev/null || fail "results.json holds its timelines inline"
zcat "$work/sweep/timelines.json.gz" | jq -e '.["iptables-legacy/ipv4/10/add-service"].bin_ms > 0' >/dev/null \
  || fail "timelines.json.gz: $(zcat "$work/sweep/timelines.json.gz" | jq -c keys)"
/usr/bin/python3 "$root/scripts/plot_results.py" "$work/sweep" >/dev/null || fail "plots"
for f in convergence_vs_services timeline_iptables-legacy; do
  [[ -s $work/sweep/$f.png && ! -e $work/sweep/$f.svg ]] || fail "no $f plot"
done
grep -q "Rule updates under load" "$work/sweep/report.html" || fail "report.html has no section on updates under load"
no_svcbench_left "the sweep"
echo "convergence: every operation within its update, UDP stale with and without the deletion, rejected update and SIGINT clean, sweep rows and plots"
