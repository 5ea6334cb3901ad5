// kube-proxy 1.12's iptables rules: the expectations of that release's proxier_test.go
// (TestClusterIPReject, TestClusterIPEndpointsJump, TestLoadBalancer, TestNodePort,
// TestExternalIPsReject, TestNodePortReject, TestOnlyLocalLoadBalancing, TestOnlyLocalNodePorts,
// TestOnlyLocalNodePortsNoClusterCIDR) as rule lines, and a golden full payload.
#include <gtest/gtest.h>

#include "chain_names.h"
#include "iptables_dump.h"
#include "iptables_renderer.h"
#include "iptables_renderer_1_12.h"
#include "kube_proxy_fixtures.h"
#include "sync_plan.h"
#include "synthetic_services.h"

namespace svcbench {
namespace {

using testing::endpoint;
using testing::ip;

// 1.12's NewFakeProxier: masquerade bit 14, clusterCIDR 10.0.0.0/24, hostname "host".
IptablesOptions fake_proxier_1_12(bool cluster_cidr = true) {
  IptablesOptions o;
  o.kube_proxy_version = KubeProxyVersion::k1_12;
  if (cluster_cidr) o.cluster_cidr = Cidr::parse("10.0.0.0/24");
  return o;
}

// makeTestService("ns1", "svc1") with one port "p80" at 10.20.30.41:80.
Service test_service(ServiceType type, std::vector<Endpoint> eps, uint16_t node_port = 0) {
  return testing::p80_service("ns1", "svc1", type, "10.20.30.41", node_port, std::move(eps));
}

std::string render(const Service& s, const IptablesOptions& o) {
  ServiceSet set;
  set.services.push_back(s);
  return render_iptables(set, o).text;
}

bool has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

const std::string kSvc = service_chain("ns1/svc1:p80", "tcp");
const std::string kSep = endpoint_chain("ns1/svc1:p80", "tcp", "10.180.0.1:80");
const std::string kFw = firewall_chain("ns1/svc1:p80", "tcp");
const std::string kXlb = load_balancer_chain("ns1/svc1:p80", "tcp");

TEST(KubeProxy112, ServicePortNameKeepsTheColonForAnUnnamedPort) {
  Service s = test_service(ServiceType::kClusterIP, {endpoint("10.180.0.1", 80)});
  s.ports[0].name = "";
  EXPECT_EQ(port_name_1_12(s, s.ports[0]), "ns1/svc1:");
  EXPECT_EQ(s.port_name(s.ports[0]), "ns1/svc1");  // today's kube-proxy drops it
  EXPECT_NE(render(s, fake_proxier_1_12()).find(service_chain("ns1/svc1:", "tcp")), std::string::npos);
}

TEST(KubeProxy112, ClusterIPReject) {
  auto t = render(test_service(ServiceType::kClusterIP, {}), fake_proxier_1_12());
  EXPECT_TRUE(has(t, "-A KUBE-SERVICES -m comment --comment \"ns1/svc1:p80 has no endpoints\" -m tcp -p tcp -d 10.20.30.41/32 --dport 80 -j REJECT"));
  EXPECT_EQ(t.find(kSvc), std::string::npos);
}

TEST(KubeProxy112, ClusterIPEndpointsJump) {
  auto t = render(test_service(ServiceType::kClusterIP, {endpoint("10.180.0.1", 80)}), fake_proxier_1_12());
  const std::string args = "-A KUBE-SERVICES -m comment --comment \"ns1/svc1:p80 cluster IP\" -m tcp -p tcp -d 10.20.30.41/32 --dport 80";
  EXPECT_TRUE(has(t, args + " ! -s 10.0.0.0/24 -j KUBE-MARK-MASQ"));
  EXPECT_TRUE(has(t, args + " -j " + kSvc));
  EXPECT_TRUE(has(t, "-A " + kSvc + " -m comment --comment ns1/svc1:p80 -j " + kSep));
  EXPECT_TRUE(has(t, "-A " + kSep + " -m comment --comment ns1/svc1:p80 -s 10.180.0.1/32 -j KUBE-MARK-MASQ"));
  EXPECT_TRUE(has(t, "-A " + kSep + " -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80"));
  // --masquerade-all masquerades every packet to the ClusterIP instead.
  auto o = fake_proxier_1_12();
  o.masquerade_all = true;
  auto all = render(test_service(ServiceType::kClusterIP, {endpoint("10.180.0.1", 80)}), o);
  EXPECT_TRUE(has(all, args + " -j KUBE-MARK-MASQ"));
  EXPECT_FALSE(has(all, args + " ! -s 10.0.0.0/24 -j KUBE-MARK-MASQ"));
}

TEST(KubeProxy112, ProbabilitiesHaveFiveDecimals) {
  auto t = render(test_service(ServiceType::kClusterIP, {endpoint("10.180.0.1", 80), endpoint("10.180.0.2", 80),
                                                          endpoint("10.180.0.3", 80)}),
                  fake_proxier_1_12());
  EXPECT_NE(t.find("--probability 0.33333 -j"), std::string::npos);
  EXPECT_NE(t.find("--probability 0.50000 -j"), std::string::npos);
}

TEST(KubeProxy112, LoadBalancerGoesThroughItsFirewallChain) {
  Service s = test_service(ServiceType::kLoadBalancer, {endpoint("10.180.0.1", 80)}, 3001);
  s.load_balancer_ips = {ip("1.2.3.4")};
  auto t = render(s, fake_proxier_1_12());
  EXPECT_TRUE(has(t, ":" + kFw + " - [0:0]"));
  EXPECT_TRUE(has(t, "-A KUBE-SERVICES -m comment --comment \"ns1/svc1:p80 loadbalancer IP\" -m tcp -p tcp -d 1.2.3.4/32 --dport 80 -j " + kFw));
  EXPECT_TRUE(has(t, "-A " + kFw + " -m comment --comment \"ns1/svc1:p80 loadbalancer IP\" -j KUBE-MARK-MASQ"));
  EXPECT_TRUE(has(t, "-A " + kFw + " -m comment --comment \"ns1/svc1:p80 loadbalancer IP\" -j " + kSvc));
  EXPECT_TRUE(has(t, "-A " + kFw + " -m comment --comment \"ns1/svc1:p80 loadbalancer IP\" -j KUBE-MARK-DROP"));
  // Source ranges: only those get through; the node's own IP inside one lets the LB IP in too.
  s.load_balancer_source_ranges = {*Cidr::parse("198.18.0.0/24")};
  auto r = render(s, fake_proxier_1_12());
  EXPECT_TRUE(has(r, "-A " + kFw + " -m comment --comment \"ns1/svc1:p80 loadbalancer IP\" -s 198.18.0.0/24 -j " + kSvc));
  EXPECT_TRUE(has(r, "-A " + kFw + " -m comment --comment \"ns1/svc1:p80 loadbalancer IP\" -s 1.2.3.4/32 -j " + kSvc));
}

TEST(KubeProxy112, NodePortJumpsToTheServiceChain) {
  auto t = render(test_service(ServiceType::kNodePort, {endpoint("10.180.0.1", 80)}, 3001), fake_proxier_1_12());
  EXPECT_TRUE(has(t, "-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j KUBE-MARK-MASQ"));
  EXPECT_TRUE(has(t, "-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j " + kSvc));
  EXPECT_TRUE(has(t, "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS"));
}

TEST(KubeProxy112, ExternalIPAndNodePortRejectWithoutEndpoints) {
  Service s = test_service(ServiceType::kNodePort, {}, 3001);
  s.external_ips = {ip("50.60.70.81")};
  auto t = render(s, fake_proxier_1_12());
  EXPECT_TRUE(has(t, "-A KUBE-EXTERNAL-SERVICES -m comment --comment \"ns1/svc1:p80 has no endpoints\" -m tcp -p tcp -d 50.60.70.81/32 --dport 80 -j REJECT"));
  EXPECT_TRUE(has(t, "-A KUBE-EXTERNAL-SERVICES -m comment --comment \"ns1/svc1:p80 has no endpoints\" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j REJECT"));
}

TEST(KubeProxy112, OnlyLocalLoadBalancing) {
  Service s = test_service(ServiceType::kLoadBalancer,
                           {endpoint("10.180.0.1", 80), endpoint("10.180.2.1", 80, true)}, 3001);
  s.load_balancer_ips = {ip("1.2.3.4")};
  s.external_traffic_policy = TrafficPolicy::kLocal;
  auto t = render(s, fake_proxier_1_12());
  const std::string local_sep = endpoint_chain("ns1/svc1:p80", "tcp", "10.180.2.1:80");
  EXPECT_TRUE(has(t, "-A " + kFw + " -m comment --comment \"ns1/svc1:p80 loadbalancer IP\" -j " + kXlb));
  EXPECT_FALSE(has(t, "-A " + kFw + " -m comment --comment \"ns1/svc1:p80 loadbalancer IP\" -j KUBE-MARK-MASQ"));
  EXPECT_TRUE(has(t, "-A " + kXlb + " -m comment --comment \"Redirect pods trying to reach external loadbalancer VIP to clusterIP\" -s 10.0.0.0/24 -j " + kSvc));
  EXPECT_TRUE(has(t, "-A " + kXlb + " -m comment --comment \"Balancing rule 0 for ns1/svc1:p80\" -j " + local_sep));
  EXPECT_EQ(t.find("-A " + kXlb + " -m comment --comment \"Balancing rule 0 for ns1/svc1:p80\" -j " + kSep), std::string::npos);
}

TEST(KubeProxy112, OnlyLocalNodePorts) {
  Service s = test_service(ServiceType::kNodePort, {endpoint("10.180.0.1", 80)}, 3001);
  s.external_traffic_policy = TrafficPolicy::kLocal;
  for (bool cidr : {true, false}) {
    auto t = render(s, fake_proxier_1_12(cidr));
    EXPECT_TRUE(has(t, "-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -s 127.0.0.0/8 -j KUBE-MARK-MASQ"));
    EXPECT_TRUE(has(t, "-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j " + kXlb));
    EXPECT_EQ(t.find("Redirect pods") != std::string::npos, cidr);
    // No local endpoint: what reaches the XLB chain from outside is dropped.
    EXPECT_TRUE(has(t, "-A " + kXlb + " -m comment --comment \"ns1/svc1:p80 has no local endpoints\" -j KUBE-MARK-DROP"));
  }
}

TEST(KubeProxy112, NodePortAddressesGiveOneJumpPerNodeIp) {
  auto o = fake_proxier_1_12();
  o.node_ip = ip("198.18.0.1");
  o.more_node_ips = {ip("198.18.0.9"), ip("198.18.1.1")};
  o.node_port_addresses = {*Cidr::parse("198.18.0.0/24")};
  auto t = render(test_service(ServiceType::kNodePort, {endpoint("10.180.0.1", 80)}, 3001), o);
  const std::string last = "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\"";
  EXPECT_TRUE(has(t, last + " -d 198.18.0.1 -j KUBE-NODEPORTS"));
  EXPECT_TRUE(has(t, last + " -d 198.18.0.9 -j KUBE-NODEPORTS"));
  EXPECT_EQ(t.find("-d 198.18.1.1 -j KUBE-NODEPORTS"), std::string::npos);
  EXPECT_EQ(t.find("--dst-type LOCAL -j KUBE-NODEPORTS"), std::string::npos);
}

TEST(KubeProxy112, EverySyncIsFullAndDeletesStaleChains) {
  SyntheticSpec spec;
  spec.services = 10;
  AddressPlan plan;
  auto before = make_synthetic_services(spec, plan);
  auto after = before;
  after.services.erase(after.services.begin() + 3);
  auto payload = plan_partial_sync(before, after, fake_proxier_1_12());
  const auto& removed = before.services[3];
  const auto& kept = before.services[0];
  const std::string removed_chain = service_chain(port_name_1_12(removed, removed.ports[0]), lowercase(removed.ports[0].protocol));
  const std::string kept_chain = service_chain(port_name_1_12(kept, kept.ports[0]), lowercase(kept.ports[0].protocol));
  EXPECT_TRUE(has(payload.text, "-X " + removed_chain));
  EXPECT_TRUE(has(payload.text, ":" + kept_chain + " - [0:0]"));  // unchanged, rewritten anyway
}

TEST(KubeProxy112, DispatchSkipsTheMasqueradeRule) {
  SyntheticSpec spec;
  spec.services = 20;
  auto text = render_iptables(make_synthetic_services(spec, AddressPlan{}), fake_proxier_1_12()).text;
  auto table = read_service_dispatch(text);
  ASSERT_EQ(table.size(), 20u);
  for (const auto& d : table) {
    EXPECT_EQ(d.endpoints.size(), 2u) << d.comment;
    EXPECT_TRUE(d.target_chain.starts_with("KUBE-SVC-")) << d.target_chain;
  }
}

TEST(KubeProxy112, BaseJumpsCarryKubeletsDropChain) {
  auto jumps = render_iptables_base_jumps(KubeProxyVersion::k1_12);
  EXPECT_NE(jumps.find("-A KUBE-MARK-DROP -j MARK --set-xmark 0x00008000/0x00008000\n"), std::string::npos);
  EXPECT_NE(jumps.find("-I PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"), std::string::npos);
  EXPECT_EQ(jumps.find("KUBE-PROXY-FIREWALL"), std::string::npos);  // today's chains are not 1.12's
}

TEST(KubeProxy112, MatchesGoldenPayload) {
  auto o = testing::fake_proxier_options();
  o.kube_proxy_version = KubeProxyVersion::k1_12;
  const std::string want = testing::golden("iptables/v1.12-overall.rules");
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(render_iptables(testing::overall_iptables_fixture(), o).text, want);
}

}  // namespace
}  // namespace svcbench
