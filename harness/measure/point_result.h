// What measuring one point yields, typed: the rule updates timed, one latency entry per
// phase x target (or capture) and, with a capacity search, one throughput entry per phase x
// target. Writers (results_json.h) turn these into results.json rows;
// nothing here knows JSON.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "replay.h"
#include "throughput_search.h"

namespace svcbench {

struct LatencyEntry {
  std::string mode;     // a mode's name, or "baseline"
  size_t services = 0;  // the point's Service count (run: frontends loaded on the node)
  Phase phase = Phase::kNewFlow;
  std::string target;  // "first" | "middle" | "last" | "uniform" | "pcap"
  // The 0-based position of the targeted rule in KUBE-SERVICES (uniform: how many Services
  // were drawn from); absent for captures and the baseline.
  std::optional<size_t> target_positions;
  std::optional<size_t> pcap_skipped_packets;  // capture frames that could not be replayed
  bool with_cdf = false;                       // write the latency CDF (the uniform target)
  ReplayResult replay;
};

struct UpdateEntry {
  std::string mode;
  size_t services = 0;
  std::string operation;        // one of update_operations()
  std::vector<double> seconds;  // one per run, on the node's clock
};

// The generator's maximum on a link: frames per second delivered (stamped, sent, received
// and matched) at top speed.
struct GeneratorMaximum {
  double pps = 0;
  std::string measured_on;  // "back-to-back" | "through the node (transmit rate)"
};

struct LoadedLatency {
  double fraction = 0;  // of the reference rate
  double rate_pps = 0;
  uint16_t burst = 1;  // packets per tx burst that kept the rate
  ReplayResult replay;
};

struct ThroughputEntry {
  std::string mode;
  size_t services = 0;
  Phase phase = Phase::kNewFlow;
  std::string target;
  std::optional<size_t> target_positions;  // as LatencyEntry's
  GeneratorMaximum generator_max;
  double max_load_pps = 0;  // the search's ceiling: the generator's maximum, or less (new flows)
  std::string max_load_reason;  // why the ceiling is below the generator's maximum
  SearchResult search;
  double search_wall_seconds = 0;  // trials, waits and conntrack flushes included
  uint32_t drain_ms = 0, drain_quiet_ms = 0;
  uint16_t burst = 0;
  // Node CPU (softirq, plus system time where the node has its own kernel) per packet it
  // forwarded, in trials at the NDR's lower bound; absent when not measurable.
  std::optional<double> cpu_ns_per_packet;
  std::string cpu_counted;  // what the CPU time includes
  std::vector<LoadedLatency> latency_at_load;
  std::string message;  // e.g. "the node lost frames even at 1000 pps"
};

struct PointResult {
  std::vector<UpdateEntry> updates;
  std::vector<LatencyEntry> latency;
  std::vector<ThroughputEntry> throughput;
};

}  // namespace svcbench
