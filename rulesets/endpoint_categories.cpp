#include "endpoint_categories.h"

#include <algorithm>

namespace svcbench {

std::vector<const Endpoint*> usable_endpoints(const std::vector<const Endpoint*>& eps) {
  std::vector<const Endpoint*> ready;
  for (auto* e : eps)
    if (e->ready) ready.push_back(e);
  if (!ready.empty()) return ready;
  std::vector<const Endpoint*> fallback;
  for (auto* e : eps)
    if (e->serving && e->terminating) fallback.push_back(e);
  return fallback;
}

EndpointCategories categorize_endpoints(const Service& svc, const ServicePort& port,
                                        const std::vector<const Endpoint*>& endpoints) {
  EndpointCategories c;
  const bool external_local = svc.external_policy_local(port);
  c.uses_cluster = !svc.internal_policy_local() || (svc.externally_accessible(port) && !external_local);
  c.uses_local = svc.internal_policy_local() || (svc.externally_accessible(port) && external_local);
  if (c.uses_cluster) c.cluster = usable_endpoints(endpoints);
  if (c.uses_local) {
    std::vector<const Endpoint*> locals;
    for (auto* e : endpoints)
      if (e->local) locals.push_back(e);
    c.local = usable_endpoints(locals);
  }
  c.has_any = !c.cluster.empty() || !c.local.empty();
  if (!c.uses_local) {
    c.all_reachable = c.cluster;
  } else if (!c.uses_cluster) {
    c.all_reachable = c.local;
  } else {
    for (auto* e : endpoints)
      if (std::find(c.cluster.begin(), c.cluster.end(), e) != c.cluster.end() ||
          std::find(c.local.begin(), c.local.end(), e) != c.local.end())
        c.all_reachable.push_back(e);
  }
  return c;
}

}  // namespace svcbench
