// What measuring one point yields, typed: the rule updates timed and one latency entry per
// phase x target (or capture). Writers (results_json.h) turn these into results.json rows;
// nothing here knows JSON.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "replay.h"

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

struct PointResult {
  std::vector<UpdateEntry> updates;
  std::vector<LatencyEntry> latency;
};

}  // namespace svcbench
