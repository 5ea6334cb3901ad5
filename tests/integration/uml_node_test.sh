#!/usr/bin/env bash
# The uml node: a user-mode Linux guest comes up from Debian's package, iptables-legacy and
# IPVS rules load in its kernel and packets cross it DNAT-ed to the right endpoints; the modes
# its kernel cannot run are refused in one line; SIGTERM mid-sweep, a frozen guest and kill -9
# leave nothing behind (after `testbed down`).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test uml_node
command -v linux.uml >/dev/null || { echo "uml_node: user-mode-linux not installed; skipped"; exit 77; }
no_guest() { ! pgrep -f "linux.uml.*umid=svcb-uml" >/dev/null; }
nothing_left() { no_guest && [[ -z $(ip netns list | grep '^svcb-') ]] && [[ ! -e /run/svcbench/uml ]]; }
wait_for() {  # FILE TEXT SECONDS
  for _ in $(seq $(($3 * 10))); do grep -qF -- "$2" "$1" && return 0; sleep 0.1; done
  return 1
}

# Modes the guest's kernel lacks: one line naming the option, before anything starts.
msg=$("$svcbench" sweep --node uml --modes iptables-legacy,nftables --out "$work/refused" 2>&1) && fail "nftables on uml accepted"
[[ $msg == *"CONFIG_NF_TABLES_IPV4"* && $(printf '%s\n' "$msg" | wc -l) == 1 ]] || fail "unclear refusal: $msg"
[[ ! -e $work/refused ]] || fail "a refused sweep wrote results"
no_guest || fail "a refused sweep started a guest"

# A host whose CPU user-mode Linux cannot run on (AMX: "ptrace set fp regs failed") is told so
# in one line, with nothing left; the rest of this test then has no guest to test.
if ! up=$("$svcbench" testbed up --node uml 2>&1); then
  nothing_left || fail "a uml guest that failed to start left something"
  if [[ $up == *"cannot run on this CPU"* && $(printf '%s\n' "$up" | wc -l) == 1 ]]; then
    echo "uml_node: skipped (hardware: $up)"
    exit 77
  fi
  fail "testbed up --node uml: $up"
fi
"$svcbench" testbed down >/dev/null 2>&1
nothing_left || fail "testbed down left the uml guest"

"$svcbench" sweep --node uml --modes iptables-legacy,ipvs --services 10,300 --packets 300 --repeats 1 \
  --out "$work/run" 2>"$work/log" || fail "sweep on the uml node: $(tail -3 "$work/log")"
jq -e '.context.node_kind == "uml" and .context.emulated == false and (.context.guest_kernel | startswith("6."))
       and (.context.note | contains("syscall")) and .config.node == "uml" and .config.rate_pps == 1000
       and (.progress.failed | length) == 0 and (.latency | length) == 32
       and all(.latency[]; .packets_rx == .packets_tx and .misrouted == 0)
       and ([.updates[] | select(.seconds.median > 0)] | length) == 20
       and all(.latency[] | select(.mode == "ipvs" and .target == "first" and .phase == "new-flow");
               .endpoint_spread_max_deviation < 0.05)' "$work/run/results.json" >/dev/null \
  || fail "uml sweep results: $(jq -c '{c: .context, p: .progress}' "$work/run/results.json")"
nothing_left || fail "something left after the sweep"

# SIGTERM while the guest loads rules: exit 143 within seconds, nothing left.
"$svcbench" sweep --warmup 0 --node uml --modes iptables-legacy --services 3000 --packets 200 --repeats 1 \
  --out "$work/term" 2>"$work/term.log" &
pid=$!
wait_for "$work/term.log" "iptables-legacy/3000: rule updates" 60 || fail "never reached its rule load: $(tail -3 "$work/term.log")"
sleep 1
kill -TERM "$pid"
wait "$pid"
status=$?
[[ $status == 143 ]] || fail "SIGTERM: exit $status, want 143"
jq -e '.progress.state == "interrupted"' "$work/term/results.json" >/dev/null || fail "results not marked interrupted"
nothing_left || fail "something left after SIGTERM"

# A frozen guest fails its point after --vm-silence, the sweep exits 1 and stops the guest.
"$svcbench" sweep --warmup 0 --node uml --vm-silence 5 --modes iptables-legacy --services 3000 --packets 200 --repeats 1 \
  --out "$work/frozen" 2>"$work/frozen.log" &
pid=$!
wait_for "$work/frozen.log" "iptables-legacy/3000: rule updates" 60 || fail "never reached its rule load: $(tail -3 "$work/frozen.log")"
kill -STOP -- "-$(cat /run/svcbench/uml/uml.pid)"
wait "$pid"
status=$?
[[ $status == 1 ]] || fail "frozen guest: exit $status, want 1"
jq -e '.progress.failed[0].error | contains("uml guest stopped answering")' "$work/frozen/results.json" >/dev/null \
  || fail "frozen guest not reported: $(jq -c .progress "$work/frozen/results.json")"
nothing_left || fail "something left after a frozen guest"

# kill -9: the guest outlives svcbench; `testbed down` stops it.
"$svcbench" testbed up --node uml 2>/dev/null || fail "testbed up --node uml"
"$svcbench" testbed status | jq -e '.up and .node == "uml"' >/dev/null || fail "status after up"
"$svcbench" testbed down
nothing_left || fail "something left after down"
"$svcbench" sweep --warmup 0 --node uml --modes iptables-legacy --services 3000 --packets 200 --repeats 1 \
  --out "$work/killed" 2>"$work/killed.log" &
pid=$!
wait_for "$work/killed.log" "rule updates" 60 || fail "never reached its rule load"
kill -9 "$pid"
wait "$pid" 2>/dev/null
"$svcbench" testbed down
nothing_left || fail "testbed down left something after kill -9"
echo "uml_node: ok"
