// results.json across interruption and resume: only complete points keep numbers, a point
// retried after a failure loses its failure record, and what is saved loads back.
#include <gtest/gtest.h>

#include <filesystem>

#include "atomic_file.h"
#include "errors.h"
#include "results_document.h"

namespace svcbench {
namespace {

class ResultsDocumentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("svcb-results-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

PointResult point(const std::string& mode, size_t services, bool with_update = false,
                  IpFamily family = IpFamily::kIpv4) {
  PointResult p;
  LatencyEntry l;
  l.mode = mode;
  l.services = services;
  l.target = "first";
  p.latency.push_back(l);
  if (with_update) p.updates.push_back({mode, services, "add-service", {0.25, 0.5, 0.75}});
  p.set_ip_family(family);
  return p;
}

TEST_F(ResultsDocumentTest, ForgetPointDropsOnlyThatPointsEntriesAndFailure) {
  ResultsDocument doc(dir_, {{"node_kind", "netns"}}, {{"modes", {"nftables"}}});
  doc.add(point("nftables", 10));
  doc.add(point("nftables", 100, true));
  doc.add(point("iptables-legacy", 100));
  doc.add(point("nftables", 100, true, IpFamily::kIpv6));  // the same point's other family
  EXPECT_EQ(doc.json()["updates"][0]["seconds"]["median"], 0.5);
  EXPECT_EQ(doc.json()["updates"][0]["ip_family"], "ipv4");
  EXPECT_EQ(doc.json()["latency"][3]["ip_family"], "ipv6");
  doc.mark_failed("nftables/100", "rule load rejected");
  doc.mark_failed("nftables/1000", "guest stopped answering");
  doc.mark_failed(point_name("nftables", IpFamily::kIpv6, 100), "rule load rejected");
  EXPECT_EQ(point_name("nftables", IpFamily::kIpv6, 100), "nftables/ipv6/100");
  doc.forget_point("nftables", IpFamily::kIpv4, 100);
  EXPECT_EQ(doc.json()["latency"].size(), 3u);
  ASSERT_EQ(doc.json()["updates"].size(), 1u);
  EXPECT_EQ(doc.json()["updates"][0]["ip_family"], "ipv6");
  ASSERT_EQ(doc.json()["progress"]["failed"].size(), 2u);
  EXPECT_EQ(doc.json()["progress"]["failed"][0]["point"], "nftables/1000");
  doc.forget_point("nftables", IpFamily::kIpv6, 100);
  EXPECT_EQ(doc.json()["latency"].size(), 2u);
  EXPECT_EQ(doc.json()["updates"].size(), 0u);
  EXPECT_EQ(doc.json()["progress"]["failed"].size(), 1u);
}

TEST_F(ResultsDocumentTest, SavedDocumentLoadsForResume) {
  ResultsDocument doc(dir_, {{"node_kind", "vm"}}, {{"modes", {"ipvs"}}});
  doc.set_state("setting up");
  doc.save();
  auto loaded = ResultsDocument::load(dir_);
  EXPECT_EQ(loaded.json()["progress"]["state"], "setting up");
  loaded.set_state("failed");
  loaded.set_error("the vm guest did not boot");
  loaded.save();
  auto again = ResultsDocument::load(dir_);
  EXPECT_EQ(again.json()["progress"]["error"], "the vm guest did not boot");
  again.mark_completed("ipvs/10");
  again.set_state("running");  // resumed: the old error no longer describes the run
  EXPECT_FALSE(again.json()["progress"].contains("error"));
  EXPECT_TRUE(again.completed("ipvs/10"));
  EXPECT_FALSE(again.completed("ipvs/100"));
  for (const auto& f : std::filesystem::directory_iterator(dir_))
    EXPECT_EQ(f.path().string().find("partial"), std::string::npos) << f.path();
}

// Objects one key per line; scalars, arrays of scalars and arrays of scalar rows (histogram
// buckets) on one line each, so a run's thousands of [ns, count] pairs do not take a line each.
TEST_F(ResultsDocumentTest, HistogramRowsStayOnOneLine) {
  ResultsDocument doc(dir_, {{"node_kind", "netns"}},
                      {{"modes", {"nftables"}}, {"rows", {{640, 1}, {648, 4}}}, {"mixed", {{1, 2}, {{"a", 1}}}}});
  const std::string text = doc.text();
  EXPECT_NE(text.find("\"rows\": [[640,1],[648,4]]"), std::string::npos) << text;
  EXPECT_NE(text.find("\"modes\": [\"nftables\"]"), std::string::npos) << text;
  EXPECT_EQ(text.find("\"mixed\": [["), std::string::npos) << text;  // not all rows: one per line
  EXPECT_EQ(nlohmann::json::parse(text)["config"]["rows"], doc.json()["config"]["rows"]);
}

TEST_F(ResultsDocumentTest, TimelinesLiveBesideResultsJsonAndLoadBack) {
  ResultsDocument doc(dir_, {{"node_kind", "netns"}}, {{"modes", {"nftables"}}});
  PointResult p;
  ConvergenceEntry c;
  c.mode = "nftables";
  c.services = 10;
  c.operation = "add-service";
  ConvergenceRun run;
  run.timeline.bin_ms = 1;
  run.timeline.sent = {3, 4, 5};
  c.runs.push_back(run);
  p.convergence.push_back(c);
  doc.add(p);
  doc.save();
  const auto on_disk = nlohmann::json::parse(read_file((dir_ / "results.json").string()));
  EXPECT_EQ(on_disk["convergence"][0]["timeline"],
            nlohmann::json({{"in", "timelines.json.gz"}, {"key", "nftables/ipv4/10/add-service"}}));
  ASSERT_TRUE(std::filesystem::exists(dir_ / "timelines.json.gz"));
  EXPECT_EQ(doc.json()["convergence"][0]["timeline"]["sent"], nlohmann::json({3, 4, 5}));  // in memory
  auto loaded = ResultsDocument::load(dir_);  // --resume keeps the earlier points' timelines
  EXPECT_EQ(loaded.json()["convergence"][0]["timeline"]["sent"], nlohmann::json({3, 4, 5}));
  loaded.save();
  EXPECT_EQ(ResultsDocument::load(dir_).json()["convergence"][0]["timeline"]["bin_ms"], 1);
  write_file_atomically((dir_ / "timelines.json.gz").string(), "not gzip");
  EXPECT_THROW(ResultsDocument::load(dir_), UsageError);
}

TEST_F(ResultsDocumentTest, RefusesToResumeFromSomethingElse) {
  write_file_atomically((dir_ / "results.json").string(), "{\"latency\": []}");
  EXPECT_THROW(ResultsDocument::load(dir_), UsageError);
  write_file_atomically((dir_ / "results.json").string(), "{\"context\": ");
  EXPECT_THROW(ResultsDocument::load(dir_), UsageError);
  write_file_atomically((dir_ / "results.json").string(),
                        R"({"context": {}, "progress": {"state": "running"}, "latency": [], "updates": []})");
  EXPECT_THROW(ResultsDocument::load(dir_), UsageError);
}

}  // namespace
}  // namespace svcbench
