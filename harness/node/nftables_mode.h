// kube-proxy's nftables mode on a node: transactions fed to `nft -f -` inside the node.
#pragma once

#include <optional>
#include <vector>

#include "dataplane_mode.h"
#include "nftables_renderer.h"
#include "node_shell.h"

namespace svcbench {

class NftablesMode : public DataplaneMode {
 public:
  NftablesMode(std::shared_ptr<NodeShell> node, NftablesOptions options);
  std::string name() const override { return "nftables"; }
  void reset() override;
  double initial_load(const ServiceSet& services) override;
  double full_resync(const ServiceSet& services) override;
  double partial_sync(const ServiceSet& before, const ServiceSet& after) override;
  std::string loaded_ruleset() override;
  std::vector<ServiceDispatch> loaded_dispatch() override;

 private:
  double run(const std::string& transaction, const std::string& what);
  std::shared_ptr<NodeShell> node_;
  NftablesOptions options_;
  // Chains a previous partial sync flushed; kube-proxy deletes them on its next sync.
  std::vector<std::string> stale_chains_;
};

}  // namespace svcbench
