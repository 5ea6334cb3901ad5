// Reads a cluster's Services and EndpointSlices from the JSON that
// `kubectl get services,endpointslices -A -o json` prints (a v1 List).
#pragma once

#include <string>
#include <string_view>

#include "address_plan.h"
#include "service_model.h"

namespace svcbench {

struct ImportOptions {
  std::string node_name;  // endpoints with this nodeName count as local
  IpFamily family = IpFamily::kIpv4;  // the proxier's family: what of each Service it programs
};

// Throws std::runtime_error naming what is wrong (bad JSON, not a List, bad address...).
// Headless and ExternalName Services are skipped, and so is everything of the other IP family
// (ClusterIPs, external and LoadBalancer IPs, source ranges, slices), as kube-proxy's proxier for
// `options.family` skips them.
ServiceSet import_kubernetes_list(std::string_view json_text, const ImportOptions& options);

// Moves every address of `set` into the plan's blocks (ClusterIPs, pods, external IPs) in a
// stable order, keeping names, ports and structure, so a real cluster's shape can be
// replayed on a testbed without sending to its real addresses.
void remap_into_plan(ServiceSet& set, const AddressPlan& plan);

}  // namespace svcbench
