#include "sync_plan.h"

#include <map>
#include <unordered_set>

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
  const auto previous = render_iptables(before, options);
  const auto current = render_iptables(after, options, SyncScope{});
  const std::unordered_set<std::string> kept(current.active_nat_chains.begin(), current.active_nat_chains.end());
  for (const auto& chain : previous.active_nat_chains)
    if (!kept.contains(chain)) scope.stale_nat_chains.push_back(chain);
  return render_iptables(after, options, scope);
}

}  // namespace svcbench
