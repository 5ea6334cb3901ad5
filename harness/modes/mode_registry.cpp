#include "mode_registry.h"

#include "errors.h"
#include "iptables_mode.h"
#include "ipvs_mode.h"
#include "nftables_mode.h"

namespace svcbench {

const std::vector<ModeDescription>& dataplane_modes() {
  static const std::vector<ModeDescription> modes = {
      {"iptables-legacy", "kube-proxy's iptables mode, iptables-restore on x_tables", false, true,
       true, make_iptables_legacy_mode, render_iptables_text},
      {"iptables-nft", "kube-proxy's iptables mode, iptables-restore on nf_tables", false, true,
       true, make_iptables_nft_mode, render_iptables_text},
      {"nftables", "kube-proxy's nftables mode: verdict maps, nft -f transactions", false, false,
       true, make_nftables_mode, render_nftables_text},
      {"ipvs", "kube-proxy's IPVS mode: ipsets, kube-ipvs0, virtual servers (needs IP_VS)", true,
       false, false, make_ipvs_mode, render_ipvs_text},
  };
  return modes;
}

std::string mode_names() {
  std::string names;
  for (const auto& m : dataplane_modes()) names += (names.empty() ? "" : ", ") + m.name;
  return names;
}

bool has_mode(const std::string& name) {
  for (const auto& m : dataplane_modes())
    if (m.name == name) return true;
  return false;
}

const ModeDescription& find_mode(const std::string& name) {
  for (const auto& m : dataplane_modes())
    if (m.name == name) return m;
  throw UsageError("unknown mode '" + name + "'; available: " + mode_names());
}

std::vector<std::string> modes_for(const Node& node) {
  std::vector<std::string> names;
  for (const auto& m : dataplane_modes())
    if (!m.needs_ip_vs || node.kernel_has_ip_vs()) names.push_back(m.name);
  return names;
}

void require_mode_supported(const ModeDescription& mode, const Node& node) {
  if (mode.needs_ip_vs && !node.kernel_has_ip_vs())
    throw UsageError("mode " + mode.name + " needs a kernel with IP_VS; the " + node.kind() +
                     " node has none (this host's kernel lacks CONFIG_IP_VS): use --node vm");
}

std::unique_ptr<DataplaneMode> make_dataplane_mode(const std::string& name, Node& node,
                                                   const IptablesOptions& options) {
  const ModeDescription& mode = find_mode(name);
  require_mode_supported(mode, node);
  return mode.make(node, options);
}

}  // namespace svcbench
