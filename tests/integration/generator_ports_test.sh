#!/usr/bin/env bash
# The generator's ports as a user names them: `run --baseline` on a fresh testbed (nothing
# loaded) and scripts/bench-generator, a sweep over EAL arguments the user gives (the path a
# PCI run takes: the ports are named by --tx-port/--rx-port, never assumed), and a capture
# with a frame larger than the generator sends, refused up front.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node_test_lib.sh"
node_test generator_ports
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# run --baseline on a node with nothing loaded, at top speed in bursts (README's command).
"$svcbench" testbed up 2>/dev/null || fail "testbed up"
"$svcbench" run --baseline --rate 0 --burst 32 --packets 20000 --phase new-flow --target first \
  --out "$work/baseline.json" || fail "run --baseline on a fresh testbed"
jq -e '.latency | length == 1 and .[0].mode == "baseline" and .[0].packets_tx == 20000
       and .[0].packets_rx >= 19800 and .[0].misrouted == 0 and .[0].foreign == 0' "$work/baseline.json" >/dev/null \
  || fail "baseline: $(jq -c '.latency[0] | del(.latency_cdf)' "$work/baseline.json")"
# The same over ports the user names (README's bare-metal form, on virtual devices here).
"$svcbench" run --baseline --packets 2000 --phase new-flow --target uniform --tx-port net_af_packet4 --rx-port net_af_packet9 \
  --out "$work/baseline-eal.json" -- -l 0 --no-huge -m 256 --no-pci \
  --vdev net_af_packet4,iface=svcb-b0 --vdev net_af_packet9,iface=svcb-b1 || fail "run --baseline over named ports"
jq -e '.latency[0].packets_rx == 2000 and .latency[0].misrouted == 0
       and ([.context.generator.ports[].name] | sort) == ["net_af_packet4", "net_af_packet9"]' "$work/baseline-eal.json" >/dev/null \
  || fail "baseline over named ports: $(jq -c '.latency[0] | del(.latency_cdf)' "$work/baseline-eal.json")"
"$svcbench" testbed down

# A capture holding a 9,000-byte frame: one line, exit 2, before anything is touched.
python3 - "$work/jumbo.pcap" <<'PY'
import struct, sys
payload = bytes(9000 - 42)
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(payload), 0, 0, 64, 17, 0,
                 bytes([198, 18, 0, 2]), bytes([198, 19, 0, 1]))
frame = bytes(6) + bytes([2, 0, 0, 0, 0, 1]) + b"\x08\x00" + ip + struct.pack("!HHHH", 1024, 53, 8 + len(payload), 0) + payload
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    f.write(struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame)
PY
"$svcbench" testbed up 2>/dev/null || fail "testbed up"
if msg=$("$svcbench" run --pcap "$work/jumbo.pcap" --map-services 2>&1); then fail "a 9,000-byte frame was accepted"; fi
[[ $msg == *"9000 bytes"* && $(printf '%s\n' "$msg" | wc -l) == 1 ]] || fail "refusal is not one line naming the size: $msg"
"$svcbench" run --pcap "$work/jumbo.pcap" >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "jumbo capture: exit code not 2"
"$svcbench" testbed down

# A sweep over the user's own EAL arguments; the port names are the user's (7, 8, 5, 6).
eal=(-l 0 --no-huge -m 256 --no-pci --vdev net_af_packet7,iface=svcb-g0 --vdev net_af_packet8,iface=svcb-g1
     --vdev net_af_packet5,iface=svcb-b0 --vdev net_af_packet6,iface=svcb-b1)
if msg=$("$svcbench" sweep --modes iptables-legacy --services 10 --out "$work/no-ports" -- "${eal[@]}" 2>&1); then
  fail "a sweep over EAL arguments without --tx-port ran"
fi
[[ $msg == *"--tx-port"* ]] || fail "no clear message without ports: $msg"
[[ ! -e $work/no-ports ]] || fail "a refused sweep wrote $work/no-ports"
"$svcbench" sweep --warmup 0 --modes iptables-legacy,nftables --services 10,100 --packets 300 --repeats 1 --out "$work/eal" \
  --tx-port net_af_packet7 --rx-port net_af_packet8 --baseline-tx-port net_af_packet5 --baseline-rx-port net_af_packet6 \
  -- "${eal[@]}" 2>"$work/eal.log" || fail "sweep over EAL arguments: $(tail -3 "$work/eal.log")"
jq -e '.progress.state == "finished" and (.progress.failed | length) == 0 and (.latency | length) == 32
       and all(.latency[]; .packets_rx == .packets_tx and .packets_tx == 300 and .misrouted == 0)
       and .baseline.packets_rx == 300 and all(.latency[]; .rx_clock == "tsc")
       and .context.generator.lcores == 1
       and ([.context.generator.ports[].name] | sort) == ["net_af_packet5", "net_af_packet6", "net_af_packet7", "net_af_packet8"]
       and all(.context.generator.ports[]; .driver == "net_af_packet" and .rx_clock == "tsc")' "$work/eal/results.json" >/dev/null \
  || fail "sweep over EAL arguments measured wrongly: $(jq -c '.progress' "$work/eal/results.json")"

# scripts/bench-generator, as README shows it (small, to keep the suite short).
SVCBENCH="$svcbench" "$root/scripts/bench-generator" 20000 >"$work/bench.json" 2>"$work/bench.log" \
  || fail "scripts/bench-generator: $(tail -3 "$work/bench.log")"
jq -e '.svcbench_af_xdp.delivered_pps > 0 and .svcbench_af_xdp.packets_rx >= 19800
       and .svcbench_af_xdp.misrouted == 0 and .svcbench_af_packet.packets_rx >= 19800
       and .svcbench_af_packet_context.ports[0].driver == "net_af_packet"
       and .context.generator.ports[0].driver == "net_af_xdp"
       and .tcpreplay_K_topspeed.delivered >= 19800 and .tcpreplay_K_topspeed.delivered_pps > 0
       and .ratio_af_xdp_over_tcpreplay_delivered > 0' "$work/bench.json" >/dev/null \
  || fail "bench-generator output: $(cat "$work/bench.json")"
echo "generator_ports: ok"
