// kube-proxy's own flags that change the rules it writes, shared by rules, run and sweep.
#include <algorithm>

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
      {"cluster-cidr", "CIDRS", "kube-proxy --cluster-cidr: the pods, whose traffic is not "
                                "masqueraded (dual-stack: one CIDR per family)"},
      {"masquerade-all", "", "kube-proxy --masquerade-all: SNAT all Service traffic"},
      {"nodeport-addresses", "CIDRS",
       "kube-proxy --nodeport-addresses: NodePorts only on the node IPs inside these CIDRs"},
      {"node-ip", "IP", "the node's IP (repeatable; default 198.18.0.1): NodePort addresses, "
                        "LoadBalancer source ranges"},
      {"no-localhost-nodeports", "", "kube-proxy --iptables-localhost-nodeports=false"},
      {"service-cidr", "CIDRS", "the cluster's Service CIDRs (nftables: drop traffic to "
                                "unallocated ClusterIPs)"},
      {"ip-family", "F", "ipv4 (default), ipv6 or (sweep) dual: the family kube-proxy's proxier "
                         "programs (ip6tables, table ip6 kube-proxy) and the traffic sent"},
      {"kube-proxy-version", "V", "current (default: kube-proxy master; nftables as 1.34+), 1.12 "
                                  "(its iptables rules) or 1.33 (nftables as 1.31-1.33 wrote it)"},
      {"nfacct", "", "render as on a kernel with xt_nfacct (kube-proxy's counters)"},
      {"nft-list", "WHEN", "nftables syncs list the table's chains and sets on every-sync (default, "
                           "as the releases) or on full-syncs only (kubernetes PR #139878)"},
      {"nft-split-cold-start", "N", "nftables: the initial load in transactions of about N "
                                    "operations, chains first (kubernetes issue #139328); 0: one "
                                    "transaction (default)"},
      {"nft-single-endpoint-goto", "", "nftables: a one-endpoint Service port jumps straight to its "
                                       "endpoint chain, no one-element map (kubernetes PR #140723's "
                                       "saving)"},
      {"ipvs-sync", "HOW", "ipvs: kube-proxy (default: one ipset process per set and entry, netlink "
                           "gets per virtual server, as its proxier) or batched (ipset restore, "
                           "ip -batch: the writes alone)"},
      {"no-random-fully", "", "MASQUERADE without --random-fully (iptables < 1.6.2)"},
  };
}

bool has_proxy_option(const CommandLine& cl) {
  for (const auto& spec : proxy_option_specs())
    if (cl.has(spec.name)) return true;
  return false;
}

bool only_family_option(const CommandLine& cl) {
  for (const auto& spec : proxy_option_specs())
    if (cl.has(spec.name) && spec.name != "ip-family") return false;
  return true;
}

IptablesOptions iptables_options_from(const CommandLine& cl) {
  IptablesOptions o;
  if (cl.has("cluster-cidr")) {
    const auto texts = cl.get_list("cluster-cidr", "");
    for (const auto& text : texts) {
      const Cidr c = cidr_option("cluster-cidr", text);
      const bool same_family = (o.cluster_cidr && o.cluster_cidr->family() == c.family()) ||
                               !o.more_cluster_cidrs.empty();
      if (same_family)
        throw UsageError("--cluster-cidr " + cl.get("cluster-cidr") +
                         ": give at most one CIDR per family (kube-proxy's dual-stack pair)");
      if (!o.cluster_cidr)
        o.cluster_cidr = c;
      else
        o.more_cluster_cidrs.push_back(c);
    }
  }
  o.masquerade_all = cl.has("masquerade-all");
  if (cl.has("nodeport-addresses"))
    for (const auto& text : cl.get_list("nodeport-addresses", ""))
      o.node_port_addresses.push_back(cidr_option("nodeport-addresses", text));
  o.ip_family = ip_families_from(cl).front();  // dual: each family's options by for_family
  o.node_ip = AddressPlan::of(o.ip_family).node_ingress_address();
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
      throw UsageError("--kube-proxy-version takes current, 1.12 or 1.33, not '" +
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
  const std::string listing = cl.get("nft-list", "every-sync");
  if (listing != "every-sync" && listing != "full-syncs")
    throw UsageError("--nft-list takes every-sync or full-syncs, not '" + listing + "'");
  o.nft_list_every_sync = listing == "every-sync";
  o.nft_cold_start_split = cl.get_count("nft-split-cold-start", 0, 100'000'000);
  o.nft_single_endpoint_goto = cl.has("nft-single-endpoint-goto");
  const std::string ipvs_sync = cl.get("ipvs-sync", "kube-proxy");
  if (ipvs_sync != "kube-proxy" && ipvs_sync != "batched")
    throw UsageError("--ipvs-sync takes kube-proxy or batched, not '" + ipvs_sync + "'");
  o.ipvs_kube_proxy_sync = ipvs_sync == "kube-proxy";
  o.random_fully = !cl.has("no-random-fully");
  return o;
}

std::vector<IpFamily> ip_families_from(const CommandLine& cl) {
  const std::string family = cl.get("ip-family", "ipv4");
  if (family == "ipv4") return {IpFamily::kIpv4};
  if (family == "ipv6") return {IpFamily::kIpv6};
  if (family == "dual") return {IpFamily::kIpv4, IpFamily::kIpv6};
  throw UsageError("--ip-family takes ipv4, ipv6 or dual, not '" + family + "'");
}

void require_one_family(const std::vector<IpFamily>& families) {
  if (families.size() > 1)
    throw UsageError("--ip-family dual is a sweep's (both families side by side); here give "
                     "ipv4 or ipv6");
}

void require_nftables_for_variants(const CommandLine& cl, const std::vector<std::string>& modes) {
  for (const char* flag : {"nft-list", "nft-split-cold-start", "nft-single-endpoint-goto"})
    if (cl.has(flag) && std::find(modes.begin(), modes.end(), "nftables") == modes.end())
      throw UsageError("--" + std::string(flag) + " changes the nftables mode's syncs; add nftables "
                       "to --modes (or drop it)");
  if (cl.has("ipvs-sync") && std::find(modes.begin(), modes.end(), "ipvs") == modes.end())
    throw UsageError("--ipvs-sync changes the ipvs mode's syncs; add ipvs to --modes (or drop it)");
}

void require_version_supports(KubeProxyVersion version, const std::vector<std::string>& modes) {
  for (const auto& m : modes)
    if (!version_renders(version, m))
      throw UsageError("--kube-proxy-version " + std::string(version_name(version)) +
                       (version == KubeProxyVersion::k1_33
                            ? " renders nftables rules only; mode " + m +
                                  " has no such flavour: use --modes nftables"
                            : " renders iptables rules only; mode " + m +
                                  " has no such flavour: use --modes iptables-legacy,iptables-nft"));
}

}  // namespace svcbench
