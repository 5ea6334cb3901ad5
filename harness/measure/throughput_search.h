// The throughput search: MLRsearch (RFC 9971) as FD.io CSIT runs it, over any device that can
// run a trial (offer a load for a duration, count what was lost). Pure logic: no DPDK, no node,
// no clock of its own beyond what the trial runner reports, so unit tests drive it against
// simulated devices with known loss curves.
//
// A goal is (loss ratio, exceed ratio, duration sum, relative width). A trial is "bad" for a
// goal when its loss ratio is above the goal's. A load is an upper bound for a goal once even
// the best case (all missing trial time good) has more than exceed ratio x duration sum bad,
// a lower bound once even the worst case (all missing time bad) has no more. The search
// narrows [lower, upper] until (upper - lower) / upper <= relative width, first with shorter
// duration sums and doubled widths (CSIT's preceding targets), then with the goal's own.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace svcbench {

struct SearchGoal {
  std::string name;             // "ndr", "pdr", ...
  double loss_ratio = 0;        // a trial losing more is bad
  double exceed_ratio = 0.5;    // share of bad trial time a lower bound may still have
  double duration_sum_s = 21;   // trial time a load needs to be classified for sure
  double relative_width = 0.005;
};

struct SearchProfile {
  std::string name = "csit";  // "csit" | "rfc2544" | "custom"
  std::vector<SearchGoal> goals;
  double trial_duration_s = 1;
  double max_load_pps = 0;     // the generator's own maximum: nothing above is tried
  double min_load_pps = 1000;  // below this the search reports 0 and says so
  double max_search_s = 600;   // trial time after which the search stops with what it has

  // FD.io CSIT's defaults: NDR (loss 0) and PDR (loss 0.005), exceed ratio 0.5, width 0.005,
  // 1 s trials, duration sum 21 s.
  static SearchProfile csit(double max_load_pps);
  // RFC 2544 throughput: zero loss in one 60 s trial, width 0.005.
  static SearchProfile rfc2544(double max_load_pps);
};

struct Trial {
  double load_pps = 0;    // intended (offered) load
  double duration_s = 0;  // intended duration
  uint64_t offered = 0;   // frames the generator sent
  uint64_t received = 0;  // frames that came back (after the wait for late frames)
  double loss_ratio() const {
    return offered ? static_cast<double>(offered - std::min(offered, received)) /
                         static_cast<double>(offered)
                   : 1.0;
  }
};

// Runs one trial at `load_pps` for `duration_s`. May throw (the search passes it on).
using TrialRunner = std::function<Trial(double load_pps, double duration_s)>;

struct GoalResult {
  SearchGoal goal;
  double lower_pps = 0;  // 0: no load at or above min_load_pps met the goal
  std::optional<double> upper_pps;  // absent: max_load_pps met the goal (not limited by the device)
  double conditional_pps = 0;  // lower bound x (1 - the loss ratio at its exceed-ratio quantile)
  bool at_max_load = false;    // the lower bound is max_load_pps itself
  bool below_min_load = false;  // even min_load_pps failed the goal
};

struct SearchResult {
  std::vector<GoalResult> goals;
  std::vector<Trial> trials;  // in the order they ran
  double trial_seconds = 0;   // sum of intended trial durations
  bool stopped = false;       // the caller's stop() said so (e.g. SIGINT)
  bool time_limited = false;  // max_search_s ran out before every goal was narrowed
};

// stop: polled between trials; true ends the search with the bounds found so far.
// Throws UsageError for a profile that cannot search (no goals, no max load, min >= max, ...).
SearchResult mlr_search(const SearchProfile& profile, const TrialRunner& run_trial,
                        const std::function<bool()>& stop = {});

// How a load stands for a goal with the trials measured at it.
enum class LoadClass { kLowerBound, kUpperBound, kUndecided };
LoadClass classify_load(const std::vector<Trial>& trials_at_load, const SearchGoal& goal,
                        double duration_sum_s);
// RFC 9971's conditional throughput of a load for a goal.
double conditional_throughput(const std::vector<Trial>& trials_at_load, const SearchGoal& goal);

}  // namespace svcbench
