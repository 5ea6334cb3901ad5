#!/usr/bin/env bash
# A sweep stopped at any moment — SIGINT or SIGTERM while the node comes up, while rules load,
# while traffic runs — exits 128+signal, leaves no namespace, link or svcbench process, and a
# results.json that parses, says "interrupted" and holds numbers only for completed points;
# --resume finishes the rest. After kill -9, `testbed up` and `testbed down` clean up.
# The moments are random within each phase: the seed is printed, SVCB_SIGNAL_SEED=N repeats it.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test sweep_interrupt
seed=${SVCB_SIGNAL_SEED:-$RANDOM}
RANDOM=$seed
echo "sweep_interrupt: seed $seed"
args=(--warmup 0 --order grouped --modes iptables-legacy,nftables --services 300,600 --packets 300 --repeats 1)

nothing_left() {
  [[ -z $(ip netns list | grep '^svcb-') ]] || fail "$1: namespaces left: $(ip netns list | grep '^svcb-')"
  [[ -z $(ip -o link show | grep ' svcb-') ]] || fail "$1: links left in the root namespace"
  pgrep -f "svcbench sweep" >/dev/null && fail "$1: a sweep process is still running"
  compgen -G "/run/dpdk/svcb-*" >/dev/null && fail "$1: DPDK runtime files left: $(ls -d /run/dpdk/svcb-*)"
  return 0
}

# Every completed point has its 8 latency entries and 5 update operations; nothing else has any.
consistent() {
  jq -e '[.progress.completed[] | select(contains("/"))] as $done
         | (.latency | map(.mode + "/" + (.services | tostring)) | group_by(.) | map({(.[0]): length}) | add // {}) as $lat
         | (.updates | map(.mode + "/" + (.services | tostring)) | group_by(.) | map({(.[0]): length}) | add // {}) as $upd
         | ($lat | keys) - $done == [] and ($upd | keys) - $done == []
           and all($done[]; $lat[.] == 8 and $upd[.] == 5)' "$1/results.json" >/dev/null
}

# interrupt NAME SIGNAL MARKER MAX_MS: start a sweep, wait for MARKER on its stderr, wait a
# random 0..MAX_MS ms, send SIGNAL, and check what is left.
interrupt() {
  local name=$1 sig=$2 marker=$3 max_ms=$4 out="$work/$1"
  "$svcbench" sweep "${args[@]}" --out "$out" 2>"$work/$name.log" &
  local pid=$! delay_ms=$((RANDOM % ($4 + 1)))
  for _ in $(seq 1200); do
    grep -qF -- "$marker" "$work/$name.log" && break
    sleep 0.05
  done
  grep -qF -- "$marker" "$work/$name.log" || fail "$name: never saw '$marker': $(tail -3 "$work/$name.log")"
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -"$sig" "$pid"
  wait "$pid"
  local code=$? want=$((128 + $(kill -l "$sig")))
  echo "sweep_interrupt: $name: SIG$sig ${delay_ms} ms after '$marker' -> exit $code"
  [[ $code == "$want" ]] || fail "$name: exit $code, want $want: $(tail -3 "$work/$name.log")"
  jq -e '.progress.state == "interrupted" and (.progress.failed | length) == 0' "$out/results.json" >/dev/null \
    || fail "$name: results.json after SIG$sig: $(jq -c .progress "$out/results.json" 2>&1)"
  consistent "$out" || fail "$name: entries of incomplete points in results.json: $(jq -c .progress "$out/results.json")"
  ls "$out" | grep -q partial && fail "$name: temporary files left"
  nothing_left "$name"
}

interrupt setup INT "bringing up" 300
interrupt rules TERM "iptables-legacy/300: rule updates" 400
interrupt traffic INT "nftables/300: traffic" 300
interrupt later-rules INT "nftables/600: rule updates" 200

# Resume the one stopped latest: every point ends up measured once.
out="$work/later-rules"
"$svcbench" sweep --resume "$out" 2>"$work/resume.log" || fail "resume failed: $(tail -3 "$work/resume.log")"
jq -e '.progress.state == "finished" and (.progress.completed | length) == 5' "$out/results.json" >/dev/null \
  || fail "results after resume: $(jq -c .progress "$out/results.json")"
consistent "$out" || fail "after resume, points measured twice or partly"
nothing_left "resume"

# kill -9 leaves the node behind; the next `testbed up` (or `down`) removes it.
"$svcbench" sweep "${args[@]}" --out "$work/killed" 2>"$work/killed.log" &
pid=$!
for _ in $(seq 1200); do
  grep -qF ": rule updates" "$work/killed.log" && break
  sleep 0.05
done
sleep 0.$((RANDOM % 10))
kill -9 "$pid"
wait "$pid" 2>/dev/null
[[ -n $(ip netns list | grep '^svcb-') ]] || fail "kill -9 left nothing: the test proves nothing"
jq -e '.progress' "$work/killed/results.json" >/dev/null || fail "results.json after kill -9 does not parse"
"$svcbench" testbed up || fail "testbed up after kill -9"
"$svcbench" testbed status | jq -e '.up' >/dev/null || fail "node not up after kill -9 + up"
ip netns exec svcb-node iptables-legacy-save | grep -q KUBE-SERVICES && fail "testbed up kept the killed sweep's rules"
"$svcbench" testbed down || fail "testbed down"
nothing_left "kill -9"
echo "sweep_interrupt: ok"
