// What one replay asks (ReplaySettings) and what it measured (ReplayResult), and the seam
// every sender of traffic implements (PacketReplayer): the DPDK TrafficGenerator at a real
// node, or a fake in unit tests of the logic above it. Plain data: no JSON, no DPDK.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "latency_histogram.h"
#include "traffic_plan.h"

namespace svcbench {

// Distinct source tuples a new-flow replay sends (4 client addresses x 60,000 ports): beyond
// this many packets in one replay tuples repeat and hit conntrack entries instead of new ones.
inline constexpr uint64_t kNewFlowTuples = 240'000;

struct ReplaySettings {
  Phase phase = Phase::kNewFlow;
  uint64_t packets = 2000;      // measured packets (per loop when replaying a capture)
  uint64_t rate_pps = 5000;     // 0: top speed
  bool capture_timing = false;  // honour the templates' offset_ns (pcap replay)
  double speed = 1.0;           // capture timing multiplier (2.0 = twice as fast)
  uint16_t burst = 1;           // packets per tx_burst, 1..kMaxBurst; 1 gives per-packet latency
  uint32_t established_flows = 256;
  uint32_t drain_ms = 200;     // wait for stragglers after the last packet
  uint32_t drain_quiet_ms = 0;  // end the wait once nothing arrived for this long (0: never)
  bool rewrite_source = true;  // new-flow: fresh 5-tuple per packet; else template's
  bool in_order = false;       // cycle through the templates in order (else new flows draw one)
  // Stop sending after this long (0: send every packet however long it takes). A capacity
  // trial lasts its duration: what the generator could not send by then was not offered in time.
  double send_deadline_s = 0;
  static constexpr uint16_t kMaxBurst = 64;
};

struct ReplayResult {
  uint64_t tx = 0, rx = 0, lost = 0, duplicates = 0, reordered = 0, misrouted = 0;
  uint64_t foreign = 0;    // received frames without this run's signature
  uint64_t tx_failed = 0;  // the port refused them after retries
  uint64_t unsent = 0;     // not sent by the send deadline (the path held the generator back)
  double seconds = 0;      // first to last measured transmission
  double rx_seconds = 0;   // first measured transmission to the last arrival
  uint16_t burst = 1;      // packets sent back to back, as the replay's settings said
  LatencyHistogram latency;
  const char* rx_clock = "tsc";     // what stamped arrivals: "nic" (the port) or "tsc" (rx_burst)
  // Per flow, how many packets reached each of its endpoints (DNAT spread).
  std::vector<std::vector<uint64_t>> endpoint_hits;
  double tx_pps() const { return seconds > 0 ? static_cast<double>(tx) / seconds : 0; }
  double rx_pps() const { return rx_seconds > 0 ? static_cast<double>(rx) / rx_seconds : 0; }
  // The node could not keep up with the offered rate: packets were lost, they came back more
  // than 10% slower than they were sent, or the median packet waited behind more than four
  // send intervals (of a burst each) longer than the fastest one did -- a queue that a short
  // run ends before it shows as a rate deficit. Latency then measures the node's queue, not its
  // per-packet cost (the minimum still approximates that).
  bool saturated() const {
    return lost > 0 || (tx > 1 && rx_pps() < 0.9 * tx_pps()) || queued();
  }
  bool queued() const {
    if (tx < 2 || tx_pps() <= 0 || latency.count() == 0) return false;
    const double interval_ns = 1e9 * burst / tx_pps();
    return static_cast<double>(latency.percentile(50) - latency.min()) > 4 * interval_ns;
  }
  // Largest relative deviation of an endpoint's share from 1/E over flows with >= 1
  // endpoint and enough packets; 0 when nothing to judge.
  double worst_spread_deviation(uint64_t min_packets = 100) const;
};

// A stream: traffic at a steady rate for as long as the caller wants (rule updates under a
// held load), templates cycled in order, every packet logged as sent and as it came back.
struct StreamSettings {
  uint64_t rate_pps = 5000;
  uint64_t max_packets = 1'000'000;  // the log's size: sending stops once it is full
  uint32_t drain_ms = 500;           // wait for stragglers after the last packet
  uint32_t drain_quiet_ms = 100;     // end the wait once nothing arrived for this long
};

struct StreamPacket {
  static constexpr int32_t kNotBack = -1, kMisrouted = -2;
  uint64_t tx_ns = 0;  // steady clock (std::chrono::steady_clock), when the port took it; 0: refused
  uint64_t rx_ns = 0;  // steady clock, when it came back; 0: did not
  uint32_t flow = 0;
  int32_t endpoint = kNotBack;  // index into its flow's endpoints, or kMisrouted
};

struct StreamLog {
  std::vector<StreamPacket> packets;  // by sequence number; [0, sent)
  uint64_t sent = 0;                  // sequence numbers used (refused ones included)
  uint64_t foreign = 0, duplicates = 0;
  uint64_t max_lag_ns = 0;  // how far sending fell behind its schedule at worst
  bool full = false;        // sending stopped because the log was full
};

// Asked between packets whether to keep sending; now_ns on the steady clock.
using KeepSending = std::function<bool(uint64_t now_ns)>;

// Now on the steady clock, in ns: what stream logs and their callers compare.
inline uint64_t steady_now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

class PacketReplayer {
 public:
  virtual ~PacketReplayer() = default;
  // Sends `traffic` as `settings` say and matches what comes back. validate_dnat: check that
  // each received packet's destination is one of its flow's endpoints.
  virtual ReplayResult replay(const TrafficPlan& traffic, const ReplaySettings& settings,
                              bool validate_dnat) = 0;
  // Sends `traffic` as a stream until keep_sending says stop, the log is full or a signal
  // arrives; fixed-tuple templates are sent once first (unlogged) so their flows are
  // established. Every arrival is checked against its flow's endpoints.
  virtual StreamLog stream(const TrafficPlan& traffic, const StreamSettings& settings,
                           const KeepSending& keep_sending) = 0;
};

}  // namespace svcbench
