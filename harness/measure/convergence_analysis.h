// What one rule update did to packets, read from a stream's log: the pure half of the
// convergence measurement (measure_convergence.h drives the node and the generator). Each flow
// of the stream has a role: background load, or a probe aimed at what the update changes, whose
// endpoints are kept, added or removed by it. All times are on the steady clock, in ns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "latency_histogram.h"
#include "replay.h"
#include "sync_steps.h"

namespace svcbench {

enum class FlowRole : uint8_t {
  kBackground,     // the held load: lost packets count as blocked time
  kProbeNewFlows,  // a fresh tuple per packet to the Service the update changes
  kProbeUdpFlow,   // one established UDP flow to it (stale conntrack entries)
};
enum class EndpointChange : uint8_t { kKept, kAdded, kRemoved };

struct StreamRoles {
  std::vector<FlowRole> role;                               // per flow of the stream
  std::vector<std::vector<EndpointChange>> endpoint_change;  // per flow, per endpoint
};

struct UpdateWindow {
  uint64_t start_ns = 0, end_ns = 0;  // the update's tool(s), as the generator's clock saw them
  uint64_t before_ns = 1'000'000'000, after_ns = 1'000'000'000;  // the window around it
};

// One 1 ms (or wider, for long updates) slice of the window, by send time.
struct Timeline {
  double first_bin_s = 0;  // the first bin's start, relative to the update's start
  double bin_ms = 1;
  std::vector<uint64_t> sent, received, lost;  // background packets
  std::vector<uint64_t> p50_ns, p99_ns;         // background latency (0: none came back)
  std::vector<uint64_t> probe_added, probe_removed;  // probe arrivals at added / removed endpoints
};

struct ConvergenceRun {
  double tool_seconds = 0;     // the update tool on the node's clock
  double update_seconds = 0;   // start to end on the generator's clock (tools, cleanup, dispatch)
  double render_seconds = 0;   // svcbench working out what to write, before the update started
  double cleanup_seconds = 0;  // the UDP conntrack deletions after the update (0: none)
  // Update start -> first probe arrival DNAT-ed to an added endpoint.
  std::optional<double> convergence_seconds;
  // Update start -> last new-flow probe arrival at a removed endpoint (0: none after the start).
  std::optional<double> stale_seconds;
  // The same for the established UDP flow; still_stale: it still reached a removed endpoint
  // in the second half of the after-window (its conntrack entry outlived the update).
  std::optional<double> udp_stale_seconds;
  bool udp_still_stale = false;
  uint64_t background_sent = 0, background_lost = 0, background_misrouted = 0;
  double background_pps = 0;   // offered, over the window
  double blocked_seconds = 0;  // background lost / offered rate
  LatencyHistogram latency_before, latency_during;  // background, by send time
  uint64_t max_lag_ns = 0;      // the generator's worst delay against its schedule
  uint64_t probe_misrouted = 0;  // probe arrivals at an endpoint the probe does not know
  bool log_full = false;
  Timeline timeline;
  SyncSteps steps;  // the update's sync, step by step (an external programmer: hook, visible)
};

// Bins at least 1 ms wide, at most max_bins over the window.
ConvergenceRun analyse_stream(const StreamLog& log, const StreamRoles& roles,
                              const UpdateWindow& window, size_t max_bins = 10'000);

// kube-proxy's kubeproxy_network_programming_duration_seconds buckets (upper bounds, s):
// 0.25, 0.5, 1..59, 60..115 by 5, 120..300 by 30.
const std::vector<double>& network_programming_buckets();
// Cumulative counts per bucket (Prometheus "le"), then +Inf last.
std::vector<uint64_t> bucket_counts(const std::vector<double>& seconds);

// p-th percentile (0..100) of `values` by nearest rank; 0 when empty.
double percentile_of(std::vector<double> values, double p);

}  // namespace svcbench
