// kube-proxy's iptables mode on a node, with the legacy (x_tables) or nft (nf_tables)
// backend of iptables-restore.
#pragma once

#include <memory>

#include <chrono>
#include <optional>

#include "dataplane_mode.h"
#include "iptables_renderer.h"
#include "sync_steps.h"

namespace svcbench {

enum class IptablesBackend { kLegacy, kNft };

class IptablesMode : public DataplaneMode {
 public:
  IptablesMode(IptablesBackend backend, Node& node, IptablesOptions options);
  std::string name() const override;
  void reset() override;
  double initial_load(const ServiceSet& services) override;
  Apply prepare_full_resync(const ServiceSet& services) override;
  Apply prepare_partial_sync(const ServiceSet& before, const ServiceSet& after) override;
  std::string loaded_ruleset() override;
  std::vector<ServiceDispatch> loaded_dispatch() override;
  const SyncSteps& last_sync_steps() const override { return sync_.steps(); }

  // kube-proxy's --iptables-sync-period default: in large-cluster mode (more than 1,000
  // endpoints) a sync reads the nat table back only when the last read is this old.
  static constexpr double kSyncPeriodSeconds = 30;
  static constexpr size_t kLargeClusterEndpoints = 1000;  // largeClusterEndpointsThreshold

 private:
  // One sync as kube-proxy's syncProxyRules runs it: on a full sync its EnsureChain/EnsureRule
  // calls for the jumps into its chains; iptables-save -t nat when the release reads the table
  // back (to find stale chains); then the restore, whose seconds it returns.
  double sync(const std::string& payload, bool full, size_t endpoints, const std::string& what);
  void ensure_jumps();
  double restore(const std::string& payload, const std::string& what);
  // --nfacct: the counters the rules name exist on the node before the first restore.
  void ensure_nfacct_counters();
  std::string tool(const char* suffix) const;  // "iptables-legacy" + suffix
  IptablesBackend backend_;
  Node& node_;
  IptablesOptions options_;
  SyncRecorder sync_;
  std::optional<std::chrono::steady_clock::time_point> last_save_;  // lastIPTablesCleanup
};

std::unique_ptr<DataplaneMode> make_iptables_legacy_mode(Node& node,
                                                         const IptablesOptions& options);
std::unique_ptr<DataplaneMode> make_iptables_nft_mode(Node& node, const IptablesOptions& options);
// The iptables-restore payload (either backend takes the same); canonical: kube-proxy's tests'
// order.
std::string render_iptables_text(const ServiceSet& services, const IptablesOptions& options,
                                 bool canonical);

}  // namespace svcbench
