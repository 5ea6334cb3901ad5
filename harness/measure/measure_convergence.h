// Rule updates under a held load: for each update kube-proxy makes, a stream of stamped
// background traffic to the loaded Services plus probes aimed at what the update changes runs
// from `before_s` ahead of the update until `after_s` after it, while the update's real tool
// runs on the node (on a thread of its own). convergence_analysis.h reads the stream's log.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "dataplane_mode.h"
#include "node.h"
#include "point_result.h"
#include "replay.h"
#include "synthetic_services.h"

namespace svcbench {

// add-service, remove-service, change-endpoints, full-resync (initial-load has no loaded
// Services to carry a background load).
const std::vector<std::string>& convergence_operations();

struct ConvergenceRequest {
  std::vector<std::string> operations = convergence_operations();
  int repeats = 10;        // per operation; fewer once its updates took 20 s in total
  double load_pps = 0;     // the background load (0: the node's default rate)
  std::string load_source;  // what the rate is, for the results ("--load-rate", ...)
  double probe_pps = 1000;  // probes on top of the load: 1 ms between probe packets
  bool udp_conntrack_cleanup = true;  // delete removed endpoints' UDP entries, as kube-proxy does
  size_t established_flows = 256;
  double before_s = 1, after_s = 1;  // the analysed window around the update
  // The stream starts this long before the window and is not analysed: the node settles after the
  // untimed steps that set it up (a guest stays busy for ~0.2 s after a conntrack flush and a sync).
  double lead_s = 0.5;
  // Each operation's expected tool time (the point's update timing), to size the stream.
  std::map<std::string, double> expected_seconds;
};

// Measures each requested operation against `base`, which must be loaded on the node (and is
// again afterwards); `loaded` is the dispatch read back from it. Stops early on SIGINT,
// returning the operations finished. Throws SetupError when an update is rejected (after the
// stream has stopped and the update thread ended).
std::vector<ConvergenceEntry> measure_convergence(
    Node& node, DataplaneMode& mode, PacketReplayer& through_node, const ServiceSet& base,
    const SyntheticSpec& spec, const AddressPlan& plan, const std::vector<ServiceDispatch>& loaded,
    const ConvergenceRequest& request,
    const std::function<void(const std::string&)>& progress = {});

}  // namespace svcbench
