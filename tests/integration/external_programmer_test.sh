#!/usr/bin/env bash
# --program external on the real netns node, programmed by scripts/standin-kube-proxy (svcbench's
# own rendering, applied with a delay and kube-proxy's batching):
#  1. the stand-in batches: changes inside its minimum sync period make one sync;
#  2. run --during: every change goes through the hook (SVCBENCH_* as documented), svcbench
#     waits for the rules and attributes each change its own sync: hook -> visible at least the
#     stand-in's delay, convergence after the hook started and by the time the rules showed;
#     full-resync is refused by name, dropped from "all";
#  3. a sweep with it: updates recorded with the hook's steps, no full resync;
#  4. a failing hook and a hook whose rules never appear: one clear line, exit 2, nothing left;
#  5. SIGINT while svcbench waits for the rules: exit 130, nothing of svcbench's left running;
#  6. the README's stand-in commands, as written there.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test external_programmer
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
standin="$root/scripts/standin-kube-proxy"
state="$work/state"
daemon=""
stop_daemon() { [[ -n $daemon ]] && kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; daemon=""; }
readme_state=""
trap 'stop_daemon; "$svcbench" testbed down >/dev/null 2>&1 || true; rm -rf "$work" ${readme_state:+"$readme_state"}' EXIT
start_daemon() {  # MIN_SYNC_PERIOD DELAY
  rm -rf "$state"
  "$standin" run --state "$state" --min-sync-period "$1" --delay "$2" --svcbench "$svcbench" &
  daemon=$!
}
hook="$standin hook --state $state"
no_svcbench_left() {
  pgrep -x svcbench >/dev/null && fail "an svcbench process is still running after $1"
  compgen -G "/run/dpdk/svcb-*" >/dev/null && fail "DPDK runtime files left after $1"
  return 0
}

"$svcbench" testbed up >/dev/null 2>&1 || fail "testbed up"

# 1. Three changes 0.1 s apart with a 2 s minimum sync period: the first syncs at once (no sync
#    for a period before it), the next two wait for the period and go in one sync.
start_daemon 2 0
"$svcbench" manifests --services 5 --out "$work/five.json" || fail "manifests"
for n in 1 2 3; do
  SVCBENCH_CHANGE=initial-load SVCBENCH_MANIFESTS="$work/five.json" SVCBENCH_MODE=iptables-legacy \
    SVCBENCH_NODE_EXEC="ip netns exec svcb-node" SVCBENCH_CHANGE_NUMBER=$n $hook || fail "hook $n"
  sleep 0.1
done
wait_for "$state/syncs.log" "2 2 3 initial-load" 10 || fail "no batched sync: $(cat "$state/syncs.log")"
grep -q "^1 1 1 initial-load" "$state/syncs.log" || fail "the first change waited: $(cat "$state/syncs.log")"
[[ $(ip netns exec svcb-node iptables-legacy-save -t nat) == *"-j KUBE-SERVICES"* ]] || fail "the stand-in did not program the node"
stop_daemon

# 2. run --during with the stand-in: 0.3 s from a change to its sync, syncs at most every 0.5 s.
start_daemon 0.5 0.3
base=(--mode iptables-legacy --phase established --target last --packets 200 --services 20 --load-rate 2000
      --program external)
common=("${base[@]}" --apply-hook "$hook")
msg=$("$svcbench" run "${common[@]}" --during full-resync 2>&1) && fail "full-resync accepted with --program external"
[[ $msg == *"cannot make a full resync"* && $(printf '%s\n' "$msg" | wc -l) == 1 ]] || fail "unclear refusal: $msg"
timeout 300 "$svcbench" run "${common[@]}" --during all --convergence-runs 2 --out "$work/ext.json" \
  2>"$work/ext.log" || fail "run --during with --program external: $(tail -3 "$work/ext.log")"
jq -e '.config.program.by == "external" and ([.convergence[].operation] == ["add-service", "remove-service", "change-endpoints"])
  and all(.convergence[]; .runs == 2 and .background_misrouted == 0 and .probe_misrouted == 0
          and ([.steps[].name] == ["apply hook", "rules visible"]))' "$work/ext.json" >/dev/null \
  || fail "entries: $(jq -c '[.convergence[] | {operation, runs, steps}]' "$work/ext.json")"
# Each change's rules came with its own sync: at least the stand-in's 0.3 s after the hook
# started; traffic converged after the hook started and no later than svcbench saw the rules.
# (The stand-in's clock, /proc/uptime, has 10 ms steps: 0.28.)
jq -e 'all(.convergence[] | .per_run[]; .tool_s >= 0.28)
  and all(.convergence[] | select(.operation != "remove-service") | .per_run[];
          .convergence_s != null and .convergence_s >= 0.28 and .convergence_s <= .tool_s + 0.05)' \
  "$work/ext.json" >/dev/null || fail "attribution: $(jq -c '[.convergence[] | {operation, per_run: [.per_run[] | {tool_s, convergence_s}]}]' "$work/ext.json")"
# svcbench changes one thing at a time and waits for it: one sync per change, in order.
syncs=$(wc -l <"$state/syncs.log")
changes=$(awk '{print $3}' "$state/syncs.log" | tail -1)
[[ $syncs == "$changes" ]] || fail "$syncs syncs for $changes changes: $(cat "$state/syncs.log")"
awk '$2 != $3 { exit 1 }' "$state/syncs.log" || fail "a sync took two of svcbench's changes: $(cat "$state/syncs.log")"

# 3. A sweep with it: the hook's steps per update, no full resync.
timeout 300 "$svcbench" sweep --modes iptables-legacy,nftables --services 10,50 --repeats 1 --packets 100 --warmup 0 \
  --program external --apply-hook "$hook" --out "$work/sweep" 2>"$work/sweep.log" \
  || fail "sweep with --program external: $(tail -3 "$work/sweep.log")"
jq -e '.config.program == {"by": "external", "apply_hook": "'"$hook"'", "apply_limit_s": 120}
  and (.progress.failed | length) == 0
  and ([.updates[].operation] | index("full-resync") == null)
  and ([.updates[] | select(.operation == "add-service")] | length) == 4
  and all(.updates[]; [.steps[].name] == ["apply hook", "rules visible"] and .seconds.median >= 0.28)
  and all(.latency[]; .packets_rx == .packets_tx and .misrouted == 0)' "$work/sweep/results.json" >/dev/null \
  || fail "sweep results: $(jq -c '{p: .progress, u: [.updates[] | {mode, services, operation, s: .seconds.median}]}' "$work/sweep/results.json")"
stop_daemon

# 4. A hook that fails; a hook whose rules never appear (nobody programs the node).
"$svcbench" testbed up >/dev/null 2>&1 || fail "testbed up after the sweep"
# (Progress lines come first on stderr; the error is the one "svcbench run:" line.)
msg=$("$svcbench" run "${base[@]}" --apply-hook "exit 3" --during add-service 2>&1 | grep -v '^svcbench: ')
code=$?  # pipefail: svcbench's status
[[ $code == 2 && $msg == *"apply hook failed for initial-load (exit 3)"* && $(printf '%s\n' "$msg" | wc -l) == 1 ]] \
  || fail "failing hook: exit $code: $msg"
no_svcbench_left "a failing hook"
start=$(date +%s)
msg=$("$svcbench" run "${base[@]}" --apply-hook true --during add-service --apply-limit 3 2>&1 | grep -v '^svcbench: ')
code=$?  # pipefail: svcbench's status
[[ $code == 2 && $msg == *"did not appear on the node within 3 s"* && $(printf '%s\n' "$msg" | wc -l) == 1 ]] \
  || fail "rules never appearing: exit $code: $msg"
(($(date +%s) - start < 60)) || fail "svcbench waited past --apply-limit"
no_svcbench_left "a hook whose rules never appear"

# 5. SIGINT while svcbench waits for the rules of a change: exit 130 within seconds.
start_daemon 0.5 5
"$svcbench" run "${common[@]}" --during add-service --convergence-runs 1 --out "$work/int.json" 2>"$work/int.log" &
pid=$!
sleep 2
kill -INT "$pid"
wait "$pid"
code=$?
[[ $code == 130 ]] || fail "SIGINT: exit $code, want 130: $(tail -3 "$work/int.log")"
no_svcbench_left "SIGINT"
stop_daemon

# 6. The README's two commands, taken from it as written (`svcbench` this build's; the stand-in
#    finds it through $SVCBENCH), run from the checkout.
block=$(sed -n '/^scripts\/standin-kube-proxy run --state/,/--apply-hook/p' "$root/README.md")
readme_state=$(sed -n 's/^scripts\/standin-kube-proxy run --state \([^ ]*\).*/\1/p' <<<"$block")
[[ -n $readme_state && $block == *"svcbench run"* ]] || fail "no stand-in example in the README: $block"
[[ -e $readme_state ]] && fail "$readme_state exists already: the README's example would reuse it"
(
  cd "$root" || exit 1
  svcbench() { "$SVCBENCH" "$@"; }
  export SVCBENCH=$svcbench
  eval "$block" >"$work/readme.json"
  code=$?
  kill "$!" && wait "$!" 2>/dev/null
  exit "$code"
) 2>"$work/readme.log" || fail "the README's stand-in commands: $(tail -3 "$work/readme.log")"
jq -e '.config.program.by == "external"
  and ([.convergence[].operation] == ["add-service", "remove-service", "change-endpoints"])
  and all(.convergence[]; .background_misrouted == 0 and ([.steps[].name] == ["apply hook", "rules visible"]))' \
  "$work/readme.json" >/dev/null || fail "the README's run: $(head -c 300 "$work/readme.json")"
no_svcbench_left "the README's commands"
[[ ! -e /run/svcbench/apply-hook ]] || fail "the hook's manifests were left in /run/svcbench/apply-hook"
echo "external_programmer: ok"
