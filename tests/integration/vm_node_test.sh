#!/usr/bin/env bash
# The vm node: the image builds from Debian packages, the guest boots (KVM or TCG), rules load
# in the guest and packets of both families cross it DNAT-ed to the right endpoints, and teardown leaves no
# qemu, tap or namespace behind — also when the image is missing.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
bin_dir=${VM_BIN_DIR:?directory with svcb-vm-agent and svcb-ipvs-netlink}
image=${VM_IMAGE_DIR:?where the vm image goes}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
node_test vm_node
command -v qemu-system-x86_64 >/dev/null || { echo "vm_node: qemu-system-x86 not installed; skipped"; exit 77; }
no_guest() { ! pgrep -f "qemu-system-x86_64.*svcb-t0" >/dev/null; }

"$root/scripts/build-vm-image" "$bin_dir" "$image" || fail "image build"

# An image that cannot be built: one clear line, no image written.
msg=$("$root/scripts/build-vm-image" "$work/no-bin" "$work/img" 2>&1) && fail "image build without the guest agent succeeded"
[[ $msg == *"lacks svcb-vm-agent"* ]] || fail "unclear image-build error: $msg"
[[ ! -e $work/img/initramfs.gz ]] || fail "a failed image build left an initramfs"

# qemu missing (hidden behind a non-executable file in a private mount namespace, so the host
# keeps its qemu): one clear line, nothing left.
: >"$work/not-qemu"
msg=$(unshare --mount --propagation private sh -c 'mount --bind "$1" "$2" && exec "$3" testbed up --node vm --vm-image "$4"' \
  sh "$work/not-qemu" "$(readlink -f "$(command -v qemu-system-x86_64)")" "$svcbench" "$image" 2>&1) && fail "up without qemu succeeded"
[[ $msg == *"qemu-system-x86_64 not found"* && $(printf '%s\n' "$msg" | wc -l) == 1 ]] || fail "unclear error without qemu: $msg"
[[ -z $(ip netns list | grep '^svcb-') ]] || fail "namespaces left when qemu is missing"
no_guest || fail "a guest runs although qemu is missing"

# A missing image: one clear line, nothing left running.
msg=$("$svcbench" testbed up --node vm --vm-image "$work/none" 2>&1) && fail "up with a missing image succeeded"
[[ $msg == *"vm image missing"* ]] || fail "unclear error: $msg"
no_guest || fail "qemu left running after a failed up"
[[ -z $(ip netns list | grep '^svcb-') ]] || fail "namespaces left after a failed up"

# Dual-stack: every mode in both families, IPVS over IPv6 included (KUBE-6- sets, [ip]:port servers).
"$svcbench" sweep --node vm --vm-image "$image" --modes iptables-legacy,nftables,ipvs --services 10,50 --ip-family dual \
  --packets 200 --rate 1000 --repeats 1 --out "$work/run" 2>"$work/log" || fail "sweep on the vm node: $(tail -3 "$work/log")"
jq -e '.context.node_kind == "vm" and (.context.accelerator == "kvm" or .context.accelerator == "tcg")
       and (.context.emulated == (.context.accelerator == "tcg"))
       and (.progress.failed | length) == 0 and (.latency | length) == 96
       and ([.latency[] | select(.mode == "ipvs" and .ip_family == "ipv6")] | length) == 16
       and all(.latency[]; .packets_rx == .packets_tx and .misrouted == 0)
       and ([.updates[] | select(.seconds.median > 0)] | length) == 60
       and all(.latency[] | select(.mode == "ipvs" and .target == "first" and .phase == "new-flow");
               .endpoint_spread_max_deviation < 0.05)' "$work/run/results.json" >/dev/null \
  || fail "vm sweep results: $(jq -c '{c: .context, p: .progress}' "$work/run/results.json")"
no_guest || fail "qemu left running after the sweep"
[[ -z $(ip netns list | grep '^svcb-') ]] || fail "namespaces left after the sweep"

# SIGTERM while the guest loads rules: svcbench stops waiting for the guest at once, exits 143
# and leaves no qemu, tap or namespace; results.json says "interrupted".
wait_for() {  # FILE TEXT SECONDS
  for _ in $(seq $(($3 * 10))); do grep -qF -- "$2" "$1" && return 0; sleep 0.1; done
  return 1
}
"$svcbench" sweep --warmup 0 --node vm --vm-image "$image" --modes nftables --services 3000 --packets 200 --rate 1000 --repeats 1 \
  --out "$work/term" 2>"$work/term.log" &
pid=$!
wait_for "$work/term.log" "nftables/3000: rule updates" 180 || fail "the vm sweep never reached its rule load: $(tail -3 "$work/term.log")"
sleep 1
start=$(date +%s)
kill -TERM "$pid"
wait "$pid"
code=$?
[[ $code == 143 ]] || fail "SIGTERM during the guest's rule load: exit $code, want 143: $(tail -3 "$work/term.log")"
(($(date +%s) - start < 30)) || fail "svcbench took $(($(date +%s) - start)) s to stop after SIGTERM"
jq -e '.progress.state == "interrupted" and .progress.completed == ["baseline"]' "$work/term/results.json" >/dev/null \
  || fail "results after SIGTERM: $(jq -c .progress "$work/term/results.json")"
no_guest || fail "qemu left running after SIGTERM"
[[ -z $(ip netns list | grep '^svcb-') ]] || fail "namespaces left after SIGTERM"

# A guest that stops answering (qemu frozen during the rule load): once it has been silent for
# --vm-silence it is booted again on the same taps, the point recorded as unresponsive (a result,
# exit 0), and no qemu is left behind.
"$svcbench" sweep --warmup 0 --node vm --vm-image "$image" --modes nftables --services 3000 --packets 200 --rate 1000 --repeats 1 \
  --vm-silence 5 --out "$work/frozen" 2>"$work/frozen.log" &
pid=$!
wait_for "$work/frozen.log" "nftables/3000: rule updates" 180 || fail "the vm sweep never reached its rule load"
kill -STOP "$(pgrep -f "qemu-system-x86_64.*svcb-t0")"
wait "$pid"
code=$?
[[ $code == 0 ]] || fail "sweep with a frozen guest: exit $code, want 0: $(tail -3 "$work/frozen.log")"
jq -e '.progress.state == "finished" and (.progress.failed | length) == 0
       and (.limit_reached[0] | .outcome == "unresponsive" and (.reason | contains("vm guest stopped answering")))
       and ([.latency[] | select(.mode == "nftables")] | length) == 0' "$work/frozen/results.json" >/dev/null \
  || fail "results with a frozen guest: $(jq -c '{p: .progress, l: .limit_reached}' "$work/frozen/results.json")"
no_guest || fail "a frozen qemu was left behind"
[[ -z $(ip netns list | grep '^svcb-') ]] || fail "namespaces left after a frozen guest"

# kill -9: the guest outlives svcbench; the next `testbed down` stops it.
"$svcbench" sweep --warmup 0 --node vm --vm-image "$image" --modes iptables-legacy --services 10 --packets 200 --rate 1000 --repeats 1 \
  --out "$work/killed" 2>"$work/killed.log" &
pid=$!
wait_for "$work/killed.log" "rule updates" 180 || fail "the vm sweep never reached its rule load"
kill -9 "$pid"
wait "$pid" 2>/dev/null
no_guest && fail "no guest outlived kill -9: the test proves nothing"
"$svcbench" testbed down || fail "testbed down after kill -9"
no_guest || fail "qemu left running after kill -9 + down"
[[ -z $(ip netns list | grep '^svcb-') ]] || fail "namespaces left after kill -9 + down"

# testbed up/down by hand, and a guest that exists before `down`.
"$svcbench" testbed up --node vm --vm-image "$image" 2>/dev/null || fail "testbed up --node vm"
"$svcbench" testbed status | jq -e '.up and .node == "vm"' >/dev/null || fail "status after up"
"$svcbench" testbed down || fail "testbed down"
no_guest || fail "qemu left running after down"
echo "vm_node: ok"
