// Every mode's full and partial syncs and the update timing, driven against a fake node that
// records the commands and answers them (no root): the right tool, the payload the renderer
// makes, the node's own time summed, a rejected load reported, and — for iptables, whose
// tables the fake keeps — partial syncs that leave exactly what a full sync would.
#include <gtest/gtest.h>

#include <sstream>

#include "errors.h"
#include "fake_node.h"
#include "iptables_dump.h"
#include "ipvs_renderer.h"
#include "mode_registry.h"
#include "nftables_renderer.h"
#include "sync_plan.h"
#include "synthetic_services.h"
#include "update_timing.h"

namespace svcbench {
namespace {

IptablesOptions options() {
  IptablesOptions o;
  o.cluster_cidr = AddressPlan{}.pods;
  return o;
}

SyntheticSpec spec_of(size_t n) {
  SyntheticSpec spec;
  spec.services = n;
  spec.endpoints = EndpointProfile::range(1, 3);
  return spec;
}

ServiceSet services(size_t n) { return make_synthetic_services(spec_of(n), AddressPlan{}); }

ServiceSet grown(const ServiceSet& base) {
  ServiceSet g = base;
  g.services.push_back(make_synthetic_service(900000, spec_of(1), AddressPlan{}));
  return g;
}

// What the fake's iptables hold after a fresh full load of `set` (the reference state).
std::string loaded_by_full_sync(const char* mode_name, const ServiceSet& set) {
  FakeNode node;
  auto mode = make_dataplane_mode(mode_name, node, options());
  mode->initial_load(set);
  return canonical_iptables_dump(node.iptables.begin()->second.save());
}

// What the fake's iptables hold, in kube-proxy's tests' order (chains sorted: iptables-save's
// chain order is not part of what a sync leaves).
std::string loaded(const FakeNode& node, const std::string& tool) {
  return canonical_iptables_dump(node.iptables.at(tool).save());
}

class IptablesModes : public ::testing::TestWithParam<const char*> {};

// A node's own rules, which no reset may touch.
constexpr const char* kForeignRules =
    "*filter\n:INPUT ACCEPT [0:0]\n:SITE-FW - [0:0]\n-A INPUT -j SITE-FW\n"
    "-A SITE-FW -s 198.18.200.0/24 -j DROP\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n"
    "-A PREROUTING -d 198.18.201.1/32 -j RETURN\nCOMMIT\n";

TEST_P(IptablesModes, InitialLoadRestoresTheRenderedPayloadWithoutFlushing) {
  FakeNode node;
  node.seconds_per_tool[std::string(GetParam()) + "-restore"] = 0.25;
  auto mode = make_dataplane_mode(GetParam(), node, options());
  const auto base = services(20);
  EXPECT_DOUBLE_EQ(mode->initial_load(base), 0.25);  // the node's clock, around the last restore
  const auto restores = node.of(std::string(GetParam()) + "-restore");
  ASSERT_EQ(restores.size(), 2u);  // an empty node needs no reset: base-chain jumps, the ruleset
  EXPECT_EQ(restores[0].input, render_iptables_base_jumps());
  EXPECT_EQ(restores[1].argv, (std::vector<std::string>{std::string(GetParam()) + "-restore",
                                                        "--noflush", "--counters"}));
  EXPECT_EQ(restores[1].input, render_iptables(base, options()).text);
  EXPECT_EQ(mode->loaded_dispatch().size(), 20u);
}

// The rules and user chains of a saved table set (built-in chains always exist in a kernel).
std::string rules_and_chains(const std::string& saved) {
  std::string out;
  std::istringstream in(canonical_iptables_dump(saved));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("-") || line.starts_with("*") || line.starts_with(":SITE") || line.starts_with(":KUBE"))
      out += line + "\n";
  return out;
}

TEST_P(IptablesModes, ResetRemovesKubeProxysChainsAndNothingElse) {
  FakeNode node;
  node.iptables[GetParam()].restore(kForeignRules, false);
  const std::string before = rules_and_chains(node.iptables[GetParam()].save());
  auto mode = make_dataplane_mode(GetParam(), node, options());
  mode->initial_load(services(20));
  EXPECT_NE(node.iptables[GetParam()].save().find("KUBE-SERVICES"), std::string::npos);
  mode->reset();
  EXPECT_EQ(rules_and_chains(node.iptables[GetParam()].save()), before);
  EXPECT_EQ(node.of(std::string(GetParam()) + "-restore").back().argv.back(), "--noflush");
}

TEST_P(IptablesModes, PartialSyncsLeaveWhatAFullSyncWould) {
  FakeNode node;
  auto mode = make_dataplane_mode(GetParam(), node, options());
  const auto base = services(20);
  const auto more = grown(base);
  mode->initial_load(base);
  mode->partial_sync(base, more);
  EXPECT_EQ(node.of(std::string(GetParam()) + "-restore").back().input,
            plan_partial_sync(base, more, options()).text);
  EXPECT_EQ(loaded(node, GetParam()), loaded_by_full_sync(GetParam(), more));
  EXPECT_EQ(mode->loaded_dispatch().size(), 21u);
  mode->partial_sync(more, base);  // the added Service's chains are deleted, not left behind
  EXPECT_EQ(loaded(node, GetParam()), loaded_by_full_sync(GetParam(), base));
  mode->full_resync(base);
  EXPECT_EQ(loaded(node, GetParam()), loaded_by_full_sync(GetParam(), base));
}

TEST_P(IptablesModes, ARejectedLoadSaysWhatTheToolSaid) {
  FakeNode node;
  node.reject = [](const RecordedCommand& c) {
    return c.input.find("KUBE-SVC-") != std::string::npos ? "iptables-restore: line 12 failed" : "";
  };
  auto mode = make_dataplane_mode(GetParam(), node, options());
  try {
    mode->initial_load(services(5));
    FAIL() << "the rejected load was not reported";
  } catch (const SetupError& e) {
    EXPECT_EQ(std::string(e.what()),
              std::string(GetParam()) + " initial load: the kernel rejected the ruleset (" +
                  GetParam() + "-restore exit 1): iptables-restore: line 12 failed");
  }
}

INSTANTIATE_TEST_SUITE_P(BothBackends, IptablesModes,
                         ::testing::Values("iptables-legacy", "iptables-nft"));

TEST(NftablesMode, TransactionsAreTheRenderedOnesAndStaleChainsGoOnTheNextSync) {
  FakeNode node;
  node.seconds_per_tool["nft"] = 0.5;
  auto mode = make_dataplane_mode("nftables", node, options());
  const auto base = services(20);
  const auto more = grown(base);
  const auto nft_options = with_proxy_options<NftablesOptions>(options());
  EXPECT_DOUBLE_EQ(mode->initial_load(base), 0.5);
  auto tx = node.of("nft");
  ASSERT_EQ(tx.size(), 2u);  // reset, then the first full sync
  EXPECT_EQ(tx[1].argv, (std::vector<std::string>{"nft", "-f", "-"}));
  EXPECT_EQ(tx[1].input, nftables_full_sync(build_nftables(base, nft_options), true));
  EXPECT_DOUBLE_EQ(mode->partial_sync(base, more), 0.5);
  EXPECT_DOUBLE_EQ(mode->partial_sync(more, base), 0.5);  // flushes the removed Service's chains
  // The next sync deletes them first, in a transaction of its own, and both count.
  EXPECT_DOUBLE_EQ(mode->partial_sync(base, base), 1.0);
  tx = node.of("nft");
  ASSERT_EQ(tx.size(), 6u);
  EXPECT_NE(tx[4].input.find("delete chain"), std::string::npos) << tx[4].input;
  EXPECT_DOUBLE_EQ(mode->full_resync(base), 0.5);
  EXPECT_EQ(node.of("nft").back().input,
            nftables_full_sync(build_nftables(base, nft_options), false));
}

TEST(IpvsMode, EachUpdateIsTheSumOfItsToolsOnTheNode) {
  FakeNode node;
  for (const char* tool :
       {"ipset", "/usr/bin/ip", "/fake/svcb-ipvs-netlink", "iptables-legacy-restore"})
    node.seconds_per_tool[tool] = 0.125;
  auto mode = make_dataplane_mode("ipvs", node, options());
  const auto base = services(20);
  const auto programme = build_ipvs(base, with_proxy_options<IpvsOptions>(options()));
  EXPECT_DOUBLE_EQ(mode->initial_load(base), 4 * 0.125);  // sets, addresses, virtual servers, rules
  auto netlink = node.of("/fake/svcb-ipvs-netlink");
  ASSERT_EQ(netlink.size(), 1u);
  EXPECT_EQ(netlink[0].input, ipvs_ipvsadm_restore(programme, nullptr, "rr"));
  EXPECT_EQ(node.of("ipset").back().input, ipvs_ipset_restore(programme, nullptr));
  // Adding one Service touches every tool; a sync that changes nothing re-asserts the sets
  // (kube-proxy ensures them each sync) and the rules, and sends no address or server.
  EXPECT_DOUBLE_EQ(mode->partial_sync(base, grown(base)), 4 * 0.125);
  EXPECT_DOUBLE_EQ(mode->partial_sync(base, base), 2 * 0.125);
  EXPECT_EQ(node.of("/fake/svcb-ipvs-netlink").size(), 2u);
}

TEST(IpvsMode, ResetDestroysOnlyKubeProxysSets) {
  FakeNode node;
  auto mode = make_dataplane_mode("ipvs", node, options());
  mode->reset();
  const auto restores = node.of("ipset");
  ASSERT_FALSE(restores.empty());
  EXPECT_EQ(restores.back().input, "destroy KUBE-CLUSTER-IP\n");
}

TEST(IpvsMode, RefusedWhereTheKernelHasNoIpVs) {
  FakeNode node;
  node.ip_vs = false;
  EXPECT_THROW(make_dataplane_mode("ipvs", node, options()), UsageError);
  EXPECT_EQ(modes_for(node),
            (std::vector<std::string>{"iptables-legacy", "iptables-nft", "nftables"}));
  node.ip_vs = true;
  EXPECT_EQ(modes_for(node).size(), dataplane_modes().size());
}

TEST(ModeRegistry, EveryModeRendersAndUnknownNamesListTheModes) {
  const auto set = services(3);
  for (const auto& m : dataplane_modes())
    EXPECT_FALSE(m.render(set, options(), false).empty()) << m.name;
  try {
    find_mode("ipfw");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(mode_names()), std::string::npos) << e.what();
  }
}

TEST(UpdateTiming, RepeatsEachOperationAndStopsLongOnesAtTheBudget) {
  FakeNode node;
  node.seconds_per_tool["iptables-legacy-restore"] = 15;  // each run 15 s: two fit the 20 s budget
  auto mode = make_dataplane_mode("iptables-legacy", node, options());
  const auto base = services(30);
  const auto t = time_updates(*mode, base, spec_of(1), AddressPlan{}, 3);
  EXPECT_EQ(t.seconds.at("initial-load"), (std::vector<double>{15, 15}));
  EXPECT_EQ(t.seconds.at("full-resync").size(), 2u);
  // Partial syncs as long as full ones (kube-proxy 1.12 has none) stop at the same budget.
  for (const char* op : {"add-service", "remove-service", "change-endpoints"})
    EXPECT_EQ(t.seconds.at(op).size(), 2u) << op;
  // Fast ones are repeated as asked: each is one update kube-proxy makes.
  node.seconds_per_tool["iptables-legacy-restore"] = 0.5;
  const auto fast = time_updates(*mode, base, spec_of(1), AddressPlan{}, 3);
  for (const char* op : {"initial-load", "add-service", "remove-service", "change-endpoints"})
    EXPECT_EQ(fast.seconds.at(op).size(), 3u) << op;
  EXPECT_EQ(t.seconds.size(), update_operations().size());
  // The node is left loaded with the base set.
  EXPECT_EQ(loaded(node, "iptables-legacy"), loaded_by_full_sync("iptables-legacy", base));
}

}  // namespace
}  // namespace svcbench
