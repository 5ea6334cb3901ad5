// Times the rule updates kube-proxy makes, on the node, with the real tools: initial load,
// full resync, add one Service, remove one, change one Service's endpoints.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dataplane_mode.h"
#include "synthetic_services.h"

namespace svcbench {

// An operation --op-limit stopped: the node holds whatever its stopped tool left.
struct LimitReached {
  std::string outcome;        // "stopped" (--op-limit), "unresponsive" (the guest stopped answering)
  std::string operation;      // "initial-load", ...
  double limit_seconds = 0;   // --op-limit
  double elapsed_seconds = 0; // from the operation's start until the tool was stopped
  std::string stopped_tool;   // argv[0] of the tool that was running
  SyncSteps steps_done;       // the sync's steps that had finished
  std::string detail;         // unresponsive: the node's words (which guest, how long silent)
};

struct UpdateTimings {
  std::map<std::string, std::vector<double>> seconds;  // operation -> runs, in seconds
  std::map<std::string, std::vector<SyncSteps>> steps;  // operation -> each run's sync steps
  std::optional<LimitReached> limit_reached;  // the operations after it did not run
};

const std::vector<std::string>& update_operations();

// The Service add-service adds and remove-service removes: a synthetic one beyond `base`'s
// indices (its (ClusterIP, port) is unique); prefer_udp: the first UDP one within 64 indices.
Service extra_service(const ServiceSet& base, const SyntheticSpec& spec, const AddressPlan& plan,
                      bool prefer_udp = false);
// `base` with Service `index`'s endpoints moved to other pods (a rolling update): what
// change-endpoints syncs to.
ServiceSet with_moved_endpoints(const ServiceSet& base, size_t index, const AddressPlan& plan);

// Runs every operation `repeats` times, in the order initial load, add and remove a Service,
// change endpoints, full resync (fewer once an operation has taken 20 s in total:
// the JSON's "runs" says how many). Leaves the node loaded with `base`, unless an operation
// ran past `op_limit_seconds` (> 0): then its tool is stopped, the timings so far come back with
// `limit_reached`, and the node holds what the stopped tool left.
// `spec`/`plan` describe how to make the extra Service for add/remove.
UpdateTimings time_updates(DataplaneMode& mode, const ServiceSet& base, const SyntheticSpec& spec,
                           const AddressPlan& plan, int repeats, double op_limit_seconds = 0);

}  // namespace svcbench
