// The one writer of result rows: typed entries to results.json's JSON and summary.csv's
// rows (schema in README.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "dpdk_environment.h"
#include "latency_histogram.h"
#include "point_result.h"

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
// The generator's part of the context: {"lcores", "ports": [{"name", "driver", "socket",
// "rx_clock"}], "tsc_hz"} (the TSC stamps every packet; its rate turns ns into cycles).
nlohmann::json generator_json(const DpdkEnvironment& env);
// summary.csv of a results document: one row per baseline, latency, update and throughput
// entry.
std::string summary_csv(const nlohmann::json& document);

}  // namespace svcbench
