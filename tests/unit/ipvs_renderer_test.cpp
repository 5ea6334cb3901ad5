#include "ipvs_renderer.h"

#include <gtest/gtest.h>

#include "ipvs_listing.h"
#include "kube_proxy_fixtures.h"
#include "synthetic_services.h"

namespace svcbench {
namespace {

IpvsOptions options() {
  IpvsOptions o;
  o.cluster_cidr = Cidr::parse("10.0.0.0/8");
  o.node_ip = testing::ip("192.168.0.2");
  o.random_fully = false;
  return o;
}

TEST(IpvsRenderer, ProgrammesEveryServiceIpAndEndpoint) {
  auto p = build_ipvs(testing::overall_iptables_fixture(), options());
  // ClusterIPs, external IPs and LB IPs are bound to kube-ipvs0 and have a virtual server.
  for (const char* ip : {"172.30.0.41", "172.30.0.46", "192.168.99.22", "1.2.3.4", "5.6.7.8"})
    EXPECT_TRUE(p.bound_addresses.contains(ip)) << ip;
  const auto& vs = p.virtual_servers.at("-t 172.30.0.44:80");
  ASSERT_EQ(vs.real_servers.size(), 2u);
  EXPECT_EQ(vs.real_servers[0].str(), "10.180.0.4:80");
  EXPECT_EQ(p.virtual_servers.at("-t 172.30.0.45:80").persistence_seconds, 10800);
  EXPECT_TRUE(p.virtual_servers.at("-t 172.30.0.46:80").real_servers.empty());  // no endpoints
  EXPECT_TRUE(p.virtual_servers.contains("-t 192.168.0.2:3001"));             // NodePort on the node IP
  // ns2 is externalTrafficPolicy=Local with no local endpoint: its LB VS has no real server.
  EXPECT_TRUE(p.virtual_servers.at("-t 1.2.3.4:80").real_servers.empty());
  EXPECT_TRUE(p.ipset_entries.at("KUBE-CLUSTER-IP").contains("172.30.0.41,tcp:80"));
  EXPECT_TRUE(p.ipset_entries.at("KUBE-NODE-PORT-TCP").contains("3003"));
  EXPECT_TRUE(p.ipset_entries.at("KUBE-LOOP-BACK").contains("10.180.0.5,tcp:80,10.180.0.5"));
  EXPECT_TRUE(p.ipset_entries.at("KUBE-LOAD-BALANCER-SOURCE-CIDR").contains("5.6.7.8,tcp:80,203.0.113.0/25"));
  EXPECT_TRUE(p.ipset_entries.at("KUBE-HEALTH-CHECK-NODE-PORT").contains("30000"));
  EXPECT_NE(p.iptables.find("-A KUBE-SERVICES -m comment --comment \"Kubernetes service cluster ip + port for masquerade purpose\" -m set --match-set KUBE-CLUSTER-IP dst,dst ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ\n"),
            std::string::npos);
  EXPECT_NE(p.iptables.find("-A KUBE-POSTROUTING -m comment --comment \"Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose\" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE\n"),
            std::string::npos);
}

TEST(IpvsRenderer, RuleCountDoesNotGrowWithServices) {
  SyntheticSpec spec;
  spec.services = 10;
  auto small = build_ipvs(make_synthetic_services(spec, AddressPlan{}), IpvsOptions{});
  spec.services = 5000;
  auto large = build_ipvs(make_synthetic_services(spec, AddressPlan{}), IpvsOptions{});
  EXPECT_EQ(small.iptables, large.iptables);  // constant-size iptables: the point of IPVS mode
  EXPECT_EQ(large.virtual_servers.size(), 5000u);
}

TEST(IpvsRenderer, UpdatesAreDiffs) {
  SyntheticSpec spec;
  spec.services = 20;
  AddressPlan plan;
  auto before_set = make_synthetic_services(spec, plan);
  auto after_set = before_set;
  after_set.services.erase(after_set.services.begin());
  after_set.services[3].ports[0].endpoints.pop_back();
  const auto before = build_ipvs(before_set, IpvsOptions{});
  const auto after = build_ipvs(after_set, IpvsOptions{});
  const auto removed = before_set.services[0];
  const std::string key = std::string(removed.ports[0].protocol == Protocol::kUdp ? "-u " : "-t ") +
                          removed.cluster_ip.str() + ":" + std::to_string(removed.ports[0].port);
  auto ipvsadm = ipvs_ipvsadm_restore(after, &before, "rr");
  EXPECT_NE(ipvsadm.find("-D " + key + "\n"), std::string::npos);
  EXPECT_NE(ipvsadm.find("-d "), std::string::npos);
  EXPECT_EQ(ipvsadm.find("-A "), std::string::npos);
  EXPECT_NE(ipvs_address_batch(after, &before).find("address del " + removed.cluster_ip.str() + "/32"), std::string::npos);
  EXPECT_NE(ipvs_ipset_restore(after, &before).find("del KUBE-CLUSTER-IP " + removed.cluster_ip.str()), std::string::npos);
  EXPECT_NE(render_ipvs(before_set, IpvsOptions{}).find("# ipvsadm -R"), std::string::npos);
}

TEST(IpvsListing, ReadsIpvsadmOutput) {
  const char* listing =
      "IP Virtual Server version 1.2.1 (size=4096)\n"
      "Prot LocalAddress:Port Scheduler Flags\n"
      "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
      "TCP  198.19.0.1:80 rr\n"
      "  -> 198.18.128.1:8080            Masq    1      0          0\n"
      "  -> 198.18.128.2:8080            Masq    1      0          0\n"
      "UDP  198.19.0.2:53 rr persistent 10800\n";
  auto t = read_ipvs_dispatch(listing);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].endpoints.size(), 2u);
  EXPECT_EQ(t[0].endpoints[1].str(), "198.18.128.2:8080");
  EXPECT_EQ(t[1].protocol, Protocol::kUdp);
  EXPECT_EQ(t[1].port, 53);
}

}  // namespace
}  // namespace svcbench
