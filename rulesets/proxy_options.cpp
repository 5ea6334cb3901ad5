#include "proxy_options.h"

namespace svcbench {

const char* version_name(KubeProxyVersion version) {
  return version == KubeProxyVersion::k1_12 ? "1.12" : "current";
}

std::optional<KubeProxyVersion> parse_kube_proxy_version(const std::string& text) {
  if (text == "current") return KubeProxyVersion::kCurrent;
  if (text == "1.12") return KubeProxyVersion::k1_12;
  return std::nullopt;
}

bool ProxyOptions::nodeports_on_every_address() const {
  if (node_port_addresses.empty()) return true;
  for (const auto& c : node_port_addresses)
    if (c.prefix_length == 0) return true;
  return false;
}

std::vector<Ipv4Address> ProxyOptions::nodeport_ips() const {
  std::vector<Ipv4Address> ips;
  if (nodeports_on_every_address()) return ips;
  std::vector<Ipv4Address> node = {node_ip};
  node.insert(node.end(), more_node_ips.begin(), more_node_ips.end());
  node.push_back(*Ipv4Address::parse("127.0.0.1"));  // lo's address: every node has it
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
  if (nodeports_on_every_address()) return true;
  const Ipv4Address loopback = *Ipv4Address::parse("127.0.0.1");
  for (const auto& c : node_port_addresses)
    if (c.contains(loopback)) return true;
  return false;
}

}  // namespace svcbench
