#include "sync_plan.h"

#include <map>

namespace svcbench {

std::set<std::string> changed_services(const ServiceSet& before, const ServiceSet& after) {
  std::map<std::string, const Service*> old_index;
  for (const auto& s : before.services) old_index[s.namespaced_name()] = &s;
  std::set<std::string> changed;
  for (const auto& s : after.services) {
    auto it = old_index.find(s.namespaced_name());
    if (it == old_index.end() || !(*it->second == s)) changed.insert(s.namespaced_name());
    if (it != old_index.end()) old_index.erase(it);
  }
  for (const auto& [name, _] : old_index) changed.insert(name);
  return changed;
}

IptablesPayload plan_partial_sync(const ServiceSet& before, const ServiceSet& after,
                                  const IptablesOptions& options) {
  SyncScope scope;
  scope.changed_services = changed_services(before, after);
  // kube-proxy learns the existing chains from iptables-save; the node was programmed from
  // `before`, so its chains are exactly the ones `before` renders.
  scope.existing_nat_chains = render_iptables(before, options).active_nat_chains;
  return render_iptables(after, options, scope);
}

}  // namespace svcbench
