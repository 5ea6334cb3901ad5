// kube-proxy's iptables mode on a node, with the legacy (x_tables) or nft (nf_tables)
// backend of iptables-restore.
#pragma once

#include "dataplane_mode.h"
#include "node_shell.h"

namespace svcbench {

enum class IptablesBackend { kLegacy, kNft };

class IptablesMode : public DataplaneMode {
 public:
  IptablesMode(IptablesBackend backend, std::shared_ptr<NodeShell> node, IptablesOptions options);
  std::string name() const override;
  void reset() override;
  double initial_load(const ServiceSet& services) override;
  double full_resync(const ServiceSet& services) override;
  double partial_sync(const ServiceSet& before, const ServiceSet& after) override;
  std::string loaded_ruleset() override;
  std::vector<ServiceDispatch> loaded_dispatch() override;

 private:
  double restore(const std::string& payload, const std::string& what);
  std::string tool(const char* suffix) const;  // "iptables-legacy" + suffix
  IptablesBackend backend_;
  std::shared_ptr<NodeShell> node_;
  IptablesOptions options_;
};

}  // namespace svcbench
