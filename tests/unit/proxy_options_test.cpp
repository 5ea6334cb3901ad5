// kube-proxy's flags that change its rules (--masquerade-all, --nodeport-addresses with the
// node's IPs, --iptables-localhost-nodeports=false, the Service CIDRs), each against the lines
// today's kube-proxy tests expect (iptables TestNodePorts / TestNodePortsLocalhost, nftables
// TestNodePorts and TestOverallNFTablesRules' cluster-ips-check, IPVS TestNodePortIPv4).
#include <gtest/gtest.h>

#include <algorithm>

#include "iptables_dump.h"
#include "iptables_renderer.h"
#include "ipvs_renderer.h"
#include "kube_proxy_fixtures.h"
#include "nftables_renderer.h"

namespace svcbench {
namespace {

using testing::ip;

const std::string kLast =
    "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\"";
const std::string kLocalnetBlock =
    "-A KUBE-FIREWALL -m comment --comment \"block incoming localnet connections\" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP";

bool has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

// onlyLocalNodePorts' Service: NodePort, externalTrafficPolicy Local, one remote and one local
// endpoint.
ServiceSet only_local_node_port(const char* cluster_ip, uint16_t node_port, const char* remote,
                                const char* local) {
  Service s = testing::p80_service("ns1", "svc1", ServiceType::kNodePort, cluster_ip, node_port,
                                   {testing::endpoint(remote, 80), testing::endpoint(local, 80, true)});
  s.external_traffic_policy = TrafficPolicy::kLocal;
  return ServiceSet{{s}};
}

std::string iptables_with(const IptablesOptions& o) {
  return render_iptables(testing::overall_iptables_fixture(), o).text;
}

TEST(ProxyOptions, NodePortAddressesMatchTheNodeIps) {
  ProxyOptions o;
  EXPECT_TRUE(o.nodeports_on_every_address());
  EXPECT_TRUE(o.nodeports_on_loopback());
  o.node_ip = ip("192.168.0.2");
  o.more_node_ips = {ip("10.1.2.3")};
  o.node_port_addresses = {*Cidr::parse("192.168.0.0/24")};
  EXPECT_FALSE(o.nodeports_on_every_address());
  EXPECT_FALSE(o.nodeports_on_loopback());
  ASSERT_EQ(o.nodeport_ips().size(), 1u);
  EXPECT_EQ(o.nodeport_ips()[0].str(), "192.168.0.2");
  o.node_port_addresses.push_back(*Cidr::parse("127.0.0.0/8"));
  EXPECT_TRUE(o.nodeports_on_loopback());
  EXPECT_EQ(o.nodeport_ips().back().str(), "127.0.0.1");
  o.node_port_addresses.push_back(*Cidr::parse("0.0.0.0/0"));
  EXPECT_TRUE(o.nodeports_on_every_address());
}

TEST(IptablesOptions, NodePortAddressesReplaceTheAddrtypeJump) {
  auto o = testing::fake_proxier_options();
  auto all = iptables_with(o);
  EXPECT_TRUE(has(all, kLast + " -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS"));
  EXPECT_TRUE(has(all, kLocalnetBlock));
  o.node_port_addresses = {*Cidr::parse("192.168.0.0/24")};
  auto some = iptables_with(o);
  EXPECT_TRUE(has(some, kLast + " -d 192.168.0.2 -j KUBE-NODEPORTS"));
  EXPECT_FALSE(has(some, kLast + " -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS"));
  // Loopback is not among them: no localhost NodePorts, so neither their guard nor their counter.
  EXPECT_FALSE(has(some, kLocalnetBlock));
  EXPECT_EQ(some.find("localhost_nps_accepted_pkts"), std::string::npos);
  o.node_port_addresses.push_back(*Cidr::parse("127.0.0.0/8"));
  auto localhost = iptables_with(o);
  EXPECT_TRUE(has(localhost, kLast + " -d 127.0.0.1 -j KUBE-NODEPORTS"));
  EXPECT_TRUE(has(localhost, kLocalnetBlock));
  o.localhost_node_ports = false;
  EXPECT_FALSE(has(iptables_with(o), kLast + " -d 127.0.0.1 -j KUBE-NODEPORTS"));
}

// kube-proxy's TestOnlyLocalNodePorts and TestOnlyLocalNodePortsNoClusterCIDR, whole: a NodePort
// Service with externalTrafficPolicy Local, --nodeport-addresses 192.168.0.0/24 (and an IPv6 CIDR,
// which the IPv4 proxier ignores), localhost NodePorts off; that test file's fake has no nfacct.
TEST(IptablesOptions, MatchesKubeProxysOnlyLocalNodePorts) {
  const ServiceSet set = only_local_node_port("172.30.0.41", 3001, "10.180.0.1", "10.180.2.1");
  auto o = testing::fake_proxier_options();
  o.nfacct = false;
  o.localhost_node_ports = false;
  o.node_port_addresses = {*Cidr::parse("192.168.0.0/24")};
  EXPECT_EQ(canonical_iptables_dump(render_iptables(set, o).text), testing::golden("iptables/only-local-nodeports.rules"));
  o.cluster_cidr.reset();
  EXPECT_EQ(canonical_iptables_dump(render_iptables(set, o).text),
            testing::golden("iptables/only-local-nodeports-no-cluster-cidr.rules"));
}

// kube-proxy's TestEnableLocalhostNodePortsIPv6 / TestDisableLocalhostNodePortsIPv6, whole: the
// IPv6 proxier's rules (ip6tables) for a NodePort Service with externalTrafficPolicy Local and no
// local traffic detector; localhost NodePorts never apply to IPv6, on or off.
TEST(IptablesOptions, MatchesKubeProxysIpv6Rules) {
  const ServiceSet set = only_local_node_port("fd00:ab34::20", 30001, "ff06::c1", "ff06::c2");
  auto o = testing::fake_proxier_options();
  o.ip_family = IpFamily::kIpv6;
  o.nfacct = false;
  o.cluster_cidr.reset();
  for (bool localhost : {true, false}) {
    o.localhost_node_ports = localhost;
    EXPECT_EQ(canonical_iptables_dump(render_iptables(set, o).text),
              testing::golden("iptables/localhost-nodeports-ipv6.rules"));
  }
  // An IPv4 cluster CIDR is the other proxier's detector: no change.
  o.cluster_cidr = Cidr::parse("10.0.0.0/8");
  EXPECT_EQ(canonical_iptables_dump(render_iptables(set, o).text),
            testing::golden("iptables/localhost-nodeports-ipv6.rules"));
}

TEST(IptablesOptions, NoLocalhostNodePortsExcludesLoopback) {
  auto o = testing::fake_proxier_options();
  o.localhost_node_ports = false;
  auto t = iptables_with(o);
  EXPECT_TRUE(has(t, kLast + " -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS"));
  EXPECT_FALSE(has(t, kLocalnetBlock));
  EXPECT_EQ(t.find("-d 127.0.0.0/8 --dport"), std::string::npos);
}

TEST(IptablesOptions, MasqueradeAllMarksEveryClusterIpPacket) {
  auto o = testing::fake_proxier_options();
  o.masquerade_all = true;
  auto t = iptables_with(o);
  EXPECT_TRUE(has(t, "-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment \"ns1/svc1:p80 cluster IP\" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-MARK-MASQ"));
  EXPECT_EQ(t.find("! -s 10.0.0.0/8 -j KUBE-MARK-MASQ"), std::string::npos);
}

TEST(NftablesOptions, NodePortAddressesFillTheNodeportIpsSet) {
  auto o = with_proxy_options<NftablesOptions>(testing::fake_proxier_options());
  auto lines = [&] { return nftables_dump_lines(build_nftables(testing::overall_iptables_fixture(), o)); };
  auto contains = [](const std::vector<std::string>& v, const std::string& l) {
    return std::find(v.begin(), v.end(), l) != v.end();
  };
  auto all = lines();
  EXPECT_TRUE(contains(all, "add rule ip kube-proxy services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports"));
  o.node_port_addresses = {*Cidr::parse("192.168.0.2/32"), *Cidr::parse("127.0.0.0/8")};
  auto some = lines();
  EXPECT_TRUE(contains(some, "add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports"));
  EXPECT_TRUE(contains(some, "add element ip kube-proxy nodeport-ips { 192.168.0.2 }"));
  EXPECT_FALSE(contains(some, "add element ip kube-proxy nodeport-ips { 127.0.0.1 }"));  // never in nftables
  o.service_cidrs = {*Cidr::parse("172.30.0.0/16"), *Cidr::parse("172.31.0.0/16")};
  EXPECT_TRUE(contains(lines(), "add rule ip kube-proxy cluster-ips-check ip daddr { 172.30.0.0/16,172.31.0.0/16 } drop comment \"Drop traffic to unallocated ClusterIPs\""));
  o.masquerade_all = true;
  auto masq = lines();
  EXPECT_TRUE(std::any_of(masq.begin(), masq.end(), [](const std::string& l) {
    return l.find("ip daddr 172.30.0.41 jump mark-for-masquerade") != std::string::npos;
  }));
}

TEST(IpvsOptions, NodePortVirtualServersOnTheMatchingNodeIps) {
  auto o = with_proxy_options<IpvsOptions>(testing::fake_proxier_options());
  o.more_node_ips = {ip("10.20.30.40")};
  auto all = build_ipvs(testing::overall_iptables_fixture(), o);
  EXPECT_TRUE(all.virtual_servers.contains("-t 192.168.0.2:3001"));
  EXPECT_TRUE(all.virtual_servers.contains("-t 10.20.30.40:3001"));
  o.node_port_addresses = {*Cidr::parse("10.20.30.0/24")};
  auto some = build_ipvs(testing::overall_iptables_fixture(), o);
  EXPECT_FALSE(some.virtual_servers.contains("-t 192.168.0.2:3001"));
  EXPECT_TRUE(some.virtual_servers.contains("-t 10.20.30.40:3001"));
}

// A dual-stack kube-proxy runs one proxier per family: each reads the first --node-ip and
// the --cluster-cidr of its own family.
TEST(ProxyOptions, EachFamilysProxierReadsItsOwnNodeIpAndClusterCidr) {
  ProxyOptions o;
  o.node_ip = *IpAddress::parse("198.18.0.1");
  o.more_node_ips = {*IpAddress::parse("198.18.0.9"), *IpAddress::parse("2001:2::1")};
  o.cluster_cidr = Cidr::parse("198.18.128.0/17");
  o.more_cluster_cidrs = {*Cidr::parse("2001:2:0:8000::/64")};
  const ProxyOptions v6 = o.for_family(IpFamily::kIpv6);
  EXPECT_EQ(v6.ip_family, IpFamily::kIpv6);
  EXPECT_EQ(v6.node_ip.str(), "2001:2::1");
  EXPECT_EQ(v6.local_detector()->str(), "2001:2:0:8000::/64");
  EXPECT_EQ(v6.more_node_ips.size(), 2u);
  const ProxyOptions v4 = v6.for_family(IpFamily::kIpv4);
  EXPECT_EQ(v4.node_ip.str(), "198.18.0.1");
  EXPECT_EQ(v4.local_detector()->str(), "198.18.128.0/17");
  ProxyOptions only_v4;
  only_v4.cluster_cidr = Cidr::parse("10.0.0.0/8");
  const ProxyOptions lone = only_v4.for_family(IpFamily::kIpv6);
  EXPECT_EQ(lone.node_ip, AddressPlan::ipv6().node_ingress_address());  // no IPv6 --node-ip
  EXPECT_FALSE(lone.local_detector());  // kube-proxy: no detector for a family without a CIDR
}

}  // namespace
}  // namespace svcbench
