#include "iptables_renderer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "chain_names.h"
#include "iptables_dump.h"
#include "kube_proxy_fixtures.h"
#include "synthetic_services.h"
#include "sync_plan.h"

namespace svcbench {
namespace {

TEST(ChainNames, MatchKubeProxy) {
  EXPECT_EQ(service_chain("ns1/svc1:p80", "tcp"), "KUBE-SVC-XPGD46QRK7WJZT7O");
  EXPECT_EQ(endpoint_chain("ns1/svc1:p80", "tcp", "10.180.0.1:80"), "KUBE-SEP-SXIVWICOYRO3J4NJ");
  EXPECT_EQ(firewall_chain("ns5/svc5:p80", "tcp"), "KUBE-FW-NUKIZ6OKUXPJNT4C");
  EXPECT_EQ(external_chain("ns2/svc2:p80", "tcp"), "KUBE-EXT-GNZBNJ2PO5MGZ6GT");
  EXPECT_TRUE(is_service_chain("KUBE-SVL-ABC"));
  EXPECT_FALSE(is_service_chain("KUBE-SERVICES"));
}

TEST(Sha256Base32, KnownVector) {
  // sha256("") = e3b0c442...; base32 of it, as Go's base32.StdEncoding prints it.
  EXPECT_EQ(sha256_base32(""), "4OYMIQUY7QOBJGX36TEJS35ZEQT24QPEMSNZGTFESWMRW6CSXBKQ====");
}

TEST(IptablesRenderer, MatchesKubeProxyOverallRules) {
  auto payload = render_iptables(testing::overall_iptables_fixture(), testing::fake_proxier_options());
  EXPECT_EQ(canonical_iptables_dump(payload.text), testing::golden("iptables/overall.rules"));
}

TEST(IptablesDump, KubeChainsRemovalTakesKubeProxysChainsAndJumpsOnly) {
  const std::string saved =
      "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-ABC - [0:0]\n:SITE - [0:0]\n"
      "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
      "-A PREROUTING -j SITE\n-A KUBE-SERVICES -d 198.19.0.1/32 -j KUBE-SVC-ABC\n"
      "-A SITE -d 198.18.201.1/32 -j RETURN\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\nCOMMIT\n";
  EXPECT_EQ(kube_chains_removal(saved),
            "*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-ABC - [0:0]\n"
            "-D PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
            "-X KUBE-SERVICES\n-X KUBE-SVC-ABC\nCOMMIT\n");
  EXPECT_EQ(kube_chains_removal("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\nCOMMIT\n"), "");
}

TEST(IptablesRenderer, ProbabilitiesAreOneOverRemaining) {
  SyntheticSpec spec;
  spec.services = 1;
  spec.endpoints = EndpointProfile::uniform(3);
  auto text = render_iptables(make_synthetic_services(spec, AddressPlan{}), IptablesOptions{}).text;
  EXPECT_NE(text.find("--probability 0.3333333333 "), std::string::npos);
  EXPECT_NE(text.find("--probability 0.5000000000 "), std::string::npos);
  EXPECT_EQ(text.find("--probability 1.0"), std::string::npos);
}

TEST(IptablesRenderer, LargeClusterModeDropsEndpointComments) {
  SyntheticSpec spec;
  spec.services = 501;  // 1002 endpoints > 1000
  auto payload = render_iptables(make_synthetic_services(spec, AddressPlan{}), IptablesOptions{});
  EXPECT_TRUE(payload.large_cluster_mode);
  EXPECT_EQ(payload.text.find("-> 198.18."), std::string::npos);
  EXPECT_NE(payload.text.find("cluster IP\""), std::string::npos);  // KUBE-SERVICES keeps them
  spec.services = 500;
  auto small = render_iptables(make_synthetic_services(spec, AddressPlan{}), IptablesOptions{});
  EXPECT_FALSE(small.large_cluster_mode);
  EXPECT_NE(small.text.find("-> 198.18."), std::string::npos);
}

TEST(IptablesRenderer, ServicesChainHasOneRulePerClusterIpPlusNodePortsJump) {
  SyntheticSpec spec;
  spec.services = 50;
  auto text = render_iptables(make_synthetic_services(spec, AddressPlan{}), IptablesOptions{}).text;
  auto table = read_service_dispatch(text);
  ASSERT_EQ(table.size(), 50u);
  for (const auto& d : table) EXPECT_EQ(d.endpoints.size(), 2u) << d.comment;
}

TEST(SyncPlan, PartialSyncWritesOnlyChangedServiceChains) {
  SyntheticSpec spec;
  spec.services = 20;
  AddressPlan plan;
  auto before = make_synthetic_services(spec, plan);
  auto after = before;
  after.services.erase(after.services.begin() + 3);                  // remove svc-3
  after.services.push_back(make_synthetic_service(20, spec, plan));  // add svc-20
  auto payload = plan_partial_sync(before, after, IptablesOptions{});
  const std::string& t = payload.text;
  const auto& removed = before.services[3];
  const auto& added = after.services.back();
  const std::string removed_chain = service_chain(removed.port_name(removed.ports[0]), lowercase(removed.ports[0].protocol));
  const std::string added_chain = service_chain(added.port_name(added.ports[0]), lowercase(added.ports[0].protocol));
  const auto& kept = after.services[0];
  const std::string kept_chain = service_chain(kept.port_name(kept.ports[0]), lowercase(kept.ports[0].protocol));
  EXPECT_NE(t.find("-X " + removed_chain + "\n"), std::string::npos);
  EXPECT_NE(t.find(":" + added_chain + " - [0:0]"), std::string::npos);
  EXPECT_EQ(t.find(":" + kept_chain + " - [0:0]"), std::string::npos);  // unchanged: not rewritten
  EXPECT_NE(t.find("-j " + kept_chain), std::string::npos);  // but KUBE-SERVICES still jumps to it
  EXPECT_EQ(changed_services(before, after).size(), 2u);
}

TEST(IptablesDump, ReadsDispatchFromIptablesSave) {
  const char* save =
      "*nat\n:KUBE-SERVICES - [0:0]\n"
      "[5:300] -A KUBE-SERVICES -d 198.19.0.1/32 -p udp -m comment --comment \"ns/a:p53 cluster IP\" -m udp --dport 53 -j KUBE-SVC-A\n"
      "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n"
      "-A KUBE-SVC-A -m comment --comment \"ns/a:p53 -> 198.18.128.1:5353\" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-1\n"
      "-A KUBE-SVC-A -j KUBE-SEP-2\n"
      "-A KUBE-SEP-1 -s 198.18.128.1/32 -j KUBE-MARK-MASQ\n"
      "-A KUBE-SEP-1 -p udp -m udp -j DNAT --to-destination 198.18.128.1:5353\n"
      "-A KUBE-SEP-2 -p udp -m udp -j DNAT --to-destination 198.18.128.2:5353\n"
      "COMMIT\n";
  auto table = read_service_dispatch(save);
  ASSERT_EQ(table.size(), 1u);
  EXPECT_EQ(table[0].address.str(), "198.19.0.1");
  EXPECT_EQ(table[0].port, 53);
  EXPECT_EQ(table[0].protocol, Protocol::kUdp);
  EXPECT_EQ(table[0].comment, "ns/a:p53 cluster IP");
  ASSERT_EQ(table[0].endpoints.size(), 2u);
  EXPECT_EQ(table[0].endpoints[1].str(), "198.18.128.2:5353");
}

TEST(IptablesRenderer, BaseJumpsDeclareAndInsert) {
  auto jumps = render_iptables_base_jumps();
  EXPECT_NE(jumps.find("-I PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"), std::string::npos);
  EXPECT_NE(jumps.find("-I FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"), std::string::npos);
}

}  // namespace
}  // namespace svcbench
