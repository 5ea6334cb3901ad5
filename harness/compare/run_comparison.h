// Two runs' results side by side: every point both measured (mode, family, Services, phase,
// target, operation, capacity goal), its value in each run, B/A, and whether the difference is
// more than noise — a Mann-Whitney U test over the samples the point keeps (every packet's
// latency, every update run), as google/benchmark's compare.py does; capacity points, whose
// MLRsearch yields bounds rather than samples, differ when their [lower, upper] bounds do not
// overlap. Pure: it reads two results.json documents.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mann_whitney.h"

namespace svcbench {

struct CompareOptions {
  double alpha = 0.05;  // significance level
  // The smallest |B/A - 1| called a difference. 2,000 packets make a 1% shift significant, but
  // a point measured twice on one quiet machine moves more than that between runs (two default
  // sweeps ten minutes apart: median 4%, 90th percentile 9%), a spread no test within one run's
  // samples sees. Significant but smaller: "small".
  double min_effect = 0.10;
  // Compare one family of each run against another (IPv4 against IPv6 of a dual-stack run):
  // only that family's entries of each side, matched without the family. Empty: all, matched
  // with it.
  std::string family_a, family_b;
};

struct ComparedPoint {
  std::string kind;   // "baseline" | "latency" | "update" | "capacity"
  std::string point;  // what both runs measured, e.g. "iptables-legacy 10000 new-flow last"
  std::string value;  // what is compared: "p50 latency (ns)", "median (s)", "NDR (pps)"
  double a = 0, b = 0;
  double ratio = 0;        // b / a (0 when a is 0)
  std::string test;        // "mann-whitney" | "bounds" | "none"
  std::optional<UTest> u;  // with "mann-whitney"
  bool lower_is_better = true;
  // "B faster"/"B slower" (latency, updates), "B higher"/"B lower" (capacity), "same", "small"
  // (significant, but less than min_effect), "too few samples", "no samples [in A|B]" (a run
  // from before samples were kept).
  std::string verdict;
};

struct Comparison {
  std::vector<ComparedPoint> points;  // in A's order
  std::vector<std::string> only_in_a, only_in_b;
  // Context fields whose values differ (name: A vs B), those that block a comparison first.
  std::vector<std::string> blocking_differences, other_differences;
  double alpha = 0.05;
  double min_effect = 0.10;
};

// The context fields that make a comparison meaningless when they differ (CPU model, node kind,
// an emulated node), and the others worth telling (kernel, tool versions, kube-proxy flavour...).
Comparison compare_runs(const nlohmann::json& a, const nlohmann::json& b,
                        const CompareOptions& options);

}  // namespace svcbench
