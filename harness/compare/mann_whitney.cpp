#include "mann_whitney.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace svcbench {
namespace {

uint64_t total(const GroupedSamples& s) {
  uint64_t n = 0;
  for (const auto& v : s) n += v.count;
  return n;
}

// log C(n, k), for min_p without overflow.
double log_choose(uint64_t n, uint64_t k) {
  return std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(k) + 1) -
         std::lgamma(static_cast<double>(n - k) + 1);
}

// Number of orderings of m a's and n b's with U_a == u, for every u in 0..m*n.
std::vector<double> exact_u_counts(uint64_t m, uint64_t n) {
  // counts[j][u] over j b's, built up one a at a time (N(u; i, j) = N(u-j; i-1, j) + N(u; i, j-1)).
  std::vector<std::vector<double>> prev(n + 1, std::vector<double>(1, 1.0));  // i = 0: U = 0
  for (uint64_t i = 1; i <= m; ++i) {
    std::vector<std::vector<double>> cur(n + 1);
    cur[0] = std::vector<double>(1, 1.0);
    for (uint64_t j = 1; j <= n; ++j) {
      cur[j].assign(i * j + 1, 0.0);
      for (size_t u = 0; u < cur[j - 1].size(); ++u) cur[j][u] += cur[j - 1][u];
      for (size_t u = 0; u < prev[j].size(); ++u) cur[j][u + j] += prev[j][u];
    }
    prev = std::move(cur);
  }
  return prev[n];
}

}  // namespace

double grouped_median(const GroupedSamples& samples) {
  GroupedSamples s = samples;
  std::sort(s.begin(), s.end(), [](const auto& x, const auto& y) { return x.value < y.value; });
  const uint64_t n = total(s);
  if (n == 0) return 0;
  uint64_t seen = 0;
  for (const auto& v : s) {
    seen += v.count;
    if (seen >= (n + 1) / 2) return v.value;
  }
  return s.back().value;
}

UTest mann_whitney_u(const GroupedSamples& a, const GroupedSamples& b) {
  UTest t;
  t.n_a = total(a);
  t.n_b = total(b);
  if (t.n_a == 0 || t.n_b == 0) return t;
  // Each distinct value with its count on either side, ascending: midranks and the tie term.
  std::map<double, std::pair<uint64_t, uint64_t>> values;
  for (const auto& v : a) values[v.value].first += v.count;
  for (const auto& v : b) values[v.value].second += v.count;
  double rank_sum_a = 0, tie_term = 0, below = 0;
  bool ties = false;
  for (const auto& [value, counts] : values) {
    const double tied = static_cast<double>(counts.first + counts.second);
    rank_sum_a += static_cast<double>(counts.first) * (below + (tied + 1) / 2);
    tie_term += tied * tied * tied - tied;
    ties |= tied > 1;
    below += tied;
  }
  const double na = static_cast<double>(t.n_a), nb = static_cast<double>(t.n_b), n = na + nb;
  t.u_a = rank_sum_a - na * (na + 1) / 2;
  t.min_p = std::min(1.0, 2 * std::exp(-log_choose(t.n_a + t.n_b, t.n_a)));
  const double u_max = std::max(t.u_a, na * nb - t.u_a);
  if (!ties && std::min(t.n_a, t.n_b) <= 8 && t.n_a + t.n_b <= 40) {
    t.exact = true;
    const auto counts = exact_u_counts(t.n_a, t.n_b);
    double at_least = 0, all = 0;
    for (size_t u = 0; u < counts.size(); ++u) {
      all += counts[u];
      if (static_cast<double>(u) >= u_max) at_least += counts[u];
    }
    t.p_value = std::min(1.0, 2 * at_least / all);
    return t;
  }
  const double variance = na * nb / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (variance <= 0) {  // every value the same
    t.p_value = 1;
    return t;
  }
  const double z = (u_max - na * nb / 2 - 0.5) / std::sqrt(variance);
  t.p_value = std::min(1.0, std::erfc(z / std::sqrt(2.0)));  // 2 * the normal's upper tail
  return t;
}

}  // namespace svcbench
