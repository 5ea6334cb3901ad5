#include "dataplane_mode.h"

#include "command_runner.h"
#include "errors.h"
#include "iptables_mode.h"
#include "ipvs_mode.h"
#include "nftables_mode.h"

namespace svcbench {

const std::vector<std::string>& known_modes() {
  static const std::vector<std::string> modes = {"iptables-legacy", "iptables-nft", "nftables", "ipvs"};
  return modes;
}

std::unique_ptr<DataplaneMode> make_dataplane_mode(const std::string& mode, std::shared_ptr<NodeShell> node,
                                                   const IptablesOptions& options) {
  if (mode == "iptables-legacy") return std::make_unique<IptablesMode>(IptablesBackend::kLegacy, node, options);
  if (mode == "iptables-nft") return std::make_unique<IptablesMode>(IptablesBackend::kNft, node, options);
  if (mode == "nftables") return std::make_unique<NftablesMode>(node, with_proxy_options<NftablesOptions>(options));
  if (mode == "ipvs") return std::make_unique<IpvsMode>(node, with_proxy_options<IpvsOptions>(options));
  throw UsageError("unknown mode '" + mode + "'; available: iptables-legacy, iptables-nft, nftables, ipvs");
}

void flush_conntrack(NodeShell& node) {
  node.require_tool("conntrack", "conntrack");
  auto r = node.run({"conntrack", "-F"});
  // conntrack -F exits 1 when the table was already empty on some versions; only a missing
  // namespace or tool is an error, and run_command throws for those.
  (void)r;
}

}  // namespace svcbench
