// Capacity of a node: the generator's own back-to-back maximum first, then per phase x target
// an MLRsearch (throughput_search.h) whose trials are real replays through the node, the
// node's CPU time per forwarded packet during each trial, and latency at fractions of the PDR.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "node.h"
#include "point_result.h"
#include "replay.h"
#include "synthetic_services.h"
#include "traffic_plan.h"

namespace svcbench {

struct ThroughputRequest {
  SearchProfile profile;  // max_load_pps is set per search from the generator's maximum
  uint16_t burst = 32;    // packets per tx burst in trials
  // The wait for late frames after each trial: RFC 2544's 2 s at most, ended once nothing
  // arrived for drain_quiet_ms (a node's queues hold far less than that).
  uint32_t drain_ms = 2000, drain_quiet_ms = 100;
  std::vector<double> latency_fractions = {0.1, 0.5, 0.9};  // of the PDR (else the NDR)
  double latency_seconds = 1;  // of traffic at each fraction
};

// One search against the node's loaded rules for `traffic` (a phase's frames to one target).
// Stops early on SIGINT (search.stopped). Throws what the node or the replayer throw.
ThroughputEntry measure_throughput(Node& node, PacketReplayer& through_node,
                                   const TrafficPlan& traffic, Phase phase,
                                   const GeneratorMaximum& generator_max,
                                   const ThroughputRequest& request);

// CPU time the node's kernel spent, from /proc/stat's aggregate line (USER_HZ ticks -> ns).
struct NodeCpu {
  double softirq_ns = 0, system_ns = 0;
};
std::optional<NodeCpu> parse_proc_stat(const std::string& text, long user_hz = 100);

}  // namespace svcbench
