// kube-proxy's iptables mode on a node, with the legacy (x_tables) or nft (nf_tables)
// backend of iptables-restore.
#pragma once

#include <memory>

#include "dataplane_mode.h"
#include "iptables_renderer.h"

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

 private:
  double restore(const std::string& payload, const std::string& what);
  // --nfacct: the counters the rules name exist on the node before the first restore.
  void ensure_nfacct_counters();
  std::string tool(const char* suffix) const;  // "iptables-legacy" + suffix
  IptablesBackend backend_;
  Node& node_;
  IptablesOptions options_;
};

std::unique_ptr<DataplaneMode> make_iptables_legacy_mode(Node& node,
                                                         const IptablesOptions& options);
std::unique_ptr<DataplaneMode> make_iptables_nft_mode(Node& node, const IptablesOptions& options);
// The iptables-restore payload (either backend takes the same); canonical: kube-proxy's tests'
// order.
std::string render_iptables_text(const ServiceSet& services, const IptablesOptions& options,
                                 bool canonical);

}  // namespace svcbench
