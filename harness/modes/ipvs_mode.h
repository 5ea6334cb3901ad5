// kube-proxy's IPVS mode on a node whose kernel has IP_VS (the uml and vm nodes here). Every
// sync runs what its proxier runs (--ipvs-sync kube-proxy, the default): ensure-jumps, one
// `ipset create` per set, its in-process netlink calls (per virtual server a get, add or edit,
// the address bind, a get and a real-server dump, real servers added or deleted) through
// svcb-ipvs-netlink, one `ipset list` per set, one `ipset add/del` per changed entry,
// iptables-restore, then unbinding and deleting what Services left. --ipvs-sync batched
// applies the same changes as svcbench did before: `ipset restore`, `ip -batch`, the netlink
// writes alone, iptables-restore. Each update is the sum of the steps' times on the node.
#pragma once

#include <memory>

#include "dataplane_mode.h"
#include "iptables_renderer.h"
#include "ipvs_renderer.h"
#include "sync_steps.h"

namespace svcbench {

class IpvsMode : public DataplaneMode {
 public:
  IpvsMode(Node& node, IpvsOptions options);  // throws UsageError if the kernel has no IP_VS
  std::string name() const override { return "ipvs"; }
  void reset() override;
  double initial_load(const ServiceSet& services) override;
  Apply prepare_full_resync(const ServiceSet& services) override;
  Apply prepare_partial_sync(const ServiceSet& before, const ServiceSet& after) override;
  std::string loaded_ruleset() override;
  std::vector<ServiceDispatch> loaded_dispatch() override;
  const SyncSteps& last_sync_steps() const override { return sync_.steps(); }

 private:
  // What a sync writes, rendered ahead of the tools: the ipset restore, the addresses to bind,
  // the virtual/real server lines for the netlink tool, the iptables rules.
  struct Steps {
    std::string ipsets, addresses, servers, iptables;
  };
  Steps steps(const IpvsProgramme& to, const IpvsProgramme* from) const;
  double apply_batched(const Steps& steps, const std::string& what);
  // One sync as kube-proxy runs it, from the node holding `from` (nullptr: nothing) to `to`.
  double kube_proxy_sync(const IpvsProgramme& to, const IpvsProgramme* from, const std::string& what);
  // kube-proxy's one-process-per-call lines run as one step (invocations: the lines).
  double calls(const std::string& name, const std::vector<std::string>& lines, const std::string& what);
  // Runs one of the sync's tools as step `name` of it; a failure throws naming `what`.
  double step(const std::string& name, const std::vector<std::string>& argv,
              const std::string& input, const std::string& what);
  SyncRecorder sync_;
  std::string iptables_tool(const char* suffix) const;  // "iptables-legacy" or ip6tables'
  Node& node_;
  IpvsOptions options_;
  std::string netlink_tool_;
};

std::unique_ptr<DataplaneMode> make_ipvs_mode(Node& node, const IptablesOptions& options);
// Four sections a user can apply by hand: ipset restore, ip -batch, ipvsadm -R, iptables-restore.
std::string render_ipvs_text(const ServiceSet& services, const IptablesOptions& options,
                             bool canonical);

}  // namespace svcbench
