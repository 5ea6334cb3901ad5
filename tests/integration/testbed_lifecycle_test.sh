#!/usr/bin/env bash
# testbed up/down leave nothing behind, down is idempotent, and leftovers of a killed run
# (namespaces, root-namespace svcb-* links) are cleaned by the next up or down.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test testbed_lifecycle
leftovers() { { ip netns list | grep -c '^svcb-' || true; } ; }
root_links() { { ls /sys/class/net | grep -c '^svcb-' || true; } ; }

"$svcbench" testbed up
"$svcbench" testbed status | jq -e '.up == true and (.namespaces | length) == 2 and (.root_links | length) == 0' >/dev/null \
  || fail "status after up"
ip netns exec svcb-node ip -j addr show dev svcb-n0 | jq -e '.[0].addr_info[] | select(.local == "198.18.0.1")' >/dev/null \
  || fail "node ingress address"
[[ $(ip netns exec svcb-node sysctl -n net.ipv4.ip_forward) == 1 ]] || fail "forwarding off"
"$svcbench" testbed down
[[ $(leftovers) == 0 ]] || fail "namespaces left after down"
[[ $(root_links) == 0 ]] || fail "links left after down"
"$svcbench" testbed down || fail "second down is not idempotent"

# What a kill -9 could leave: a namespace and a veth in the root namespace.
ip netns add svcb-node
ip link add svcb-zz0 type veth peer name svcb-zz1
"$svcbench" testbed up
[[ $(root_links) == 0 ]] || fail "up did not remove leftover root links"
"$svcbench" testbed status | jq -e '.up' >/dev/null || fail "up over leftovers"
"$svcbench" testbed down
[[ $(leftovers) == 0 && $(root_links) == 0 ]] || fail "leftovers after down"
# A namespace put in the node's place by someone else is never programmed.
"$svcbench" testbed up || fail "testbed up"
ip netns delete svcb-node
ip netns add svcb-node
ip -n svcb-node link add svcb-n0 type veth peer name svcb-n9
if msg=$("$svcbench" run --packets 10 2>&1); then fail "run on a foreign svcb-node succeeded"; fi
[[ $msg == *"not created by"* && $(printf '%s\n' "$msg" | wc -l) == 1 ]] || fail "unclear refusal: $msg"
ip netns exec svcb-node iptables-save | grep -q KUBE && fail "the foreign namespace was programmed"
"$svcbench" testbed down
[[ $(leftovers) == 0 ]] || fail "the foreign namespace was not removed by down"
# A second svcbench cannot tear down the node under one that holds the testbed.
mkdir -p /run/svcbench
flock /run/svcbench/testbed.lock sleep 3 &
holder=$!
sleep 0.5
if msg=$("$svcbench" testbed down 2>&1); then fail "down while the testbed is held succeeded"; fi
[[ $msg == *"another svcbench"* ]] || fail "no clear message while held: $msg"
wait "$holder"
"$svcbench" testbed down || fail "down after the holder left"
echo "testbed_lifecycle: ok"
