#include "latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace svcbench {

uint64_t LatencyHistogram::lowest_value_at(size_t index) {
  if (index < 128) return index;
  size_t bucket = (index - 128) / 64 + 1;
  uint64_t sub = (index - 128) % 64 + 64;
  return sub << bucket;
}

uint64_t LatencyHistogram::width_at(size_t index) {
  if (index < 128) return 1;
  return uint64_t{1} << ((index - 128) / 64 + 1);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kCounts; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::percentile(double percent) const {
  if (total_ == 0) return 0;
  if (percent >= 100.0) return max_;
  uint64_t target = static_cast<uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(total_)));
  target = std::clamp<uint64_t>(target, 1, total_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kCounts; ++i) {
    seen += counts_[i];
    if (seen >= target) {
      uint64_t mid = lowest_value_at(i) + (width_at(i) - 1) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

std::vector<std::pair<uint64_t, uint64_t>> LatencyHistogram::buckets() const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (size_t i = 0; i < kCounts; ++i)
    if (counts_[i]) out.emplace_back(lowest_value_at(i), counts_[i]);
  return out;
}

std::vector<std::pair<uint64_t, double>> LatencyHistogram::cdf() const {
  std::vector<std::pair<uint64_t, double>> points;
  uint64_t seen = 0;
  for (size_t i = 0; i < kCounts; ++i) {
    if (!counts_[i]) continue;
    seen += counts_[i];
    points.emplace_back(lowest_value_at(i) + width_at(i) - 1,
                        static_cast<double>(seen) / static_cast<double>(total_));
  }
  return points;
}

}  // namespace svcbench
