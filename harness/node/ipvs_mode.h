// kube-proxy's IPVS mode on a node whose kernel has IP_VS (the vm node here): ipsets with
// `ipset restore`, Service addresses on kube-ipvs0 with `ip -batch`, virtual and real servers
// over generic netlink one request each (svcb-ipvs-netlink, as kube-proxy does), and the
// constant-size iptables rules with iptables-restore. Each update is the sum of those tools'
// times on the node.
#pragma once

#include "dataplane_mode.h"
#include "ipvs_renderer.h"
#include "node_shell.h"

namespace svcbench {

class IpvsMode : public DataplaneMode {
 public:
  IpvsMode(std::shared_ptr<NodeShell> node, IpvsOptions options);  // throws if no IP_VS
  std::string name() const override { return "ipvs"; }
  void reset() override;
  double initial_load(const ServiceSet& services) override;
  double full_resync(const ServiceSet& services) override;
  double partial_sync(const ServiceSet& before, const ServiceSet& after) override;
  std::string loaded_ruleset() override;
  std::vector<ServiceDispatch> loaded_dispatch() override;

 private:
  double apply(const IpvsProgramme& to, const IpvsProgramme* from, const std::string& what);
  std::shared_ptr<NodeShell> node_;
  IpvsOptions options_;
  std::string netlink_tool_;
};

}  // namespace svcbench
