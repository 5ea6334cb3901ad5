// The sweep's logic above the node and the generator, against fakes of both: every point
// measured once with its update and latency entries, a point the node rejects recorded as
// failed while the sweep goes on, and --resume (the config read back from results.json)
// measuring only what is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "errors.h"
#include "fake_node.h"
#include "kernel_log.h"
#include "results_document.h"
#include "point_prediction.h"
#include "sweep_runner.h"

namespace svcbench {
namespace {

class SweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("svcb-sweep-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    config_.modes = {"iptables-legacy", "iptables-nft"};
    config_.service_counts = {10, 30};
    config_.packets = 200;
    config_.repeats = 1;
    config_.out_dir = dir_.string();
    config_.iptables.cluster_cidr = AddressPlan{}.pods;
    // The order and the warm-up have tests of their own; the others read a grouped sweep.
    config_.order = SweepOrder::kGrouped;
    config_.warmup.max_seconds = 0;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static size_t entries_of(const nlohmann::json& doc, const char* list, const std::string& mode,
                           size_t services) {
    size_t n = 0;
    for (const auto& e : doc[list]) n += e["mode"] == mode && e["services"] == services;
    return n;
  }

  // summary.csv's rows starting with `prefix`, after checking every row is as wide as the header.
  std::vector<std::string> csv_rows(const std::string& prefix) const {
    std::ifstream csv(dir_ / "summary.csv");
    std::string line, header;
    std::getline(csv, header);
    const auto columns = [](const std::string& l) { return std::count(l.begin(), l.end(), ',') + 1; };
    std::vector<std::string> rows;
    while (std::getline(csv, line)) {
      EXPECT_EQ(columns(line), columns(header)) << line;
      if (line.starts_with(prefix)) rows.push_back(line);
    }
    return rows;
  }

  std::filesystem::path dir_;
  SweepConfig config_;
};

TEST_F(SweepTest, MeasuresEveryPointOnceAndChecksEveryPacket) {
  FakeNode node;
  FakeReplayer through, back_to_back;
  ResultsDocument doc(config_.out_dir, {{"node_kind", "fake"}}, config_json(config_));
  EXPECT_EQ(sweep_points(config_, node, through, &back_to_back, doc), 0);
  const auto& j = doc.json();
  EXPECT_EQ(back_to_back.sent.size(), 2u);  // the baseline at the start and at the end
  ASSERT_TRUE(j["baseline"].is_object());
  EXPECT_EQ(j["baseline"]["misrouted"], 0);
  ASSERT_TRUE(j["baseline_end"].is_object());
  EXPECT_FALSE(j["baseline_drift"]["flagged"]);
  EXPECT_EQ(j["baseline_drift"]["ratio"], 1.0);
  for (const std::string mode : {"iptables-legacy", "iptables-nft"}) {
    for (size_t n : {10u, 30u}) {
      EXPECT_EQ(entries_of(j, "latency", mode, n), 8u) << mode << "/" << n;  // 2 phases x 4 targets
      EXPECT_EQ(entries_of(j, "updates", mode, n), 5u) << mode << "/" << n;
    }
  }
  for (const auto& e : j["latency"]) {
    EXPECT_EQ(e["packets_rx"], 200);
    EXPECT_EQ(e["misrouted"], 0);
    if (e["target"] == "last") {
      EXPECT_EQ(e["target_positions"], e["services"].get<size_t>() - 1);
    }
    if (e["target"] == "uniform") {
      EXPECT_TRUE(e.contains("latency_cdf"));
    }
  }
  // The traffic aimed at the dispatch table read back from the node: 30 frontends uniform.
  EXPECT_EQ(through.sent.back().flows.size(), 30u);
  EXPECT_EQ(j["progress"]["completed"].size(), 5u);  // the baseline and four points
  EXPECT_TRUE(std::filesystem::exists(dir_ / "results.json"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "summary.csv"));
}

TEST_F(SweepTest, AFailedPointIsRecordedAndResumeMeasuresOnlyWhatIsMissing) {
  {
    FakeNode node;
    // The node rejects the 30-Service ruleset in legacy mode (a kernel without some match).
    node.reject = [](const RecordedCommand& c) {
      return c.tool() == "iptables-legacy-restore" && c.input.find("svc-29") != std::string::npos
                 ? "iptables-restore: line 12 failed"
                 : "";
    };
    FakeReplayer through, back_to_back;
    ResultsDocument doc(config_.out_dir, {{"node_kind", "fake"}}, config_json(config_));
    EXPECT_EQ(sweep_points(config_, node, through, &back_to_back, doc), 1);  // one point failed
    const auto& j = doc.json();
    ASSERT_EQ(j["progress"]["failed"].size(), 1u);
    EXPECT_EQ(j["progress"]["failed"][0]["point"], "iptables-legacy/30");
    EXPECT_NE(j["progress"]["failed"][0]["error"].get<std::string>().find("line 12 failed"),
              std::string::npos);
    EXPECT_EQ(entries_of(j, "latency", "iptables-legacy", 30),
              0u);                                                // no numbers for a failed point
    EXPECT_EQ(entries_of(j, "latency", "iptables-nft", 30), 8u);  // the sweep went on
  }
  // --resume: the recorded config, a node that now loads it.
  SweepConfig resumed = sweep_config_from_results(dir_.string());
  EXPECT_EQ(resumed.modes, config_.modes);
  EXPECT_EQ(resumed.service_counts, config_.service_counts);
  EXPECT_EQ(resumed.packets, config_.packets);
  FakeNode node;
  FakeReplayer through, back_to_back;
  auto doc = ResultsDocument::load(dir_.string());
  EXPECT_EQ(sweep_points(resumed, node, through, &back_to_back, doc), 0);
  EXPECT_EQ(back_to_back.sent.size(), 1u);  // the start's baseline was complete; the end's again
  EXPECT_EQ(through.sent.size(), 8u);      // one point: 2 phases x 4 targets
  for (const auto& c :
       node.of("iptables-nft-restore")) {  // only the missing point's Services were loaded
    EXPECT_EQ(c.input.find("svc-"), std::string::npos) << "iptables-nft reloaded";
  }
  const auto& j = doc.json();
  EXPECT_TRUE(j["progress"]["failed"].empty());
  EXPECT_EQ(j["progress"]["completed"].size(), 5u);
  for (const std::string mode : {"iptables-legacy", "iptables-nft"})
    for (size_t n : {10u, 30u})
      EXPECT_EQ(entries_of(j, "latency", mode, n), 8u) << mode << "/" << n;
  EXPECT_EQ(ResultsDocument::load(dir_.string()).json()["latency"].size(), 32u);  // and saved so
}

TEST_F(SweepTest, ThroughputSearchPerPhaseBoundedByTheGeneratorAndResumable) {
  config_.modes = {"iptables-legacy"};
  config_.service_counts = {10};
  ThroughputRequest t;
  t.profile = SearchProfile::csit(0);
  for (auto& g : t.profile.goals) g.duration_sum_s = 3;  // fewer trials; the same search
  config_.throughput = t;
  config_.throughput_targets = {TargetPosition::kLast};
  FakeNode node;
  FakeReplayer through, back_to_back;
  through.capacity_pps = 50'000;  // the node; the back-to-back link has no limit
  ResultsDocument doc(config_.out_dir, {{"node_kind", "fake"}}, config_json(config_));
  EXPECT_EQ(sweep_points(config_, node, through, &back_to_back, doc), 0);
  const auto& j = doc.json();
  // The generator's maximum was measured once, on the back-to-back link: 2M packets at top
  // speed in the fake's 1 Mpps.
  EXPECT_EQ(j["context"]["generator_max"]["measured_on"], "back-to-back");
  EXPECT_EQ(j["context"]["generator_max"]["pps"], 1'000'000);
  ASSERT_EQ(j["throughput"].size(), 2u);  // new-flow and established, last target
  for (const auto& e : j["throughput"]) {
    EXPECT_EQ(e["target"], "last");
    EXPECT_EQ(e["target_positions"], 9);
    const auto& ndr = e["goals"]["ndr"];
    EXPECT_LE(ndr["lower_pps"].get<double>(), 50'000);
    EXPECT_GE(ndr["lower_pps"].get<double>(), 50'000 * 0.995);
    EXPECT_LE(e["goals"]["pdr"]["conditional_pps"].get<double>(), 50'000 + 1);
    EXPECT_EQ(e["latency_at_load"].size(), 3u);
    EXPECT_LE(e["max_load_pps"].get<double>(), e["generator_max_pps"].get<double>());
  }
  // New flows: no more packets per trial than there are distinct tuples.
  EXPECT_EQ(j["throughput"][0]["phase"], "new-flow");
  EXPECT_EQ(j["throughput"][0]["max_load_pps"], static_cast<double>(kNewFlowTuples));
  EXPECT_EQ(j["throughput"][1]["max_load_pps"], 1'000'000);
  // summary.csv: one row per search, every row as wide as the header.
  const auto throughput_rows = csv_rows("throughput,");
  EXPECT_EQ(throughput_rows.size(), 2u);
  for (const auto& line : throughput_rows)
    EXPECT_NE(line.find(",50000"), std::string::npos) << line;  // the PDR's conditional
  // --resume reads the search back as it was asked for.
  const SweepConfig resumed = sweep_config_from_results(dir_.string());
  ASSERT_TRUE(resumed.throughput);
  EXPECT_EQ(resumed.throughput->profile.goals.size(), 2u);
  EXPECT_EQ(resumed.throughput->profile.goals[1].loss_ratio, 0.005);
  EXPECT_EQ(resumed.throughput->profile.goals[0].duration_sum_s, 3);
  EXPECT_EQ(resumed.throughput_targets, config_.throughput_targets);
}

TEST_F(SweepTest, UnderLoadEveryPointGetsItsOperationsAndResumeReadsThemBack) {
  ConvergenceRequest c;
  c.operations = {"add-service", "full-resync"};
  c.repeats = 2;
  c.load_pps = 3000;
  c.probe_pps = 1000;
  c.before_s = c.after_s = c.lead_s = 0.05;  // the same measurement, shorter windows
  config_.convergence = c;
  config_.modes = {"iptables-legacy"};
  FakeNode node;
  FakeReplayer through, back_to_back;
  ResultsDocument doc(config_.out_dir, {{"node_kind", "fake"}}, config_json(config_));
  EXPECT_EQ(sweep_points(config_, node, through, &back_to_back, doc), 0);
  const auto& j = doc.json();
  ASSERT_EQ(j["convergence"].size(), 4u);  // 2 sizes x 2 operations
  for (const auto& e : j["convergence"]) {
    EXPECT_EQ(e["runs"], 2);
    EXPECT_EQ(e["load"]["source"], "--load-rate");
    EXPECT_NEAR(e["load"]["background_pps"].get<double>(), 3000, 1);
    EXPECT_FALSE(e["timeline"]["sent"].empty());
  }
  EXPECT_EQ(csv_rows("convergence,").size(), 4u);
  const SweepConfig resumed = sweep_config_from_results(dir_.string());
  ASSERT_TRUE(resumed.convergence);
  EXPECT_EQ(resumed.convergence->operations, c.operations);
  EXPECT_EQ(resumed.convergence->repeats, 2);
  EXPECT_EQ(resumed.convergence->load_pps, 3000);
  EXPECT_EQ(resumed.convergence->before_s, 0.05);
}

// kube-proxy 1.12's rules through a whole sweep: the node is loaded with that flavour (its base
// jumps carry kubelet's KUBE-MARK-DROP; KUBE-SERVICES holds the masquerade rules), and --resume
// reads the flavour and today's flags back.
TEST_F(SweepTest, KubeProxyFlavourAndFlagsReachTheNodeAndResume) {
  config_.modes = {"iptables-legacy"};
  config_.iptables.kube_proxy_version = KubeProxyVersion::k1_12;
  config_.iptables.masquerade_all = true;
  config_.iptables.node_ip = *IpAddress::parse("198.18.0.1");
  config_.iptables.more_node_ips = {*IpAddress::parse("198.18.0.9")};
  config_.iptables.node_port_addresses = {*Cidr::parse("198.18.0.0/28")};
  FakeNode node;
  FakeReplayer through, back_to_back;
  ResultsDocument doc(config_.out_dir, {{"node_kind", "fake"}}, config_json(config_));
  EXPECT_EQ(sweep_points(config_, node, through, &back_to_back, doc), 0);
  bool drop_chain = false, masquerade_in_services = false;
  for (const auto& c : node.of("iptables-legacy"))  // 1.12's kubelet chain, ensured as kube-proxy did
    drop_chain |= c.argv == std::vector<std::string>{"iptables-legacy", "-w", "5", "-W", "100000", "-A",
                                                     "KUBE-MARK-DROP", "-t", "nat", "-j", "MARK",
                                                     "--set-xmark", "0x00008000/0x00008000"};
  for (const auto& c : node.of("iptables-legacy-restore")) {
    masquerade_in_services |= c.input.find("-A KUBE-SERVICES -m comment --comment \"ns-0/svc-0:") != std::string::npos &&
                              c.input.find("--dport 53 -j KUBE-MARK-MASQ") != std::string::npos;
  }
  EXPECT_TRUE(drop_chain);
  EXPECT_TRUE(masquerade_in_services);
  EXPECT_EQ(doc.json()["config"]["kube_proxy"]["version"], "1.12");
  EXPECT_EQ(doc.json()["config"]["kube_proxy"]["releases"]["iptables-legacy"],
            reproduced_release(KubeProxyVersion::k1_12, "iptables-legacy"));
  // Every update entry carries its sync's steps: 1.12 ensured its jumps and read both tables.
  const auto& update = doc.json()["updates"].at(0);
  ASSERT_TRUE(update.contains("steps")) << update.dump();
  std::vector<std::string> step_names;
  for (const auto& st : update["steps"]) step_names.push_back(st["name"]);
  EXPECT_EQ(step_names, (std::vector<std::string>{"ensure-jumps", "iptables-save -t filter",
                                                  "iptables-save -t nat", "iptables-restore"}));
  EXPECT_GE(update["sync_seconds"]["median"].get<double>(), update["seconds"]["median"].get<double>());
  const SweepConfig resumed = sweep_config_from_results(dir_.string());
  EXPECT_EQ(resumed.iptables.kube_proxy_version, KubeProxyVersion::k1_12);
  EXPECT_TRUE(resumed.iptables.masquerade_all);
  EXPECT_EQ(resumed.iptables.more_node_ips, config_.iptables.more_node_ips);
  EXPECT_EQ(resumed.iptables.node_port_addresses, config_.iptables.node_port_addresses);
}

// --ip-family dual: each mode and count measured in both families side by side, the IPv6
// proxier's rules through ip6tables with the IPv6 plan, every entry saying its family.
TEST_F(SweepTest, DualStackMeasuresBothFamiliesSideBySideAndResumes) {
  config_.modes = {"iptables-legacy"};
  config_.service_counts = {10};
  config_.families = {IpFamily::kIpv4, IpFamily::kIpv6};
  config_.iptables.more_cluster_cidrs = {AddressPlan::ipv6().pods};
  FakeNode node;
  FakeReplayer through, back_to_back;
  ResultsDocument doc(config_.out_dir, {{"node_kind", "fake"}}, config_json(config_));
  EXPECT_EQ(sweep_points(config_, node, through, &back_to_back, doc), 0);
  const auto& j = doc.json();
  EXPECT_EQ(j["progress"]["completed"],
            nlohmann::json({"baseline", "baseline/ipv6", "iptables-legacy/10", "iptables-legacy/ipv6/10"}));
  // The back-to-back baseline in both families, at the start and the end, each with its drift.
  EXPECT_EQ(j["baseline"]["ip_family"], "ipv4");
  EXPECT_EQ(j["baseline_ipv6"]["ip_family"], "ipv6");
  EXPECT_EQ(j["baseline_end_ipv6"]["ip_family"], "ipv6");
  EXPECT_TRUE(j["baseline_drift_ipv6"].contains("ratio"));
  size_t v6_baselines = 0;
  for (const auto& plan : back_to_back.sent)
    if (plan.templates.front().layout.family == IpFamily::kIpv6) {
      ++v6_baselines;
      EXPECT_TRUE(AddressPlan::ipv6().benchmarking_range.contains(
          destination_of(plan.templates.front().frame.data(), plan.templates.front().layout)));
    }
  EXPECT_EQ(v6_baselines, 2u);
  std::map<std::string, size_t> latency, updates;
  for (const auto& e : j["latency"]) ++latency[e["ip_family"].get<std::string>()];
  for (const auto& e : j["updates"]) ++updates[e["ip_family"].get<std::string>()];
  EXPECT_EQ(latency, (std::map<std::string, size_t>{{"ipv4", 8}, {"ipv6", 8}}));
  EXPECT_EQ(updates, (std::map<std::string, size_t>{{"ipv4", 5}, {"ipv6", 5}}));
  // The IPv6 proxier's payloads went to ip6tables, with its detector; IPv4's stayed IPv4.
  const auto v6 = node.of("ip6tables-legacy-restore");
  ASSERT_FALSE(v6.empty());
  bool v6_services = false;
  for (const auto& c : v6)
    v6_services |= c.input.find("-d 2001:2:0:1::") != std::string::npos &&
                   c.input.find("! -s 2001:2:0:8000::/64") != std::string::npos;
  EXPECT_TRUE(v6_services);
  for (const auto& c : node.of("iptables-legacy-restore"))
    EXPECT_EQ(c.input.find("2001:2:"), std::string::npos);
  // The IPv6 point's frames are IPv6, aimed inside 2001:2::/48 at the endpoints read back.
  size_t v6_plans = 0;
  for (const auto& plan : through.sent) {
    const auto& t = plan.templates.front();
    if (t.layout.family != IpFamily::kIpv6) continue;
    ++v6_plans;
    EXPECT_TRUE(AddressPlan::ipv6().cluster_ips.contains(destination_of(t.frame.data(), t.layout)));
    EXPECT_TRUE(plan.flows.front().endpoints.front().address.is_v6());
  }
  EXPECT_EQ(v6_plans, 8u);
  const std::string csv = [&] {
    std::ifstream in(dir_ / "summary.csv");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  EXPECT_NE(csv.find("\nlatency,iptables-legacy,ipv6,10,"), std::string::npos);
  EXPECT_NE(csv.find("\nbaseline,baseline,ipv6,0,"), std::string::npos);
  EXPECT_NE(csv.find("\nbaseline-end,baseline,ipv6,0,"), std::string::npos);
  const SweepConfig resumed = sweep_config_from_results(dir_.string());
  EXPECT_EQ(resumed.families, config_.families);
  EXPECT_EQ(resumed.iptables.cluster_cidr, config_.iptables.cluster_cidr);
  EXPECT_EQ(resumed.iptables.more_cluster_cidrs, config_.iptables.more_cluster_cidrs);
}

// Kernel warnings the node logs during a point (a cold sync's RCU stall) are kept beside the
// point's numbers; what was logged before the point is not the point's.
TEST_F(SweepTest, KernelWarningsDuringAPointAreRecorded) {
  config_.modes = {"iptables-legacy"};
  FakeNode node;
  node.kernel_log += "[   50.000000] rcu: INFO: rcu_preempt self-detected stall on CPU (before the sweep)\n";
  node.reject = [&node](const RecordedCommand& c) {
    if (c.tool() == "iptables-legacy-restore" && c.input.find("svc-29") != std::string::npos &&
        node.kernel_log.find("nf_tables") == std::string::npos)
      node.kernel_log += "[  100.250000] rcu: INFO: rcu_sched self-detected stall on CPU\n"
                         "[  100.250100] watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [nf_tables]\n"
                         "[  100.300000] virtio_net virtio0 eth0: link up\n";
    return std::string();
  };
  FakeReplayer through, back_to_back;
  ResultsDocument doc(config_.out_dir, {{"node_kind", "fake"}}, config_json(config_));
  EXPECT_EQ(sweep_points(config_, node, through, &back_to_back, doc), 0);
  const auto& warnings = doc.json()["kernel_warnings"];
  ASSERT_EQ(warnings.size(), 1u);  // the 30-Service point's, not the 10's
  EXPECT_EQ(warnings[0]["services"], 30);
  EXPECT_EQ(warnings[0]["mode"], "iptables-legacy");
  EXPECT_EQ(warnings[0]["lines"].size(), 2u);  // the stall and the lockup, not the link message
  EXPECT_NE(warnings[0]["lines"][1].get<std::string>().find("soft lockup"), std::string::npos);
  doc.forget_point("iptables-legacy", IpFamily::kIpv4, 30);
  EXPECT_TRUE(doc.json()["kernel_warnings"].empty());
  EXPECT_TRUE(kernel_warnings("[ 1.0] BUG: x\nno stamp BUG: y\n", 5.0).empty());
}

TEST_F(SweepTest, AnUpdatePastTheOpLimitIsStoppedRecordedAndLargerSizesSkipped) {
  config_.modes = {"iptables-legacy", "iptables-nft"};
  config_.service_counts = {10, 30, 100};
  config_.op_limit_seconds = 2;
  FakeNode node;
  // iptables-nft's restore "takes" 5 s: its first point's initial load is stopped.
  node.seconds_per_tool["iptables-nft-restore"] = 5;
  FakeReplayer through, back_to_back;
  ResultsDocument doc(config_.out_dir, {{"node_kind", "fake"}}, config_json(config_));
  EXPECT_EQ(sweep_points(config_, node, through, &back_to_back, doc), 0);  // limits are results
  const auto& j = doc.json();
  ASSERT_EQ(j["limit_reached"].size(), 3u);
  const auto& stopped = j["limit_reached"][0];
  EXPECT_EQ(stopped["mode"], "iptables-nft");
  EXPECT_EQ(stopped["services"], 10);
  EXPECT_EQ(stopped["outcome"], "stopped");
  EXPECT_EQ(stopped["operation"], "initial-load");
  EXPECT_EQ(stopped["limit_s"], 2.0);
  EXPECT_EQ(stopped["stopped_tool"], "iptables-nft-restore");
  // ensure-jumps and iptables-save had finished before the restore was stopped.
  ASSERT_EQ(stopped["steps_done"].size(), 2u);
  EXPECT_EQ(stopped["steps_done"][0]["name"], "ensure-jumps");
  EXPECT_EQ(entries_of(j, "latency", "iptables-nft", 10), 0u);  // no traffic through what it left
  for (size_t n : {30u, 100u}) {  // larger sizes of the mode: skipped, recorded
    const auto& s = j["limit_reached"][n == 30 ? 1 : 2];
    EXPECT_EQ(s["services"], n);
    EXPECT_EQ(s["outcome"], "skipped");
    EXPECT_NE(s["reason"].get<std::string>().find("at 10 Services"), std::string::npos);
  }
  for (size_t n : {10u, 30u, 100u})  // the other mode ran to its end
    EXPECT_EQ(entries_of(j, "latency", "iptables-legacy", n), 8u);
  EXPECT_EQ(j["progress"]["completed"].size(), 7u);  // the baseline and six points: none failed
  EXPECT_EQ(config_json(config_)["op_limit_s"], 2.0);
}

// A guest that stops answering in an update (its kernel hung in the transaction) is a result
// like a stop at the limit: recorded, the guest restarted, its console's warnings kept, the
// mode's larger sizes skipped, the other mode measured on the restarted guest.
TEST_F(SweepTest, AGuestThatStopsAnsweringIsRestartedAndRecorded) {
  config_.modes = {"iptables-nft", "iptables-legacy"};
  config_.service_counts = {10, 30};
  config_.order = SweepOrder::kGrouped;
  FakeNode node;
  node.stops_answering = [&node](const RecordedCommand& c) {
    return c.tool() == "iptables-nft-restore" && node.restarts == 0 &&
           node.of("iptables-nft-restore").size() == 2;  // the first point's first partial sync
  };
  node.console = "[    0.000000] Linux version 6.12.118\n"
                 "[  100.500000] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [iptables-nft-re:80]\n";
  FakeReplayer through, back_to_back;
  ResultsDocument doc(config_.out_dir, {{"node_kind", "fake"}}, config_json(config_));
  EXPECT_EQ(sweep_points(config_, node, through, &back_to_back, doc), 0);
  const auto& j = doc.json();
  EXPECT_EQ(node.restarts, 1);
  ASSERT_EQ(j["limit_reached"].size(), 2u);
  const auto& hung = j["limit_reached"][0];
  EXPECT_EQ(hung["mode"], "iptables-nft");
  EXPECT_EQ(hung["services"], 10);
  EXPECT_EQ(hung["outcome"], "unresponsive");
  EXPECT_EQ(hung["operation"], "add-service");
  EXPECT_EQ(hung["stopped_tool"], "iptables-nft-restore");
  EXPECT_NE(hung["reason"].get<std::string>().find("stopped answering"), std::string::npos);
  EXPECT_EQ(entries_of(j, "updates", "iptables-nft", 10), 1u);  // the initial load it finished
  EXPECT_EQ(entries_of(j, "latency", "iptables-nft", 10), 0u);
  ASSERT_EQ(j["kernel_warnings"].size(), 1u);  // from the console: the lockup, not the banner
  EXPECT_EQ(j["kernel_warnings"][0]["lines"].size(), 1u);
  EXPECT_NE(j["kernel_warnings"][0]["lines"][0].get<std::string>().find("soft lockup"),
            std::string::npos);
  EXPECT_EQ(j["limit_reached"][1]["services"], 30);
  EXPECT_EQ(j["limit_reached"][1]["outcome"], "skipped");
  EXPECT_NE(j["limit_reached"][1]["reason"].get<std::string>().find(
                "the guest already stopped answering in iptables-nft at 10 Services"),
            std::string::npos);
  for (size_t n : {10u, 30u}) EXPECT_EQ(entries_of(j, "latency", "iptables-legacy", n), 8u);
  EXPECT_TRUE(j["progress"]["failed"].empty());
}

TEST_F(SweepTest, KernelWarningsOnThisMachinesKernelStopLargerSizes) {
  config_.modes = {"iptables-legacy"};
  config_.service_counts = {10, 30, 100};
  FakeNode node;
  node.host_kernel = true;
  node.reject = [&node](const RecordedCommand& c) {
    if (c.tool() == "iptables-legacy-restore" && c.input.find("svc-29") != std::string::npos &&
        node.kernel_log.find("lockup") == std::string::npos)
      node.kernel_log += "[  100.250100] watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [nft]\n";
    return std::string();
  };
  FakeReplayer through, back_to_back;
  ResultsDocument doc(config_.out_dir, {{"node_kind", "fake"}}, config_json(config_));
  EXPECT_EQ(sweep_points(config_, node, through, &back_to_back, doc), 0);
  const auto& j = doc.json();
  ASSERT_EQ(j["limit_reached"].size(), 1u);
  EXPECT_EQ(j["limit_reached"][0]["services"], 100);
  EXPECT_EQ(j["limit_reached"][0]["outcome"], "skipped");
  EXPECT_NE(j["limit_reached"][0]["reason"].get<std::string>().find("own kernel"), std::string::npos);
  EXPECT_EQ(entries_of(j, "latency", "iptables-legacy", 30), 8u);  // the warned point itself ran
}

TEST(PointPrediction, APowerLawThroughTheTwoLargestSmallerSizes) {
  auto u = [](const char* op, size_t n, double s) {
    return nlohmann::json{{"mode", "nftables"}, {"ip_family", "ipv4"}, {"operation", op},
                          {"services", n}, {"seconds", {{"median", s / 2}}}, {"sync_seconds", {{"median", s}}}};
  };
  const nlohmann::json updates = {u("initial-load", 1000, 1), u("initial-load", 10000, 10),
                                  u("full-resync", 1000, 0.5), u("full-resync", 5000, 4),
                                  u("full-resync", 10000, 16), u("initial-load", 100000, 999)};
  // full-resync: 5,000 -> 10,000 quadruples (exponent 2): 20,000 -> 64 s; initial-load: 20 s.
  const auto p = predict_slowest_update(updates, "nftables", "ipv4", 20000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->operation, "full-resync");
  EXPECT_NEAR(p->exponent, 2.0, 1e-9);
  EXPECT_NEAR(p->seconds, 64.0, 1e-6);
  EXPECT_EQ(p->from_smaller, 5000u);
  EXPECT_EQ(p->from_larger, 10000u);
  EXPECT_EQ(prediction_text(*p, updates, "nftables", "ipv4"),
            "full-resync ~64.0 s predicted (5,000: 4.0 s, 10,000: 16.0 s; exponent 2.00)");
  // Cheaper per Service at scale is not believed: the exponent is at least 1.
  const nlohmann::json flat = {u("add-service", 1000, 0.2), u("add-service", 10000, 0.1)};
  EXPECT_NEAR(predict_slowest_update(flat, "nftables", "ipv4", 100000)->seconds, 1.0, 1e-9);
  EXPECT_FALSE(predict_slowest_update(updates, "nftables", "ipv4", 5000));   // one size below
  EXPECT_FALSE(predict_slowest_update(updates, "iptables-nft", "ipv4", 50000));
}

TEST_F(SweepTest, UnderLoadWithACapacitySearchHoldsHalfThePdr) {
  ThroughputRequest t;
  t.profile = SearchProfile::csit(0);
  for (auto& g : t.profile.goals) g.duration_sum_s = 3;
  config_.throughput = t;
  ConvergenceRequest c;
  c.operations = {"full-resync"};
  c.repeats = 1;
  c.before_s = c.after_s = c.lead_s = 0.05;
  config_.convergence = c;
  config_.modes = {"iptables-legacy"};
  config_.service_counts = {10};
  FakeNode node;
  FakeReplayer through, back_to_back;
  through.capacity_pps = 50'000;
  ResultsDocument doc(config_.out_dir, {{"node_kind", "fake"}}, config_json(config_));
  EXPECT_EQ(sweep_points(config_, node, through, &back_to_back, doc), 0);
  const auto& j = doc.json();
  ASSERT_EQ(j["convergence"].size(), 1u);
  const auto& load = j["convergence"][0]["load"];
  // The lower of the two phases' PDRs (both at the fake's 50,000 pps), halved.
  EXPECT_NEAR(load["background_pps"].get<double>(), 25'000, 250);
  EXPECT_NE(load["source"].get<std::string>().find("50% of the"), std::string::npos) << load;
}


TEST(SweepOrder, ShuffledIsASeededPermutationAndGroupedIsModeAfterMode) {
  const auto grouped = sweep_slot_order(3, 4, SweepOrder::kGrouped, 7);
  ASSERT_EQ(grouped.size(), 12u);
  EXPECT_EQ(grouped[0], (SweepSlot{0, 0}));
  EXPECT_EQ(grouped[4], (SweepSlot{1, 0}));
  const auto a = sweep_slot_order(3, 4, SweepOrder::kShuffled, 7);
  EXPECT_EQ(a, sweep_slot_order(3, 4, SweepOrder::kShuffled, 7));  // the seed decides
  EXPECT_NE(a, sweep_slot_order(3, 4, SweepOrder::kShuffled, 8));
  EXPECT_NE(a, grouped);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end(), [](const SweepSlot& x, const SweepSlot& y) {
    return std::pair(x.mode, x.count) < std::pair(y.mode, y.count);
  });
  EXPECT_EQ(sorted, grouped);  // every point exactly once
  // The first three points are not all of one mode (this seed; the test pins the generator).
  EXPECT_FALSE(a[0].mode == a[1].mode && a[1].mode == a[2].mode);
  EXPECT_THROW(parse_sweep_order("random"), UsageError);
}

TEST(Warmup, StableOnlyOnceTheLastWindowsHoldStillAfterTheMinimum) {
  WarmupPolicy p;
  p.min_windows = 6;
  p.stable_windows = 3;
  p.tolerance = 0.05;
  EXPECT_FALSE(warm_up_stable({100, 100, 100}, p));  // too few windows, however flat
  EXPECT_FALSE(warm_up_stable({200, 180, 160, 140, 120, 110}, p));  // still falling
  EXPECT_TRUE(warm_up_stable({200, 180, 160, 103, 100, 98}, p));
  EXPECT_FALSE(warm_up_stable({200, 180, 160, 103, 100, 80}, p));  // the last one moved
}

// A back-to-back link that reads slower at every replay (a machine drifting under the sweep),
// or settles after a cold start.
class DriftingReplayer : public FakeReplayer {
 public:
  std::vector<uint64_t> offsets_ns;  // added to every latency, per replay; the last one repeats
  ReplayResult replay(const TrafficPlan& traffic, const ReplaySettings& settings,
                      bool check) override {
    ReplayResult r = FakeReplayer::replay(traffic, settings, check);
    const uint64_t offset = offsets_ns[std::min(calls_++, offsets_ns.size() - 1)];
    LatencyHistogram shifted;
    for (uint64_t i = 0; i < settings.packets; ++i) shifted.record(10'000 + i + offset);
    r.latency = shifted;
    return r;
  }

 private:
  size_t calls_ = 0;
};

TEST_F(SweepTest, WarmsUpUntilStableThenFlagsABaselineThatDrifted) {
  config_.modes = {"iptables-legacy"};
  config_.service_counts = {10};
  config_.warmup = {.max_seconds = 60, .window_seconds = 0.1, .min_windows = 4,
                    .stable_windows = 3, .tolerance = 0.02};
  FakeNode node;
  FakeReplayer through;
  DriftingReplayer back_to_back;
  // Cold for three windows, then flat; at the end the machine reads 30 us slower for good.
  back_to_back.offsets_ns = {40'000, 20'000, 10'000, 0, 0, 0, 0, 30'000};
  ResultsDocument doc(config_.out_dir, {{"node_kind", "fake"}}, config_json(config_));
  EXPECT_EQ(sweep_points(config_, node, through, &back_to_back, doc), 0);
  const auto& j = doc.json();
  EXPECT_TRUE(j["warmup"]["stable"]);
  EXPECT_EQ(j["warmup"]["window_p50_ns"].size(), 6u);  // 3 cold, then 3 that hold still
  EXPECT_EQ(j["warmup"]["window_packets"], 500);        // 0.1 s at 5,000 pps
  EXPECT_TRUE(j["baseline_drift"]["flagged"]);
  EXPECT_GT(j["baseline_drift"]["ratio"].get<double>(), 1.5);
  // Before the end's baseline, on the emptied node, the stream settles again (4 windows here).
  EXPECT_TRUE(j["warmup_end"]["stable"]);
  EXPECT_EQ(j["warmup_end"]["window_p50_ns"].size(), 4u);
  EXPECT_EQ(back_to_back.sent.size(), 6u + 1u + 4u + 1u);
  // What a resume reads back: the policy, the order and its seed.
  const SweepConfig back = sweep_config_from_results(dir_.string());
  EXPECT_EQ(back.warmup.min_windows, 4u);
  EXPECT_EQ(back.warmup.tolerance, 0.02);
  EXPECT_EQ(back.order, SweepOrder::kGrouped);
}

TEST_F(SweepTest, AShuffledSweepMeasuresInItsSeedsOrderAndResumesInIt) {
  config_.modes = {"iptables-legacy", "iptables-nft"};
  config_.service_counts = {10, 20, 30};
  config_.order = SweepOrder::kShuffled;
  config_.order_seed = 42;
  std::vector<std::string> expected = {"baseline"};
  for (const auto& s : sweep_slot_order(2, 3, SweepOrder::kShuffled, 42))
    expected.push_back(config_.modes[s.mode] + "/" + std::to_string(config_.service_counts[s.count]));
  size_t failing = 0;
  {
    FakeNode node;
    // An iptables point past the first few fails (its whole set holds svc-(N-1), not svc-N);
    // resume must measure it and nothing else.
    failing = 2;
    while (!expected[failing].starts_with("iptables")) ++failing;
    const std::string point = expected[failing];
    const std::string tool = point.substr(0, point.find('/')) + "-restore";
    const int n = std::stoi(point.substr(point.find('/') + 1));
    node.reject = [=](const RecordedCommand& c) {
      return c.tool() == tool && c.input.find("svc-" + std::to_string(n - 1)) != std::string::npos &&
                     c.input.find("svc-" + std::to_string(n)) == std::string::npos
                 ? "rejected"
                 : "";
    };
    FakeReplayer through, back_to_back;
    ResultsDocument doc(config_.out_dir, {{"node_kind", "fake"}}, config_json(config_));
    EXPECT_EQ(sweep_points(config_, node, through, &back_to_back, doc), 1);
    auto completed = doc.json()["progress"]["completed"].get<std::vector<std::string>>();
    auto without_failed = expected;
    without_failed.erase(without_failed.begin() + static_cast<std::ptrdiff_t>(failing));
    EXPECT_EQ(completed, without_failed);
  }
  SweepConfig resumed = sweep_config_from_results(dir_.string());
  EXPECT_EQ(resumed.order, SweepOrder::kShuffled);
  EXPECT_EQ(resumed.order_seed, 42u);
  FakeNode node;
  FakeReplayer through, back_to_back;
  auto doc = ResultsDocument::load(dir_.string());
  EXPECT_EQ(sweep_points(resumed, node, through, &back_to_back, doc), 0);
  EXPECT_EQ(doc.json()["progress"]["completed"].size(), expected.size());
  EXPECT_EQ(doc.json()["progress"]["completed"].back(), expected[failing]);
}

}  // namespace
}  // namespace svcbench
