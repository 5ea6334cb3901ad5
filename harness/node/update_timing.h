// Times the rule updates kube-proxy makes, on the node, with the real tools: initial load,
// full resync, add one Service, remove one, change one Service's endpoints.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dataplane_mode.h"
#include "synthetic_services.h"

namespace svcbench {

struct UpdateTimings {
  std::map<std::string, std::vector<double>> seconds;  // operation -> runs
  // {"median","min","max","runs"} per operation.
  static nlohmann::json summarize(const std::vector<double>& runs);
};

const std::vector<std::string>& update_operations();

// Runs every operation `repeats` times (fewer once an operation has taken 20 s in total:
// the JSON's "runs" says how many). Leaves the node loaded with `base`.
// `spec`/`plan` describe how to make the extra Service for add/remove.
UpdateTimings time_updates(DataplaneMode& mode, const ServiceSet& base, const SyntheticSpec& spec,
                           const AddressPlan& plan, int repeats);

}  // namespace svcbench
