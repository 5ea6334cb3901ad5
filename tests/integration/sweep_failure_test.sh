#!/usr/bin/env bash
# A rule load the kernel rejects fails only its point: the sweep records the error in
# results.json (no numbers for that point), measures the other points, exits 1 and tears the
# node down. The rejection is the kernel's own: --nfacct rules name kube-proxy's nfacct counters,
# which svcbench creates with `nfacct add` before the first restore (as kube-proxy's Ensure does);
# here an `nfacct` on PATH that creates nothing stands in for a node whose counters cannot be
# made, so iptables-restore's nfacct match finds no counter. nftables mode does not use them.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test sweep_failure
mkdir "$work/bin"
printf '#!/bin/sh\n[ "$1" = add ] && exit 0\nexit 1\n' >"$work/bin/nfacct"
chmod +x "$work/bin/nfacct"

PATH="$work/bin:$PATH" "$svcbench" sweep --warmup 0 --nfacct --modes iptables-legacy,nftables --services 10 --packets 100 --repeats 1 \
  --out "$work/run" 2>"$work/log"
code=$?
[[ $code == 1 ]] || fail "sweep with a rejected rule load exited $code, want 1: $(tail -3 "$work/log")"
grep -q "iptables-legacy/10 failed: .*iptables" "$work/log" || fail "no clear failure line: $(cat "$work/log")"
jq -e '.progress.state == "finished"
       and .progress.failed[0].point == "iptables-legacy/10"
       and (.progress.failed[0].error | contains("the kernel rejected the ruleset"))
       and .progress.completed == ["baseline", "nftables/10"]
       and ([.latency[], .updates[] | select(.mode == "iptables-legacy")] | length) == 0
       and ([.latency[] | select(.mode == "nftables")] | length) == 8' "$work/run/results.json" >/dev/null \
  || fail "results.json: $(jq -c .progress "$work/run/results.json")"
[[ -z $(ip netns list | grep '^svcb-') ]] || fail "namespaces left after the failed point"
echo "sweep_failure: ok"
