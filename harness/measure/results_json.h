// The one writer of result rows: typed entries to results.json's JSON and summary.csv's
// rows (schema in README.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "dpdk_environment.h"
#include "latency_histogram.h"
#include "point_result.h"
#include "warm_up.h"

namespace svcbench {

// {"min","p50","p90","p99","p999","max","mean"} in ns.
nlohmann::json latency_summary_json(const LatencyHistogram& histogram);
// packets_tx ... saturated, latency_ns, endpoint_spread_max_deviation (+ latency_cdf).
nlohmann::json replay_json(const ReplayResult& result, bool with_cdf);
nlohmann::json to_json(const LatencyEntry& entry);
// {"mode", "services", "operation", "seconds": {"median","min","max","runs"}}
nlohmann::json to_json(const UpdateEntry& entry);
// {"mode", "services", "phase", "target", "goals": {"ndr": {lower_pps, upper_pps,
// conditional_pps, ...}, "pdr": ...}, "generator_max_pps", "cpu_ns_per_packet",
// "latency_at_load": [{"fraction", "rate_pps", "latency_ns", ...}], "search": {...}}
nlohmann::json to_json(const ThroughputEntry& entry);
// {"mode", "services", "ip_family", "lines": [...]}
nlohmann::json to_json(const KernelWarningsEntry& entry);
nlohmann::json to_json(const LimitReachedEntry& entry);
// {"stable", "seconds", "window_packets", "window_p50_ns": [...]}
nlohmann::json to_json(const WarmupResult& warmup);
// {"p50","p99","max","runs"} of values (nearest rank), null when there are none.
nlohmann::json stats_json(const std::vector<double>& values);
// {"mode", "services", "operation", "runs", "load": {...}, "tool_seconds", "convergence_seconds",
// "stale_seconds", "udp_stale_seconds", "blocked_seconds" (each stats_json),
// "network_programming_buckets": {"le", "counts"}, "background_latency_ns": {"before",
// "during"}, "per_run": [...], "timeline": {"first_bin_s", "bin_ms", "sent", "received", "lost",
// "p50_ns", "p99_ns", "probe_added", "probe_removed"}}
nlohmann::json to_json(const ConvergenceEntry& entry);
// The generator's part of the context: {"lcores", "ports": [{"name", "driver", "socket",
// "rx_clock"}], "tsc_hz"} (the TSC stamps every packet; its rate turns ns into cycles).
nlohmann::json generator_json(const DpdkEnvironment& env);
// summary.csv of a results document: one row per baseline, latency, update, throughput and
// convergence entry.
std::string summary_csv(const nlohmann::json& document);

}  // namespace svcbench
