#!/usr/bin/env bash
# SIGINT during a sweep tears the node down and leaves a results.json that parses and says
# which points completed; --resume finishes the rest.
set -uo pipefail
svcbench=${SVCBENCH:?path to the svcbench binary}
[[ $(id -u) -eq 0 ]] || { echo "sweep_interrupt: needs root; skipped"; exit 77; }
work=$(mktemp -d /tmp/svcb-sweep-XXXXXX)
cleanup() { "$svcbench" testbed down >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
out="$work/run"
args=(--modes iptables-legacy --services 10,20,30,40 --packets 300 --repeats 1)

"$svcbench" sweep "${args[@]}" --out "$out" 2>"$work/log" &
pid=$!
# Interrupt once the first point is recorded (or after 60 s at the latest).
for _ in $(seq 600); do
  jq -e '.progress.completed | index("iptables-legacy/10")' "$out/results.json" >/dev/null 2>&1 && break
  sleep 0.1
done
kill -INT "$pid"
wait "$pid"
code=$?
[[ $code == 130 ]] || fail "interrupted sweep exited $code, want 130: $(tail -3 "$work/log")"
jq -e '.progress.state == "interrupted" and (.progress.completed | length) >= 2' "$out/results.json" >/dev/null \
  || fail "results.json after interrupt: $(jq -c .progress "$out/results.json")"
[[ -z $(ip netns list | grep '^svcb-') ]] || fail "namespaces left after interrupt"
ls "$out" | grep -q partial && fail "temporary files left"
pgrep -f "svcbench sweep" >/dev/null && fail "a sweep process is still running"

"$svcbench" sweep --resume "$out" 2>>"$work/log" || fail "resume failed: $(tail -3 "$work/log")"
jq -e '.progress.state == "finished"
       and ([.progress.completed[] | select(startswith("iptables-legacy/"))] | length) == 4
       and ([.latency[] | select(.services == 40)] | length) == 8
       and ([.latency[] | .services] | unique | length) == 4' "$out/results.json" >/dev/null \
  || fail "results after resume: $(jq -c .progress "$out/results.json")"
[[ -z $(ip netns list | grep '^svcb-') ]] || fail "namespaces left after resume"
echo "sweep_interrupt: ok"
