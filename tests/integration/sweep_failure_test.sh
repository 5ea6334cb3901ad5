#!/usr/bin/env bash
# A rule load the kernel rejects fails only its point: the sweep records the error in
# results.json (no numbers for that point), measures the other points, exits 1 and tears the
# node down. The host kernel has no xt_nfacct, so kube-proxy's nfacct counters (--nfacct) are
# refused by iptables-restore; nftables mode does not use them.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test sweep_failure
ip netns add svcb-probe || fail "cannot create a probe namespace"
ip netns exec svcb-probe iptables-legacy -A INPUT -m nfacct --nfacct-name svcb -j ACCEPT 2>/dev/null
accepted=$?
ip netns delete svcb-probe
if ((accepted == 0)); then
  echo "sweep_failure: this kernel has xt_nfacct, nothing to reject; skipped"
  exit 77
fi

"$svcbench" sweep --nfacct --modes iptables-legacy,nftables --services 10 --packets 100 --repeats 1 \
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
