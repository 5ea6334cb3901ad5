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

// kube-proxy's IPv6 proxier (NewIPSet, writeIptablesRules): its sets renamed "KUBE-6-..." and
// cut at 31 characters, family inet6, ::1/128 dismissed, /128 addresses on kube-ipvs0,
// virtual servers as ipvsadm names IPv6 ones.
TEST(IpvsRenderer, Ipv6ProxierNamesItsSetsApartAndBracketsItsServers) {
  EXPECT_EQ(ipvs_set_name("KUBE-CLUSTER-IP", IpFamily::kIpv6), "KUBE-6-CLUSTER-IP");
  EXPECT_EQ(ipvs_set_name("KUBE-LOAD-BALANCER-SOURCE-CIDR", IpFamily::kIpv6), "KUBE-6-LOAD-BALANCER-SOURCE-CID");
  EXPECT_EQ(ipvs_set_name("KUBE-NODE-PORT-LOCAL-SCTP-HASH", IpFamily::kIpv6), "KUBE-6-NODE-PORT-LOCAL-SCTP-HAS");
  EXPECT_EQ(ipvs_set_name("KUBE-CLUSTER-IP", IpFamily::kIpv4), "KUBE-CLUSTER-IP");
  const auto p = build_ipvs(testing::ipv6_node_port_fixture(),
                             with_proxy_options<IpvsOptions>(testing::ipv6_proxier_options()));
  const auto& vs = p.virtual_servers.at("-t [fd00:172:30::41]:80");
  ASSERT_EQ(vs.real_servers.size(), 2u);
  EXPECT_EQ(vs.real_servers[0].str(), "[fd00:10:180::1]:80");
  EXPECT_TRUE(p.virtual_servers.contains("-t [2001:db8::1]:3001"));  // the NodePort on the node IP
  const std::string ipsets = ipvs_ipset_restore(p, nullptr);
  EXPECT_NE(ipsets.find("create KUBE-6-CLUSTER-IP hash:ip,port family inet6 hashsize 1024 maxelem 65536 comment -exist\n"),
            std::string::npos);
  EXPECT_NE(ipsets.find("add KUBE-6-CLUSTER-IP fd00:172:30::41,tcp:80 -exist\n"), std::string::npos);
  EXPECT_EQ(ipsets.find("create KUBE-CLUSTER-IP "), std::string::npos);
  EXPECT_EQ(ipvs_address_batch(p, nullptr), "address add fd00:172:30::41/128 dev kube-ipvs0\n");
  EXPECT_NE(p.iptables.find("-A KUBE-SERVICES -s ::1/128 -j RETURN\n"), std::string::npos);
  EXPECT_NE(p.iptables.find("--match-set KUBE-6-CLUSTER-IP dst,dst ! -s fd00:10::/64 -j KUBE-MARK-MASQ\n"),
            std::string::npos);
  EXPECT_EQ(p.iptables.find("--match-set KUBE-CLUSTER-IP "), std::string::npos);
  EXPECT_NE(ipvs_ipvsadm_restore(p, nullptr, "rr").find("-a -t [fd00:172:30::41]:80 -r [fd00:10:180::2:1]:80 -m -w 1\n"),
            std::string::npos);
  // What ipvsadm -Ln lists for it reads back into the same dispatch.
  const auto dispatch = read_ipvs_dispatch(
      "IP Virtual Server version 1.2.1 (size=4096)\n"
      "Prot LocalAddress:Port Scheduler Flags\n"
      "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
      "TCP  [fd00:172:30::41]:80 rr\n"
      "  -> [fd00:10:180::1]:80           Masq    1      0          0\n");
  ASSERT_EQ(dispatch.size(), 1u);
  EXPECT_EQ(dispatch[0].address.str(), "fd00:172:30::41");
  ASSERT_EQ(dispatch[0].endpoints.size(), 1u);
  EXPECT_EQ(dispatch[0].endpoints[0].str(), "[fd00:10:180::1]:80");
}

// Two programmes by hand: one Service port with two real servers, then its endpoints change
// and a second Service appears, then the first goes.
IpvsProgramme programme(std::vector<std::pair<std::string, std::vector<std::string>>> servers) {
  IpvsProgramme p;
  for (auto& [vip, reals] : servers) {
    IpvsVirtualServer vs;
    vs.address = testing::ip(vip.c_str());
    vs.port = 80;
    for (const auto& r : reals) vs.real_servers.push_back(Endpoint{testing::ip(r.c_str()), 8080});
    p.virtual_servers[vs.key()] = vs;
    p.bound_addresses.insert(vip);
    p.ipset_entries["KUBE-CLUSTER-IP"].insert(vip + ",tcp:80");
  }
  return p;
}

TEST(IpvsSyncCalls, FromNothingEverySetIsCreatedListedAndFilledOneCallPerEntry) {
  const auto to = programme({{"198.19.0.1", {"198.18.128.1", "198.18.128.2"}}});
  const auto c = ipvs_sync_calls(to, nullptr, "rr");
  ASSERT_EQ(c.ipset_create.size(), 17u);  // kube-proxy's ipsetInfo: every set, every sync
  EXPECT_EQ(c.ipset_create[1],
            "ipset create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 "
            "comment -exist");
  ASSERT_EQ(c.ipset_list.size(), 17u);
  EXPECT_EQ(c.ipset_list[1], "ipset list KUBE-CLUSTER-IP");
  EXPECT_EQ(c.ipset_change, (std::vector<std::string>{"ipset add KUBE-CLUSTER-IP 198.19.0.1,tcp:80 -exist"}));
  EXPECT_EQ(c.netlink_sync,
            "dummy kube-ipvs0\naddrs\naddrs\n"
            "-G -t 198.19.0.1:80\n-A -t 198.19.0.1:80 -s rr\nbind 198.19.0.1 kube-ipvs0\n"
            "-G -t 198.19.0.1:80\n-L -t 198.19.0.1:80\n"
            "-a -t 198.19.0.1:80 -r 198.18.128.1:8080 -m -w 1\n"
            "-a -t 198.19.0.1:80 -r 198.18.128.2:8080 -m -w 1\n");
  EXPECT_EQ(c.netlink_cleanup, "-S\n");
}

TEST(IpvsSyncCalls, ASyncGetsAndListsEveryServerAndWritesOnlyTheChanges) {
  const auto from = programme({{"198.19.0.1", {"198.18.128.1", "198.18.128.2"}}});
  const auto nothing = ipvs_sync_calls(from, &from, "rr");
  EXPECT_TRUE(nothing.ipset_change.empty());
  EXPECT_EQ(nothing.ipset_list.size(), 17u);  // listed all the same
  EXPECT_EQ(nothing.netlink_sync,
            "dummy kube-ipvs0\naddrs\naddrs\n-G -t 198.19.0.1:80\n-G -t 198.19.0.1:80\n-L -t 198.19.0.1:80\n");

  const auto to = programme({{"198.19.0.1", {"198.18.128.2", "198.18.128.3"}}, {"198.19.0.2", {"198.18.128.9"}}});
  const auto c = ipvs_sync_calls(to, &from, "rr");
  EXPECT_EQ(c.ipset_change, (std::vector<std::string>{"ipset add KUBE-CLUSTER-IP 198.19.0.2,tcp:80 -exist"}));
  EXPECT_EQ(c.netlink_sync,
            "dummy kube-ipvs0\naddrs\naddrs\n"
            "-G -t 198.19.0.1:80\n-G -t 198.19.0.1:80\n-L -t 198.19.0.1:80\n"
            "-a -t 198.19.0.1:80 -r 198.18.128.3:8080 -m -w 1\n"
            "-d -t 198.19.0.1:80 -r 198.18.128.1:8080\n"
            "-G -t 198.19.0.2:80\n-A -t 198.19.0.2:80 -s rr\nbind 198.19.0.2 kube-ipvs0\n"
            "-G -t 198.19.0.2:80\n-L -t 198.19.0.2:80\n-a -t 198.19.0.2:80 -r 198.18.128.9:8080 -m -w 1\n");

  const auto gone = ipvs_sync_calls(programme({{"198.19.0.2", {"198.18.128.9"}}}), &to, "rr");
  EXPECT_EQ(gone.ipset_change, (std::vector<std::string>{"ipset del KUBE-CLUSTER-IP 198.19.0.1,tcp:80"}));
  EXPECT_EQ(gone.netlink_cleanup, "unbind 198.19.0.1 kube-ipvs0\n-S\n-D -t 198.19.0.1:80\n");
}

TEST(IpvsSyncCalls, IPv6SetsAndAddresses) {
  auto to = programme({{"fd00:172:30::41", {"fd00:10:180::1"}}});
  to.family = IpFamily::kIpv6;
  const auto c = ipvs_sync_calls(to, nullptr, "rr");
  EXPECT_EQ(c.ipset_list[1], "ipset list KUBE-6-CLUSTER-IP");
  EXPECT_NE(c.ipset_create[1].find("family inet6"), std::string::npos);
  EXPECT_NE(c.netlink_sync.find("-A -t [fd00:172:30::41]:80 -s rr\nbind fd00:172:30::41 kube-ipvs0\n"),
            std::string::npos);
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
