// The kube-proxy settings every mode reads (the flags common to its iptables, nftables and
// IPVS proxiers). Each mode's options extend these, so one set converts to another.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "address_plan.h"

namespace svcbench {

// Which kube-proxy's rules: today's (kubernetes master: for nftables the layout of 1.34 and
// later), release 1.12's (the iptables rules of the article svcbench started from: KUBE-XLB-,
// KUBE-FW- for every LoadBalancer, KUBE-MARK-DROP, %0.5f) or 1.33's (the nftables layout of
// 1.31-1.33, before kubernetes PR #132456: filter chains at -110, filter-output-post-dnat,
// "tcp dport" in the ClusterIP masquerade rule).
enum class KubeProxyVersion { kCurrent, k1_12, k1_33 };
const char* version_name(KubeProxyVersion version);  // "current", "1.12", "1.33"
std::optional<KubeProxyVersion> parse_kube_proxy_version(const std::string& text);
// The kube-proxy release a mode's renderer reproduces with `version`, and the tests its golden
// files come from, in one line (rules --help, results' config.kube_proxy.releases); empty when
// the mode has no such flavour (require_version_supports refuses it).
std::string reproduced_release(KubeProxyVersion version, const std::string& mode);
// The modes a version renders: current all, 1.12 the iptables ones, 1.33 nftables.
bool version_renders(KubeProxyVersion version, const std::string& mode);

struct ProxyOptions {
  IpFamily ip_family = IpFamily::kIpv4;  // kube-proxy runs one proxier per family
  std::optional<Cidr> cluster_cidr;  // --cluster-cidr: the local traffic detector
  std::vector<Cidr> more_cluster_cidrs;  // --cluster-cidr's second CIDR (a dual-stack pair)
  bool masquerade_all = false;       // --masquerade-all
  std::string masquerade_mark = "0x4000";
  bool random_fully = true;          // MASQUERADE --random-fully (iptables >= 1.6.2)
  IpAddress node_ip = *IpAddress::parse("198.18.0.1");  // the first --node-ip
  std::vector<IpAddress> more_node_ips;  // further --node-ip: the node's other addresses
  std::vector<Cidr> node_port_addresses;   // --nodeport-addresses; empty: every local address
  std::vector<Cidr> service_cidrs;         // --service-cidr (nftables: cluster-ips-check)
  KubeProxyVersion kube_proxy_version = KubeProxyVersion::kCurrent;
  // Variants of the nftables sync under discussion upstream, measured rather than argued:
  // list the table's chains and sets on every sync (the releases) or on full syncs only
  // (kubernetes PR #139878); the cold start as one transaction (0, the releases) or split
  // into transactions of about this many operations, chains before the map elements that
  // lead to them (kubernetes issue #139328).
  bool nft_list_every_sync = true;
  size_t nft_cold_start_split = 0;
  // A Service port with one endpoint goes straight to its endpoint chain instead of through
  // a one-element `numgen random mod 1 vmap`: kubernetes PR #140723's saving (one anonymous
  // map fewer per such Service, which closed issue #139513), applied to the layout rendered
  // here (PR #140723 itself changed 1.37's dnat-to-map layout).
  bool nft_single_endpoint_goto = false;
  // IPVS syncs as kube-proxy runs them (true: one `ipset` process per set and per entry,
  // netlink gets and dumps per virtual server, ensure-jumps on every sync) or batched as
  // svcbench applied them before (false: one `ipset restore`, one `ip -batch`, the writes
  // alone): what kube-proxy's design costs against what batching would.
  bool ipvs_kube_proxy_sync = true;

  // The cluster CIDR of this proxier's family (kube-proxy's detector per family).
  std::optional<Cidr> local_detector() const;
  // The same flags as the proxier of `family` reads them in a dual-stack kube-proxy: the node
  // IP is the first --node-ip of that family (or the family's plan's node address).
  ProxyOptions for_family(IpFamily family) const;
  // kube-proxy's NodePortAddresses.MatchAll() for ip_family: no --nodeport-addresses of the
  // family, or one of them is 0.0.0.0/0 (::/0).
  bool nodeports_on_every_address() const;
  // NodePortAddresses.GetNodeIPs(): the node's addresses of ip_family inside
  // --nodeport-addresses, in --node-ip order, then loopback's (empty when
  // nodeports_on_every_address()).
  std::vector<IpAddress> nodeport_ips() const;
  // NodePortAddresses.ContainsIPv4Loopback(): an IPv4 proxier whose NodePorts take in 127.0.0.1
  // (match-all, or a CIDR holding it). IPv6 has no localhost NodePorts.
  bool nodeports_on_loopback() const;
};

// A mode's options as the proxier of `family` reads them (ProxyOptions::for_family), the
// mode's own settings unchanged.
template <typename ModeOptions>
ModeOptions options_for_family(const ModeOptions& options, IpFamily family) {
  ModeOptions m = options;
  static_cast<ProxyOptions&>(m) = options.ProxyOptions::for_family(family);
  return m;
}

// The same proxy settings as another mode's options, that mode's own settings at defaults.
template <typename ModeOptions>
ModeOptions with_proxy_options(const ProxyOptions& proxy) {
  ModeOptions m;
  static_cast<ProxyOptions&>(m) = proxy;
  return m;
}

}  // namespace svcbench
