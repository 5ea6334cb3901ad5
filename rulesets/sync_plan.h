// What kube-proxy writes to move a node from one ServiceSet to another: a full sync, or a
// partial sync (KEP-3453) that rewrites the top-level chains plus only the changed Services'
// chains and deletes chains that are no longer used.
#pragma once

#include <set>
#include <string>

#include "iptables_renderer.h"
#include "service_model.h"

namespace svcbench {

// Namespaced names of Services added, removed or changed (ports, addresses, endpoints).
std::set<std::string> changed_services(const ServiceSet& before, const ServiceSet& after);

IptablesPayload plan_partial_sync(const ServiceSet& before, const ServiceSet& after,
                                  const IptablesOptions& options);

}  // namespace svcbench
