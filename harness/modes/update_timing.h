// Times the rule updates kube-proxy makes, on the node, with the real tools: initial load,
// full resync, add one Service, remove one, change one Service's endpoints.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dataplane_mode.h"
#include "synthetic_services.h"

namespace svcbench {

struct UpdateTimings {
  std::map<std::string, std::vector<double>> seconds;  // operation -> runs, in seconds
};

const std::vector<std::string>& update_operations();

// Runs every operation `repeats` times (fewer once an operation has taken 20 s in total:
// the JSON's "runs" says how many). Leaves the node loaded with `base`.
// `spec`/`plan` describe how to make the extra Service for add/remove.
UpdateTimings time_updates(DataplaneMode& mode, const ServiceSet& base, const SyntheticSpec& spec,
                           const AddressPlan& plan, int repeats);

}  // namespace svcbench
