#include "throughput_search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "errors.h"

namespace svcbench {
namespace {

// One phase of the search for one goal: CSIT's preceding targets halve the duration sum and
// double the width until a single trial classifies a load; the last target is the goal's own.
struct Target {
  double duration_sum_s, relative_width;
};

std::vector<Target> targets_for(const SearchGoal& goal, double trial_s) {
  std::vector<Target> t = {{goal.duration_sum_s, goal.relative_width}};
  while (t.back().duration_sum_s / 2 > trial_s && t.back().relative_width * 2 < 0.5)
    t.push_back({t.back().duration_sum_s / 2, t.back().relative_width * 2});
  std::reverse(t.begin(), t.end());  // coarsest first
  return t;
}

double bad_seconds(const std::vector<Trial>& trials, const SearchGoal& goal) {
  double bad = 0;
  for (const auto& t : trials)
    if (t.loss_ratio() > goal.loss_ratio) bad += t.duration_s;
  return bad;
}

double measured_seconds(const std::vector<Trial>& trials) {
  double sum = 0;
  for (const auto& t : trials) sum += t.duration_s;
  return sum;
}

void check_profile(const SearchProfile& p) {
  if (p.goals.empty()) throw UsageError("the throughput search needs at least one goal");
  if (!(p.trial_duration_s > 0))
    throw UsageError("the trial duration must be positive (--trial-duration SECONDS)");
  if (!(p.max_load_pps > 0))
    throw UsageError("the throughput search needs the generator's maximum load; it measured 0 pps");
  if (!(p.min_load_pps > 0) || p.min_load_pps >= p.max_load_pps)
    throw UsageError("the search's minimum load (" + std::to_string(std::llround(p.min_load_pps)) +
                     " pps) must be positive and below its maximum (" +
                     std::to_string(std::llround(p.max_load_pps)) + " pps)");
  for (const auto& g : p.goals) {
    if (g.loss_ratio < 0 || g.loss_ratio >= 1)
      throw UsageError("goal " + g.name + ": the loss ratio must be in [0, 1)");
    if (g.exceed_ratio < 0 || g.exceed_ratio >= 1)
      throw UsageError("goal " + g.name + ": the exceed ratio must be in [0, 1)");
    if (!(g.relative_width > 0) || g.relative_width >= 0.5)
      throw UsageError("goal " + g.name + ": the relative width must be in (0, 0.5)");
    if (g.duration_sum_s < p.trial_duration_s)
      throw UsageError("goal " + g.name + ": the duration sum must be at least one trial");
  }
}

}  // namespace

SearchProfile SearchProfile::csit(double max_load_pps) {
  SearchProfile p;
  p.name = "csit";
  p.goals = {{"ndr", 0.0, 0.5, 21, 0.005}, {"pdr", 0.005, 0.5, 21, 0.005}};
  p.trial_duration_s = 1;
  p.max_load_pps = max_load_pps;
  return p;
}

SearchProfile SearchProfile::rfc2544(double max_load_pps) {
  SearchProfile p;
  p.name = "rfc2544";
  p.goals = {{"ndr", 0.0, 0.0, 60, 0.005}};
  p.trial_duration_s = 60;
  p.max_load_pps = max_load_pps;
  p.max_search_s = 3600;
  return p;
}

LoadClass classify_load(const std::vector<Trial>& trials, const SearchGoal& goal,
                        double duration_sum_s) {
  const double bad = bad_seconds(trials, goal);
  const double measured = measured_seconds(trials);
  const double whole = std::max(measured, duration_sum_s);
  const double missing = whole - measured;
  const double allowed = goal.exceed_ratio * whole;
  if (bad > allowed) return LoadClass::kUpperBound;  // optimistic exceed ratio too high
  if (bad + missing <= allowed) return LoadClass::kLowerBound;  // pessimistic one low enough
  return LoadClass::kUndecided;
}

double conditional_throughput(const std::vector<Trial>& trials, const SearchGoal& goal) {
  if (trials.empty()) return 0;
  // The trials plus the missing time as total loss, worst first; the effective loss ratio is
  // that of the trial where the bad time a lower bound may have (exceed ratio x whole) runs out.
  std::vector<std::pair<double, double>> items;  // (loss ratio, seconds)
  for (const auto& t : trials) items.emplace_back(t.loss_ratio(), t.duration_s);
  const double measured = measured_seconds(trials);
  const double whole = std::max(measured, goal.duration_sum_s);
  if (whole > measured) items.emplace_back(1.0, whole - measured);
  std::sort(items.begin(), items.end(), std::greater<>());
  double allowance = goal.exceed_ratio * whole;
  double effective = items.back().first;
  for (const auto& [loss, seconds] : items) {
    if (seconds > allowance) {
      effective = loss;
      break;
    }
    allowance -= seconds;
  }
  return trials.front().load_pps * (1 - effective);
}

SearchResult mlr_search(const SearchProfile& profile, const TrialRunner& run_trial,
                        const std::function<bool()>& stop) {
  check_profile(profile);
  SearchResult result;
  std::map<double, std::vector<Trial>> db;  // by intended load, whole pps
  const double max_load = std::floor(profile.max_load_pps);
  const double min_load = std::ceil(profile.min_load_pps);
  const double inf = std::numeric_limits<double>::infinity();

  auto measure = [&](double load) {
    Trial t = run_trial(load, profile.trial_duration_s);
    t.load_pps = load;
    t.duration_s = profile.trial_duration_s;
    db[load].push_back(t);
    result.trials.push_back(t);
    result.trial_seconds += profile.trial_duration_s;
  };
  auto out_of_time = [&] {
    if (stop && stop()) result.stopped = true;
    if (result.trial_seconds >= profile.max_search_s) result.time_limited = true;
    return result.stopped || result.time_limited;
  };

  for (const SearchGoal& goal : profile.goals) {
    GoalResult g;
    g.goal = goal;
    double lower = 0, upper = inf;
    double down_step = goal.relative_width;  // how far below an upper bound to look next
    for (const Target& target : targets_for(goal, profile.trial_duration_s)) {
      SearchGoal phase = goal;
      phase.duration_sum_s = target.duration_sum_s;
      while (!out_of_time()) {
        // The relevant bounds: the smallest upper bound, the largest lower bound below it.
        upper = inf;
        for (const auto& [load, trials] : db)
          if (classify_load(trials, phase, target.duration_sum_s) == LoadClass::kUpperBound) {
            upper = load;
            break;
          }
        lower = 0;
        for (const auto& [load, trials] : db) {
          if (load >= upper) break;
          if (classify_load(trials, phase, target.duration_sum_s) == LoadClass::kLowerBound)
            lower = load;
        }
        // The lowest load between the bounds that needs more trials before it is either: if it
        // turns out an upper bound, the undecided loads above it no longer matter.
        double undecided = 0;
        for (auto it = db.upper_bound(lower); it != db.end() && it->first < upper; ++it)
          if (classify_load(it->second, phase, target.duration_sum_s) == LoadClass::kUndecided) {
            undecided = it->first;
            break;
          }
        if (undecided > 0) {
          measure(undecided);
          continue;
        }
        // Roughly where the device forwards: the smallest upper bound less what it lost there.
        double forwarded = 0;
        if (upper != inf) {
          double loss = 0;
          for (const auto& t : db[upper]) loss = std::max(loss, t.loss_ratio());
          forwarded = std::floor(upper * (1 - loss));
        }
        double next = 0;
        if (upper == inf) {
          if (lower >= max_load) break;  // the device keeps up with the generator
          next = max_load;
        } else if (lower == 0) {
          if (upper <= min_load) break;  // it fails even the smallest load we try
          // Below the smallest upper bound by at least its loss ratio, by a step that doubles
          // while loads keep failing.
          next = std::max(min_load, std::min(forwarded, std::floor(upper * (1 - down_step))));
          down_step = std::min(0.5, down_step * 2);
          if (next >= upper) next = std::max(min_load, upper - 1);
        } else {
          if ((upper - lower) / upper <= target.relative_width) break;
          // Just above the lower bound when the upper one says the device forwards no more
          // than that; at the forwarding estimate when it lies between; else bisect.
          const double probe = std::ceil(lower * (1 + target.relative_width));
          if (forwarded <= probe && probe < upper && !db.contains(probe))
            next = probe;
          else if (forwarded > probe && forwarded < upper && !db.contains(forwarded))
            next = forwarded;
          else
            next = std::floor((lower + upper) / 2);
          if (next <= lower || next >= upper) break;  // as narrow as whole pps allow
        }
        measure(next);
      }
    }
    g.lower_pps = lower;
    if (upper != inf) g.upper_pps = upper;
    g.at_max_load = lower >= max_load;
    g.below_min_load = lower == 0 && upper != inf && upper <= min_load;
    g.conditional_pps = lower > 0 ? conditional_throughput(db[lower], goal) : 0;
    result.goals.push_back(g);
  }
  return result;
}

}  // namespace svcbench
