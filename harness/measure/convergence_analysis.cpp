#include "convergence_analysis.h"

#include <algorithm>
#include <cmath>

namespace svcbench {
namespace {

constexpr uint64_t kMillisecond = 1'000'000;

double seconds_between(uint64_t from_ns, uint64_t to_ns) {
  return (static_cast<double>(to_ns) - static_cast<double>(from_ns)) / 1e9;
}

// The 0-based index of the p-th percentile (0..100) among n sorted values, by nearest rank.
size_t nearest_rank(size_t n, double p) {
  const auto rank = static_cast<size_t>(std::ceil(p / 100 * static_cast<double>(n)));
  return std::min(n - 1, rank == 0 ? 0 : rank - 1);
}

uint64_t nth_of(std::vector<uint64_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = nearest_rank(v.size(), p);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

ConvergenceRun analyse_stream(const StreamLog& log, const StreamRoles& roles,
                              const UpdateWindow& w, size_t max_bins) {
  ConvergenceRun run;
  run.log_full = log.full;
  run.max_lag_ns = log.max_lag_ns;
  run.update_seconds = seconds_between(w.start_ns, w.end_ns);
  const uint64_t from = w.start_ns > w.before_ns ? w.start_ns - w.before_ns : 0;
  const uint64_t to = w.end_ns + w.after_ns;
  const uint64_t span = to - from;
  uint64_t bin = kMillisecond;
  if (max_bins > 0 && span / bin >= max_bins) bin = (span / max_bins / kMillisecond + 1) * kMillisecond;
  const size_t bins = static_cast<size_t>((span + bin - 1) / bin);
  Timeline& t = run.timeline;
  t.first_bin_s = -seconds_between(from, w.start_ns);
  t.bin_ms = static_cast<double>(bin) / 1e6;
  for (auto* v : {&t.sent, &t.received, &t.lost, &t.p50_ns, &t.p99_ns, &t.probe_added, &t.probe_removed})
    v->assign(bins, 0);
  std::vector<std::vector<uint64_t>> bin_latency(bins);

  uint64_t first_added = 0, last_removed = 0, last_udp_removed = 0;
  bool any_added = false, any_removed = false, any_udp_removed = false;
  const uint64_t late = w.end_ns + w.after_ns / 2;
  for (const StreamPacket& p : log.packets) {
    if (p.tx_ns == 0 || p.tx_ns < from || p.tx_ns >= to) continue;
    const size_t b = static_cast<size_t>((p.tx_ns - from) / bin);
    const FlowRole role = p.flow < roles.role.size() ? roles.role[p.flow] : FlowRole::kBackground;
    const bool back = p.rx_ns != 0;
    if (role == FlowRole::kBackground) {
      ++run.background_sent;
      ++t.sent[b];
      if (!back) {
        ++run.background_lost;
        ++t.lost[b];
        continue;
      }
      if (p.endpoint == StreamPacket::kMisrouted) ++run.background_misrouted;
      ++t.received[b];
      const uint64_t latency = p.rx_ns > p.tx_ns ? p.rx_ns - p.tx_ns : 0;
      bin_latency[b].push_back(latency);
      if (p.tx_ns < w.start_ns)
        run.latency_before.record(latency);
      else if (p.tx_ns <= w.end_ns)
        run.latency_during.record(latency);
      continue;
    }
    if (!back) continue;
    if (p.endpoint < 0) {
      ++run.probe_misrouted;
      continue;
    }
    const auto& changes = roles.endpoint_change.at(p.flow);
    const EndpointChange change = static_cast<size_t>(p.endpoint) < changes.size()
                                      ? changes[static_cast<size_t>(p.endpoint)]
                                      : EndpointChange::kKept;
    if (change == EndpointChange::kAdded) {
      ++t.probe_added[b];
      if (role == FlowRole::kProbeNewFlows && (!any_added || p.rx_ns < first_added)) {
        first_added = p.rx_ns;
        any_added = true;
      }
    } else if (change == EndpointChange::kRemoved) {
      ++t.probe_removed[b];
      if (role == FlowRole::kProbeNewFlows) {
        last_removed = any_removed ? std::max(last_removed, p.rx_ns) : p.rx_ns;
        any_removed = true;
      } else {
        last_udp_removed = any_udp_removed ? std::max(last_udp_removed, p.rx_ns) : p.rx_ns;
        any_udp_removed = true;
        if (p.tx_ns >= late) run.udp_still_stale = true;
      }
    }
  }
  for (size_t b = 0; b < bins; ++b) {
    t.p50_ns[b] = nth_of(bin_latency[b], 50);
    t.p99_ns[b] = nth_of(bin_latency[b], 99);
  }
  if (any_added) run.convergence_seconds = seconds_between(w.start_ns, first_added);
  if (any_removed) run.stale_seconds = std::max(0.0, seconds_between(w.start_ns, last_removed));
  if (any_udp_removed)
    run.udp_stale_seconds = std::max(0.0, seconds_between(w.start_ns, last_udp_removed));
  const double window_s = seconds_between(from, to);
  run.background_pps = window_s > 0 ? static_cast<double>(run.background_sent) / window_s : 0;
  run.blocked_seconds =
      run.background_pps > 0 ? static_cast<double>(run.background_lost) / run.background_pps : 0;
  return run;
}

const std::vector<double>& network_programming_buckets() {
  static const std::vector<double> buckets = [] {
    std::vector<double> b = {0.25, 0.5};
    for (int s = 1; s <= 59; ++s) b.push_back(s);
    for (int s = 60; s <= 115; s += 5) b.push_back(s);
    for (int s = 120; s <= 300; s += 30) b.push_back(s);
    return b;
  }();
  return buckets;
}

std::vector<uint64_t> bucket_counts(const std::vector<double>& seconds) {
  const auto& bounds = network_programming_buckets();
  std::vector<uint64_t> counts(bounds.size() + 1, 0);
  for (double s : seconds) {
    for (size_t i = 0; i < bounds.size(); ++i)
      if (s <= bounds[i]) ++counts[i];
    ++counts.back();
  }
  return counts;
}

double percentile_of(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[nearest_rank(values.size(), p)];
}

}  // namespace svcbench
