// Integration against a real netns node: rules loaded with the real iptables-restore,
// packets sent through the node by the DPDK generator. Needs root; skips (77) without it.
#include <gtest/gtest.h>

#include <memory>

#include "command_runner.h"
#include "generator_setup.h"
#include "measure_point.h"
#include "mode_registry.h"
#include "netns_node.h"
#include "synthetic_services.h"
#include "testbed.h"

namespace svcbench {
namespace {

class NetnsNodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lock_ = std::make_unique<TestbedLock>();
    node_ = make_node("netns", {});
    node_->up();
    generators_ =
        std::make_unique<GeneratorSetup>(choose_generator_ports(node_.get(), {}), AddressPlan{});
    generator_ = &generators_->through_node();
  }
  static void TearDownTestSuite() {
    generators_.reset();
    node_->down();
    node_.reset();
    lock_.reset();
  }

  static Node& node() { return *node_; }
  static IptablesOptions options() {
    IptablesOptions o;
    o.cluster_cidr = AddressPlan{}.pods;
    return o;
  }
  static ServiceSet services(size_t n, size_t endpoints = 2) {
    SyntheticSpec spec;
    spec.services = n;
    spec.endpoints = EndpointProfile::uniform(endpoints);
    return make_synthetic_services(spec, AddressPlan{});
  }
  ReplayResult send(const std::vector<ServiceDispatch>& targets, Phase phase, uint64_t packets) {
    node().flush_conntrack();
    ReplaySettings s;
    s.phase = phase;
    s.packets = packets;
    s.rate_pps = 10000;
    return generator_->replay(plan_service_traffic(targets, AddressPlan{}), s, true);
  }

  static std::unique_ptr<TestbedLock> lock_;
  static std::unique_ptr<Node> node_;
  static std::unique_ptr<GeneratorSetup> generators_;
  static PacketReplayer* generator_;
};

std::unique_ptr<TestbedLock> NetnsNodeTest::lock_;
std::unique_ptr<Node> NetnsNodeTest::node_;
std::unique_ptr<GeneratorSetup> NetnsNodeTest::generators_;
PacketReplayer* NetnsNodeTest::generator_ = nullptr;

// The host's own namespace mounted under an svcb- name, and a namespace svcbench did not make
// under the node's name: svcbench runs nothing in either (here `true`, harmless if it did).
TEST_F(NetnsNodeTest, RefusesNamespacesItDidNotCreate) {
  auto expect_refused = [](const std::string& netns, const std::string& because) {
    NetnsNode shell({}, netns);
    try {
      shell.run({"true"});
      ADD_FAILURE() << "ran a command in " << netns;
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(because), std::string::npos) << e.what();
    }
    run_command({{"ip", "netns", "delete", netns}, "", "", true});
  };
  const std::string alias = "/run/netns/svcb-rootalias";
  run_checked({{"touch", alias}, "", "", true}, "touch");
  run_checked({{"mount", "--bind", "/proc/self/ns/net", alias}, "", "", true},
              "bind the host namespace");
  expect_refused("svcb-rootalias", "host's own namespace");
  run_checked({{"ip", "netns", "add", "svcb-foreign"}, "", "", true},
              "a namespace svcbench did not create");
  expect_refused("svcb-foreign", "not created by");
  EXPECT_TRUE(node().run({"true"}).ok());  // the node `up` made is still fine
}

// The node's own rules survive every mode's reset (kube-proxy's cleanup removes its chains only).
TEST_F(NetnsNodeTest, ResetLeavesTheNodesOwnRules) {
  for (const char* name : {"iptables-legacy", "iptables-nft"}) {
    const std::string tool = name;
    node().run_checked({tool, "-t", "filter", "-A", "INPUT", "-s", "198.18.200.0/24", "-j", "DROP"},
                       "a rule of the node's");
    auto mode = make_dataplane_mode(name, node(), options());
    mode->initial_load(services(20));
    mode->reset();
    const std::string left = node().run_checked({tool + "-save"}, "save").out;
    EXPECT_EQ(left.find("KUBE-"), std::string::npos) << name << ":\n" << left;
    EXPECT_NE(left.find("-A INPUT -s 198.18.200.0/24 -j DROP"), std::string::npos) << name << ":\n"
                                                                                   << left;
    node().run_checked({tool, "-t", "filter", "-D", "INPUT", "-s", "198.18.200.0/24", "-j", "DROP"},
                       "cleanup");
  }
}

TEST_F(NetnsNodeTest, RenderedRulesetLoadsInEveryMode) {
  for (const char* name : {"iptables-legacy", "iptables-nft", "nftables"}) {
    auto mode = make_dataplane_mode(name, node(), options());
    auto set = services(50);
    mode->initial_load(set);
    auto dispatch = mode->loaded_dispatch();
    ASSERT_EQ(dispatch.size(), 50u) << name;
    for (const auto& d : dispatch) EXPECT_EQ(d.endpoints.size(), 2u) << name << " " << d.comment;
    EXPECT_NE(mode->loaded_ruleset().find(std::string(name) == "nftables" ? "mark-for-masquerade"
                                                                          : "KUBE-MARK-MASQ"),
              std::string::npos);
    mode->reset();
    EXPECT_TRUE(mode->loaded_dispatch().empty()) << name;
  }
}

TEST_F(NetnsNodeTest, PacketsArriveDnatedToTheRightEndpointsEvenly) {
  auto mode = make_dataplane_mode("iptables-legacy", node(), options());
  mode->initial_load(services(20, 4));
  auto dispatch = mode->loaded_dispatch();
  auto r = send(select_targets(dispatch, TargetPosition::kFirst), Phase::kNewFlow, 4000);
  EXPECT_EQ(r.tx, 4000u);
  EXPECT_EQ(r.rx, r.tx);
  EXPECT_EQ(r.misrouted, 0u);
  ASSERT_EQ(r.endpoint_hits.size(), 1u);
  ASSERT_EQ(r.endpoint_hits[0].size(), 4u);
  for (auto hits : r.endpoint_hits[0])
    EXPECT_NEAR(static_cast<double>(hits), 1000.0, 150.0);  // ~5.5 sigma
  // Every Service, uniformly: still no packet leaves towards a wrong endpoint.
  auto u = send(select_targets(dispatch, TargetPosition::kUniform), Phase::kNewFlow, 2000);
  EXPECT_EQ(u.rx, u.tx);
  EXPECT_EQ(u.misrouted, 0u);
  mode->reset();
}

TEST_F(NetnsNodeTest, NewFlowCostGrowsWithServicesEstablishedDoesNot) {
  auto mode = make_dataplane_mode("iptables-legacy", node(), options());
  auto measure = [&](size_t n) {
    mode->initial_load(services(n));
    auto last = select_targets(mode->loaded_dispatch(), TargetPosition::kLast);
    auto fresh = send(last, Phase::kNewFlow, 1500);
    auto known = send(last, Phase::kEstablished, 1500);
    EXPECT_EQ(fresh.misrouted + known.misrouted, 0u);
    return std::pair{fresh.latency.percentile(50), known.latency.percentile(50)};
  };
  auto [new10, est10] = measure(10);
  auto [new3000, est3000] = measure(3000);
  // ~3,000 more rules walked per new flow: several microseconds more, whatever the machine.
  EXPECT_GT(new3000, new10 * 3 / 2)
      << "new-flow p50: 10 Services " << new10 << " ns, 3000 Services " << new3000 << " ns";
  EXPECT_GT(new3000, new10 + 5000);
  // Established flows skip the nat table: no such growth.
  EXPECT_LT(est3000, est10 * 3 / 2 + 2000)
      << "established p50: 10 Services " << est10 << " ns, 3000 Services " << est3000 << " ns";
  mode->reset();
}

TEST_F(NetnsNodeTest, NftablesDnatsEvenlyAndStaysFlat) {
  auto mode = make_dataplane_mode("nftables", node(), options());
  mode->initial_load(services(20, 4));
  auto r =
      send(select_targets(mode->loaded_dispatch(), TargetPosition::kFirst), Phase::kNewFlow, 4000);
  EXPECT_EQ(r.rx, r.tx);
  EXPECT_EQ(r.misrouted, 0u);
  ASSERT_EQ(r.endpoint_hits.at(0).size(), 4u);
  for (auto hits : r.endpoint_hits[0]) EXPECT_NEAR(static_cast<double>(hits), 1000.0, 150.0);
  // A verdict-map lookup: the last of 3,000 Services costs what one of 10 does.
  auto last_p50 = [&](size_t n) {
    mode->initial_load(services(n));
    auto last = select_targets(mode->loaded_dispatch(), TargetPosition::kLast);
    return send(last, Phase::kNewFlow, 1500).latency.percentile(50);
  };
  const uint64_t small = last_p50(10), large = last_p50(3000);
  EXPECT_LT(large, small * 3 / 2 + 2000)
      << "nftables new-flow p50: 10 Services " << small << " ns, 3000 Services " << large << " ns";
  mode->reset();
}

TEST_F(NetnsNodeTest, PartialSyncAddsAndRemovesOneService) {
  for (const char* name : {"iptables-legacy", "iptables-nft", "nftables"}) {
    auto mode = make_dataplane_mode(name, node(), options());
    auto base = services(30);
    SyntheticSpec spec;
    auto grown = base;
    grown.services.push_back(make_synthetic_service(5000, spec, AddressPlan{}));
    const auto& added = grown.services.back();
    mode->initial_load(base);
    mode->partial_sync(base, grown);
    auto dispatch = mode->loaded_dispatch();
    ASSERT_EQ(dispatch.size(), 31u) << name;
    bool found = false;
    for (const auto& d : dispatch)
      if (d.address == added.cluster_ip && d.port == added.ports[0].port) {
        found = true;
        auto r = send({d}, Phase::kNewFlow, 300);
        EXPECT_EQ(r.rx, r.tx) << name;
        EXPECT_EQ(r.misrouted, 0u) << name;
      }
    EXPECT_TRUE(found) << name;
    mode->partial_sync(grown, base);
    EXPECT_EQ(mode->loaded_dispatch().size(), 30u) << name;
    // The removed Service's chains are gone, not just unreferenced (nftables, like
    // kube-proxy, flushes them at once and deletes them on the next sync).
    if (std::string(name) == "nftables") mode->partial_sync(base, base);
    EXPECT_EQ(mode->loaded_ruleset().find("svc-5000"), std::string::npos) << name;
    mode->reset();
  }
}

TEST_F(NetnsNodeTest, BaselineLinkDeliversEverything) {
  ReplaySettings s;
  s.packets = 1000;
  const auto e = measure_baseline(*generators_->back_to_back(), services(10),
                                  TargetPosition::kUniform, s, AddressPlan{});
  EXPECT_EQ(e.replay.rx, 1000u);
  EXPECT_EQ(e.replay.duplicates, 0u);
  EXPECT_EQ(e.replay.misrouted, 0u);  // every frame arrives at the frontend it was sent to
  EXPECT_GT(e.replay.latency.percentile(50), 0u);
}

}  // namespace
}  // namespace svcbench

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!svcbench::running_as_root()) {
    std::fprintf(stderr, "dataplane_test: needs root for namespaces and iptables; skipped\n");
    return 77;
  }
  return RUN_ALL_TESTS();
}
