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
  const auto& netns = node;
  if (mode == "iptables-legacy")
    return std::make_unique<IptablesMode>(IptablesBackend::kLegacy, netns, options);
  if (mode == "iptables-nft")
    return std::make_unique<IptablesMode>(IptablesBackend::kNft, netns, options);
  if (mode == "nftables") {
    NftablesOptions n;
    n.cluster_cidr = options.cluster_cidr;
    n.masquerade_all = options.masquerade_all;
    n.masquerade_mark = options.masquerade_mark;
    n.node_ip = options.node_ip;
    return std::make_unique<NftablesMode>(netns, n);
  }
  if (mode == "ipvs") {
    IpvsOptions i;
    i.cluster_cidr = options.cluster_cidr;
    i.masquerade_all = options.masquerade_all;
    i.masquerade_mark = options.masquerade_mark;
    i.random_fully = options.random_fully;
    i.node_ips = {options.node_ip};
    return std::make_unique<IpvsMode>(netns, i);
  }
  throw UsageError("unknown mode '" + mode + "'; available: iptables-legacy, iptables-nft, nftables, ipvs");
}

void flush_conntrack(NodeShell& node) {
  if (node.kind() == "netns") require_tool("conntrack", "conntrack");
  auto r = node.run({"conntrack", "-F"});
  // conntrack -F exits 1 when the table was already empty on some versions; only a missing
  // namespace or tool is an error, and run_command throws for those.
  (void)r;
}

}  // namespace svcbench
