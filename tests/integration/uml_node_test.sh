#!/usr/bin/env bash
# The uml node: a user-mode Linux guest on the kernel scripts/build-uml-kernel builds (6.12,
# every mode) comes up, the rules of all four modes load in its kernel and packets of both
# families cross it DNAT-ed to the right endpoints, with the kernel's build recorded; Debian's packaged kernel
# refuses the modes it lacks in one line and, on a CPU it cannot run on (AMX), says so in one
# line; a guest that stops answering is restarted and recorded; SIGTERM mid-sweep and kill -9 leave
# nothing behind (after `testbed down`).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test uml_node
kernel=/var/cache/svcbench/uml-kernel/6.12/linux
[[ -x $kernel ]] || { echo "uml_node: skipped (no uml kernel at $kernel: run scripts/build-uml-kernel 6.12)"; exit 77; }
no_guest() { ! pgrep -f "umid=svcb-uml" >/dev/null; }
# The guest raises the host's vm.max_map_count while it runs (UML maps guest pages one by one).
map_count=$(cat /proc/sys/vm/max_map_count)
nothing_left() {
  no_guest && [[ -z $(ip netns list | grep '^svcb-') ]] && [[ ! -e /run/svcbench/uml ]] &&
    [[ $(cat /proc/sys/vm/max_map_count) == "$map_count" ]]
}
wait_for() {  # FILE TEXT SECONDS
  for _ in $(seq $(($3 * 10))); do grep -qF -- "$2" "$1" && return 0; sleep 0.1; done
  return 1
}

# Debian's packaged kernel lacks nf_tables for IPv4: one line naming the option, nothing started.
if command -v linux.uml >/dev/null; then
  msg=$("$svcbench" sweep --node uml --uml-kernel debian --modes iptables-legacy,nftables --out "$work/refused" 2>&1) \
    && fail "nftables on Debian's uml kernel accepted"
  [[ $msg == *"CONFIG_NF_TABLES_IPV4"* && $(printf '%s\n' "$msg" | wc -l) == 1 ]] || fail "unclear refusal: $msg"
  [[ ! -e $work/refused ]] || fail "a refused sweep wrote results"
  no_guest || fail "a refused sweep started a guest"
  # On a CPU it cannot run on (AMX: its FP state is sized for 2,696 bytes), one line that says
  # why and what runs instead; elsewhere it comes up.
  if up=$("$svcbench" testbed up --node uml --uml-kernel debian 2>&1); then
    "$svcbench" testbed down >/dev/null 2>&1
  else
    [[ $up == *"cannot run on this CPU"*"--uml-kernel 6.12"* && $(printf '%s\n' "$up" | wc -l) == 1 ]] \
      || fail "testbed up --uml-kernel debian: $up"
  fi
  nothing_left || fail "Debian's uml kernel left something"
fi
msg=$("$svcbench" testbed up --node uml --uml-kernel /nonexistent/linux 2>&1) && fail "a missing kernel accepted"
[[ $msg == *"/nonexistent/linux"* && $(printf '%s\n' "$msg" | wc -l) == 1 ]] || fail "unclear missing kernel: $msg"
nothing_left || fail "a missing kernel left something"

"$svcbench" testbed up --node uml 2>"$work/up.log" || fail "testbed up --node uml: $(cat "$work/up.log")"
"$svcbench" testbed down >/dev/null 2>&1
nothing_left || fail "testbed down left the uml guest"

# Every mode on the built kernel in both families (the guest is dual-stack, as the netns and vm
# nodes), with kube-proxy's IPVS sync steps.
"$svcbench" sweep --node uml --modes iptables-legacy,iptables-nft,nftables,ipvs --services 10,300 --packets 300 --repeats 1 \
  --ip-family dual --out "$work/run" 2>"$work/log" || fail "sweep on the uml node: $(tail -3 "$work/log")"
jq -e '.context.node_kind == "uml" and .context.emulated == false and (.context.guest_kernel | startswith("6.12"))
       and .context.uml_kernel.choice == "6.12" and (.context.uml_kernel.build.kernel_release | startswith("6.12"))
       and .context.uml_kernel.build.source_package == "linux-source-6.12"
       and (.context.note | contains("syscall")) and .config.node == "uml" and .config.uml_kernel == "6.12"
       and .config.rate_pps == 1000 and .config.kube_proxy.ipvs_sync == "kube-proxy"
       and .config.ip_families == ["ipv4", "ipv6"]
       and (.progress.failed | length) == 0 and (.latency | length) == 128
       and ([.latency[] | select(.ip_family == "ipv6")] | length) == 64
       and all(.latency[]; .packets_rx == .packets_tx and .misrouted == 0)
       and ([.updates[] | select(.seconds.median > 0)] | length) == 80
       and ([.updates[] | select(.mode == "ipvs" and .operation == "add-service") | .steps[].name]
            | index("ipset list") != null and index("netlink (services, real servers, addresses)") != null)
       and all(.latency[] | select(.mode == "ipvs" and .target == "first" and .phase == "new-flow");
               .endpoint_spread_max_deviation < 0.05)' "$work/run/results.json" >/dev/null \
  || fail "uml sweep results: $(jq -c '{c: .context, p: .progress, n: (.latency | length)}' "$work/run/results.json")"
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

# A guest that stops answering in a rule update (a kernel hung in its transaction) is a result:
# after --vm-silence it is restarted on the same links, the point recorded as unresponsive, and
# the sweep goes on: the next mode is measured through the restarted guest.
"$svcbench" sweep --warmup 0 --node uml --vm-silence 5 --order grouped --modes iptables-legacy,nftables \
  --services 3000 --packets 200 --repeats 1 --out "$work/frozen" 2>"$work/frozen.log" &
pid=$!
wait_for "$work/frozen.log" "iptables-legacy/3000: rule updates" 60 || fail "never reached its rule load: $(tail -3 "$work/frozen.log")"
kill -STOP -- "-$(cat /run/svcbench/uml/uml.pid)"
wait "$pid"
status=$?
[[ $status == 0 ]] || fail "frozen guest: exit $status, want 0 (a hung guest is a result): $(tail -3 "$work/frozen.log")"
grep -q "iptables-legacy/3000: [a-z-]* stopped: the uml guest stopped answering (no heartbeat for 5 s while running" \
  "$work/frozen.log" || fail "no line for the hung guest: $(grep iptables-legacy/3000 "$work/frozen.log")"
jq -e '.progress.state == "finished" and (.progress.failed | length) == 0 and (.limit_reached | length) == 1
       and (.limit_reached[0] | .mode == "iptables-legacy" and .services == 3000 and .outcome == "unresponsive"
            and .elapsed_s >= 5 and (.reason | contains("restarted")))
       and ([.latency[] | select(.mode == "iptables-legacy")] | length) == 0
       and ([.latency[] | select(.mode == "nftables")] | length) == 8
       and all(.latency[]; .packets_rx == .packets_tx and .misrouted == 0)' "$work/frozen/results.json" >/dev/null \
  || fail "hung guest results: $(jq -c '{p: .progress, l: .limit_reached, n: (.latency | length)}' "$work/frozen/results.json")"
nothing_left || fail "something left after a hung guest"

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
