// What measuring one point yields, typed: the rule updates timed, one latency entry per
// phase x target (or capture) and, with a capacity search, one throughput entry per phase x
// target. Writers (results_json.h) turn these into results.json rows;
// nothing here knows JSON.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "convergence_analysis.h"
#include "replay.h"
#include "sync_steps.h"
#include "throughput_search.h"

namespace svcbench {

struct LatencyEntry {
  std::string mode;     // a mode's name, or "baseline"
  size_t services = 0;  // the point's Service count (run: frontends loaded on the node)
  IpFamily ip_family = IpFamily::kIpv4;  // of the traffic, the Services and the proxier
  Phase phase = Phase::kNewFlow;
  std::string target;  // "first" | "middle" | "last" | "uniform" | "pcap"
  // The 0-based position of the targeted rule in KUBE-SERVICES (uniform: how many Services
  // were drawn from); absent for captures and the baseline.
  std::optional<size_t> target_positions;
  // Endpoints of the targeted Service (the length of its KUBE-SVC chain); absent for uniform.
  std::optional<size_t> target_endpoints;
  std::optional<size_t> pcap_skipped_packets;  // capture frames that could not be replayed
  bool with_cdf = false;                       // write the latency CDF (the uniform target)
  ReplayResult replay;
};

struct UpdateEntry {
  std::string mode;
  size_t services = 0;
  std::string operation;        // one of update_operations()
  std::vector<double> seconds;  // one per run, on the node's clock: the writing tool alone
  IpFamily ip_family = IpFamily::kIpv4;
  std::vector<SyncSteps> steps;  // one per run: every tool of that sync (sync_steps.h)
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
  IpFamily ip_family = IpFamily::kIpv4;
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

// The load held while an update runs, and the probes aimed at what it changes.
struct ConvergenceLoad {
  double background_pps = 0;  // established + new flows to the loaded Services
  double new_flow_pps = 0, established_pps = 0;
  size_t established_flows = 0;
  size_t new_flow_services = 0;  // Services the new flows rotate over
  double probe_pps = 0;
  std::string source;  // where the background rate came from ("50% of the new-flow PDR", ...)
};

// One update operation under load, repeated: per run what the update did to packets.
struct ConvergenceEntry {
  std::string mode;
  size_t services = 0;
  IpFamily ip_family = IpFamily::kIpv4;
  std::string operation;  // one of convergence_operations()
  ConvergenceLoad load;
  bool udp_conntrack_cleanup = true;  // kube-proxy's deletion of removed endpoints' UDP entries
  std::string probe;                  // what the probe aims at ("added Service 198.19.x.y:83/udp")
  std::vector<ConvergenceRun> runs;
  size_t timeline_run = 0;  // which run's timeline is kept (median convergence, else tool time)
  std::string message;      // e.g. why there is no established-UDP probe
};

// Kernel warnings the node logged while a point was measured (dmesg: RCU stalls, lockups...).
struct KernelWarningsEntry {
  std::string mode;
  size_t services = 0;
  IpFamily ip_family = IpFamily::kIpv4;
  std::vector<std::string> lines;
};

// A point --op-limit cut short (outcome "stopped": its operation's tool was stopped; the
// point's later operations and its traffic did not run) or skipped before it started
// (outcome "skipped": predicted far past the limit from smaller sizes, or a smaller size
// already reached it, or the netns node's kernel logged warnings at a smaller size).
struct LimitReachedEntry {
  std::string mode;
  size_t services = 0;
  IpFamily ip_family = IpFamily::kIpv4;
  std::string outcome;           // "stopped" | "skipped"
  std::string operation;         // the operation stopped, or predicted the longest
  double limit_seconds = 0;      // --op-limit
  double elapsed_seconds = -1;   // stopped: from the operation's start to the stop
  std::string stopped_tool;      // stopped: the tool that was running
  SyncSteps steps_done;          // stopped: the sync's steps that had finished
  double predicted_seconds = -1; // the prediction from smaller sizes (-1: none)
  std::string reason;            // one line: why
};

struct PointResult {
  std::vector<UpdateEntry> updates;
  std::vector<LatencyEntry> latency;
  std::vector<ThroughputEntry> throughput;
  std::vector<ConvergenceEntry> convergence;
  std::optional<KernelWarningsEntry> kernel_warnings;  // none logged: absent
  std::optional<LimitReachedEntry> limit_reached;      // the point ran to its end: absent

  // Every entry's ip_family: a point measures one family's proxier.
  void set_ip_family(IpFamily family) {
    for (auto& e : updates) e.ip_family = family;
    for (auto& e : latency) e.ip_family = family;
    for (auto& e : throughput) e.ip_family = family;
    for (auto& e : convergence) e.ip_family = family;
    if (kernel_warnings) kernel_warnings->ip_family = family;
    if (limit_reached) limit_reached->ip_family = family;
  }
};

}  // namespace svcbench
