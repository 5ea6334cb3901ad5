#include "mode_registry.h"

#include "errors.h"
#include "iptables_mode.h"
#include "ipvs_mode.h"
#include "nftables_mode.h"

namespace svcbench {

const std::vector<ModeDescription>& dataplane_modes() {
  using F = KernelFeature;
  // name, help, kernel needs, iptables payload, canonical order, factory, renderer
  static const std::vector<ModeDescription> modes = {
      {"iptables-legacy",
       "kube-proxy's iptables mode, iptables-restore on x_tables",
       {},
       true,
       true,
       make_iptables_legacy_mode,
       render_iptables_text},
      {"iptables-nft",
       "kube-proxy's iptables mode, iptables-restore on nf_tables",
       {F::kNfTablesIpv4},
       true,
       true,
       make_iptables_nft_mode,
       render_iptables_text},
      {"nftables",
       "kube-proxy's nftables mode: verdict maps, nft -f transactions",
       {F::kNfTablesIpv4},
       false,
       true,
       make_nftables_mode,
       render_nftables_text},
      {"ipvs",
       "kube-proxy's IPVS mode: ipsets, kube-ipvs0, virtual servers",
       {F::kIpVs},
       false,
       false,
       make_ipvs_mode,
       render_ipvs_text},
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

namespace {
const KernelFeature* missing_feature(const ModeDescription& mode, const Node& node) {
  for (const auto& f : mode.needs)
    if (!node.kernel_has(f)) return &f;
  return nullptr;
}
}  // namespace

std::vector<std::string> modes_for(const Node& node) {
  std::vector<std::string> names;
  for (const auto& m : dataplane_modes())
    if (!missing_feature(m, node)) names.push_back(m.name);
  return names;
}

void require_mode_supported(const ModeDescription& mode, const Node& node) {
  if (const KernelFeature* f = missing_feature(mode, node))
    throw UsageError("mode " + mode.name + " needs a kernel with " + config_option(*f) + "; the " +
                     node.kind() + " node's kernel lacks it: use " + node_kinds_with(*f));
}

std::unique_ptr<DataplaneMode> make_dataplane_mode(const std::string& name, Node& node,
                                                   const IptablesOptions& options) {
  const ModeDescription& mode = find_mode(name);
  require_mode_supported(mode, node);
  return mode.make(node, options);
}

}  // namespace svcbench
