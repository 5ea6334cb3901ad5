#include "proxy_options.h"

#include <algorithm>

namespace svcbench {

const char* version_name(KubeProxyVersion version) {
  switch (version) {
    case KubeProxyVersion::k1_12: return "1.12";
    case KubeProxyVersion::k1_33: return "1.33";
    case KubeProxyVersion::kCurrent: break;
  }
  return "current";
}

std::optional<KubeProxyVersion> parse_kube_proxy_version(const std::string& text) {
  if (text == "current") return KubeProxyVersion::kCurrent;
  if (text == "1.12") return KubeProxyVersion::k1_12;
  if (text == "1.33") return KubeProxyVersion::k1_33;
  return std::nullopt;
}

namespace {

bool is_iptables_mode(const std::string& mode) {
  return mode == "iptables" || mode == "iptables-legacy" || mode == "iptables-nft";
}

}  // namespace

bool version_renders(KubeProxyVersion version, const std::string& mode) {
  switch (version) {
    case KubeProxyVersion::k1_12: return is_iptables_mode(mode);
    case KubeProxyVersion::k1_33: return mode == "nftables";
    case KubeProxyVersion::kCurrent: break;
  }
  return true;
}

std::string reproduced_release(KubeProxyVersion version, const std::string& mode) {
  if (!version_renders(version, mode)) return "";
  if (version == KubeProxyVersion::k1_12)
    return "kube-proxy 1.12 (pkg/proxy/iptables syncProxyRules and proxier_test.go of release-1.12)";
  if (version == KubeProxyVersion::k1_33)
    return "kube-proxy 1.31-1.33 (pkg/proxy/nftables before kubernetes PR #132456; golden: its "
           "TestTracePacketV6 dump)";
  if (is_iptables_mode(mode))
    return "kube-proxy master, 2026 (pkg/proxy/iptables TestOverallIPTablesRules)";
  if (mode == "nftables")
    return "kube-proxy 1.34 and later (kubernetes master 030880a5, pkg/proxy/nftables "
           "TestOverallNFTablesRules)";
  return "kube-proxy master, 2026 (pkg/proxy/ipvs proxier.go and proxier_test.go)";
}

std::optional<Cidr> ProxyOptions::local_detector() const {
  if (cluster_cidr && cluster_cidr->family() == ip_family) return cluster_cidr;
  for (const auto& c : more_cluster_cidrs)
    if (c.family() == ip_family) return c;
  return std::nullopt;
}

ProxyOptions ProxyOptions::for_family(IpFamily family) const {
  ProxyOptions o = *this;
  o.ip_family = family;
  if (node_ip.family == family) return o;
  std::vector<IpAddress> all = {node_ip};
  all.insert(all.end(), more_node_ips.begin(), more_node_ips.end());
  const auto first = std::find_if(all.begin(), all.end(),
                                  [&](const IpAddress& ip) { return ip.family == family; });
  o.node_ip = first != all.end() ? *first : AddressPlan::of(family).node_ingress_address();
  o.more_node_ips.clear();
  for (const auto& ip : all)
    if (ip != o.node_ip) o.more_node_ips.push_back(ip);
  return o;
}

bool ProxyOptions::nodeports_on_every_address() const {
  bool any = false;
  for (const auto& c : node_port_addresses) {
    if (c.family() != ip_family) continue;  // the other family's proxier reads it
    if (c.prefix_length == 0) return true;
    any = true;
  }
  return !any;
}

std::vector<IpAddress> ProxyOptions::nodeport_ips() const {
  std::vector<IpAddress> ips;
  if (nodeports_on_every_address()) return ips;
  std::vector<IpAddress> node = {node_ip};
  node.insert(node.end(), more_node_ips.begin(), more_node_ips.end());
  // lo's address: every node has it.
  node.push_back(*IpAddress::parse(ip_family == IpFamily::kIpv6 ? "::1" : "127.0.0.1"));
  for (const auto& ip : node) {
    bool inside = false;
    for (const auto& c : node_port_addresses) inside |= c.contains(ip);
    bool seen = false;
    for (const auto& have : ips) seen |= have == ip;
    if (inside && !seen) ips.push_back(ip);
  }
  return ips;
}

bool ProxyOptions::nodeports_on_loopback() const {
  if (ip_family == IpFamily::kIpv6) return false;
  if (nodeports_on_every_address()) return true;
  const IpAddress loopback = *IpAddress::parse("127.0.0.1");
  for (const auto& c : node_port_addresses)
    if (c.contains(loopback)) return true;
  return false;
}

}  // namespace svcbench
