// MLRsearch against simulated devices whose loss curves are known exactly.
#include "throughput_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "errors.h"
#include "measure_throughput.h"

namespace svcbench {
namespace {

// A device that forwards at most `capacity` frames per second and drops the rest.
TrialRunner capped_device(double capacity, int* trials = nullptr) {
  return [=](double load, double seconds) {
    if (trials) ++*trials;
    Trial t;
    t.offered = static_cast<uint64_t>(std::llround(load * seconds));
    t.received = std::min<uint64_t>(t.offered, static_cast<uint64_t>(capacity * seconds));
    return t;
  };
}

const GoalResult& goal(const SearchResult& r, const std::string& name) {
  for (const auto& g : r.goals)
    if (g.goal.name == name) return g;
  throw std::runtime_error("no goal " + name);
}

TEST(ThroughputSearch, ClassifiesLoadsAsRfc9971Says) {
  const SearchGoal ndr{"ndr", 0.0, 0.5, 21, 0.005};
  auto trial = [](uint64_t lost) { return Trial{1000, 1, 1000, 1000 - lost}; };
  // One 1 s trial of 21: undecided either way.
  EXPECT_EQ(classify_load({trial(0)}, ndr, 21), LoadClass::kUndecided);
  EXPECT_EQ(classify_load({trial(5)}, ndr, 21), LoadClass::kUndecided);
  // 11 good seconds: even if the 10 missing are bad, 10 <= 10.5 -> lower bound.
  std::vector<Trial> good(11, trial(0));
  EXPECT_EQ(classify_load(good, ndr, 21), LoadClass::kLowerBound);
  EXPECT_EQ(classify_load({good.begin(), good.begin() + 10}, ndr, 21), LoadClass::kUndecided);
  // 11 bad seconds: more than half of 21 even if the rest are good -> upper bound.
  std::vector<Trial> bad(11, trial(1));
  EXPECT_EQ(classify_load(bad, ndr, 21), LoadClass::kUpperBound);
  // A coarse target (1.3 s) decides on one trial.
  EXPECT_EQ(classify_load({trial(0)}, ndr, 1.3125), LoadClass::kLowerBound);
  EXPECT_EQ(classify_load({trial(1)}, ndr, 1.3125), LoadClass::kUpperBound);
  // PDR tolerates 0.5%.
  const SearchGoal pdr{"pdr", 0.005, 0.5, 1, 0.005};
  EXPECT_EQ(classify_load({trial(5)}, pdr, 1), LoadClass::kLowerBound);
  EXPECT_EQ(classify_load({trial(6)}, pdr, 1), LoadClass::kUpperBound);
  // Exceed ratio 0 (RFC 2544): one bad trial of any number makes an upper bound.
  const SearchGoal strict{"ndr", 0.0, 0.0, 60, 0.005};
  EXPECT_EQ(classify_load({Trial{1000, 60, 60000, 59999}}, strict, 60), LoadClass::kUpperBound);
  EXPECT_EQ(classify_load({Trial{1000, 60, 60000, 60000}}, strict, 60), LoadClass::kLowerBound);
}

TEST(ThroughputSearch, ConditionalThroughputTakesTheExceedRatioQuantile) {
  const SearchGoal pdr{"pdr", 0.005, 0.5, 4, 0.005};
  // Four 1 s trials at 1000 pps losing 0%, 0.1%, 0.2% and 0.4%: the worst two seconds are
  // allowed (exceed ratio 0.5 of 4 s), so the effective loss ratio is the third worst, 0.1%.
  std::vector<Trial> t = {{1000, 1, 1000, 1000}, {1000, 1, 1000, 999}, {1000, 1, 1000, 998},
                          {1000, 1, 1000, 996}};
  EXPECT_NEAR(conditional_throughput(t, pdr), 999.0, 1e-9);
  // With only two trials measured, the two missing seconds count as total loss.
  EXPECT_NEAR(conditional_throughput({t[0], t[1]}, pdr), 999.0, 1e-9);
  EXPECT_NEAR(conditional_throughput({t[0]}, pdr), 0.0, 1e-9);
}

TEST(ThroughputSearch, FindsACappedDevicesRateWithinTheWidth) {
  int trials = 0;
  const SearchResult r = mlr_search(SearchProfile::csit(1'000'000), capped_device(123'456, &trials));
  const GoalResult& ndr = goal(r, "ndr");
  ASSERT_TRUE(ndr.upper_pps);
  EXPECT_LE(ndr.lower_pps, 123'456);
  EXPECT_GT(*ndr.upper_pps, 123'456);
  EXPECT_LE((*ndr.upper_pps - ndr.lower_pps) / *ndr.upper_pps, 0.005);
  EXPECT_NEAR(ndr.conditional_pps, ndr.lower_pps, 1e-6);  // no loss at the lower bound
  // PDR: loss <= 0.5% up to capacity / 0.995.
  const GoalResult& pdr = goal(r, "pdr");
  ASSERT_TRUE(pdr.upper_pps);
  EXPECT_LE(pdr.lower_pps, 123'456 / 0.995);
  EXPECT_GT(*pdr.upper_pps, 123'456 / 0.995);
  EXPECT_GE(pdr.lower_pps, ndr.lower_pps);
  EXPECT_LE(pdr.conditional_pps, 123'456 + 1);  // what came back, not what was offered
  EXPECT_FALSE(r.stopped);
  EXPECT_FALSE(r.time_limited);
  EXPECT_EQ(static_cast<size_t>(trials), r.trials.size());
  // Each final bound needs 11 one-second trials; the whole search far fewer than a binary
  // search with 21 s at every load would (~20 loads x 21 s): 45 s here.
  EXPECT_LT(r.trial_seconds, 60);
}

TEST(ThroughputSearch, ADeviceThatKeepsUpIsNotLimited) {
  const SearchResult r = mlr_search(SearchProfile::csit(500'000), capped_device(1e9));
  for (const auto& g : r.goals) {
    EXPECT_TRUE(g.at_max_load);
    EXPECT_FALSE(g.upper_pps);
    EXPECT_EQ(g.lower_pps, 500'000);
  }
  EXPECT_LE(r.trial_seconds, 11);  // 11 good trials at the maximum decide both goals
}

TEST(ThroughputSearch, ADeviceThatDropsEverythingEndsAtZero) {
  const SearchResult r = mlr_search(SearchProfile::csit(1'000'000), capped_device(0));
  for (const auto& g : r.goals) {
    EXPECT_EQ(g.lower_pps, 0);
    EXPECT_TRUE(g.below_min_load);
    EXPECT_EQ(g.conditional_pps, 0);
  }
  EXPECT_LT(r.trial_seconds, 100);
}

TEST(ThroughputSearch, SporadicLossBelowTheExceedRatioIsTolerated) {
  // A device with capacity 200k that loses a few frames in one trial of three at any load:
  // CSIT's exceed ratio 0.5 makes NDR the load most trials pass, not the first unlucky one.
  int n = 0;
  TrialRunner noisy = [&](double load, double seconds) {
    Trial t = capped_device(200'000)(load, seconds);
    if (++n % 3 == 0 && t.received > 10) t.received -= 10;
    return t;
  };
  const SearchResult r = mlr_search(SearchProfile::csit(1'000'000), noisy);
  const GoalResult& ndr = goal(r, "ndr");
  EXPECT_GT(ndr.lower_pps, 200'000 * 0.98);
  EXPECT_LE(ndr.lower_pps, 200'000);
}

TEST(ThroughputSearch, StopsWhenAskedAndWhenTheTimeIsUp) {
  int calls = 0;
  const SearchResult stopped =
      mlr_search(SearchProfile::csit(1'000'000), capped_device(300'000),
                 [&] { return ++calls > 5; });
  EXPECT_TRUE(stopped.stopped);
  EXPECT_LE(stopped.trials.size(), 5u);
  SearchProfile p = SearchProfile::csit(1'000'000);
  p.max_search_s = 10;
  const SearchResult limited = mlr_search(p, capped_device(300'000));
  EXPECT_TRUE(limited.time_limited);
  EXPECT_LE(limited.trial_seconds, 10);
}

TEST(ThroughputSearch, Rfc2544ProfileIsZeroLossInSixtySecondTrials) {
  const SearchResult r = mlr_search(SearchProfile::rfc2544(1'000'000), capped_device(250'000));
  ASSERT_EQ(r.goals.size(), 1u);
  for (const auto& t : r.trials) EXPECT_EQ(t.duration_s, 60);
  EXPECT_LE(r.goals[0].lower_pps, 250'000);
  EXPECT_GE(r.goals[0].lower_pps, 250'000 * 0.995);
}

TEST(ThroughputSearch, RefusesProfilesThatCannotSearch) {
  SearchProfile p = SearchProfile::csit(0);
  EXPECT_THROW(mlr_search(p, capped_device(1)), UsageError);
  p = SearchProfile::csit(1000);
  p.min_load_pps = 2000;
  EXPECT_THROW(mlr_search(p, capped_device(1)), UsageError);
  p = SearchProfile::csit(1'000'000);
  p.goals[0].relative_width = 0;
  EXPECT_THROW(mlr_search(p, capped_device(1)), UsageError);
}

}  // namespace
}  // namespace svcbench

namespace svcbench {
namespace {

TEST(NodeCpu, ReadsSoftirqAndSystemTimeFromProcStat) {
  const std::string stat =
      "cpu  10 2 30 400 5 6 70 0 0 0\ncpu0 5 1 15 200 2 3 35 0 0 0\nintr 1 2 3\n";
  const auto cpu = parse_proc_stat(stat, 100);
  ASSERT_TRUE(cpu);
  EXPECT_DOUBLE_EQ(cpu->softirq_ns, 70 * 1e7);  // 70 ticks of 10 ms
  EXPECT_DOUBLE_EQ(cpu->system_ns, 30 * 1e7);
  EXPECT_FALSE(parse_proc_stat("intr 1 2 3\n"));
  EXPECT_FALSE(parse_proc_stat(""));
}

}  // namespace
}  // namespace svcbench
