// What a sweep measures: modes x Service counts on one node kind, with the traffic and
// update settings; recorded in results.json's "config" block so --resume finishes exactly
// that sweep.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "external_programmer.h"
#include "generator_setup.h"
#include "iptables_renderer.h"
#include "measure_convergence.h"
#include "measure_throughput.h"
#include "node.h"
#include "sweep_order.h"
#include "synthetic_services.h"
#include "warm_up.h"

namespace svcbench {

struct SweepConfig {
  std::vector<std::string> modes = {"iptables-legacy", "iptables-nft", "nftables"};
  std::vector<size_t> service_counts = {10, 30, 100, 300, 1000, 3000, 10000};
  std::string out_dir;
  std::string resume_dir;  // when set, out_dir == resume_dir
  std::string from_file;   // a cluster's kubectl JSON instead of synthetic Services
  SyntheticSpec spec;      // services overridden per point
  IptablesOptions iptables;  // each family's proxier reads them through options_for_family
  // The families measured, side by side per mode and count (dual: IPv4 then IPv6).
  std::vector<IpFamily> families = {IpFamily::kIpv4};
  uint64_t packets = 2000;  // per phase x target point
  uint64_t rate_pps = 5000;
  int repeats = 5;   // per update operation: 5 against 5 runs can test significant (p >= 0.008)
  // --op-limit: an update still running after this long is stopped, its point recorded with
  // limit_reached, and a point predicted past kSkipFactor times it is skipped (0: no limit).
  static constexpr double kDefaultOpLimitSeconds = 1800;
  static constexpr double kSkipFactor = 3;
  double op_limit_seconds = kDefaultOpLimitSeconds;
  PortChoice ports;  // empty: the af_packet devices on the node's links
  std::string node_kind = kDefaultNodeKind;
  NodeOptions node;  // the vm node's image and silence
  bool quick = false;
  // Capacity search per point (null: none), per phase x these targets.
  std::optional<ThroughputRequest> throughput;
  std::vector<TargetPosition> throughput_targets = {TargetPosition::kLast};
  // Updates under load per point (null: none).
  std::optional<ConvergenceRequest> convergence;
  // --program external: the hook makes each change, something else programs the node (null:
  // svcbench writes the rules).
  std::optional<ExternalProgram> external;
  // Against time effects: the calibration stream before the first point (max_seconds 0: none),
  // the points' order, and how far the back-to-back baseline at the end may drift from the
  // one at the start before results.json and the report flag it.
  WarmupPolicy warmup;
  SweepOrder order = SweepOrder::kShuffled;
  uint64_t order_seed = 1;
  double baseline_drift_tolerance = 0.10;
};

// The endpoints profile as results.json's config records it: {"name": ...} and, for a file's,
// its histogram (so --resume needs no file).
nlohmann::json endpoint_profile_json(const EndpointProfile& profile);

// Who programmed the node, as results.json's config records it: {"by": "svcbench"} or
// {"by": "external", "apply_hook": CMD, "apply_limit_s": S}.
nlohmann::json program_json(const std::optional<ExternalProgram>& external);

// The "config" block of results.json.
nlohmann::json config_json(const SweepConfig& config);
// The configuration an earlier run recorded in DIR/results.json, so that --resume finishes
// exactly that sweep. Throws UsageError when it is incomplete.
SweepConfig sweep_config_from_results(const std::string& directory);

}  // namespace svcbench
