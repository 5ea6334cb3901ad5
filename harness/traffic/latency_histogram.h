// A log-linear latency histogram in the spirit of HdrHistogram: 64 linear sub-buckets per
// power of two (relative error < 1.6%), fixed storage, recording never allocates or fails.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace svcbench {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;  // 128 values in bucket 0
  static constexpr int kBuckets = 41;       // up to 2^46 ns (~19 h)
  static constexpr size_t kCounts = 128 + (kBuckets - 1) * 64;

  // value_ns: any non-negative latency in nanoseconds; larger than the range is clamped.
  void record(uint64_t value_ns) {
    ++counts_[index_of(value_ns)];
    ++total_;
    sum_ += value_ns;
    if (value_ns < min_) min_ = value_ns;
    if (value_ns > max_) max_ = value_ns;
  }
  void merge(const LatencyHistogram& other);
  void reset() { *this = LatencyHistogram(); }

  uint64_t count() const { return total_; }
  uint64_t min() const { return total_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const {
    return total_ ? static_cast<double>(sum_) / static_cast<double>(total_) : 0;
  }
  // Value (ns) at or below which `percent` of recorded values lie; the midpoint of the
  // sub-bucket, clamped to [min, max]. 0 when empty.
  uint64_t percentile(double percent) const;
  // (value_ns, cumulative fraction) at the top of each non-empty sub-bucket (for CDF plots).
  std::vector<std::pair<uint64_t, double>> cdf() const;
  // (lowest value_ns, count) of each non-empty sub-bucket, ascending: the recorded values as
  // grouped samples (a significance test across runs reads them; values in one sub-bucket tie).
  std::vector<std::pair<uint64_t, uint64_t>> buckets() const;

  static size_t index_of(uint64_t v) {
    if (v < 128) return static_cast<size_t>(v);
    int msb = 63 - __builtin_clzll(v);
    int bucket = msb - 6;  // >= 1
    if (bucket >= kBuckets) return kCounts - 1;
    uint64_t sub = v >> bucket;  // 64..127
    return 128 + static_cast<size_t>(bucket - 1) * 64 + static_cast<size_t>(sub - 64);
  }
  static uint64_t lowest_value_at(size_t index);
  static uint64_t width_at(size_t index);

 private:
  std::array<uint64_t, kCounts> counts_{};
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace svcbench
