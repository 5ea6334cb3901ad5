// Every mode's full and partial syncs and the update timing, driven against a fake node that
// records the commands and answers them (no root): the right tool, the payload the renderer
// makes, the node's own time summed, a rejected load reported, and — for iptables, whose
// tables the fake keeps — partial syncs that leave exactly what a full sync would.
#include <gtest/gtest.h>

#include <set>
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

// The names of the steps of the sync `mode` ran last, in order.
std::vector<std::string> step_names(const DataplaneMode& mode) {
  std::vector<std::string> n;
  for (const auto& st : mode.last_sync_steps()) n.push_back(st.name);
  return n;
}

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
  EXPECT_DOUBLE_EQ(mode->initial_load(base), 0.25);  // the node's clock, around the restore
  const auto restores = node.of(std::string(GetParam()) + "-restore");
  ASSERT_EQ(restores.size(), 1u);  // an empty node needs no reset; the jumps are ensured
  EXPECT_EQ(restores[0].argv, (std::vector<std::string>{std::string(GetParam()) + "-restore", "-w", "5",
                                                        "-W", "100000", "--noflush", "--counters"}));
  EXPECT_EQ(restores[0].input, render_iptables(base, options()).text);
  EXPECT_EQ(mode->loaded_dispatch().size(), 20u);
  // The jumps into kube-proxy's chains are what the base-jumps payload would have put there.
  FakeIptables by_restore;
  by_restore.restore(render_iptables_base_jumps(), true);
  for (const char* table : {"filter", "nat"})
    for (const char* chain : {"INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING"}) {
      auto rules_of = [&](const std::string& saved) {
        std::string out;
        std::istringstream in(saved);
        for (std::string line; std::getline(in, line);)
          if (line.starts_with(std::string("-A ") + chain + " ")) out += line + "\n";
        return out;
      };
      EXPECT_EQ(rules_of(node.iptables[GetParam()].save(table)), rules_of(by_restore.save(table)))
          << table << " " << chain;
    }
}

// kube-proxy's iptables sync, step by step (pkg/proxy/iptables syncProxyRules): a full sync
// ensures its jumps (iptables -N, -C, -I for each), reads the nat table back (iptables-save -t
// nat: stale chains) and restores; a partial sync skips the ensuring; above 1,000 endpoints
// (large-cluster mode) the read-back happens at most once per sync period.
TEST_P(IptablesModes, EachSyncRunsKubeProxysStepsInItsOrder) {
  FakeNode node;
  auto mode = make_dataplane_mode(GetParam(), node, options());
  const std::string ipt = GetParam();
  auto names = [&] { return step_names(*mode); };
  const auto base = services(20);
  mode->initial_load(base);
  EXPECT_EQ(names(), (std::vector<std::string>{"ensure-jumps", "iptables-save -t nat", "iptables-restore"}));
  const SyncStep& ensure = mode->last_sync_steps().front();
  const size_t jumps = base_chain_jumps(render_iptables_base_jumps()).size();
  EXPECT_GE(ensure.invocations, static_cast<int>(jumps) + 1);  // -N and -C per jump, -I when missing
  const auto ensure_commands = node.of(ipt);
  ASSERT_FALSE(ensure_commands.empty());
  EXPECT_EQ(ensure_commands[0].argv,
            (std::vector<std::string>{ipt, "-w", "5", "-W", "100000", "-N", "KUBE-EXTERNAL-SERVICES", "-t", "filter"}));  // iptablesJumpChains[0]
  EXPECT_EQ(node.of(ipt + "-save").back().argv, (std::vector<std::string>{ipt + "-save", "-t", "nat"}));
  // A second full sync finds every jump in place: -N answers "exists", -C finds the rule.
  const size_t before = node.of(ipt).size();
  mode->full_resync(base);
  for (size_t i = before; i < node.of(ipt).size(); ++i)
    EXPECT_NE(node.of(ipt)[i].argv[5], "-I") << "re-inserted a jump";
  // Partial syncs: no ensuring; below 1,000 endpoints the nat table is read back every time.
  mode->partial_sync(base, grown(base));
  EXPECT_EQ(names(), (std::vector<std::string>{"iptables-save -t nat", "iptables-restore"}));
  for (const auto& st : mode->last_sync_steps()) {
    EXPECT_EQ(st.invocations, 1);
    EXPECT_GE(st.seconds, 0.0);
  }
  // Large-cluster mode: 600 Services x 2 endpoints read nat back on the first sync only.
  const auto big = services(600);
  mode->initial_load(big);
  EXPECT_EQ(names().size(), 3u);
  mode->partial_sync(big, grown(big));
  EXPECT_EQ(names(), (std::vector<std::string>{"iptables-restore"}));
}

// kube-proxy 1.12 ensured its jumps and read filter and nat back on every sync.
TEST_P(IptablesModes, Release112EnsuresAndReadsBothTablesOnEverySync) {
  FakeNode node;
  auto o = options();
  o.kube_proxy_version = KubeProxyVersion::k1_12;
  auto mode = make_dataplane_mode(GetParam(), node, o);
  const auto base = services(600);
  mode->initial_load(base);
  mode->partial_sync(base, grown(base));
  EXPECT_EQ(step_names(*mode), (std::vector<std::string>{"ensure-jumps", "iptables-save -t filter", "iptables-save -t nat",
                                         "iptables-restore"}));
  EXPECT_EQ(mode->loaded_dispatch().size(), 601u);
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
  auto transactions = [&] {
    std::vector<RecordedCommand> tx;
    for (const auto& c : node.of("nft"))
      if (c.argv.size() == 3 && c.argv[1] == "-f") tx.push_back(c);
    return tx;
  };
  EXPECT_DOUBLE_EQ(mode->initial_load(base), 0.5);
  auto tx = transactions();
  ASSERT_EQ(tx.size(), 2u);  // reset, then the first full sync
  EXPECT_EQ(tx[1].argv, (std::vector<std::string>{"nft", "-f", "-"}));
  EXPECT_EQ(tx[1].input, nftables_full_sync(build_nftables(base, nft_options), true));
  EXPECT_DOUBLE_EQ(mode->partial_sync(base, more), 0.5);
  EXPECT_DOUBLE_EQ(mode->partial_sync(more, base), 0.5);  // flushes the removed Service's chains
  // The next sync deletes them first, in a transaction of its own, and both count.
  EXPECT_DOUBLE_EQ(mode->partial_sync(base, base), 1.0);
  tx = transactions();
  ASSERT_EQ(tx.size(), 6u);
  EXPECT_NE(tx[4].input.find("delete chain"), std::string::npos) << tx[4].input;
  EXPECT_DOUBLE_EQ(mode->full_resync(base), 0.5);
  EXPECT_EQ(transactions().back().input, nftables_full_sync(build_nftables(base, nft_options), false));
}

// kube-proxy's nftables sync, step by step (pkg/proxy/nftables syncProxyRules with knftables):
// stale chains deleted in their own transaction, the table listed (ListAll: nft --json --terse
// list table ip kube-proxy, kubernetes PR #139878's account), then the sync's transaction.
TEST(NftablesMode, EachSyncRunsKubeProxysStepsInItsOrder) {
  FakeNode node;
  auto mode = make_dataplane_mode("nftables", node, options());
  auto names = [&] { return step_names(*mode); };
  const auto base = services(20);
  mode->initial_load(base);
  const std::vector<std::string> listed_then_run = {"nft list table", "nft -f"};
  EXPECT_EQ(names(), listed_then_run);
  const auto nft = node.of("nft");
  EXPECT_EQ(nft[nft.size() - 2].argv,
            (std::vector<std::string>{"nft", "--json", "--terse", "list", "table", "ip", "kube-proxy"}));
  mode->partial_sync(base, grown(base));
  EXPECT_EQ(names(), listed_then_run);
  mode->partial_sync(grown(base), base);
  mode->partial_sync(base, grown(base));
  EXPECT_EQ(names(), (std::vector<std::string>{"nft -f (stale chains)", "nft list table", "nft -f"}));
  mode->full_resync(base);
  EXPECT_EQ(names(), listed_then_run);
}

// kube-proxy 1.33 syncs as today's does (ListAll, then the transaction); its first transaction
// recreates 1.33's base chains.
TEST(NftablesMode, Release133SyncsWithItsOwnBaseChains) {
  FakeNode node;
  auto o = options();
  o.kube_proxy_version = KubeProxyVersion::k1_33;
  auto mode = make_dataplane_mode("nftables", node, o);
  mode->initial_load(services(20));
  EXPECT_EQ(step_names(*mode), (std::vector<std::string>{"nft list table", "nft -f"}));
  const std::string tx = node.of("nft").back().input;
  EXPECT_NE(tx.find("add chain ip kube-proxy filter-output-post-dnat { type filter hook output priority -90 ; }"),
            std::string::npos);
  EXPECT_EQ(tx.find("pre-dnat"), std::string::npos);
}

// The upstream variants: listing on full syncs only (kubernetes PR #139878), and the cold start
// split into transactions of about N operations (kubernetes issue #139328).
TEST(NftablesMode, VariantsSkipThePartialSyncsListingAndSplitTheColdStart) {
  FakeNode node;
  auto o = options();
  o.nft_list_every_sync = false;
  o.nft_cold_start_split = 100;
  auto mode = make_dataplane_mode("nftables", node, o);
  const auto base = services(200);
  const size_t before = node.of("nft").size();
  mode->initial_load(base);
  std::vector<std::string> txs;
  for (size_t i = before; i < node.of("nft").size(); ++i)
    if (node.of("nft")[i].argv[1] == "-f") txs.push_back(node.of("nft")[i].input);
  ASSERT_GT(txs.size(), 3u);  // reset, the fixed objects, Services, elements
  const SyncStep& run = mode->last_sync_steps().back();
  EXPECT_EQ(run.name, "nft -f");
  EXPECT_EQ(run.invocations, static_cast<int>(txs.size()) - 1);
  // Together they hold every line of the one-transaction load, and nothing else.
  auto lines = [](const std::string& text) {
    std::multiset<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.insert(l);
    return out;
  };
  std::string joined;
  for (size_t i = 1; i < txs.size(); ++i) joined += txs[i];
  EXPECT_EQ(lines(joined), lines(nftables_full_sync(build_nftables(base, with_proxy_options<NftablesOptions>(o)), true)));
  // Every element comes after the chains it leads to: the last transactions hold only elements.
  EXPECT_EQ(txs.back().find("add chain"), std::string::npos);
  mode->partial_sync(base, grown(base));
  EXPECT_EQ(step_names(*mode), (std::vector<std::string>{"nft -f"}));
  // A listing that fails on a loaded node (not the cold start's missing table) stops the sync.
  node.reject = [](const RecordedCommand& c) {
    return c.argv.size() > 3 && c.argv[3] == "list" ? std::string("Error: no permission") : std::string();
  };
  EXPECT_THROW(mode->full_resync(base), SetupError);
  node.reject = nullptr;
  mode->full_resync(base);
  EXPECT_EQ(mode->last_sync_steps().size(), 2u);  // a full sync still lists
}

// The step of the sync `mode` ran last named `name` (fails the test when there is none).
SyncStep step_of(const DataplaneMode& mode, const std::string& name) {
  for (const auto& st : mode.last_sync_steps())
    if (st.name == name) return st;
  ADD_FAILURE() << "no step " << name;
  return {};
}

TEST(IpvsMode, EverySyncRunsKubeProxysCallsOneProcessPerSetAndEntry) {
  FakeNode node;
  auto mode = make_dataplane_mode("ipvs", node, options());
  const auto base = services(20);
  const auto from = build_ipvs(base, with_proxy_options<IpvsOptions>(options()));
  const double load = mode->initial_load(base);
  EXPECT_EQ(step_names(*mode),
            (std::vector<std::string>{"ensure-jumps", "ipset create",
                                      "netlink (services, real servers, addresses)", "ipset list",
                                      "ipset add/del", "iptables-restore",
                                      "netlink (stale addresses, services)"}));
  EXPECT_DOUBLE_EQ(load, sync_seconds(mode->last_sync_steps()));
  // An empty node: 4 chains no jump leads to (-N), 9 jumps (-N, -C, -I each).
  EXPECT_EQ(step_of(*mode, "ensure-jumps").invocations, 4 + 9 * 3);
  EXPECT_EQ(step_of(*mode, "ipset create").invocations, 17);
  EXPECT_EQ(step_of(*mode, "ipset list").invocations, 17);
  size_t entries = 0;
  for (const auto& [set, e] : from.ipset_entries) entries += e.size();
  EXPECT_EQ(step_of(*mode, "ipset add/del").invocations, static_cast<int>(entries));
  const auto calls = ipvs_sync_calls(from, nullptr, "rr");
  auto netlink = node.of("/fake/svcb-ipvs-netlink");
  ASSERT_EQ(netlink.size(), 2u);
  EXPECT_EQ(netlink[0].input, calls.netlink_sync);
  EXPECT_EQ(netlink[1].input, calls.netlink_cleanup);
  const auto scripts = node.of("sh");
  ASSERT_EQ(scripts.size(), 3u);
  EXPECT_NE(scripts[2].input.find("\nipset add KUBE-CLUSTER-IP " + *from.ipset_entries.at("KUBE-CLUSTER-IP").begin() +
                                   " -exist >/dev/null\n"),
            std::string::npos);
  const auto restores = node.of("iptables-legacy-restore");
  ASSERT_FALSE(restores.empty());
  EXPECT_EQ(restores.back().argv, (std::vector<std::string>{"iptables-legacy-restore", "-w", "5", "-W",
                                                            "100000", "--noflush", "--counters"}));

  // A sync that changes nothing still creates, lists and gets everything; it writes nothing.
  node.commands.clear();
  mode->full_resync(base);
  EXPECT_EQ(step_of(*mode, "ensure-jumps").invocations, 4 + 9 * 2);  // the jumps are there
  EXPECT_EQ(step_names(*mode).size(), 6u);                           // no ipset add/del
  netlink = node.of("/fake/svcb-ipvs-netlink");
  ASSERT_EQ(netlink.size(), 2u);
  EXPECT_EQ(netlink[0].input, ipvs_sync_calls(from, &from, "rr").netlink_sync);
  EXPECT_EQ(netlink[0].input.find("-A "), std::string::npos);

  // Adding a Service: its entries alone are added; removing it deletes them and its server.
  mode->partial_sync(base, grown(base));
  const auto more = build_ipvs(grown(base), with_proxy_options<IpvsOptions>(options()));
  EXPECT_EQ(static_cast<size_t>(step_of(*mode, "ipset add/del").invocations),
            ipvs_sync_calls(more, &from, "rr").ipset_change.size());
  node.commands.clear();
  mode->partial_sync(grown(base), base);
  EXPECT_EQ(node.of("/fake/svcb-ipvs-netlink").back().input, ipvs_sync_calls(from, &more, "rr").netlink_cleanup);
  EXPECT_NE(node.of("/fake/svcb-ipvs-netlink").back().input.find("-D "), std::string::npos);
}

TEST(IpvsMode, BatchedSyncsApplyTheChangesWithOneToolRunEach) {
  FakeNode node;
  for (const char* tool :
       {"ipset", "/usr/bin/ip", "/fake/svcb-ipvs-netlink", "iptables-legacy-restore"})
    node.seconds_per_tool[tool] = 0.125;
  auto o = options();
  o.ipvs_kube_proxy_sync = false;
  auto mode = make_dataplane_mode("ipvs", node, o);
  const auto base = services(20);
  const auto programme = build_ipvs(base, with_proxy_options<IpvsOptions>(o));
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
