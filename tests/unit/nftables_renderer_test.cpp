#include "nftables_renderer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "kube_proxy_fixtures.h"
#include "nftables_listing.h"
#include "sync_plan.h"
#include "synthetic_services.h"

namespace svcbench {
namespace {

// kube-proxy's nftables NewFakeProxier: pod CIDR 10.0.0.0/8, service CIDR 172.30.0.0/16,
// NodePort addresses 192.168.0.2/32, node IP 192.168.0.2.
NftablesOptions fake_proxier_options() {
  NftablesOptions o;
  o.cluster_cidr = Cidr::parse("10.0.0.0/8");
  o.node_ip = testing::ip("192.168.0.2");
  o.node_port_addresses = {*Cidr::parse("192.168.0.2/32")};
  o.service_cidrs = {*Cidr::parse("172.30.0.0/16")};
  return o;
}

std::vector<std::string> golden_lines(const std::string& name) {
  std::ifstream in(std::string(SVCBENCH_SOURCE_ROOT) + "/tests/golden/nftables/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST(NftablesRenderer, NameBaseMatchesKubeProxy) {
  EXPECT_EQ(nftables_name_base("ns1/svc1/tcp/p80"), "ULMVA6XW-ns1/svc1/tcp/p80");
  EXPECT_EQ(nftables_name_base("ns1/svc1/tcp/p80__10.180.0.1/80"), "5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80");
}

TEST(NftablesRenderer, MatchesKubeProxyOverallRules) {
  auto rs = build_nftables(testing::overall_iptables_fixture(), fake_proxier_options());
  auto got = nftables_dump_lines(rs);
  auto want = golden_lines("overall.nft");
  std::vector<std::string> missing, extra;
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
  for (const auto& l : missing) ADD_FAILURE() << "missing: " << l;
  for (const auto& l : extra) ADD_FAILURE() << "extra:   " << l;
}

// kube-proxy's IPv6 proxier: table ip6 kube-proxy, ip6 matches, ipv6_addr sets, endpoint chain
// names with the address's colons as dots, dnat to [addr]:port.
// --nft-single-endpoint-goto: a one-endpoint Service port goes straight to its endpoint chain
// (no one-element anonymous map); more endpoints keep numgen's map; nothing else changes.
TEST(NftablesRenderer, SingleEndpointGotoDropsOnlyTheOneElementMaps) {
  auto o = fake_proxier_options();
  const auto before = nftables_dump_lines(build_nftables(testing::overall_iptables_fixture(), o));
  o.nft_single_endpoint_goto = true;
  const auto after = nftables_dump_lines(build_nftables(testing::overall_iptables_fixture(), o));
  std::vector<std::string> gone, added;
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(gone));
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(added));
  ASSERT_FALSE(gone.empty());
  ASSERT_EQ(gone.size(), added.size());
  for (const auto& l : gone) EXPECT_NE(l.find("numgen random mod 1 vmap { 0 : goto endpoint-"), std::string::npos) << l;
  for (const auto& l : added) EXPECT_NE(l.find(" goto endpoint-"), std::string::npos) << l;
  EXPECT_TRUE(std::binary_search(
      added.begin(), added.end(),
      std::string("add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80")));
  for (const auto& l : after) {  // svc4's two endpoints keep the map
    if (l.find("service-LAUZTJTB") != std::string::npos && l.find("numgen") != std::string::npos) {
      EXPECT_NE(l.find("mod 2"), std::string::npos) << l;
    }
  }
  // The dispatch read back from such a listing still reaches the endpoint.
  const char* listing = R"(table ip kube-proxy {
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		elements = { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
	}
	chain service-ULMVA6XW-ns1/svc1/tcp/p80 {
		goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
	}
	chain endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 {
		ip saddr 10.180.0.1 jump mark-for-masquerade
		meta l4proto tcp dnat to 10.180.0.1:80
	}
})";
  const auto dispatch = read_nftables_dispatch(listing);
  ASSERT_EQ(dispatch.size(), 1u);
  ASSERT_EQ(dispatch[0].endpoints.size(), 1u);
  EXPECT_EQ(dispatch[0].endpoints[0].address.str(), "10.180.0.1");
}

// kube-proxy 1.31-1.33 (--kube-proxy-version 1.33): TestTracePacketV6's whole dump, line for line.
TEST(NftablesRenderer, MatchesKubeProxy133Ipv6DumpExactly) {
  auto o = with_proxy_options<NftablesOptions>(testing::ipv6_proxier_options());
  o.more_node_ips = {testing::ip("2001:db8:1::2")};
  o.node_port_addresses = {*Cidr::parse("2001:db8::/32")};
  o.service_cidrs = {*Cidr::parse("fd00:10:96::/112")};
  o.kube_proxy_version = KubeProxyVersion::k1_33;
  const auto rs = build_nftables(testing::ipv6_node_port_fixture(), o);
  const auto got = nftables_dump_lines(rs);
  const auto want = golden_lines("v1.33-ipv6-node-port.nft");
  std::vector<std::string> missing, extra;
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
  for (const auto& l : missing) ADD_FAILURE() << "missing: " << l;
  for (const auto& l : extra) ADD_FAILURE() << "extra:   " << l;
  // The full sync recreates 1.33's eight base chains, as its first setupNFTables does.
  const std::string full = nftables_full_sync(rs, true);
  EXPECT_NE(full.find("delete chain ip6 kube-proxy filter-output-post-dnat\n"), std::string::npos);
  EXPECT_EQ(full.find("pre-dnat"), std::string::npos);
}

// The same Services with today's kube-proxy and 1.33's differ only where PR #132456 and the
// masquerade rule changed.
TEST(NftablesRenderer, Release133DiffersFromCurrentOnlyInBaseChainsAndMasqueradeMatch) {
  auto o = fake_proxier_options();
  const auto now = nftables_dump_lines(build_nftables(testing::overall_iptables_fixture(), o));
  o.kube_proxy_version = KubeProxyVersion::k1_33;
  const auto old = nftables_dump_lines(build_nftables(testing::overall_iptables_fixture(), o));
  std::vector<std::string> only_old;
  std::set_difference(old.begin(), old.end(), now.begin(), now.end(), std::back_inserter(only_old));
  ASSERT_FALSE(only_old.empty());
  for (const auto& l : only_old)
    EXPECT_TRUE(l.find("filter-") != std::string::npos || l.find(" tcp dport ") != std::string::npos) << l;
}

TEST(NftablesRenderer, MatchesKubeProxysIpv6Expectation) {
  auto o = with_proxy_options<NftablesOptions>(testing::ipv6_proxier_options());
  o.more_node_ips = {testing::ip("2001:db8:1::2")};
  o.node_port_addresses = {*Cidr::parse("2001:db8::/32")};
  o.service_cidrs = {*Cidr::parse("fd00:10:96::/112")};
  const auto rs = build_nftables(testing::ipv6_node_port_fixture(), o);
  const auto got = nftables_dump_lines(rs);
  for (const auto& line : golden_lines("ipv6-node-port.nft"))
    EXPECT_TRUE(std::binary_search(got.begin(), got.end(), line)) << "missing: " << line;
  // This release's ClusterIP masquerade rule, in the IPv6 proxier's words.
  EXPECT_TRUE(std::binary_search(got.begin(), got.end(),
                                 std::string("add rule ip6 kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip6 daddr "
                                             "fd00:172:30::41 ip6 saddr != fd00:10::/64 jump mark-for-masquerade")));
  for (const auto& line : got) EXPECT_EQ(line.find(" ip kube-proxy "), std::string::npos) << line;
  const std::string full = nftables_full_sync(rs, true);
  EXPECT_NE(full.find("delete chain ip6 kube-proxy nat-prerouting\n"), std::string::npos);
  EXPECT_NE(nftables_delete_chains(IpFamily::kIpv6, {"service-x"}).find("delete chain ip6 kube-proxy service-x"),
            std::string::npos);
  // What `nft list table ip6 kube-proxy` prints reads back into the same dispatch.
  const char* listing = R"(table ip6 kube-proxy {
	map service-ips {
		type ipv6_addr . inet_proto . inet_service : verdict
		elements = { fd00:172:30::41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
	}
	chain service-ULMVA6XW-ns1/svc1/tcp/p80 {
		numgen random mod 1 vmap { 0 : goto endpoint-ZVRFLKHO-ns1/svc1/tcp/p80__fd00.10.180..1/80 }
	}
	chain endpoint-ZVRFLKHO-ns1/svc1/tcp/p80__fd00.10.180..1/80 {
		ip6 saddr fd00:10:180::1 jump mark-for-masquerade
		meta l4proto tcp dnat to [fd00:10:180::1]:80
	}
})";
  const auto dispatch = read_nftables_dispatch(listing);
  ASSERT_EQ(dispatch.size(), 1u);
  EXPECT_EQ(dispatch[0].address.str(), "fd00:172:30::41");
  ASSERT_EQ(dispatch[0].endpoints.size(), 1u);
  EXPECT_EQ(dispatch[0].endpoints[0].str(), "[fd00:10:180::1]:80");
}

TEST(NftablesRenderer, PartialSyncTouchesOnlyWhatChanged) {
  SyntheticSpec spec;
  spec.services = 30;
  AddressPlan plan;
  NftablesOptions o;
  o.cluster_cidr = plan.pods;
  auto before = make_synthetic_services(spec, plan);
  auto after = before;
  after.services.erase(after.services.begin() + 5);
  after.services.push_back(make_synthetic_service(100, spec, plan));
  std::vector<std::string> stale;
  auto tx = nftables_partial_sync(build_nftables(before, o), build_nftables(after, o),
                                  changed_services(before, after), &stale);
  const auto& removed = before.services[5];
  const auto& added = after.services.back();
  EXPECT_NE(tx.find("delete element ip kube-proxy service-ips { " + removed.cluster_ip.str()), std::string::npos);
  EXPECT_NE(tx.find("add element ip kube-proxy service-ips { " + added.cluster_ip.str()), std::string::npos);
  EXPECT_NE(tx.find("/svc-100/"), std::string::npos);
  EXPECT_EQ(tx.find("/svc-7/"), std::string::npos);  // untouched Service: not in the transaction
  EXPECT_EQ(stale.size(), 3u);                        // its service chain and 2 endpoint chains
  EXPECT_NE(nftables_delete_chains(IpFamily::kIpv4, stale).find("delete chain ip kube-proxy service-"), std::string::npos);
  // Full sync carries everything, and flushes what it declares.
  auto full = nftables_full_sync(build_nftables(before, o), true);
  EXPECT_NE(full.find("flush map ip kube-proxy service-ips\n"), std::string::npos);
  EXPECT_NE(full.find("delete chain ip kube-proxy nat-prerouting\n"), std::string::npos);
  EXPECT_NE(full.find("/svc-7/"), std::string::npos);
}

TEST(NftablesListing, ReadsServiceIpsAndEndpoints) {
  const char* listing = R"(table ip kube-proxy {
	comment "rules for kube-proxy"
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		comment "ClusterIP, ExternalIP and LoadBalancer IP traffic"
		elements = { 198.19.0.1 . tcp . 80 : goto service-AAAA-ns/a/tcp/p80,
			     198.19.0.2 . udp . 53 : goto service-BBBB-ns/b/udp/p53 }
	}
	chain service-AAAA-ns/a/tcp/p80 {
		ip daddr 198.19.0.1 ip saddr != 198.18.128.0/17 jump mark-for-masquerade
		numgen random mod 2 vmap { 0 : goto endpoint-1, 1 : goto endpoint-2 }
	}
	chain endpoint-1 {
		ip saddr 198.18.128.1 jump mark-for-masquerade
		meta l4proto tcp dnat to 198.18.128.1:8080
	}
	chain endpoint-2 {
		meta l4proto tcp dnat to 198.18.128.2:8080
	}
})";
  auto table = read_nftables_dispatch(listing);
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[0].address.str(), "198.19.0.1");
  EXPECT_EQ(table[0].port, 80);
  ASSERT_EQ(table[0].endpoints.size(), 2u);
  EXPECT_EQ(table[0].endpoints[1].str(), "198.18.128.2:8080");
  EXPECT_EQ(table[1].protocol, Protocol::kUdp);
  EXPECT_TRUE(table[1].endpoints.empty());
}

}  // namespace
}  // namespace svcbench
