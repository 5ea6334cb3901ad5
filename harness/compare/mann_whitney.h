// The Mann-Whitney U test, two-sided, as google/benchmark's compare.py runs it (SciPy's
// mannwhitneyu): exact for small samples without ties, else the normal approximation with the
// tie and continuity corrections. Samples are grouped — (value, count) — so a latency histogram
// of 2,000 packets is tested as it is stored, its sub-buckets as ties.
#pragma once

#include <cstdint>
#include <vector>

namespace svcbench {

struct GroupedValue {
  double value = 0;
  uint64_t count = 1;
};
using GroupedSamples = std::vector<GroupedValue>;

struct UTest {
  uint64_t n_a = 0, n_b = 0;
  double u_a = 0;      // pairs (a, b) with a > b, ties counting one half
  double p_value = 1;  // two-sided; 1 when either side is empty
  bool exact = false;  // the exact distribution (small, no ties), else the normal approximation
  // The smallest p-value samples of these sizes can give at all (2 / C(n_a + n_b, n_a)): a test
  // whose min_p is above the significance level cannot tell anything, whatever the values.
  double min_p = 1;
};

UTest mann_whitney_u(const GroupedSamples& a, const GroupedSamples& b);

// The median of grouped samples (the lower middle value for an even count); 0 when empty.
double grouped_median(const GroupedSamples& samples);

}  // namespace svcbench
