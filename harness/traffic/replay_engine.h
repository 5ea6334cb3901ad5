// The generator's burst loop on one lcore: stamp every packet with a signature, pace it,
// send it on the TX port and match what comes back on the RX port. Setup allocates; the
// loop does not (mbufs come from the mempool, counters and bitmaps are sized beforehand).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "dpdk_ports.h"
#include "latency_histogram.h"
#include "traffic_plan.h"

namespace svcbench {

struct ReplaySettings {
  Phase phase = Phase::kNewFlow;
  uint64_t packets = 2000;         // measured packets (per loop when replaying a capture)
  uint64_t rate_pps = 5000;        // 0: top speed
  bool capture_timing = false;     // honour the templates' offset_ns (pcap replay)
  double speed = 1.0;              // capture timing multiplier (2.0 = twice as fast)
  uint16_t burst = 1;              // packets per tx_burst; 1 gives per-packet latency
  uint32_t established_flows = 256;
  uint32_t drain_ms = 200;         // wait for stragglers after the last packet
  bool rewrite_source = true;      // new-flow: fresh 5-tuple per packet; else template's
};

struct ReplayResult {
  uint64_t tx = 0, rx = 0, lost = 0, duplicates = 0, reordered = 0, misrouted = 0;
  uint64_t foreign = 0;            // received frames without this run's signature
  uint64_t tx_failed = 0;          // the port refused them after retries
  double seconds = 0;               // first to last measured transmission
  double rx_seconds = 0;            // first measured transmission to the last arrival
  LatencyHistogram latency;
  // Per flow, how many packets reached each of its endpoints (DNAT spread).
  std::vector<std::vector<uint64_t>> endpoint_hits;
  double tx_pps() const { return seconds > 0 ? static_cast<double>(tx) / seconds : 0; }
  double rx_pps() const { return rx_seconds > 0 ? static_cast<double>(rx) / rx_seconds : 0; }
  // The node could not keep up with the offered rate: packets were lost, or they came back
  // more than 10% slower than they were sent. Latency then measures the node's queue, not
  // its per-packet cost (the minimum still approximates that).
  bool saturated() const { return lost > 0 || (tx > 1 && rx_pps() < 0.9 * tx_pps()); }
  nlohmann::json to_json(bool with_cdf = false) const;
  // Largest relative deviation of an endpoint's share from 1/E over flows with >= 1
  // endpoint and enough packets; 0 when nothing to judge.
  double worst_spread_deviation(uint64_t min_packets = 100) const;
};

class TrafficGenerator {
 public:
  // dst_mac: where frames are addressed (the node's ingress link, or the baseline peer).
  TrafficGenerator(DpdkEnvironment& env, uint16_t tx_port, uint16_t rx_port, MacAddress dst_mac,
                   const AddressPlan& plan);
  // validate_dnat: check that each received packet's destination is one of its flow's
  // endpoints (false for the back-to-back baseline, where nothing is translated).
  ReplayResult replay(const TrafficPlan& traffic, const ReplaySettings& settings, bool validate_dnat);

 private:
  DpdkEnvironment& env_;
  uint16_t tx_port_, rx_port_;
  MacAddress src_mac_, dst_mac_;
  AddressPlan plan_;
  uint32_t run_id_ = 0;
};

}  // namespace svcbench
