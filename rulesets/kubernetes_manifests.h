// A ServiceSet as the Kubernetes objects that make kube-proxy write it: a List that
// `kubectl apply -f` takes, of selector-less Services and their EndpointSlices (managed by
// svcbench, so no controller rewrites them). import_kubernetes_list reads it back to the same
// set, so `svcbench rules --from` the List prints what `svcbench rules --services N` prints.
#pragma once

#include <string>

#include "service_model.h"

namespace svcbench {

// Endpoints marked local carry nodeName `node_name` (read back with ImportOptions.node_name).
std::string kubernetes_manifests(const ServiceSet& services, IpFamily family,
                                 const std::string& node_name = "svcbench-node");

// The objects a change from `before` to `after` touches, as a List: those added or changed (as
// they are after it), then those removed (as they were). An external programmer's hook applies
// the first kind and deletes the second (SVCBENCH_CHANGE says which a change is).
std::string kubernetes_change_manifests(const ServiceSet& before, const ServiceSet& after,
                                        IpFamily family, const std::string& node_name = "svcbench-node");

}  // namespace svcbench
