// kube-proxy's nftables mode on a node: transactions fed to `nft -f -` inside the node.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "dataplane_mode.h"
#include "iptables_renderer.h"
#include "nftables_renderer.h"
#include "sync_steps.h"

namespace svcbench {

class NftablesMode : public DataplaneMode {
 public:
  NftablesMode(Node& node, NftablesOptions options);
  std::string name() const override { return "nftables"; }
  void reset() override;
  double initial_load(const ServiceSet& services) override;
  Apply prepare_full_resync(const ServiceSet& services) override;
  Apply prepare_partial_sync(const ServiceSet& before, const ServiceSet& after) override;
  std::string loaded_ruleset() override;
  std::vector<ServiceDispatch> loaded_dispatch() override;
  const SyncSteps& last_sync_steps() const override { return sync_.steps(); }

 private:
  // One sync as kube-proxy's syncProxyRules runs it (pkg/proxy/nftables with knftables):
  // stale chains of an earlier sync deleted in a transaction of their own, the table listed
  // (knftables' ListAll: nft --json --terse list table FAMILY kube-proxy), then the sync's
  // transaction(s). Returns the transactions' seconds (stale deletion included).
  double sync(const std::vector<std::string>& transactions, bool full, const std::string& what);
  double run(const std::string& transaction, const std::string& what);
  SyncRecorder sync_;
  bool cold_start_ = false;  // initial_load's sync: listing a table that is not there yet
  Node& node_;
  NftablesOptions options_;
  // Chains a previous partial sync flushed; kube-proxy deletes them on its next sync.
  std::vector<std::string> stale_chains_;
};

std::unique_ptr<DataplaneMode> make_nftables_mode(Node& node, const IptablesOptions& options);
// The `nft -f` transaction of a full first sync; canonical: its objects sorted, as kube-proxy's
// tests dump them.
std::string render_nftables_text(const ServiceSet& services, const IptablesOptions& options,
                                 bool canonical);

}  // namespace svcbench
