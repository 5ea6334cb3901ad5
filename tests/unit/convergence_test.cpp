// Updates under load, above the node and the generator: the log analysis against hand-made
// streams whose answers are known (convergence, stale time, blocked time, timeline bins,
// kube-proxy's buckets), and the driver against a fake node whose rules take effect a known
// time after each restore starts, streamed in real time by the fake generator: convergence
// and stale times land there, kube-proxy's UDP conntrack deletions are made (or not), and an
// update the node rejects ends the measurement with its error at once.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "convergence_analysis.h"
#include "errors.h"
#include "fake_node.h"
#include "measure_convergence.h"
#include "mode_registry.h"

namespace svcbench {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kS = 1'000'000'000;

// One packet per ms for 3 s alternating background (flow 0) and probe (flow 1); `route` says
// where each goes (endpoint index or kNotBack) given its flow and send time.
StreamLog make_log(const std::function<int32_t(uint32_t flow, uint64_t t)>& route,
                   uint32_t flows = 2) {
  StreamLog log;
  for (uint64_t i = 0; i < 3000; ++i) {
    StreamPacket p;
    p.tx_ns = 10 * kS + i * kMs;
    p.flow = static_cast<uint32_t>(i % flows);
    p.endpoint = route(p.flow, p.tx_ns - 10 * kS);
    if (p.endpoint != StreamPacket::kNotBack) p.rx_ns = p.tx_ns + 20'000;
    log.packets.push_back(p);
  }
  log.sent = log.packets.size();
  return log;
}

UpdateWindow window_at(double start_s, double end_s) {
  UpdateWindow w;
  w.start_ns = 10 * kS + static_cast<uint64_t>(start_s * 1e9);
  w.end_ns = 10 * kS + static_cast<uint64_t>(end_s * 1e9);
  return w;
}

TEST(ConvergenceAnalysis, FirstDnatArrivalAtAnAddedEndpointIsConvergence) {
  StreamRoles roles{{FlowRole::kBackground, FlowRole::kProbeNewFlows},
                    {{EndpointChange::kKept}, {EndpointChange::kAdded, EndpointChange::kAdded}}};
  // The rules take effect 150 ms after the update starts at 1.0 s; it ends at 1.2 s.
  const auto log = make_log([](uint32_t flow, uint64_t t) {
    if (flow == 0) return 0;
    return t >= 1150 * kMs ? static_cast<int32_t>(t / kMs % 2) : StreamPacket::kNotBack;
  });
  const ConvergenceRun r = analyse_stream(log, roles, window_at(1.0, 1.2));
  ASSERT_TRUE(r.convergence_seconds.has_value());
  // The first probe sent at or after 1.150 s (probes go out on odd ms), plus 20 us.
  EXPECT_NEAR(*r.convergence_seconds, 0.151020, 1e-6);
  EXPECT_FALSE(r.stale_seconds.has_value());
  EXPECT_EQ(r.background_lost, 0u);
  EXPECT_DOUBLE_EQ(r.blocked_seconds, 0);
  EXPECT_NEAR(r.update_seconds, 0.2, 1e-9);
  // The timeline: 1 ms bins from 1 s before the start to 1 s after the end.
  EXPECT_DOUBLE_EQ(r.timeline.bin_ms, 1);
  EXPECT_DOUBLE_EQ(r.timeline.first_bin_s, -1.0);
  ASSERT_EQ(r.timeline.sent.size(), 2200u);
  EXPECT_EQ(r.timeline.probe_added[1150], 0u);  // bin 1150 holds an even ms: background
  EXPECT_EQ(r.timeline.probe_added[1151], 1u);
  EXPECT_EQ(r.timeline.probe_added[1149], 0u);
  EXPECT_EQ(r.timeline.sent[0] + r.timeline.sent[1], 1u);  // background on even ms only
  EXPECT_EQ(r.timeline.p50_ns[0], 20'000u);
  // Background latency before and during the update.
  EXPECT_EQ(r.latency_before.count(), 500u);
  EXPECT_EQ(r.latency_during.count(), 101u);
}

TEST(ConvergenceAnalysis, StaleTimesForNewFlowsAndTheEstablishedUdpFlow) {
  StreamRoles roles{{FlowRole::kBackground, FlowRole::kProbeNewFlows, FlowRole::kProbeUdpFlow},
                    {{EndpointChange::kKept},
                     {EndpointChange::kRemoved, EndpointChange::kAdded},
                     {EndpointChange::kRemoved, EndpointChange::kAdded}}};
  // New flows move at 1.1 s; the UDP flow stays on the removed endpoint until 1.3 s (its
  // conntrack entry deleted after the update).
  const auto cleaned = make_log(
      [](uint32_t flow, uint64_t t) {
        if (flow == 0) return 0;
        if (flow == 1) return t < 1100 * kMs ? 0 : 1;
        return t < 1300 * kMs ? 0 : 1;
      },
      3);
  const ConvergenceRun r = analyse_stream(cleaned, roles, window_at(1.0, 1.2));
  ASSERT_TRUE(r.stale_seconds && r.convergence_seconds && r.udp_stale_seconds);
  EXPECT_NEAR(*r.stale_seconds, 0.1, 0.004);
  EXPECT_NEAR(*r.convergence_seconds, 0.1, 0.004);
  EXPECT_NEAR(*r.udp_stale_seconds, 0.3, 0.004);
  EXPECT_FALSE(r.udp_still_stale);
  // Without the deletion the UDP flow never leaves the removed endpoint.
  const auto kept = make_log(
      [](uint32_t flow, uint64_t t) {
        if (flow == 0) return 0;
        if (flow == 1) return t < 1100 * kMs ? 0 : 1;
        return 0;
      },
      3);
  const ConvergenceRun k = analyse_stream(kept, roles, window_at(1.0, 1.2));
  EXPECT_TRUE(k.udp_still_stale);
  EXPECT_GT(*k.udp_stale_seconds, 1.1);
}

TEST(ConvergenceAnalysis, BlockedTimeIsLostBackgroundOverTheOfferedRate) {
  StreamRoles roles{{FlowRole::kBackground}, {{EndpointChange::kKept}}};
  // One background packet per ms; the node drops 40 ms of them during the update.
  const auto log = make_log(
      [](uint32_t, uint64_t t) {
        return t >= 1050 * kMs && t < 1090 * kMs ? StreamPacket::kNotBack : 0;
      },
      1);
  const ConvergenceRun r = analyse_stream(log, roles, window_at(1.0, 1.2));
  EXPECT_EQ(r.background_lost, 40u);
  EXPECT_EQ(r.background_sent, 2200u);
  EXPECT_NEAR(r.background_pps, 1000, 1);
  EXPECT_NEAR(r.blocked_seconds, 0.040, 1e-4);
  EXPECT_EQ(r.timeline.lost[1050], 1u);
  EXPECT_EQ(r.timeline.lost[1049], 0u);
  EXPECT_EQ(r.timeline.received[1050], 0u);
}

TEST(ConvergenceAnalysis, LongUpdatesGetWiderBins) {
  StreamRoles roles{{FlowRole::kBackground}, {{EndpointChange::kKept}}};
  const auto log = make_log([](uint32_t, uint64_t) { return 0; }, 1);
  const ConvergenceRun r = analyse_stream(log, roles, window_at(1.0, 99.0), 10'000);
  EXPECT_LE(r.timeline.sent.size(), 10'000u);
  EXPECT_GE(r.timeline.bin_ms, 10);
  EXPECT_EQ(r.timeline.sent.size(), r.timeline.p99_ns.size());
}

TEST(ConvergenceAnalysis, KubeProxyNetworkProgrammingBuckets) {
  const auto& b = network_programming_buckets();
  ASSERT_EQ(b.size(), 2u + 59u + 12u + 7u);
  EXPECT_DOUBLE_EQ(b[0], 0.25);
  EXPECT_DOUBLE_EQ(b[1], 0.5);
  EXPECT_DOUBLE_EQ(b[2], 1);
  EXPECT_DOUBLE_EQ(b[60], 59);
  EXPECT_DOUBLE_EQ(b[61], 60);
  EXPECT_DOUBLE_EQ(b[72], 115);
  EXPECT_DOUBLE_EQ(b[73], 120);
  EXPECT_DOUBLE_EQ(b.back(), 300);
  const auto counts = bucket_counts({0.2, 0.3, 1.5, 400});
  ASSERT_EQ(counts.size(), b.size() + 1);
  EXPECT_EQ(counts[0], 1u);   // le 0.25
  EXPECT_EQ(counts[1], 2u);   // le 0.5
  EXPECT_EQ(counts[2], 2u);   // le 1
  EXPECT_EQ(counts[3], 3u);   // le 2
  EXPECT_EQ(counts[b.size() - 1], 3u);  // le 300
  EXPECT_EQ(counts.back(), 4u);         // +Inf
  EXPECT_DOUBLE_EQ(percentile_of({3, 1, 2, 4}, 50), 2);
  EXPECT_DOUBLE_EQ(percentile_of({3, 1, 2, 4}, 99), 4);
  EXPECT_DOUBLE_EQ(percentile_of({}, 50), 0);
}

// A node whose iptables restores take kToolSeconds before they apply, and a generator that
// routes each packet by the rules loaded at its send time: a frontend in KUBE-SERVICES is
// DNAT-ed to whichever of its flow's endpoints the nat table names.
class ConvergenceDriver : public ::testing::Test {
 protected:
  static constexpr double kToolSeconds = 0.03;
  void SetUp() override {
    node_.tables_guard = &guard_;
    node_.seconds_per_tool["iptables-legacy-restore"] = kToolSeconds;
    node_.reject = [this](const RecordedCommand& c) -> std::string {
      if (c.tool() == "iptables-legacy-restore" && loaded_) {
        std::this_thread::sleep_for(std::chrono::duration<double>(kToolSeconds));
        if (reject_removal_ && c.input.find("\n-X KUBE-SEP-") != std::string::npos)
          return "iptables-restore: line 7 failed";
      }
      return "";
    };
    replayer_.route = [this](const ServiceDispatch& flow, uint64_t seq, uint64_t) {
      std::string nat;
      {
        std::lock_guard<std::mutex> hold(guard_);
        nat = node_.iptables["iptables-legacy"].save("nat");
      }
      if (nat.find("-d " + flow.address.str() + " --dport " + std::to_string(flow.port) + " ") ==
          std::string::npos)
        return StreamPacket::kNotBack;
      std::vector<int32_t> present;
      for (size_t e = 0; e < flow.endpoints.size(); ++e)
        if (nat.find("--to-destination " + flow.endpoints[e].str()) != std::string::npos)
          present.push_back(static_cast<int32_t>(e));
      return present.empty() ? StreamPacket::kNotBack : present[seq % present.size()];
    };
    SyntheticSpec spec;
    spec.services = 10;
    spec.udp_share = 1;  // UDP throughout: the established-UDP probes run
    spec_ = spec;
    base_ = make_synthetic_services(spec, AddressPlan{});
    IptablesOptions options;
    options.cluster_cidr = AddressPlan{}.pods;
    mode_ = make_dataplane_mode("iptables-legacy", node_, options);
    mode_->initial_load(base_);
    loaded_ = true;
    request_.repeats = 2;
    request_.before_s = request_.after_s = 0.1;
    request_.lead_s = 0.05;
    request_.load_pps = 2000;
    request_.probe_pps = 2000;
  }
  std::vector<ConvergenceEntry> measure() {
    return measure_convergence(node_, *mode_, replayer_, base_, spec_, AddressPlan{},
                               mode_->loaded_dispatch(), request_);
  }
  size_t conntrack_deletions() const {
    size_t n = 0;
    for (const auto& c : node_.of("conntrack")) n += c.argv.at(1) == "-D";
    return n;
  }

  std::mutex guard_;
  FakeNode node_;
  FakeReplayer replayer_;
  SyntheticSpec spec_;
  ServiceSet base_;
  std::unique_ptr<DataplaneMode> mode_;
  ConvergenceRequest request_;
  bool loaded_ = false, reject_removal_ = false;
};

TEST_F(ConvergenceDriver, ConvergenceAndStaleTimesLandWhereTheRulesTookEffect) {
  const auto entries = measure();
  ASSERT_EQ(entries.size(), 4u);
  for (const auto& e : entries) {
    SCOPED_TRACE(e.operation);
    ASSERT_EQ(e.runs.size(), 2u);
    EXPECT_NEAR(e.load.background_pps + e.load.probe_pps,
                2000 + (e.operation == "full-resync" ? 0 : 2000), 1e-6);
    for (const auto& r : e.runs) {
      EXPECT_EQ(r.background_lost, 0u);
      EXPECT_EQ(r.background_misrouted, 0u);
      EXPECT_DOUBLE_EQ(r.tool_seconds, kToolSeconds);
      if (e.operation == "full-resync") {
        EXPECT_FALSE(r.convergence_seconds || r.stale_seconds);
        continue;
      }
      if (e.operation != "remove-service") {
        ASSERT_TRUE(r.convergence_seconds.has_value());
        // Not before the rules were applied, and within a few probe intervals after.
        EXPECT_GE(*r.convergence_seconds, kToolSeconds);
        EXPECT_LE(*r.convergence_seconds, r.update_seconds + 0.01);
      }
      if (e.operation != "add-service") {
        ASSERT_TRUE(r.stale_seconds && r.udp_stale_seconds);
        EXPECT_GE(*r.stale_seconds, kToolSeconds - 0.005);
        EXPECT_LE(*r.stale_seconds, r.update_seconds + 0.01);
        EXPECT_FALSE(r.udp_still_stale);
      }
    }
    EXPECT_FALSE(e.runs[e.timeline_run].timeline.sent.empty());
  }
  // kube-proxy's deletions: the removed Service's ClusterIP, and the moved endpoints.
  EXPECT_EQ(conntrack_deletions(), 2u * (1 + 2));
  // The node is left with the base Services.
  EXPECT_EQ(mode_->loaded_dispatch().size(), base_.services.size());
}

TEST_F(ConvergenceDriver, KeepingUdpConntrackMakesNoDeletions) {
  request_.udp_conntrack_cleanup = false;
  request_.operations = {"remove-service", "change-endpoints"};
  const auto entries = measure();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(conntrack_deletions(), 0u);
  EXPECT_FALSE(entries[0].udp_conntrack_cleanup);
}

TEST_F(ConvergenceDriver, ARejectedUpdateEndsTheMeasurementWithItsError) {
  reject_removal_ = true;
  request_.operations = {"change-endpoints"};
  const auto started = std::chrono::steady_clock::now();
  try {
    measure();
    FAIL() << "a rejected update measured as if it had converged";
  } catch (const SetupError& e) {
    EXPECT_NE(std::string(e.what()).find("line 7 failed"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

TEST_F(ConvergenceDriver, BadRequestsSayWhatToGive) {
  request_.load_pps = 0;
  EXPECT_THROW(measure(), UsageError);
  request_.load_pps = 2000;
  request_.operations = {"initial-load"};
  EXPECT_THROW(measure(), UsageError);
}

}  // namespace
}  // namespace svcbench
