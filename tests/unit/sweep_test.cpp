// The sweep's logic above the node and the generator, against fakes of both: every point
// measured once with its update and latency entries, a point the node rejects recorded as
// failed while the sweep goes on, and --resume (the config read back from results.json)
// measuring only what is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "fake_node.h"
#include "results_document.h"
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
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static size_t entries_of(const nlohmann::json& doc, const char* list, const std::string& mode,
                           size_t services) {
    size_t n = 0;
    for (const auto& e : doc[list]) n += e["mode"] == mode && e["services"] == services;
    return n;
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
  EXPECT_EQ(back_to_back.sent.size(), 1u);
  ASSERT_TRUE(j["baseline"].is_object());
  EXPECT_EQ(j["baseline"]["misrouted"], 0);
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
  EXPECT_TRUE(back_to_back.sent.empty());  // the baseline was complete
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

}  // namespace
}  // namespace svcbench
