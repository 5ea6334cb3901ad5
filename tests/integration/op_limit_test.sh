#!/usr/bin/env bash
# --op-limit on the real netns node: a rule load whose tool hangs is stopped at the limit (the
# tool and what it started killed), its point recorded as limit_reached with the steps that had
# finished, the mode's larger sizes skipped as recorded results, the other mode measured in full,
# the sweep exits 0 and nothing is left behind. The hang: an iptables-legacy-restore on PATH that
# passes small payloads to the real one and sleeps on large ones (a node whose tool never ends).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test op_limit
mkdir "$work/bin"
real=$(command -v iptables-legacy-restore) || fail "iptables-legacy-restore not installed"
cat >"$work/bin/iptables-legacy-restore" <<SH
#!/bin/sh
tmp=\$(mktemp)
cat >"\$tmp"
if [ "\$(wc -l <"\$tmp")" -gt 2000 ]; then rm -f "\$tmp"; exec sleep 600; fi
"$real" "\$@" <"\$tmp"
rc=\$?
rm -f "\$tmp"
exit \$rc
SH
chmod +x "$work/bin/iptables-legacy-restore"

start=$(date +%s)
PATH="$work/bin:$PATH" "$svcbench" sweep --warmup 0 --order grouped --op-limit 3 --modes iptables-legacy,nftables \
  --services 10,300,1000 --packets 100 --repeats 1 --out "$work/run" 2>"$work/log"
code=$?
[[ $code == 0 ]] || fail "sweep exited $code, want 0 (a limit is a result): $(tail -3 "$work/log")"
(($(date +%s) - start < 300)) || fail "the sweep waited for the hanging tool"
grep -q "iptables-legacy/300: initial-load ran past --op-limit 3 s (iptables-legacy-restore stopped)" "$work/log" \
  || fail "no line for the stopped load: $(grep iptables-legacy/300 "$work/log")"
grep -q "iptables-legacy/1000: skipped: the limit already stopped or skipped iptables-legacy at 300 Services" "$work/log" \
  || fail "no line for the skipped size: $(grep iptables-legacy/1000 "$work/log")"
jq -e '.progress.state == "finished" and (.progress.failed | length) == 0 and .config.op_limit_s == 3
       and (.limit_reached | length) == 2
       and (.limit_reached[0] | .mode == "iptables-legacy" and .services == 300 and .outcome == "stopped"
            and .operation == "initial-load" and .stopped_tool == "iptables-legacy-restore"
            and .elapsed_s >= 3 and .elapsed_s < 30
            and ([.steps_done[].name] == ["ensure-jumps", "iptables-save -t nat"]))
       and (.limit_reached[1] | .services == 1000 and .outcome == "skipped")
       and ([.latency[] | select(.mode == "iptables-legacy" and .services == 300)] | length) == 0
       and ([.latency[] | select(.mode == "iptables-legacy" and .services == 10)] | length) == 8
       and ([.latency[] | select(.mode == "nftables")] | length) == 24
       and all(.latency[]; .packets_rx == .packets_tx and .misrouted == 0)' "$work/run/results.json" >/dev/null \
  || fail "results.json: $(jq -c '{p: .progress, l: .limit_reached}' "$work/run/results.json")"
# The report shows what the limit cut as results: a table row per point, the stop in the update plot.
/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/../../scripts/plot_results.py" "$work/run" >/dev/null || fail "plots"
grep -q "<tr><td>iptables-legacy</td><td>ipv4</td><td>300</td><td>stopped</td><td>initial-load</td>" \
  "$work/run/report.html" || fail "the report does not list the stopped point"
grep -q "<td>1000</td><td>skipped</td>" "$work/run/report.html" || fail "the report does not list the skipped point"
! pgrep -f "sleep 600" >/dev/null || fail "the stopped tool's child is still running"
[[ -z $(ip netns list | grep '^svcb-') ]] || fail "namespaces left after the sweep"
echo "op_limit: ok"
