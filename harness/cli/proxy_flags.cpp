// kube-proxy's own flags that change the rules it writes, shared by rules, run and sweep.
#include "command_line.h"
#include "errors.h"

namespace svcbench {
namespace {

Cidr cidr_option(const std::string& flag, const std::string& text) {
  auto c = Cidr::parse(text);
  if (!c) throw UsageError("--" + flag + " '" + text + "' is not a CIDR like 198.18.0.0/24");
  return *c;
}

}  // namespace

std::vector<OptionSpec> proxy_option_specs() {
  return {
      {"cluster-cidr", "CIDR", "kube-proxy --cluster-cidr: the pods, whose traffic is not masqueraded"},
      {"masquerade-all", "", "kube-proxy --masquerade-all: SNAT all Service traffic"},
      {"nodeport-addresses", "CIDRS",
       "kube-proxy --nodeport-addresses: NodePorts only on the node IPs inside these CIDRs"},
      {"node-ip", "IP", "the node's IP (repeatable; default 198.18.0.1): NodePort addresses, "
                        "LoadBalancer source ranges"},
      {"no-localhost-nodeports", "", "kube-proxy --iptables-localhost-nodeports=false"},
      {"service-cidr", "CIDRS", "the cluster's Service CIDRs (nftables: drop traffic to "
                                "unallocated ClusterIPs)"},
      {"ip-family", "F", "ipv4 (default) or ipv6: the family kube-proxy's proxier programs "
                         "(ipv6: ip6tables rules, `rules` only so far)"},
      {"kube-proxy-version", "V", "current (default) or 1.12: the iptables rules kube-proxy 1.12 "
                                  "wrote"},
      {"nfacct", "", "render as on a kernel with xt_nfacct (kube-proxy's counters)"},
      {"no-random-fully", "", "MASQUERADE without --random-fully (iptables < 1.6.2)"},
  };
}

bool has_proxy_option(const CommandLine& cl) {
  for (const auto& spec : proxy_option_specs())
    if (cl.has(spec.name)) return true;
  return false;
}

IptablesOptions iptables_options_from(const CommandLine& cl) {
  IptablesOptions o;
  if (cl.has("cluster-cidr")) o.cluster_cidr = cidr_option("cluster-cidr", cl.get("cluster-cidr"));
  o.masquerade_all = cl.has("masquerade-all");
  if (cl.has("nodeport-addresses"))
    for (const auto& text : cl.get_list("nodeport-addresses", ""))
      o.node_port_addresses.push_back(cidr_option("nodeport-addresses", text));
  if (cl.has("ip-family")) {
    const std::string family = cl.get("ip-family");
    if (family != "ipv4" && family != "ipv6")
      throw UsageError("--ip-family takes ipv4 or ipv6, not '" + family + "'");
    o.ip_family = family == "ipv6" ? IpFamily::kIpv6 : IpFamily::kIpv4;
    o.node_ip = AddressPlan::of(o.ip_family).node_ingress_address();
  }
  const auto node_ips = cl.get_all("node-ip");
  for (size_t i = 0; i < node_ips.size(); ++i) {
    auto ip = IpAddress::parse(node_ips[i]);
    if (!ip) throw UsageError("--node-ip '" + node_ips[i] + "' is not an IP address like 198.18.0.1");
    if (i == 0)
      o.node_ip = *ip;
    else
      o.more_node_ips.push_back(*ip);
  }
  if (!o.node_port_addresses.empty() && !o.nodeports_on_every_address() && o.nodeport_ips().empty())
    throw UsageError("--nodeport-addresses " + cl.get("nodeport-addresses") +
                     " holds none of the node's IPs (" + o.node_ip.str() +
                     "...): no NodePort would work; add --node-ip inside it");
  o.localhost_node_ports = !cl.has("no-localhost-nodeports");
  if (cl.has("service-cidr"))
    for (const auto& text : cl.get_list("service-cidr", ""))
      o.service_cidrs.push_back(cidr_option("service-cidr", text));
  if (cl.has("kube-proxy-version")) {
    auto v = parse_kube_proxy_version(cl.get("kube-proxy-version"));
    if (!v)
      throw UsageError("--kube-proxy-version takes current or 1.12, not '" +
                       cl.get("kube-proxy-version") + "'");
    o.kube_proxy_version = *v;
    // Flags kube-proxy 1.12 did not have: refused rather than silently ignored.
    if (o.kube_proxy_version == KubeProxyVersion::k1_12)
      for (const char* flag : {"nfacct", "no-random-fully", "no-localhost-nodeports", "service-cidr"})
        if (cl.has(flag))
          throw UsageError("--" + std::string(flag) + " is today's kube-proxy's; 1.12 had no such "
                           "setting: drop it or --kube-proxy-version");
  }
  o.nfacct = cl.has("nfacct");
  o.random_fully = !cl.has("no-random-fully");
  return o;
}

void require_family_supported(const IptablesOptions& options, const std::vector<std::string>& modes,
                              bool generates_traffic) {
  if (options.ip_family == IpFamily::kIpv4) return;
  if (generates_traffic)
    throw UsageError("--ip-family ipv6 renders rules (svcbench rules) only so far: the generator "
                     "and the nodes carry IPv4; drop it here");
  for (const auto& m : modes)
    if (!m.starts_with("iptables"))
      throw UsageError("--ip-family ipv6 renders kube-proxy's iptables mode (ip6tables) only so "
                       "far; mode " + m + " over IPv6 is not written yet: use --mode iptables");
}

void require_version_supports(KubeProxyVersion version, const std::vector<std::string>& modes) {
  if (version == KubeProxyVersion::kCurrent) return;
  for (const auto& m : modes)
    if (m != "iptables-legacy" && m != "iptables-nft" && m != "iptables")
      throw UsageError("--kube-proxy-version " + std::string(version_name(version)) +
                       " renders iptables rules only; mode " + m +
                       " has no such flavour: use --modes iptables-legacy,iptables-nft");
}

}  // namespace svcbench
