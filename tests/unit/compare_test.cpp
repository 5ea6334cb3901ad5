// svcbench compare's logic on hand-made results: the Mann-Whitney U test against SciPy's
// published values, a clear difference, no difference, too few runs to tell, older runs'
// samples rebuilt from what they stored, capacity bounds, one family against the other, and
// contexts that make a comparison meaningless.
#include <gtest/gtest.h>

#include "comparison_report.h"
#include "mann_whitney.h"
#include "run_comparison.h"

namespace svcbench {
namespace {

GroupedSamples values(std::initializer_list<double> v) {
  GroupedSamples s;
  for (double x : v) s.push_back({x, 1});
  return s;
}

TEST(MannWhitney, MatchesSciPy) {
  // scipy.stats.mannwhitneyu's documented example (method="exact"): U1 = 17, p = 0.1111.
  auto t = mann_whitney_u(values({19, 22, 16, 29, 24}), values({20, 11, 17, 12}));
  EXPECT_TRUE(t.exact);
  EXPECT_EQ(t.u_a, 17);
  EXPECT_NEAR(t.p_value, 0.1111111, 1e-6);
  // Fully separated samples of 5: p = 2 / C(10, 5).
  t = mann_whitney_u(values({1, 2, 3, 4, 5}), values({6, 7, 8, 9, 10}));
  EXPECT_NEAR(t.p_value, 2.0 / 252, 1e-9);
  EXPECT_EQ(t.u_a, 0);
  // Three runs each can never be significant at 0.05: the smallest p is 0.1.
  t = mann_whitney_u(values({1, 2, 3}), values({4, 5, 6}));
  EXPECT_NEAR(t.min_p, 0.1, 1e-9);
  EXPECT_NEAR(t.p_value, 0.1, 1e-9);
}

TEST(MannWhitney, GroupedSamplesWithTiesUseTheNormalApproximation) {
  // 100 packets at 1 us against 100 at 2 us: as separated as samples get.
  auto t = mann_whitney_u({{1000, 100}}, {{2000, 100}});
  EXPECT_FALSE(t.exact);
  EXPECT_LT(t.p_value, 1e-20);
  // The same histogram on both sides: nothing to tell.
  const GroupedSamples h = {{900, 10}, {1000, 50}, {1100, 30}, {5000, 2}};
  t = mann_whitney_u(h, h);
  EXPECT_NEAR(t.p_value, 1.0, 1e-9);
  EXPECT_EQ(t.u_a, 92.0 * 92 / 2);
  // A 1% shift of half the packets in 2,000: visible.
  t = mann_whitney_u({{1000, 1000}, {1100, 1000}}, {{1000, 900}, {1100, 1100}});
  EXPECT_LT(t.p_value, 0.01);
  EXPECT_EQ(grouped_median({{1000, 1000}, {1100, 1001}}), 1100);
}

nlohmann::json latency_entry(const std::string& mode, size_t services, double p50,
                             std::vector<std::pair<double, uint64_t>> histogram,
                             const std::string& family = "ipv4") {
  nlohmann::json buckets = nlohmann::json::array();
  for (const auto& [v, n] : histogram) buckets.push_back({v, n});
  return {{"mode", mode},
          {"services", services},
          {"ip_family", family},
          {"phase", "new-flow"},
          {"target", "last"},
          {"latency_ns", {{"p50", p50}}},
          {"latency_histogram", buckets}};
}

nlohmann::json update_entry(const std::string& mode, size_t services, std::vector<double> runs) {
  std::vector<double> sorted = runs;
  std::sort(sorted.begin(), sorted.end());
  return {{"mode", mode},
          {"services", services},
          {"ip_family", "ipv4"},
          {"operation", "add-service"},
          {"seconds",
           {{"median", sorted[sorted.size() / 2]},
            {"min", sorted.front()},
            {"max", sorted.back()},
            {"runs", runs.size()},
            {"values", runs}}}};
}

nlohmann::json run(nlohmann::json latency, nlohmann::json updates,
                   const std::string& cpu = "Xeon") {
  return {{"context", {{"cpu", cpu}, {"node_kind", "netns"}, {"kernel", "6.18"}}},
          {"config", {{"kube_proxy", {{"version", "current"}}}}},
          {"latency", std::move(latency)},
          {"updates", std::move(updates)}};
}

const ComparedPoint& find(const Comparison& c, const std::string& point) {
  for (const auto& p : c.points)
    if (p.point == point) return p;
  throw std::runtime_error("no point " + point);
}

TEST(CompareRuns, AClearDifferenceNoDifferenceAndTooFewRuns) {
  const auto a =
      run({latency_entry("iptables-legacy", 10000, 177'000, {{170'000, 1000}, {180'000, 1000}}),
           latency_entry("nftables", 10000, 5'000, {{4'900, 1000}, {5'100, 1000}})},
          {update_entry("nftables", 10000, {0.30, 0.31, 0.29}),
           update_entry("iptables-legacy", 10000, {0.40, 0.41, 0.42, 0.43, 0.44, 0.45})});
  const auto b =
      run({latency_entry("iptables-legacy", 10000, 465'000, {{460'000, 1000}, {470'000, 1000}}),
           latency_entry("nftables", 10000, 5'000, {{4'900, 1000}, {5'100, 1000}})},
          {update_entry("nftables", 10000, {0.60, 0.61, 0.62}),
           update_entry("iptables-legacy", 10000, {1.3, 1.31, 1.32, 1.33, 1.34, 1.35})});
  const Comparison c = compare_runs(a, b, {});
  ASSERT_EQ(c.points.size(), 4u);
  const auto& slower = find(c, "iptables-legacy ipv4 10000 new-flow last");
  EXPECT_EQ(slower.verdict, "B slower");
  EXPECT_NEAR(slower.ratio, 465.0 / 177, 1e-9);
  EXPECT_LT(slower.u->p_value, 1e-10);
  EXPECT_EQ(find(c, "nftables ipv4 10000 new-flow last").verdict, "same");
  EXPECT_EQ(find(c, "nftables ipv4 10000 add-service").verdict, "too few samples");  // 3 vs 3 runs
  const auto& six = find(c, "iptables-legacy ipv4 10000 add-service");
  EXPECT_EQ(six.verdict, "B slower");  // 6 vs 6 fully separated: exact p = 2 / C(12, 6)
  EXPECT_NEAR(six.u->p_value, 2.0 / 924, 1e-9);
  EXPECT_TRUE(c.blocking_differences.empty());
  // The reverse reads the other way round.
  EXPECT_EQ(find(compare_runs(b, a, {}), "iptables-legacy ipv4 10000 new-flow last").verdict,
            "B faster");
  // What is printed and written says the same.
  const RunNames names{"runs/a", "runs/b"};
  const std::string table = comparison_table(c, names);
  const size_t row = table.find("latency   iptables-legacy ipv4 10000 new-flow last ");
  ASSERT_NE(row, std::string::npos) << table;
  const std::string line = table.substr(row, table.find('\n', row) - row);
  for (const char* cell : {" 177 us ", " 465 us ", " 2.63x ", " <0.001 ", " B slower"})
    EXPECT_NE(line.find(cell), std::string::npos) << cell << " not in: " << line;
  EXPECT_NE(table.find("4 points"), std::string::npos);
  EXPECT_EQ(comparison_json(c, names)["points"].size(), 4u);
  EXPECT_NE(comparison_csv(c).find(
                "latency,iptables-legacy ipv4 10000 new-flow last,p50 latency (ns),177000,465000,"),
            std::string::npos);
  EXPECT_NE(comparison_svg(c).find("<rect"), std::string::npos);
  EXPECT_NE(comparison_html(c, names).find("B slower"), std::string::npos);
}

// Where both runs timed each sync's steps, the sync as kube-proxy waits for it is compared too:
// a variant that only drops a listing leaves the writing tool's time alone.
TEST(CompareRuns, SyncsAreComparedWhereBothRunsTimedTheirSteps) {
  auto with_sync = [](nlohmann::json e, std::vector<double> sync) {
    std::vector<double> sorted = sync;
    std::sort(sorted.begin(), sorted.end());
    e["sync_seconds"] = {{"median", sorted[sorted.size() / 2]}, {"min", sorted.front()},
                         {"max", sorted.back()}, {"values", sync}};
    return e;
  };
  const double tool[] = {0.14, 0.15, 0.13, 0.14, 0.15};
  const auto a = run({}, {with_sync(update_entry("nftables", 10000, {tool, tool + 5}), {4.4, 4.5, 4.6, 4.5, 4.4})});
  const auto b = run({}, {with_sync(update_entry("nftables", 10000, {tool, tool + 5}), {0.26, 0.27, 0.25, 0.26, 0.28})});
  const Comparison c = compare_runs(a, b, {});
  ASSERT_EQ(c.points.size(), 2u);
  EXPECT_EQ(c.points[0].kind, "update");
  EXPECT_EQ(c.points[0].verdict, "same");
  EXPECT_EQ(c.points[1].kind, "sync");
  EXPECT_EQ(c.points[1].verdict, "B faster");
  EXPECT_NEAR(c.points[1].ratio, 0.26 / 4.5, 1e-9);
  EXPECT_NE(comparison_table(c, {"a", "b"}).find("sync      nftables ipv4 10000 add-service"), std::string::npos)
      << comparison_table(c, {"a", "b"});
  // An older run without steps has no sync point to match.
  EXPECT_EQ(compare_runs(run({}, {update_entry("nftables", 10000, {tool, tool + 5})}), b, {}).points.size(), 1u);
}

TEST(CompareRuns, ASignificantShiftSmallerThanRunsVaryByIsSmall) {
  // 2,000 packets each, B 3% slower: the test sees it; one machine's runs move more than that.
  const auto a = run({latency_entry("nftables", 10, 3'000, {{2'900, 1000}, {3'100, 1000}})},
                     nlohmann::json::array());
  const auto b = run({latency_entry("nftables", 10, 3'090, {{2'990, 1000}, {3'190, 1000}})},
                     nlohmann::json::array());
  const Comparison c = compare_runs(a, b, {});
  EXPECT_LT(c.points.at(0).u->p_value, 0.001);
  EXPECT_EQ(c.points.at(0).verdict, "small");
  CompareOptions any_effect;
  any_effect.min_effect = 0;
  EXPECT_EQ(compare_runs(a, b, any_effect).points.at(0).verdict, "B slower");
}

TEST(CompareRuns, ContextsThatMakeItMeaninglessAreNamed) {
  const auto a = run(nlohmann::json::array(), nlohmann::json::array(), "AMD EPYC 9B14");
  auto b = run(nlohmann::json::array(), nlohmann::json::array(), "Intel Xeon");
  b["context"]["node_kind"] = "vm";
  b["context"]["kernel"] = "6.1";
  b["config"]["kube_proxy"]["version"] = "1.12";
  const Comparison c = compare_runs(a, b, {});
  ASSERT_EQ(c.blocking_differences.size(), 2u);
  EXPECT_EQ(c.blocking_differences[0], "cpu: AMD EPYC 9B14 vs Intel Xeon");
  EXPECT_EQ(c.blocking_differences[1], "node_kind: netns vs vm");
  ASSERT_EQ(c.other_differences.size(), 2u);
  EXPECT_EQ(c.other_differences[0], "kernel: 6.18 vs 6.1");
  EXPECT_EQ(c.other_differences[1],
            "config.kube_proxy: {\"version\":\"current\"} vs {\"version\":\"1.12\"}");
}

TEST(CompareRuns, OlderRunsSamplesAreRebuiltAndFamiliesCompareAcross) {
  // A run from before histograms and update values were kept: the CDF and min/median/max.
  nlohmann::json old_latency = latency_entry("nftables", 10, 1000, {});
  old_latency.erase("latency_histogram");
  old_latency["packets_rx"] = 100;
  old_latency["latency_cdf"] = {{1000, 0.5}, {1100, 1.0}};
  nlohmann::json old_update = update_entry("nftables", 10, {0.1, 0.2, 0.3});
  old_update["seconds"].erase("values");
  const auto a =
      run({old_latency, latency_entry("nftables", 10, 2000, {{2000, 50}}, "ipv6")}, {old_update});
  // (A histogram stores each sub-bucket's lowest value: 1,100 ns lies in the one from 1,088.)
  const auto b = run({latency_entry("nftables", 10, 1000, {{1000, 50}, {1088, 50}}),
                      latency_entry("nftables", 10, 1000, {{1000, 50}}, "ipv6")},
                     {update_entry("nftables", 10, {0.1, 0.2, 0.3})});
  const Comparison c = compare_runs(a, b, {});
  const auto& l = find(c, "nftables ipv4 10 new-flow last");
  ASSERT_TRUE(l.u);
  EXPECT_EQ(l.u->n_a, 100u);  // from the CDF
  EXPECT_EQ(l.verdict, "same");
  ASSERT_TRUE(find(c, "nftables ipv4 10 add-service").u);
  EXPECT_EQ(find(c, "nftables ipv4 10 add-service").u->n_a, 3u);  // from min, median, max
  // IPv4 of A against IPv6 of B, matched without the family.
  CompareOptions across;
  across.family_a = "ipv6";
  across.family_b = "ipv4";
  const Comparison f = compare_runs(a, b, across);
  EXPECT_EQ(find(f, "nftables 10 new-flow last").verdict, "B faster");
  EXPECT_EQ(f.only_in_b,
            std::vector<std::string>{"update nftables 10 add-service"});  // A: IPv4 only
}

// A dual-stack run's back-to-back baseline in each family: compared family to family, and the
// families of one run against each other (IPv6's frames are longer).
TEST(CompareRuns, EachFamilysBaselineIsComparedAsItsOwn) {
  auto dual = [](double v4, double v6) {
    auto r = run(nlohmann::json::array(), nlohmann::json::array());
    r["baseline"] = latency_entry("baseline", 0, v4, {{v4, 500}});
    r["baseline_ipv6"] = latency_entry("baseline", 0, v6, {{v6, 500}}, "ipv6");
    return r;
  };
  const Comparison c = compare_runs(dual(1000, 1000), dual(1000, 2000), {});
  EXPECT_EQ(find(c, "start").verdict, "same");
  EXPECT_EQ(find(c, "start ipv6").verdict, "B slower");
  CompareOptions across;
  across.family_a = "ipv4";
  across.family_b = "ipv6";
  const auto one = dual(1000, 2000);
  EXPECT_EQ(find(compare_runs(one, one, across), "start").verdict, "B slower");
}

TEST(CompareRuns, CapacityDiffersOnlyWhenTheBoundsDoNotOverlap) {
  auto entry = [](double lower, double upper) {
    return nlohmann::json{
        {"mode", "iptables-legacy"},
        {"services", 10000},
        {"ip_family", "ipv4"},
        {"phase", "new-flow"},
        {"target", "last"},
        {"goals",
         {{"ndr", {{"lower_pps", lower}, {"upper_pps", upper}, {"conditional_pps", lower}}}}}};
  };
  auto a = run(nlohmann::json::array(), nlohmann::json::array());
  auto b = a, same = a;
  a["throughput"] = {entry(5900, 5950)};
  b["throughput"] = {entry(104000, 104500)};
  same["throughput"] = {entry(5920, 5960)};
  EXPECT_EQ(compare_runs(a, b, {}).points.at(0).verdict, "B higher");
  EXPECT_EQ(compare_runs(b, a, {}).points.at(0).verdict, "B lower");
  EXPECT_EQ(compare_runs(a, same, {}).points.at(0).verdict, "same");
  EXPECT_EQ(format_compared_value(compare_runs(a, b, {}).points.at(0), 104000), "104,000 pps");
}

}  // namespace
}  // namespace svcbench
