// proxy.CategorizeEndpoints, as every kube-proxy mode uses it (without topology hints):
// which of a service port's endpoints serve Cluster and Local traffic policy.
#pragma once

#include <vector>

#include "service_model.h"

namespace svcbench {

struct EndpointCategories {
  std::vector<const Endpoint*> cluster;        // for Cluster policy (empty if unused)
  std::vector<const Endpoint*> local;          // for Local policy (empty if unused)
  std::vector<const Endpoint*> all_reachable;  // union, in `endpoints` order
  bool has_any = false;
  bool uses_cluster = false;                   // Service.UsesClusterEndpoints()
  bool uses_local = false;                     // Service.UsesLocalEndpoints()
};

// Ready endpoints, falling back to serving-and-terminating ones when none is ready.
std::vector<const Endpoint*> usable_endpoints(const std::vector<const Endpoint*>& endpoints);

// `endpoints` are the port's endpoints in kube-proxy's order (sorted by "ip:port").
EndpointCategories categorize_endpoints(const Service& service, const ServicePort& port,
                                        const std::vector<const Endpoint*>& endpoints);

}  // namespace svcbench
