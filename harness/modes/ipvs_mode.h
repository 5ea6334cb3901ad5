// kube-proxy's IPVS mode on a node whose kernel has IP_VS (the vm node here): ipsets with
// `ipset restore`, Service addresses on kube-ipvs0 with `ip -batch`, virtual and real servers
// over generic netlink one request each (svcb-ipvs-netlink, as kube-proxy does), and the
// constant-size iptables rules with iptables-restore. Each update is the sum of those tools'
// times on the node.
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
  double apply(const Steps& steps, const std::string& what);
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
